//! How the daemon treats a platform's failures (against loopback servers):
//! retried with backoff where a retry cannot post twice, `unknown` for a
//! person where it could, and a 429 releases the publication for later.

mod common;

use chrono::{TimeDelta, Utc};
use common::TempRepo;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Fails the first `failures` requests with 500, then answers like Mastodon.
struct FlakyMastodon {
    failures: usize,
    seen: AtomicUsize,
}

impl Respond for FlakyMastodon {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.seen.fetch_add(1, Ordering::SeqCst) < self.failures {
            ResponseTemplate::new(500).set_body_json(json!({"error": "Internal Server Error"}))
        } else {
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "77", "url": "https://m.example/@h/77"}))
        }
    }
}

fn repo_with(channel_yaml: &str, dir: &tempfile::TempDir) -> TempRepo {
    let repo = TempRepo::new();
    let token = dir.path().join("token");
    std::fs::write(&token, "tok").unwrap();
    repo.write(
        "schedules/channels.yaml",
        &format!(
            "timezone: UTC\nchannels:\n  social: {}\ngroups:\n  public: [social]\n",
            channel_yaml.replace("TOKEN_FILE", &token.display().to_string())
        ),
    );
    repo.news("due", Utc::now() - TimeDelta::minutes(2));
    repo
}

async fn run_once(repo: &TempRepo) -> (String, Value) {
    let log = repo.run_once().await;
    (log, repo.status())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotent_platform_is_retried_with_backoff_and_published_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(FlakyMastodon {
            failures: 2,
            seen: AtomicUsize::new(0),
        })
        .expect(3)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let repo = repo_with(
        &format!(
            "{{ platform: mastodon, base_url: \"{}\", token: \"file:TOKEN_FILE\" }}",
            server.uri()
        ),
        &dir,
    );
    let (out, status) = run_once(&repo).await;
    assert!(out.contains("published 1, failed 0"), "{out}");
    let record = &status["recent"][0];
    assert_eq!(record["state"], "published");
    assert_eq!(record["attempts"], 3);
    // The three tries carried one idempotency key: the server cannot post twice.
    let keys: std::collections::BTreeSet<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/api/v1/statuses")
        .map(|r| {
            r.headers
                .get("idempotency-key")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(keys.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_on_a_platform_that_cannot_read_back_is_unknown_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_json(
            json!({"ok": false, "error_code": 500, "description": "Internal Server Error"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let repo = repo_with(
        &format!(
            "{{ platform: telegram, api_base: \"{}\", bot_token: \"file:TOKEN_FILE\", chat_id: \"@hospital\" }}",
            server.uri()
        ),
        &dir,
    );
    let (out, status) = run_once(&repo).await;
    assert!(out.contains("outcome unknown"), "{out}");
    assert_eq!(status["recent"][0]["state"], "unknown");
    assert_eq!(
        status["attention"][0]["state"], "unknown",
        "status lists it for a person"
    );
}

/// LinkedIn in miniature: the first `POST /rest/posts` answers 500, having
/// created the post or not (`create_on_failure`); later ones answer 201.
/// `GET /rest/posts` lists what was created, as the author finder does.
struct FakeLinkedIn {
    create_on_failure: bool,
    posts: std::sync::Mutex<Vec<String>>,
    creates: AtomicUsize,
}

impl Respond for &'static FakeLinkedIn {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut posts = self.posts.lock().unwrap();
        if request.method.as_str() == "GET" {
            let now = Utc::now().timestamp_millis();
            let elements: Vec<Value> = posts
                .iter()
                .enumerate()
                .rev()
                .map(|(i, commentary)| {
                    json!({
                        "id": format!("urn:li:share:{}", i + 1), "author": "urn:li:organization:123",
                        "commentary": commentary, "visibility": "PUBLIC", "lifecycleState": "PUBLISHED",
                        "createdAt": now, "publishedAt": now, "lastModifiedAt": now
                    })
                })
                .collect();
            return ResponseTemplate::new(200).set_body_json(
                json!({"paging": {"start": 0, "count": 20, "links": []}, "elements": elements}),
            );
        }
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let commentary = body["commentary"].as_str().unwrap().to_string();
        if self.creates.fetch_add(1, Ordering::SeqCst) == 0 {
            if self.create_on_failure {
                posts.push(commentary);
            }
            return ResponseTemplate::new(500)
                .set_body_json(json!({"status": 500, "message": "Internal error"}));
        }
        posts.push(commentary);
        ResponseTemplate::new(201)
            .insert_header("x-restli-id", format!("urn:li:share:{}", posts.len()))
    }
}

/// A 500 from LinkedIn (no idempotency): the daemon neither retries nor
/// gives up, but reads the author's posts back once the request has surely
/// ended, and settles by what it finds. Answers the ledger row and how many
/// create requests the server saw.
async fn lost_answer_on_linkedin(create_on_failure: bool) -> (Value, usize, usize) {
    let server = MockServer::start().await;
    let fake: &'static FakeLinkedIn = Box::leak(Box::new(FakeLinkedIn {
        create_on_failure,
        posts: Default::default(),
        creates: AtomicUsize::new(0),
    }));
    Mock::given(wiremock::matchers::path("/rest/posts"))
        .respond_with(fake)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let repo = repo_with(
        &format!(
            "{{ platform: linkedin, api_base: \"{}\", author: \"urn:li:organization:123\", token: \"file:TOKEN_FILE\", version: \"202511\", timeout: 1s, readback_after: 2s }}",
            server.uri()
        ),
        &dir,
    );
    let options = healthcast::daemon::Options::new(
        repo.path().to_path_buf(),
        None,
        repo.join(".healthcast/ledger.sqlite"),
    );
    let mut daemon = healthcast::daemon::Daemon::start(options, Utc::now())
        .await
        .unwrap();
    let first = daemon.cycle(Utc::now()).await.unwrap();
    assert_eq!((first.published, first.failed, first.held), (0, 0, 1));
    assert_eq!(repo.status()["recent"][0]["state"], "sending");
    daemon.cycle(Utc::now()).await.unwrap();
    assert_eq!(
        repo.status()["recent"][0]["state"],
        "sending",
        "not read back before readback_after: the request may still be running on the server"
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    daemon.cycle(Utc::now()).await.unwrap();
    let row = repo.status()["recent"][0].clone();
    let stored = fake.posts.lock().unwrap().len();
    (row, fake.creates.load(Ordering::SeqCst), stored)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_whose_post_exists_is_found_by_reading_back_and_not_sent_again() {
    let (row, creates, posts) = lost_answer_on_linkedin(true).await;
    assert_eq!(row["state"], "published", "{row}");
    assert_eq!(row["remote_id"], "urn:li:share:1");
    assert_eq!((creates, posts), (1, 1), "one request, one post");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_whose_post_is_absent_is_planned_again_and_sent_once() {
    let (row, creates, posts) = lost_answer_on_linkedin(false).await;
    assert_eq!(row["state"], "published", "{row}");
    assert_eq!(row["remote_id"], "urn:li:share:1");
    assert_eq!((creates, posts), (2, 1), "sent again, one post in the end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_publication_is_released_for_a_later_cycle() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("X-RateLimit-Reset", "2099-01-01T00:00:00.000Z")
                .set_body_json(json!({"error": "Too many requests"})),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let repo = repo_with(
        &format!(
            "{{ platform: mastodon, base_url: \"{}\", token: \"file:TOKEN_FILE\" }}",
            server.uri()
        ),
        &dir,
    );
    let (out, status) = run_once(&repo).await;
    assert!(out.contains("rate limited until 2099-01-01"), "{out}");
    assert!(out.contains("held 1"), "{out}");
    assert_eq!(
        status["recent"].as_array().unwrap().len(),
        0,
        "no ledger row: the publication goes out later"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_post_raises_one_alert_on_the_alert_channel() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let repo = TempRepo::new();
    repo.write(
        "schedules/channels.yaml",
        &format!(
            "timezone: UTC\nchannels:\n  site-feed: {{ platform: feed, path: public/feed.xml, title: T }}\n  ops: {{ platform: webhook, url: \"{}/alerts\" }}\ngroups:\n  public: [site-feed]\nalerts: [ops]\n",
            server.uri()
        ),
    );
    // A news item without its clinical review is held, and must be alerted.
    repo.write(
        "content/news/unreviewed.md",
        &common::news_text("unreviewed", Utc::now() - TimeDelta::minutes(2))
            .replace("review: {", "# review: {"),
    );
    let options = healthcast::daemon::Options::new(
        repo.path().to_path_buf(),
        None,
        repo.join(".healthcast/ledger.sqlite"),
    );
    let mut daemon = healthcast::daemon::Daemon::start(options, Utc::now())
        .await
        .unwrap();
    let first = daemon.cycle(Utc::now()).await.unwrap();
    assert_eq!(first.held, 1);
    daemon.cycle(Utc::now()).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "one alert, not one per cycle");
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["title"], "healthcast: held");
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .contains("news/unreviewed@site-feed"),
        "{body}"
    );
    assert!(
        body["text"].as_str().unwrap().contains("review/missing"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_reaches_neither_the_log_nor_the_ledger_even_when_the_platform_echoes_it() {
    const SECRET: &str = "tok-SECRET-4f9a77";
    let server = MockServer::start().await;
    // A careless server that repeats the credentials in its error.
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": format!("The access token {SECRET} is invalid")})),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let repo = repo_with(
        &format!(
            "{{ platform: mastodon, base_url: \"{}\", token: \"file:TOKEN_FILE\" }}",
            server.uri()
        ),
        &dir,
    );
    std::fs::write(dir.path().join("token"), SECRET).unwrap();
    let (out, status) = run_once(&repo).await;
    assert!(out.contains("credentials rejected"), "{out}");
    assert_eq!(status["recent"][0]["state"], "failed");
    assert!(!out.contains(SECRET), "{out}");
    assert!(!status.to_string().contains(SECRET), "{status}");
    for file in ["ledger.sqlite", "ledger.sqlite-wal"] {
        if let Ok(bytes) = std::fs::read(repo.join(&format!(".healthcast/{file}"))) {
            assert!(
                !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
                "{file} holds the secret"
            );
        }
    }
}

/// A careless webhook server that repeats the request's path and query in
/// its error, as they came, percent-encoded and with JSON's escaped slashes
/// (Slack echoing `/services/T…/B…/<token>`, Discord `/api/webhooks/<id>/<token>`).
struct EchoPath {
    status: u16,
    json: bool,
}

impl Respond for EchoPath {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let url = &request.url;
        let asked = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        };
        let encoded: String = asked
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let text = format!(
            "no webhook at {asked} (url={encoded}, raw={})",
            asked.replace('/', "\\/")
        );
        let response = ResponseTemplate::new(self.status);
        if self.json {
            // Discord reads `message`, Teams `error.message`.
            response.set_body_json(json!({"message": text, "code": 50027, "error": {"code": "NotFound", "message": text}}))
        } else {
            response.set_body_string(text)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_tokens_a_platform_echoes_in_its_error_reach_no_log_status_or_alert() {
    const SLACK_TOKEN: &str = "aB3dE5fG7hJ9kL1mN3pQ5rS7";
    const DISCORD_TOKEN: &str = "abcdefTOKEN0123456789-_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn";
    const FLOW_ID: &str = "0123456789abcdef0123456789abcdef";
    const TEAMS_SIG: &str = "TeamsSig0123456789abcdefABCDEF-_xyz";
    let server = MockServer::start().await;
    for (prefix, status, json) in [
        ("^/services/", 400, false),
        ("^/api/webhooks/", 401, true),
        ("^/workflows/", 500, true),
    ] {
        Mock::given(method("POST"))
            .and(wiremock::matchers::path_regex(prefix))
            .respond_with(EchoPath { status, json })
            .mount(&server)
            .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let secret = |name: &str, url: String| {
        let file = dir.path().join(name);
        std::fs::write(&file, url).unwrap();
        file.display().to_string()
    };
    let uri = server.uri();
    let slack = secret("slack", format!("{uri}/services/T0000/B0000/{SLACK_TOKEN}"));
    let discord = secret(
        "discord",
        format!("{uri}/api/webhooks/123456789012345678/{DISCORD_TOKEN}"),
    );
    let teams = secret(
        "teams",
        format!(
            "{uri}/workflows/{FLOW_ID}/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={TEAMS_SIG}"
        ),
    );
    let repo = TempRepo::new();
    repo.write(
        "schedules/channels.yaml",
        &format!(
            "timezone: UTC\nchannels:\n  slack: {{ platform: slack, webhook: \"file:{slack}\" }}\n  discord: {{ platform: discord, webhook: \"file:{discord}\" }}\n  teams: {{ platform: teams, webhook: \"file:{teams}\" }}\ngroups:\n  public: [slack, discord, teams]\nalerts:\n  - log_file: alerts.log\n"
        ),
    );
    repo.news("due", Utc::now() - TimeDelta::minutes(2));
    let (out, status) = run_once(&repo).await;
    assert!(out.contains("published 0, failed 2, unknown 1"), "{out}");
    let errors: Vec<&str> = status["recent"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["error"].as_str())
        .collect();
    assert_eq!(errors.len(), 3, "{status}");
    assert!(
        errors.iter().all(|e| e.contains("[redacted]")),
        "the echoed paths are there, scrubbed: {errors:?}"
    );
    let alerts = std::fs::read_to_string(repo.join("alerts.log")).unwrap();
    assert!(
        alerts.contains("\"failed\"") && alerts.contains("\"unknown\""),
        "{alerts}"
    );
    let ledger = std::fs::read(repo.join(".healthcast/ledger.sqlite")).unwrap_or_default();
    let wal = std::fs::read(repo.join(".healthcast/ledger.sqlite-wal")).unwrap_or_default();
    let ledger = String::from_utf8_lossy(&[ledger, wal].concat()).into_owned();
    for token in [SLACK_TOKEN, DISCORD_TOKEN, FLOW_ID, TEAMS_SIG] {
        assert!(!out.contains(token), "{token} in the log: {out}");
        assert!(
            !status.to_string().contains(token),
            "{token} in status: {status}"
        );
        assert!(
            !alerts.contains(token),
            "{token} in the alert log: {alerts}"
        );
        assert!(!ledger.contains(token), "{token} in the ledger");
    }
}

/// A Mastodon server on a raw socket, to do what an HTTP mock cannot: take
/// the first status, create it, and drop the connection without an answer.
/// A repeated Idempotency-Key answers the status created first, as Mastodon
/// does, and the account's statuses are listed for a read-back. Returns its
/// address and the number of statuses created.
async fn mastodon_that_drops_the_first_answer() -> (String, std::sync::Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let created = std::sync::Arc::new(AtomicUsize::new(0));
    let count = created.clone();
    tokio::spawn(async move {
        let mut keys: std::collections::HashMap<String, usize> = Default::default();
        let mut dropped = false;
        let mut statuses: Vec<Value> = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            // One request per connection: headers, then Content-Length bytes.
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            let head = loop {
                let n = socket.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    break String::new();
                }
                request.extend_from_slice(&buf[..n]);
                if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&request[..end]).to_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    while request.len() < end + 4 + len {
                        let n = socket.read(&mut buf).await.unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        request.extend_from_slice(&buf[..n]);
                    }
                    break head;
                }
            };
            let reply = if head.starts_with("post /api/v1/statuses") {
                let key = head
                    .lines()
                    .find_map(|l| l.strip_prefix("idempotency-key:"))
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                let next = keys.len() + 1;
                let id = *keys.entry(key).or_insert(next);
                if id == next {
                    let end = request
                        .windows(4)
                        .position(|w| w == b"\r\n\r\n")
                        .unwrap_or(0);
                    let body: Value =
                        serde_json::from_slice(&request[end + 4..]).unwrap_or_default();
                    let text = body["status"]
                        .as_str()
                        .unwrap_or_default()
                        .replace('&', "&amp;");
                    statuses.push(json!({
                        "id": id.to_string(), "url": format!("https://m.example/@h/{id}"),
                        "content": format!("<p>{text}</p>"),
                        "created_at": Utc::now().to_rfc3339(),
                    }));
                }
                count.store(keys.len(), Ordering::SeqCst);
                if !dropped {
                    // Created, and the answer is lost with the connection.
                    dropped = true;
                    drop(socket);
                    continue;
                }
                format!("{{\"id\":\"{id}\",\"url\":\"https://m.example/@h/{id}\"}}")
            } else if head.starts_with("get /api/v1/accounts/verify_credentials") {
                "{\"id\":\"1\"}".to_string()
            } else if head.starts_with("get /api/v1/accounts/1/statuses") {
                let newest_first: Vec<&Value> = statuses.iter().rev().collect();
                serde_json::to_string(&newest_first).unwrap()
            } else {
                // The instance, and anything else asked: a plain answer.
                "{\"configuration\":{\"statuses\":{\"max_characters\":500}}}".to_string()
            };
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                reply.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    (address, created)
}

/// A connection dropped after the request was sent: the server may still be
/// working on it (and Mastodon records an Idempotency-Key only once the
/// status exists), so not even a same-key retry goes out. Once the
/// channel's readback_after has passed, the account is read back, the
/// status found, and nothing is sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_after_the_post_was_created_is_read_back_once_its_request_surely_ended()
 {
    let (address, created) = mastodon_that_drops_the_first_answer().await;
    let dir = tempfile::tempdir().unwrap();
    let repo = repo_with(
        &format!(
            "{{ platform: mastodon, base_url: \"{address}\", token: \"file:TOKEN_FILE\", timeout: 1s, readback_after: 2s }}"
        ),
        &dir,
    );
    let (out, status) = run_once(&repo).await;
    assert!(out.contains("published 1, failed 0"), "{out}");
    assert!(out.contains("found on the channel"), "{out}");
    let record = &status["recent"][0];
    assert_eq!(record["state"], "published");
    assert_eq!(
        record["attempts"], 1,
        "no second request: read back instead"
    );
    assert_eq!(
        record["ambiguous"], true,
        "recorded as possibly sent: {status}"
    );
    assert_eq!(record["remote_id"], "1", "the status created first");
    assert_eq!(
        created.load(Ordering::SeqCst),
        1,
        "one status on the server"
    );
}
