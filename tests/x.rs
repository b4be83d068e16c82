//! The X adapter: OAuth 1.0a signing against the worked example of X's
//! documentation, rendering (content-warning line, threads), and against a
//! real HTTP server on loopback (wiremock) the exact request contract (path,
//! Authorization for both kinds of credentials, JSON body checked against the
//! API's OpenAPI schema), reply chaining, the token refresh on a 401, and the
//! platform's answers: 401, 403 duplicate content, 429 with its rate-limit
//! header, 500, a timeout; no credential ever appears in an error.

use chrono::{DateTime, Utc};
use healthcast::content;
use healthcast::publish::http::{HttpCore, Poll};
use healthcast::publish::x::{self, Auth, OAuth1, OAuth2, Settings, XPublisher, oauth1_header};
use healthcast::publish::{
    Image, PublishContext, PublishError, Publisher, Receipt, Sent, fingerprint_of,
};
use healthcast::render::{Rendered, length};
use healthcast::secret::SecretRef;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use wiremock::matchers::{header, method, path, query_param};
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

/// The schemas of the platform's OpenAPI document used here
/// (tests/fixtures/specs, extracted from ../shared/specs), in one map.
fn spec() -> Value {
    let mut all: Value =
        serde_json::from_str(include_str!("fixtures/specs/x-tweet-create.json")).unwrap();
    let media: Value = serde_json::from_str(include_str!("fixtures/specs/x-media.json")).unwrap();
    for (name, schema) in media.as_object().unwrap() {
        all[name] = schema.clone();
    }
    all
}

/// The request schema of POST /2/tweets.
fn assert_body_matches_the_openapi_schema(body: &Value) {
    assert_matches_schema("CreatePostsRequest", body);
}

/// `value` against the schema `name`; panics with every path that fails.
fn assert_matches_schema(name: &str, value: &Value) {
    let spec = spec();
    if let Err(e) = check(&spec, &spec[name], value, name) {
        panic!("{e}\n{value:#}");
    }
}

/// A validator for the parts of JSON Schema these schemas use: `$ref`,
/// `anyOf`, objects (no field that is not declared, whatever
/// `additionalProperties` says: stricter than the spec; an object without
/// `properties` is free-form), strings (`enum`,
/// `maxLength`, the id pattern, base64 for `format: byte`), arrays, integers,
/// booleans. Anything else fails, so that nothing goes unchecked.
fn check(spec: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap();
        let target = &spec[name];
        if !target.is_object() {
            return Err(format!("{at}: schema {name} is not in the fixtures"));
        }
        return check(spec, target, value, at);
    }
    if let Some(any) = schema["anyOf"].as_array() {
        let errors: Vec<String> = any
            .iter()
            .filter_map(|s| check(spec, s, value, at).err())
            .collect();
        return if errors.len() < any.len() {
            Ok(())
        } else {
            Err(errors.join("; "))
        };
    }
    match schema["type"].as_str() {
        Some("object") => {
            let object = value
                .as_object()
                .ok_or_else(|| format!("{at} must be an object"))?;
            for required in schema["required"].as_array().into_iter().flatten() {
                if !object.contains_key(required.as_str().unwrap()) {
                    return Err(format!("{at}: missing required {required}"));
                }
            }
            if schema.get("properties").is_none() {
                return Ok(());
            }
            for (key, v) in object {
                let declared = &schema["properties"][key];
                if !declared.is_object() {
                    return Err(format!("{at}: `{key}` is not a field"));
                }
                check(spec, declared, v, &format!("{at}.{key}"))?;
            }
            Ok(())
        }
        Some("string") => {
            let s = value
                .as_str()
                .ok_or_else(|| format!("{at} must be a string"))?;
            if let Some(allowed) = schema["enum"].as_array()
                && !allowed.iter().any(|a| a == value)
            {
                return Err(format!("{at} = {s:?} is not one of {allowed:?}"));
            }
            if let Some(max) = schema["maxLength"].as_u64()
                && s.chars().count() as u64 > max
            {
                return Err(format!("{at} is longer than {max}"));
            }
            if let Some(pattern) = schema["pattern"].as_str() {
                // The only pattern used here: `^[0-9]{1,19}$`.
                assert_eq!(pattern, "^[0-9]{1,19}$");
                if !((1..=19).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())) {
                    return Err(format!("{at} = {s:?} does not match {pattern}"));
                }
            }
            match schema["format"].as_str() {
                None | Some("binary" | "date-time") => Ok(()),
                Some("byte") => {
                    use base64::Engine;
                    base64::engine::general_purpose::STANDARD
                        .decode(s)
                        .map(|_| ())
                        .map_err(|e| format!("{at} is not base64: {e}"))
                }
                Some(other) => Err(format!("{at}: unchecked format {other}")),
            }
        }
        Some("array") => {
            let items = value
                .as_array()
                .ok_or_else(|| format!("{at} must be an array"))?;
            let n = items.len() as u64;
            if schema["minItems"].as_u64().is_some_and(|min| n < min)
                || schema["maxItems"].as_u64().is_some_and(|max| n > max)
            {
                return Err(format!("{at}: {n} items is out of bounds"));
            }
            for (i, item) in items.iter().enumerate() {
                check(spec, &schema["items"], item, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        Some("integer") => value
            .as_i64()
            .map(|_| ())
            .ok_or_else(|| format!("{at} must be an integer")),
        Some("boolean") => value
            .as_bool()
            .map(|_| ())
            .ok_or_else(|| format!("{at} must be a boolean")),
        other => Err(format!("{at}: unchecked type {other:?}")),
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
            matches!(&e, PublishError::Duplicate(m)
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
async fn a_server_that_does_not_answer_in_time_may_have_posted_and_gets_no_answer() {
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
        matches!(&error, PublishError::NoAnswer(m) if m.contains("may have been created")),
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

// ---------------------------------------------------------------- images

#[path = "fixtures/multipart.rs"]
mod multipart;

const MEDIA_ID: &str = "1146654567674912769";
const ALT: &str = "A nurse gives a flu shot & smiles";

fn image() -> Image {
    Image {
        bytes: multipart::PNG_1X1.to_vec(),
        mime: "image/png",
        alt: ALT.into(),
        file_name: "flu.png".into(),
    }
}

/// X's answer to a one-request upload of a small image (MediaUploadResponse):
/// `id` is the numeric media id; `media_key` is not what a post takes.
fn upload_answer() -> ResponseTemplate {
    let body = json!({"data": {
        "id": MEDIA_ID, "media_key": format!("3_{MEDIA_ID}"), "size": 70,
        "expires_after_secs": 86400,
        "image": {"image_type": "image/png", "w": 1, "h": 1}
    }});
    assert_matches_schema("MediaUploadResponse", &body);
    ResponseTemplate::new(200).set_body_json(body)
}

fn metadata_answer() -> ResponseTemplate {
    let body =
        json!({"data": {"id": MEDIA_ID, "associated_metadata": {"alt_text": {"text": ALT}}}});
    assert_matches_schema("CreateMediaMetadataResponse", &body);
    ResponseTemplate::new(200).set_body_json(body)
}

async fn send_with_image(p: &XPublisher, r: &Rendered) -> Result<Receipt, PublishError> {
    send_image(p, r, &image()).await
}

async fn send_image(p: &XPublisher, r: &Rendered, image: &Image) -> Result<Receipt, PublishError> {
    let post = post("", "Get your flu shot.\n");
    p.publish(&PublishContext {
        image: Some(image),
        key: "tips/flu@x@2026-11-24T14:00:00Z",
        post: &post,
        rendered: r,
        at: Utc::now(),
    })
    .await
}

#[tokio::test]
async fn an_image_is_uploaded_given_its_alt_text_and_attached_to_the_first_post_only() {
    let server = MockServer::start().await;
    let bearer = format!("Bearer {ACCESS}");
    Mock::given(method("POST"))
        .and(path("/2/media/upload"))
        .and(header("authorization", bearer.as_str()))
        .and(header("content-type", "application/json"))
        .respond_with(upload_answer())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/media/metadata"))
        .and(header("authorization", bearer.as_str()))
        .and(header("content-type", "application/json"))
        .respond_with(metadata_answer())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .and(header("authorization", bearer.as_str()))
        .respond_with(Counting(AtomicUsize::new(0)))
        .expect(2)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = oauth2(&server, &dir, false, false, Duration::from_secs(5));
    let mut r = rendered("One. Two.");
    r.parts = vec!["1/2 One.".into(), "2/2 Two.".into()];
    let receipt = send_with_image(&p, &r).await.unwrap();
    assert_eq!(receipt.remote_id, "10001");

    let requests = server.received_requests().await.unwrap();
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(
        paths,
        [
            "/2/media/upload",
            "/2/media/metadata",
            "/2/tweets",
            "/2/tweets"
        ],
        "upload, alt text, then the posts"
    );
    let upload = body_of(&requests[0]);
    assert_matches_schema("MediaUploadRequest", &upload);
    assert_eq!(upload["media_category"], "tweet_image");
    use base64::Engine;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(upload["media"].as_str().unwrap())
            .unwrap(),
        multipart::PNG_1X1,
        "the image's bytes, base64 in a JSON body"
    );
    assert_eq!(upload.as_object().unwrap().len(), 2, "{upload}");
    assert_eq!(requests[0].url.query(), None);

    let metadata = body_of(&requests[1]);
    assert_eq!(
        metadata,
        json!({"id": MEDIA_ID, "metadata": {"alt_text": {"text": ALT}}})
    );
    assert_matches_schema("CreateMediaMetadataRequest", &metadata);

    let first = body_of(&requests[2]);
    assert_eq!(
        first,
        json!({"text": "1/2 One.", "media": {"media_ids": [MEDIA_ID]}})
    );
    let second = body_of(&requests[3]);
    assert_eq!(
        second,
        json!({"text": "2/2 Two.", "reply": {"in_reply_to_tweet_id": "10001"}})
    );
    assert_body_matches_the_openapi_schema(&first);
    assert_body_matches_the_openapi_schema(&second);
}

/// An animated GIF as small as one can be: GIF89a, 1×1, a two-colour
/// table, the NETSCAPE2.0 extension (loop forever) and two frames of 0.5 s,
/// one of each colour.
const ANIMATED_GIF: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xFF, 0x00, 0x00,
    0x00, 0x00, 0xFF, 0x21, 0xFF, 0x0B, 0x4E, 0x45, 0x54, 0x53, 0x43, 0x41, 0x50, 0x45, 0x32, 0x2E,
    0x30, 0x03, 0x01, 0x00, 0x00, 0x00, 0x21, 0xF9, 0x04, 0x00, 0x32, 0x00, 0x00, 0x00, 0x2C, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x21, 0xF9, 0x04,
    0x00, 0x32, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
    0x02, 0x4C, 0x01, 0x00, 0x3B,
];

#[tokio::test]
async fn a_gif_is_uploaded_as_tweet_gif_and_waited_for_while_x_processes_it() {
    let server = MockServer::start().await;
    // X processes a GIF after the upload: the answer says so, STATUS says when it is done.
    let answer = |state: &str| {
        let body = json!({"data": {
            "id": MEDIA_ID, "media_key": format!("16_{MEDIA_ID}"),
            "processing_info": {"state": state, "check_after_secs": 1}
        }});
        assert_matches_schema("MediaUploadResponse", &body);
        ResponseTemplate::new(200).set_body_json(body)
    };
    Mock::given(method("POST"))
        .and(path("/2/media/upload"))
        .respond_with(answer("pending"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2/media/upload"))
        .and(query_param("media_id", MEDIA_ID))
        .and(query_param("command", "STATUS"))
        .respond_with(answer("succeeded"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/media/metadata"))
        .respond_with(metadata_answer())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(created("12", "t"))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let poll = Poll {
        interval: Duration::from_millis(1),
        attempts: 3,
    };
    let p = oauth2(&server, &dir, false, false, Duration::from_secs(5)).with_media_poll(poll);
    let gif = Image {
        bytes: ANIMATED_GIF.to_vec(),
        mime: "image/gif",
        alt: ALT.into(),
        file_name: "handwashing.gif".into(),
    };
    let receipt = send_image(&p, &rendered("Wash your hands."), &gif)
        .await
        .unwrap();
    assert_eq!(receipt.remote_id, "12");

    let requests = server.received_requests().await.unwrap();
    let upload = body_of(&requests[0]);
    assert_matches_schema("MediaUploadRequest", &upload);
    assert_eq!(upload["media_category"], "tweet_gif");
    use base64::Engine;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(upload["media"].as_str().unwrap())
            .unwrap(),
        ANIMATED_GIF
    );
    assert_eq!(upload.as_object().unwrap().len(), 2, "{upload}");
    let post = body_of(requests.last().unwrap());
    assert_eq!(
        post,
        json!({"text": "Wash your hands.", "media": {"media_ids": [MEDIA_ID]}})
    );
    assert_body_matches_the_openapi_schema(&post);
}

#[test]
fn the_schema_check_refuses_what_x_would_refuse() {
    // The validator used above can fail: a field the upload does not take,
    // a media key in place of a media id, a category X does not know.
    let bad = [
        (
            "MediaUploadRequest",
            json!({"media": "aGk=", "media_category": "tweet_image", "media_type": "image/png"}),
        ),
        (
            "MediaUploadRequest",
            json!({"media": "aGk=", "media_category": "photo"}),
        ),
        (
            "CreatePostsRequest",
            json!({"text": "t", "media": {"media_ids": ["3_1146654567674912769"]}}),
        ),
        (
            "CreatePostsRequest",
            json!({"text": "t", "media": {"media_ids": []}}),
        ),
        (
            "CreateMediaMetadataRequest",
            json!({"id": MEDIA_ID, "alt_text": {"text": "a"}}),
        ),
    ];
    let spec = spec();
    for (name, body) in bad {
        assert!(
            check(&spec, &spec[name], &body, name).is_err(),
            "{name} accepted {body}"
        );
    }
}

#[tokio::test]
async fn an_image_upload_with_oauth1_is_signed_for_its_url_without_the_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/media/upload"))
        .respond_with(upload_answer())
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/media/metadata"))
        .respond_with(metadata_answer())
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(created("1", "t"))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    send_with_image(&oauth1(&server, &dir), &rendered("t"))
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    for request in &requests[..2] {
        let authorization = request
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap();
        let got = fields(authorization);
        let expected = oauth1_header(
            "POST",
            &format!("{}{}", server.uri(), request.url.path()),
            &[],
            CONSUMER_KEY,
            CONSUMER_SECRET,
            TOKEN,
            TOKEN_SECRET,
            &got["oauth_nonce"],
            got["oauth_timestamp"].parse().unwrap(),
        );
        assert_eq!(authorization, expected, "{}", request.url.path());
    }
}

/// Publishes with an image against `upload` and `metadata` answers; returns
/// the error and how many posts were requested.
async fn image_error(
    upload: ResponseTemplate,
    metadata: ResponseTemplate,
) -> (PublishError, usize) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/media/upload"))
        .respond_with(upload)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/media/metadata"))
        .respond_with(metadata)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(created("1", "t"))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = oauth2(&server, &dir, false, false, Duration::from_millis(500));
    let error = send_with_image(&p, &rendered("t")).await.unwrap_err();
    assert!(!format!("{error} {error:?}").contains(ACCESS));
    let posts = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/2/tweets")
        .count();
    (error, posts)
}

#[tokio::test]
async fn a_failed_upload_posts_nothing_and_is_classified() {
    let problem = |status: u16, detail: &str| {
        ResponseTemplate::new(status).set_body_json(json!({
            "title": "x", "detail": detail, "type": "about:blank", "status": status
        }))
    };
    let reset = 1_795_435_500;

    let (e, posts) = image_error(problem(400, "media type unrecognized."), metadata_answer()).await;
    assert_eq!(posts, 0);
    assert!(
        matches!(&e, PublishError::Permanent(m) if m.contains("uploading the image") && m.contains("400") && m.contains("unrecognized")),
        "{e:?}"
    );
    assert!(!e.never_sent());

    let (e, posts) = image_error(unauthorized(), metadata_answer()).await;
    assert_eq!(posts, 0);
    assert!(
        matches!(&e, PublishError::Auth(m) if m.contains("uploading the image") && m.contains("401")),
        "{e:?}"
    );

    let (e, posts) = image_error(
        problem(429, "Too Many Requests")
            .insert_header("x-rate-limit-reset", reset.to_string().as_str()),
        metadata_answer(),
    )
    .await;
    assert_eq!(posts, 0);
    assert!(
        matches!(&e, PublishError::RateLimited { reset: Some(at), message }
            if *at == DateTime::from_timestamp(reset, 0).unwrap() && message.contains("429")),
        "{e:?}"
    );

    // A 5xx and a timeout: nothing was posted, so the daemon may send again at once.
    let (e, posts) = image_error(problem(500, "Internal error"), metadata_answer()).await;
    assert_eq!(posts, 0);
    assert!(
        matches!(&e, PublishError::NotPosted(m) if m.contains("500")),
        "{e:?}"
    );
    assert!(e.never_sent(), "{e:?}");
    let (e, posts) = image_error(
        upload_answer().set_delay(Duration::from_secs(3)),
        metadata_answer(),
    )
    .await;
    assert_eq!(posts, 0);
    assert!(e.never_sent(), "{e:?}");
    assert!(!format!("{e}").contains("may have been created"), "{e}");

    // The alt text is part of the image: failing to set it posts nothing.
    let (e, posts) = image_error(upload_answer(), problem(503, "Service Unavailable")).await;
    assert_eq!(posts, 0);
    assert!(
        matches!(&e, PublishError::NotPosted(m) if m.contains("alt text") && m.contains("503")),
        "{e:?}"
    );
    assert!(e.never_sent(), "{e:?}");
    let (e, _) = image_error(upload_answer(), problem(400, "Invalid media id")).await;
    assert!(
        matches!(&e, PublishError::Permanent(m) if m.contains("alt text")),
        "{e:?}"
    );

    // An answer without a usable media id is not posted with.
    let (e, posts) = image_error(
        ResponseTemplate::new(200).set_body_json(json!({"data": {"id": "3_1/../x"}})),
        metadata_answer(),
    )
    .await;
    assert_eq!(posts, 0);
    assert!(
        matches!(&e, PublishError::Permanent(m) if m.contains("not a media id")),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_failure_of_the_post_itself_is_not_taken_for_one_before_it() {
    // The contrast: after the upload, a 500 of POST /2/tweets may have posted.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/media/upload"))
        .respond_with(upload_answer())
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/media/metadata"))
        .respond_with(metadata_answer())
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = oauth2(&server, &dir, false, false, Duration::from_secs(5));
    let e = send_with_image(&p, &rendered("t")).await.unwrap_err();
    assert!(matches!(&e, PublishError::Retryable(_)), "{e:?}");
    assert!(!e.never_sent(), "{e:?}");
}

#[tokio::test]
async fn a_refused_token_on_upload_is_refreshed_and_the_upload_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/media/upload"))
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
        .and(path("/2/media/upload"))
        .and(header(
            "authorization",
            format!("Bearer {NEW_ACCESS}").as_str(),
        ))
        .respond_with(upload_answer())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/media/metadata"))
        .and(header(
            "authorization",
            format!("Bearer {NEW_ACCESS}").as_str(),
        ))
        .respond_with(metadata_answer())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .and(header(
            "authorization",
            format!("Bearer {NEW_ACCESS}").as_str(),
        ))
        .respond_with(created("5", "t"))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = oauth2(&server, &dir, true, false, Duration::from_secs(5));
    assert_eq!(
        send_with_image(&p, &rendered("t")).await.unwrap().remote_id,
        "5"
    );
}

#[tokio::test]
async fn an_image_x_is_still_processing_is_waited_for_and_a_failed_one_is_not_posted() {
    let server = MockServer::start().await;
    let pending = |state: &str| {
        let body = json!({"data": {"id": MEDIA_ID, "processing_info": {"state": state, "check_after_secs": 1}}});
        assert_matches_schema("MediaUploadResponse", &body);
        ResponseTemplate::new(200).set_body_json(body)
    };
    Mock::given(method("POST"))
        .and(path("/2/media/upload"))
        .respond_with(pending("pending"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2/media/upload"))
        .and(query_param("media_id", MEDIA_ID))
        .and(query_param("command", "STATUS"))
        .respond_with(pending("in_progress"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2/media/upload"))
        .respond_with(pending("succeeded"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/media/metadata"))
        .respond_with(metadata_answer())
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(created("9", "t"))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let poll = Poll {
        interval: Duration::from_millis(1),
        attempts: 5,
    };
    let p = oauth2(&server, &dir, false, false, Duration::from_secs(5)).with_media_poll(poll);
    assert_eq!(
        send_with_image(&p, &rendered("t")).await.unwrap().remote_id,
        "9"
    );
    let requests = server.received_requests().await.unwrap();
    let seen: Vec<String> = requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    assert_eq!(
        seen,
        [
            "POST /2/media/upload",
            "GET /2/media/upload",
            "GET /2/media/upload",
            "POST /2/media/metadata",
            "POST /2/tweets"
        ]
    );

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/media/upload"))
        .respond_with(pending("failed"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(created("9", "t"))
        .expect(0)
        .mount(&server)
        .await;
    let p = oauth2(&server, &dir, false, false, Duration::from_secs(5)).with_media_poll(poll);
    let e = send_with_image(&p, &rendered("t")).await.unwrap_err();
    assert!(
        matches!(&e, PublishError::Permanent(m) if m.contains("failed")),
        "{e:?}"
    );
}

// ---------------------------------------------------------------- read-back

const USER_ID: &str = "2244994945";

fn me() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "data": {"id": USER_ID, "name": "Example Hospital", "username": "examplehospital"}
    }))
}

fn timeline(posts: &[(&str, &str)], next_token: Option<&str>) -> ResponseTemplate {
    let data: Vec<Value> = posts
        .iter()
        .map(|(id, text)| json!({"id": id, "text": text, "edit_history_tweet_ids": [id]}))
        .collect();
    let mut meta = json!({"result_count": posts.len()});
    if let Some(token) = next_token {
        meta["next_token"] = json!(token);
    }
    let body = if posts.is_empty() {
        json!({"meta": meta})
    } else {
        json!({"data": data, "meta": meta})
    };
    ResponseTemplate::new(200).set_body_json(body)
}

fn claimed_at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T14:00:07Z")
        .unwrap()
        .with_timezone(&Utc)
}

async fn lookup(
    p: &XPublisher,
    fingerprint: Option<&str>,
) -> Result<Option<Receipt>, PublishError> {
    p.lookup(&Sent {
        key: "tips/flu@x@2026-11-24T14:00:00Z",
        claimed_at: claimed_at(),
        fingerprint,
        taken: &[],
    })
    .await
}

/// The query of a request, as pairs, checked against the parameters the
/// spec declares for GET /2/users/{id}/tweets.
fn timeline_query(request: &Request) -> BTreeMap<String, String> {
    let media: Value = serde_json::from_str(include_str!("fixtures/specs/x-media.json")).unwrap();
    let declared = media["getUsersPosts.parameters"].as_array().unwrap();
    let query: BTreeMap<String, String> = request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    for (name, value) in &query {
        let parameter = declared
            .iter()
            .find(|p| p["name"] == name.as_str() && p["in"] == "query")
            .unwrap_or_else(|| panic!("`{name}` is not a query parameter of getUsersPosts"));
        let schema = &parameter["schema"];
        match name.as_str() {
            "max_results" => {
                let n: i64 = value.parse().unwrap();
                assert!(
                    schema["minimum"].as_i64().unwrap() <= n
                        && n <= schema["maximum"].as_i64().unwrap(),
                    "max_results {n} out of the spec's bounds"
                );
            }
            "start_time" => {
                let at = DateTime::parse_from_rfc3339(value).unwrap();
                // "Must be on or after 2010-11-06."
                assert!(at >= DateTime::parse_from_rfc3339("2010-11-06T00:00:00Z").unwrap());
            }
            "exclude" => {
                // An array, `explode: false`: comma-separated enum values.
                assert_eq!(parameter["explode"], false);
                let allowed = schema["items"]["enum"].as_array().unwrap();
                for item in value.split(',') {
                    assert!(allowed.iter().any(|a| a == item), "exclude {item}");
                }
            }
            "pagination_token" => assert!(!value.is_empty()),
            other => panic!("unchecked parameter {other}"),
        }
    }
    query
}

#[tokio::test]
async fn a_lost_post_is_found_by_its_text_with_links_as_t_co_and_entities_escaped() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/2/users/me"))
        .and(header("authorization", format!("Bearer {ACCESS}").as_str()))
        .respond_with(me())
        .expect(1)
        .mount(&server)
        .await;
    let sent = "Flu shots & boosters <today>: walk in at https://example-hospital.org/flu?src=x, or see example.org/faq.";
    let as_x = "Flu shots &amp; boosters &lt;today&gt;: walk in at https://t.co/AbC123xyz, or see https://t.co/Qq9.";
    Mock::given(method("GET"))
        .and(path(format!("/2/users/{USER_ID}/tweets")))
        .and(header("authorization", format!("Bearer {ACCESS}").as_str()))
        .respond_with(timeline(
            &[
                ("1860000000000000003", "Something else entirely."),
                ("1860000000000000002", as_x),
                ("1860000000000000001", "Flu shots &amp; boosters"),
            ],
            None,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = oauth2(&server, &dir, false, false, Duration::from_secs(5));
    let fingerprint = p.fingerprint(&rendered(sent)).unwrap();
    let found = lookup(&p, Some(&fingerprint)).await.unwrap();
    assert_eq!(
        found,
        Some(Receipt {
            remote_id: "1860000000000000002".into(),
            url: Some("https://x.com/i/web/status/1860000000000000002".into()),
        })
    );
    let requests = server.received_requests().await.unwrap();
    let query = timeline_query(&requests[1]);
    assert_eq!(
        query,
        BTreeMap::from([
            ("exclude".to_string(), "replies,retweets".to_string()),
            ("max_results".to_string(), "100".to_string()),
            // Five minutes before the claim, for the clocks' skew.
            ("start_time".to_string(), "2026-11-24T13:55:07Z".to_string()),
        ])
    );
}

#[tokio::test]
async fn a_post_with_an_image_is_found_though_x_appends_the_image_link() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/2/users/me"))
        .respond_with(me())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/2/users/{USER_ID}/tweets")))
        .respond_with(timeline(
            &[(
                "1860000000000000007",
                "1/2 Get your flu shot. https://t.co/pic123",
            )],
            None,
        ))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = oauth2(&server, &dir, false, false, Duration::from_secs(5));
    let mut r = rendered("Get your flu shot. Then rest.");
    r.parts = vec!["1/2 Get your flu shot.".into(), "2/2 Then rest.".into()];
    let fingerprint = p.fingerprint(&r).unwrap();
    assert_eq!(
        Some(fingerprint.clone()),
        p.fingerprint(&rendered("1/2 Get your flu shot.")),
        "a thread is fingerprinted by its first part"
    );
    let found = lookup(&p, Some(&fingerprint)).await.unwrap();
    assert_eq!(found.unwrap().remote_id, "1860000000000000007");
}

#[tokio::test]
async fn a_post_not_on_any_page_is_certainly_not_there_and_the_account_is_asked_for_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/2/users/me"))
        .respond_with(me())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/2/users/{USER_ID}/tweets")))
        .and(query_param(
            "pagination_token",
            "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i",
        ))
        .respond_with(timeline(
            &[("1860000000000000001", "Get your flu shot today.")],
            None,
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/2/users/{USER_ID}/tweets")))
        .respond_with(timeline(
            &[("1860000000000000002", "Get your flu shot!")],
            Some("7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i"),
        ))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = oauth2(&server, &dir, false, false, Duration::from_secs(5));
    let fingerprint = p.fingerprint(&rendered("Get your flu shot.")).unwrap();
    assert_eq!(lookup(&p, Some(&fingerprint)).await.unwrap(), None);
    // A second lookup asks /2/users/me no more (`expect(1)` above).
    assert_eq!(lookup(&p, Some(&fingerprint)).await.unwrap(), None);
    let requests = server.received_requests().await.unwrap();
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    let timeline_path = format!("/2/users/{USER_ID}/tweets");
    assert_eq!(
        paths,
        [
            "/2/users/me",
            &timeline_path,
            &timeline_path,
            &timeline_path,
            &timeline_path
        ]
    );
    assert_eq!(
        timeline_query(&requests[2])["pagination_token"],
        "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i"
    );
    assert!(!timeline_query(&requests[1]).contains_key("pagination_token"));

    // An empty timeline: not there either.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/2/users/me"))
        .respond_with(me())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(timeline(&[], None))
        .mount(&server)
        .await;
    let p = oauth2(&server, &dir, false, false, Duration::from_secs(5));
    assert_eq!(lookup(&p, Some(&fingerprint)).await.unwrap(), None);
}

#[tokio::test]
async fn without_a_fingerprint_a_lookup_cannot_tell_and_asks_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(me())
        .expect(0)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = oauth2(&server, &dir, false, false, Duration::from_secs(5));
    let e = lookup(&p, None).await.unwrap_err();
    assert!(
        matches!(&e, PublishError::Permanent(m) if m.contains("fingerprint")),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_lookup_that_x_refuses_or_limits_is_an_error_not_a_not_found() {
    for (response, rate_limited) in [
        (unauthorized(), false),
        (
            ResponseTemplate::new(429).insert_header("x-rate-limit-reset", "1795435500"),
            true,
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/2/users/me"))
            .respond_with(me())
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("/2/users/{USER_ID}/tweets")))
            .respond_with(response)
            .mount(&server)
            .await;
        let dir = tempfile::tempdir().unwrap();
        let p = oauth1(&server, &dir);
        let e = lookup(&p, Some("00")).await.unwrap_err();
        if rate_limited {
            assert!(
                matches!(&e, PublishError::RateLimited { reset: Some(_), .. }),
                "{e:?}"
            );
        } else {
            assert!(
                matches!(&e, PublishError::Auth(m) if m.contains("401")),
                "{e:?}"
            );
        }
        for secret in ALL_SECRETS {
            assert!(!format!("{e:?}").contains(secret));
        }
        // The GET is signed with its query (OAuth 1.0a signs query parameters).
        let requests = server.received_requests().await.unwrap();
        let request = &requests[1];
        let authorization = request
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap();
        let got = fields(authorization);
        // (wiremock names the host `localhost`, without the port: the URL
        // requested is the server's with the path and query received.)
        let url = format!(
            "{}{}?{}",
            server.uri(),
            request.url.path(),
            request.url.query().unwrap()
        );
        let expected = oauth1_header(
            "GET",
            &url,
            &[],
            CONSUMER_KEY,
            CONSUMER_SECRET,
            TOKEN,
            TOKEN_SECRET,
            &got["oauth_nonce"],
            got["oauth_timestamp"].parse().unwrap(),
        );
        assert_eq!(authorization, expected);
    }
}

#[test]
fn the_fingerprint_ignores_what_x_rewrites_and_nothing_else() {
    let fp = |text: &str| fingerprint_of(&x::comparable(text));
    // Each link becomes one placeholder: which link it was does not matter.
    assert_eq!(
        fp("See https://example.org/a?b=1 now"),
        fp("See https://t.co/xYz now")
    );
    // NFC: a decomposed é is the composed one.
    assert_eq!(fp("Caf\u{65}\u{301} hours"), fp("Caf\u{e9} hours"));
    assert_eq!(fp("  padded \n"), fp("padded"));
    // Words are not rewritten by X: a different word is a different post.
    assert_ne!(fp("Get your flu shot."), fp("Get your flu shots."));
    assert_ne!(fp("See https://t.co/a now"), fp("See https://t.co/a later"));
}
