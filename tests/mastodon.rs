//! The Mastodon adapter against a real HTTP server on loopback (wiremock):
//! the exact request contract (method, path, bearer token, Idempotency-Key,
//! JSON body checked against the API's OpenAPI schema), the platform's answers
//! and error shapes (401, 422, 429 with its rate-limit header, 500, a
//! timeout, a refused connection), and the daemon publishing through it.
//! Images: the multipart upload to /api/v2/media (checked against the
//! OpenAPI document), waiting while the server processes it (202, then 206
//! until 200, bounded), and `media_ids` on the first status of a thread.

mod common;
#[path = "fixtures/multipart.rs"]
mod multipart;

use chrono::{DateTime, TimeDelta, Utc};
use healthcast::content;
use healthcast::publish::http::{HttpCore, Poll};
use healthcast::publish::mastodon::{MastodonPublisher, Settings, Visibility, idempotency_key};
use healthcast::publish::{Image, PublishContext, PublishError, Publisher, Sent};
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
        max_characters: Some(500),
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
/// document (tests/fixtures/specs, extracted from ../shared/specs): a
/// TextStatus, or a MediaStatus when the body has `media_ids`.
fn assert_body_matches_the_openapi_schema(body: &Value) {
    let spec: Value =
        serde_json::from_str(include_str!("fixtures/specs/mastodon-post-statuses.json")).unwrap();
    let media: Value = media_spec();
    let mut properties = spec["BaseStatus"]["properties"]
        .as_object()
        .unwrap()
        .clone();
    let own_part = if body.get("media_ids").is_some() {
        &media["MediaStatus"]["allOf"][1]
    } else {
        &spec["TextStatus"]["allOf"][1]
    };
    properties.extend(own_part["properties"].as_object().unwrap().clone());
    for required in own_part["required"].as_array().unwrap() {
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
        if declared["type"] == "array" {
            let items = value
                .as_array()
                .unwrap_or_else(|| panic!("`{key}` must be an array"));
            if declared["items"]["type"] == "string" {
                assert!(items.iter().all(Value::is_string), "`{key}`: strings");
            }
        }
    }
}

/// POST /api/v2/media, GET /api/v1/media/{id} and MediaStatus, extracted
/// from ../shared/specs/mastodon-openapi.json.
fn media_spec() -> Value {
    serde_json::from_str(include_str!("fixtures/specs/mastodon-media.json")).unwrap()
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
async fn a_server_that_does_not_answer_in_time_may_have_posted_and_gets_no_answer() {
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
        matches!(&error, PublishError::NoAnswer(m) if m.contains("may have been created")),
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
        max_characters: Some(500),
    };
    let p = MastodonPublisher::new(
        "mastodon",
        &settings,
        HttpCore::new(Duration::from_secs(2)).unwrap(),
    )
    .unwrap();
    let error = send(&p, "k").await.unwrap_err();
    assert!(
        matches!(&error, PublishError::NotPosted(m) if m.contains("could not connect")),
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
    let log = repo.run_once().await;
    assert!(log.contains("published 2, failed 0"), "{log}");
    let v = repo.status();
    let mastodon = v["recent"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["channel"] == "mastodon")
        .unwrap()
        .clone();
    assert_eq!(mastodon["remote_id"], "4242");
    assert_eq!(mastodon["url"], "https://mastodon.example/@hospital/4242");
    assert!(!log.contains(TOKEN));
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

// ---------------------------------------------------------------------------
// Images.

const MEDIA_ID: &str = "22348641";
const ALT: &str = "A nurse gives a flu shot in the upper arm.";

fn image() -> Image {
    Image {
        bytes: multipart::PNG_1X1.to_vec(),
        mime: "image/png",
        alt: ALT.into(),
        file_name: "flu-shot.png".into(),
    }
}

/// The media attachment the spec's example shows (the 202 answer: no URL
/// yet), with `url` filled in once processed.
fn media_json(processed: bool) -> Value {
    let mut media = media_spec()["MediaAttachment202Example"].clone();
    media["id"] = json!(MEDIA_ID);
    if processed {
        media["url"] = json!("https://files.mastodon.example/media/flu-shot.png");
    }
    media
}

async fn send_with_image(
    p: &MastodonPublisher,
    r: &Rendered,
) -> Result<healthcast::publish::Receipt, PublishError> {
    let post = post();
    let image = image();
    p.publish(&PublishContext {
        image: Some(&image),
        key: "tips/flu@mastodon@2026-11-24T14:00:00Z",
        post: &post,
        rendered: r,
        at: Utc::now(),
    })
    .await
}

/// The upload request: multipart with the parts the OpenAPI document
/// declares for POST /api/v2/media, `file` carrying the image.
fn assert_media_upload(request: &wiremock::Request) {
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), "/api/v2/media");
    assert_eq!(
        request.headers.get("authorization").unwrap(),
        format!("Bearer {TOKEN}").as_str()
    );
    let parts = multipart::form_parts(request);
    let spec = media_spec();
    let schema =
        &spec["POST /api/v2/media"]["requestBody"]["content"]["multipart/form-data"]["schema"];
    for required in schema["required"].as_array().unwrap() {
        multipart::part(&parts, required.as_str().unwrap());
    }
    for part in &parts {
        let declared = schema["properties"]
            .get(&part.name)
            .unwrap_or_else(|| panic!("`{}` is not a part of POST /api/v2/media", part.name));
        // Binary parts are files; the others are plain text.
        assert_eq!(
            declared["format"] == "binary",
            part.file_name.is_some(),
            "{}",
            part.name
        );
    }
    let file = multipart::part(&parts, "file");
    assert_eq!(file.file_name.as_deref(), Some("flu-shot.png"));
    assert_eq!(file.content_type.as_deref(), Some("image/png"));
    assert_eq!(file.data, multipart::PNG_1X1);
    let description = multipart::part(&parts, "description");
    assert_eq!(description.text(), ALT);
    assert_eq!(description.file_name, None);
}

fn short_poll(attempts: u32) -> Poll {
    Poll {
        interval: Duration::from_millis(20),
        attempts,
    }
}

#[tokio::test]
async fn an_image_is_uploaded_and_attached_to_the_first_status_of_a_thread_only() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/media"))
        .respond_with(ResponseTemplate::new(200).set_body_json(media_json(true)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .respond_with(Counting(std::sync::atomic::AtomicUsize::new(0)))
        .expect(2)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let mut r = rendered("One. Two.");
    r.parts = vec!["1/2 One.".into(), "2/2 Two.".into()];
    let receipt = send_with_image(&p, &r).await.unwrap();
    assert_eq!(receipt.remote_id, "101");

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 3);
    assert_media_upload(&requests[0]);
    let first: Value = serde_json::from_slice(&requests[1].body).unwrap();
    let second: Value = serde_json::from_slice(&requests[2].body).unwrap();
    assert_eq!(
        first,
        json!({"status": "1/2 One.", "visibility": "public", "language": "en",
               "spoiler_text": "Needles", "media_ids": [MEDIA_ID]})
    );
    assert_eq!(second.get("media_ids"), None, "{second}");
    assert_eq!(second["in_reply_to_id"], "101");
    assert_body_matches_the_openapi_schema(&first);
    assert_body_matches_the_openapi_schema(&second);
}

/// Answers GET /api/v1/media/{id} with 206 `pending` times, then 200.
struct Processing {
    pending: usize,
    seen: std::sync::atomic::AtomicUsize,
}

impl wiremock::Respond for Processing {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        let n = self.seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if n < self.pending {
            ResponseTemplate::new(206).set_body_json(media_json(false))
        } else {
            ResponseTemplate::new(200).set_body_json(media_json(true))
        }
    }
}

#[tokio::test]
async fn media_still_processing_is_awaited_before_the_status_is_posted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/media"))
        .respond_with(ResponseTemplate::new(202).set_body_json(media_json(false)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/media/{MEDIA_ID}")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(Processing {
            pending: 2,
            seen: std::sync::atomic::AtomicUsize::new(0),
        })
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .respond_with(ResponseTemplate::new(200).set_body_json(status_json("777")))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5)).with_media_poll(short_poll(10));
    let receipt = send_with_image(&p, &rendered("Get your flu shot."))
        .await
        .unwrap();
    assert_eq!(receipt.remote_id, "777");

    let requests = server.received_requests().await.unwrap();
    let order: Vec<String> = requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    assert_eq!(
        order,
        [
            "POST /api/v2/media",
            "GET /api/v1/media/22348641",
            "GET /api/v1/media/22348641",
            "GET /api/v1/media/22348641",
            "POST /api/v1/statuses",
        ]
    );
    assert_media_upload(&requests[0]);
    let status: Value = serde_json::from_slice(&requests[4].body).unwrap();
    assert_eq!(status["media_ids"], json!([MEDIA_ID]));
    assert_body_matches_the_openapi_schema(&status);
}

#[tokio::test]
async fn media_that_never_finishes_is_retryable_after_the_bounded_checks() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/media"))
        .respond_with(ResponseTemplate::new(202).set_body_json(media_json(false)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/media/{MEDIA_ID}")))
        .respond_with(ResponseTemplate::new(206))
        .expect(4)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .respond_with(ResponseTemplate::new(200).set_body_json(status_json("1")))
        .expect(0)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5)).with_media_poll(short_poll(4));
    let started = std::time::Instant::now();
    let error = send_with_image(&p, &rendered("Get your flu shot."))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PublishError::Retryable(m) if m.contains(MEDIA_ID) && m.contains("4 checks")),
        "{error:?}"
    );
    assert!(!format!("{error:?}").contains(TOKEN));
    assert!(
        started.elapsed() >= Duration::from_millis(80),
        "4 waits of 20 ms"
    );
    // The default is bounded too: at most 10 checks, 500 ms apart.
    assert_eq!(
        healthcast::publish::mastodon::MEDIA_POLL,
        Poll {
            interval: Duration::from_millis(500),
            attempts: 10
        }
    );
}

#[tokio::test]
async fn a_refused_upload_or_a_failed_check_posts_no_status() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(ResponseTemplate, Option<ResponseTemplate>, &str)> = vec![
        (
            ResponseTemplate::new(422)
                .set_body_json(json!({"error": "Validation failed: File content type is invalid"})),
            None,
            "permanent",
        ),
        (
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": "This action is outside the authorized scopes"})),
            None,
            "auth",
        ),
        (
            ResponseTemplate::new(503).set_body_json(json!({"error": "Service Unavailable"})),
            None,
            "retry",
        ),
        (
            ResponseTemplate::new(202).set_body_json(media_json(false)),
            Some(
                ResponseTemplate::new(422)
                    .set_body_json(json!({"error": "Media processing failed"})),
            ),
            "permanent",
        ),
        (
            ResponseTemplate::new(202).set_body_json(json!({"id": "../statuses", "type": "image"})),
            None,
            "permanent",
        ),
    ];
    for (upload, check, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/api/v2/media"))
            .respond_with(upload)
            .expect(1)
            .mount(&server)
            .await;
        if let Some(check) = check {
            Mock::given(method("GET"))
                .respond_with(check)
                .expect(1)
                .mount(&server)
                .await;
        }
        Mock::given(method("POST"))
            .and(path("/api/v1/statuses"))
            .respond_with(ResponseTemplate::new(200).set_body_json(status_json("1")))
            .expect(0)
            .mount(&server)
            .await;
        let p = publisher(&server, &dir, Duration::from_secs(5)).with_media_poll(short_poll(3));
        let error = send_with_image(&p, &rendered("Get your flu shot."))
            .await
            .unwrap_err();
        assert!(!format!("{error} {error:?}").contains(TOKEN));
        match (expected, &error) {
            ("permanent", PublishError::Permanent(_))
            | ("auth", PublishError::Auth(_))
            | ("retry", PublishError::Retryable(_)) => {}
            _ => panic!("expected {expected}, got {error:?}"),
        }
    }
}

// ---------------------------------------------------------------------------
// The instance's own limit.

/// `GET /api/v2/instance` as Mastodon 4 answers it, trimmed to what the
/// schema requires of `configuration.statuses`.
fn instance_json(max_characters: usize) -> Value {
    json!({
        "domain": "mastodon.example", "title": "Hospital", "version": "4.3.0",
        "configuration": {"statuses": {
            "max_characters": max_characters, "max_media_attachments": 4,
            "characters_reserved_per_url": 23
        }}
    })
}

#[tokio::test]
async fn the_instance_limit_is_read_unless_configured() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/instance"))
        .respond_with(ResponseTemplate::new(200).set_body_json(instance_json(1000)))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let unset = Settings {
        base_url: server.uri(),
        token: token_file(&dir),
        visibility: Visibility::Public,
        max_characters: None,
    };
    let p = MastodonPublisher::new("m", &unset, HttpCore::new(Duration::from_secs(5)).unwrap())
        .unwrap();
    assert_eq!(p.discover_limit().await, Ok(Some(1000)));
    // A configured limit wins and the instance is not asked (`expect(1)`).
    let configured = publisher(&server, &dir, Duration::from_secs(5));
    assert_eq!(configured.discover_limit().await, Ok(None));
}

#[tokio::test]
async fn an_instance_that_cannot_say_its_limit_is_an_error_to_retry() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/instance"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"error": "down"})))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        base_url: server.uri(),
        token: token_file(&dir),
        visibility: Visibility::Public,
        max_characters: None,
    };
    let p = MastodonPublisher::new(
        "m",
        &settings,
        HttpCore::new(Duration::from_secs(5)).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        p.discover_limit().await,
        Err(PublishError::Retryable(_))
    ));
}

/// A news item of about 700 graphemes: over a default instance's 500.
fn long_news(at: DateTime<Utc>) -> String {
    let reviewed = (Utc::now() - TimeDelta::days(2)).format("%Y-%m-%d");
    format!(
        "---\ntitle: Long news\nkind: news\npublish_at: {}\nchannels: [public]\nsources: [https://www.cdc.gov/flu/]\nreview: {{ by: \"Dr. Test, MD\", on: {reviewed} }}\n---\n{}\n",
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "Wash your hands with soap. ".repeat(26).trim_end()
    )
}

/// Runs `run --once` on a repo whose Mastodon channel sets no limit, against
/// an instance that states `limit`; answers the statuses posted.
async fn run_long_news_against_instance(limit: usize) -> (String, Vec<Value>) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/instance"))
        .respond_with(ResponseTemplate::new(200).set_body_json(instance_json(limit)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .respond_with(ResponseTemplate::new(200).set_body_json(status_json("5151")))
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
            "timezone: UTC\nchannels:\n  mastodon: {{ platform: mastodon, base_url: \"{}\", token: \"file:{}\" }}\ngroups:\n  public: [mastodon]\n",
            server.uri(),
            token.display()
        ),
    );
    repo.write(
        "content/news/long.md",
        &long_news(Utc::now() - TimeDelta::minutes(2)),
    );
    let log = repo.run_once().await;
    let statuses = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/api/v1/statuses")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    (log, statuses)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_counts_against_the_limit_the_instance_states() {
    let (log, statuses) = run_long_news_against_instance(1000).await;
    assert!(log.contains("published 1, failed 0"), "{log}");
    assert_eq!(statuses.len(), 1, "{log}");
    let text = statuses[0]["status"].as_str().unwrap();
    assert!(text.chars().count() > 500, "{text}");
    // The same post on an instance that keeps the default is held, not cut.
    let (log, statuses) = run_long_news_against_instance(500).await;
    assert!(statuses.is_empty(), "{statuses:?}");
    assert!(log.contains("too long for the channel"), "{log}");
}

// ---------------------------------------------------------------------------
// Reading back after a crash.

/// A status as Mastodon 4 renders the text below into HTML: paragraphs,
/// a line break, a link split into visible and invisible spans, a hashtag
/// and a remote mention shown as `@user`, entities escaped.
const SENT: &str = "Flu shots: walk in, no appointment & no cost.\nAsk @pharmacy@health.example\n\nhttps://www.cdc.gov/flu/prevent/flushot.htm #FluSeason";
const SHOWN: &str = "<p>Flu shots: walk in, no appointment &amp; no cost.<br />Ask <span class=\"h-card\" translate=\"no\"><a href=\"https://health.example/@pharmacy\" class=\"u-url mention\">@<span>pharmacy</span></a></span></p><p><a href=\"https://www.cdc.gov/flu/prevent/flushot.htm\" target=\"_blank\" rel=\"nofollow noopener\" translate=\"no\"><span class=\"invisible\">https://www.</span><span class=\"ellipsis\">cdc.gov/flu/prevent/flushot.ht</span><span class=\"invisible\">m</span></a> <a href=\"https://m.example/tags/FluSeason\" class=\"mention hashtag\" rel=\"tag\">#<span>FluSeason</span></a></p>";

#[test]
fn the_html_mastodon_shows_reads_back_as_the_text_sent() {
    use healthcast::publish::mastodon::comparable;
    assert_eq!(comparable(SHOWN), comparable(SENT));
    assert_ne!(
        comparable(SHOWN),
        comparable(&SENT.replace("no cost", "a cost"))
    );
    assert_eq!(
        comparable("a &lt;b&gt; &#39;c&#x27; &unknown; &"),
        "a <b> 'c' &unknown; &"
    );
}

fn posted(id: &str, content: &str, created_at: &str) -> Value {
    let mut status = status_json(id);
    status["content"] = json!(content);
    status["created_at"] = json!(created_at);
    status
}

#[tokio::test]
async fn lookup_reads_the_account_s_latest_statuses_back_and_compares_the_text() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts/verify_credentials"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "109"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts/109/statuses"))
        .and(wiremock::matchers::query_param("limit", "40"))
        .and(wiremock::matchers::query_param("exclude_reblogs", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            posted("3", "<p>Something else.</p>", "2026-11-24T14:00:02.000Z"),
            posted("2", SHOWN, "2026-11-24T14:00:01.000Z"),
            // The same text a week earlier is another publication.
            posted("1", SHOWN, "2026-11-17T14:00:00.000Z"),
        ])))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let mut r = rendered(SENT);
    r.parts = vec![SENT.to_string()];
    let fingerprint = p.fingerprint(&r).unwrap();
    let claimed_at: DateTime<Utc> = "2026-11-24T14:00:00Z".parse().unwrap();
    let sent = Sent {
        key: "k",
        claimed_at,
        fingerprint: Some(&fingerprint),
        taken: &[],
    };
    let found = p.lookup(&sent).await.unwrap().unwrap();
    assert_eq!(found.remote_id, "2");
    // Claimed after the matching status: not this publication's.
    let later = Sent {
        claimed_at: claimed_at + TimeDelta::hours(1),
        ..sent
    };
    assert_eq!(p.lookup(&later).await.unwrap(), None);
    // The matching status is recorded for another publication (the same
    // tip, repeated): not this one.
    let other = ["2".to_string()];
    let taken = Sent {
        taken: &other,
        ..sent
    };
    assert_eq!(p.lookup(&taken).await.unwrap(), None);
    // Without a fingerprint the adapter cannot tell.
    assert!(p.lookup(&Sent::key("k")).await.is_err());
}

/// A busy account: more statuses since the claim than one page holds. The
/// read-back goes on with `max_id` until it reaches the claim; absence is
/// only proven then, and an account too busy to read back to the claim
/// cannot tell.
#[tokio::test]
async fn lookup_reads_page_after_page_back_to_the_claim_before_it_says_absent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts/verify_credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "109"})))
        .mount(&server)
        .await;
    // 200 statuses a second apart after 14:00:00, newest first; the one
    // wanted is the 90th newest, on the third page.
    let all: Vec<Value> = (1..=200u32)
        .rev()
        .map(|n| {
            let content = if n == 111 {
                SHOWN.to_string()
            } else {
                format!("<p>Status {n}.</p>")
            };
            posted(
                &n.to_string(),
                &content,
                &format!("2026-11-24T14:{:02}:{:02}.000Z", n / 60, n % 60),
            )
        })
        .collect();
    let pages = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let asked = pages.clone();
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts/109/statuses"))
        .respond_with(move |request: &wiremock::Request| {
            asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let max_id: Option<u32> = request
                .url
                .query_pairs()
                .find(|(k, _)| k == "max_id")
                .and_then(|(_, v)| v.parse().ok());
            let page: Vec<&Value> = all
                .iter()
                .filter(|s| {
                    max_id.is_none_or(|max| s["id"].as_str().unwrap().parse::<u32>().unwrap() < max)
                })
                .take(40)
                .collect();
            ResponseTemplate::new(200).set_body_json(page)
        })
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let mut r = rendered(SENT);
    r.parts = vec![SENT.to_string()];
    let fingerprint = p.fingerprint(&r).unwrap();
    let sent = Sent {
        key: "k",
        claimed_at: "2026-11-24T14:00:00Z".parse().unwrap(),
        fingerprint: Some(&fingerprint),
        taken: &[],
    };
    let found = p.lookup(&sent).await.unwrap().unwrap();
    assert_eq!(found.remote_id, "111");
    assert_eq!(pages.load(std::sync::atomic::Ordering::SeqCst), 3);

    // Another text, claimed at 14:06 (five minutes' skew: from 14:01): the
    // fourth page reaches statuses older than that, so it is absent.
    let other = p.fingerprint(&rendered("Never sent.")).unwrap();
    let absent = Sent {
        claimed_at: "2026-11-24T14:06:00Z".parse().unwrap(),
        fingerprint: Some(&other),
        ..sent
    };
    assert_eq!(p.lookup(&absent).await.unwrap(), None);

    // Claimed at 14:00: five full pages, all since the claim, and more may
    // follow: it cannot tell.
    let earlier = Sent {
        claimed_at: "2026-11-24T14:00:00Z".parse().unwrap(),
        ..absent
    };
    let error = p.lookup(&earlier).await.unwrap_err();
    assert!(
        matches!(&error, PublishError::Retryable(m) if m.contains("too many to read back")),
        "{error:?}"
    );
}
