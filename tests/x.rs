//! The X adapter: OAuth 1.0a signing against the worked example of X's
//! documentation, rendering (content-warning line, threads), and against a
//! real HTTP server on loopback (wiremock) the exact request contract (path,
//! Authorization for both kinds of credentials, JSON body checked against the
//! API's OpenAPI schema), reply chaining, the token refresh on a 401, and the
//! platform's answers: 401, 403 duplicate content, 429 with its rate-limit
//! header, 500, a timeout; no credential ever appears in an error.

use chrono::{DateTime, Utc};
use healthcast::content;
use healthcast::publish::http::HttpCore;
use healthcast::publish::x::{self, Auth, OAuth1, OAuth2, Settings, XPublisher, oauth1_header};
use healthcast::publish::{PublishContext, PublishError, Publisher, Receipt};
use healthcast::render::{Rendered, length};
use healthcast::secret::SecretRef;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const ACCESS: &str = "x-access-token-111";
const REFRESH: &str = "x-refresh-token-222";
const CLIENT_ID: &str = "client-id-333";
const CLIENT_SECRET: &str = "x-client-secret-444";
const NEW_ACCESS: &str = "x-access-token-555";
const NEW_REFRESH: &str = "x-refresh-token-666";
const CONSUMER_KEY: &str = "x-consumer-key-777";
const CONSUMER_SECRET: &str = "x-consumer-secret-888";
const TOKEN: &str = "1-x-user-token-999";
const TOKEN_SECRET: &str = "x-user-token-secret-000";
const ALL_SECRETS: &[&str] = &[
    ACCESS,
    REFRESH,
    CLIENT_SECRET,
    NEW_ACCESS,
    NEW_REFRESH,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    TOKEN,
    TOKEN_SECRET,
];

// ---------------------------------------------------------------- signing

/// X's "Creating a signature" (docs.x.com/fundamentals/authentication/
/// oauth-1-0a/creating-a-signature): its parameters, signing key and result.
/// The page now names the host `api.x.com`, but its signature was computed
/// for `api.twitter.com`, where the example was written; with `api.x.com`
/// the same inputs sign to `Ls93hJiZbQ3akF3HF3x1Bz8/zU4=` (Python's hmac).
#[test]
fn oauth1_signature_matches_the_documented_example() {
    let header = oauth1_header(
        "POST",
        "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
        &[(
            "status",
            "Hello Ladies + Gentlemen, a signed OAuth request!",
        )],
        "xvz1evFS4wEEPTGEFPHBog",
        "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
        "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
        "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
        "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
        1_318_622_958,
    );
    assert_eq!(
        header,
        "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", \
         oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", \
         oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\", \
         oauth_signature_method=\"HMAC-SHA1\", \
         oauth_timestamp=\"1318622958\", \
         oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", \
         oauth_version=\"1.0\""
    );
    let renamed = oauth1_header(
        "POST",
        "https://api.x.com/1.1/statuses/update.json?include_entities=true",
        &[(
            "status",
            "Hello Ladies + Gentlemen, a signed OAuth request!",
        )],
        "xvz1evFS4wEEPTGEFPHBog",
        "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
        "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
        "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
        "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
        1_318_622_958,
    );
    assert_eq!(
        fields(&renamed)["oauth_signature"],
        "Ls93hJiZbQ3akF3HF3x1Bz8/zU4="
    );
}

/// A v2 JSON post: no query, no body parameters, secrets that need
/// encoding. Expected value computed independently with Python's hmac and
/// urllib.parse.quote(safe='-._~').
#[test]
fn oauth1_signature_of_a_json_post_covers_only_the_oauth_parameters() {
    let header = oauth1_header(
        "post",
        "https://API.x.com:443/2/tweets",
        &[],
        "consumer-key",
        "consumer secret",
        "1-usertoken",
        "token&secret",
        "0123456789abcdef",
        1_795_435_500,
    );
    assert_eq!(
        fields(&header)["oauth_signature"],
        "TgwfKeZd369HAgM2NjLZfL4pvjQ="
    );
}

/// The fields of an `OAuth …` header, decoded.
fn fields(header: &str) -> BTreeMap<String, String> {
    let rest = header.strip_prefix("OAuth ").expect("OAuth scheme");
    rest.split(", ")
        .map(|field| {
            let (k, v) = field.split_once('=').expect("key=value");
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .expect("quoted");
            (k.to_string(), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

// ---------------------------------------------------------------- rendering

fn post(front: &str, body: &str) -> content::Post {
    content::parse(
        "content/tips/flu.md",
        &format!("---\ntitle: Flu shots\nkind: tip\nlang: en\n{front}---\n{body}"),
    )
    .unwrap()
}

fn oauth2_settings(api_base: Option<String>) -> Settings {
    Settings {
        api_base,
        auth: Auth::OAuth2(OAuth2 {
            access_token: SecretRef::Env("UNUSED".into()),
            refresh_token: None,
            client_id: None,
            client_secret: None,
        }),
    }
}

#[test]
fn a_content_warning_becomes_the_first_line_and_counts() {
    let r = x::render(
        &post("content_warning: Needles\n", "Get your flu shot.\n"),
        &oauth2_settings(None),
    );
    assert_eq!(r.text, "CW: Needles\n\nGet your flu shot.");
    assert_eq!(r.parts, vec![r.text.clone()]);
    assert_eq!(r.length, length::x_weighted(&r.text));
    assert_eq!(r.limit, Some(280));
    let plain = x::render(&post("", "Get your flu shot.\n"), &oauth2_settings(None));
    assert_eq!(plain.text, "Get your flu shot.");
}

/// Seven sentences of about a hundred characters: three parts of 280.
fn long_body() -> String {
    (1..=7)
        .map(|n| {
            format!(
                "Step {n}: wash your hands with soap and warm water for twenty seconds before you eat or cook."
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_long_post_with_thread_true_renders_as_three_numbered_parts() {
    let r = x::render(
        &post("thread: true\ncontent_warning: Needles\n", &long_body()),
        &oauth2_settings(None),
    );
    assert_eq!(r.parts.len(), 3, "{:?}", r.parts);
    assert!(!r.too_long());
    assert!(
        r.parts[0].starts_with("1/3 CW: Needles\n\nStep 1"),
        "{:?}",
        r.parts[0]
    );
    assert!(r.parts[2].starts_with("3/3 "));
    for part in &r.parts {
        assert!(length::x_weighted(part) <= 280, "{part:?}");
    }
    let refused = x::render(&post("", &long_body()), &oauth2_settings(None));
    assert_eq!(refused.parts.len(), 1);
    assert!(
        refused.too_long(),
        "without thread: true a long post is an error"
    );
}

// ---------------------------------------------------------------- publishing

fn secret(dir: &tempfile::TempDir, name: &str, value: &str) -> SecretRef {
    let file = dir.path().join(name);
    std::fs::write(&file, format!("{value}\n")).unwrap();
    SecretRef::File(file)
}

fn oauth2(
    server: &MockServer,
    dir: &tempfile::TempDir,
    refresh: bool,
    confidential: bool,
    timeout: Duration,
) -> XPublisher {
    let settings = Settings {
        api_base: Some(server.uri()),
        auth: Auth::OAuth2(OAuth2 {
            access_token: secret(dir, "access", ACCESS),
            refresh_token: refresh.then(|| secret(dir, "refresh", REFRESH)),
            client_id: refresh.then(|| CLIENT_ID.to_string()),
            client_secret: confidential.then(|| secret(dir, "client-secret", CLIENT_SECRET)),
        }),
    };
    XPublisher::new("x", &settings, HttpCore::new(timeout).unwrap()).unwrap()
}

fn oauth1(server: &MockServer, dir: &tempfile::TempDir) -> XPublisher {
    let settings = Settings {
        api_base: Some(server.uri()),
        auth: Auth::OAuth1(OAuth1 {
            consumer_key: secret(dir, "ck", CONSUMER_KEY),
            consumer_secret: secret(dir, "cs", CONSUMER_SECRET),
            access_token: secret(dir, "t", TOKEN),
            access_token_secret: secret(dir, "ts", TOKEN_SECRET),
        }),
    };
    XPublisher::new(
        "x",
        &settings,
        HttpCore::new(Duration::from_secs(5)).unwrap(),
    )
    .unwrap()
}

fn rendered(text: &str) -> Rendered {
    Rendered {
        text: text.into(),
        length: length::x_weighted(text),
        limit: Some(280),
        html: None,
        parts: vec![text.into()],
    }
}

async fn send_rendered(p: &XPublisher, r: &Rendered) -> Result<Receipt, PublishError> {
    let post = post("", "Get your flu shot.\n");
    p.publish(&PublishContext {
        image: None,
        key: "tips/flu@x@2026-11-24T14:00:00Z",
        post: &post,
        rendered: r,
        at: Utc::now(),
    })
    .await
}

async fn send(p: &XPublisher) -> Result<Receipt, PublishError> {
    send_rendered(p, &rendered("Get your flu shot.")).await
}

fn created(id: &str, text: &str) -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({
        "data": {"id": id, "text": text, "edit_history_tweet_ids": [id]}
    }))
}

/// The request schema of POST /2/tweets, from the platform's OpenAPI
/// document (tests/fixtures/specs, extracted from ../shared/specs).
fn assert_body_matches_the_openapi_schema(body: &Value) {
    let spec: Value =
        serde_json::from_str(include_str!("fixtures/specs/x-tweet-create.json")).unwrap();
    check_object(&spec, &spec["CreatePostsRequest"], body, "body");
}

fn check_object(spec: &Value, schema: &Value, value: &Value, at: &str) {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("{at} must be an object"));
    for required in schema["required"].as_array().into_iter().flatten() {
        assert!(
            object.contains_key(required.as_str().unwrap()),
            "{at}: missing required {required}"
        );
    }
    assert_eq!(schema["additionalProperties"], false);
    for (key, v) in object {
        let declared = &schema["properties"][key];
        assert!(declared.is_object(), "{at}: `{key}` is not a field");
        if let Some(reference) = declared["$ref"].as_str() {
            let name = reference.rsplit('/').next().unwrap();
            check_object(spec, &spec[name], v, &format!("{at}.{key}"));
            continue;
        }
        match declared["type"].as_str() {
            Some("string") => {
                let s = v
                    .as_str()
                    .unwrap_or_else(|| panic!("{at}.{key} must be a string"));
                if let Some(pattern) = declared["pattern"].as_str() {
                    // The only pattern used here: `^[0-9]{1,19}$`.
                    assert_eq!(pattern, "^[0-9]{1,19}$");
                    assert!(
                        (1..=19).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()),
                        "{at}.{key} = {s:?} does not match {pattern}"
                    );
                }
            }
            Some("boolean") => assert!(v.is_boolean(), "{at}.{key} must be a boolean"),
            other => panic!("{at}.{key}: unchecked type {other:?}"),
        }
    }
}

fn body_of(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap()
}

#[tokio::test]
async fn a_post_with_oauth2_follows_the_api_contract() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .and(header("authorization", format!("Bearer {ACCESS}").as_str()))
        .and(header("content-type", "application/json"))
        .respond_with(created("1346889436626259968", "Get your flu shot."))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let receipt = send(&oauth2(&server, &dir, false, false, Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(
        receipt,
        Receipt {
            remote_id: "1346889436626259968".into(),
            url: Some("https://x.com/i/web/status/1346889436626259968".into()),
        }
    );
    let requests = server.received_requests().await.unwrap();
    let body = body_of(&requests[0]);
    assert_eq!(body, json!({"text": "Get your flu shot."}));
    assert_body_matches_the_openapi_schema(&body);
}

#[tokio::test]
async fn a_post_with_oauth1_is_signed_for_its_url_without_the_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(created("1", "Get your flu shot."))
        .expect(2)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = oauth1(&server, &dir);
    send(&p).await.unwrap();
    send(&p).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    let request = &requests[0];
    let authorization = request
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap();
    let got = fields(authorization);
    assert_eq!(
        got.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "oauth_consumer_key",
            "oauth_nonce",
            "oauth_signature",
            "oauth_signature_method",
            "oauth_timestamp",
            "oauth_token",
            "oauth_version"
        ]
    );
    assert_eq!(got["oauth_consumer_key"], CONSUMER_KEY);
    assert_eq!(got["oauth_token"], TOKEN);
    assert_eq!(got["oauth_signature_method"], "HMAC-SHA1");
    assert_eq!(got["oauth_version"], "1.0");
    let timestamp: u64 = got["oauth_timestamp"].parse().unwrap();
    assert!(Utc::now().timestamp().abs_diff(timestamp as i64) < 60);
    // The signature is that of POST <the URL requested> with no parameters
    // but the oauth_* ones: the JSON body is not signed.
    let expected = oauth1_header(
        "POST",
        &format!("{}/2/tweets", server.uri()),
        &[],
        CONSUMER_KEY,
        CONSUMER_SECRET,
        TOKEN,
        TOKEN_SECRET,
        &got["oauth_nonce"],
        timestamp,
    );
    assert_eq!(authorization, expected);
    assert_eq!(request.url.path(), "/2/tweets");
    assert_eq!(request.url.query(), None);
    assert_body_matches_the_openapi_schema(&body_of(request));
    // The second request has a fresh nonce.
    let second = fields(
        requests[1]
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap(),
    );
    assert_ne!(second["oauth_nonce"], got["oauth_nonce"]);
}

/// Answers each post with the next id, as X would.
struct Counting(AtomicUsize);

impl Respond for Counting {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        created(&format!("1000{n}"), "part")
    }
}

#[tokio::test]
async fn a_rendered_thread_of_three_is_posted_as_a_reply_chain() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(Counting(AtomicUsize::new(0)))
        .expect(3)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = oauth2(&server, &dir, false, false, Duration::from_secs(5));
    let the_post = post("thread: true\ncontent_warning: Needles\n", &long_body());
    let r = x::render(&the_post, &oauth2_settings(None));
    assert_eq!(r.parts.len(), 3);
    let receipt = p
        .publish(&PublishContext {
            image: None,
            key: "t@x@1",
            post: &the_post,
            rendered: &r,
            at: Utc::now(),
        })
        .await
        .unwrap();
    assert_eq!(
        receipt.remote_id, "10001",
        "the receipt is the thread's first post"
    );
    let bodies: Vec<Value> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(body_of)
        .collect();
    assert_eq!(bodies[0], json!({"text": r.parts[0]}));
    assert_eq!(
        bodies[1],
        json!({"text": r.parts[1], "reply": {"in_reply_to_tweet_id": "10001"}})
    );
    assert_eq!(
        bodies[2],
        json!({"text": r.parts[2], "reply": {"in_reply_to_tweet_id": "10002"}})
    );
    for body in &bodies {
        assert_body_matches_the_openapi_schema(body);
    }
}

#[tokio::test]
async fn a_thread_that_stops_half_way_says_what_was_posted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(created("42", "1/2"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({
            "title": "Service Unavailable", "detail": "Service Unavailable",
            "type": "about:blank", "status": 503
        })))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = oauth2(&server, &dir, false, false, Duration::from_secs(5));
    let mut r = rendered("One. Two.");
    r.parts = vec!["1/2 One.".into(), "2/2 Two.".into()];
    let error = send_rendered(&p, &r).await.unwrap_err();
    assert!(
        matches!(&error, PublishError::Retryable(m) if m.contains("part 2/2") && m.contains("first post 42")),
        "{error:?}"
    );
}

/// The token endpoint: answers a refresh with a new pair.
fn token_answer() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "token_type": "bearer", "expires_in": 7200, "access_token": NEW_ACCESS,
        "scope": "tweet.write users.read tweet.read offline.access", "refresh_token": NEW_REFRESH
    }))
}

fn unauthorized() -> ResponseTemplate {
    ResponseTemplate::new(401).set_body_json(json!({
        "title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"
    }))
}

fn form(request: &Request) -> BTreeMap<String, String> {
    let body = String::from_utf8(request.body.clone()).unwrap();
    reqwest::Url::parse(&format!("http://form.invalid/?{body}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[tokio::test]
async fn a_refused_token_is_refreshed_once_and_the_post_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .and(header("authorization", format!("Bearer {ACCESS}").as_str()))
        .respond_with(unauthorized())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/oauth2/token"))
        .respond_with(token_answer())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .and(header(
            "authorization",
            format!("Bearer {NEW_ACCESS}").as_str(),
        ))
        .respond_with(Counting(AtomicUsize::new(0)))
        .expect(2)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = oauth2(&server, &dir, true, true, Duration::from_secs(5));
    assert_eq!(send(&p).await.unwrap().remote_id, "10001");
    // The new token is kept: the next post uses it without a refresh.
    assert_eq!(send(&p).await.unwrap().remote_id, "10002");

    let requests = server.received_requests().await.unwrap();
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(
        paths,
        ["/2/tweets", "/2/oauth2/token", "/2/tweets", "/2/tweets"]
    );
    let refresh = &requests[1];
    assert_eq!(
        refresh.headers.get("content-type").unwrap(),
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        form(refresh),
        BTreeMap::from([
            ("client_id".to_string(), CLIENT_ID.to_string()),
            ("grant_type".to_string(), "refresh_token".to_string()),
            ("refresh_token".to_string(), REFRESH.to_string()),
        ])
    );
    // Confidential client: HTTP Basic with client id and secret.
    use base64::Engine;
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    assert_eq!(
        refresh
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap(),
        format!("Basic {basic}")
    );
    assert_eq!(body_of(&requests[2]), body_of(&requests[0]));
}

#[tokio::test]
async fn a_public_client_refreshes_without_basic_auth() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .and(header("authorization", format!("Bearer {ACCESS}").as_str()))
        .respond_with(unauthorized())
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/oauth2/token"))
        .respond_with(token_answer())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .and(header(
            "authorization",
            format!("Bearer {NEW_ACCESS}").as_str(),
        ))
        .respond_with(created("7", "t"))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    send(&oauth2(&server, &dir, true, false, Duration::from_secs(5)))
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    assert!(requests[1].headers.get("authorization").is_none());
    assert_eq!(form(&requests[1])["client_id"], CLIENT_ID);
}

#[tokio::test]
async fn a_token_still_refused_after_the_refresh_is_an_auth_error_without_a_second_refresh() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(unauthorized())
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/oauth2/token"))
        .respond_with(token_answer())
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let error = send(&oauth2(&server, &dir, true, true, Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PublishError::Auth(m) if m.contains("401") && m.contains("after refreshing")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_failed_refresh_is_an_auth_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(unauthorized())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/oauth2/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_request",
            "error_description": "Value passed for the token was invalid."
        })))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let error = send(&oauth2(&server, &dir, true, true, Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PublishError::Auth(m) if m.contains("token was invalid") && m.contains("replace the configured tokens")),
        "{error:?}"
    );
}

async fn error_for(
    response: ResponseTemplate,
    p: impl Fn(&MockServer) -> XPublisher,
) -> PublishError {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(response)
        .mount(&server)
        .await;
    let error = send(&p(&server)).await.unwrap_err();
    let shown = format!("{error} {error:?}");
    for secret in ALL_SECRETS {
        assert!(!shown.contains(secret), "{secret} leaked in {shown}");
    }
    error
}

#[tokio::test]
async fn answers_are_classified_and_never_carry_a_credential() {
    let dir = tempfile::tempdir().unwrap();
    let reset = 1_795_435_500;
    let problem = |status: u16, title: &str, detail: &str| {
        ResponseTemplate::new(status).set_body_json(json!({
            "title": title, "detail": detail, "type": "about:blank", "status": status
        }))
    };
    for both in [false, true] {
        let make = |server: &MockServer| {
            if both {
                oauth1(server, &dir)
            } else {
                oauth2(server, &dir, false, false, Duration::from_secs(5))
            }
        };
        // 401 without a refresh token: a person must act.
        let e = error_for(unauthorized(), make).await;
        assert!(
            matches!(&e, PublishError::Auth(m) if m.contains("401")),
            "{e:?}"
        );

        // X refuses the same text twice: permanent, and possibly already posted.
        let e = error_for(
            problem(
                403,
                "Forbidden",
                "You are not allowed to create a Tweet with duplicate content.",
            ),
            make,
        )
        .await;
        assert!(
            matches!(&e, PublishError::Permanent(m)
                if m.contains("duplicate content") && m.contains("may already be on X") && m.contains("identical")),
            "{e:?}"
        );

        // Another 403 is a permission problem.
        let e = error_for(
            problem(
                403,
                "Forbidden",
                "You are not permitted to perform this action.",
            ),
            make,
        )
        .await;
        assert!(
            matches!(&e, PublishError::Auth(m) if m.contains("not permitted")),
            "{e:?}"
        );

        let e = error_for(
            problem(429, "Too Many Requests", "Too Many Requests")
                .insert_header("x-rate-limit-limit", "100")
                .insert_header("x-rate-limit-remaining", "0")
                .insert_header("x-rate-limit-reset", reset.to_string().as_str()),
            make,
        )
        .await;
        match &e {
            PublishError::RateLimited {
                reset: Some(at),
                message,
            } => {
                assert_eq!(*at, DateTime::from_timestamp(reset, 0).unwrap());
                assert!(message.contains("429"));
            }
            _ => panic!("expected a rate limit, got {e:?}"),
        }

        let e = error_for(
            ResponseTemplate::new(500).set_body_string("<html>Internal Server Error</html>"),
            make,
        )
        .await;
        assert!(
            matches!(&e, PublishError::Retryable(m) if m.contains("500")),
            "{e:?}"
        );

        let e = error_for(
            problem(
                400,
                "Invalid Request",
                "One or more parameters to your request was invalid.",
            ),
            make,
        )
        .await;
        assert!(
            matches!(&e, PublishError::Permanent(m) if m.contains("parameters")),
            "{e:?}"
        );
    }
}

#[tokio::test]
async fn a_credential_echoed_by_the_server_is_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let e = error_for(
        ResponseTemplate::new(400).set_body_string(format!("bad header: Bearer {ACCESS}")),
        |server| oauth2(server, &dir, false, false, Duration::from_secs(5)),
    )
    .await;
    assert!(
        matches!(&e, PublishError::Permanent(m) if m.contains("Bearer [redacted]")),
        "{e:?}"
    );
    let e = error_for(
        ResponseTemplate::new(400).set_body_string(format!("bad key {CONSUMER_SECRET}")),
        |server| oauth1(server, &dir),
    )
    .await;
    assert!(
        matches!(&e, PublishError::Permanent(m) if m.contains("[redacted]")),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_server_that_does_not_answer_in_time_is_a_retryable_unknown() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(created("1", "t").set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let error = send(&oauth2(
        &server,
        &dir,
        false,
        false,
        Duration::from_millis(300),
    ))
    .await
    .unwrap_err();
    assert!(
        matches!(&error, PublishError::Retryable(m) if m.contains("may have been created")),
        "{error:?}"
    );
    assert!(!format!("{error:?}").contains(ACCESS));
}

#[test]
fn construction_checks_the_endpoint_and_the_refresh_settings() {
    let dir = tempfile::tempdir().unwrap();
    let http = || HttpCore::new(Duration::from_secs(1)).unwrap();
    let mut settings = Settings {
        api_base: Some("http://api.x.com".into()),
        auth: Auth::OAuth2(OAuth2 {
            access_token: secret(&dir, "a", ACCESS),
            refresh_token: Some(secret(&dir, "r", REFRESH)),
            client_id: None,
            client_secret: None,
        }),
    };
    let err = XPublisher::new("x", &settings, http()).err().unwrap();
    assert!(err.contains("plain http"), "{err}");
    settings.api_base = None;
    let err = XPublisher::new("x", &settings, http()).err().unwrap();
    assert!(err.contains("client_id"), "{err}");
    settings.auth = Auth::OAuth2(OAuth2 {
        access_token: SecretRef::Env("HEALTHCAST_SURELY_UNSET_X_TOKEN".into()),
        refresh_token: None,
        client_id: None,
        client_secret: None,
    });
    let err = XPublisher::new("x", &settings, http()).err().unwrap();
    assert!(
        err.contains("HEALTHCAST_SURELY_UNSET_X_TOKEN is not set"),
        "{err}"
    );
}

#[test]
fn the_documented_yaml_shapes_parse() {
    let two: Settings = serde_yaml::from_str(
        "oauth2:\n  access_token: env:X_ACCESS_TOKEN\n  refresh_token: env:X_REFRESH_TOKEN\n  client_id: aBcD1234\n  client_secret: env:X_CLIENT_SECRET\n",
    )
    .unwrap();
    assert_eq!(two.api_base(), "https://api.x.com");
    assert!(matches!(two.auth, Auth::OAuth2(ref o) if o.client_id.as_deref() == Some("aBcD1234")));
    let one: Settings = serde_yaml::from_str(
        "api_base: https://api.x.example/\noauth1:\n  consumer_key: env:X_API_KEY\n  consumer_secret: env:X_API_SECRET\n  access_token: env:X_ACCESS_TOKEN\n  access_token_secret: file:/run/secrets/x\n",
    )
    .unwrap();
    assert_eq!(one.api_base(), "https://api.x.example");
    assert!(matches!(one.auth, Auth::OAuth1(_)));
}
