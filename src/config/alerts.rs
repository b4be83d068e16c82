//! `alerts:` in channels.yaml: where operational alerts go. Each item is a
//! channel name (as for a schedule), an `email:` mapping, or a `log_file:`
//! path. Errors point at the key inside the item.

use crate::alerts::email::{self, Login, Security, Username};
use crate::diagnostic::{Diagnostic, Span};
use crate::locate;
use crate::publish::http::is_loopback;
use crate::secret::SecretRef;
use crate::yaml::Value;
use lettre::message::Mailbox;

/// One item of `alerts:`.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertTarget {
    /// A channel of `channels:`, through its publisher.
    Channel(String),
    Email(Box<email::Settings>),
    /// A file of JSON lines; a relative path is relative to the repository.
    LogFile(String),
}

const EMAIL_KEYS: &str = "smtp, port, tls, from, to, username, password";

/// Builds the targets; the items that are wrong become diagnostics and are
/// left out (the caller rejects a channels.yaml with errors).
pub fn targets(
    file: &str,
    text: &str,
    items: Vec<Value>,
    d: &mut Vec<Diagnostic>,
) -> Vec<AlertTarget> {
    let mut out = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match target(file, text, index, item) {
            Ok(target) => out.push(target),
            Err(diagnostic) => d.push(*diagnostic),
        }
    }
    out
}

/// Where item `index` (or the key `path` inside it) stands, as near as it can be found.
fn span(text: &str, index: usize, path: &[&str]) -> Span {
    locate::list_item(text, &["alerts"], index, path)
        .or_else(|| locate::list_item(text, &["alerts"], index, &[]))
        .or_else(|| locate::key(text, &["alerts"]))
        .unwrap_or(Span::point(1, 1))
}

fn target(
    file: &str,
    text: &str,
    index: usize,
    item: Value,
) -> Result<AlertTarget, Box<Diagnostic>> {
    let error = |path: &[&str], code: &'static str, message: String| {
        Box::new(Diagnostic::error(
            file,
            span(text, index, path),
            code,
            format!("`alerts` item {}: {message}", index + 1),
        ))
    };
    let help = "an alert target is a channel name, `email:` (SMTP) or `log_file:` (a path); see README \"Alerts\"";
    let mut map = match item {
        Value::String(name) => return Ok(AlertTarget::Channel(name)),
        Value::Mapping(map) => map,
        _ => {
            return Err(Box::new(
                error(
                    &[],
                    "config/invalid",
                    "is not a channel name or a target".into(),
                )
                .with_help(help),
            ));
        }
    };
    if map.len() != 1 {
        return Err(Box::new(
            error(
                &[],
                "config/invalid",
                "names more than one target; write one `- ` item each".into(),
            )
            .with_help(help),
        ));
    }
    if let Some(value) = map.remove("email") {
        return email(file, text, index, value).map(|s| AlertTarget::Email(Box::new(s)));
    }
    if let Some(value) = map.remove("log_file") {
        return match value {
            Value::String(path) if !path.trim().is_empty() => Ok(AlertTarget::LogFile(path)),
            _ => Err(error(
                &["log_file"],
                "config/invalid",
                "`log_file` must be a file path, e.g. /var/log/healthcast/alerts.log".into(),
            )),
        };
    }
    let key = map
        .keys()
        .next()
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string();
    Err(Box::new(
        error(
            &[&key],
            "config/unknown-key",
            format!("unknown target `{key}`, expected `email` or `log_file`"),
        )
        .with_help(help),
    ))
}

fn email(
    file: &str,
    text: &str,
    index: usize,
    value: Value,
) -> Result<email::Settings, Box<Diagnostic>> {
    let error = |key: Option<&str>, code: &'static str, message: String| {
        let path: Vec<&str> = std::iter::once("email").chain(key).collect();
        Box::new(Diagnostic::error(
            file,
            span(text, index, &path),
            code,
            format!("`alerts` item {} (email): {message}", index + 1),
        ))
    };
    let Value::Mapping(map) = value else {
        return Err(Box::new(
            error(None, "config/invalid", "`email:` must be a mapping".into())
                .with_help(format!("keys: {EMAIL_KEYS}")),
        ));
    };
    let mut host = None;
    let mut port = None;
    let mut security = None;
    let mut from = None;
    let mut to = None;
    let mut username = None;
    let mut password = None;
    for (key, value) in map {
        let Some(key) = key.as_str() else {
            return Err(error(None, "config/invalid", "keys must be names".into()));
        };
        let invalid = |what: &str| {
            error(
                Some(key),
                "config/invalid",
                format!("`{key}` must be {what}"),
            )
        };
        match key {
            "smtp" => {
                host = Some(
                    value
                        .as_str()
                        .filter(|h| valid_host(h))
                        .ok_or_else(|| invalid("the relay's host name, e.g. smtp.hospital.example (the port goes in `port:`)"))?
                        .to_string(),
                )
            }
            "port" => {
                port = Some(
                    value
                        .as_u64()
                        .and_then(|n| u16::try_from(n).ok())
                        .filter(|n| *n > 0)
                        .ok_or_else(|| invalid("a port number, e.g. 587"))?,
                )
            }
            "tls" => {
                security = Some(
                    value
                        .as_str()
                        .and_then(Security::parse)
                        .ok_or_else(|| invalid("`starttls` (default), `tls` or `none`"))?,
                )
            }
            "from" => {
                let text = value.as_str().ok_or_else(|| invalid("an e-mail address"))?;
                from = Some(mailbox(text).map_err(|m| invalid(&m))?);
            }
            "to" => {
                let addresses = value
                    .as_sequence()
                    .filter(|list| !list.is_empty())
                    .ok_or_else(|| invalid("a list of e-mail addresses, e.g. [oncall@hospital.example]"))?;
                let mut list = Vec::new();
                for address in addresses {
                    let text = address.as_str().ok_or_else(|| invalid("a list of e-mail addresses"))?;
                    list.push(mailbox(text).map_err(|m| invalid(&m))?);
                }
                to = Some(list);
            }
            "username" => {
                let text = value
                    .as_str()
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| invalid("a user name, or `env:NAME` / `file:PATH`"))?;
                username = Some(Username::parse(text));
            }
            "password" => {
                // Neither the value nor its line is shown (a diagnostic
                // prints the line it points at): it may be the real password.
                let reference = value.as_str().and_then(|t| SecretRef::parse(t).ok());
                let Some(reference) = reference else {
                    let line = span(text, index, &["email", "password"]).line;
                    return Err(Box::new(
                        error(
                            None,
                            "config/invalid",
                            format!("`password` (line {line}) must be `env:NAME` or `file:PATH`, never the password itself"),
                        )
                        .with_help("put it in the daemon's environment, or in a file outside the repository"),
                    ));
                };
                password = Some(reference);
            }
            other => {
                return Err(Box::new(
                    error(
                        Some(other),
                        "config/unknown-key",
                        format!("unknown key `{other}`"),
                    )
                    .with_help(format!("keys: {EMAIL_KEYS}")),
                ));
            }
        }
    }
    let missing = |key: &str, example: &str| {
        Box::new(
            error(None, "config/invalid", format!("`{key}` is missing"))
                .with_help(format!("add e.g. `{key}: {example}`")),
        )
    };
    let host = host.ok_or_else(|| missing("smtp", "smtp.hospital.example"))?;
    let from = from.ok_or_else(|| missing("from", "healthcast@hospital.example"))?;
    let to = to.ok_or_else(|| missing("to", "[comms-oncall@hospital.example]"))?;
    let login = match (username, password) {
        (Some(username), Some(password)) => Some(Login { username, password }),
        (None, None) => None,
        (Some(_), None) => return Err(missing("password", "env:SMTP_PASSWORD")),
        (None, Some(_)) => return Err(missing("username", "env:SMTP_USER")),
    };
    let security = security.unwrap_or(Security::StartTls);
    if security == Security::None && !is_loopback(&host) {
        return Err(Box::new(
            error(
                Some("tls"),
                "config/insecure-endpoint",
                format!("`tls: none` sends mail (and any password) in plain text; it is allowed only to a loopback relay, not to `{host}`"),
            )
            .with_help("use `tls: starttls` (port 587) or `tls: tls` (port 465)"),
        ));
    }
    Ok(email::Settings {
        port: port.unwrap_or(security.default_port()),
        host,
        security,
        from,
        to,
        login,
    })
}

/// A host name or IP address: no scheme, port, path or space.
fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && (host.parse::<std::net::IpAddr>().is_ok()
            || host
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-' || c == '_'))
}

fn mailbox(text: &str) -> Result<Mailbox, String> {
    text.parse::<Mailbox>()
        .map_err(|e| format!("an e-mail address (`{text}`: {e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Vec<AlertTarget>, Vec<Diagnostic>) {
        let file: crate::config::channels::ChannelsFile = crate::yaml::from_str(text).unwrap();
        let mut d = Vec::new();
        let targets = targets("schedules/channels.yaml", text, file.alerts, &mut d);
        (targets, d)
    }

    #[test]
    fn names_email_and_log_file_targets_parse_with_their_defaults() {
        let (targets, d) = parse(
            "alerts:\n  - ops\n  - email:\n      smtp: smtp.hospital.example\n      from: Healthcast <healthcast@hospital.example>\n      to: [a@hospital.example, b@hospital.example]\n      username: env:SMTP_USER\n      password: file:/run/secrets/smtp\n  - log_file: /var/log/healthcast/alerts.log\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(targets[0], AlertTarget::Channel("ops".into()));
        let AlertTarget::Email(email) = &targets[1] else {
            panic!("{targets:?}")
        };
        assert_eq!((email.port, email.security), (587, Security::StartTls));
        assert_eq!(email.from.email.to_string(), "healthcast@hospital.example");
        assert_eq!(email.to.len(), 2);
        assert_eq!(
            email.login,
            Some(Login {
                username: Username::Reference(SecretRef::Env("SMTP_USER".into())),
                password: SecretRef::File("/run/secrets/smtp".into()),
            })
        );
        assert_eq!(
            targets[2],
            AlertTarget::LogFile("/var/log/healthcast/alerts.log".into())
        );
        let (targets, d) = parse(
            "alerts:\n  - email: { smtp: smtp.hospital.example, tls: tls, from: a@h.example, to: [b@h.example] }\n  - email: { smtp: \"::1\", tls: none, from: a@h.example, to: [b@h.example] }\n",
        );
        assert!(d.is_empty(), "{d:?}");
        let ports: Vec<_> = targets
            .iter()
            .map(|t| match t {
                AlertTarget::Email(e) => e.port,
                _ => 0,
            })
            .collect();
        assert_eq!(ports, [465, 25]);
    }

    fn error_of(text: &str) -> (&'static str, usize, usize, String) {
        let (_, d) = parse(text);
        assert_eq!(d.len(), 1, "{d:?}");
        (
            d[0].code,
            d[0].span.line,
            d[0].span.column,
            d[0].message.clone(),
        )
    }

    #[test]
    fn each_mistake_is_reported_at_its_key() {
        let head = "alerts:\n  - ops\n  - email:\n      smtp: smtp.hospital.example\n      from: healthcast@hospital.example\n";
        let (code, line, column, message) = error_of(head);
        assert_eq!((code, line, column), ("config/invalid", 3, 5));
        assert!(message.contains("`to` is missing"), "{message}");

        let (code, line, column, message) = error_of(&format!(
            "{head}      to: [a@h.example]\n      username: u\n      password: hunter2\n"
        ));
        // At the item (the password's own line would be printed under the error).
        assert_eq!((code, line, column), ("config/invalid", 3, 5));
        assert!(message.contains("`password` (line 8)"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");

        let (code, line, _, message) =
            error_of(&format!("{head}      to: [a@h.example]\n      tls: none\n"));
        assert_eq!((code, line), ("config/insecure-endpoint", 7));
        assert!(message.contains("smtp.hospital.example"), "{message}");

        let (code, line, column, _) =
            error_of(&format!("{head}      to: [a@h.example]\n      sender: x\n"));
        assert_eq!((code, line, column), ("config/unknown-key", 7, 7));

        let (code, line, _, _) = error_of(&format!("{head}      to: [not an address]\n"));
        assert_eq!((code, line), ("config/invalid", 6));

        let (code, line, _, _) = error_of(&format!(
            "{head}      to: [a@h.example]\n      port: 70000\n"
        ));
        assert_eq!((code, line), ("config/invalid", 7));

        let (code, line, _, _) = error_of(&format!(
            "{head}      to: [a@h.example]\n      password: env:P\n"
        ));
        assert_eq!((code, line), ("config/invalid", 3));

        let (code, line, column, _) = error_of("alerts:\n  - slack: x\n");
        assert_eq!((code, line, column), ("config/unknown-key", 2, 5));

        let (code, line, _, _) = error_of("alerts:\n  - ops\n  - log_file: ''\n");
        assert_eq!((code, line), ("config/invalid", 3));

        let (code, _, _, _) = error_of(
            "alerts:\n  - email:\n      smtp: smtp.hospital.example:587\n      from: a@h.example\n      to: [b@h.example]\n",
        );
        assert_eq!(code, "config/invalid");
    }
}
