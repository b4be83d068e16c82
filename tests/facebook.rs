//! The Facebook Page adapter against a real HTTP server on loopback
//! (wiremock): the exact request contract of `POST /{version}/{page}/feed`
//! (a form with the token in the body, never the URL), the receipt, the
//! Graph API error codes table, a timeout, and the token never appearing in
//! an error.

use chrono::Utc;
use healthcast::content;
use healthcast::publish::facebook::{FacebookPublisher, MAX_LENGTH, Settings, length, render};
use healthcast::publish::http::HttpCore;
use healthcast::publish::{PublishContext, PublishError, Publisher, Receipt};
use healthcast::render::Rendered;
use healthcast::secret::SecretRef;
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

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
async fn a_server_that_does_not_answer_in_time_is_a_retryable_unknown() {
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
        matches!(&error, PublishError::Retryable(m) if m.contains("may have been created")),
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
