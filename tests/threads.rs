//! The Threads adapter against a real HTTP server on loopback (wiremock):
//! the exact request contract of the two steps (a container, waited for,
//! then `threads_publish`, the token in the form body and never in a POST's
//! URL), the reply chain of a thread, images by public URL, the Graph API
//! error codes, a timeout, a container created whose publish fails, the
//! read-back by fingerprint, rendering at the 500 boundary, and the
//! configuration errors `check` reports.

mod common;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use healthcast::content;
use healthcast::publish::http::{HttpCore, Poll};
use healthcast::publish::threads::{MAX_LENGTH, Settings, ThreadsPublisher, normalise, render};
use healthcast::publish::{
    Image, PublishContext, PublishError, Publisher, Receipt, Sent, fingerprint_of,
};
use healthcast::render::{Rendered, length};
use healthcast::secret::SecretRef;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "THAAG-threads-user-token-secret-777";
const USER: &str = "17841400000000001";
const KEY: &str = "tips/flu@threads@2026-11-24T14:00:00Z";

fn token_file(dir: &tempfile::TempDir) -> SecretRef {
    let file = dir.path().join("threads-token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    SecretRef::File(file)
}

fn settings(base: &str, dir: &tempfile::TempDir) -> Settings {
    Settings {
        user_id: USER.into(),
        token: token_file(dir),
        version: None,
        api_base: Some(base.to_string()),
        image_base_url: None,
    }
}

const FAST: Poll = Poll {
    interval: Duration::from_millis(5),
    attempts: 5,
};

fn publisher_with(s: &Settings, timeout: Duration) -> ThreadsPublisher {
    ThreadsPublisher::new("threads", s, HttpCore::new(timeout).unwrap())
        .unwrap()
        .with_poll(FAST)
}

fn publisher(server: &MockServer, dir: &tempfile::TempDir) -> ThreadsPublisher {
    publisher_with(&settings(&server.uri(), dir), Duration::from_secs(5))
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
        length: length::threads(text),
        limit: Some(MAX_LENGTH),
        html: None,
        parts: vec![text.into()],
    }
}

async fn send_with(
    p: &ThreadsPublisher,
    post: &content::Post,
    r: &Rendered,
    image: Option<&Image>,
) -> Result<Receipt, PublishError> {
    p.publish(&PublishContext {
        image,
        key: KEY,
        post,
        rendered: r,
        at: Utc::now(),
    })
    .await
}

async fn send(p: &ThreadsPublisher, text: &str) -> Result<Receipt, PublishError> {
    send_with(p, &post("", "Hi.\n"), &rendered(text), None).await
}

fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    let body = std::str::from_utf8(body).unwrap();
    reqwest::Url::parse(&format!("http://x/?{body}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn query_pairs(request: &Request) -> Vec<(String, String)> {
    request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

fn form_value(request: &Request, key: &str) -> Option<String> {
    form_pairs(&request.body)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// A Threads server that works: containers `101`, `102`, … ; publishing
/// container `10n` gives post `100n`; every container is ready; every post
/// has a permalink.
async fn healthy(server: &MockServer) {
    let containers = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads")))
        .respond_with(move |_: &Request| {
            let n = containers.fetch_add(1, Ordering::SeqCst) + 1;
            ResponseTemplate::new(200).set_body_json(json!({"id": format!("{}", 100 + n)}))
        })
        .mount(server)
        .await;
    ready(server).await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads_publish")))
        .respond_with(|request: &Request| {
            let container = form_value(request, "creation_id").unwrap_or_default();
            ResponseTemplate::new(200).set_body_json(json!({"id": format!("{container}9")}))
        })
        .mount(server)
        .await;
    permalinks(server).await;
}

async fn ready(server: &MockServer) {
    Mock::given(method("GET"))
        .and(query_param("fields", "status,error_message"))
        .respond_with(|request: &Request| {
            let id = request.url.path().rsplit('/').next().unwrap_or_default();
            ResponseTemplate::new(200).set_body_json(json!({"status": "FINISHED", "id": id}))
        })
        .mount(server)
        .await;
}

async fn permalinks(server: &MockServer) {
    Mock::given(method("GET"))
        .and(query_param("fields", "permalink"))
        .respond_with(|request: &Request| {
            let id = request.url.path().rsplit('/').next().unwrap_or_default();
            ResponseTemplate::new(200).set_body_json(json!({
                "permalink": format!("https://www.threads.net/@examplehospital/post/P{id}"),
                "id": id
            }))
        })
        .mount(server)
        .await;
}

/// The requests the server received, as (method, path).
async fn calls(server: &MockServer) -> Vec<(String, String)> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| (r.method.to_string(), r.url.path().to_string()))
        .collect()
}

fn call(m: &str, p: &str) -> (String, String) {
    (m.to_string(), p.to_string())
}

#[tokio::test]
async fn a_post_is_a_container_waited_for_then_published_with_the_token_in_the_body() {
    let server = MockServer::start().await;
    healthy(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let the_post = post(
        "link: https://hospital.example/flu?a=1&b=2\ncontent_warning: Needles\n",
        "Get your flu shot (free) & stay well.\n",
    );
    let r = render(&the_post, &settings(&server.uri(), &dir));
    let receipt = send_with(&publisher(&server, &dir), &the_post, &r, None)
        .await
        .unwrap();
    assert_eq!(
        receipt,
        Receipt {
            remote_id: "1019".into(),
            url: Some("https://www.threads.net/@examplehospital/post/P1019".into()),
        }
    );
    assert_eq!(
        calls(&server).await,
        vec![
            call("POST", &format!("/v1.0/{USER}/threads")),
            call("GET", "/v1.0/101"),
            call("POST", &format!("/v1.0/{USER}/threads_publish")),
            call("GET", "/v1.0/1019"),
        ]
    );
    let requests = server.received_requests().await.unwrap();
    let text = "CW: Needles\n\nGet your flu shot (free) & stay well.\n\nhttps://hospital.example/flu?a=1&b=2";
    for post in [&requests[0], &requests[2]] {
        assert_eq!(post.url.query(), None, "nothing in a POST's query string");
        assert!(!post.url.as_str().contains(TOKEN));
        assert!(post.headers.get("authorization").is_none());
        assert_eq!(
            post.headers.get("content-type").unwrap(),
            "application/x-www-form-urlencoded"
        );
    }
    assert_eq!(
        form_pairs(&requests[0].body),
        vec![
            pair("media_type", "TEXT"),
            pair("text", text),
            pair("access_token", TOKEN),
        ]
    );
    assert_eq!(
        query_pairs(&requests[1]),
        vec![
            pair("fields", "status,error_message"),
            pair("access_token", TOKEN)
        ]
    );
    assert_eq!(
        form_pairs(&requests[2].body),
        vec![pair("creation_id", "101"), pair("access_token", TOKEN)]
    );
    assert_eq!(
        query_pairs(&requests[3]),
        vec![pair("fields", "permalink"), pair("access_token", TOKEN)]
    );
}

#[tokio::test]
async fn a_thread_is_a_chain_of_replies_each_to_the_post_before() {
    let server = MockServer::start().await;
    healthy(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let the_post = post(
        "thread: true\n",
        &"Wash your hands often with soap and water. ".repeat(30),
    );
    let r = render(&the_post, &settings(&server.uri(), &dir));
    assert!(r.parts.len() >= 3, "{:?}", r.parts);
    let receipt = send_with(&publisher(&server, &dir), &the_post, &r, None)
        .await
        .unwrap();
    assert_eq!(receipt.remote_id, "1019", "the receipt is the first post's");
    let requests = server.received_requests().await.unwrap();
    let creations: Vec<&Request> = requests
        .iter()
        .filter(|q| q.url.path() == format!("/v1.0/{USER}/threads"))
        .collect();
    assert_eq!(creations.len(), r.parts.len());
    for (index, creation) in creations.iter().enumerate() {
        let mut want = vec![pair("media_type", "TEXT"), pair("text", &r.parts[index])];
        if index > 0 {
            // Container 10n was published as post 10n9.
            want.push(pair("reply_to_id", &format!("{}9", 100 + index)));
        }
        want.push(pair("access_token", TOKEN));
        assert_eq!(form_pairs(&creation.body), want, "part {}", index + 1);
    }
    let published: Vec<String> = requests
        .iter()
        .filter(|q| q.url.path().ends_with("/threads_publish"))
        .filter_map(|q| form_value(q, "creation_id"))
        .collect();
    let want: Vec<String> = (1..=r.parts.len())
        .map(|n| format!("{}", 100 + n))
        .collect();
    assert_eq!(published, want, "each container published once, in order");
    let permalink_reads = requests
        .iter()
        .filter(|q| {
            q.url
                .query()
                .is_some_and(|s| s.contains("fields=permalink"))
        })
        .count();
    assert_eq!(permalink_reads, 1);
}

fn image(mime: &'static str) -> Image {
    Image {
        bytes: vec![0xFF, 0xD8, 0xFF],
        mime,
        alt: "A nurse gives a flu shot".into(),
        file_name: "flu shot.jpg".into(),
    }
}

#[tokio::test]
async fn an_image_goes_by_public_url_with_its_alt_text_or_not_at_all() {
    let with_image = "image: { path: images/flu shot.jpg, alt: A nurse gives a flu shot }\n";
    let dir = tempfile::tempdir().unwrap();
    // With image_base_url: an IMAGE container.
    let server = MockServer::start().await;
    healthy(&server).await;
    let mut s = settings(&server.uri(), &dir);
    s.image_base_url = Some("https://hospital.example/healthcast/".into());
    send_with(
        &publisher_with(&s, Duration::from_secs(5)),
        &post(with_image, "Hi.\n"),
        &rendered("Hi."),
        Some(&image("image/jpeg")),
    )
    .await
    .unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        form_pairs(&requests[0].body),
        vec![
            pair("media_type", "IMAGE"),
            pair(
                "image_url",
                "https://hospital.example/healthcast/images/flu%20shot.jpg"
            ),
            pair("alt_text", "A nurse gives a flu shot"),
            pair("text", "Hi."),
            pair("access_token", TOKEN),
        ]
    );
    // Without it, or for a type Threads does not take: text only.
    for (base, mime) in [
        (None, "image/jpeg"),
        (Some("https://hospital.example"), "image/webp"),
    ] {
        let server = MockServer::start().await;
        healthy(&server).await;
        let mut s = settings(&server.uri(), &dir);
        s.image_base_url = base.map(String::from);
        send_with(
            &publisher_with(&s, Duration::from_secs(5)),
            &post(with_image, "Hi.\n"),
            &rendered("Hi."),
            Some(&image(mime)),
        )
        .await
        .unwrap();
        let requests = server.received_requests().await.unwrap();
        assert_eq!(
            form_pairs(&requests[0].body),
            vec![
                pair("media_type", "TEXT"),
                pair("text", "Hi."),
                pair("access_token", TOKEN),
            ],
            "{base:?} {mime}"
        );
    }
}

#[tokio::test]
async fn a_container_in_progress_is_waited_for_and_one_in_error_is_never_published() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start().await;
    let checks = Arc::new(AtomicUsize::new(0));
    let seen = checks.clone();
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "101"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/101"))
        .respond_with(move |_: &Request| {
            let status = if seen.fetch_add(1, Ordering::SeqCst) < 2 {
                "IN_PROGRESS"
            } else {
                "FINISHED"
            };
            ResponseTemplate::new(200).set_body_json(json!({"status": status, "id": "101"}))
        })
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads_publish")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1019"})))
        .expect(1)
        .mount(&server)
        .await;
    permalinks(&server).await;
    send(&publisher(&server, &dir), "Hi.").await.unwrap();
    assert_eq!(checks.load(Ordering::SeqCst), 3);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "101"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/101"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status": "ERROR", "id": "101", "error_message": "UNKNOWN"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads_publish")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1019"})))
        .expect(0)
        .mount(&server)
        .await;
    let error = send(&publisher(&server, &dir), "Hi.").await.unwrap_err();
    assert!(
        matches!(&error, PublishError::Permanent(m) if m.contains("ERROR (UNKNOWN)")),
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

fn expect(expected: &str, needle: &str, error: &PublishError) {
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(TOKEN), "token leaked in {shown}");
    assert!(shown.contains(needle), "{needle:?} not in {shown}");
    match (expected, error) {
        ("auth", PublishError::Auth(_)) => {}
        ("rate", PublishError::RateLimited { .. }) => {}
        ("permanent", PublishError::Permanent(_)) => {}
        ("retry", PublishError::Retryable(_)) => {}
        _ => panic!("expected {expected} for {needle:?}, got {error:?}"),
    }
}

fn error_cases() -> Vec<(ResponseTemplate, &'static str, String)> {
    vec![
        (
            graph_error(
                400,
                190,
                Some(463),
                "OAuthException",
                "Error validating access token: Session has expired",
            ),
            "auth",
            "code 190, subcode 463".into(),
        ),
        (
            graph_error(
                400,
                190,
                None,
                "OAuthException",
                &format!("Invalid OAuth access token - Cannot parse access token {TOKEN}"),
            ),
            "auth",
            "Cannot parse access token [redacted]".into(),
        ),
        (
            ResponseTemplate::new(401).set_body_string("Unauthorized"),
            "auth",
            "HTTP 401".into(),
        ),
        (
            graph_error(
                403,
                10,
                None,
                "OAuthException",
                "(#10) The user has not granted threads_content_publish",
            ),
            "auth",
            "threads_content_publish".into(),
        ),
        (
            graph_error(
                400,
                4,
                None,
                "OAuthException",
                "(#4) Application request limit reached",
            ),
            "rate",
            "code 4".into(),
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
            "code 17".into(),
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
            "code 32".into(),
        ),
        (
            graph_error(
                400,
                613,
                None,
                "OAuthException",
                "(#613) Calls have exceeded the rate limit.",
            ),
            "rate",
            "code 613".into(),
        ),
        (
            graph_error(
                400,
                341,
                None,
                "OAuthException",
                "(#341) Application limit reached",
            ),
            "rate",
            "code 341".into(),
        ),
        (
            ResponseTemplate::new(429).set_body_string("Too Many Requests"),
            "rate",
            "HTTP 429".into(),
        ),
        (
            graph_error(400, 100, None, "THApiException", "(#100) Invalid parameter"),
            "permanent",
            "fbtrace_id AbCdEf123".into(),
        ),
        (
            graph_error(
                500,
                2,
                None,
                "OAuthException",
                "An unexpected error has occurred. Please retry your request later.",
            ),
            "retry",
            "code 2".into(),
        ),
        (
            ResponseTemplate::new(500).set_body_string("<html>Internal Server Error</html>"),
            "retry",
            "Internal Server Error".into(),
        ),
    ]
}

#[tokio::test]
async fn graph_errors_at_the_container_step_are_classified_and_never_carry_the_token() {
    let dir = tempfile::tempdir().unwrap();
    for (response, expected, needle) in error_cases() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(format!("/v1.0/{USER}/threads")))
            .respond_with(response)
            .mount(&server)
            .await;
        let error = send(&publisher(&server, &dir), "Hi.").await.unwrap_err();
        expect(expected, &needle, &error);
        assert_eq!(
            calls(&server).await.len(),
            1,
            "nothing after a refused container"
        );
    }
}

#[tokio::test]
async fn a_container_created_whose_publish_fails_is_classified_by_the_publish_answer() {
    let dir = tempfile::tempdir().unwrap();
    for (response, expected, needle) in error_cases() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(format!("/v1.0/{USER}/threads")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "101"})))
            .expect(1)
            .mount(&server)
            .await;
        ready(&server).await;
        Mock::given(method("POST"))
            .and(path(format!("/v1.0/{USER}/threads_publish")))
            .respond_with(response)
            .expect(1)
            .mount(&server)
            .await;
        let error = send(&publisher(&server, &dir), "Hi.").await.unwrap_err();
        expect(expected, &needle, &error);
    }
}

#[tokio::test]
async fn a_container_not_found_yet_is_published_again_a_bounded_number_of_times() {
    let dir = tempfile::tempdir().unwrap();
    let not_found = || {
        graph_error(
            400,
            24,
            Some(4279009),
            "OAuthException",
            "The requested resource does not exist",
        )
    };
    // Found at the second try.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "101"})))
        .mount(&server)
        .await;
    ready(&server).await;
    permalinks(&server).await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads_publish")))
        .respond_with(not_found())
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads_publish")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1019"})))
        .expect(1)
        .mount(&server)
        .await;
    let receipt = send(&publisher(&server, &dir), "Hi.").await.unwrap();
    assert_eq!(receipt.remote_id, "1019");

    // Never found: a retryable failure that says nothing was published.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "101"})))
        .mount(&server)
        .await;
    ready(&server).await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads_publish")))
        .respond_with(not_found())
        .expect(3)
        .mount(&server)
        .await;
    let error = send(&publisher(&server, &dir), "Hi.").await.unwrap_err();
    expect("retry", "nothing was published", &error);
}

#[tokio::test]
async fn a_thread_that_fails_half_way_is_not_released_or_retried() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "101"})))
        .mount(&server)
        .await;
    ready(&server).await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads_publish")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1019"})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads_publish")))
        .respond_with(ResponseTemplate::new(429).set_body_string("Too Many Requests"))
        .mount(&server)
        .await;
    let mut thread = rendered("One. Two.");
    thread.parts = vec!["1/2 One.".into(), "2/2 Two.".into()];
    let error = send_with(&publisher(&server, &dir), &post("", "x\n"), &thread, None)
        .await
        .unwrap_err();
    // Released, the publication would be sent again and its first post
    // repeated: a person finishes the thread.
    expect("permanent", "part 2/2", &error);
    expect("permanent", "first post 1019", &error);
}

#[tokio::test]
async fn a_permalink_that_cannot_be_read_leaves_the_url_out_of_a_published_post() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "101"})))
        .mount(&server)
        .await;
    ready(&server).await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads_publish")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1019"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/1019"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let receipt = send(&publisher(&server, &dir), "Hi.").await.unwrap();
    assert_eq!(
        receipt,
        Receipt {
            remote_id: "1019".into(),
            url: None
        }
    );
}

#[tokio::test]
async fn a_server_that_does_not_answer_in_time_may_have_posted_and_gets_no_answer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "101"}))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher_with(&settings(&server.uri(), &dir), Duration::from_millis(300));
    let error = send(&p, "Hi.").await.unwrap_err();
    assert!(
        matches!(&error, PublishError::NoAnswer(m) if m.contains("may have been created")),
        "{error:?}"
    );
    assert!(!error.never_sent());
    assert!(!format!("{error} {error:?}").contains(TOKEN));
}

#[tokio::test]
async fn a_status_check_that_times_out_does_not_show_the_token_in_its_url() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "101"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher_with(&settings(&server.uri(), &dir), Duration::from_millis(300));
    let error = send(&p, "Hi.").await.unwrap_err();
    assert!(matches!(&error, PublishError::NotPosted(_)), "{error:?}");
    assert!(!format!("{error} {error:?}").contains(TOKEN), "{error:?}");
}

#[tokio::test]
async fn too_long_posts_and_too_many_links_are_refused_before_any_request() {
    let server = MockServer::start().await;
    healthy(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir);
    let error = send(&p, &"a".repeat(MAX_LENGTH + 1)).await.unwrap_err();
    expect("permanent", "501 characters", &error);
    let error = send(&p, &format!("{}😷", "a".repeat(497)))
        .await
        .unwrap_err();
    expect("permanent", "501 characters", &error);
    let links = "cdc.gov/a who.int/b nhs.uk/c https://hospital.org/d https://hospital.org/e https://example.com/f";
    let error = send(&p, links).await.unwrap_err();
    expect("permanent", "6 links", &error);
    assert!(calls(&server).await.is_empty());
}

#[test]
fn render_counts_against_500_with_emoji_as_their_utf8_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings("https://graph.threads.net", &dir);
    let at = |n: usize, tail: &str| render(&post("", &format!("{}{tail}\n", "a".repeat(n))), &s);
    let exact = at(500, "");
    assert_eq!((exact.length, exact.limit), (500, Some(500)));
    assert!(!exact.too_long());
    assert!(at(501, "").too_long());
    // 😷 is four UTF-8 bytes: 496 + 4 fits, 497 + 4 does not.
    assert_eq!(at(496, "😷").length, 500);
    assert!(!at(496, "😷").too_long());
    assert!(at(497, "😷").too_long());
    assert_eq!(length::threads("é"), 1, "not an emoji: one character");
    assert_eq!(length::counter("threads").map(|c| c("😷")), Some(4));

    let warned = render(
        &post(
            "content_warning: Needles\nhashtags: [FluSeason]\n",
            "Get a **shot**.\n",
        ),
        &s,
    );
    assert_eq!(warned.text, "CW: Needles\n\nGet a shot.\n\n#FluSeason");
    assert_eq!(warned.length, warned.text.chars().count());
    let long = render(
        &post(
            "thread: true\ncontent_warning: Needles\n",
            &"Wash your hands often. ".repeat(60),
        ),
        &s,
    );
    assert!(long.parts.len() > 1);
    assert!(long.parts[0].contains("CW: Needles"));
    assert!(!long.too_long());
    assert!(long.parts.iter().all(|p| length::threads(p) <= 500));
    let refused = render(&post("", &"Wash your hands often. ".repeat(60)), &s);
    assert_eq!(refused.parts.len(), 1);
    assert!(
        refused.too_long(),
        "without thread: true a long post is an error"
    );
}

#[test]
fn the_fingerprint_is_of_the_first_part_trimmed_and_nfc() {
    let dir = tempfile::tempdir().unwrap();
    let p = publisher_with(
        &settings("https://graph.threads.net", &dir),
        Duration::from_secs(1),
    );
    let mut thread = rendered("Caf\u{65}\u{301} one. Two.");
    thread.parts = vec!["1/2 Caf\u{65}\u{301} one. ".into(), "2/2 Two.".into()];
    assert_eq!(
        p.fingerprint(&thread),
        Some(fingerprint_of("1/2 Caf\u{e9} one."))
    );
    assert_eq!(p.fingerprint(&rendered("  \n")), None);
}

fn claimed() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 14, 0, 0).unwrap()
}

fn media(id: &str, text: &str, at: DateTime<Utc>) -> Value {
    json!({
        "id": id,
        "text": text,
        "timestamp": at.format("%Y-%m-%dT%H:%M:%S+0000").to_string(),
        "permalink": format!("https://www.threads.net/@examplehospital/post/P{id}"),
    })
}

#[tokio::test]
async fn lookup_reads_the_account_s_posts_since_the_claim_page_by_page() {
    let server = MockServer::start().await;
    let since = (claimed() - TimeDelta::minutes(5)).timestamp().to_string();
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{USER}/threads")))
        .and(query_param("after", "CURSOR1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [
                media("2002", "Other post", claimed() + TimeDelta::minutes(1)),
                // Threads gives the text back composed; we rendered it decomposed.
                media("2003", "Flu shots are free this week, caf\u{e9} open.", claimed() + TimeDelta::seconds(2)),
            ],
            "paging": {"cursors": {"before": "CURSOR1", "after": "CURSOR2"}}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{USER}/threads")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [
                media("2000", "Newest post", claimed() + TimeDelta::minutes(9)),
                media("2001", "Another", claimed() + TimeDelta::minutes(8)),
            ],
            "paging": {"cursors": {"before": "CURSOR0", "after": "CURSOR1"}}
        })))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir);
    let fingerprint = p
        .fingerprint(&rendered(
            " Flu shots are free this week, cafe\u{301} open.\n",
        ))
        .unwrap();
    let found = p
        .lookup(&Sent {
            key: KEY,
            claimed_at: claimed(),
            fingerprint: Some(&fingerprint),
            taken: &[],
        })
        .await
        .unwrap();
    assert_eq!(
        found,
        Some(Receipt {
            remote_id: "2003".into(),
            url: Some("https://www.threads.net/@examplehospital/post/P2003".into()),
        })
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        query_pairs(&requests[0]),
        vec![
            pair("fields", "id,text,timestamp,permalink"),
            pair("since", &since),
            pair("limit", "100"),
            pair("access_token", TOKEN),
        ]
    );
    assert_eq!(query_pairs(&requests[1])[3], pair("after", "CURSOR1"));
}

#[tokio::test]
async fn lookup_answers_not_there_after_the_last_page_and_ignores_older_posts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{USER}/threads")))
        .and(query_param("after", "CURSOR1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{USER}/threads")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [
                // The same text, posted long before this claim: another publication.
                media("1999", "Get your flu shot.", claimed() - TimeDelta::days(14)),
            ],
            "paging": {"cursors": {"before": "CURSOR0", "after": "CURSOR1"}}
        })))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir);
    let fingerprint = fingerprint_of(&normalise("Get your flu shot."));
    let sent = Sent {
        key: KEY,
        claimed_at: claimed(),
        fingerprint: Some(&fingerprint),
        taken: &[],
    };
    assert_eq!(p.lookup(&sent).await, Ok(None));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);

    // Without a fingerprint it cannot tell, and says so.
    let error = p.lookup(&Sent::key(KEY)).await.unwrap_err();
    assert!(
        matches!(&error, PublishError::Permanent(m) if m.contains("fingerprint")),
        "{error:?}"
    );
    // A refused read is classified, not taken for "not there".
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(graph_error(400, 190, None, "OAuthException", "expired"))
        .mount(&server)
        .await;
    let error = publisher(&server, &dir).lookup(&sent).await.unwrap_err();
    expect("auth", "code 190", &error);
}

#[test]
fn bad_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let http = || HttpCore::new(Duration::from_secs(1)).unwrap();
    let err = ThreadsPublisher::new("t", &settings("http://graph.threads.net", &dir), http())
        .err()
        .unwrap();
    assert!(err.contains("plain http"), "{err}");
    let mut s = settings("https://graph.threads.net", &dir);
    s.user_id = "@examplehospital".into();
    let err = ThreadsPublisher::new("t", &s, http()).err().unwrap();
    assert!(err.contains("`user_id`"), "{err}");
    let mut s = settings("https://graph.threads.net", &dir);
    s.token = SecretRef::Env("HEALTHCAST_TEST_THREADS_TOKEN_UNSET".into());
    let err = ThreadsPublisher::new("t", &s, http()).err().unwrap();
    assert!(err.contains("token"), "{err}");
    let mut s = settings("https://graph.threads.net", &dir);
    s.api_base = None;
    assert!(
        ThreadsPublisher::new("t", &s, http()).is_ok(),
        "default base"
    );
}

#[test]
fn plain_http_and_literal_tokens_are_configuration_errors_with_file_and_line() {
    let repo = common::TempRepo::new();
    repo.tip("a");
    repo.write(
        "schedules/channels.yaml",
        "timezone: UTC\nchannels:\n  site-feed: { platform: feed, path: public/feed.xml, title: T }\n  threads:\n    platform: threads\n    user_id: \"17841400000000001\"\n    token: env:THREADS_TOKEN\n    api_base: http://graph.threads.example\n  threads-2:\n    platform: threads\n    user_id: \"17841400000000001\"\n    token: THAAGliteral0123456789\n",
    );
    let out = common::healthcast()
        .arg("--repo")
        .arg(repo.path())
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, String, u64)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_string(),
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let file = "schedules/channels.yaml".to_string();
    assert!(
        found.contains(&(file.clone(), "config/insecure-endpoint".into(), 8)),
        "{found:?}"
    );
    assert!(
        found.iter().any(|(f, c, line)| f == &file
            && (c == "config/invalid" || c == "secrets/token")
            && (9..=12).contains(line)),
        "{found:?}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("THAAGliteral0123456789"),
        "the literal token is not repeated"
    );
}

/// The daemon end to end: `threads_publish` answers without an id, so the
/// run cannot know whether the post exists and keeps it `sending` with its
/// fingerprint; once the channel's `readback_after` has passed, `--once`
/// reads the account back, finds the post and records it as published, and
/// the next run posts nothing again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_is_read_back_by_the_next_run_and_not_posted_twice() {
    let server = MockServer::start().await;
    let sent_text = Arc::new(std::sync::Mutex::new(String::new()));
    let keep = sent_text.clone();
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads")))
        .respond_with(move |request: &Request| {
            *keep.lock().unwrap() = form_value(request, "text").unwrap_or_default();
            ResponseTemplate::new(200).set_body_json(json!({"id": "101"}))
        })
        .expect(1)
        .mount(&server)
        .await;
    ready(&server).await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads_publish")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let listed = sent_text.clone();
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{USER}/threads")))
        .respond_with(move |_: &Request| {
            // Threads gives the text back as posted, without the trailing
            // whitespace a writer may have left.
            let text = format!("{}\n", listed.lock().unwrap());
            ResponseTemplate::new(200).set_body_json(json!({
                "data": [media("1019", &text, Utc::now())],
                "paging": {"cursors": {"before": "B", "after": "A"}}
            }))
        })
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
            "timezone: UTC\nchannels:\n  threads: {{ platform: threads, user_id: \"{USER}\", api_base: \"{}\", token: \"file:{}\", timeout: 1s, readback_after: 2s }}\ngroups:\n  public: [threads]\n",
            server.uri(),
            token.display()
        ),
    );
    repo.news("due", Utc::now() - TimeDelta::minutes(2));
    let first = repo.run_once().await;
    assert!(first.contains("may have reached the channel"), "{first}");
    assert!(first.contains("found on the channel"), "{first}");
    let second = repo.run_once().await;
    assert!(second.contains("published 0, failed 0"), "{second}");
    let v = repo.status();
    let row = v["recent"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["channel"] == "threads")
        .unwrap()
        .clone();
    assert_eq!(row["state"], "published", "{row}");
    assert_eq!(row["remote_id"], "1019");
    assert_eq!(
        row["url"],
        "https://www.threads.net/@examplehospital/post/P1019"
    );
    assert!(!first.contains(TOKEN) && !second.contains(TOKEN));
}
