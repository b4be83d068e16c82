//! Alert targets beyond channels: e-mail over a real SMTP conversation with a
//! loopback server written here (greeting, EHLO, AUTH PLAIN or LOGIN, MAIL,
//! RCPT, DATA, QUIT), a log file of JSON lines, configuration errors at their
//! line, targets that fail without stopping the others, and a stall followed
//! by exactly one recovery alert.

mod common;

use base64::Engine as _;
use chrono::{TimeDelta, Utc};
use common::TempRepo;
use healthcast::daemon::{Daemon, Options};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const PASSWORD: &str = "s3cret-Smtp-pa55";
const USER: &str = "alerts@hospital.example";

// ---------------------------------------------------------------------------
// A small SMTP server (RFC 5321 as far as a submission client needs).

#[derive(Debug, Default, Clone)]
struct Mail {
    ehlo: String,
    /// (mechanism, user, password) of a successful AUTH.
    auth: Option<(String, String, String)>,
    from: String,
    to: Vec<String>,
    /// The message as received, dot-stuffing undone, CRLF line ends.
    data: String,
}

impl Mail {
    /// A header's value, folded lines joined.
    fn header(&self, name: &str) -> Option<String> {
        let head = &self.data[..self.data.find("\r\n\r\n")?];
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.split("\r\n").find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    }

    /// The body, its transfer encoding undone (lettre picks quoted-printable
    /// for lines over 76 characters, base64 when that is shorter).
    fn body(&self) -> String {
        let raw = self
            .data
            .find("\r\n\r\n")
            .map_or("", |at| &self.data[at + 4..]);
        let encoding = self
            .header("Content-Transfer-Encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "quoted-printable" => quoted_printable(raw),
            "base64" => base64::engine::general_purpose::STANDARD
                .decode(raw.replace("\r\n", ""))
                .expect("base64 body"),
            _ => raw.as_bytes().to_vec(),
        };
        String::from_utf8(bytes)
            .expect("UTF-8 body")
            .replace("\r\n", "\n")
    }
}

#[derive(Clone)]
struct Setup {
    /// What EHLO advertises after `AUTH`; `None` offers no AUTH.
    mechanisms: Option<&'static str>,
    /// Credentials that AUTH accepts; others get 535.
    accept: Option<(&'static str, &'static str)>,
}

struct SmtpServer {
    port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
    /// Every line the client sent, in order.
    transcript: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpServer {
    async fn start(setup: Setup) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let transcript = Arc::new(Mutex::new(Vec::new()));
        let (m, t) = (mails.clone(), transcript.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (setup, m, t) = (setup.clone(), m.clone(), t.clone());
                tokio::spawn(async move {
                    let _ = session(stream, setup, m, t).await;
                });
            }
        });
        SmtpServer {
            port,
            mails,
            transcript,
            task,
        }
    }

    fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    fn transcript(&self) -> String {
        self.transcript.lock().unwrap().join("\n")
    }
}

async fn session(
    stream: tokio::net::TcpStream,
    setup: Setup,
    mails: Arc<Mutex<Vec<Mail>>>,
    transcript: Arc<Mutex<Vec<String>>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut line = String::new();
    // Each line within 10 s, so a confused client cannot hang the test.
    let mut next_line = async |read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>| {
        line.clear();
        match tokio::time::timeout(Duration::from_secs(10), read.read_line(&mut line)).await {
            Ok(Ok(n)) if n > 0 => {
                let text = line.trim_end_matches(['\r', '\n']).to_string();
                transcript.lock().unwrap().push(text.clone());
                Some(text)
            }
            _ => None,
        }
    };
    let decode = |b64: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .unwrap_or_default()
    };
    write
        .write_all(b"220 mail.test ESMTP healthcast-test\r\n")
        .await?;
    let mut mail = Mail::default();
    let mut authenticated = false;
    while let Some(command) = next_line(&mut read).await {
        let upper = command.to_ascii_uppercase();
        let reply = if let Some(name) = upper.strip_prefix("EHLO ") {
            mail.ehlo = name.to_lowercase();
            match setup.mechanisms {
                Some(m) => format!("250-mail.test\r\n250-AUTH {m}\r\n250 HELP\r\n"),
                None => "250-mail.test\r\n250 HELP\r\n".to_string(),
            }
        } else if upper.starts_with("AUTH ") && setup.mechanisms.is_some() {
            let words: Vec<&str> = command.split_whitespace().collect();
            let mechanism = words.get(1).unwrap_or(&"").to_ascii_uppercase();
            let (user, password) = match (mechanism.as_str(), words.get(2)) {
                ("PLAIN", initial) => {
                    let response = match initial {
                        Some(r) => r.to_string(),
                        None => {
                            write.write_all(b"334 \r\n").await?;
                            next_line(&mut read).await.unwrap_or_default()
                        }
                    };
                    let plain = decode(&response);
                    let mut parts = plain.split('\0').skip(1);
                    (
                        parts.next().unwrap_or("").to_string(),
                        parts.next().unwrap_or("").to_string(),
                    )
                }
                ("LOGIN", _) => {
                    write.write_all(b"334 VXNlcm5hbWU6\r\n").await?;
                    let user = decode(&next_line(&mut read).await.unwrap_or_default());
                    write.write_all(b"334 UGFzc3dvcmQ6\r\n").await?;
                    let password = decode(&next_line(&mut read).await.unwrap_or_default());
                    (user, password)
                }
                _ => {
                    write
                        .write_all(b"504 5.5.4 Unrecognized authentication type\r\n")
                        .await?;
                    continue;
                }
            };
            if setup.accept == Some((user.as_str(), password.as_str())) {
                authenticated = true;
                mail.auth = Some((mechanism, user, password));
                "235 2.7.0 Authentication successful\r\n".to_string()
            } else {
                "535 5.7.8 Authentication credentials invalid\r\n".to_string()
            }
        } else if let Some(rest) = upper.strip_prefix("MAIL FROM:") {
            if setup.accept.is_some() && !authenticated {
                "530 5.7.0 Authentication required\r\n".to_string()
            } else {
                mail.from = address(&command[command.len() - rest.len()..]);
                "250 2.1.0 OK\r\n".to_string()
            }
        } else if let Some(rest) = upper.strip_prefix("RCPT TO:") {
            mail.to
                .push(address(&command[command.len() - rest.len()..]));
            "250 2.1.5 OK\r\n".to_string()
        } else if upper == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            loop {
                let Some(line) = next_line(&mut read).await else {
                    return Ok(());
                };
                if line == "." {
                    break;
                }
                let line = line.strip_prefix('.').unwrap_or(&line);
                data.push_str(line);
                data.push_str("\r\n");
            }
            mail.data = data;
            mails.lock().unwrap().push(mail.clone());
            "250 2.0.0 OK queued\r\n".to_string()
        } else if upper == "RSET" || upper == "NOOP" {
            "250 2.0.0 OK\r\n".to_string()
        } else if upper == "QUIT" {
            write.write_all(b"221 2.0.0 Bye\r\n").await?;
            return Ok(());
        } else {
            "502 5.5.2 Command not recognized\r\n".to_string()
        };
        write.write_all(reply.as_bytes()).await?;
    }
    Ok(())
}

/// RFC 2045 quoted-printable: `=XX` is a byte, `=` at a line end joins lines.
fn quoted_printable(text: &str) -> Vec<u8> {
    let text = text.replace("=\r\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

/// `<a@b>` plus any parameters → `a@b`.
fn address(text: &str) -> String {
    let text = text.trim();
    match (text.find('<'), text.find('>')) {
        (Some(start), Some(end)) if start < end => text[start + 1..end].to_string(),
        _ => text.split_whitespace().next().unwrap_or("").to_string(),
    }
}

// ---------------------------------------------------------------------------
// Log capture: the daemon's tracing output, on this (current-thread) test.

#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let logs = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || logs.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }
}

// ---------------------------------------------------------------------------

fn options(repo: &TempRepo) -> Options {
    let mut options = Options::new(
        repo.path().to_path_buf(),
        None,
        repo.join(".healthcast/ledger.sqlite"),
    );
    options.stall_after = Duration::from_secs(1);
    options
}

/// channels.yaml with one feed channel and these `alerts:` items.
fn channels_with_alerts(alerts: &str) -> String {
    format!(
        "timezone: UTC\nchannels:\n  site-feed: {{ platform: feed, path: public/feed.xml, title: T }}\ngroups:\n  public: [site-feed]\nalerts:\n{alerts}"
    )
}

fn email_target(port: u16, extra: &str) -> String {
    format!(
        "  - email:\n      smtp: 127.0.0.1\n      port: {port}\n      tls: none\n      from: healthcast@hospital.example\n      to: [comms-oncall@hospital.example, it-oncall@hospital.example]\n{extra}"
    )
}

/// A news item without its clinical review: held, and alerted as `held`.
fn unreviewed_news(repo: &TempRepo, id: &str) {
    repo.write(
        &format!("content/news/{id}.md"),
        &common::news_text(id, Utc::now() - TimeDelta::minutes(2))
            .replace("review: {", "# review: {"),
    );
}

fn log_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[tokio::test]
async fn a_held_post_is_e_mailed_over_a_real_smtp_conversation_and_logged() {
    let logs = Logs::default();
    let _guard = logs.capture();
    let server = SmtpServer::start(Setup {
        mechanisms: Some("PLAIN LOGIN"),
        accept: Some((USER, PASSWORD)),
    })
    .await;
    let repo = TempRepo::new();
    let secrets = tempfile::tempdir().unwrap();
    let password_file = secrets.path().join("smtp-password");
    std::fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
    let log_path = repo.join("var/log/healthcast/alerts.log");
    repo.write(
        "schedules/channels.yaml",
        &channels_with_alerts(&format!(
            "{}  - log_file: var/log/healthcast/alerts.log\n",
            email_target(
                server.port,
                &format!(
                    "      username: {USER}\n      password: file:{}\n",
                    password_file.display()
                )
            )
        )),
    );
    unreviewed_news(&repo, "unreviewed");

    let before = Utc::now();
    let mut daemon = Daemon::start(options(&repo), Utc::now()).await.unwrap();
    let report = daemon.cycle(Utc::now()).await.unwrap();
    assert_eq!(report.held, 1);
    // The next cycle raises nothing new (de-duplicated): still one message.
    daemon.cycle(Utc::now()).await.unwrap();

    let mails = server.mails();
    assert_eq!(mails.len(), 1, "{}", server.transcript());
    let mail = &mails[0];
    assert!(!mail.ehlo.is_empty());
    assert_eq!(
        mail.auth,
        Some(("PLAIN".to_string(), USER.to_string(), PASSWORD.to_string()))
    );
    assert_eq!(mail.from, "healthcast@hospital.example");
    assert_eq!(
        mail.to,
        [
            "comms-oncall@hospital.example",
            "it-oncall@hospital.example"
        ]
    );
    let subject = mail.header("Subject").unwrap();
    assert!(
        subject.starts_with("healthcast: held: news/unreviewed@site-feed@"),
        "{subject}"
    );
    assert_eq!(
        mail.header("From").as_deref(),
        Some("healthcast@hospital.example")
    );
    let to = mail.header("To").unwrap();
    assert!(
        to.contains("comms-oncall@hospital.example") && to.contains("it-oncall@hospital.example"),
        "{to}"
    );
    let body = mail.body();
    assert!(body.contains("is held"), "{body}");
    assert!(body.contains("review/missing"), "{body}");
    let time_line = body
        .lines()
        .find_map(|l| l.strip_prefix("Time: "))
        .unwrap_or_else(|| panic!("no time in {body}"));
    let time = chrono::DateTime::parse_from_rfc3339(time_line).unwrap();
    assert!(
        time >= before - TimeDelta::seconds(1) && time <= Utc::now(),
        "{time}"
    );
    let transcript = server.transcript();
    assert!(transcript.contains("QUIT"), "{transcript}");

    // The log file beside it: one JSON line with the same alert.
    let lines = log_lines(&log_path);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["event"], "held");
    assert_eq!(
        format!(
            "healthcast: held: {}",
            lines[0]["subject"].as_str().unwrap()
        ),
        subject
    );
    assert!(
        lines[0]["message"]
            .as_str()
            .unwrap()
            .contains("review/missing")
    );
    assert_eq!(lines[0]["time"].as_str(), Some(time_line));

    let logs = logs.text();
    assert!(logs.contains("alert e-mailed"), "{logs}");
    assert!(!logs.contains(PASSWORD), "{logs}");
}

#[tokio::test]
async fn failing_targets_do_not_stop_the_others_and_never_show_the_password() {
    let logs = Logs::default();
    let _guard = logs.capture();
    // Speaks AUTH LOGIN only, and rejects the password it is given.
    let rejecting = SmtpServer::start(Setup {
        mechanisms: Some("LOGIN"),
        accept: Some((USER, "another-password")),
    })
    .await;
    let healthy = SmtpServer::start(Setup {
        mechanisms: None,
        accept: None,
    })
    .await;
    // A port nobody listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let repo = TempRepo::new();
    repo.write("blocker", "a file where the log folder should be");
    let secrets = tempfile::tempdir().unwrap();
    let password_file = secrets.path().join("smtp-password");
    std::fs::write(&password_file, PASSWORD).unwrap();
    let credentials = format!(
        "      username: {USER}\n      password: file:{}\n",
        password_file.display()
    );
    repo.write(
        "schedules/channels.yaml",
        &channels_with_alerts(&format!(
            "{}{}  - log_file: blocker/alerts.log\n{}  - log_file: alerts/alerts.log\n",
            email_target(dead, ""),
            email_target(rejecting.port, &credentials),
            email_target(healthy.port, ""),
        )),
    );
    unreviewed_news(&repo, "one");
    unreviewed_news(&repo, "two");

    let mut daemon = Daemon::start(options(&repo), Utc::now()).await.unwrap();
    let report = daemon.cycle(Utc::now()).await.unwrap();
    assert_eq!(report.held, 2);

    // The rejecting server heard LOGIN with the real credentials, and said no.
    let transcript = rejecting.transcript();
    assert!(transcript.contains("AUTH LOGIN"), "{transcript}");
    assert!(rejecting.mails().is_empty());
    // The healthy server and the good log file got both alerts anyway.
    let mails = healthy.mails();
    assert_eq!(mails.len(), 2, "{}", healthy.transcript());
    assert!(mails.iter().all(|m| m.auth.is_none()));
    assert_eq!(log_lines(&repo.join("alerts/alerts.log")).len(), 2);
    assert!(!repo.join("blocker/alerts.log").exists());

    let logs = logs.text();
    assert!(logs.contains("alert not written"), "{logs}");
    assert!(logs.contains(&format!("127.0.0.1:{dead}")), "{logs}");
    assert!(logs.contains("535"), "the rejection is logged: {logs}");
    let encoded = base64::engine::general_purpose::STANDARD.encode(PASSWORD);
    assert!(
        !logs.contains(PASSWORD) && !logs.contains(&encoded),
        "{logs}"
    );
    // And the daemon goes on: the next cycle runs.
    daemon.cycle(Utc::now()).await.unwrap();
}

#[tokio::test]
async fn a_relay_that_never_answers_holds_the_cycle_only_for_the_alert_budget() {
    let logs = Logs::default();
    let _guard = logs.capture();
    // Accepts connections and never says a word.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let _held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let repo = TempRepo::new();
    repo.write(
        "schedules/channels.yaml",
        &channels_with_alerts(&format!(
            "{}  - log_file: alerts/alerts.log\n",
            email_target(port, "")
        )),
    );
    unreviewed_news(&repo, "one");
    let mut options = options(&repo);
    options.alert_budget = Duration::from_millis(500);
    let mut daemon = Daemon::start(options, Utc::now()).await.unwrap();
    // lettre alone would wait 30 s for the greeting; the budget cuts it.
    let report = tokio::time::timeout(Duration::from_secs(15), daemon.cycle(Utc::now()))
        .await
        .expect("the cycle returns despite the silent relay")
        .unwrap();
    assert_eq!(report.held, 1);
    assert_eq!(
        log_lines(&repo.join("alerts/alerts.log")).len(),
        1,
        "the log file still gets it"
    );
    assert!(logs.text().contains("cut short"), "{}", logs.text());
}

#[test]
fn configuration_mistakes_name_the_file_and_line() {
    let cases = [
        (
            // `to` missing: at the `email:` item.
            "  - email:\n      smtp: smtp.hospital.example\n      from: healthcast@hospital.example\n",
            "config/invalid",
            7,
            "`to` is missing",
        ),
        (
            // A literal password: at the item, naming the password's line.
            "  - email:\n      smtp: smtp.hospital.example\n      from: healthcast@hospital.example\n      to: [a@hospital.example]\n      username: alerts\n      password: hunter2-literal\n",
            "config/invalid",
            7,
            "`password` (line 12)",
        ),
        (
            "  - email:\n      smtp: smtp.hospital.example\n      tls: none\n      from: healthcast@hospital.example\n      to: [a@hospital.example]\n",
            "config/insecure-endpoint",
            9,
            "only to a loopback relay",
        ),
        (
            "  - site-feed\n  - log_file: a.log\n  - pager: 555\n",
            "config/unknown-key",
            9,
            "unknown target `pager`",
        ),
        (
            "  - site-feed\n  - ops-pager\n",
            "config/unknown-channel",
            8,
            "`ops-pager` is not a channel",
        ),
    ];
    for (alerts, code, line, message) in cases {
        let repo = TempRepo::new();
        repo.write("schedules/channels.yaml", &channels_with_alerts(alerts));
        let out = common::healthcast()
            .arg("--repo")
            .arg(repo.path())
            .args(["check", "--format", "json"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_ne!(out.status.code(), Some(0), "{stdout}");
        assert!(!stdout.contains("hunter2"), "{stdout}");
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
        let found = v["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["code"] == code)
            .unwrap_or_else(|| panic!("no {code} in {stdout}"));
        assert_eq!(found["file"], "schedules/channels.yaml", "{found}");
        assert_eq!(found["line"], line, "{alerts}: {found}");
        assert!(
            found["message"].as_str().unwrap().contains(message),
            "{found}"
        );
        // The human output points there too.
        let human = common::healthcast()
            .arg("--repo")
            .arg(repo.path())
            .arg("check")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&human.stdout).to_string()
            + &String::from_utf8_lossy(&human.stderr);
        assert!(
            text.contains(&format!("schedules/channels.yaml:{line}:")),
            "{text}"
        );
    }
}

#[test]
fn the_example_alert_targets_of_channels_yaml_are_valid() {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schedules/channels.yaml"
    ))
    .unwrap();
    // Uncomment the example channels ("  # name:", "  #   key: value") and
    // the example `alerts:` ("# alerts:", "#   - item") in place of `alerts: []`.
    let mut channels = String::new();
    for line in example.lines() {
        let line = match line.strip_prefix("  # ") {
            Some(rest) if !rest.starts_with(' ') && rest.ends_with(':') => format!("  {rest}"),
            Some(rest) if rest.starts_with("  ") => format!("  {rest}"),
            _ => match line.strip_prefix("# ") {
                Some(rest) if rest == "alerts:" || rest.starts_with("  ") => rest.to_string(),
                _ if line == "alerts: []" => continue,
                _ => line.to_string(),
            },
        };
        channels.push_str(&line);
        channels.push('\n');
    }
    assert!(
        channels.contains("\nalerts:\n  - ops-slack\n  - email:\n"),
        "{channels}"
    );
    let repo = TempRepo::new();
    repo.tip("a");
    repo.write("schedules/channels.yaml", &channels);
    let out = common::healthcast()
        .arg("--repo")
        .arg(repo.path())
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let config_errors: Vec<_> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["file"] == "schedules/channels.yaml")
        .collect();
    assert!(config_errors.is_empty(), "{config_errors:?}\n{channels}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_and_its_recovery_are_alerted_once_each() {
    let server = SmtpServer::start(Setup {
        mechanisms: None,
        accept: None,
    })
    .await;
    let repo = TempRepo::new();
    repo.write(
        "schedules/channels.yaml",
        &channels_with_alerts(&format!(
            "  - log_file: alerts.log\n{}",
            email_target(server.port, "")
        )),
    );
    let log_path = repo.join("alerts.log");
    let events = || -> Vec<String> {
        log_lines(&log_path)
            .iter()
            .map(|l| l["event"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let mut daemon = Daemon::start(options(&repo), Utc::now()).await.unwrap();
    let health = daemon.health.clone();
    let (ticks, ticks_rx) = tokio::sync::mpsc::channel(1);
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        daemon
            .run_loop(ticks_rx, async {
                let _ = stop_rx.await;
            })
            .await
    });
    let wait_until = async |what: &str, done: &dyn Fn() -> bool| {
        let start = std::time::Instant::now();
        while !done() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "timed out waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };

    // No tick arrives: stalled, alerted once however long it lasts.
    wait_until("the stall", &|| health.is_stalled()).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(events(), ["stalled"]);

    // A tick: the stall ends, and one recovery alert follows.
    ticks.send(()).await.unwrap();
    wait_until("the recovery alert", &|| events().len() == 2).await;
    assert_eq!(events(), ["stalled", "stall-recovered"]);

    // More ticks: no further recovery alert.
    for _ in 0..3 {
        ticks.send(()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(events(), ["stalled", "stall-recovered"]);

    // A second stall within the hour is not alerted again (de-duplicated),
    // and so its end is not either: still one of each.
    wait_until("the second stall", &|| health.is_stalled()).await;
    ticks.send(()).await.unwrap();
    wait_until("the second recovery", &|| !health.is_stalled()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(events(), ["stalled", "stall-recovered"]);

    stop.send(()).unwrap();
    task.await.unwrap().unwrap();

    let subjects: Vec<String> = server
        .mails()
        .iter()
        .filter_map(|m| m.header("Subject"))
        .collect();
    assert_eq!(
        subjects,
        [
            "healthcast: stalled: scheduler",
            "healthcast: stall-recovered: scheduler"
        ]
    );
}
