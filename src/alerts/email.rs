//! The `email:` alert target: one message per alert over SMTP (lettre, rustls).
//!
//! Subject `healthcast: <event>: <subject>`; a plain-text body with the
//! message and the time. The connection is STARTTLS on port 587 by default,
//! or TLS from the first byte (`tls: tls`, port 465); `tls: none` is allowed
//! only to a loopback relay, like plain http in the HTTP core. The password
//! comes from `env:`/`file:` only, is resolved when the configuration is
//! loaded, and never reaches a log or an error: lettre's credentials do not
//! print, and its errors carry the server's answer, not what was sent.

use super::Alert;
use crate::secret::SecretRef;
use chrono::SecondsFormat;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::fmt;
use std::time::Duration;

/// Each SMTP command's answer is awaited this long.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// A whole delivery (connect, TLS, auth, message) takes at most this long,
/// so a relay that answers slowly cannot hold the daemon's loop.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(60);

/// How the connection is secured (`tls:` in channels.yaml).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `starttls` (default, port 587): plain greeting, then STARTTLS, which
    /// must succeed before anything else is sent.
    StartTls,
    /// `tls` (port 465): TLS from the first byte.
    Tls,
    /// `none` (port 25): plain text, only to a loopback relay.
    None,
}

impl Security {
    pub fn parse(text: &str) -> Option<Security> {
        match text {
            "starttls" => Some(Security::StartTls),
            "tls" => Some(Security::Tls),
            "none" => Some(Security::None),
            _ => None,
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::None => 25,
        }
    }
}

/// The SMTP user: written as is (a user name is not a secret), or read from
/// `env:NAME` / `file:PATH` like a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Username {
    Literal(String),
    Reference(SecretRef),
}

impl Username {
    pub fn parse(text: &str) -> Username {
        match SecretRef::parse(text) {
            Ok(reference) => Username::Reference(reference),
            Err(_) => Username::Literal(text.to_string()),
        }
    }

    fn resolve(&self) -> anyhow::Result<String> {
        match self {
            Username::Literal(name) => Ok(name.clone()),
            Username::Reference(reference) => Ok(reference.resolve()?.expose().to_string()),
        }
    }
}

/// User and password, given together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub username: Username,
    pub password: SecretRef,
}

/// An `email:` target as validated from channels.yaml.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The relay's host name (or IP address).
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    pub login: Option<Login>,
}

impl Settings {
    /// `host:port`, for log lines.
    pub fn relay(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// A ready SMTP client for one `email:` target.
pub struct Sender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
    relay: String,
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("relay", &self.relay)
            .finish_non_exhaustive()
    }
}

impl Sender {
    /// Resolves the credentials and prepares the client; no connection is
    /// made until an alert is sent.
    pub fn new(settings: &Settings) -> Result<Sender, String> {
        let tls = match settings.security {
            Security::None => Tls::None,
            Security::StartTls => Tls::Required(tls_parameters(&settings.host)?),
            Security::Tls => Tls::Wrapper(tls_parameters(&settings.host)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .tls(tls)
            .timeout(Some(COMMAND_TIMEOUT));
        if let Some(login) = &settings.login {
            let username = login
                .username
                .resolve()
                .map_err(|e| format!("SMTP username: {e:#}"))?;
            let password = login
                .password
                .resolve()
                .map_err(|e| format!("SMTP password: {e:#}"))?;
            builder =
                builder.credentials(Credentials::new(username, password.expose().to_string()));
        }
        Ok(Sender {
            transport: builder.build(),
            from: settings.from.clone(),
            to: settings.to.clone(),
            relay: settings.relay(),
        })
    }

    /// Where the messages go, for log lines: `smtp relay:port`.
    pub fn relay(&self) -> &str {
        &self.relay
    }

    /// Sends `alert` as one message to every recipient.
    pub async fn send(&self, alert: &Alert) -> Result<(), String> {
        let message = message(&self.from, &self.to, alert)?;
        match tokio::time::timeout(DELIVERY_TIMEOUT, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(format!("SMTP via {}: {e}", self.relay)),
            Err(_) => Err(format!(
                "SMTP via {}: no delivery within {} s",
                self.relay,
                DELIVERY_TIMEOUT.as_secs()
            )),
        }
    }
}

fn tls_parameters(host: &str) -> Result<TlsParameters, String> {
    TlsParameters::new(host.to_string()).map_err(|e| format!("TLS for {host}: {e}"))
}

/// `healthcast: <event>: <subject>`, on one line.
pub fn subject(alert: &Alert) -> String {
    let subject: String = alert
        .subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("healthcast: {}: {subject}", alert.event)
}

/// The message, then when the alert was raised.
pub fn body(alert: &Alert) -> String {
    format!(
        "{}\n\nTime: {}\n",
        alert.message.trim_end(),
        alert.at.to_rfc3339_opts(SecondsFormat::Secs, true)
    )
}

fn message(from: &Mailbox, to: &[Mailbox], alert: &Alert) -> Result<Message, String> {
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(subject(alert))
        .date(alert.at.into())
        .header(ContentType::TEXT_PLAIN);
    for recipient in to {
        builder = builder.to(recipient.clone());
    }
    builder
        .body(body(alert))
        .map_err(|e| format!("cannot build the alert e-mail: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn alert() -> Alert {
        Alert {
            event: "held",
            subject: "news/x@site-feed\r\nBcc: evil@example.org".into(),
            message: "Publication news/x is held: review/missing\n".into(),
            at: Utc.with_ymd_and_hms(2026, 11, 24, 13, 0, 0).unwrap(),
        }
    }

    #[test]
    fn subject_is_one_line_and_body_carries_the_time() {
        assert_eq!(
            subject(&alert()),
            "healthcast: held: news/x@site-feed  Bcc: evil@example.org"
        );
        assert_eq!(
            body(&alert()),
            "Publication news/x is held: review/missing\n\nTime: 2026-11-24T13:00:00Z\n"
        );
    }

    #[test]
    fn the_message_has_no_injected_header() {
        let from: Mailbox = "healthcast@hospital.example".parse().unwrap();
        let to: Mailbox = "oncall@hospital.example".parse().unwrap();
        let text = String::from_utf8(message(&from, &[to], &alert()).unwrap().formatted()).unwrap();
        let headers = &text[..text.find("\r\n\r\n").unwrap()];
        assert!(!headers.lines().any(|l| l.starts_with("Bcc:")), "{headers}");
    }

    #[test]
    fn a_missing_password_is_reported_by_name_only() {
        let settings = Settings {
            host: "127.0.0.1".into(),
            port: 2525,
            security: Security::None,
            from: "healthcast@hospital.example".parse().unwrap(),
            to: vec!["oncall@hospital.example".parse().unwrap()],
            login: Some(Login {
                username: Username::parse("alerts"),
                password: SecretRef::Env("HEALTHCAST_SURELY_UNSET_SMTP".into()),
            }),
        };
        let error = Sender::new(&settings).unwrap_err();
        assert!(error.contains("HEALTHCAST_SURELY_UNSET_SMTP"), "{error}");
    }

    #[test]
    fn usernames_are_literal_or_references() {
        assert_eq!(
            Username::parse("env:SMTP_USER"),
            Username::Reference(SecretRef::Env("SMTP_USER".into()))
        );
        assert_eq!(
            Username::parse("alerts@hospital.example"),
            Username::Literal("alerts@hospital.example".into())
        );
    }
}
