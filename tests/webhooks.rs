//! The webhook adapters (generic JSON webhook, Slack, Discord, Teams) against a
//! real HTTP server on loopback (wiremock): each request contract exactly,
//! the escaping of each platform's markup, their error shapes, a timeout, and
//! secrets (webhook URLs, the HMAC key) in none of the errors.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use healthcast::content;
use healthcast::publish::discord::{self, DiscordPublisher};
use healthcast::publish::http::HttpCore;
use healthcast::publish::slack::{self, SlackPublisher};
use healthcast::publish::teams::{self, TeamsPublisher};
use healthcast::publish::webhook::{self, WebhookPublisher, key_hash};
use healthcast::publish::{PublishContext, PublishError, Publisher, Receipt};
use healthcast::render;
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
        image: None,
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

/// An error-answer table run against a fresh server per case.
async fn classify(
    make: impl Fn(&MockServer) -> Box<dyn Publisher>,
    response: ResponseTemplate,
) -> (PublishError, String) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(response)
        .mount(&server)
        .await;
    let p = make(&server);
    let the_post = post("", "Hi.\n");
    let error = publish(p.as_ref(), &the_post, &plain("Hi."))
        .await
        .unwrap_err();
    (error, server.uri())
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
async fn a_webhook_that_does_not_answer_in_time_may_have_posted_and_gets_no_answer() {
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
        matches!(&error, PublishError::NoAnswer(m) if m.contains("may have been created")),
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

// --- Slack ------------------------------------------------------------------

const SLACK_PATH: &str = "/services/T000/B000/XXXXslacksecretXXXX";

fn slack_publisher(
    server: &MockServer,
    dir: &tempfile::TempDir,
    timeout: Duration,
) -> SlackPublisher {
    let url = format!("{}{SLACK_PATH}", server.uri());
    SlackPublisher::new(
        "slack",
        &slack::Settings {
            webhook: secret_file(dir, "slack", &url),
        },
        http(timeout),
    )
    .unwrap()
}

#[tokio::test]
async fn slack_gets_mrkdwn_text_and_the_receipt_is_the_key_hash() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SLACK_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let the_post = post(
        "link: https://hospital.example/flu\ncontent_warning: Needles\nhashtags: [FluSeason]\n",
        "Get your **flu shot** _now_ at [the clinic](https://hospital.example/clinic?a=1&b=2).\n",
    );
    let rendered = render::slack::render(&the_post);
    let receipt = publish(
        &slack_publisher(&server, &dir, Duration::from_secs(5)),
        &the_post,
        &rendered,
    )
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
    assert_eq!(
        request.headers.get("content-type").unwrap(),
        "application/json"
    );
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        json!({"text": "CW: Needles\n\nGet your *flu shot* _now_ at <https://hospital.example/clinic?a=1&amp;b=2|the clinic>.\n\nhttps://hospital.example/flu\n\n#FluSeason"})
    );
}

#[test]
fn mrkdwn_is_escaped_as_slack_requires() {
    let table = [
        ("<script>alert(1)</script>\n", ""),
        ("a < b & c > d\n", "a &lt; b &amp; c &gt; d"),
        ("Ping <!channel> now\n", "Ping  now"),
        ("Ping &lt;!channel&gt; now\n", "Ping &lt;!channel&gt; now"),
        ("`x < y`\n", "`x &lt; y`"),
        ("~~old~~ **new**\n", "~old~ *new*"),
        (
            "[a|b](https://x.example/?p=a|b)\n",
            "<https://x.example/?p=a%7Cb|a|b>",
        ),
        ("[x](javascript:alert(1))\n", "x"),
        ("# Title\n\n- one\n- two\n", "*Title*\n\n• one\n• two"),
    ];
    for (markdown, expected) in table {
        assert_eq!(
            render::slack::text(&post("", markdown)),
            expected,
            "for {markdown:?}"
        );
    }
}

#[tokio::test]
async fn slack_errors_are_classified_and_never_show_the_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(ResponseTemplate, &str)> = vec![
        (
            ResponseTemplate::new(400).set_body_string("invalid_payload"),
            "permanent",
        ),
        (
            ResponseTemplate::new(404).set_body_string("no_service"),
            "auth",
        ),
        (
            ResponseTemplate::new(403).set_body_string("invalid_token"),
            "auth",
        ),
        (
            ResponseTemplate::new(410).set_body_string("channel_is_archived"),
            "archived",
        ),
        (
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "30")
                .set_body_string("rate_limited"),
            "rate",
        ),
        (
            ResponseTemplate::new(500).set_body_string("rollup_error"),
            "retry",
        ),
    ];
    for (response, expected) in cases {
        let (error, uri) = classify(
            |s| Box::new(slack_publisher(s, &dir, Duration::from_secs(5))),
            response,
        )
        .await;
        assert_hidden(&error, &[SLACK_PATH, "slacksecret", &uri]);
        match (expected, &error) {
            ("permanent", PublishError::Permanent(m)) => assert!(m.contains("invalid_payload")),
            ("auth", PublishError::Auth(_)) => {}
            ("archived", PublishError::Permanent(m)) => assert!(m.contains("channel_is_archived")),
            ("rate", PublishError::RateLimited { reset: Some(_), .. }) => {}
            ("retry", PublishError::Retryable(_)) => {}
            _ => panic!("expected {expected}, got {error:?}"),
        }
    }
}

#[tokio::test]
async fn slack_timeouts_and_refusals_never_show_the_webhook() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let the_post = post("", "Hi.\n");
    let error = publish(
        &slack_publisher(&server, &dir, Duration::from_millis(300)),
        &the_post,
        &plain("Hi."),
    )
    .await
    .unwrap_err();
    assert_hidden(&error, &[SLACK_PATH, "slacksecret"]);
    assert!(
        matches!(&error, PublishError::NoAnswer(m) if m.contains("may have been created")),
        "{error:?}"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p = SlackPublisher::new(
        "slack",
        &slack::Settings {
            webhook: secret_file(
                &dir,
                "dead",
                &format!("http://127.0.0.1:{port}{SLACK_PATH}"),
            ),
        },
        http(Duration::from_secs(2)),
    )
    .unwrap();
    let error = publish(&p, &the_post, &plain("Hi.")).await.unwrap_err();
    assert_hidden(&error, &[SLACK_PATH, "slacksecret"]);
    assert!(matches!(&error, PublishError::NotPosted(m) if m.contains("could not connect")));
}

#[test]
fn an_insecure_webhook_url_is_refused_without_showing_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = "http://hooks.slack.example/services/T/B/slacksecret";
    let err = SlackPublisher::new(
        "slack",
        &slack::Settings {
            webhook: secret_file(&dir, "slack", url),
        },
        http(Duration::from_secs(1)),
    )
    .err()
    .unwrap();
    assert!(
        err.contains("https") && !err.contains("slacksecret"),
        "{err}"
    );
    let err = DiscordPublisher::new(
        "discord",
        &discord::Settings {
            webhook: secret_file(&dir, "discord", "not a url slacksecret"),
        },
        http(Duration::from_secs(1)),
    )
    .err()
    .unwrap();
    assert!(!err.contains("slacksecret"), "{err}");
}

// --- Discord ----------------------------------------------------------------

const DISCORD_PATH: &str = "/api/webhooks/1234/discordSECRETtoken";

fn discord_publisher(server: &MockServer, dir: &tempfile::TempDir) -> DiscordPublisher {
    let url = format!("{}{DISCORD_PATH}", server.uri());
    DiscordPublisher::new(
        "discord",
        &discord::Settings {
            webhook: secret_file(dir, "discord", &url),
        },
        http(Duration::from_secs(5)),
    )
    .unwrap()
}

#[tokio::test]
async fn discord_gets_content_with_wait_true_and_no_mentions() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(DISCORD_PATH))
        .and(wiremock::matchers::query_param("wait", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "1309100000000000001", "type": 0, "channel_id": "77", "content": "…",
            "webhook_id": "1234", "author": {"id": "1234", "username": "healthcast", "bot": true}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let the_post = post(
        "content_warning: Needles\n",
        "Get your **flu_shot** at https://hospital.example/a_b_c @everyone\n\n# not a heading\n",
    );
    let rendered = discord::render(&the_post);
    let receipt = publish(&discord_publisher(&server, &dir), &the_post, &rendered)
        .await
        .unwrap();
    assert_eq!(
        receipt,
        Receipt {
            remote_id: "1309100000000000001".into(),
            url: None
        }
    );
    let body: Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(
        body,
        json!({
            "content": "CW: Needles\n\nGet your flu\\_shot at https://hospital.example/a_b_c @everyone\n\nnot a heading",
            "allowed_mentions": {"parse": []}
        })
    );
    assert_eq!(rendered.limit, Some(2000));
}

#[test]
fn discord_markdown_is_escaped_outside_urls() {
    let table = [
        (
            "*x* _y_ ~z~ `c` |s|",
            "\\*x\\* \\_y\\_ \\~z\\~ \\`c\\` \\|s\\|",
        ),
        ("# h\n> q\n- l", "\\# h\n\\> q\n\\- l"),
        ("a - b > c", "a - b \\> c"),
        ("see https://x.example/a_*b*", "see https://x.example/a_*b*"),
        ("[x](http://evil.example)", "\\[x\\](http://evil.example)"),
    ];
    for (text, expected) in table {
        assert_eq!(discord::escape(text), expected, "for {text:?}");
    }
}

#[tokio::test]
async fn discord_errors_are_classified_and_never_show_the_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(ResponseTemplate, &str)> = vec![
        (
            ResponseTemplate::new(429).set_body_json(
                json!({"message": "You are being rate limited.", "retry_after": 64.57, "global": false}),
            ),
            "rate",
        ),
        (
            ResponseTemplate::new(401)
                .set_body_json(json!({"message": "Invalid Webhook Token", "code": 50027})),
            "auth",
        ),
        (
            ResponseTemplate::new(404)
                .set_body_json(json!({"message": "Unknown Webhook", "code": 10015})),
            "auth",
        ),
        (
            ResponseTemplate::new(400).set_body_json(json!({
                "message": "Invalid Form Body", "code": 50035,
                "errors": {"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]}}
            })),
            "permanent",
        ),
        (ResponseTemplate::new(502), "retry"),
    ];
    for (response, expected) in cases {
        let before = Utc::now();
        let (error, uri) = classify(|s| Box::new(discord_publisher(s, &dir)), response).await;
        assert_hidden(&error, &[DISCORD_PATH, "discordSECRET", &uri]);
        match (expected, &error) {
            (
                "rate",
                PublishError::RateLimited {
                    reset: Some(at),
                    message,
                },
            ) => {
                assert!(*at >= before + TimeDelta::milliseconds(64_570), "{at}");
                assert!(*at <= Utc::now() + TimeDelta::milliseconds(64_570), "{at}");
                assert!(message.contains("rate limited"));
            }
            ("auth", PublishError::Auth(_)) => {}
            ("permanent", PublishError::Permanent(m)) => assert!(m.contains("Invalid Form Body")),
            ("retry", PublishError::Retryable(_)) => {}
            _ => panic!("expected {expected}, got {error:?}"),
        }
    }
}

// --- Teams ------------------------------------------------------------------

const TEAMS_PATH: &str = "/workflows/abc/triggers/manual/paths/invoke";
const TEAMS_SIG: &str = "teamsSIGsecret";

fn teams_publisher(server: &MockServer, dir: &tempfile::TempDir) -> TeamsPublisher {
    let url = format!("{}{TEAMS_PATH}?api-version=1&sig={TEAMS_SIG}", server.uri());
    TeamsPublisher::new(
        "teams",
        &teams::Settings {
            webhook: secret_file(dir, "teams", &url),
        },
        http(Duration::from_secs(5)),
    )
    .unwrap()
}

#[tokio::test]
async fn teams_gets_an_adaptive_card() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TEAMS_PATH))
        .and(wiremock::matchers::query_param("sig", TEAMS_SIG))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let the_post = post(
        "link: https://hospital.example/flu\ncontent_warning: Needles\n",
        "Get your **flu shot**.\n",
    );
    let rendered = teams::render(&the_post);
    let receipt = publish(&teams_publisher(&server, &dir), &the_post, &rendered)
        .await
        .unwrap();
    assert_eq!(
        receipt,
        Receipt {
            remote_id: key_hash(KEY),
            url: None
        }
    );
    let body: Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(
        body,
        json!({"type": "message", "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard", "version": "1.4",
                "body": [
                    {"type": "TextBlock", "text": "Flu shots", "weight": "Bolder", "wrap": true},
                    {"type": "TextBlock", "text": "CW: Needles\n\nGet your flu shot.\n\nhttps://hospital.example/flu", "wrap": true}
                ],
                "actions": [{"type": "Action.OpenUrl", "title": "Read more", "url": "https://hospital.example/flu"}]
            }
        }]})
    );
}

#[tokio::test]
async fn teams_errors_are_classified_and_never_show_the_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(ResponseTemplate, &str)> = vec![
        (
            ResponseTemplate::new(401).set_body_json(json!({"error": {"code": "DirectApiAuthorizationRequired", "message": "The request must be authenticated"}})),
            "auth",
        ),
        (
            ResponseTemplate::new(404).set_body_json(json!({"error": {"code": "WorkflowNotFound", "message": "The workflow could not be found."}})),
            "auth",
        ),
        (
            ResponseTemplate::new(400).set_body_json(json!({"error": {"code": "InvalidRequestContent", "message": "The input body for trigger 'manual' of type 'Request' did not match its schema definition."}})),
            "permanent",
        ),
        (ResponseTemplate::new(429).insert_header("Retry-After", "10"), "rate"),
    ];
    for (response, expected) in cases {
        let (error, uri) = classify(|s| Box::new(teams_publisher(s, &dir)), response).await;
        assert_hidden(&error, &[TEAMS_SIG, TEAMS_PATH, &uri]);
        match (expected, &error) {
            ("auth", PublishError::Auth(_)) => {}
            ("permanent", PublishError::Permanent(m)) => {
                assert!(m.contains("InvalidRequestContent"))
            }
            ("rate", PublishError::RateLimited { reset: Some(_), .. }) => {}
            _ => panic!("expected {expected}, got {error:?}"),
        }
    }
}
