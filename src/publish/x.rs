//! X (Twitter): `POST /2/tweets` as JSON, signed with an OAuth 2.0 user
//! access token (refreshed once on a 401 when a refresh token is configured)
//! or with OAuth 1.0a user context (HMAC-SHA1, RFC 5849). A thread is posted
//! as replies, each part answering the one before. X has no content-warning
//! field: a warning becomes the first line, `CW: …`.
//!
//! X has no idempotency key. What stops a second copy is that X refuses a
//! post whose text is identical to a recent one of the account (403
//! "duplicate content"); that refusal is [`PublishError::Permanent`] and its
//! message says that the post may already be on X, so after a timeout or a
//! crash the daemon must read it as "possibly already posted", not as a
//! rejected text.
//!
//! An image is uploaded first, in one request (`POST /2/media/upload`, JSON:
//! `media` base64-encoded and `media_category`: `tweet_gif` for a GIF,
//! `tweet_image` otherwise; the spec's schema has no other field but
//! `additional_owners`); the answer's `data.id`
//! is the numeric media id, which goes into the first post's
//! `media.media_ids` (not `media_key`). Its alt text is then set with
//! `POST /2/media/metadata` (`{"id", "metadata": {"alt_text": {"text"}}}`).
//! An upload or metadata failure happens before any post is requested: the
//! error is [`PublishError::NotPosted`], so the daemon may
//! send the publication again at once (the image is uploaded again; an
//! unattached upload expires on X's side).
//!
//! After a lost answer the daemon reads the account back ([`Publisher::lookup`]):
//! `GET /2/users/me` once for the account id, then `GET /2/users/{id}/tweets`
//! from the claim time (less [`CLOCK_SKEW`]), `max_results=100`, without
//! replies and reposts, following `meta.next_token` for up to [`MAX_PAGES`]
//! pages. No `*.fields` parameter is sent: `id` and `text` are default
//! fields, `start_time` filters on X's side, and the spec calls the
//! parameter `post.fields` where X's documentation says `tweet.fields` (X
//! refuses unknown parameters). A post is recognised by the fingerprint of its first part's text
//! made comparable ([`comparable`]): X answers with `&`, `<` and `>` as
//! `&amp;`, `&lt;` and `&gt;`, every link as a `t.co` link, and a post with
//! an image with that image's `t.co` link appended.
//!
//! With OAuth 2.0 the token needs the scopes `tweet.write tweet.read
//! users.read`, and `media.write` for images.
//!
//! In channels.yaml, exactly one of `oauth2` and `oauth1` is given; secrets
//! are `env:NAME` or `file:PATH`:
//!
//! ```yaml
//! x-oauth2:
//!   platform: x
//!   # api_base: https://api.x.com      (the default)
//!   oauth2:
//!     access_token: env:X_ACCESS_TOKEN
//!     refresh_token: env:X_REFRESH_TOKEN   # optional: enables one refresh on a 401
//!     client_id: aBcD1234                  # needed with refresh_token
//!     client_secret: env:X_CLIENT_SECRET   # confidential clients only
//! x-oauth1:
//!   platform: x
//!   oauth1:
//!     consumer_key: env:X_API_KEY
//!     consumer_secret: env:X_API_SECRET
//!     access_token: env:X_ACCESS_TOKEN
//!     access_token_secret: env:X_ACCESS_TOKEN_SECRET
//! ```
//!
//! A refreshed token pair lives in memory only. X answers a refresh with a
//! new refresh token, and the one used should be taken as spent: after a
//! restart the configured tokens may need replacing (the failed refresh then
//! says so, as an authentication error).

use super::http::{self, HttpCore, Poll};
use super::{
    BoxFuture, Image, PublishContext, PublishError, Publisher, Receipt, Sent, fingerprint_of,
};
use crate::content::{Post, hex};
use crate::render::{self, Rendered, length, plain};
use crate::secret::{Secret, SecretRef};
use base64::Engine;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use unicode_normalization::UnicodeNormalization;

pub const DEFAULT_API_BASE: &str = "https://api.x.com";

/// How far before the claim a post found on read-back may have been created
/// (the clocks of this host and of X may differ).
pub const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// How many pages of 100 posts a read-back reads before it gives up (then
/// the publication goes to a person: "not found" must mean not there).
pub const MAX_PAGES: usize = 10;

/// How long to wait for an uploaded image X is still processing: 10 checks,
/// 2 s apart. Images are normally ready in the upload's answer.
pub const MEDIA_POLL: Poll = Poll {
    interval: Duration::from_secs(2),
    attempts: 10,
};

/// What every link becomes in [`comparable`] text.
const LINK: &str = "<link>";

/// X's limit, in twitter-text weighted length.
pub const MAX_WEIGHTED_LENGTH: usize = 280;

/// A `platform: x` channel in channels.yaml (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawSettings")]
pub struct Settings {
    /// The API root; `https://api.x.com` when not given.
    pub api_base: Option<String>,
    pub auth: Auth,
}

/// How requests are authorised: user context either way, since posting
/// needs a user (an app-only bearer token cannot post).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    OAuth2(OAuth2),
    OAuth1(OAuth1),
}

/// OAuth 2.0 Authorization Code with PKCE, scopes `tweet.write tweet.read
/// users.read` (`media.write` for images, `offline.access` for a refresh
/// token).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    pub access_token: SecretRef,
    pub refresh_token: Option<SecretRef>,
    /// The app's OAuth 2.0 Client ID (not a secret); needed to refresh.
    pub client_id: Option<String>,
    /// Confidential clients only: sent as HTTP Basic with the client id when
    /// refreshing, as X documents.
    pub client_secret: Option<SecretRef>,
}

/// OAuth 1.0a user context: the app's API key and secret and the account's
/// access token and secret (app permission "Read and write").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth1 {
    pub consumer_key: SecretRef,
    pub consumer_secret: SecretRef,
    pub access_token: SecretRef,
    pub access_token_secret: SecretRef,
}

/// The YAML shape: `oauth2:` or `oauth1:` beside `api_base`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    api_base: Option<String>,
    oauth2: Option<OAuth2>,
    oauth1: Option<OAuth1>,
}

impl TryFrom<RawSettings> for Settings {
    type Error = String;

    fn try_from(raw: RawSettings) -> Result<Settings, String> {
        let auth = match (raw.oauth2, raw.oauth1) {
            (Some(o), None) => Auth::OAuth2(o),
            (None, Some(o)) => Auth::OAuth1(o),
            (Some(_), Some(_)) => {
                return Err("give either `oauth2` or `oauth1`, not both".to_string());
            }
            (None, None) => {
                return Err(
                    "missing credentials: add `oauth2: { access_token: env:NAME }` or `oauth1: { consumer_key, consumer_secret, access_token, access_token_secret }`"
                        .to_string(),
                );
            }
        };
        Ok(Settings {
            api_base: raw.api_base,
            auth,
        })
    }
}

impl Settings {
    pub fn api_base(&self) -> &str {
        self.api_base
            .as_deref()
            .unwrap_or(DEFAULT_API_BASE)
            .trim_end_matches('/')
    }
}

/// The post as X shows it: plain text, a content warning as a first line
/// `CW: …` (counted, since it is part of the text), weighted length against
/// 280, split into a numbered thread when too long and `thread: true`.
pub fn render(post: &Post, _settings: &Settings) -> Rendered {
    let text = plain::text(post, "x");
    let text = match post.meta.content_warning.as_deref().map(str::trim) {
        Some(warning) if !warning.is_empty() => format!("CW: {warning}\n\n{text}"),
        _ => text,
    };
    render::social(post, text, MAX_WEIGHTED_LENGTH, length::x_weighted, false)
}

/// The request body of `POST /2/tweets` (field names as in the API; checked
/// against its OpenAPI schema in the tests).
#[derive(Debug, Serialize)]
struct NewTweet<'a> {
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply: Option<ReplyTo<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    media: Option<Media<'a>>,
}

#[derive(Debug, Serialize)]
struct Media<'a> {
    media_ids: &'a [String],
}

/// The request body of `POST /2/media/upload` as JSON (`MediaUploadRequest`).
#[derive(Debug, Serialize)]
struct MediaUpload {
    /// The file, base64-encoded (`format: byte`).
    media: String,
    /// [`media_category`].
    media_category: &'static str,
}

/// The answer of `POST /2/media/upload` and of its `STATUS` query.
#[derive(Debug, Deserialize)]
struct Uploaded {
    data: UploadedData,
}

#[derive(Debug, Deserialize)]
struct UploadedData {
    id: String,
    processing_info: Option<Processing>,
}

#[derive(Debug, Deserialize)]
struct Processing {
    /// `pending`, `in_progress`, `failed` or `succeeded`.
    state: Option<String>,
}

/// The request body of `POST /2/media/metadata` (`CreateMediaMetadataRequest`).
#[derive(Debug, Serialize)]
struct MediaMetadata<'a> {
    id: &'a str,
    metadata: Metadata<'a>,
}

#[derive(Debug, Serialize)]
struct Metadata<'a> {
    alt_text: AltText<'a>,
}

#[derive(Debug, Serialize)]
struct AltText<'a> {
    text: &'a str,
}

/// The answer of `GET /2/users/me`, as far as it matters here.
#[derive(Debug, Deserialize)]
struct Me {
    data: MeData,
}

#[derive(Debug, Deserialize)]
struct MeData {
    id: String,
}

/// A page of `GET /2/users/{id}/tweets`.
#[derive(Debug, Deserialize)]
struct Timeline {
    #[serde(default)]
    data: Vec<TimelinePost>,
    #[serde(default)]
    errors: Vec<ErrorItem>,
    meta: Option<TimelineMeta>,
}

#[derive(Debug, Deserialize)]
struct TimelinePost {
    id: String,
    text: String,
}

#[derive(Debug, Deserialize)]
struct TimelineMeta {
    next_token: Option<String>,
}

#[derive(Debug, Serialize)]
struct ReplyTo<'a> {
    in_reply_to_tweet_id: &'a str,
}

#[derive(Debug, Deserialize)]
struct Created {
    data: CreatedData,
}

#[derive(Debug, Deserialize)]
struct CreatedData {
    id: String,
}

/// X's errors: problem JSON, or the older `{"errors":[{"message"}]}`.
#[derive(Debug, Deserialize)]
struct Problem {
    title: Option<String>,
    detail: Option<String>,
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(Debug, Deserialize)]
struct ErrorItem {
    message: Option<String>,
    title: Option<String>,
    detail: Option<String>,
}

impl ErrorItem {
    fn text(self) -> Option<String> {
        self.message.or(self.detail).or(self.title)
    }
}

/// The token endpoint's error (RFC 6749 §5.2).
#[derive(Debug, Deserialize)]
struct TokenError {
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TokenAnswer {
    access_token: String,
    refresh_token: Option<String>,
}

struct Tokens {
    access: Secret,
    refresh: Option<Secret>,
}

enum Credentials {
    OAuth2 {
        /// Behind an async lock, held across a refresh so that two
        /// publications refused at once refresh only once (a refresh returns
        /// a new refresh token; a second refresh with the old one may fail).
        tokens: tokio::sync::Mutex<Tokens>,
        client_id: Option<String>,
        client_secret: Option<Secret>,
    },
    OAuth1 {
        consumer_key: Secret,
        consumer_secret: Secret,
        token: Secret,
        token_secret: Secret,
    },
}

pub struct XPublisher {
    name: String,
    api_base: String,
    tweets_url: String,
    token_url: String,
    credentials: Credentials,
    http: HttpCore,
    media_poll: Poll,
    /// The account's user id, asked once (`GET /2/users/me`).
    user_id: tokio::sync::OnceCell<String>,
}

/// One answer of the API, the bearer token it was sent with, and a note for
/// error messages (whether it followed a token refresh).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
    bearer: Option<Secret>,
    note: &'static str,
}

impl Answer {
    /// X's error text: problem JSON, the older `errors` list, or the body.
    fn message(&self) -> String {
        serde_json::from_str::<Problem>(&self.body)
            .ok()
            .and_then(|p| {
                p.detail
                    .or(p.title)
                    .or_else(|| p.errors.into_iter().find_map(ErrorItem::text))
            })
            .unwrap_or_else(|| excerpt(&self.body))
    }

    /// What a non-success answer means, by the shared classification.
    fn failure(&self) -> PublishError {
        http::classify_status(
            self.status,
            &self.headers,
            &format!("{}{}", self.message(), self.note),
            Utc::now(),
        )
    }
}

fn resolve(what: &str, secret: &SecretRef) -> Result<Secret, String> {
    secret
        .resolve()
        .map_err(|e| format!("its {what} ({secret}): {e:#}"))
}

/// A failure before the post itself was requested (the image upload, its
/// alt text): nothing was posted, whatever the request did, so a retryable
/// one is [`PublishError::NotPosted`] and the daemon may send the
/// publication again at once.
fn before_posting(error: PublishError, what: &str) -> PublishError {
    match error {
        PublishError::Retryable(m) | PublishError::NoAnswer(m) | PublishError::NotPosted(m) => {
            PublishError::NotPosted(format!(
                "{what} failed: {}",
                // A timeout's wording is for posts; this request was not one.
                m.replace(" (the post may have been created)", "")
            ))
        }
        other => other.map_message(|m| format!("{what}: {m}")),
    }
}

/// Whether `id` is a numeric X id (`^[0-9]{1,19}$`: posts, media, users).
fn is_id(id: &str) -> bool {
    (1..=19).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

impl XPublisher {
    pub fn new(name: &str, settings: &Settings, http: HttpCore) -> Result<XPublisher, String> {
        let base = settings.api_base();
        http::check_endpoint(base)?;
        let credentials = match &settings.auth {
            Auth::OAuth2(o) => {
                if o.refresh_token.is_some() && o.client_id.is_none() {
                    return Err(
                        "`oauth2.refresh_token` needs `oauth2.client_id` (X's token endpoint asks for it)"
                            .to_string(),
                    );
                }
                if o.client_secret.is_some() && o.client_id.is_none() {
                    return Err("`oauth2.client_secret` needs `oauth2.client_id`".to_string());
                }
                Credentials::OAuth2 {
                    tokens: tokio::sync::Mutex::new(Tokens {
                        access: resolve("access token", &o.access_token)?,
                        refresh: o
                            .refresh_token
                            .as_ref()
                            .map(|r| resolve("refresh token", r))
                            .transpose()?,
                    }),
                    client_id: o.client_id.clone(),
                    client_secret: o
                        .client_secret
                        .as_ref()
                        .map(|s| resolve("client secret", s))
                        .transpose()?,
                }
            }
            Auth::OAuth1(o) => Credentials::OAuth1 {
                consumer_key: resolve("consumer key", &o.consumer_key)?,
                consumer_secret: resolve("consumer secret", &o.consumer_secret)?,
                token: resolve("access token", &o.access_token)?,
                token_secret: resolve("access token secret", &o.access_token_secret)?,
            },
        };
        Ok(XPublisher {
            name: name.to_string(),
            api_base: base.to_string(),
            tweets_url: format!("{base}/2/tweets"),
            token_url: format!("{base}/2/oauth2/token"),
            credentials,
            http,
            media_poll: MEDIA_POLL,
            user_id: tokio::sync::OnceCell::new(),
        })
    }

    /// The same publisher, waiting for media X is still processing as `poll`
    /// says instead of [`MEDIA_POLL`] (tests wait milliseconds).
    pub fn with_media_poll(mut self, poll: Poll) -> XPublisher {
        self.media_poll = poll;
        self
    }

    /// Posts the rendered parts: one post, or a thread where each part
    /// replies to the one before; the image goes with the first. The
    /// receipt is the first post's.
    async fn send(&self, ctx: &PublishContext<'_>) -> Result<Receipt, PublishError> {
        let parts = parts(ctx.rendered);
        let media_ids = match ctx.image {
            Some(image) => vec![self.upload(image).await?],
            None => Vec::new(),
        };
        let mut first: Option<Receipt> = None;
        let mut previous: Option<String> = None;
        for (index, part) in parts.iter().enumerate() {
            let media = (index == 0 && !media_ids.is_empty()).then_some(media_ids.as_slice());
            let receipt = self
                .post_tweet(part, previous.as_deref(), media)
                .await
                .map_err(|e| match &first {
                    // The thread is half-posted: say where it stopped.
                    Some(head) => e.map_message(|m| {
                        format!(
                            "thread part {}/{} failed after the parts before it were posted (first post {}): {m}",
                            index + 1,
                            parts.len(),
                            head.remote_id
                        )
                    }),
                    None => e,
                })?;
            previous = Some(receipt.remote_id.clone());
            first.get_or_insert(receipt);
        }
        first.ok_or_else(|| PublishError::Permanent("nothing to post".to_string()))
    }

    async fn post_tweet(
        &self,
        text: &str,
        in_reply_to: Option<&str>,
        media_ids: Option<&[String]>,
    ) -> Result<Receipt, PublishError> {
        let body = serde_json::to_vec(&NewTweet {
            text,
            reply: in_reply_to.map(|id| ReplyTo {
                in_reply_to_tweet_id: id,
            }),
            media: media_ids.map(|media_ids| Media { media_ids }),
        })
        .map_err(|e| PublishError::Permanent(format!("cannot encode the post: {e}")))?;
        let answer = self
            .call(Method::POST, &self.tweets_url, Some(&body))
            .await?;
        outcome(answer)
    }

    /// Uploads the image in one request, waits if X is still processing it,
    /// sets its alt text; returns the media id. Every failure here is
    /// [`before_posting`]: no post has been requested yet.
    async fn upload(&self, image: &Image) -> Result<String, PublishError> {
        const UPLOADING: &str = "uploading the image";
        const ALT: &str = "setting the image's alt text";
        let alt = image.alt.trim();
        if alt.chars().count() > 1000 {
            return Err(PublishError::Permanent(format!(
                "the image's alt text has {} characters; X takes at most 1000",
                alt.chars().count()
            )));
        }
        let body = serde_json::to_vec(&MediaUpload {
            media: base64::engine::general_purpose::STANDARD.encode(&image.bytes),
            media_category: media_category(image.mime),
        })
        .map_err(|e| PublishError::Permanent(format!("cannot encode the image: {e}")))?;
        let url = format!("{}/2/media/upload", self.api_base);
        let answer = self
            .call(Method::POST, &url, Some(&body))
            .await
            .map_err(|e| before_posting(e, UPLOADING))?;
        let media = uploaded(&answer).map_err(|e| before_posting(e, UPLOADING))?;
        if processing(&media)? {
            let id = media.id.as_str();
            let mut status = reqwest::Url::parse(&url).map_err(|e| {
                PublishError::Permanent(format!("the media upload URL `{url}`: {e}"))
            })?;
            status
                .query_pairs_mut()
                .append_pair("media_id", id)
                .append_pair("command", "STATUS");
            let status = status.as_str();
            let what = format!("the image (media {id}) X is processing");
            http::poll_until(self.media_poll, &what, move || async move {
                let answer = self.call(Method::GET, status, None).await?;
                processing(&uploaded(&answer)?).map(|busy| (!busy).then_some(()))
            })
            .await
            .map_err(|e| before_posting(e, UPLOADING))?;
        }
        if !alt.is_empty() {
            let body = serde_json::to_vec(&MediaMetadata {
                id: &media.id,
                metadata: Metadata {
                    alt_text: AltText { text: alt },
                },
            })
            .map_err(|e| PublishError::Permanent(format!("cannot encode the alt text: {e}")))?;
            let answer = self
                .call(
                    Method::POST,
                    &format!("{}/2/media/metadata", self.api_base),
                    Some(&body),
                )
                .await
                .map_err(|e| before_posting(e, ALT))?;
            if !answer.status.is_success() {
                return Err(before_posting(answer.failure(), ALT));
            }
        }
        Ok(media.id)
    }

    /// Is the publication among the account's posts since it was claimed?
    async fn find(&self, sent: &Sent<'_>) -> Result<Option<Receipt>, PublishError> {
        let Some(wanted) = sent.fingerprint else {
            return Err(PublishError::Permanent(
                "no fingerprint of the text was recorded for this publication, so X's posts cannot be compared with it".to_string(),
            ));
        };
        let user = self.user_id().await?;
        let since = sent
            .claimed_at
            .checked_sub_signed(CLOCK_SKEW)
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
            .max(earliest_start_time());
        let mut url = reqwest::Url::parse(&format!("{}/2/users/{user}/tweets", self.api_base))
            .map_err(|e| PublishError::Permanent(format!("the timeline URL: {e}")))?;
        url.query_pairs_mut()
            .append_pair(
                "start_time",
                &since.to_rfc3339_opts(SecondsFormat::Secs, true),
            )
            .append_pair("max_results", "100")
            .append_pair("exclude", "replies,retweets");
        let mut page_url = url.clone();
        for _ in 0..MAX_PAGES {
            let answer = self.call(Method::GET, page_url.as_str(), None).await?;
            if !answer.status.is_success() {
                return Err(answer.failure());
            }
            let page: Timeline = serde_json::from_str(&answer.body).map_err(|e| {
                PublishError::Permanent(format!(
                    "unexpected answer reading the account's posts back: {e}"
                ))
            })?;
            if page.data.is_empty()
                && let Some(error) = page.errors.into_iter().find_map(ErrorItem::text)
            {
                // No posts and an error: the answer says nothing either way.
                return Err(PublishError::Retryable(format!(
                    "reading the account's posts back: {error}"
                )));
            }
            if let Some(post) = page
                .data
                .iter()
                .find(|p| !sent.is_taken(&p.id) && matches(&p.text, wanted))
            {
                return receipt(&post.id).map(Some);
            }
            match page.meta.and_then(|m| m.next_token) {
                Some(token) => {
                    page_url = url.clone();
                    page_url
                        .query_pairs_mut()
                        .append_pair("pagination_token", &token);
                }
                None => return Ok(None),
            }
        }
        Err(PublishError::Permanent(format!(
            "the account has more than {} posts since {}: too many to read back",
            MAX_PAGES * 100,
            since.to_rfc3339_opts(SecondsFormat::Secs, true)
        )))
    }

    /// The account's user id, asked once.
    async fn user_id(&self) -> Result<&str, PublishError> {
        self.user_id
            .get_or_try_init(|| async {
                let url = format!("{}/2/users/me", self.api_base);
                let answer = self.call(Method::GET, &url, None).await?;
                if !answer.status.is_success() {
                    return Err(answer.failure().map_message(|m| {
                        format!("asking X which account the credentials are for: {m}")
                    }));
                }
                let me: Me = serde_json::from_str(&answer.body).map_err(|e| {
                    PublishError::Permanent(format!("unexpected answer of /2/users/me: {e}"))
                })?;
                if !is_id(&me.data.id) {
                    return Err(PublishError::Permanent(format!(
                        "X answered /2/users/me with the id `{}`, which is not a user id",
                        excerpt(&me.data.id)
                    )));
                }
                Ok(me.data.id)
            })
            .await
            .map(String::as_str)
    }

    /// Sends one request; on a 401 with a refresh token configured, refreshes
    /// once and sends it once more (a refused token did nothing).
    async fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<&[u8]>,
    ) -> Result<Answer, PublishError> {
        let answer = self.request(method.clone(), url, body).await?;
        if answer.status == StatusCode::UNAUTHORIZED && self.can_refresh().await {
            self.refresh(answer.bearer.as_ref()).await?;
            let mut again = self.request(method, url, body).await?;
            again.note = " (after refreshing the access token)";
            return Ok(again);
        }
        Ok(answer)
    }

    /// One request, authorised; `body` is JSON.
    async fn request(
        &self,
        method: Method,
        url: &str,
        body: Option<&[u8]>,
    ) -> Result<Answer, PublishError> {
        let (authorization, bearer) = match &self.credentials {
            Credentials::OAuth2 { tokens, .. } => {
                let access = tokens.lock().await.access.clone();
                (format!("Bearer {}", access.expose()), Some(access))
            }
            Credentials::OAuth1 {
                consumer_key,
                consumer_secret,
                token,
                token_secret,
            } => {
                let timestamp = Utc::now().timestamp().max(0).unsigned_abs();
                (
                    // A JSON body is not signed: only query and oauth_* parameters.
                    oauth1_header(
                        method.as_str(),
                        url,
                        &[],
                        consumer_key.expose(),
                        consumer_secret.expose(),
                        token.expose(),
                        token_secret.expose(),
                        &nonce(),
                        timestamp,
                    ),
                    None,
                )
            }
        };
        let mut request = self
            .http
            .client
            .request(method, url)
            .header(reqwest::header::AUTHORIZATION, authorization);
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let response = request
            .send()
            .await
            .map_err(|e| http::classify_transport(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .text()
            .await
            .map_err(|e| http::classify_transport(&e))?;
        Ok(Answer {
            status,
            headers,
            body,
            bearer,
            note: "",
        })
    }

    async fn can_refresh(&self) -> bool {
        match &self.credentials {
            Credentials::OAuth2 { tokens, .. } => tokens.lock().await.refresh.is_some(),
            Credentials::OAuth1 { .. } => false,
        }
    }

    /// Exchanges the refresh token for a new pair (`grant_type=refresh_token`,
    /// form-encoded, `client_id` in the body, HTTP Basic with the client
    /// secret for confidential clients) and keeps it in memory. Skipped when
    /// another publication refreshed since `refused` was sent.
    async fn refresh(&self, refused: Option<&Secret>) -> Result<(), PublishError> {
        let Credentials::OAuth2 {
            tokens,
            client_id,
            client_secret,
        } = &self.credentials
        else {
            return Ok(());
        };
        let mut tokens = tokens.lock().await;
        if refused.is_some_and(|r| *r != tokens.access) {
            return Ok(());
        }
        let failed = |m: String| {
            PublishError::Auth(format!(
                "X refused the access token (HTTP 401) and refreshing it failed: {m}"
            ))
        };
        let (Some(refresh), Some(client_id)) = (tokens.refresh.clone(), client_id.as_deref())
        else {
            return Err(failed("no refresh token or client id".to_string()));
        };
        let mut request = self.http.client.post(&self.token_url).form(&[
            ("refresh_token", refresh.expose()),
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
        ]);
        if let Some(secret) = client_secret {
            request = request.basic_auth(client_id, Some(secret.expose()));
        }
        let response = request
            .send()
            .await
            .map_err(|e| http::classify_transport(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .map_err(|e| http::classify_transport(&e))?;
        if !status.is_success() {
            let message = serde_json::from_str::<TokenError>(&text)
                .ok()
                .and_then(|e| e.error_description.or(e.error))
                .unwrap_or_else(|| excerpt(&text));
            return Err(
                match http::classify_status(status, &headers, &message, Utc::now()) {
                    // Waiting helps with these; nothing was posted.
                    e @ (PublishError::RateLimited { .. }
                    | PublishError::Retryable(_)
                    | PublishError::NoAnswer(_)) => {
                        e.map_message(|m| format!("refreshing the X access token: {m}"))
                    }
                    _ => failed(format!(
                        "HTTP {}: {message}; replace the configured tokens",
                        status.as_u16()
                    )),
                },
            );
        }
        let answer: TokenAnswer = serde_json::from_str(&text)
            .map_err(|e| failed(format!("unexpected answer of the token endpoint: {e}")))?;
        tokens.access = Secret::new(answer.access_token);
        if let Some(new_refresh) = answer.refresh_token {
            tokens.refresh = Some(Secret::new(new_refresh));
        }
        Ok(())
    }

    /// Every credential value now held, to scrub from error messages.
    async fn secrets(&self) -> Vec<Secret> {
        match &self.credentials {
            Credentials::OAuth2 {
                tokens,
                client_secret,
                ..
            } => {
                let tokens = tokens.lock().await;
                let mut all = vec![tokens.access.clone()];
                all.extend(tokens.refresh.clone());
                all.extend(client_secret.clone());
                all
            }
            Credentials::OAuth1 {
                consumer_key,
                consumer_secret,
                token,
                token_secret,
            } => vec![
                consumer_key.clone(),
                consumer_secret.clone(),
                token.clone(),
                token_secret.clone(),
            ],
        }
    }

    /// `result`, with every credential value now held removed from its error.
    async fn scrubbed<T>(&self, result: Result<T, PublishError>) -> Result<T, PublishError> {
        match result {
            Ok(value) => Ok(value),
            Err(e) => {
                let secrets = self.secrets().await;
                Err(e.map_message(|m| {
                    secrets
                        .iter()
                        .fold(m.to_string(), |m, s| m.replace(s.expose(), "[redacted]"))
                }))
            }
        }
    }
}

/// The parts to post: the thread's, or the one text.
fn parts(rendered: &Rendered) -> &[String] {
    if rendered.parts.is_empty() {
        std::slice::from_ref(&rendered.text)
    } else {
        &rendered.parts
    }
}

/// What an answer of `POST /2/tweets` means.
fn outcome(answer: Answer) -> Result<Receipt, PublishError> {
    if !answer.status.is_success() {
        let message = answer.message();
        if answer.status == StatusCode::FORBIDDEN && message.to_lowercase().contains("duplicate") {
            return Err(PublishError::Duplicate(format!(
                "HTTP 403: {message} — X refuses a post whose text is identical to a recent one \
                 of the account, and has no idempotency key: this post may already be on X \
                 (an earlier attempt that timed out may have gone through)"
            )));
        }
        return Err(answer.failure());
    }
    let created: Created = serde_json::from_str(&answer.body).map_err(|e| {
        PublishError::Permanent(format!(
            "unexpected answer to a created post (HTTP {}; the post may be on X): {e}",
            answer.status.as_u16()
        ))
    })?;
    receipt(&created.data.id).map_err(|e| {
        e.map_message(|m| format!("X answered a created post with {m} (the post may be on X)"))
    })
}

/// The receipt of the post `id`, checked to be a post id.
fn receipt(id: &str) -> Result<Receipt, PublishError> {
    if !is_id(id) {
        return Err(PublishError::Permanent(format!(
            "the id `{}`, which is not a post id",
            excerpt(id)
        )));
    }
    Ok(Receipt {
        url: Some(format!("https://x.com/i/web/status/{id}")),
        remote_id: id.to_string(),
    })
}

/// An answer of the media upload (or of its status query): the media, its
/// id checked (it goes into a post and a query).
fn uploaded(answer: &Answer) -> Result<UploadedData, PublishError> {
    if !answer.status.is_success() {
        return Err(answer.failure());
    }
    let media = serde_json::from_str::<Uploaded>(&answer.body)
        .map_err(|e| PublishError::Permanent(format!("unexpected answer to a media upload: {e}")))?
        .data;
    if !is_id(&media.id) {
        return Err(PublishError::Permanent(format!(
            "X gave the image the id `{}`, which is not a media id",
            excerpt(&media.id)
        )));
    }
    Ok(media)
}

/// The `media_category` of a one-request upload: `tweet_gif` for a GIF,
/// which X treats as its own kind of media (an animated GIF, up to 15 MB
/// where an image is held to 5 MB), `tweet_image` for anything else. The
/// spec's `MediaUploadRequest` (X API v2 2.167) allows `tweet_gif` for this
/// request, as does X's reference page for it; earlier versions of the spec
/// limited the one-request upload to `tweet_image`, `dm_image` and
/// `subtitles`. Should X refuse the category, the upload fails with X's 400
/// before any post is requested. A still GIF is sent as `tweet_gif` too:
/// telling the two apart means parsing the file, and X itself assumes
/// `tweet_gif` for a GIF uploaded without a category (its media best
/// practices). X may answer a GIF with `processing_info`; the upload then
/// waits for it as for any image ([`MEDIA_POLL`]).
fn media_category(mime: &str) -> &'static str {
    match mime {
        "image/gif" => "tweet_gif",
        _ => "tweet_image",
    }
}

/// Whether X is still processing the media; its failure is permanent.
fn processing(media: &UploadedData) -> Result<bool, PublishError> {
    match media
        .processing_info
        .as_ref()
        .and_then(|p| p.state.as_deref())
    {
        None | Some("succeeded") => Ok(false),
        Some("pending" | "in_progress") => Ok(true),
        Some(state) => Err(PublishError::Permanent(format!(
            "X could not process the image (media {}): state `{}`",
            media.id,
            excerpt(state)
        ))),
    }
}

/// `start_time` "must be on or after 2010-11-06" (the spec).
fn earliest_start_time() -> DateTime<Utc> {
    DateTime::from_timestamp(1_289_001_600, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// A text as it can be compared with X's copy of it: NFC, every link (found
/// as the length counter finds them, twitter-text's way) replaced by one
/// placeholder, since X replaces each by a `t.co` link; trimmed.
pub fn comparable(text: &str) -> String {
    let text: String = text.nfc().collect();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for url in length::urls(&text, false) {
        out.push_str(&text[at..url.start]);
        out.push_str(LINK);
        at = url.end;
    }
    out.push_str(&text[at..]);
    out.trim().to_string()
}

/// A post's text as X answers it, unescaped: X returns `&`, `<` and `>` as
/// `&amp;`, `&lt;` and `&gt;` (in one pass, so `&amp;lt;` is `&lt;`).
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let (plain, len) = if rest.starts_with("&amp;") {
            ('&', 5)
        } else if rest.starts_with("&lt;") {
            ('<', 4)
        } else if rest.starts_with("&gt;") {
            ('>', 4)
        } else {
            ('&', 1)
        };
        out.push(plain);
        rest = &rest[len..];
    }
    out.push_str(rest);
    out
}

/// Whether X's text of a post is the text that was fingerprinted. A post
/// with an image ends with the image's `t.co` link, which the sent text did
/// not have: the text without a last link is compared too.
fn matches(x_text: &str, fingerprint: &str) -> bool {
    let text = comparable(&unescape(x_text));
    if fingerprint_of(&text) == fingerprint {
        return true;
    }
    text.strip_suffix(LINK)
        .is_some_and(|without| fingerprint_of(without.trim_end()) == fingerprint)
}

fn excerpt(text: &str) -> String {
    text.chars().take(200).collect()
}

/// A nonce unique per request: the time, a counter and per-process random
/// state, hashed (X only asks that a nonce is not reused).
fn nonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    use std::hash::{BuildHasher, RandomState};
    let random = RandomState::new().hash_one(COUNTER.fetch_add(1, Ordering::Relaxed));
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let seed = format!(
        "{nanos}:{random}:{}:{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    hex(&Sha256::digest(seed.as_bytes()))[..32].to_string()
}

/// RFC 3986 percent-encoding as RFC 5849 §3.6 asks: everything but
/// `A–Z a–z 0–9 - . _ ~`, bytes of UTF-8, upper-case hex.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The `Authorization` header of an OAuth 1.0a request (RFC 5849, HMAC-SHA1),
/// as X's "Creating a signature" and "Authorizing a request" describe it.
/// `url` may carry a query; its parameters are signed with `params` (the
/// form-encoded body parameters, if any). A JSON body is not signed.
#[allow(clippy::too_many_arguments)] // every input of the signature, none hidden (no clock, no randomness)
pub fn oauth1_header(
    method: &str,
    url: &str,
    params: &[(&str, &str)],
    consumer_key: &str,
    consumer_secret: &str,
    token: &str,
    token_secret: &str,
    nonce: &str,
    timestamp: u64,
) -> String {
    // Base URL (§3.4.1.2): scheme and host lower case, default port dropped,
    // no query or fragment.
    let (base_url, query): (String, Vec<(String, String)>) = match reqwest::Url::parse(url) {
        Ok(u) => {
            let mut base = format!("{}://{}", u.scheme(), u.host_str().unwrap_or_default());
            if let Some(port) = u.port() {
                let _ = write!(base, ":{port}");
            }
            base.push_str(u.path());
            let query = u
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            (base, query)
        }
        Err(_) => (
            url.split(['?', '#']).next().unwrap_or(url).to_string(),
            Vec::new(),
        ),
    };
    let timestamp = timestamp.to_string();
    let oauth = [
        ("oauth_consumer_key", consumer_key),
        ("oauth_nonce", nonce),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", timestamp.as_str()),
        ("oauth_token", token),
        ("oauth_version", "1.0"),
    ];
    let mut signed: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (encode(k), encode(v)))
        .chain(params.iter().map(|(k, v)| (encode(k), encode(v))))
        .chain(oauth.iter().map(|(k, v)| (encode(k), encode(v))))
        .collect();
    signed.sort();
    let parameter_string = signed
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let base_string = format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        encode(&base_url),
        encode(&parameter_string)
    );
    let key = format!("{}&{}", encode(consumer_secret), encode(token_secret));
    // Invariant, not input: HMAC accepts keys of any length.
    let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(base_string.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let mut fields: Vec<(&str, &str)> = oauth.to_vec();
    fields.push(("oauth_signature", signature.as_str()));
    fields.sort();
    let fields: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}=\"{}\"", encode(k), encode(v)))
        .collect();
    format!("OAuth {}", fields.join(", "))
}

impl Publisher for XPublisher {
    fn name(&self) -> &str {
        &self.name
    }

    fn publish<'a>(
        &'a self,
        ctx: &'a PublishContext<'a>,
    ) -> BoxFuture<'a, Result<Receipt, PublishError>> {
        Box::pin(async move { self.scrubbed(self.send(ctx).await).await })
    }

    /// The fingerprint of the first part, [`comparable`].
    fn fingerprint(&self, rendered: &Rendered) -> Option<String> {
        parts(rendered)
            .first()
            .map(|first| fingerprint_of(&comparable(first)))
    }

    fn can_look_up(&self) -> bool {
        true
    }

    fn lookup<'a>(
        &'a self,
        sent: &'a Sent<'a>,
    ) -> BoxFuture<'a, Result<Option<Receipt>, PublishError>> {
        Box::pin(async move { self.scrubbed(self.find(sent).await).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_is_rfc_3986() {
        assert_eq!(
            encode("Hello Ladies + Gentlemen, a signed OAuth request!"),
            "Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21"
        );
        assert_eq!(encode("a-._~Z9"), "a-._~Z9");
        assert_eq!(encode("é☃"), "%C3%A9%E2%98%83");
    }

    #[test]
    fn x_escapes_are_undone_once_and_other_ampersands_kept() {
        assert_eq!(unescape("a &amp; b &lt;c&gt;"), "a & b <c>");
        assert_eq!(
            unescape("&amp;lt; is how X writes &lt;"),
            "&lt; is how X writes <"
        );
        assert_eq!(unescape("R&D &quot; & &"), "R&D &quot; & &");
    }

    #[test]
    fn only_a_last_link_is_taken_for_the_image_link() {
        let fp = |t: &str| fingerprint_of(&comparable(t));
        assert!(matches("Flu shot. https://t.co/pic", &fp("Flu shot.")));
        assert!(matches(
            "Flu shot. https://t.co/pic",
            &fp("Flu shot. example.org/x")
        ));
        assert!(!matches("https://t.co/pic Flu shot.", &fp("Flu shot.")));
        assert!(!matches(
            "Flu shot. https://t.co/a https://t.co/b",
            &fp("Flu shot.")
        ));
    }

    #[test]
    fn nonces_differ() {
        let a = nonce();
        assert_eq!(a.len(), 32);
        assert_ne!(a, nonce());
    }

    #[test]
    fn yaml_takes_exactly_one_kind_of_credentials() {
        let two: Result<Settings, _> = serde_yaml::from_str(
            "oauth2: { access_token: env:A }\noauth1: { consumer_key: env:A, consumer_secret: env:B, access_token: env:C, access_token_secret: env:D }\n",
        );
        assert!(two.unwrap_err().to_string().contains("not both"));
        let none: Result<Settings, _> = serde_yaml::from_str("api_base: https://api.x.com\n");
        assert!(
            none.unwrap_err()
                .to_string()
                .contains("missing credentials")
        );
        let unknown: Result<Settings, _> =
            serde_yaml::from_str("oauth2: { access_token: env:A, scope: x }\n");
        assert!(unknown.unwrap_err().to_string().contains("unknown field"));
        let literal: Result<Settings, _> =
            serde_yaml::from_str("oauth2: { access_token: abc123secret }\n");
        assert!(!literal.unwrap_err().to_string().contains("abc123secret"));
    }
}
