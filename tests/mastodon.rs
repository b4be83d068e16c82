//! The Mastodon adapter against a real HTTP server on loopback (wiremock):
//! the exact request contract (method, path, bearer token, Idempotency-Key,
//! JSON body checked against the API's OpenAPI schema), the platform's answers
//! and error shapes (401, 422, 429 with its rate-limit header, 500, a
//! timeout, a refused connection), and the daemon publishing through it.

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use healthcast::content;
use healthcast::publish::http::HttpCore;
use healthcast::publish::mastodon::{MastodonPublisher, Settings, Visibility, idempotency_key};
use healthcast::publish::{PublishContext, PublishError, Publisher};
use healthcast::render::Rendered;
use healthcast::secret::SecretRef;
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "tok-live-123";

fn token_file(dir: &tempfile::TempDir) -> SecretRef {
    let file = dir.path().join("mastodon-token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    SecretRef::File(file)
}

fn publisher(server: &MockServer, dir: &tempfile::TempDir, timeout: Duration) -> MastodonPublisher {
    let settings = Settings {
        base_url: server.uri(),
        token: token_file(dir),
        visibility: Visibility::Public,
        max_characters: 500,
    };
    MastodonPublisher::new("mastodon", &settings, HttpCore::new(timeout).unwrap()).unwrap()
}

fn post() -> content::Post {
    content::parse(
        "content/tips/flu.md",
        "---\ntitle: Flu shots\nkind: tip\nlang: en\ncontent_warning: Needles\n---\nGet your flu shot.\n",
    )
    .unwrap()
}

fn rendered(text: &str) -> Rendered {
    Rendered {
        text: text.into(),
        length: text.chars().count(),
        limit: Some(500),
        html: None,
        parts: Vec::new(),
    }
}

/// A status as Mastodon 4 returns it (fields trimmed to the required ones).
fn status_json(id: &str) -> Value {
    json!({
        "id": id, "created_at": "2026-11-24T14:00:00.000Z", "in_reply_to_id": null,
        "sensitive": true, "spoiler_text": "Needles", "visibility": "public", "language": "en",
        "uri": format!("https://mastodon.example/users/hospital/statuses/{id}"),
        "url": format!("https://mastodon.example/@hospital/{id}"),
        "replies_count": 0, "reblogs_count": 0, "favourites_count": 0,
        "content": "<p>Get your flu shot.</p>", "account": {"id": "1", "username": "hospital"},
        "media_attachments": [], "mentions": [], "tags": [], "emojis": []
    })
}

async fn send(
    p: &MastodonPublisher,
    key: &str,
) -> Result<healthcast::publish::Receipt, PublishError> {
    let post = post();
    let r = rendered("Get your flu shot.");
    let at: DateTime<Utc> = Utc::now();
    p.publish(&PublishContext {
        image: None,
        key,
        post: &post,
        rendered: &r,
        at,
    })
    .await
}

/// The request schema of POST /api/v1/statuses, from the platform's OpenAPI
/// document (tests/fixtures/specs, extracted from ../shared/specs).
fn assert_body_matches_the_openapi_schema(body: &Value) {
    let spec: Value =
        serde_json::from_str(include_str!("fixtures/specs/mastodon-post-statuses.json")).unwrap();
    let mut properties = spec["BaseStatus"]["properties"]
        .as_object()
        .unwrap()
        .clone();
    let text_part = &spec["TextStatus"]["allOf"][1];
    properties.extend(text_part["properties"].as_object().unwrap().clone());
    for required in text_part["required"].as_array().unwrap() {
        assert!(
            body.get(required.as_str().unwrap()).is_some(),
            "missing required {required}"
        );
    }
    for (key, value) in body.as_object().unwrap() {
        let declared = properties
            .get(key)
            .unwrap_or_else(|| panic!("`{key}` is not a field of POST /api/v1/statuses"));
        if declared["type"] == "string" {
            assert!(value.is_string(), "`{key}` must be a string");
        }
    }
}

#[tokio::test]
async fn a_status_is_posted_with_the_api_contract() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(status_json("109372843234")))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let receipt = send(
        &publisher(&server, &dir, Duration::from_secs(5)),
        "tips/flu@mastodon@2026-11-24T14:00:00Z",
    )
    .await
    .unwrap();
    assert_eq!(receipt.remote_id, "109372843234");
    assert_eq!(
        receipt.url.as_deref(),
        Some("https://mastodon.example/@hospital/109372843234")
    );

    let requests = server.received_requests().await.unwrap();
    let request = &requests[0];
    assert_eq!(
        request.headers.get("content-type").unwrap(),
        "application/json"
    );
    assert_eq!(
        request
            .headers
            .get("idempotency-key")
            .unwrap()
            .to_str()
            .unwrap(),
        idempotency_key("tips/flu@mastodon@2026-11-24T14:00:00Z")
    );
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        json!({"status": "Get your flu shot.", "visibility": "public", "language": "en", "spoiler_text": "Needles"})
    );
    assert_body_matches_the_openapi_schema(&body);
}

#[tokio::test]
async fn the_same_publication_always_sends_the_same_idempotency_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(status_json("1")))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    for key in ["a@m@1", "a@m@1", "b@m@1"] {
        send(&p, key).await.unwrap();
    }
    let keys: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            r.headers
                .get("idempotency-key")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(keys[0], keys[1]);
    assert_ne!(keys[0], keys[2]);
}

#[tokio::test]
async fn answers_are_classified_and_never_carry_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let reset = "2026-11-24T14:05:00.000Z";
    let cases: Vec<(ResponseTemplate, &str)> = vec![
        (
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": "The access token is invalid"})),
            "auth",
        ),
        (
            ResponseTemplate::new(422).set_body_json(
                json!({"error": "Validation failed: Text character limit of 500 exceeded"}),
            ),
            "permanent",
        ),
        (
            ResponseTemplate::new(429)
                .insert_header("X-RateLimit-Limit", "300")
                .insert_header("X-RateLimit-Remaining", "0")
                .insert_header("X-RateLimit-Reset", reset)
                .set_body_json(json!({"error": "Too many requests"})),
            "rate",
        ),
        (
            ResponseTemplate::new(500).set_body_string("<html>Internal Server Error</html>"),
            "retry",
        ),
        (
            ResponseTemplate::new(503).set_body_json(json!({"error": "Service Unavailable"})),
            "retry",
        ),
    ];
    for (response, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(response)
            .mount(&server)
            .await;
        let error = send(&publisher(&server, &dir, Duration::from_secs(5)), "k")
            .await
            .unwrap_err();
        assert!(
            !format!("{error} {error:?}").contains(TOKEN),
            "token leaked in {error:?}"
        );
        match (expected, &error) {
            ("auth", PublishError::Auth(m)) => {
                assert!(m.contains("401") && m.contains("access token is invalid"))
            }
            ("permanent", PublishError::Permanent(m)) => assert!(m.contains("character limit")),
            (
                "rate",
                PublishError::RateLimited {
                    reset: Some(at), ..
                },
            ) => {
                assert_eq!(*at, DateTime::parse_from_rfc3339(reset).unwrap().to_utc())
            }
            ("retry", PublishError::Retryable(_)) => {}
            _ => panic!("expected {expected}, got {error:?}"),
        }
    }
}

#[tokio::test]
async fn a_server_that_does_not_answer_in_time_is_a_retryable_unknown() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(status_json("1"))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let error = send(&publisher(&server, &dir, Duration::from_millis(300)), "k")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PublishError::Retryable(m) if m.contains("may have been created")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_refused_connection_says_nothing_was_sent() {
    // A port that was free a moment ago: nothing listens there now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        base_url: format!("http://127.0.0.1:{port}"),
        token: token_file(&dir),
        visibility: Visibility::Public,
        max_characters: 500,
    };
    let p = MastodonPublisher::new(
        "mastodon",
        &settings,
        HttpCore::new(Duration::from_secs(2)).unwrap(),
    )
    .unwrap();
    let error = send(&p, "k").await.unwrap_err();
    assert!(
        matches!(&error, PublishError::Retryable(m) if m.contains("nothing was sent")),
        "{error:?}"
    );
}

#[test]
fn plain_http_to_a_remote_instance_and_literal_tokens_are_configuration_errors() {
    let repo = common::TempRepo::new();
    repo.tip("a");
    repo.write(
        "schedules/channels.yaml",
        "timezone: UTC\nchannels:\n  site-feed: { platform: feed, path: public/feed.xml, title: T }\n  mastodon:\n    platform: mastodon\n    base_url: http://mastodon.example\n    token: env:MASTODON_TOKEN\n  other:\n    platform: mastodon\n    base_url: https://mastodon.example\n    token: abcdef0123456789\n",
    );
    let out = common::healthcast()
        .arg("--repo")
        .arg(repo.path())
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, u64)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        found.contains(&("config/insecure-endpoint".to_string(), 6)),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(c, _)| c == "config/invalid" || c == "secrets/token"),
        "{found:?}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("abcdef0123456789"),
        "the literal token is not repeated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_once_publishes_news_to_mastodon_and_records_the_status() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .respond_with(ResponseTemplate::new(200).set_body_json(status_json("4242")))
        .expect(1)
        .mount(&server)
        .await;
    let repo = common::TempRepo::new();
    let dir = tempfile::tempdir().unwrap();
    let SecretRef::File(token) = token_file(&dir) else {
        unreachable!()
    };
    repo.write(
        "schedules/channels.yaml",
        &format!(
            "timezone: UTC\nchannels:\n  site-feed: {{ platform: feed, path: public/feed.xml, title: T }}\n  mastodon: {{ platform: mastodon, base_url: \"{}\", token: \"file:{}\" }}\ngroups:\n  public: [site-feed, mastodon]\n",
            server.uri(),
            token.display()
        ),
    );
    repo.news("due", Utc::now() - TimeDelta::minutes(2));
    let out = tokio::task::spawn_blocking({
        let root = repo.path().to_path_buf();
        move || {
            common::healthcast()
                .arg("--repo")
                .arg(root)
                .args(["run", "--once"])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("published 2, failed 0"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = common::healthcast()
        .arg("--repo")
        .arg(repo.path())
        .args(["status", "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&status.stdout).unwrap();
    let mastodon = v["recent"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["channel"] == "mastodon")
        .unwrap()
        .clone();
    assert_eq!(mastodon["remote_id"], "4242");
    assert_eq!(mastodon["url"], "https://mastodon.example/@hospital/4242");
    assert!(!String::from_utf8_lossy(&out.stderr).contains(TOKEN));
}

/// Answers each status with the next id, as a server would.
struct Counting(std::sync::atomic::AtomicUsize);

impl wiremock::Respond for Counting {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(status_json(&format!("10{n}")))
    }
}

#[tokio::test]
async fn a_thread_is_posted_as_replies_each_with_its_own_idempotency_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(Counting(std::sync::atomic::AtomicUsize::new(0)))
        .expect(3)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let post = post();
    let mut r = rendered("One. Two. Three.");
    r.parts = vec!["1/3 One.".into(), "2/3 Two.".into(), "3/3 Three.".into()];
    let receipt = p
        .publish(&PublishContext {
            image: None,
            key: "t@m@1",
            post: &post,
            rendered: &r,
            at: Utc::now(),
        })
        .await
        .unwrap();
    assert_eq!(
        receipt.remote_id, "101",
        "the receipt is the thread's first status"
    );
    let requests = server.received_requests().await.unwrap();
    let bodies: Vec<Value> = requests
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(bodies[0].get("in_reply_to_id"), None);
    assert_eq!(bodies[1]["in_reply_to_id"], "101");
    assert_eq!(bodies[2]["in_reply_to_id"], "102");
    assert_eq!(bodies[2]["status"], "3/3 Three.");
    for body in &bodies {
        assert_body_matches_the_openapi_schema(body);
    }
    let keys: std::collections::BTreeSet<_> = requests
        .iter()
        .map(|r| {
            r.headers
                .get("idempotency-key")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(keys.len(), 3);
}
