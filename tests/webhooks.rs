//! The webhook adapters (generic JSON webhook, Slack, Discord, Teams) against a
//! real HTTP server on loopback (wiremock): each request contract exactly,
//! the escaping of each platform's markup, their error shapes, a timeout, and
//! secrets (webhook URLs, the HMAC key) in none of the errors.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use healthcast::content;
use healthcast::publish::http::HttpCore;
use healthcast::publish::webhook::{self, WebhookPublisher, key_hash};
use healthcast::publish::{PublishContext, PublishError, Publisher, Receipt};
use healthcast::render::Rendered;
use healthcast::secret::SecretRef;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "tips/flu@website@2026-11-24T14:00:00Z";
const HMAC_SECRET: &str = "whsec-very-secret-4711";

fn secret_file(dir: &tempfile::TempDir, name: &str, value: &str) -> SecretRef {
    let file = dir.path().join(name);
    std::fs::write(&file, format!("{value}\n")).unwrap();
    SecretRef::File(file)
}

fn http(timeout: Duration) -> HttpCore {
    HttpCore::new(timeout).unwrap()
}

fn post(front: &str, body: &str) -> content::Post {
    content::parse(
        "content/tips/flu.md",
        &format!("---\ntitle: Flu shots\nkind: tip\nlang: en\n{front}---\n{body}"),
    )
    .unwrap()
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 14, 0, 0).unwrap()
}

fn plain(text: &str) -> Rendered {
    Rendered {
        text: text.into(),
        length: text.chars().count(),
        limit: None,
        html: None,
        parts: vec![text.into()],
    }
}

async fn publish(
    p: &dyn Publisher,
    post: &content::Post,
    rendered: &Rendered,
) -> Result<Receipt, PublishError> {
    p.publish(&PublishContext {
        key: KEY,
        post,
        rendered,
        at: at(),
    })
    .await
}

fn assert_hidden(error: &PublishError, secrets: &[&str]) {
    let shown = format!("{error} {error:?}");
    for secret in secrets {
        assert!(!shown.contains(secret), "{secret} leaked in {shown}");
    }
}

// --- The generic webhook ---------------------------------------------------

fn webhook_publisher(server: &MockServer, dir: &tempfile::TempDir) -> WebhookPublisher {
    WebhookPublisher::new(
        "website",
        &webhook::Settings {
            url: format!("{}/hooks/healthcast", server.uri()),
            secret: Some(secret_file(dir, "hmac", HMAC_SECRET)),
        },
        http(Duration::from_secs(5)),
    )
    .unwrap()
}

#[tokio::test]
async fn the_webhook_posts_the_documented_payload_signed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks/healthcast"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"id": 981, "url": "https://hospital.example/news/981"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let the_post = post(
        "link: https://hospital.example/flu\nhashtags: [FluSeason, \"#Health\"]\ncontent_warning: Needles\n",
        "Get your **flu shot**.\n",
    );
    let mut rendered = plain("Get your flu shot.");
    rendered.html = Some("<p>Get your <strong>flu shot</strong>.</p>".into());
    let receipt = publish(&webhook_publisher(&server, &dir), &the_post, &rendered)
        .await
        .unwrap();
    assert_eq!(
        receipt,
        Receipt {
            remote_id: "981".into(),
            url: Some("https://hospital.example/news/981".into())
        }
    );
    let requests = server.received_requests().await.unwrap();
    let request = &requests[0];
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(header("content-type").as_deref(), Some("application/json"));
    assert_eq!(header("idempotency-key"), Some(key_hash(KEY)));
    // The signature, checked the way a receiver would: HMAC of the raw body.
    let mut mac = Hmac::<Sha256>::new_from_slice(HMAC_SECRET.as_bytes()).unwrap();
    mac.update(&request.body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        header("x-healthcast-signature"),
        Some(format!("sha256={hex}"))
    );
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        json!({
            "key": KEY,
            "post": "tips/flu",
            "channel": "website",
            "at": "2026-11-24T14:00:00Z",
            "title": "Flu shots",
            "text": "Get your flu shot.",
            "html": "<p>Get your <strong>flu shot</strong>.</p>",
            "link": "https://hospital.example/flu",
            "hashtags": ["FluSeason", "Health"],
            "lang": "en",
            "content_warning": "Needles"
        })
    );
}

#[tokio::test]
async fn without_a_secret_nothing_is_signed_and_the_receipt_is_the_key_hash() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let p = WebhookPublisher::new(
        "website",
        &webhook::Settings {
            url: server.uri(),
            secret: None,
        },
        http(Duration::from_secs(5)),
    )
    .unwrap();
    let the_post = post("", "Get your **flu shot**.\n");
    let receipt = publish(&p, &the_post, &plain("Get your flu shot."))
        .await
        .unwrap();
    assert_eq!(
        receipt,
        Receipt {
            remote_id: key_hash(KEY),
            url: None
        }
    );
    let request = &server.received_requests().await.unwrap()[0];
    assert!(request.headers.get("x-healthcast-signature").is_none());
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    // No HTML from the renderer: the body's sanitized HTML is sent.
    assert_eq!(body["html"], "<p>Get your <strong>flu shot</strong>.</p>\n");
    assert_eq!(body["link"], Value::Null);
    assert_eq!(body["content_warning"], Value::Null);
    assert_eq!(body["hashtags"], json!([]));
}

#[tokio::test]
async fn webhook_answers_are_classified_and_never_show_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(ResponseTemplate, &str)> = vec![
        (ResponseTemplate::new(200).set_body_string("OK"), "ok"),
        (
            ResponseTemplate::new(401).set_body_string("bad signature"),
            "auth",
        ),
        (
            ResponseTemplate::new(429).insert_header("Retry-After", "120"),
            "rate",
        ),
        (ResponseTemplate::new(503), "retry"),
        (
            ResponseTemplate::new(422).set_body_json(json!({"error": "title too long"})),
            "permanent",
        ),
    ];
    for (response, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(response)
            .mount(&server)
            .await;
        let p = webhook_publisher(&server, &dir);
        let the_post = post("", "Hi.\n");
        let result = publish(&p, &the_post, &plain("Hi.")).await;
        let error = match (expected, result) {
            ("ok", Ok(receipt)) => {
                assert_eq!(receipt.remote_id, key_hash(KEY));
                continue;
            }
            (_, Ok(r)) => panic!("expected {expected}, got {r:?}"),
            (_, Err(e)) => e,
        };
        assert_hidden(&error, &[HMAC_SECRET]);
        match (expected, &error) {
            ("auth", PublishError::Auth(m)) => assert!(m.contains("bad signature")),
            (
                "rate",
                PublishError::RateLimited {
                    reset: Some(reset), ..
                },
            ) => assert!(*reset > Utc::now() + TimeDelta::seconds(100)),
            ("retry", PublishError::Retryable(_)) => {}
            ("permanent", PublishError::Permanent(m)) => assert!(m.contains("title too long")),
            _ => panic!("expected {expected}, got {error:?}"),
        }
    }
}

#[tokio::test]
async fn a_webhook_that_does_not_answer_in_time_is_a_retryable_unknown() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = WebhookPublisher::new(
        "website",
        &webhook::Settings {
            url: server.uri(),
            secret: Some(secret_file(&dir, "hmac", HMAC_SECRET)),
        },
        http(Duration::from_millis(300)),
    )
    .unwrap();
    let the_post = post("", "Hi.\n");
    let error = publish(&p, &the_post, &plain("Hi.")).await.unwrap_err();
    assert_hidden(&error, &[HMAC_SECRET]);
    assert!(
        matches!(&error, PublishError::Retryable(m) if m.contains("may have been created")),
        "{error:?}"
    );
}

#[test]
fn webhook_urls_must_be_https_or_loopback() {
    let err = WebhookPublisher::new(
        "website",
        &webhook::Settings {
            url: "http://hospital.example/hook".into(),
            secret: None,
        },
        http(Duration::from_secs(1)),
    )
    .err()
    .unwrap();
    assert!(err.contains("plain http"), "{err}");
}
