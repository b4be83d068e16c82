//! The LinkedIn adapter against a real HTTP server on loopback (wiremock):
//! the exact request contract of `POST /rest/posts` (headers, JSON body), the
//! little-text escaping table and its inverse, the length counted after
//! escaping, the 201 with `x-restli-id`, error shapes (401, 400, 422, 429,
//! 500), a timeout, the token never appearing in an error, an image uploaded
//! with the Images API (initializeUpload, PUT), waited for until LinkedIn
//! reports it `AVAILABLE` and attached with its alt text, and the read-back
//! of the author's posts after a lost answer.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use healthcast::content;
use healthcast::publish::http::{HttpCore, Poll};
use healthcast::publish::linkedin::{
    LinkedInPublisher, MAX_LENGTH, READ_BACK_COUNT, RESERVED, Settings, UPLOAD_FAILED,
    escape_little_text, length, read_back_text, render, unescape_little_text,
};
use healthcast::publish::{
    Image, PublishContext, PublishError, Publisher, Receipt, Sent, fingerprint_of,
};
use healthcast::render::Rendered;
use healthcast::secret::SecretRef;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use wiremock::matchers::{body_bytes, body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const TOKEN: &str = "AQV-li-secret-token-987";
const AUTHOR: &str = "urn:li:organization:2414183";
const URN: &str = "urn:li:share:7263945912846974976";

fn token_file(dir: &tempfile::TempDir) -> SecretRef {
    let file = dir.path().join("linkedin-token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    SecretRef::File(file)
}

fn settings(base: &str, dir: &tempfile::TempDir) -> Settings {
    Settings {
        api_base: Some(base.to_string()),
        author: AUTHOR.into(),
        token: token_file(dir),
        version: "202511".into(),
    }
}

fn publisher(server: &MockServer, dir: &tempfile::TempDir, timeout: Duration) -> LinkedInPublisher {
    LinkedInPublisher::new(
        "linkedin",
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

async fn send(p: &LinkedInPublisher, r: &Rendered) -> Result<Receipt, PublishError> {
    let post = post("", "Get your flu shot.\n");
    p.publish(&PublishContext {
        image: None,
        key: "tips/flu@linkedin@2026-11-24T14:00:00Z",
        post: &post,
        rendered: r,
        at: Utc::now(),
    })
    .await
}

fn created() -> ResponseTemplate {
    ResponseTemplate::new(201)
        .insert_header("x-restli-id", URN)
        .insert_header("x-linkedin-id", URN)
}

#[tokio::test]
async fn a_post_is_sent_with_the_api_contract_and_the_urn_comes_from_x_restli_id() {
    let server = MockServer::start().await;
    let expected_body = json!({
        "author": AUTHOR,
        "commentary": "Flu shots \\(free\\) at the clinic \\@ Main St.\n\n{hashtag|\\#|FluSeason}",
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": []
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": false
    });
    Mock::given(method("POST"))
        .and(path("/rest/posts"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("linkedin-version", "202511"))
        .and(header("x-restli-protocol-version", "2.0.0"))
        .and(header("content-type", "application/json"))
        .and(body_json(&expected_body))
        .respond_with(created())
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let receipt = send(
        &publisher(&server, &dir, Duration::from_secs(5)),
        &rendered("Flu shots (free) at the clinic @ Main St.\n\n#FluSeason"),
    )
    .await
    .unwrap();
    assert_eq!(
        receipt,
        Receipt {
            remote_id: URN.into(),
            url: Some(format!("https://www.linkedin.com/feed/update/{URN}")),
        }
    );
    let requests = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body, expected_body, "no other fields are sent");
}

#[test]
fn little_text_escaping_table() {
    let table: &[(&str, &str)] = &[
        ("plain words, stay. As-is!", "plain words, stay. As-is!"),
        ("\\", "\\\\"),
        ("|", "\\|"),
        ("{", "\\{"),
        ("}", "\\}"),
        ("@", "\\@"),
        ("[", "\\["),
        ("]", "\\]"),
        ("(", "\\("),
        (")", "\\)"),
        ("<", "\\<"),
        (">", "\\>"),
        ("#", "\\#"),
        ("*", "\\*"),
        ("_", "\\_"),
        ("~", "\\~"),
        (
            "a\\b|c{d}e@f[g]h(i)j<k>l#m*n_o~p",
            "a\\\\b\\|c\\{d\\}e\\@f\\[g\\]h\\(i\\)j\\<k\\>l\\#m\\*n\\_o\\~p",
        ),
        // Hashtags: at the start or after whitespace, letters and digits.
        ("#FluSeason", "{hashtag|\\#|FluSeason}"),
        (
            "Get vaccinated #flu2026 #Grippe. Today",
            "Get vaccinated {hashtag|\\#|flu2026} {hashtag|\\#|Grippe}. Today",
        ),
        ("#santé\n#健康", "{hashtag|\\#|santé}\n{hashtag|\\#|健康}"),
        // Not hashtags: a number, a `#` inside a word, an underscore ends the tag.
        ("We're #1", "We're \\#1"),
        ("C#", "C\\#"),
        ("#flu_shot", "{hashtag|\\#|flu}\\_shot"),
        // A URL with parentheses and a fragment is escaped, never cut.
        (
            "https://en.wikipedia.org/wiki/Influenza_(disease)#Signs",
            "https://en.wikipedia.org/wiki/Influenza\\_\\(disease\\)\\#Signs",
        ),
        (
            "See the CDC (https://www.cdc.gov/flu/index.html).",
            "See the CDC \\(https://www.cdc.gov/flu/index.html\\).",
        ),
        ("email flu@hospital.example", "email flu\\@hospital.example"),
        ("already \\( escaped", "already \\\\\\( escaped"),
        ("", ""),
    ];
    for (input, expected) in table {
        assert_eq!(&escape_little_text(input), expected, "input {input:?}");
    }
}

#[test]
fn length_is_counted_after_escaping() {
    assert_eq!(length("(a)"), 5);
    assert_eq!(length("#Flu"), "{hashtag|\\#|Flu}".len());
    assert_eq!(length("😷"), 2, "UTF-16 code units");
    // Fits as typed, but not once escaped: refused by render and publisher.
    let body = format!("{}{}\n", "a".repeat(MAX_LENGTH - 10), "()".repeat(5));
    let r = render(&post("", &body), &the_settings());
    assert_eq!(r.text.chars().count(), MAX_LENGTH);
    assert_eq!(r.length, MAX_LENGTH + 10);
    assert!(r.too_long());
    let exactly = format!("{}{}\n", "a".repeat(MAX_LENGTH - 20), "()".repeat(5));
    assert!(!render(&post("", &exactly), &the_settings()).too_long());
}

fn the_settings() -> Settings {
    Settings {
        api_base: None,
        author: AUTHOR.into(),
        token: SecretRef::Env("LINKEDIN_TOKEN".into()),
        version: "202511".into(),
    }
}

#[test]
fn render_puts_the_content_warning_first_and_never_makes_a_thread() {
    let r = render(
        &post(
            "content_warning: Needles\nhashtags: [FluSeason]\nlink: https://hospital.example/flu\n",
            "Get your **flu shot**.\n",
        ),
        &the_settings(),
    );
    assert_eq!(
        r.text,
        "CW: Needles\n\nGet your flu shot.\n\nhttps://hospital.example/flu\n\n#FluSeason"
    );
    assert_eq!(r.parts, vec![r.text.clone()]);
    assert_eq!(r.limit, Some(3000));
    assert_eq!(r.length, length(&r.text));

    let long = render(
        &post("thread: true\n", &"Wash your hands. ".repeat(300)),
        &the_settings(),
    );
    assert_eq!(long.parts.len(), 1, "LinkedIn has no threads");
    assert!(long.too_long());
}

#[tokio::test]
async fn too_long_posts_and_threads_are_refused_before_any_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(created())
        .expect(0)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let long = rendered(&"()".repeat(1000));
    let error = send(&p, &long).await.unwrap_err();
    assert!(
        matches!(&error, PublishError::Permanent(m) if m.contains("4000") && m.contains("3000")),
        "{error:?}"
    );
    let mut thread = rendered("One. Two.");
    thread.parts = vec!["1/2 One.".into(), "2/2 Two.".into()];
    let error = send(&p, &thread).await.unwrap_err();
    assert!(
        matches!(&error, PublishError::Permanent(m) if m.contains("no threads")),
        "{error:?}"
    );
}

#[tokio::test]
async fn answers_are_classified_and_never_carry_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let li_error = |status: u16, code: &str, service: i64, message: &str| {
        ResponseTemplate::new(status).set_body_json(json!({
            "status": status, "serviceErrorCode": service, "code": code, "message": message
        }))
    };
    let cases: Vec<(ResponseTemplate, &str, &str)> = vec![
        (
            li_error(
                401,
                "REVOKED_ACCESS_TOKEN",
                65601,
                "The token used in the request has been revoked by the user",
            ),
            "auth",
            "revoked",
        ),
        (
            li_error(
                401,
                "INVALID_ACCESS_TOKEN",
                65600,
                &format!("Invalid access token {TOKEN}"),
            ),
            "auth",
            "Invalid access token",
        ),
        (
            li_error(
                422,
                "UNPROCESSABLE_ENTITY",
                0,
                "Content is a duplicate of urn:li:share:1",
            ),
            "permanent",
            "duplicate of urn:li:share:1",
        ),
        (
            li_error(
                400,
                "INVALID_VERSION",
                0,
                "Requested version 20201 is not active",
            ),
            "permanent",
            "INVALID_VERSION",
        ),
        (
            li_error(
                429,
                "TOO_MANY_REQUESTS",
                0,
                "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.",
            ),
            "rate",
            "throttle",
        ),
        (
            ResponseTemplate::new(429).insert_header("Retry-After", "120"),
            "rate-reset",
            "",
        ),
        (
            ResponseTemplate::new(500).set_body_string("<html>Internal Server Error</html>"),
            "retry",
            "500",
        ),
    ];
    for (response, expected, needle) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(response)
            .mount(&server)
            .await;
        let before = Utc::now();
        let error = send(
            &publisher(&server, &dir, Duration::from_secs(5)),
            &rendered("Hi."),
        )
        .await
        .unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(TOKEN), "token leaked in {shown}");
        assert!(shown.contains(needle), "{needle:?} not in {shown}");
        match (expected, &error) {
            ("auth", PublishError::Auth(m)) => assert!(m.contains("401")),
            ("permanent", PublishError::Permanent(_)) => {}
            ("rate", PublishError::RateLimited { reset: None, .. }) => {}
            (
                "rate-reset",
                PublishError::RateLimited {
                    reset: Some(at), ..
                },
            ) => {
                assert!(*at >= before + TimeDelta::seconds(119), "{at}");
            }
            ("retry", PublishError::Retryable(_)) => {}
            _ => panic!("expected {expected}, got {error:?}"),
        }
    }
}

#[tokio::test]
async fn a_201_without_x_restli_id_says_the_post_may_exist() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let error = send(
        &publisher(&server, &dir, Duration::from_secs(5)),
        &rendered("Hi."),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&error, PublishError::Permanent(m) if m.contains("x-restli-id") && m.contains("may exist")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_server_that_does_not_answer_in_time_may_have_posted_and_gets_no_answer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(created().set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let error = send(
        &publisher(&server, &dir, Duration::from_millis(300)),
        &rendered("Hi."),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&error, PublishError::NoAnswer(m) if m.contains("may have been created")),
        "{error:?}"
    );
    assert!(!format!("{error:?}").contains(TOKEN));
}

#[test]
fn bad_settings_are_refused_without_repeating_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let http = || HttpCore::new(Duration::from_secs(1)).unwrap();
    let mut s = settings("https://api.linkedin.com", &dir);
    s.author = "urn:li:company:1".into();
    let err = LinkedInPublisher::new("li", &s, http()).err().unwrap();
    assert!(err.contains("`author`"), "{err}");
    let mut s = settings("https://api.linkedin.com", &dir);
    s.version = "2025-11".into();
    let err = LinkedInPublisher::new("li", &s, http()).err().unwrap();
    assert!(err.contains("`version`"), "{err}");
    let err = LinkedInPublisher::new("li", &settings("http://api.linkedin.com", &dir), http())
        .err()
        .unwrap();
    assert!(err.contains("plain http"), "{err}");
    let mut s = settings("https://api.linkedin.com", &dir);
    s.token = SecretRef::Env("HEALTHCAST_SURELY_UNSET_LINKEDIN".into());
    let err = LinkedInPublisher::new("li", &s, http()).err().unwrap();
    assert!(err.contains("HEALTHCAST_SURELY_UNSET_LINKEDIN"), "{err}");
    let mut s = settings("https://api.linkedin.com", &dir);
    s.api_base = None;
    assert!(
        LinkedInPublisher::new("li", &s, http()).is_ok(),
        "default base"
    );
}

// ----------------------------------------------------------- little text

#[test]
fn unescaping_undoes_escaping_for_every_text() {
    let mut texts: Vec<String> = [
        "plain words",
        "Flu shots (free) at the clinic @ Main St.\n\n#FluSeason",
        "#flu_shot #1 C# ##double #santé\n#健康 end#",
        "a\\b|c{d}e@f[g]h(i)j<k>l#m*n_o~p",
        "already \\( escaped \\",
        "{hashtag|\\#|fake} literal",
        "https://en.wikipedia.org/wiki/Influenza_(disease)#Signs",
        "",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Deterministic pseudo-random texts over the reserved characters,
    // letters, digits, spaces and newlines.
    let alphabet: Vec<char> = RESERVED.iter().copied().chain("aZ9 \né#".chars()).collect();
    let mut state: u64 = 0x5eed;
    for _ in 0..2000 {
        let len = (state % 24) as usize;
        let mut text = String::new();
        for _ in 0..len {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            text.push(alphabet[(state >> 33) as usize % alphabet.len()]);
        }
        texts.push(text);
        state = state.wrapping_add(7);
    }
    for text in &texts {
        assert_eq!(
            &unescape_little_text(&escape_little_text(text)),
            text,
            "escaped: {:?}",
            escape_little_text(text)
        );
    }
}

#[test]
fn unescaping_tolerates_what_linkedin_may_send_back() {
    // Fewer escapes than we sent, a template with an unescaped marker.
    assert_eq!(
        unescape_little_text("Flu shots (free) \\@ Main {hashtag|#|Flu} \\\\ end"),
        "Flu shots (free) @ Main #Flu \\ end"
    );
    // An unclosed template and a lone trailing backslash stay as they are.
    assert_eq!(unescape_little_text("{hashtag|\\#|open"), "{hashtag|#|open");
    assert_eq!(unescape_little_text("end\\"), "end\\");
    assert_eq!(read_back_text(" Cafe\u{301}\r\n"), "Café");
}

// ---------------------------------------------------------------- images

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n-not-really-a-png-but-bytes-\x00\xff";
const IMAGE_URN: &str = "urn:li:image:C4D22AQH1vYexlsL9xQ";
/// `GET /rest/images/{urn}`: the URN URL-encoded, as Rest.li 2.0 wants keys
/// in a path.
const IMAGE_PATH: &str = "/rest/images/urn%3Ali%3Aimage%3AC4D22AQH1vYexlsL9xQ";

/// The Images API's answer about one image, in the state `status`.
fn image_state(status: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": IMAGE_URN,
        "owner": AUTHOR,
        "status": status,
        "downloadUrlExpiresAt": 1_795_522_800_000_i64,
        "downloadUrl": "https://media.licdn.com/dms/image/C4D22AQH1vYexlsL9xQ/image"
    }))
}

/// Answers in turn, the last one again and again.
struct InTurn(Vec<ResponseTemplate>, AtomicUsize);

impl Respond for InTurn {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.1.fetch_add(1, Ordering::SeqCst);
        self.0[n.min(self.0.len() - 1)].clone()
    }
}

fn in_turn(answers: Vec<ResponseTemplate>) -> InTurn {
    InTurn(answers, AtomicUsize::new(0))
}

fn image(alt: &str, mime: &'static str) -> Image {
    Image {
        bytes: PNG.to_vec(),
        mime,
        alt: alt.into(),
        file_name: "flu-clinic.png".into(),
    }
}

async fn send_image(
    p: &LinkedInPublisher,
    r: &Rendered,
    image: &Image,
) -> Result<Receipt, PublishError> {
    let post = post("", "Get your flu shot.\n");
    p.publish(&PublishContext {
        image: Some(image),
        key: "tips/flu@linkedin@2026-11-24T14:00:00Z",
        post: &post,
        rendered: r,
        at: Utc::now(),
    })
    .await
}

fn initialized(server: &MockServer) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "value": {
            "uploadUrlExpiresAt": 1_795_522_800_000_i64,
            "uploadUrl": format!("{}/dms-uploads/C4D22AQH1vYexlsL9xQ/uploaded-image/0?ca=vector_ads&cn=uploads&sync=0&v=beta&ut=2A", server.uri()),
            "image": IMAGE_URN
        }
    }))
}

/// A server with initializeUpload, the upload and the post answering as
/// given, the image `AVAILABLE` at once; the post is expected `posts` times.
async fn image_server(
    init: Option<ResponseTemplate>,
    upload: ResponseTemplate,
    posts: u64,
) -> MockServer {
    image_server_with(init, upload, image_state("AVAILABLE"), posts).await
}

/// [`image_server`] with `status` answering `GET /rest/images/{urn}` (only
/// at its exact path, with the token and the version headers).
async fn image_server_with(
    init: Option<ResponseTemplate>,
    upload: ResponseTemplate,
    status: impl Respond + 'static,
    posts: u64,
) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(IMAGE_PATH))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("linkedin-version", "202511"))
        .and(header("x-restli-protocol-version", "2.0.0"))
        .respond_with(status)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/images"))
        .and(query_param("action", "initializeUpload"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("linkedin-version", "202511"))
        .and(header("x-restli-protocol-version", "2.0.0"))
        .and(header("content-type", "application/json"))
        .and(body_json(
            json!({"initializeUploadRequest": {"owner": AUTHOR}}),
        ))
        .respond_with(init.unwrap_or_else(|| initialized(&server)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/dms-uploads/C4D22AQH1vYexlsL9xQ/uploaded-image/0"))
        .and(query_param("ut", "2A"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("content-type", "image/png"))
        .and(body_bytes(PNG))
        .respond_with(upload)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/posts"))
        .respond_with(created())
        .expect(posts)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn an_image_is_uploaded_then_attached_with_its_alt_text() {
    let server = image_server(None, ResponseTemplate::new(201), 1).await;
    let dir = tempfile::tempdir().unwrap();
    let receipt = send_image(
        &publisher(&server, &dir, Duration::from_secs(5)),
        &rendered("Flu shots (free) today. #FluSeason"),
        &image("  A nurse gives a flu shot (left arm).  ", "image/png"),
    )
    .await
    .unwrap();
    assert_eq!(receipt.remote_id, URN);
    let requests = server.received_requests().await.unwrap();
    let steps: Vec<(String, String)> = requests
        .iter()
        .map(|r| (r.method.to_string(), r.url.path().to_string()))
        .collect();
    assert_eq!(
        steps,
        [
            ("POST".to_string(), "/rest/images".to_string()),
            (
                "PUT".to_string(),
                "/dms-uploads/C4D22AQH1vYexlsL9xQ/uploaded-image/0".to_string()
            ),
            ("GET".to_string(), IMAGE_PATH.to_string()),
            ("POST".to_string(), "/rest/posts".to_string()),
        ]
    );
    let status = &requests[2];
    assert_eq!(status.url.query(), None);
    for (name, value) in [
        ("authorization", format!("Bearer {TOKEN}")),
        ("linkedin-version", "202511".to_string()),
        ("x-restli-protocol-version", "2.0.0".to_string()),
    ] {
        assert_eq!(status.headers[name].to_str().unwrap(), value, "{name}");
    }
    let post = &requests[3];
    for (name, value) in [
        ("authorization", format!("Bearer {TOKEN}")),
        ("linkedin-version", "202511".to_string()),
        ("x-restli-protocol-version", "2.0.0".to_string()),
    ] {
        assert_eq!(post.headers[name].to_str().unwrap(), value, "{name}");
    }
    let body: Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(
        body,
        json!({
            "author": AUTHOR,
            "commentary": "Flu shots \\(free\\) today. {hashtag|\\#|FluSeason}",
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": []
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": false,
            "content": {"media": {"id": IMAGE_URN, "altText": "A nurse gives a flu shot (left arm)."}}
        }),
        "alt text is plain, not little text"
    );
}

#[tokio::test]
async fn an_image_without_alt_text_has_no_alt_text_field() {
    let server = image_server(None, ResponseTemplate::new(201), 1).await;
    let dir = tempfile::tempdir().unwrap();
    send_image(
        &publisher(&server, &dir, Duration::from_secs(5)),
        &rendered("Hi."),
        &image(" ", "image/png"),
    )
    .await
    .unwrap();
    let requests = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests[3].body).unwrap();
    assert_eq!(body["content"], json!({"media": {"id": IMAGE_URN}}));
}

/// Checks 1 ms apart, at most 3 after the first.
const QUICK: Poll = Poll {
    interval: Duration::from_millis(1),
    attempts: 3,
};

/// Publishes with an image against a server whose image status answers
/// `status`; returns the result, how many times the status was asked and
/// how many posts were requested.
async fn with_image_status(
    status: impl Respond + 'static,
) -> (Result<Receipt, PublishError>, usize, usize) {
    let server = image_server_with(None, ResponseTemplate::new(201), status, 0).await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5)).with_media_poll(QUICK);
    let result = send_image(&p, &rendered("Hi."), &image("alt", "image/png")).await;
    if let Err(error) = &result {
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(TOKEN), "token leaked in {shown}");
    }
    let requests = server.received_requests().await.unwrap();
    let count = |m: &str, p: &str| {
        requests
            .iter()
            .filter(|r| r.method.as_str() == m && r.url.path() == p)
            .count()
    };
    (
        result,
        count("GET", IMAGE_PATH),
        count("POST", "/rest/posts"),
    )
}

#[tokio::test]
async fn the_post_waits_until_the_image_is_available() {
    let server = image_server_with(
        None,
        ResponseTemplate::new(201),
        in_turn(vec![
            image_state("WAITING_UPLOAD"),
            image_state("PROCESSING"),
            image_state("AVAILABLE"),
        ]),
        1,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5)).with_media_poll(QUICK);
    let receipt = send_image(&p, &rendered("Hi."), &image("alt", "image/png"))
        .await
        .unwrap();
    assert_eq!(receipt.remote_id, URN);
    let requests = server.received_requests().await.unwrap();
    let steps: Vec<String> = requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    let get = format!("GET {IMAGE_PATH}");
    assert_eq!(
        steps[2..],
        [
            get.clone(),
            get.clone(),
            get,
            "POST /rest/posts".to_string()
        ],
        "asked until AVAILABLE, then posted once"
    );
    let body: Value = serde_json::from_slice(&requests[5].body).unwrap();
    assert_eq!(
        body["content"],
        json!({"media": {"id": IMAGE_URN, "altText": "alt"}})
    );
}

#[tokio::test]
async fn an_image_linkedin_could_not_process_posts_nothing() {
    let (result, checks, posts) = with_image_status(in_turn(vec![
        image_state("PROCESSING"),
        image_state("PROCESSING_FAILED"),
    ]))
    .await;
    let error = result.unwrap_err();
    assert_eq!((checks, posts), (2, 0));
    assert!(
        matches!(&error, PublishError::NotPosted(m)
            if m.starts_with(UPLOAD_FAILED) && m.contains("PROCESSING_FAILED") && m.contains(IMAGE_URN)),
        "{error:?}"
    );
    assert!(error.never_sent());
}

#[tokio::test]
async fn an_image_that_never_becomes_available_is_waited_for_a_bounded_time() {
    let (result, checks, posts) = with_image_status(image_state("PROCESSING")).await;
    let error = result.unwrap_err();
    assert_eq!(checks, 1 + 3, "one check at once, then QUICK's 3");
    assert_eq!(posts, 0);
    assert!(
        matches!(&error, PublishError::NotPosted(m)
            if m.starts_with(UPLOAD_FAILED) && m.contains("not ready after 3 checks")),
        "{error:?}"
    );
}

#[tokio::test]
async fn image_status_errors_are_classified_post_nothing_and_never_carry_the_token() {
    let (result, _, posts) = with_image_status(li_error(
        401,
        "INVALID_ACCESS_TOKEN",
        &format!("Invalid access token {TOKEN}"),
    ))
    .await;
    assert_eq!(posts, 0);
    let error = result.unwrap_err();
    assert!(
        matches!(&error, PublishError::Auth(m) if m.starts_with(UPLOAD_FAILED) && m.contains("401")),
        "{error:?}"
    );

    let (result, _, posts) =
        with_image_status(ResponseTemplate::new(429).insert_header("Retry-After", "30")).await;
    assert_eq!(posts, 0);
    let error = result.unwrap_err();
    assert!(
        matches!(&error, PublishError::RateLimited { reset: Some(_), message } if message.starts_with(UPLOAD_FAILED)),
        "{error:?}"
    );

    let (result, checks, posts) =
        with_image_status(ResponseTemplate::new(503).set_body_string("busy")).await;
    assert_eq!((checks, posts), (1, 0), "an error ends the wait");
    let error = result.unwrap_err();
    assert!(
        matches!(&error, PublishError::NotPosted(m) if m.starts_with(UPLOAD_FAILED) && m.contains("503")),
        "{error:?}"
    );

    let (result, _, posts) = with_image_status(li_error(404, "NOT_FOUND", "Image not found")).await;
    assert_eq!(posts, 0);
    let error = result.unwrap_err();
    assert!(
        matches!(&error, PublishError::Permanent(m) if m.starts_with(UPLOAD_FAILED) && m.contains("404")),
        "{error:?}"
    );

    let (result, _, posts) =
        with_image_status(ResponseTemplate::new(200).set_body_string("<html>")).await;
    assert_eq!(posts, 0);
    let error = result.unwrap_err();
    assert!(
        matches!(&error, PublishError::Permanent(m) if m.starts_with(UPLOAD_FAILED) && m.contains("unexpected answer")),
        "{error:?}"
    );
}

fn li_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "status": status, "serviceErrorCode": 0, "code": code, "message": message
    }))
}

#[tokio::test]
async fn upload_failures_post_nothing_and_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, ResponseTemplate, &str)> = vec![
        (
            "init",
            li_error(400, "INVALID_OWNER", "Owner is not valid"),
            "permanent",
        ),
        (
            "init",
            li_error(
                401,
                "INVALID_ACCESS_TOKEN",
                &format!("Invalid token {TOKEN}"),
            ),
            "auth",
        ),
        (
            "init",
            ResponseTemplate::new(429).insert_header("Retry-After", "30"),
            "rate",
        ),
        (
            "init",
            ResponseTemplate::new(500).set_body_string("oops"),
            "retry",
        ),
        (
            "init",
            ResponseTemplate::new(200).set_body_json(json!({"value": {}})),
            "permanent",
        ),
        ("upload", ResponseTemplate::new(400), "permanent"),
        ("upload", ResponseTemplate::new(401), "auth"),
        ("upload", ResponseTemplate::new(429), "rate"),
        ("upload", ResponseTemplate::new(500), "retry"),
    ];
    for (step, response, expected) in cases {
        let server = if step == "init" {
            image_server(Some(response), ResponseTemplate::new(201), 0).await
        } else {
            image_server(None, response, 0).await
        };
        let error = send_image(
            &publisher(&server, &dir, Duration::from_secs(5)),
            &rendered("Hi."),
            &image("alt", "image/png"),
        )
        .await
        .unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(TOKEN), "token leaked in {shown}");
        assert!(shown.contains(UPLOAD_FAILED), "{step} {expected}: {shown}");
        match (expected, &error) {
            ("permanent", PublishError::Permanent(_)) => {}
            ("auth", PublishError::Auth(_)) => {}
            ("rate", PublishError::RateLimited { .. }) => {}
            ("retry", PublishError::NotPosted(m)) => assert!(m.contains("500"), "{m}"),
            _ => panic!("{step}: expected {expected}, got {error:?}"),
        }
        // `expect(0)` on the post is checked when the server drops.
    }
}

#[tokio::test]
async fn an_upload_that_times_out_says_nothing_was_posted() {
    let server = image_server(
        None,
        ResponseTemplate::new(201).set_delay(Duration::from_secs(3)),
        0,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let error = send_image(
        &publisher(&server, &dir, Duration::from_millis(300)),
        &rendered("Hi."),
        &image("alt", "image/png"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&error, PublishError::NotPosted(m) if m.starts_with(UPLOAD_FAILED) && !m.contains("may have been created")),
        "{error:?}"
    );
}

#[tokio::test]
async fn unsafe_upload_urls_and_image_types_are_refused_before_the_token_goes_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let urls = [
        "http://uploads.example/dms-uploads/x",
        "https://uploads.example/dms-uploads/x",
        "https://www.linkedin.com.evil.example/x",
        "ftp://www.linkedin.com/x",
    ];
    for url in urls {
        let server = image_server(
            Some(ResponseTemplate::new(200).set_body_json(json!({
                "value": {"uploadUrl": url, "image": IMAGE_URN}
            }))),
            ResponseTemplate::new(201),
            0,
        )
        .await;
        let error = send_image(
            &publisher(&server, &dir, Duration::from_secs(5)),
            &rendered("Hi."),
            &image("alt", "image/png"),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&error, PublishError::Permanent(m) if m.starts_with(UPLOAD_FAILED)),
            "{url}: {error:?}"
        );
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 1, "{url}: only initializeUpload");
    }

    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let error = send_image(
        &publisher(&server, &dir, Duration::from_secs(5)),
        &rendered("Hi."),
        &image("alt", "image/webp"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&error, PublishError::Permanent(m) if m.contains("JPEG, PNG or GIF")),
        "{error:?}"
    );
}

// ------------------------------------------------------------- read-back

fn claimed() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 14, 0, 3).unwrap()
}

fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn li_post(urn: &str, commentary: &str, created: DateTime<Utc>, modified: DateTime<Utc>) -> Value {
    json!({
        "id": urn,
        "author": AUTHOR,
        "commentary": commentary,
        "visibility": "PUBLIC",
        "lifecycleState": "PUBLISHED",
        "createdAt": ms(created),
        "publishedAt": ms(created),
        "lastModifiedAt": ms(modified),
    })
}

async fn posts_server(elements: Vec<Value>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/posts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "paging": {"start": 0, "count": READ_BACK_COUNT, "links": []},
            "elements": elements
        })))
        .mount(&server)
        .await;
    server
}

async fn lookup(
    p: &LinkedInPublisher,
    fingerprint: Option<&str>,
) -> Result<Option<Receipt>, PublishError> {
    let sent = Sent {
        key: "tips/flu@linkedin@2026-11-24T14:00:00Z",
        claimed_at: claimed(),
        fingerprint,
        taken: &[],
    };
    p.lookup(&sent).await
}

#[tokio::test]
async fn a_lost_post_is_found_by_its_commentary_after_the_little_text_round_trip() {
    let text = "CW: Needles\n\nFlu shots (free) at the clinic @ Main St. [Bldg <2>] *today* a_b ~ok~ | {x} \\o/\n\n#FluSeason #1";
    let later = claimed() + TimeDelta::seconds(1);
    let server = posts_server(vec![
        // The same text, created last week and edited since: a different
        // publication, first because sorted by last change.
        li_post(
            "urn:li:share:1",
            &escape_little_text(text),
            claimed() - TimeDelta::days(7),
            later + TimeDelta::seconds(5),
        ),
        li_post("urn:li:share:3", "Another post", later, later),
        // What we sent, as LinkedIn returns it.
        li_post("urn:li:share:2", &escape_little_text(text), later, later),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let fingerprint = p.fingerprint(&rendered(text)).unwrap();
    assert_eq!(
        fingerprint,
        fingerprint_of(text),
        "the text before escaping"
    );
    assert_eq!(
        lookup(&p, Some(&fingerprint)).await,
        Ok(Some(Receipt {
            remote_id: "urn:li:share:2".into(),
            url: Some("https://www.linkedin.com/feed/update/urn:li:share:2".into()),
        }))
    );

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method.as_str(), "GET");
    assert_eq!(
        request.url.query(),
        Some("author=urn%3Ali%3Aorganization%3A2414183&q=author&count=20&sortBy=LAST_MODIFIED"),
        "the URN URL-encoded, as Rest.li 2.0 wants"
    );
    for (name, value) in [
        ("authorization", format!("Bearer {TOKEN}")),
        ("linkedin-version", "202511".to_string()),
        ("x-restli-protocol-version", "2.0.0".to_string()),
    ] {
        assert_eq!(request.headers[name].to_str().unwrap(), value, "{name}");
    }
}

#[tokio::test]
async fn a_commentary_returned_with_fewer_escapes_still_matches() {
    let text = "Masks (N95) @ the ER: #StaySafe";
    let later = claimed() + TimeDelta::seconds(1);
    let server = posts_server(vec![li_post(
        "urn:li:ugcPost:9",
        "Masks (N95) \\@ the ER: {hashtag|#|StaySafe}\n",
        later,
        later,
    )])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let fingerprint = p.fingerprint(&rendered(text)).unwrap();
    let found = lookup(&p, Some(&fingerprint)).await.unwrap();
    assert_eq!(found.unwrap().remote_id, "urn:li:ugcPost:9");
}

#[tokio::test]
async fn not_found_is_certain_only_when_no_later_post_can_be_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let later = claimed() + TimeDelta::seconds(1);
    let before = claimed() - TimeDelta::hours(1);
    let fingerprint = fingerprint_of("Get your flu shot.");

    // Fewer than a page: every post is here.
    let server = posts_server(vec![li_post("urn:li:share:3", "Other", later, later)]).await;
    let p = publisher(&server, &dir, Duration::from_secs(5));
    assert_eq!(lookup(&p, Some(&fingerprint)).await, Ok(None));

    // A full page whose oldest change is before the claim: the rest are older.
    let mut page: Vec<Value> = (0..READ_BACK_COUNT - 1)
        .map(|i| li_post(&format!("urn:li:share:{i}"), "Other", later, later))
        .collect();
    page.push(li_post("urn:li:share:99", "Old", before, before));
    let server = posts_server(page).await;
    let p = publisher(&server, &dir, Duration::from_secs(5));
    assert_eq!(lookup(&p, Some(&fingerprint)).await, Ok(None));

    // A full page of posts changed since the claim: ours may be further on.
    let page: Vec<Value> = (0..READ_BACK_COUNT)
        .map(|i| li_post(&format!("urn:li:share:{i}"), "Other", later, later))
        .collect();
    let server = posts_server(page).await;
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
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"elements": []})))
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
    assert_eq!(p.fingerprint(&rendered(" \n")), None);
}

#[tokio::test]
async fn read_back_errors_are_classified_and_never_carry_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(ResponseTemplate, &str)> = vec![
        (
            li_error(
                401,
                "INVALID_ACCESS_TOKEN",
                &format!("Invalid token {TOKEN}"),
            ),
            "auth",
        ),
        (
            li_error(
                403,
                "ACCESS_DENIED",
                "Not enough permissions: r_organization_social",
            ),
            "auth",
        ),
        (li_error(429, "TOO_MANY_REQUESTS", "throttle"), "rate"),
        (ResponseTemplate::new(500), "retry"),
        (li_error(400, "ILLEGAL_ARGUMENT", "bad finder"), "permanent"),
    ];
    for (response, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/rest/posts"))
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
