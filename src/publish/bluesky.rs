//! Bluesky: XRPC calls to the account's PDS with an app password.
//!
//! A session (`com.atproto.server.createSession`) is created on first use and
//! kept; when the PDS answers `400 ExpiredToken` the session is refreshed
//! (`com.atproto.server.refreshSession`, or a new session if that is refused)
//! and the request is sent once more. Bluesky answers a bad token with 400
//! `InvalidToken`, not 401: that and `AuthenticationRequired` are
//! [`PublishError::Auth`].
//!
//! Posts are `com.atproto.repo.createRecord` calls whose record key is a TID
//! derived from the publication key ([`tid_for`]), so sending a publication
//! again cannot post it twice: the reference PDS answers 500 when the key is
//! taken, and after any 5xx the adapter asks `com.atproto.repo.getRecord`
//! whether the record is there (found: success; `RecordNotFound`: retryable).
//! The same question answers [`Publisher::lookup`] after a crash: the key of
//! a publication ends with its slot instant, which gives its record key.
//!
//! What a record carries: the text; `langs` from the post's `lang`; link and
//! hashtag facets (UTF-8 byte offsets, from [`facets::detect`]); a reply
//! reference for each thread part after the first; mention facets for the
//! handles `com.atproto.identity.resolveHandle` resolves to a DID (a handle
//! that does not resolve stays plain text, with a warning, as in the official
//! client; a server failure there is retryable, nothing having been posted).
//! A content warning becomes the self-label
//! `graphic-media`: Bluesky has no free-text warning, and of the self-labels
//! its app honours (`porn`, `sexual`, `nudity`, `graphic-media`) it is the
//! only one that fits health content (wounds, needles, procedures); clients
//! put it behind a "Graphic Media" warning. The warning's own words are not
//! sent.
//!
//! An image is uploaded first (`com.atproto.repo.uploadBlob`: the raw bytes,
//! `Content-Type` the image's type) and the blob it returns is embedded in
//! the first post of a thread (`app.bsky.embed.images`, with the alt text).
//! An image over the lexicon's size limit ([`MAX_IMAGE_BYTES`]) is refused
//! before anything is sent: the PDS would refuse the record. A repeated
//! publication uploads the image again; a blob no record refers to is
//! deleted by the PDS after a while.

use super::http::{self, Answer, HttpCore};
use super::{BoxFuture, Image, PublishContext, PublishError, Publisher, Receipt, Sent};
use crate::content::Post;
use crate::render::{self, Rendered, facets, length, plain};
use crate::secret::{Secret, SecretRef};
use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::header::CONTENT_TYPE;
use reqwest::{RequestBuilder, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use tokio::sync::Mutex;

/// The collection posts go to.
pub const POST_COLLECTION: &str = "app.bsky.feed.post";
/// Bluesky's limit on a post's text, in graphemes.
pub const MAX_GRAPHEMES: usize = 300;
/// The self-label a content warning becomes.
pub const WARNING_LABEL: &str = "graphic-media";
/// The largest image a post may embed: `maxSize` of the image blob in the
/// `app.bsky.embed.images` lexicon (2 MB; 1 MB in older lexicons).
pub const MAX_IMAGE_BYTES: usize = 2_000_000;
/// The embed type of images.
pub const IMAGES_EMBED: &str = "app.bsky.embed.images";

const CREATE_SESSION: &str = "com.atproto.server.createSession";
const REFRESH_SESSION: &str = "com.atproto.server.refreshSession";
const CREATE_RECORD: &str = "com.atproto.repo.createRecord";
const GET_RECORD: &str = "com.atproto.repo.getRecord";
const RESOLVE_HANDLE: &str = "com.atproto.identity.resolveHandle";
const UPLOAD_BLOB: &str = "com.atproto.repo.uploadBlob";

/// XRPC error names that mean the credentials, not the request, are wrong.
const AUTH_ERRORS: &[&str] = &[
    "InvalidToken",
    "ExpiredToken",
    "AuthenticationRequired",
    "AuthMissing",
    "AccountTakedown",
    "AuthFactorTokenRequired",
];

/// A `platform: bluesky` channel in channels.yaml.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The account's PDS (or the entryway), e.g. `https://bsky.social`.
    pub service: String,
    /// The account's handle, e.g. `hospital.bsky.social`.
    pub handle: String,
    /// An app password (Settings → App passwords): `env:NAME` or `file:PATH`.
    pub password: SecretRef,
}

/// The post as Bluesky shows it, counted against both of its limits.
///
/// The record's text may hold 300 graphemes and 3000 UTF-8 bytes. Both are
/// one measure here: a text's length is the larger of its graphemes and its
/// bytes divided by 10 (rounded up), against a limit of 300. For ordinary
/// text (under 10 bytes a grapheme) that is the grapheme count the app shows;
/// a text over 3000 bytes measures over 300 whatever its graphemes, so
/// [`Rendered::too_long`] is true exactly when either limit is passed, and a
/// thread is split into parts that fit both.
pub fn render(post: &Post, settings: &Settings) -> Rendered {
    let _ = settings; // Nothing in the settings changes how a post renders.
    let text = plain::text(post, "bluesky");
    render::social(post, text, MAX_GRAPHEMES, measure, false)
}

/// Bluesky's two limits as one number against [`MAX_GRAPHEMES`]; see [`render`].
pub fn measure(text: &str) -> usize {
    let ratio = length::BLUESKY_MAX_BYTES / MAX_GRAPHEMES;
    length::graphemes(text).max(text.len().div_ceil(ratio))
}

const TID_ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

/// The record key of publication `key` at slot instant `at`: a TID (13
/// characters of base32-sortable; 64 bits: a zero bit, 53 bits of
/// microseconds since the epoch, a 10-bit clock id). The microseconds are the
/// slot's second plus an offset within that second taken from a hash of the
/// key, and the clock id is taken from the same hash: the same publication
/// always gets the same key, and two publications of one slot almost surely
/// differ (1 in 2^30 per pair).
pub fn tid_for(key: &str, at: DateTime<Utc>) -> String {
    let hash = Sha256::digest(format!("healthcast:bluesky:{key}").as_bytes());
    let mut word = [0u8; 8];
    word.copy_from_slice(&hash[..8]);
    let offset = u64::from_be_bytes(word) % 1_000_000;
    let clock = u64::from(u16::from_be_bytes([hash[8], hash[9]]) & 0x3FF);
    let second = u64::try_from(at.timestamp()).unwrap_or(0);
    let micros = (second.saturating_mul(1_000_000) + offset) & ((1 << 53) - 1);
    let value = (micros << 10) | clock;
    (0..13)
        .rev()
        .map(|i| char::from(TID_ALPHABET[((value >> (5 * i)) & 31) as usize]))
        .collect()
}

/// Whether `s` is a TID as the AT Protocol defines its syntax.
pub fn is_tid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 13
        && b"234567abcdefghij".contains(&b[0])
        && b.iter().all(|c| TID_ALPHABET.contains(c))
}

/// The record key of thread part `n` (1-based) of publication `key`.
fn part_key(key: &str, n: usize) -> String {
    if n == 1 {
        key.to_string()
    } else {
        format!("{key}#{n}")
    }
}

/// A logged-in session. The tokens are secrets like the password.
#[derive(Clone)]
struct Session {
    access: Secret,
    refresh: Secret,
    did: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionAnswer {
    access_jwt: String,
    refresh_jwt: String,
    did: String,
}

/// A record's address and content hash (`com.atproto.repo.strongRef`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StrongRef {
    uri: String,
    cid: String,
}

/// `com.atproto.identity.resolveHandle` output.
#[derive(Deserialize)]
struct ResolvedHandle {
    did: String,
}

#[derive(Deserialize)]
struct FoundRecord {
    uri: String,
    cid: Option<String>,
}

/// The answer to uploadBlob: the blob reference to put in a record.
#[derive(Deserialize)]
struct UploadedBlob {
    blob: Value,
}

#[derive(Deserialize)]
struct XrpcError {
    error: String,
    #[serde(default)]
    message: Option<String>,
}

/// The XRPC error name and message, when the body is an XRPC error.
fn xrpc_error(answer: &Answer) -> Option<XrpcError> {
    serde_json::from_str(&answer.body).ok()
}

/// Whether `answer` is the XRPC error `name`.
fn is_xrpc_error(answer: &Answer, name: &str) -> bool {
    !answer.status.is_success() && xrpc_error(answer).is_some_and(|e| e.error == name)
}

pub struct BlueskyPublisher {
    name: String,
    service: String,
    handle: String,
    password: Secret,
    http: HttpCore,
    session: Mutex<Option<Session>>,
}

impl BlueskyPublisher {
    pub fn new(
        name: &str,
        settings: &Settings,
        http: HttpCore,
    ) -> Result<BlueskyPublisher, String> {
        http::check_endpoint(&settings.service)?;
        if settings.handle.trim().is_empty() {
            return Err("its handle is empty".to_string());
        }
        let password = settings
            .password
            .resolve()
            .map_err(|e| format!("its app password ({}): {e:#}", settings.password))?;
        Ok(BlueskyPublisher {
            name: name.to_string(),
            service: settings.service.trim_end_matches('/').to_string(),
            handle: settings.handle.trim().trim_start_matches('@').to_string(),
            password,
            http,
            session: Mutex::new(None),
        })
    }

    fn url(&self, nsid: &str) -> String {
        format!("{}/xrpc/{nsid}", self.service)
    }

    async fn call(&self, request: RequestBuilder) -> Result<Answer, PublishError> {
        http::send(request).await
    }

    /// What a failed answer means, with every credential blanked out of the
    /// platform's words (a server may echo what it was sent).
    fn failure(&self, answer: &Answer, session: Option<&Session>) -> PublishError {
        let (name, message) = match xrpc_error(answer) {
            Some(e) => {
                let message = e.message.unwrap_or_default();
                (e.error.clone(), format!("{}: {message}", e.error))
            }
            None => (String::new(), answer.body.chars().take(200).collect()),
        };
        let mut message = message.replace(self.password.expose(), "[redacted]");
        if let Some(s) = session {
            message = message
                .replace(s.access.expose(), "[redacted]")
                .replace(s.refresh.expose(), "[redacted]");
        }
        if AUTH_ERRORS.contains(&name.as_str()) {
            return PublishError::Auth(format!("HTTP {}: {message}", answer.status.as_u16()));
        }
        http::classify_status(answer.status, &answer.headers, &message, Utc::now())
    }

    fn session_from(&self, answer: &Answer) -> Result<Session, PublishError> {
        let s: SessionAnswer = serde_json::from_str(&answer.body).map_err(|e| {
            PublishError::Permanent(format!("unexpected answer to a new session: {e}"))
        })?;
        Ok(Session {
            access: Secret::new(s.access_jwt),
            refresh: Secret::new(s.refresh_jwt),
            did: s.did,
        })
    }

    async fn create_session(&self) -> Result<Session, PublishError> {
        let body = json!({ "identifier": self.handle, "password": self.password.expose() });
        let answer = self
            .call(self.http.client.post(self.url(CREATE_SESSION)).json(&body))
            .await?;
        if !answer.status.is_success() {
            return Err(self.failure(&answer, None));
        }
        self.session_from(&answer)
    }

    /// The cached session, created on first use.
    async fn session(&self) -> Result<Session, PublishError> {
        let mut cached = self.session.lock().await;
        if let Some(session) = cached.as_ref() {
            return Ok(session.clone());
        }
        let session = self.create_session().await?;
        *cached = Some(session.clone());
        Ok(session)
    }

    /// A fresh session after `stale`'s access token expired: refreshed, or
    /// created anew when the refresh is refused. Another request may have
    /// renewed it meanwhile; then that session is used.
    async fn renew(&self, stale: &Session) -> Result<Session, PublishError> {
        let mut cached = self.session.lock().await;
        if let Some(current) = cached.as_ref()
            && current.access != stale.access
        {
            return Ok(current.clone());
        }
        *cached = None;
        let answer = self
            .call(
                self.http
                    .client
                    .post(self.url(REFRESH_SESSION))
                    .bearer_auth(stale.refresh.expose()),
            )
            .await?;
        let session = if answer.status.is_success() {
            self.session_from(&answer)?
        } else {
            self.create_session().await?
        };
        *cached = Some(session.clone());
        Ok(session)
    }

    /// Sends the request `build` makes with the session's access token; on
    /// `ExpiredToken`, renews the session and sends it once more. Returns the
    /// session used, and the answer whatever its status.
    async fn authed(
        &self,
        build: impl Fn(&Session) -> RequestBuilder,
    ) -> Result<(Session, Answer), PublishError> {
        let session = self.session().await?;
        let answer = self.call(build(&session)).await?;
        if !is_xrpc_error(&answer, "ExpiredToken") {
            return Ok((session, answer));
        }
        let session = self.renew(&session).await?;
        let answer = self.call(build(&session)).await?;
        Ok((session, answer))
    }

    /// Creates one post record under `rkey`; after a 5xx, finds out whether
    /// it was created after all (or before: a repeated publication).
    async fn create_post(&self, record: &Value, rkey: &str) -> Result<StrongRef, PublishError> {
        let (session, answer) = self
            .authed(|s| {
                self.http
                    .client
                    .post(self.url(CREATE_RECORD))
                    .bearer_auth(s.access.expose())
                    .json(&json!({
                        "repo": s.did,
                        "collection": POST_COLLECTION,
                        "rkey": rkey,
                        "record": record,
                    }))
            })
            .await?;
        if answer.status.is_success() {
            return serde_json::from_str(&answer.body).map_err(|e| {
                PublishError::Permanent(format!("unexpected answer to a created record: {e}"))
            });
        }
        let failure = self.failure(&answer, Some(&session));
        if !answer.status.is_server_error() {
            return Err(failure);
        }
        match self.find(&session.did, rkey).await {
            Ok(Some(found)) => Ok(found),
            Ok(None) => Err(PublishError::Retryable(format!(
                "{failure}; the record {rkey} is not there"
            ))),
            Err(e) => Err(PublishError::Retryable(format!(
                "{failure}; whether the record {rkey} was created is unknown: {e}"
            ))),
        }
    }

    /// The record `rkey` of the account's posts, if it exists.
    async fn find(&self, did: &str, rkey: &str) -> Result<Option<StrongRef>, PublishError> {
        let answer = self
            .call(self.http.client.get(self.url(GET_RECORD)).query(&[
                ("repo", did),
                ("collection", POST_COLLECTION),
                ("rkey", rkey),
            ]))
            .await?;
        if is_xrpc_error(&answer, "RecordNotFound") {
            return Ok(None);
        }
        if !answer.status.is_success() {
            return Err(self.failure(&answer, None));
        }
        let found: FoundRecord = serde_json::from_str(&answer.body)
            .map_err(|e| PublishError::Retryable(format!("unexpected answer to getRecord: {e}")))?;
        match found.cid {
            Some(cid) => Ok(Some(StrongRef {
                uri: found.uri,
                cid,
            })),
            None => Err(PublishError::Retryable(format!(
                "getRecord found {} without its cid",
                found.uri
            ))),
        }
    }

    /// Uploads `image` as a blob; returns the embed that shows it, with its
    /// alt text. Too large an image is refused before anything is sent.
    async fn upload_image(&self, image: &Image) -> Result<Value, PublishError> {
        if image.bytes.len() > MAX_IMAGE_BYTES {
            return Err(PublishError::Permanent(format!(
                "the image {} has {} bytes; Bluesky takes at most {MAX_IMAGE_BYTES}",
                image.file_name,
                image.bytes.len()
            )));
        }
        let (session, answer) = self
            .authed(|s| {
                self.http
                    .client
                    .post(self.url(UPLOAD_BLOB))
                    .bearer_auth(s.access.expose())
                    .header(CONTENT_TYPE, image.mime)
                    .body(image.bytes.clone())
            })
            .await?;
        if !answer.status.is_success() {
            return Err(self.failure(&answer, Some(&session)));
        }
        let uploaded: UploadedBlob = serde_json::from_str(&answer.body).map_err(|e| {
            PublishError::Permanent(format!("unexpected answer to uploadBlob: {e}"))
        })?;
        if !uploaded.blob.is_object() {
            return Err(PublishError::Permanent(
                "unexpected answer to uploadBlob: `blob` is not an object".to_string(),
            ));
        }
        Ok(json!({
            "$type": IMAGES_EMBED,
            "images": [{ "alt": image.alt, "image": uploaded.blob }],
        }))
    }

    /// The DID of `handle`; `None` when the handle does not resolve (the
    /// mention then stays plain text). A server or network failure is an
    /// error: nothing has been posted yet, so the publication can be tried
    /// again.
    async fn resolve_handle(
        &self,
        ctx: &PublishContext<'_>,
        handle: &str,
    ) -> Result<Option<String>, PublishError> {
        let answer = self
            .call(
                self.http
                    .client
                    .get(self.url(RESOLVE_HANDLE))
                    .query(&[("handle", handle)]),
            )
            .await?;
        if answer.status.is_success() {
            let resolved: ResolvedHandle = serde_json::from_str(&answer.body).map_err(|e| {
                PublishError::Retryable(format!("unexpected answer to resolveHandle: {e}"))
            })?;
            return Ok(Some(resolved.did));
        }
        // The reference PDS answers 400 InvalidRequest "Unable to resolve
        // handle"; newer servers HandleNotFound.
        if answer.status == StatusCode::BAD_REQUEST {
            tracing::warn!(
                channel = %self.name,
                publication = ctx.key,
                "@{handle} does not resolve to an account; the mention is posted as plain text"
            );
            return Ok(None);
        }
        Err(self.failure(&answer, None))
    }

    /// The DIDs of the handles mentioned in `parts`, resolved once each.
    async fn resolve_mentions(
        &self,
        ctx: &PublishContext<'_>,
        parts: &[String],
    ) -> Result<HashMap<String, String>, PublishError> {
        let mut dids = HashMap::new();
        let mut unresolved = HashSet::new();
        for part in parts {
            for (_, handle) in facets::detect(part).mentions {
                if dids.contains_key(&handle) || unresolved.contains(&handle) {
                    continue;
                }
                match self.resolve_handle(ctx, &handle).await? {
                    Some(did) => {
                        dids.insert(handle, did);
                    }
                    None => {
                        unresolved.insert(handle);
                    }
                }
            }
        }
        Ok(dids)
    }

    /// The record of one part. `reply`: the thread's (root, parent);
    /// `embed`: an image embed, for the first part; `dids`: the mentioned
    /// handles' DIDs.
    fn record(
        &self,
        ctx: &PublishContext<'_>,
        text: &str,
        reply: Option<(&StrongRef, &StrongRef)>,
        embed: Option<&Value>,
        dids: &HashMap<String, String>,
    ) -> Value {
        let facets = facets::detect(text).with_mentions(|handle| dids.get(handle).cloned());
        let mut record = json!({
            "$type": POST_COLLECTION,
            "text": text,
            "createdAt": Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        });
        if let Some(lang) = ctx.post.meta.lang.as_deref() {
            record["langs"] = json!([lang]);
        }
        if !facets.is_empty() {
            record["facets"] = Value::Array(facets);
        }
        if ctx.post.meta.content_warning.is_some() {
            record["labels"] = json!({
                "$type": "com.atproto.label.defs#selfLabels",
                "values": [{ "val": WARNING_LABEL }],
            });
        }
        if let Some((root, parent)) = reply {
            record["reply"] = json!({ "root": root, "parent": parent });
        }
        if let Some(embed) = embed {
            record["embed"] = embed.clone();
        }
        record
    }

    /// Posts the rendered parts: one post, or a thread where each part
    /// replies to the one before. Each part has its own record key, so
    /// sending the publication again after a failure half-way repeats none.
    async fn send(&self, ctx: &PublishContext<'_>) -> Result<Receipt, PublishError> {
        let single = [ctx.rendered.text.clone()];
        let parts: &[String] = if ctx.rendered.parts.is_empty() {
            &single
        } else {
            &ctx.rendered.parts
        };
        let dids = self.resolve_mentions(ctx, parts).await?;
        let embed = match ctx.image {
            Some(image) => Some(self.upload_image(image).await?),
            None => None,
        };
        let mut first: Option<(StrongRef, String)> = None;
        let mut parent: Option<StrongRef> = None;
        for (index, part) in parts.iter().enumerate() {
            let rkey = tid_for(&part_key(ctx.key, index + 1), ctx.at);
            let reply = match (&first, &parent) {
                (Some((root, _)), Some(parent)) => Some((root, parent)),
                _ => None,
            };
            // The image goes with the first post only.
            let embed = if index == 0 { embed.as_ref() } else { None };
            let record = self.record(ctx, part, reply, embed, &dids);
            let created = self.create_post(&record, &rkey).await?;
            if first.is_none() {
                first = Some((created.clone(), rkey));
            }
            parent = Some(created);
        }
        let (root, rkey) =
            first.ok_or_else(|| PublishError::Permanent("nothing to post".to_string()))?;
        Ok(self.receipt(root, &rkey))
    }

    fn receipt(&self, root: StrongRef, rkey: &str) -> Receipt {
        Receipt {
            remote_id: root.uri,
            url: Some(format!(
                "https://bsky.app/profile/{}/post/{rkey}",
                self.handle
            )),
        }
    }

    /// Whether publication `key` is on the account: its first post, under
    /// the record key [`tid_for`] gives the key and the slot instant the key
    /// ends with (`post@channel@2026-11-24T14:00:00Z`, see `plan::key`).
    async fn find_publication(&self, key: &str) -> Result<Option<Receipt>, PublishError> {
        let at = slot_of(key).ok_or_else(|| {
            PublishError::Permanent(format!(
                "`{key}` does not end with its slot instant, so its record key is unknown"
            ))
        })?;
        let rkey = tid_for(key, at);
        let session = self.session().await?;
        Ok(self
            .find(&session.did, &rkey)
            .await?
            .map(|found| self.receipt(found, &rkey)))
    }
}

/// The slot instant a publication key ends with.
fn slot_of(key: &str) -> Option<DateTime<Utc>> {
    let (_, at) = key.rsplit_once('@')?;
    DateTime::parse_from_rfc3339(at).ok().map(|at| at.to_utc())
}

impl Publisher for BlueskyPublisher {
    fn name(&self) -> &str {
        &self.name
    }

    /// Sending a publication again cannot post it twice.
    fn idempotent(&self) -> bool {
        true
    }

    fn publish<'a>(
        &'a self,
        ctx: &'a PublishContext<'a>,
    ) -> BoxFuture<'a, Result<Receipt, PublishError>> {
        Box::pin(self.send(ctx))
    }

    fn can_look_up(&self) -> bool {
        true
    }

    /// Looks the first post up by its record key. For a thread interrupted
    /// after its first post this answers "published" and the other parts are
    /// not sent; sending the publication again would complete it.
    fn lookup<'a>(
        &'a self,
        sent: &'a Sent<'a>,
    ) -> BoxFuture<'a, Result<Option<Receipt>, PublishError>> {
        Box::pin(self.find_publication(sent.key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 14, 0, 0).unwrap()
    }

    /// The TID's value, decoded.
    fn decode(tid: &str) -> u64 {
        tid.bytes().fold(0, |v, c| {
            let digit = TID_ALPHABET.iter().position(|&a| a == c).unwrap() as u64;
            (v << 5) | digit
        })
    }

    #[test]
    fn tids_have_the_syntax_of_the_spec() {
        for key in ["a", "tips/flu@bluesky@2026-11-24T14:00:00Z", "x#2", ""] {
            let tid = tid_for(key, at());
            assert!(is_tid(&tid), "{tid}");
            assert_eq!(decode(&tid) >> 63, 0, "the top bit is 0");
        }
        // The spec's examples, and what it refuses.
        assert!(is_tid("3jzfcijpj2z2a"));
        assert!(is_tid("2222222222222"));
        assert!(!is_tid("3jzfcijpj2z2"), "12 characters");
        assert!(!is_tid("zzzzzzzzzzzzz"), "the top bit set");
        assert!(!is_tid("3jzfcijpj2z21"), "1 is not in the alphabet");
        assert!(!is_tid("3JZFCIJPJ2Z2A"), "upper case");
    }

    #[test]
    fn tids_are_deterministic_and_within_the_slot_s_second() {
        let key = "tips/flu@bluesky@2026-11-24T14:00:00Z";
        assert_eq!(tid_for(key, at()), tid_for(key, at()));
        assert_ne!(tid_for(key, at()), tid_for(&format!("{key}#2"), at()));
        assert_ne!(
            tid_for(key, at()),
            tid_for(key, at() + chrono::TimeDelta::seconds(1))
        );
        let micros = decode(&tid_for(key, at())) >> 10;
        let slot = at().timestamp_micros() as u64;
        assert!((slot..slot + 1_000_000).contains(&micros), "{micros}");
        // Sub-second parts of the slot do not move the key.
        assert_eq!(
            tid_for(key, at()),
            tid_for(key, at() + chrono::TimeDelta::milliseconds(250))
        );
        // Sortable: a later slot gives a larger key.
        assert!(tid_for(key, at()) < tid_for(key, at() + chrono::TimeDelta::seconds(2)));
    }

    #[test]
    fn the_byte_limit_counts_as_much_as_the_grapheme_limit() {
        assert_eq!(measure("Get your flu shot."), 18);
        assert_eq!(measure(&"a".repeat(300)), 300);
        // 120 family emoji: 120 graphemes, 25 bytes each = 3000 bytes.
        let family = "👨\u{200D}👩\u{200D}👧\u{200D}👦";
        assert_eq!(family.len(), 25);
        assert_eq!(measure(&family.repeat(120)), 300);
        assert_eq!(measure(&family.repeat(121)), 303);
    }
}
