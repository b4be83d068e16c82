//! The Bluesky adapter against a real HTTP server on loopback (wiremock): the
//! XRPC contract of createSession, refreshSession, createRecord and getRecord
//! (method, path, bearer token, body), the record checked against the
//! lexicons (tests/fixtures/specs/bluesky, copied from ../shared/specs), facet
//! byte offsets, threads, session renewal, the idempotent record key and the
//! platform's error shapes; and rendering against both of Bluesky's limits.
//! Images: the raw uploadBlob request, the `app.bsky.embed.images` embed on
//! the first post (checked against the lexicon, blob limits included), and
//! an image over the lexicon's `maxSize` refused before anything is sent.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use healthcast::content;
use healthcast::publish::bluesky::{
    self, BlueskyPublisher, MAX_GRAPHEMES, MAX_IMAGE_BYTES, Settings, is_tid, measure, tid_for,
};
use healthcast::publish::http::HttpCore;
use healthcast::publish::{Image, PublishContext, PublishError, Publisher, Receipt, Sent};
use healthcast::render::Rendered;
use healthcast::secret::SecretRef;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use unicode_segmentation::UnicodeSegmentation;
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const PASSWORD: &str = "abcd-efgh-ijkl-mnop";
const HANDLE: &str = "hospital.example.org";
const DID: &str = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
const KEY: &str = "tips/flu@bluesky@2026-11-24T14:00:00Z";

const CREATE_SESSION: &str = "/xrpc/com.atproto.server.createSession";
const REFRESH_SESSION: &str = "/xrpc/com.atproto.server.refreshSession";
const CREATE_RECORD: &str = "/xrpc/com.atproto.repo.createRecord";
const GET_RECORD: &str = "/xrpc/com.atproto.repo.getRecord";
const UPLOAD_BLOB: &str = "/xrpc/com.atproto.repo.uploadBlob";

fn slot() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 14, 0, 0).unwrap()
}

fn password_file(dir: &tempfile::TempDir) -> SecretRef {
    let file = dir.path().join("bluesky-app-password");
    std::fs::write(&file, format!("{PASSWORD}\n")).unwrap();
    SecretRef::File(file)
}

fn publisher(server: &MockServer, dir: &tempfile::TempDir, timeout: Duration) -> BlueskyPublisher {
    let settings = Settings {
        service: server.uri(),
        handle: HANDLE.into(),
        password: password_file(dir),
    };
    BlueskyPublisher::new("bluesky", &settings, HttpCore::new(timeout).unwrap()).unwrap()
}

fn post_with(front: &str, body: &str) -> content::Post {
    content::parse(
        "content/tips/flu.md",
        &format!("---\ntitle: Flu shots\nkind: tip\n{front}---\n{body}"),
    )
    .unwrap()
}

fn post() -> content::Post {
    post_with(
        "lang: en\ncontent_warning: Needles\n",
        "Get your flu shot.\n",
    )
}

fn rendered(text: &str) -> Rendered {
    Rendered {
        text: text.into(),
        length: measure(text),
        limit: Some(MAX_GRAPHEMES),
        html: None,
        parts: vec![text.into()],
    }
}

async fn publish(
    p: &BlueskyPublisher,
    post: &content::Post,
    r: &Rendered,
) -> Result<Receipt, PublishError> {
    p.publish(&PublishContext {
        image: None,
        key: KEY,
        post,
        rendered: r,
        at: slot(),
    })
    .await
}

async fn send(p: &BlueskyPublisher) -> Result<Receipt, PublishError> {
    publish(p, &post(), &rendered("Get your flu shot.")).await
}

/// A session as the PDS returns it; `n` numbers its tokens.
fn session_json(n: usize) -> Value {
    json!({
        "accessJwt": format!("access-{n}"), "refreshJwt": format!("refresh-{n}"),
        "handle": HANDLE, "did": DID, "active": true,
    })
}

/// Answers each createSession with the next session.
struct Sessions(AtomicUsize);

impl wiremock::Respond for Sessions {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(session_json(n))
    }
}

fn cid(n: usize) -> String {
    format!("bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3{n:03}")
}

/// Answers each createRecord as a PDS does: the record's at:// URI (with the
/// requested rkey) and a new CID.
struct Created(AtomicUsize);

impl wiremock::Respond for Created {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let rkey = body["rkey"].as_str().unwrap();
        ResponseTemplate::new(200).set_body_json(json!({
            "uri": format!("at://{DID}/app.bsky.feed.post/{rkey}"),
            "cid": cid(n),
            "commit": {"cid": "bafyreigcommit", "rev": "3l3qo2vuowo2b"},
            "validationStatus": "valid",
        }))
    }
}

async fn mount_sessions(server: &MockServer, expect: u64) {
    Mock::given(method("POST"))
        .and(path(CREATE_SESSION))
        .respond_with(Sessions(AtomicUsize::new(0)))
        .expect(expect)
        .mount(server)
        .await;
}

async fn mount_created(server: &MockServer, token: &str, expect: u64) {
    Mock::given(method("POST"))
        .and(path(CREATE_RECORD))
        .and(header("authorization", format!("Bearer {token}").as_str()))
        .respond_with(Created(AtomicUsize::new(0)))
        .expect(expect)
        .mount(server)
        .await;
}

fn xrpc_error(status: u16, error: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"error": error, "message": message}))
}

async fn bodies(server: &MockServer, at: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == at)
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

fn assert_no_credentials(error: &PublishError) {
    let text = format!("{error} {error:?}");
    for secret in [PASSWORD, "access-1", "refresh-1", "access-2", "refresh-2"] {
        assert!(!text.contains(secret), "{secret} leaked in {text}");
    }
}

// ---------------------------------------------------------------------------
// A small lexicon validator: enough of the Lexicon schema language for the
// definitions these calls use (object, record, ref, union, string with its
// limits and formats, integer, boolean, array, unknown).

struct Lexicons(BTreeMap<String, Value>);

impl Lexicons {
    fn load() -> Lexicons {
        let files = [
            include_str!("fixtures/specs/bluesky/app.bsky.feed.post.json"),
            include_str!("fixtures/specs/bluesky/app.bsky.richtext.facet.json"),
            include_str!("fixtures/specs/bluesky/com.atproto.label.defs.json"),
            include_str!("fixtures/specs/bluesky/com.atproto.repo.strongRef.json"),
            include_str!("fixtures/specs/bluesky/com.atproto.repo.createRecord.json"),
            include_str!("fixtures/specs/bluesky/com.atproto.repo.getRecord.json"),
            include_str!("fixtures/specs/bluesky/com.atproto.server.createSession.json"),
            include_str!("fixtures/specs/bluesky/com.atproto.server.refreshSession.json"),
            include_str!("fixtures/specs/bluesky/com.atproto.repo.uploadBlob.json"),
            include_str!("fixtures/specs/bluesky/app.bsky.embed.images.json"),
        ];
        Lexicons(
            files
                .iter()
                .map(|text| {
                    let doc: Value = serde_json::from_str(text).unwrap();
                    (doc["id"].as_str().unwrap().to_string(), doc)
                })
                .collect(),
        )
    }

    /// `lex:nsid#name`, `nsid`, or `#name` (in `context`) → (nsid, definition).
    fn resolve(&self, reference: &str, context: &str) -> (String, &Value) {
        let r = reference.trim_start_matches("lex:");
        let (nsid, name) = match r.split_once('#') {
            Some(("", name)) => (context, name),
            Some((nsid, name)) => (nsid, name),
            None => (r, "main"),
        };
        let def = self
            .0
            .get(nsid)
            .unwrap_or_else(|| panic!("lexicon {nsid} is not in the fixtures"))["defs"]
            .get(name)
            .unwrap_or_else(|| panic!("{nsid} has no definition {name}"));
        (nsid.to_string(), def)
    }

    /// The schema of an XRPC procedure's input or output.
    fn body(&self, nsid: &str, which: &str) -> &Value {
        &self.resolve(nsid, nsid).1[which]["schema"]
    }

    fn check(&self, value: &Value, schema: &Value, context: &str, at: &str) {
        let kind = schema["type"].as_str().unwrap();
        match kind {
            "record" => self.check(value, &schema["record"], context, at),
            "ref" => {
                let (nsid, def) = self.resolve(schema["ref"].as_str().unwrap(), context);
                self.check(value, def, &nsid, at);
            }
            "union" => {
                let ty = value["$type"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{at}: a union member needs $type"));
                let refs: Vec<&str> = schema["refs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap())
                    .collect();
                let found = refs
                    .iter()
                    .find(|r| r.trim_start_matches("lex:").trim_end_matches("#main") == ty)
                    .unwrap_or_else(|| panic!("{at}: $type {ty} is not one of {refs:?}"));
                let (nsid, def) = self.resolve(found, context);
                self.check(value, def, &nsid, at);
            }
            "object" => {
                let object = value
                    .as_object()
                    .unwrap_or_else(|| panic!("{at}: not an object"));
                for required in schema["required"].as_array().into_iter().flatten() {
                    let name = required.as_str().unwrap();
                    assert!(object.contains_key(name), "{at}: `{name}` is required");
                }
                for (name, v) in object {
                    if name == "$type" {
                        continue;
                    }
                    let declared = schema["properties"]
                        .get(name)
                        .unwrap_or_else(|| panic!("{at}: `{name}` is not in the lexicon"));
                    self.check(v, declared, context, &format!("{at}.{name}"));
                }
            }
            "string" => {
                let s = value
                    .as_str()
                    .unwrap_or_else(|| panic!("{at}: not a string"));
                if let Some(max) = schema["maxLength"].as_u64() {
                    assert!(s.len() as u64 <= max, "{at}: {} bytes > {max}", s.len());
                }
                if let Some(max) = schema["maxGraphemes"].as_u64() {
                    let n = s.graphemes(true).count() as u64;
                    assert!(n <= max, "{at}: {n} graphemes > {max}");
                }
                check_format(s, schema["format"].as_str(), at);
            }
            "integer" => {
                let n = value
                    .as_i64()
                    .unwrap_or_else(|| panic!("{at}: not an integer"));
                if let Some(min) = schema["minimum"].as_i64() {
                    assert!(n >= min, "{at}: {n} < {min}");
                }
            }
            "boolean" => assert!(value.is_boolean(), "{at}: not a boolean"),
            "array" => {
                let items = value
                    .as_array()
                    .unwrap_or_else(|| panic!("{at}: not an array"));
                if let Some(max) = schema["maxLength"].as_u64() {
                    assert!(items.len() as u64 <= max, "{at}: more than {max} items");
                }
                for (i, item) in items.iter().enumerate() {
                    self.check(item, &schema["items"], context, &format!("{at}[{i}]"));
                }
            }
            "unknown" => assert!(value.is_object(), "{at}: `unknown` must be an object"),
            "blob" => {
                // A blob reference as a record holds it (the data model's
                // `$type: blob` form), within the schema's type and size.
                assert_eq!(value["$type"], "blob", "{at}: $type must be blob");
                let link = value["ref"]["$link"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{at}: ref.$link must be a string"));
                check_format(link, Some("cid"), &format!("{at}.ref"));
                let mime = value["mimeType"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{at}: mimeType must be a string"));
                let size = value["size"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("{at}: size must be an integer"));
                if let Some(accept) = schema["accept"].as_array() {
                    let ok = accept.iter().filter_map(Value::as_str).any(|a| {
                        a == mime
                            || a.strip_suffix("/*")
                                .is_some_and(|p| mime.starts_with(&format!("{p}/")))
                    });
                    assert!(ok, "{at}: {mime} is not one of {accept:?}");
                }
                if let Some(max) = schema["maxSize"].as_u64() {
                    assert!(size <= max, "{at}: {size} bytes > {max}");
                }
            }
            other => panic!("{at}: the test validator does not know type {other}"),
        }
    }
}

fn check_format(s: &str, format: Option<&str>, at: &str) {
    let ok = match format {
        None => true,
        Some("datetime") => DateTime::parse_from_rfc3339(s).is_ok() && s.contains('T'),
        Some("language") => {
            let primary = s.split('-').next().unwrap_or("");
            (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_lowercase())
        }
        Some("uri") => s.split_once(':').is_some_and(|(scheme, rest)| {
            !scheme.is_empty() && !rest.is_empty() && !s.contains(char::is_whitespace)
        }),
        Some("at-uri") => s.starts_with("at://"),
        Some("did") | Some("at-identifier") => s.starts_with("did:") || s.contains('.'),
        Some("nsid") => s.split('.').count() >= 3,
        Some("record-key") => is_tid(s),
        // CIDv1 in base32: `bafy…` for records (dag-cbor), `bafk…` for
        // blobs (raw).
        Some("cid") => s.starts_with("bafy") || s.starts_with("bafk"),
        Some("handle") => s.contains('.'),
        Some(other) => panic!("{at}: the test validator does not know format {other}"),
    };
    assert!(ok, "{at}: `{s}` is not a valid {format:?}");
}

/// A createRecord body: the call's input schema, then the record against
/// app.bsky.feed.post, then the facets' indexes against the text.
fn assert_valid_create_record(body: &Value) {
    let lex = Lexicons::load();
    let input = lex.body("com.atproto.repo.createRecord", "input");
    lex.check(body, input, "com.atproto.repo.createRecord", "$");
    let record = &body["record"];
    assert_eq!(record["$type"], "app.bsky.feed.post");
    let (nsid, post) = lex.resolve("app.bsky.feed.post", "");
    lex.check(record, post, &nsid, "$.record");
    assert_facets_index_the_text(record);
}

/// Facet indexes are UTF-8 byte offsets into the text, end exclusive, on
/// character boundaries, sorted and not overlapping.
fn assert_facets_index_the_text(record: &Value) {
    let text = record["text"].as_str().unwrap();
    let mut end = 0;
    for facet in record["facets"].as_array().into_iter().flatten() {
        let start = facet["index"]["byteStart"].as_u64().unwrap() as usize;
        let stop = facet["index"]["byteEnd"].as_u64().unwrap() as usize;
        assert!(
            start >= end && start < stop && stop <= text.len(),
            "{facet}"
        );
        assert!(text.is_char_boundary(start) && text.is_char_boundary(stop));
        end = stop;
    }
}

/// The text a facet covers.
fn covered<'t>(text: &'t str, facet: &Value) -> &'t str {
    let start = facet["index"]["byteStart"].as_u64().unwrap() as usize;
    let end = facet["index"]["byteEnd"].as_u64().unwrap() as usize;
    &text[start..end]
}

// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_post_is_created_with_the_xrpc_contract_and_the_session_is_kept() {
    let server = MockServer::start().await;
    mount_sessions(&server, 1).await;
    mount_created(&server, "access-1", 2).await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let before = Utc::now() - TimeDelta::seconds(1);
    let receipt = send(&p).await.unwrap();
    let rkey = tid_for(KEY, slot());
    assert_eq!(
        receipt.remote_id,
        format!("at://{DID}/app.bsky.feed.post/{rkey}")
    );
    assert_eq!(
        receipt.url,
        Some(format!("https://bsky.app/profile/{HANDLE}/post/{rkey}"))
    );
    // A second publication reuses the session (createSession expects 1).
    send(&p).await.unwrap();

    let requests = server.received_requests().await.unwrap();
    let login = &requests[0];
    assert_eq!(login.method.as_str(), "POST");
    assert_eq!(login.url.path(), CREATE_SESSION);
    assert_eq!(
        login.headers.get("content-type").unwrap(),
        "application/json"
    );
    assert!(login.headers.get("authorization").is_none());
    let body: Value = serde_json::from_slice(&login.body).unwrap();
    assert_eq!(body, json!({"identifier": HANDLE, "password": PASSWORD}));
    let lex = Lexicons::load();
    lex.check(
        &body,
        lex.body("com.atproto.server.createSession", "input"),
        "com.atproto.server.createSession",
        "$",
    );
    lex.check(
        &session_json(1),
        lex.body("com.atproto.server.createSession", "output"),
        "com.atproto.server.createSession",
        "$",
    );

    let create = &requests[1];
    assert_eq!(create.method.as_str(), "POST");
    assert_eq!(create.url.path(), CREATE_RECORD);
    assert_eq!(
        create.headers.get("authorization").unwrap(),
        "Bearer access-1"
    );
    assert_eq!(
        create.headers.get("content-type").unwrap(),
        "application/json"
    );
    let body: Value = serde_json::from_slice(&create.body).unwrap();
    let created_at = DateTime::parse_from_rfc3339(body["record"]["createdAt"].as_str().unwrap())
        .unwrap()
        .to_utc();
    assert!(created_at >= before && created_at <= Utc::now() + TimeDelta::seconds(1));
    let mut expected = body.clone();
    expected["record"]["createdAt"] = Value::Null;
    assert_eq!(
        expected,
        json!({
            "repo": DID,
            "collection": "app.bsky.feed.post",
            "rkey": rkey,
            "record": {
                "$type": "app.bsky.feed.post",
                "text": "Get your flu shot.",
                "createdAt": null,
                "langs": ["en"],
                "labels": {
                    "$type": "com.atproto.label.defs#selfLabels",
                    "values": [{"val": "graphic-media"}],
                },
            },
        })
    );
    assert_valid_create_record(&body);
}

#[tokio::test]
async fn facets_are_utf8_byte_offsets_and_mentions_carry_the_resolved_did() {
    let server = MockServer::start().await;
    mount_sessions(&server, 1).await;
    mount_created(&server, "access-1", 1).await;
    Mock::given(method("GET"))
        .and(path(RESOLVE_HANDLE))
        .and(query_param("handle", "praxis.bsky.social"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"did": PRAXIS_DID})))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let text = "Grippe-Impfung für Ältere 💉 jetzt: https://www.rki.de/impfung. \
                Fragen? @praxis.bsky.social 👩‍⚕️ #Grippe #Gesundheit";
    let post = post_with("lang: de\n", "x\n");
    publish(&p, &post, &rendered(text)).await.unwrap();

    let body = &bodies(&server, CREATE_RECORD).await[0];
    assert_valid_create_record(body);
    let record = &body["record"];
    assert_eq!(record["text"], text);
    assert_eq!(record["langs"], json!(["de"]));
    assert!(record.get("labels").is_none(), "no warning, no label");
    let facets = record["facets"].as_array().unwrap();
    let seen: Vec<(&str, &Value)> = facets
        .iter()
        .map(|f| (covered(text, f), &f["features"][0]))
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "https://www.rki.de/impfung",
                &json!({"$type": "app.bsky.richtext.facet#link", "uri": "https://www.rki.de/impfung"})
            ),
            (
                "@praxis.bsky.social",
                &json!({"$type": "app.bsky.richtext.facet#mention", "did": PRAXIS_DID})
            ),
            (
                "#Grippe",
                &json!({"$type": "app.bsky.richtext.facet#tag", "tag": "Grippe"})
            ),
            (
                "#Gesundheit",
                &json!({"$type": "app.bsky.richtext.facet#tag", "tag": "Gesundheit"})
            ),
        ]
    );
    // Bytes, not characters: "ü", "Ä" and "💉" come before the link.
    let link_start = facets[0]["index"]["byteStart"].as_u64().unwrap() as usize;
    assert_eq!(link_start, text.find("https://").unwrap());
    assert_eq!(link_start, text[..link_start].chars().count() + 1 + 1 + 3);
}

const RESOLVE_HANDLE: &str = "/xrpc/com.atproto.identity.resolveHandle";
const PRAXIS_DID: &str = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";

#[tokio::test]
async fn a_handle_that_does_not_resolve_stays_plain_text_and_each_handle_is_asked_once() {
    let server = MockServer::start().await;
    mount_sessions(&server, 1).await;
    mount_created(&server, "access-1", 2).await;
    // The reference PDS's answer for a handle with no account.
    Mock::given(method("GET"))
        .and(path(RESOLVE_HANDLE))
        .respond_with(xrpc_error(
            400,
            "InvalidRequest",
            "Unable to resolve handle",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let mut r = rendered("Ask @nobody.bsky.social. Or @nobody.bsky.social again.");
    r.parts = vec![
        "1/2 Ask @nobody.bsky.social.".into(),
        "2/2 Or @nobody.bsky.social again.".into(),
    ];
    publish(&p, &post(), &r).await.unwrap();
    for body in bodies(&server, CREATE_RECORD).await {
        assert_valid_create_record(&body);
        assert!(
            body["record"].get("facets").is_none(),
            "no facet for an unresolved handle: {body}"
        );
    }
}

#[tokio::test]
async fn a_failing_handle_resolution_posts_nothing_and_can_be_retried() {
    let server = MockServer::start().await;
    mount_sessions(&server, 0).await;
    mount_created(&server, "access-1", 0).await;
    Mock::given(method("GET"))
        .and(path(RESOLVE_HANDLE))
        .respond_with(xrpc_error(502, "UpstreamFailure", "bad gateway"))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let error = publish(&p, &post(), &rendered("Ask @praxis.bsky.social."))
        .await
        .unwrap_err();
    assert!(matches!(error, PublishError::Retryable(_)), "{error:?}");
}

#[tokio::test]
async fn a_thread_replies_with_root_and_parent_strong_refs() {
    let server = MockServer::start().await;
    mount_sessions(&server, 1).await;
    mount_created(&server, "access-1", 3).await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let settings = Settings {
        service: server.uri(),
        handle: HANDLE.into(),
        password: password_file(&dir),
    };
    let body = "Wash your hands with soap for twenty seconds before eating. ".repeat(12);
    let post = post_with("lang: en\nthread: true\n", &body);
    let r = bluesky::render(&post, &settings);
    assert_eq!(r.parts.len(), 3, "{:?}", r.parts);
    assert!(!r.too_long());
    let receipt = publish(&p, &post, &r).await.unwrap();

    let bodies = bodies(&server, CREATE_RECORD).await;
    assert_eq!(bodies.len(), 3);
    let rkeys: Vec<&str> = bodies.iter().map(|b| b["rkey"].as_str().unwrap()).collect();
    assert_eq!(
        rkeys,
        vec![
            tid_for(KEY, slot()),
            tid_for(&format!("{KEY}#2"), slot()),
            tid_for(&format!("{KEY}#3"), slot())
        ]
    );
    let strong = |i: usize| json!({"uri": format!("at://{DID}/app.bsky.feed.post/{}", rkeys[i]), "cid": cid(i + 1)});
    assert!(bodies[0]["record"].get("reply").is_none());
    assert_eq!(
        bodies[1]["record"]["reply"],
        json!({"root": strong(0), "parent": strong(0)})
    );
    assert_eq!(
        bodies[2]["record"]["reply"],
        json!({"root": strong(0), "parent": strong(1)})
    );
    for (body, part) in bodies.iter().zip(&r.parts) {
        assert_eq!(body["record"]["text"], part.as_str());
        assert_valid_create_record(body);
    }
    assert_eq!(receipt.remote_id, strong(0)["uri"]);
    assert_eq!(
        receipt.url,
        Some(format!(
            "https://bsky.app/profile/{HANDLE}/post/{}",
            rkeys[0]
        ))
    );
}

#[tokio::test]
async fn an_expired_token_is_refreshed_and_the_request_sent_once_more() {
    let server = MockServer::start().await;
    mount_sessions(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(CREATE_RECORD))
        .and(header("authorization", "Bearer access-1"))
        .respond_with(xrpc_error(400, "ExpiredToken", "Token has expired"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(REFRESH_SESSION))
        .and(header("authorization", "Bearer refresh-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(session_json(2)))
        .expect(1)
        .mount(&server)
        .await;
    mount_created(&server, "access-2", 2).await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    send(&p).await.unwrap();
    // The refreshed session is kept.
    send(&p).await.unwrap();
    let creates = bodies(&server, CREATE_RECORD).await;
    assert_eq!(creates.len(), 3);
    assert_eq!(creates[0], creates[1].clone(), "the same request, resent");
}

#[tokio::test]
async fn a_refused_refresh_falls_back_to_a_new_session() {
    let server = MockServer::start().await;
    mount_sessions(&server, 2).await;
    Mock::given(method("POST"))
        .and(path(CREATE_RECORD))
        .and(header("authorization", "Bearer access-1"))
        .respond_with(xrpc_error(400, "ExpiredToken", "Token has expired"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(REFRESH_SESSION))
        .respond_with(xrpc_error(400, "ExpiredToken", "Token has expired"))
        .expect(1)
        .mount(&server)
        .await;
    mount_created(&server, "access-2", 1).await;
    let dir = tempfile::tempdir().unwrap();
    send(&publisher(&server, &dir, Duration::from_secs(5)))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_invalid_token_is_an_auth_error_without_renewal() {
    let server = MockServer::start().await;
    mount_sessions(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(CREATE_RECORD))
        .respond_with(xrpc_error(400, "InvalidToken", "Bad token scope"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(REFRESH_SESSION))
        .respond_with(ResponseTemplate::new(200).set_body_json(session_json(2)))
        .expect(0)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let error = send(&publisher(&server, &dir, Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PublishError::Auth(m) if m.contains("400") && m.contains("InvalidToken")),
        "{error:?}"
    );
    assert_no_credentials(&error);
}

#[tokio::test]
async fn after_a_500_a_record_that_is_there_is_a_success() {
    let server = MockServer::start().await;
    mount_sessions(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(CREATE_RECORD))
        .respond_with(xrpc_error(
            500,
            "InternalServerError",
            "Internal Server Error",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let rkey = tid_for(KEY, slot());
    let uri = format!("at://{DID}/app.bsky.feed.post/{rkey}");
    let found = json!({
        "uri": uri, "cid": cid(7),
        "value": {"$type": "app.bsky.feed.post", "text": "Get your flu shot.", "createdAt": "2026-11-24T14:00:01.000Z"},
    });
    Mock::given(method("GET"))
        .and(path(GET_RECORD))
        .and(query_param("repo", DID))
        .and(query_param("collection", "app.bsky.feed.post"))
        .and(query_param("rkey", rkey.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(&found))
        .expect(1)
        .mount(&server)
        .await;
    let lex = Lexicons::load();
    lex.check(
        &found,
        lex.body("com.atproto.repo.getRecord", "output"),
        "com.atproto.repo.getRecord",
        "$",
    );
    let dir = tempfile::tempdir().unwrap();
    let receipt = send(&publisher(&server, &dir, Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(receipt.remote_id, uri);
}

#[tokio::test]
async fn after_a_500_a_record_that_is_not_there_is_retryable() {
    let server = MockServer::start().await;
    mount_sessions(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(CREATE_RECORD))
        .respond_with(xrpc_error(
            500,
            "InternalServerError",
            "Internal Server Error",
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(GET_RECORD))
        .respond_with(xrpc_error(400, "RecordNotFound", "Could not locate record"))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let error = send(&publisher(&server, &dir, Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PublishError::Retryable(m) if m.contains("500") && m.contains("not there")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_429_is_rate_limited_until_the_ratelimit_reset() {
    let server = MockServer::start().await;
    mount_sessions(&server, 1).await;
    let reset = Utc::now().timestamp() + 300;
    Mock::given(method("POST"))
        .and(path(CREATE_RECORD))
        .respond_with(
            xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded")
                .insert_header("RateLimit-Limit", "5000")
                .insert_header("RateLimit-Remaining", "0")
                .insert_header("RateLimit-Reset", reset.to_string().as_str())
                .insert_header("RateLimit-Policy", "5000;w=3600"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let error = send(&publisher(&server, &dir, Duration::from_secs(5)))
        .await
        .unwrap_err();
    match &error {
        PublishError::RateLimited {
            reset: Some(at),
            message,
        } => {
            assert_eq!(*at, DateTime::from_timestamp(reset, 0).unwrap());
            assert!(message.contains("RateLimitExceeded"));
        }
        _ => panic!("expected RateLimited, got {error:?}"),
    }
}

#[tokio::test]
async fn a_server_that_does_not_answer_in_time_may_have_posted_and_gets_no_answer() {
    let server = MockServer::start().await;
    mount_sessions(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(CREATE_RECORD))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"uri": "at://x/y/z", "cid": cid(1)}))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let error = send(&publisher(&server, &dir, Duration::from_millis(300)))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PublishError::NoAnswer(m) if m.contains("may have been created")),
        "{error:?}"
    );
}

#[tokio::test]
async fn errors_never_carry_the_app_password_or_tokens() {
    let cases: Vec<(&str, ResponseTemplate, &str)> = vec![
        (
            CREATE_SESSION,
            xrpc_error(
                401,
                "AuthenticationRequired",
                "Invalid identifier or password",
            ),
            "auth",
        ),
        (
            CREATE_SESSION,
            xrpc_error(
                400,
                "InvalidRequest",
                &format!("Input/password must be a valid app password, got {PASSWORD}"),
            ),
            "permanent",
        ),
        (
            CREATE_SESSION,
            ResponseTemplate::new(502).set_body_string(format!("<html>bad gateway {PASSWORD}")),
            "retry",
        ),
        (
            CREATE_RECORD,
            xrpc_error(
                400,
                "InvalidRequest",
                "Invalid app.bsky.feed.post record: token access-1 may not post",
            ),
            "permanent",
        ),
        (
            CREATE_RECORD,
            xrpc_error(400, "AuthenticationRequired", "Authentication Required"),
            "auth",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (at, response, expected) in cases {
        let server = MockServer::start().await;
        if at == CREATE_RECORD {
            mount_sessions(&server, 1).await;
        }
        Mock::given(method("POST"))
            .and(path(at))
            .respond_with(response)
            .expect(1)
            .mount(&server)
            .await;
        let error = send(&publisher(&server, &dir, Duration::from_secs(5)))
            .await
            .unwrap_err();
        assert_no_credentials(&error);
        match (expected, &error) {
            ("auth", PublishError::Auth(_))
            | ("permanent", PublishError::Permanent(_))
            | ("retry", PublishError::Retryable(_)) => {}
            _ => panic!("{at}: expected {expected}, got {error:?}"),
        }
    }
}

#[tokio::test]
async fn a_refused_connection_is_retryable_and_names_no_secret() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        service: format!("http://127.0.0.1:{port}"),
        handle: HANDLE.into(),
        password: password_file(&dir),
    };
    let p = BlueskyPublisher::new(
        "bluesky",
        &settings,
        HttpCore::new(Duration::from_secs(2)).unwrap(),
    )
    .unwrap();
    let error = send(&p).await.unwrap_err();
    assert!(
        matches!(&error, PublishError::NotPosted(m) if m.contains("could not connect")),
        "{error:?}"
    );
    assert_no_credentials(&error);
}

#[test]
fn settings_parse_strictly_and_endpoints_must_be_https() {
    let ok: Settings = serde_yaml::from_str(
        "service: https://bsky.social\nhandle: hospital.bsky.social\npassword: env:BSKY_APP_PASSWORD\n",
    )
    .unwrap();
    assert_eq!(ok.password, SecretRef::Env("BSKY_APP_PASSWORD".into()));
    let unknown = serde_yaml::from_str::<Settings>(
        "service: https://bsky.social\nhandle: h\npassword: env:P\ntoken: env:T\n",
    );
    assert!(unknown.is_err());
    let literal = serde_yaml::from_str::<Settings>(&format!(
        "service: https://bsky.social\nhandle: h\npassword: {PASSWORD}\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(!literal.contains(PASSWORD), "{literal}");

    let dir = tempfile::tempdir().unwrap();
    let remote_http = Settings {
        service: "http://bsky.social".into(),
        handle: HANDLE.into(),
        password: password_file(&dir),
    };
    let error = BlueskyPublisher::new(
        "bluesky",
        &remote_http,
        HttpCore::new(Duration::from_secs(1)).unwrap(),
    )
    .err()
    .unwrap();
    assert!(error.contains("plain http"), "{error}");
}

#[test]
fn both_limits_apply_and_a_thread_splits_to_fit_both() {
    let settings = Settings {
        service: "https://bsky.social".into(),
        handle: HANDLE.into(),
        password: SecretRef::Env("UNUSED".into()),
    };
    // Ordinary text: the length is the grapheme count.
    let plain = bluesky::render(&post(), &settings);
    assert_eq!(plain.length, 18);
    assert_eq!(plain.parts, vec!["Get your flu shot.".to_string()]);

    // 150 graphemes but 3750 bytes: within 300 graphemes, over 3000 bytes.
    let family = "👨\u{200D}👩\u{200D}👧\u{200D}👦";
    let body = format!("{}\n", family.repeat(150));
    let heavy = bluesky::render(&post_with("", &body), &settings);
    assert_eq!(heavy.parts.len(), 1);
    assert!(heavy.parts[0].graphemes(true).count() <= 300);
    assert!(heavy.parts[0].len() > 3000);
    assert!(heavy.too_long(), "over 3000 bytes is too long");

    // Words of such emoji, thread allowed: every part fits both limits.
    let word = family.repeat(10);
    let body = format!("{}\n", vec![word.as_str(); 15].join(" "));
    let thread = bluesky::render(&post_with("thread: true\n", &body), &settings);
    assert!(thread.parts.len() > 1, "{:?}", thread.parts.len());
    assert!(!thread.too_long());
    for part in &thread.parts {
        assert!(part.len() <= 3000, "{} bytes", part.len());
        assert!(part.graphemes(true).count() <= 300);
    }
}

#[test]
fn the_lexicon_check_refuses_records_the_pds_would_refuse() {
    let good = json!({
        "repo": DID, "collection": "app.bsky.feed.post", "rkey": tid_for(KEY, slot()),
        "record": {
            "$type": "app.bsky.feed.post", "text": "Hi #flu", "createdAt": "2026-11-24T14:00:00.000Z",
            "langs": ["en"],
            "facets": [{"index": {"byteStart": 3, "byteEnd": 7},
                        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "flu"}]}],
        },
    });
    assert_valid_create_record(&good);
    let bad: Vec<(&str, Value)> = vec![
        ("/record/createdAt", Value::Null),
        ("/record/text", json!("a".repeat(301))),
        ("/record/text", json!("é".repeat(1501))),
        ("/record/langs", json!(["en", "de", "fr", "es"])),
        (
            "/record/labels",
            json!({"$type": "com.atproto.label.defs#label", "values": []}),
        ),
        ("/record/facets/0/index/byteStart", json!("3")),
        ("/record/facets/0/index/byteEnd", json!(99)),
        (
            "/record/facets/0/features/0/$type",
            json!("app.bsky.richtext.facet#bold"),
        ),
        ("/rkey", json!("not-a-tid")),
        ("/record/colour", json!("red")),
    ];
    for (pointer, value) in bad {
        let mut body = good.clone();
        let (parent, name) = pointer.rsplit_once('/').unwrap();
        let object = body.pointer_mut(parent).unwrap().as_object_mut().unwrap();
        if value.is_null() {
            object.remove(name);
        } else {
            object.insert(name.to_string(), value);
        }
        let refused = std::panic::catch_unwind(|| assert_valid_create_record(&body));
        assert!(refused.is_err(), "{pointer} should be refused");
    }
}

/// The record getRecord returns for the first post of publication [`KEY`].
fn found_first_post(cid: &str) -> Value {
    json!({
        "uri": format!("at://{DID}/app.bsky.feed.post/{}", tid_for(KEY, slot())),
        "cid": cid,
        "value": {"$type": "app.bsky.feed.post", "text": "1/3 ...", "createdAt": "2026-11-24T14:00:01.000Z"},
    })
}

#[tokio::test]
async fn a_thread_sent_again_finds_its_first_post_and_replies_to_it() {
    let server = MockServer::start().await;
    mount_sessions(&server, 1).await;
    let first = tid_for(KEY, slot());
    // The first part exists already: the reference PDS answers 500.
    Mock::given(method("POST"))
        .and(path(CREATE_RECORD))
        .and(body_partial_json(json!({"rkey": first})))
        .respond_with(xrpc_error(
            500,
            "InternalServerError",
            "Internal Server Error",
        ))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(GET_RECORD))
        .and(query_param("rkey", first.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(found_first_post("bafyfound")))
        .expect(1)
        .mount(&server)
        .await;
    mount_created(&server, "access-1", 2).await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let mut r = rendered("One. Two. Three.");
    r.parts = vec!["1/3 One.".into(), "2/3 Two.".into(), "3/3 Three.".into()];
    let receipt = publish(&p, &post(), &r).await.unwrap();
    assert_eq!(
        receipt.remote_id,
        format!("at://{DID}/app.bsky.feed.post/{first}")
    );
    let creates = bodies(&server, CREATE_RECORD).await;
    assert_eq!(creates.len(), 3, "part 1 tried once, then parts 2 and 3");
    let root = json!({"uri": receipt.remote_id, "cid": "bafyfound"});
    assert_eq!(creates[1]["record"]["reply"]["root"], root);
    assert_eq!(creates[1]["record"]["reply"]["parent"], root);
    assert_eq!(creates[2]["record"]["reply"]["root"], root);
}

#[tokio::test]
async fn lookup_after_a_crash_asks_for_the_first_post_s_record_key() {
    let server = MockServer::start().await;
    mount_sessions(&server, 1).await;
    Mock::given(method("GET"))
        .and(path(GET_RECORD))
        .and(query_param("repo", DID))
        .and(query_param("rkey", tid_for(KEY, slot()).as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(found_first_post("bafyfound")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(GET_RECORD))
        .respond_with(xrpc_error(400, "RecordNotFound", "Could not locate record"))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let found = p.lookup(&Sent::key(KEY)).await.unwrap().unwrap();
    assert_eq!(
        found.remote_id,
        format!("at://{DID}/app.bsky.feed.post/{}", tid_for(KEY, slot()))
    );
    assert_eq!(
        p.lookup(&Sent::key("tips/other@bluesky@2026-11-24T14:00:00Z"))
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        p.lookup(&Sent::key("no-instant")).await,
        Err(PublishError::Permanent(_))
    ));
}

// ---------------------------------------------------------------------------
// Images.

#[path = "fixtures/multipart.rs"]
mod multipart;

const ALT: &str = "A nurse gives a flu shot in the upper arm.";
const BLOB_CID: &str = "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy";

fn image(bytes: Vec<u8>) -> Image {
    Image {
        bytes,
        mime: "image/png",
        alt: ALT.into(),
        file_name: "flu-shot.png".into(),
    }
}

/// The answer to uploadBlob, as the PDS gives it for `size` bytes of PNG.
fn blob_json(size: usize) -> Value {
    json!({"blob": {"$type": "blob", "ref": {"$link": BLOB_CID}, "mimeType": "image/png", "size": size}})
}

async fn publish_with_image(
    p: &BlueskyPublisher,
    r: &Rendered,
    image: &Image,
) -> Result<Receipt, PublishError> {
    p.publish(&PublishContext {
        image: Some(image),
        key: KEY,
        post: &post(),
        rendered: r,
        at: slot(),
    })
    .await
}

#[tokio::test]
async fn an_image_is_uploaded_as_a_blob_and_embedded_in_the_first_post_only() {
    let server = MockServer::start().await;
    mount_sessions(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(UPLOAD_BLOB))
        .and(header("authorization", "Bearer access-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(blob_json(multipart::PNG_1X1.len())))
        .expect(1)
        .mount(&server)
        .await;
    mount_created(&server, "access-1", 2).await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let mut r = rendered("One. Two.");
    r.parts = vec!["1/2 One.".into(), "2/2 Two.".into()];
    publish_with_image(&p, &r, &image(multipart::PNG_1X1.to_vec()))
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    let upload = requests
        .iter()
        .find(|r| r.url.path() == UPLOAD_BLOB)
        .unwrap();
    assert_eq!(upload.method.as_str(), "POST");
    assert_eq!(upload.headers.get("content-type").unwrap(), "image/png");
    assert_eq!(upload.body, multipart::PNG_1X1, "the raw bytes, not a form");
    let lex = Lexicons::load();
    lex.check(
        &blob_json(67),
        lex.body("com.atproto.repo.uploadBlob", "output"),
        "com.atproto.repo.uploadBlob",
        "$",
    );
    let order: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(
        order,
        [CREATE_SESSION, UPLOAD_BLOB, CREATE_RECORD, CREATE_RECORD]
    );

    let creates = bodies(&server, CREATE_RECORD).await;
    assert_eq!(
        creates[0]["record"]["embed"],
        json!({"$type": "app.bsky.embed.images", "images": [{
            "alt": ALT,
            "image": {"$type": "blob", "ref": {"$link": BLOB_CID}, "mimeType": "image/png", "size": 67},
        }]})
    );
    assert_eq!(creates[1]["record"].get("embed"), None);
    for body in &creates {
        assert_valid_create_record(body);
    }
}

#[tokio::test]
async fn an_image_over_the_lexicon_s_size_limit_is_refused_before_anything_is_sent() {
    // The limit is the lexicon's.
    let lexicon: Value = serde_json::from_str(include_str!(
        "fixtures/specs/bluesky/app.bsky.embed.images.json"
    ))
    .unwrap();
    assert_eq!(
        lexicon["defs"]["image"]["properties"]["image"]["maxSize"].as_u64(),
        Some(MAX_IMAGE_BYTES as u64)
    );
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let p = publisher(&server, &dir, Duration::from_secs(5));
    let mut bytes = multipart::PNG_1X1.to_vec();
    bytes.resize(MAX_IMAGE_BYTES + 1, 0);
    let error = publish_with_image(&p, &rendered("Get your flu shot."), &image(bytes))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PublishError::Permanent(m) if m.contains("flu-shot.png") && m.contains(&MAX_IMAGE_BYTES.to_string())),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_refused_upload_creates_no_record_and_names_no_secret() {
    let cases = [
        (
            xrpc_error(
                400,
                "InvalidRequest",
                "request entity too large for access-1",
            ),
            "permanent",
        ),
        (
            xrpc_error(502, "UpstreamFailure", "upstream failed"),
            "retry",
        ),
        (
            ResponseTemplate::new(200).set_body_json(json!({"blob": "nope"})),
            "permanent",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (response, expected) in cases {
        let server = MockServer::start().await;
        mount_sessions(&server, 1).await;
        Mock::given(method("POST"))
            .and(path(UPLOAD_BLOB))
            .respond_with(response)
            .expect(1)
            .mount(&server)
            .await;
        mount_created(&server, "access-1", 0).await;
        let p = publisher(&server, &dir, Duration::from_secs(5));
        let error = publish_with_image(
            &p,
            &rendered("Get your flu shot."),
            &image(multipart::PNG_1X1.to_vec()),
        )
        .await
        .unwrap_err();
        assert_no_credentials(&error);
        match (expected, &error) {
            ("permanent", PublishError::Permanent(_)) | ("retry", PublishError::Retryable(_)) => {}
            _ => panic!("expected {expected}, got {error:?}"),
        }
    }
}

#[test]
fn the_lexicon_check_refuses_image_embeds_the_pds_would_refuse() {
    let good = json!({
        "repo": DID, "collection": "app.bsky.feed.post", "rkey": tid_for(KEY, slot()),
        "record": {
            "$type": "app.bsky.feed.post", "text": "Hi", "createdAt": "2026-11-24T14:00:00.000Z",
            "embed": {"$type": "app.bsky.embed.images", "images": [{
                "alt": ALT,
                "image": {"$type": "blob", "ref": {"$link": BLOB_CID}, "mimeType": "image/png", "size": 67},
            }]},
        },
    });
    assert_valid_create_record(&good);
    let bad: Vec<(&str, Value)> = vec![
        ("/record/embed/images/0/alt", Value::Null),
        (
            "/record/embed/images/0/image/size",
            json!(MAX_IMAGE_BYTES + 1),
        ),
        ("/record/embed/images/0/image/mimeType", json!("video/mp4")),
        ("/record/embed/images/0/image/$type", json!("image")),
        ("/record/embed/$type", json!("app.bsky.embed.pictures")),
    ];
    for (pointer, value) in bad {
        let mut body = good.clone();
        let (parent, name) = pointer.rsplit_once('/').unwrap();
        let object = body.pointer_mut(parent).unwrap().as_object_mut().unwrap();
        if value.is_null() {
            object.remove(name);
        } else {
            object.insert(name.to_string(), value);
        }
        let refused = std::panic::catch_unwind(|| assert_valid_create_record(&body));
        assert!(refused.is_err(), "{pointer} should be refused");
    }
}
