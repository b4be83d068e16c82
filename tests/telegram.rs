//! The Telegram adapter against a real HTTP server on loopback (wiremock):
//! the sendMessage contract (path with the bot token, JSON body with
//! parse_mode HTML, link preview, replies for a thread), the HTML escaping,
//! the Bot API's error shapes (429 with parameters.retry_after, 401, 400
//! "can't parse entities", 500), a timeout and a refused connection — and the
//! token, which is in the URL path, in none of the errors. Images: sendPhoto
//! as multipart with the HTML caption, and a caption over 1024 characters
//! sent as a message replying to the photo.

use chrono::{TimeDelta, Utc};
use healthcast::content;
use healthcast::publish::http::HttpCore;
use healthcast::publish::telegram::CAPTION_LIMIT;
use healthcast::publish::telegram::{Settings, TelegramPublisher};
use healthcast::publish::{Image, PublishContext, PublishError, Publisher, Receipt};
use healthcast::render::{self, Rendered};
use healthcast::secret::SecretRef;
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "123456789:AAHsecretTOKENvalue-x_y";

fn token_file(dir: &tempfile::TempDir) -> SecretRef {
    let file = dir.path().join("telegram-token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    SecretRef::File(file)
}

fn settings(api_base: String, dir: &tempfile::TempDir, chat_id: &str) -> Settings {
    Settings {
        bot_token: token_file(dir),
        chat_id: chat_id.into(),
        api_base: Some(api_base),
    }
}

fn publisher(server: &MockServer, dir: &tempfile::TempDir, timeout: Duration) -> TelegramPublisher {
    TelegramPublisher::new(
        "telegram",
        &settings(server.uri(), dir, "@hospital"),
        HttpCore::new(timeout).unwrap(),
    )
    .unwrap()
}

fn post(front: &str, body: &str) -> content::Post {
    content::parse(
        "content/tips/flu.md",
        &format!("---\ntitle: Flu shots\nkind: tip\nlang: en\n{front}---\n{body}"),
    )
    .unwrap()
}

fn message(id: i64) -> Value {
    json!({"ok": true, "result": {
        "message_id": id, "date": 1_795_000_000,
        "chat": {"id": -1001234567890_i64, "title": "Hospital", "username": "hospital", "type": "channel"},
        "text": "…"
    }})
}

async fn publish(
    p: &TelegramPublisher,
    post: &content::Post,
    rendered: &Rendered,
) -> Result<Receipt, PublishError> {
    p.publish(&PublishContext {
        image: None,
        key: "tips/flu@telegram@2026-11-24T14:00:00Z",
        post,
        rendered,
        at: Utc::now(),
    })
    .await
}

fn assert_no_token(error: &PublishError) {
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(TOKEN), "token leaked in {shown}");
    assert!(!shown.contains("AAHsecret"), "token leaked in {shown}");
}

#[tokio::test]
async fn a_message_is_sent_with_the_bot_api_contract() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/bot{TOKEN}/sendMessage")))
        .respond_with(ResponseTemplate::new(200).set_body_json(message(42)))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let post = post(
        "link: https://hospital.example/flu?a=1&b=2\ncontent_warning: Needles\nhashtags: [FluSeason]\n",
        "Get your **flu shot** before <b>December</b> & stay well.\n",
    );
    let rendered = render::telegram::render(&post);
    let receipt = publish(
        &publisher(&server, &dir, Duration::from_secs(5)),
        &post,
        &rendered,
    )
    .await
    .unwrap();
    assert_eq!(
        receipt,
        Receipt {
            remote_id: "42".into(),
            url: Some("https://t.me/hospital/42".into())
        }
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests[0].headers.get("content-type").unwrap(),
        "application/json"
    );
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(
        body,
        json!({
            "chat_id": "@hospital",
            "text": "CW: Needles\n\nGet your <b>flu shot</b> before December &amp; stay well.\n\nhttps://hospital.example/flu?a=1&amp;b=2\n\n#FluSeason",
            "parse_mode": "HTML",
            "link_preview_options": {"url": "https://hospital.example/flu?a=1&b=2"}
        })
    );
    // The limit is counted on what readers see.
    assert_eq!(
        rendered.text,
        "CW: Needles\n\nGet your flu shot before December & stay well.\n\nhttps://hospital.example/flu?a=1&b=2\n\n#FluSeason"
    );
    assert_eq!(rendered.length, rendered.text.chars().count());
    assert_eq!(rendered.limit, Some(4096));
}

#[test]
fn html_is_escaped_as_telegram_requires() {
    // (Markdown body, Telegram HTML)
    let table = [
        ("<script>alert(1)</script>\n", ""),
        ("Say <script>alert(1)</script> hi\n", "Say alert(1) hi"),
        ("a < b & c > d\n", "a &lt; b &amp; c &gt; d"),
        ("Tom &amp; Jerry &lt;3\n", "Tom &amp; Jerry &lt;3"),
        ("`if a < b && c`\n", "<code>if a &lt; b &amp;&amp; c</code>"),
        (
            "[1 < 2 & 3](https://x.example/?q=\"1\"&r=<2>)\n",
            "<a href=\"https://x.example/?q=&quot;1&quot;&amp;r=&lt;2&gt;\">1 &lt; 2 &amp; 3</a>",
        ),
        ("[x](javascript:alert(1))\n", "x"),
        ("**bold _both_**\n", "<b>bold <i>both</i></b>"),
        ("- one\n- two\n  - nested\n", "• one\n• two\n  • nested"),
        ("```\n<pre>\n```\n", "<pre>&lt;pre&gt;</pre>"),
    ];
    for (markdown, expected) in table {
        let html = render::telegram::html(&post("", markdown));
        assert_eq!(html, expected, "for {markdown:?}");
    }
}

#[test]
fn an_override_is_sent_verbatim_and_escaped() {
    let p = post(
        "overrides:\n  telegram:\n    text: \"<b>not bold</b> & more\"\n",
        "Body.\n",
    );
    assert_eq!(
        render::telegram::html(&p),
        "&lt;b&gt;not bold&lt;/b&gt; &amp; more"
    );
}

#[tokio::test]
async fn bot_api_errors_are_classified_and_never_carry_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let p_post = post("", "Hi.\n");
    let rendered = render::telegram::render(&p_post);
    let cases: Vec<(ResponseTemplate, &str)> = vec![
        (
            ResponseTemplate::new(429).set_body_json(json!({
                "ok": false, "error_code": 429,
                "description": "Too Many Requests: retry after 35",
                "parameters": {"retry_after": 35}
            })),
            "rate",
        ),
        (
            ResponseTemplate::new(401).set_body_json(
                json!({"ok": false, "error_code": 401, "description": "Unauthorized"}),
            ),
            "auth",
        ),
        (
            ResponseTemplate::new(400).set_body_json(json!({
                "ok": false, "error_code": 400,
                "description": "Bad Request: can't parse entities: Unsupported start tag \"script\" at byte offset 4"
            })),
            "permanent",
        ),
        (
            ResponseTemplate::new(400).set_body_json(json!({
                "ok": false, "error_code": 400,
                "description": "Bad Request: group chat was upgraded to a supergroup chat",
                "parameters": {"migrate_to_chat_id": -1009876543210_i64}
            })),
            "migrated",
        ),
        (
            ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"),
            "retry",
        ),
        (
            ResponseTemplate::new(200).set_body_string("not json"),
            "odd",
        ),
    ];
    for (response, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(response)
            .mount(&server)
            .await;
        let before = Utc::now();
        let error = publish(
            &publisher(&server, &dir, Duration::from_secs(5)),
            &p_post,
            &rendered,
        )
        .await
        .unwrap_err();
        assert_no_token(&error);
        match (expected, &error) {
            (
                "rate",
                PublishError::RateLimited {
                    reset: Some(at),
                    message,
                },
            ) => {
                assert!(*at >= before + TimeDelta::seconds(35), "{at}");
                assert!(*at <= Utc::now() + TimeDelta::seconds(35), "{at}");
                assert!(message.contains("Too Many Requests"));
            }
            ("auth", PublishError::Auth(m)) => {
                assert!(m.contains("401") && m.contains("Unauthorized"))
            }
            ("permanent", PublishError::Permanent(m)) => {
                assert!(m.contains("can't parse entities"), "{m}")
            }
            ("migrated", PublishError::Permanent(m)) => {
                assert!(m.contains("-1009876543210"), "{m}")
            }
            ("retry", PublishError::Retryable(_)) => {}
            ("odd", PublishError::Permanent(m)) => assert!(m.contains("unexpected answer")),
            _ => panic!("expected {expected}, got {error:?}"),
        }
    }
}

#[tokio::test]
async fn a_timeout_may_have_posted_and_gets_no_answer_without_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(message(1))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p_post = post("", "Hi.\n");
    let error = publish(
        &publisher(&server, &dir, Duration::from_millis(300)),
        &p_post,
        &render::telegram::render(&p_post),
    )
    .await
    .unwrap_err();
    assert_no_token(&error);
    assert!(
        matches!(&error, PublishError::NoAnswer(m) if m.contains("may have been created")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_refused_connection_does_not_show_the_url_with_the_token() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let p = TelegramPublisher::new(
        "telegram",
        &settings(format!("http://127.0.0.1:{port}"), &dir, "@hospital"),
        HttpCore::new(Duration::from_secs(2)).unwrap(),
    )
    .unwrap();
    let p_post = post("", "Hi.\n");
    let error = publish(&p, &p_post, &render::telegram::render(&p_post))
        .await
        .unwrap_err();
    assert_no_token(&error);
    assert!(
        matches!(&error, PublishError::NotPosted(m) if m.contains("could not connect")),
        "{error:?}"
    );
}

/// Answers each message with the next id.
struct Counting(std::sync::atomic::AtomicI64);

impl wiremock::Respond for Counting {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(message(100 + n))
    }
}

#[tokio::test]
async fn a_thread_is_sent_as_replies_to_the_message_before() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(Counting(std::sync::atomic::AtomicI64::new(0)))
        .expect(3)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p_post = post("link: https://hospital.example/flu\n", "x\n");
    let rendered = Rendered {
        text: "One. Two. Three.".into(),
        length: 16,
        limit: Some(4096),
        html: None,
        parts: vec!["1/3 One.".into(), "2/3 Two.".into(), "3/3 Three.".into()],
    };
    let receipt = publish(
        &publisher(&server, &dir, Duration::from_secs(5)),
        &p_post,
        &rendered,
    )
    .await
    .unwrap();
    assert_eq!(receipt.remote_id, "101");
    let bodies: Vec<Value> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(bodies[0]["text"], "1/3 One.");
    assert_eq!(bodies[0].get("reply_parameters"), None);
    assert_eq!(
        bodies[0]["link_preview_options"],
        json!({"url": "https://hospital.example/flu"})
    );
    assert_eq!(bodies[1]["reply_parameters"], json!({"message_id": 101}));
    assert_eq!(
        bodies[1]["link_preview_options"],
        json!({"is_disabled": true})
    );
    assert_eq!(bodies[2]["reply_parameters"], json!({"message_id": 102}));
}

#[tokio::test]
async fn a_thread_that_fails_half_way_says_how_much_was_posted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(message(7)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_json(
            json!({"ok": false, "error_code": 500, "description": "Internal Server Error"}),
        ))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p_post = post("", "x\n");
    let mut rendered = render::telegram::render(&p_post);
    rendered.parts = vec!["1/2 a".into(), "2/2 b".into()];
    let error = publish(
        &publisher(&server, &dir, Duration::from_secs(5)),
        &p_post,
        &rendered,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&error, PublishError::Retryable(m) if m.contains("part 2 of 2 failed, 1 already posted")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_numeric_chat_id_uses_the_chat_s_public_name_if_any() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"ok": true, "result": {"message_id": 5, "chat": {"id": -100, "type": "group"}}}),
        ))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = TelegramPublisher::new(
        "telegram",
        &settings(server.uri(), &dir, "-1001234567890"),
        HttpCore::new(Duration::from_secs(5)).unwrap(),
    )
    .unwrap();
    let p_post = post("", "Hi.\n");
    let receipt = publish(&p, &p_post, &render::telegram::render(&p_post))
        .await
        .unwrap();
    assert_eq!(
        receipt,
        Receipt {
            remote_id: "5".into(),
            url: None
        }
    );
    let body: Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(body["chat_id"], "-1001234567890");
}

#[test]
fn bad_settings_are_refused_without_showing_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let http = || HttpCore::new(Duration::from_secs(1)).unwrap();
    let err = TelegramPublisher::new(
        "t",
        &settings("http://api.telegram.example".into(), &dir, "@h"),
        http(),
    )
    .err()
    .unwrap();
    assert!(err.contains("plain http"), "{err}");
    let err = TelegramPublisher::new(
        "t",
        &settings("https://api.telegram.org".into(), &dir, "hospital"),
        http(),
    )
    .err()
    .unwrap();
    assert!(err.contains("chat_id"), "{err}");
    let bad = dir.path().join("bad");
    std::fs::write(&bad, "12/../x").unwrap();
    let err = TelegramPublisher::new(
        "t",
        &Settings {
            bot_token: SecretRef::File(bad),
            chat_id: "@h".into(),
            api_base: None,
        },
        http(),
    )
    .err()
    .unwrap();
    assert!(
        err.contains("not a bot token") && !err.contains("12/../x"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// Images.

#[path = "fixtures/multipart.rs"]
mod multipart;

fn image() -> Image {
    Image {
        bytes: multipart::PNG_1X1.to_vec(),
        mime: "image/png",
        alt: "A nurse gives a flu shot.".into(),
        file_name: "flu-shot.png".into(),
    }
}

async fn publish_with_image(
    p: &TelegramPublisher,
    post: &content::Post,
    rendered: &Rendered,
) -> Result<Receipt, PublishError> {
    let image = image();
    p.publish(&PublishContext {
        image: Some(&image),
        key: "tips/flu@telegram@2026-11-24T14:00:00Z",
        post,
        rendered,
        at: Utc::now(),
    })
    .await
}

/// The sendPhoto form: chat and photo always; caption and parse_mode
/// together or not at all.
fn assert_photo(request: &wiremock::Request, caption: Option<&str>) {
    assert_eq!(request.url.path(), format!("/bot{TOKEN}/sendPhoto"));
    let parts = multipart::form_parts(request);
    let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
    let mut expected = vec!["chat_id", "photo"];
    if caption.is_some() {
        expected.extend(["caption", "parse_mode"]);
    }
    assert_eq!(names, expected);
    assert_eq!(multipart::part(&parts, "chat_id").text(), "@hospital");
    let photo = multipart::part(&parts, "photo");
    assert_eq!(photo.file_name.as_deref(), Some("flu-shot.png"));
    assert_eq!(photo.content_type.as_deref(), Some("image/png"));
    assert_eq!(photo.data, multipart::PNG_1X1);
    if let Some(caption) = caption {
        assert_eq!(multipart::part(&parts, "caption").text(), caption);
        assert_eq!(multipart::part(&parts, "parse_mode").text(), "HTML");
    }
}

#[tokio::test]
async fn an_image_is_sent_as_a_photo_with_the_html_caption() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/bot{TOKEN}/sendPhoto")))
        .respond_with(ResponseTemplate::new(200).set_body_json(message(50)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/bot{TOKEN}/sendMessage")))
        .respond_with(ResponseTemplate::new(200).set_body_json(message(51)))
        .expect(0)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p_post = post(
        "link: https://hospital.example/flu\n",
        "Get your **flu shot** & stay well.\n",
    );
    let rendered = render::telegram::render(&p_post);
    let receipt = publish_with_image(
        &publisher(&server, &dir, Duration::from_secs(5)),
        &p_post,
        &rendered,
    )
    .await
    .unwrap();
    assert_eq!(
        receipt,
        Receipt {
            remote_id: "50".into(),
            url: Some("https://t.me/hospital/50".into())
        }
    );
    let requests = server.received_requests().await.unwrap();
    assert_photo(
        &requests[0],
        Some("Get your <b>flu shot</b> &amp; stay well.\n\nhttps://hospital.example/flu"),
    );
}

#[tokio::test]
async fn a_caption_over_1024_characters_goes_as_a_message_replying_to_the_photo() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(Counting(std::sync::atomic::AtomicI64::new(0)))
        .expect(2)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let body = "Wash your hands & stay well. ".repeat(40);
    let p_post = post("link: https://hospital.example/flu\n", &format!("{body}\n"));
    let rendered = render::telegram::render(&p_post);
    assert!(rendered.length > CAPTION_LIMIT && rendered.parts.len() == 1);
    let receipt = publish_with_image(
        &publisher(&server, &dir, Duration::from_secs(5)),
        &p_post,
        &rendered,
    )
    .await
    .unwrap();
    assert_eq!(receipt.remote_id, "101", "the receipt is the photo");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_photo(&requests[0], None);
    assert_eq!(requests[1].url.path(), format!("/bot{TOKEN}/sendMessage"));
    let text: Value = serde_json::from_slice(&requests[1].body).unwrap();
    assert_eq!(
        text,
        json!({
            "chat_id": "@hospital",
            "text": rendered.parts[0],
            "parse_mode": "HTML",
            "link_preview_options": {"url": "https://hospital.example/flu"},
            "reply_parameters": {"message_id": 101},
        })
    );
}

#[tokio::test]
async fn the_caption_limit_counts_what_readers_see() {
    // 1024 visible characters (5120 of HTML) fit; 1025 do not.
    for (n, captioned) in [(CAPTION_LIMIT, true), (CAPTION_LIMIT + 1, false)] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(Counting(std::sync::atomic::AtomicI64::new(0)))
            .mount(&server)
            .await;
        let dir = tempfile::tempdir().unwrap();
        let html = "&amp;".repeat(n);
        let rendered = Rendered {
            text: "&".repeat(n),
            length: n,
            limit: Some(4096),
            html: Some(html.clone()),
            parts: vec![html.clone(), "2/2 more".into()],
        };
        publish_with_image(
            &publisher(&server, &dir, Duration::from_secs(5)),
            &post("", "x\n"),
            &rendered,
        )
        .await
        .unwrap();
        let requests = server.received_requests().await.unwrap();
        let messages: Vec<Value> = requests[1..]
            .iter()
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect();
        if captioned {
            assert_photo(&requests[0], Some(&html));
            assert_eq!(messages.len(), 1, "the thread's second part");
            assert_eq!(messages[0]["text"], "2/2 more");
            assert_eq!(messages[0]["reply_parameters"], json!({"message_id": 101}));
        } else {
            assert_photo(&requests[0], None);
            assert_eq!(messages.len(), 2);
            assert_eq!(messages[0]["text"], html);
            assert_eq!(messages[0]["reply_parameters"], json!({"message_id": 101}));
            assert_eq!(messages[1]["reply_parameters"], json!({"message_id": 102}));
        }
    }
}

#[tokio::test]
async fn photo_failures_are_classified_name_no_token_and_count_the_photo_as_posted() {
    // The photo is refused.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "ok": false, "error_code": 400,
            "description": format!("Bad Request: IMAGE_PROCESS_FAILED for bot{TOKEN}")
        })))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p_post = post("", "Hi.\n");
    let error = publish_with_image(
        &publisher(&server, &dir, Duration::from_secs(5)),
        &p_post,
        &render::telegram::render(&p_post),
    )
    .await
    .unwrap_err();
    assert_no_token(&error);
    assert!(
        matches!(&error, PublishError::Permanent(m) if m.contains("IMAGE_PROCESS_FAILED")),
        "{error:?}"
    );

    // The photo went, the long text after it did not.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/bot{TOKEN}/sendPhoto")))
        .respond_with(ResponseTemplate::new(200).set_body_json(message(7)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/bot{TOKEN}/sendMessage")))
        .respond_with(ResponseTemplate::new(500).set_body_json(
            json!({"ok": false, "error_code": 500, "description": "Internal Server Error"}),
        ))
        .mount(&server)
        .await;
    let long = post("", &format!("{}\n", "Stay well. ".repeat(100)));
    let error = publish_with_image(
        &publisher(&server, &dir, Duration::from_secs(5)),
        &long,
        &render::telegram::render(&long),
    )
    .await
    .unwrap_err();
    assert_no_token(&error);
    assert!(
        matches!(&error, PublishError::Retryable(m) if m.contains("part 2 of 2 failed, 1 already posted")),
        "{error:?}"
    );
}
