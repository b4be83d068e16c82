//! The LinkedIn adapter against a real HTTP server on loopback (wiremock):
//! the exact request contract of `POST /rest/posts` (headers, JSON body), the
//! little-text escaping table, the length counted after escaping, the 201
//! with `x-restli-id`, error shapes (401, 400, 422, 429, 500), a timeout, and
//! the token never appearing in an error.

use chrono::{TimeDelta, Utc};
use healthcast::content;
use healthcast::publish::http::HttpCore;
use healthcast::publish::linkedin::{
    LinkedInPublisher, MAX_LENGTH, Settings, escape_little_text, length, render,
};
use healthcast::publish::{PublishContext, PublishError, Publisher, Receipt};
use healthcast::render::Rendered;
use healthcast::secret::SecretRef;
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

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
async fn a_server_that_does_not_answer_in_time_is_a_retryable_unknown() {
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
        matches!(&error, PublishError::Retryable(m) if m.contains("may have been created")),
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
