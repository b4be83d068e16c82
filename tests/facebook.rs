//! The Facebook Page adapter against a real HTTP server on loopback
//! (wiremock): the exact request contract of `POST /{version}/{page}/feed`
//! (a form with the token in the body, never the URL) and of a photo post
//! (`/photos`, multipart with `source`, `message`, `alt_text_custom`), the
//! receipts, the Graph API error codes table, a timeout, the token never
//! appearing in an error, and the read-back of the Page's feed after a lost
//! answer.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use healthcast::content;
use healthcast::publish::facebook::{
    FacebookPublisher, MAX_LENGTH, READ_BACK_LIMIT, Settings, length, read_back_text, render,
};
use healthcast::publish::http::HttpCore;
use healthcast::publish::{
    Image, PublishContext, PublishError, Publisher, Receipt, Sent, fingerprint_of,
};
use healthcast::render::Rendered;
use healthcast::secret::SecretRef;
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "EAAGfb-page-token-secret-555";
const PAGE: &str = "104857600123";

fn token_file(dir: &tempfile::TempDir) -> SecretRef {
    let file = dir.path().join("fb-token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    SecretRef::File(file)
}

fn settings(base: &str, dir: &tempfile::TempDir) -> Settings {
    Settings {
        graph_base: Some(base.to_string()),
        version: "v21.0".into(),
        page_id: PAGE.into(),
        page_token: token_file(dir),
    }
}

fn publisher(server: &MockServer, dir: &tempfile::TempDir, timeout: Duration) -> FacebookPublisher {
    FacebookPublisher::new(
        "facebook",
        &settings(&server.uri(), dir),
        HttpCore::new(timeout).unwrap(),
    )
    .unwrap()
}

fn post(front: &str, body: &str) -> content::Post {
    content::parse(
        "content/tips/flu.md",
        &format!("---\ntitle: Flu shots\nkind: tip\n{front}---\n{body}"),
    )
    .unwrap()
}

fn rendered(text: &str) -> Rendered {
    Rendered {
        text: text.into(),
        length: length(text),
        limit: Some(MAX_LENGTH),
        html: None,
        parts: vec![text.into()],
    }
}

async fn send_post(
    p: &FacebookPublisher,
    post: &content::Post,
    r: &Rendered,
) -> Result<Receipt, PublishError> {
    p.publish(&PublishContext {
        image: None,
        key: "tips/flu@facebook@2026-11-24T14:00:00Z",
        post,
        rendered: r,
        at: Utc::now(),
    })
    .await
}

async fn send(p: &FacebookPublisher, text: &str) -> Result<Receipt, PublishError> {
    send_post(p, &post("", "Hi.\n"), &rendered(text)).await
}

fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    let body = std::str::from_utf8(body).unwrap();
    reqwest::Url::parse(&format!("http://x/?{body}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[tokio::test]
async fn a_post_is_a_form_with_the_token_in_the_body_never_the_url() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v21.0/{PAGE}/feed")))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": format!("{PAGE}_987654321")})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let the_post = post(
        "link: https://hospital.example/flu?a=1&b=2\ncontent_warning: Needles\n",
        "Get your flu shot (free) & stay well.\n",
    );
    let r = render(&the_post, &settings(&server.uri(), &dir));
    let receipt = send_post(
        &publisher(&server, &dir, Duration::from_secs(5)),
        &the_post,
        &r,
    )
    .await
    .unwrap();
    assert_eq!(
        receipt,
        Receipt {
            remote_id: format!("{PAGE}_987654321"),
            url: Some(format!("https://www.facebook.com/{PAGE}_987654321")),
        }
    );
    let requests = server.received_requests().await.unwrap();
    let request = &requests[0];
    assert_eq!(request.url.query(), None, "nothing in the query string");
    assert!(!request.url.as_str().contains(TOKEN));
    assert!(request.headers.get("authorization").is_none());
    let text = "CW: Needles\n\nGet your flu shot (free) & stay well.\n\nhttps://hospital.example/flu?a=1&b=2";
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        form_pairs(&request.body),
        vec![
            pair("message", text),
            pair("link", "https://hospital.example/flu?a=1&b=2"),
            pair("access_token", TOKEN),
        ]
    );
}

#[tokio::test]
async fn without_a_link_no_link_field_is_sent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1_2"})))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    send(&publisher(&server, &dir, Duration::from_secs(5)), "Hi.")
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let keys: Vec<String> = form_pairs(&requests[0].body)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["message", "access_token"]);
}

#[test]
fn render_has_the_content_warning_first_the_limit_and_no_thread() {
    let s = Settings {
        graph_base: None,
        version: "v21.0".into(),
        page_id: PAGE.into(),
        page_token: SecretRef::Env("FB".into()),
    };
    let r = render(
        &post(
            "content_warning: Needles\nhashtags: [FluSeason]\n",
            "Get a **shot**.\n",
        ),
        &s,
    );
    assert_eq!(r.text, "CW: Needles\n\nGet a shot.\n\n#FluSeason");
    assert_eq!(r.parts, vec![r.text.clone()]);
    assert_eq!(r.limit, Some(63206));
    assert_eq!(r.length, r.text.chars().count());
    let long = render(&post("thread: true\n", &"Wash hands. ".repeat(6000)), &s);
    assert_eq!(long.parts.len(), 1);
    assert!(long.too_long());
    assert_eq!(length("😷"), 2, "UTF-16 code units");
}

#[tokio::test]
async fn too_long_posts_and_threads_are_refused_before_any_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1_2"})))
        .expect(0)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let error = send(&p, &"a".repeat(MAX_LENGTH + 1)).await.unwrap_err();
    assert!(
        matches!(&error, PublishError::Permanent(m) if m.contains("63207")),
        "{error:?}"
    );
    let mut thread = rendered("One. Two.");
    thread.parts = vec!["One.".into(), "Two.".into()];
    let error = send_post(&p, &post("", "x\n"), &thread).await.unwrap_err();
    assert!(
        matches!(&error, PublishError::Permanent(m) if m.contains("not a thread")),
        "{error:?}"
    );
}

fn graph_error(
    status: u16,
    code: i64,
    subcode: Option<i64>,
    kind: &str,
    message: &str,
) -> ResponseTemplate {
    let mut error = json!({
        "message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf123"
    });
    if let Some(sub) = subcode {
        error["error_subcode"] = json!(sub);
    }
    ResponseTemplate::new(status).set_body_json(json!({ "error": error }))
}

#[tokio::test]
async fn graph_error_codes_are_classified_and_never_carry_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(ResponseTemplate, &str, &str)> = vec![
        (
            graph_error(
                400,
                190,
                Some(463),
                "OAuthException",
                "Error validating access token: Session has expired",
            ),
            "auth",
            "code 190, subcode 463",
        ),
        (
            graph_error(
                400,
                190,
                None,
                "OAuthException",
                &format!("Malformed access token {TOKEN}"),
            ),
            "auth",
            "Malformed access token [redacted]",
        ),
        (
            graph_error(
                403,
                200,
                None,
                "OAuthException",
                "(#200) Requires pages_manage_posts permission",
            ),
            "auth",
            "pages_manage_posts",
        ),
        (
            graph_error(
                400,
                4,
                Some(1349210),
                "OAuthException",
                "(#4) Application request limit reached",
            ),
            "rate",
            "code 4",
        ),
        (
            graph_error(
                400,
                17,
                None,
                "OAuthException",
                "(#17) User request limit reached",
            ),
            "rate",
            "code 17",
        ),
        (
            graph_error(
                400,
                32,
                None,
                "OAuthException",
                "(#32) Page request limit reached",
            ),
            "rate",
            "code 32",
        ),
        (
            graph_error(
                400,
                613,
                None,
                "OAuthException",
                "(#613) Calls to this api have exceeded the rate limit.",
            ),
            "rate",
            "code 613",
        ),
        (
            graph_error(
                400,
                368,
                Some(1390008),
                "OAuthException",
                "It looks like you were misusing this feature by going too fast.",
            ),
            "permanent",
            "code 368",
        ),
        (
            graph_error(400, 100, None, "OAuthException", "(#100) Invalid parameter"),
            "permanent",
            "fbtrace_id AbCdEf123",
        ),
        (
            graph_error(
                500,
                1,
                None,
                "OAuthException",
                "An unknown error has occurred.",
            ),
            "retry",
            "code 1",
        ),
        (
            graph_error(
                503,
                2,
                None,
                "OAuthException",
                "An unexpected error has occurred. Please retry your request later.",
            ),
            "retry",
            "code 2",
        ),
        (
            graph_error(400, 506, None, "OAuthException", "Duplicate status message"),
            "permanent",
            "Duplicate status message",
        ),
        (
            ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"),
            "retry",
            "Bad Gateway",
        ),
    ];
    for (response, expected, needle) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(response)
            .mount(&server)
            .await;
        let error = send(&publisher(&server, &dir, Duration::from_secs(5)), "Hi.")
            .await
            .unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(TOKEN), "token leaked in {shown}");
        assert!(shown.contains(needle), "{needle:?} not in {shown}");
        match (expected, &error) {
            ("auth", PublishError::Auth(_)) => {}
            ("rate", PublishError::RateLimited { reset: None, .. }) => {}
            ("permanent", PublishError::Permanent(_)) => {}
            ("retry", PublishError::Retryable(_)) => {}
            _ => panic!("expected {expected} for {needle:?}, got {error:?}"),
        }
    }
}

#[tokio::test]
async fn a_success_without_an_id_says_the_post_may_exist() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let error = send(&publisher(&server, &dir, Duration::from_secs(5)), "Hi.")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PublishError::Permanent(m) if m.contains("may exist")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_server_that_does_not_answer_in_time_may_have_posted_and_gets_no_answer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "1_2"}))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let error = send(&publisher(&server, &dir, Duration::from_millis(300)), "Hi.")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PublishError::NoAnswer(m) if m.contains("may have been created")),
        "{error:?}"
    );
    assert!(!format!("{error} {error:?}").contains(TOKEN));
}

#[test]
fn bad_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let http = || HttpCore::new(Duration::from_secs(1)).unwrap();
    let mut s = settings("https://graph.facebook.com", &dir);
    s.version = "21.0".into();
    let err = FacebookPublisher::new("fb", &s, http()).err().unwrap();
    assert!(err.contains("`version`"), "{err}");
    let mut s = settings("https://graph.facebook.com", &dir);
    s.page_id = "hospital".into();
    let err = FacebookPublisher::new("fb", &s, http()).err().unwrap();
    assert!(err.contains("`page_id`"), "{err}");
    let err = FacebookPublisher::new("fb", &settings("http://graph.facebook.com", &dir), http())
        .err()
        .unwrap();
    assert!(err.contains("plain http"), "{err}");
    let mut s = settings("https://graph.facebook.com", &dir);
    s.graph_base = None;
    assert!(
        FacebookPublisher::new("fb", &s, http()).is_ok(),
        "default base"
    );
}

// ---------------------------------------------------------------- photos

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n-not-really-a-png-but-bytes-\x00\xff";

fn image(alt: &str) -> Image {
    Image {
        bytes: PNG.to_vec(),
        mime: "image/png",
        alt: alt.into(),
        file_name: "flu-clinic.png".into(),
    }
}

async fn send_image(
    p: &FacebookPublisher,
    post: &content::Post,
    r: &Rendered,
    image: &Image,
) -> Result<Receipt, PublishError> {
    p.publish(&PublishContext {
        image: Some(image),
        key: "tips/flu@facebook@2026-11-24T14:00:00Z",
        post,
        rendered: r,
        at: Utc::now(),
    })
    .await
}

/// One part of a multipart/form-data body.
#[derive(Debug, PartialEq)]
struct FormPart {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// The parts of a multipart/form-data request, in order (RFC 7578).
fn multipart(request: &Request) -> Vec<FormPart> {
    let content_type = request.headers["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("multipart/form-data"),
        "{content_type}"
    );
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .unwrap()
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let body = &request.body;
    let find = |from: usize, needle: &[u8]| {
        body[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| from + i)
    };
    let mut parts = Vec::new();
    let mut at = find(0, delimiter.as_bytes()).unwrap() + delimiter.len();
    while !body[at..].starts_with(b"--") {
        at += 2; // CRLF after the delimiter
        let head_end = find(at, b"\r\n\r\n").unwrap();
        let head = std::str::from_utf8(&body[at..head_end]).unwrap();
        let next = find(head_end, format!("\r\n{delimiter}").as_bytes()).unwrap();
        let mut part = FormPart {
            name: String::new(),
            file_name: None,
            content_type: None,
            body: body[head_end + 4..next].to_vec(),
        };
        for line in head.split("\r\n") {
            let (key, value) = line.split_once(':').unwrap();
            match key.to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    for field in value.split(';').map(str::trim) {
                        if let Some(v) = field.strip_prefix("name=") {
                            part.name = v.trim_matches('"').into();
                        } else if let Some(v) = field.strip_prefix("filename=") {
                            part.file_name = Some(v.trim_matches('"').into());
                        }
                    }
                }
                "content-type" => part.content_type = Some(value.trim().into()),
                _ => {}
            }
        }
        parts.push(part);
        at = next + 2 + delimiter.len();
    }
    parts
}

fn text_part(name: &str, value: &str) -> FormPart {
    FormPart {
        name: name.into(),
        file_name: None,
        content_type: None,
        body: value.as_bytes().to_vec(),
    }
}

#[tokio::test]
async fn an_image_is_a_photo_post_with_its_alt_text_and_the_receipt_is_the_post() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v21.0/{PAGE}/photos")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "555000111", "post_id": format!("{PAGE}_987654321")
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v21.0/{PAGE}/feed")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1_2"})))
        .expect(0)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let the_post = post(
        "link: https://hospital.example/flu\n",
        "Get your flu shot (free) & stay well.\n",
    );
    let r = render(&the_post, &settings(&server.uri(), &dir));
    let receipt = send_image(
        &publisher(&server, &dir, Duration::from_secs(5)),
        &the_post,
        &r,
        &image("  A nurse gives a flu shot to a smiling patient.  "),
    )
    .await
    .unwrap();
    assert_eq!(
        receipt,
        Receipt {
            remote_id: format!("{PAGE}_987654321"),
            url: Some(format!("https://www.facebook.com/{PAGE}_987654321")),
        },
        "the receipt is the post that shows the photo, not the photo"
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.url.query(), None, "nothing in the query string");
    assert!(!request.url.as_str().contains(TOKEN));
    assert!(request.headers.get("authorization").is_none());
    assert_eq!(
        multipart(request),
        vec![
            text_part(
                "message",
                "Get your flu shot (free) & stay well.\n\nhttps://hospital.example/flu"
            ),
            text_part(
                "alt_text_custom",
                "A nurse gives a flu shot to a smiling patient."
            ),
            text_part("access_token", TOKEN),
            FormPart {
                name: "source".into(),
                file_name: Some("flu-clinic.png".into()),
                content_type: Some("image/png".into()),
                body: PNG.to_vec(),
            },
        ],
        "no `link` field: a photo has none, and the link is in the message"
    );
}

#[tokio::test]
async fn a_photo_without_alt_text_sends_no_alt_field_and_without_post_id_the_photo_is_the_receipt()
{
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v21.0/{PAGE}/photos")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "555000111"})))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let receipt = send_image(
        &publisher(&server, &dir, Duration::from_secs(5)),
        &post("", "Hi.\n"),
        &rendered("Hi."),
        &image("   "),
    )
    .await
    .unwrap();
    assert_eq!(receipt.remote_id, "555000111");
    let requests = server.received_requests().await.unwrap();
    let names: Vec<String> = multipart(&requests[0])
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["message", "access_token", "source"]);
}

#[tokio::test]
async fn photo_post_errors_are_classified_and_only_a_refused_connection_is_safe_to_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(ResponseTemplate, &str)> = vec![
        (
            graph_error(400, 100, None, "OAuthException", "(#100) Invalid image"),
            "permanent",
        ),
        (
            graph_error(
                401,
                190,
                None,
                "OAuthException",
                &format!("Invalid OAuth access token {TOKEN}"),
            ),
            "auth",
        ),
        (
            ResponseTemplate::new(429).insert_header("Retry-After", "60"),
            "rate",
        ),
        (
            ResponseTemplate::new(500).set_body_string("Internal Server Error"),
            "retry",
        ),
    ];
    for (response, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(format!("/v21.0/{PAGE}/photos")))
            .respond_with(response)
            .expect(1)
            .mount(&server)
            .await;
        let error = send_image(
            &publisher(&server, &dir, Duration::from_secs(5)),
            &post("", "Hi.\n"),
            &rendered("Hi."),
            &image("alt"),
        )
        .await
        .unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(TOKEN), "token leaked in {shown}");
        // The photo request creates the post: an answer may mean it exists.
        assert!(!error.never_sent(), "{expected}: {error:?}");
        match (expected, &error) {
            ("permanent", PublishError::Permanent(_)) => {}
            ("auth", PublishError::Auth(_)) => {}
            ("rate", PublishError::RateLimited { reset: Some(_), .. }) => {}
            ("retry", PublishError::Retryable(m)) => assert!(m.contains("500"), "{m}"),
            _ => panic!("expected {expected}, got {error:?}"),
        }
    }

    // Nothing listens: nothing was sent, so it is safe to send again.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let p = FacebookPublisher::new(
        "facebook",
        &settings(&base, &dir),
        HttpCore::new(Duration::from_secs(5)).unwrap(),
    )
    .unwrap();
    let error = send_image(&p, &post("", "Hi.\n"), &rendered("Hi."), &image("alt"))
        .await
        .unwrap_err();
    assert!(error.never_sent(), "{error:?}");
}

// ------------------------------------------------------------- read-back

fn claimed() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 14, 0, 3).unwrap()
}

fn graph_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S+0000").to_string()
}

fn feed_post(id: &str, message: &str, at: DateTime<Utc>) -> Value {
    json!({
        "id": id,
        "message": message,
        "created_time": graph_time(at),
        "permalink_url": format!("https://www.facebook.com/{id}"),
    })
}

async fn feed_server(posts: Vec<Value>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v21.0/{PAGE}/feed")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": posts,
            "paging": {"cursors": {"before": "QVFI", "after": "QVFJ"}}
        })))
        .mount(&server)
        .await;
    server
}

async fn lookup(
    p: &FacebookPublisher,
    fingerprint: Option<&str>,
) -> Result<Option<Receipt>, PublishError> {
    let sent = Sent {
        key: "tips/flu@facebook@2026-11-24T14:00:00Z",
        claimed_at: claimed(),
        fingerprint,
        taken: &[],
    };
    p.lookup(&sent).await
}

#[tokio::test]
async fn a_lost_post_is_found_in_the_feed_by_the_fingerprint_of_its_message() {
    let text = "CW: Needles\n\nGet your flu shot (free) & stay well. Café 😷\n\nhttps://hospital.example/flu?a=1&b=2";
    let later = claimed() + TimeDelta::seconds(2);
    let server = feed_server(vec![
        // The same text last week (were the `since` filter not applied).
        feed_post(&format!("{PAGE}_1"), text, claimed() - TimeDelta::days(7)),
        feed_post(&format!("{PAGE}_3"), "Something else entirely.", later),
        // As Facebook may return it: decomposed é, CRLF, trailing newline.
        feed_post(
            &format!("{PAGE}_2"),
            &format!(
                "{}\n",
                text.replace("Café", "Cafe\u{301}").replace('\n', "\r\n")
            ),
            later,
        ),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let fingerprint = p.fingerprint(&rendered(text)).unwrap();
    assert_eq!(fingerprint, fingerprint_of(text), "NFC and trimmed already");
    let found = lookup(&p, Some(&fingerprint)).await.unwrap();
    assert_eq!(
        found,
        Some(Receipt {
            remote_id: format!("{PAGE}_2"),
            url: Some(format!("https://www.facebook.com/{PAGE}_2")),
        }),
        "the recent post, not last week's with the same text"
    );

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method.as_str(), "GET");
    assert_eq!(
        request.headers["authorization"].to_str().unwrap(),
        format!("Bearer {TOKEN}")
    );
    assert!(
        !request.url.as_str().contains(TOKEN),
        "token never in the URL"
    );
    let since = (claimed() - TimeDelta::minutes(5)).timestamp().to_string();
    let query: Vec<(String, String)> = request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        query,
        vec![
            pair("fields", "id,message,created_time,permalink_url"),
            pair("since", &since),
            pair("limit", "100"),
        ]
    );
}

#[tokio::test]
async fn a_post_that_is_not_in_the_feed_is_certainly_not_there() {
    let later = claimed() + TimeDelta::seconds(2);
    let server = feed_server(vec![
        // The same text last week (were the `since` filter not applied).
        feed_post(
            &format!("{PAGE}_1"),
            "Get your flu shot.",
            claimed() - TimeDelta::days(7),
        ),
        feed_post(&format!("{PAGE}_3"), "Something else entirely.", later),
        json!({"id": format!("{PAGE}_4"), "created_time": graph_time(later)}),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let fingerprint = p.fingerprint(&rendered("Get your flu shot.")).unwrap();
    assert_eq!(lookup(&p, Some(&fingerprint)).await, Ok(None));

    // A full page without the post cannot prove it is absent.
    let full: Vec<Value> = (0..READ_BACK_LIMIT)
        .map(|i| feed_post(&format!("{PAGE}_{i}"), &format!("Post {i}"), later))
        .collect();
    let server = feed_server(full).await;
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let error = lookup(&p, Some(&fingerprint)).await.unwrap_err();
    assert!(
        matches!(&error, PublishError::Permanent(m) if m.contains("cannot tell")),
        "{error:?}"
    );
}

#[tokio::test]
async fn without_a_fingerprint_the_lookup_cannot_tell_and_asks_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .expect(0)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let error = lookup(&p, None).await.unwrap_err();
    assert!(
        matches!(&error, PublishError::Permanent(m) if m.contains("fingerprint")),
        "{error:?}"
    );
    assert_eq!(
        p.fingerprint(&rendered("  \n ")),
        None,
        "no text, no fingerprint"
    );
}

#[tokio::test]
async fn read_back_errors_are_classified_and_never_carry_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(ResponseTemplate, &str)> = vec![
        (
            graph_error(
                400,
                190,
                None,
                "OAuthException",
                &format!("Malformed access token {TOKEN}"),
            ),
            "auth",
        ),
        (
            graph_error(
                403,
                10,
                None,
                "OAuthException",
                "(#10) pages_read_engagement",
            ),
            "auth",
        ),
        (
            graph_error(
                400,
                4,
                None,
                "OAuthException",
                "(#4) Application request limit",
            ),
            "rate",
        ),
        (ResponseTemplate::new(503), "retry"),
        (
            ResponseTemplate::new(200).set_body_string("<html>"),
            "permanent",
        ),
    ];
    for (response, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(query_param("limit", "100"))
            .respond_with(response)
            .mount(&server)
            .await;
        let error = lookup(
            &publisher(&server, &dir, Duration::from_secs(5)),
            Some("f00d"),
        )
        .await
        .unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(TOKEN), "token leaked in {shown}");
        match (expected, &error) {
            ("auth", PublishError::Auth(_)) => {}
            ("rate", PublishError::RateLimited { .. }) => {}
            ("retry", PublishError::Retryable(_)) => {}
            ("permanent", PublishError::Permanent(_)) => {}
            _ => panic!("expected {expected}, got {error:?}"),
        }
    }
}

#[test]
fn read_back_text_is_trimmed_nfc_with_lf_line_ends() {
    assert_eq!(read_back_text("  Cafe\u{301}\r\nok \n"), "Café\nok");
    assert_eq!(read_back_text("Café"), "Café");
}
