//! LinkedIn: `POST /rest/posts` as JSON with a bearer token, the monthly
//! `Linkedin-Version` header and `X-Restli-Protocol-Version: 2.0.0`. The
//! created post's URN comes back in the `x-restli-id` header of an empty 201.
//!
//! `commentary` is in LinkedIn's "little text" format: the characters
//! `\ | { } @ [ ] ( ) < > # * _ ~` are markup, and an unescaped one makes
//! LinkedIn silently cut the text there. [`escape_little_text`] escapes every
//! one of them, and sends hashtags as `{hashtag|\#|tag}` templates (the
//! little-text HashtagTemplate) so they stay clickable.
//!
//! An image (JPEG, PNG or GIF: the Images API takes no other) is uploaded
//! first with the Images API: `POST /rest/images?action=initializeUpload`
//! with `{"initializeUploadRequest": {"owner": <author>}}` answers
//! `value.uploadUrl` and `value.image` (`urn:li:image:…`); the bytes are
//! `PUT` to the upload URL with the same bearer token, and the post carries
//! `"content": {"media": {"id": <image>, "altText": <alt>}}`. The upload URL
//! must be https (plain http only on loopback), and the token goes only to
//! LinkedIn's hosts or the configured API host.
//!
//! LinkedIn processes an image after the `PUT`, and a post that references
//! it too early can fail. So the post waits until `GET /rest/images/{urn}`
//! (the URN URL-encoded, with the version headers and the token) answers
//! `"status": "AVAILABLE"`: asked once at once, then as [`MEDIA_POLL`] says
//! while it answers `WAITING_UPLOAD` or `PROCESSING`. An image that never
//! becomes available, or is `PROCESSING_FAILED`, is
//! [`PublishError::NotPosted`]: the daemon may try the publication again,
//! which uploads the image anew, a bounded number of times. Every failure of
//! the upload or the wait happens before any post exists: its message says
//! nothing was posted.
//!
//! No threads (LinkedIn has none; a long post is an error), a content
//! warning becomes a first `CW: …` line, and there is no idempotency key.
//! After a lost answer the author's posts are read back instead
//! ([`Publisher::lookup`]): `GET /rest/posts?author=<urn>&q=author&count=20
//! &sortBy=LAST_MODIFIED` (the URN URL-encoded), the post recognised by the
//! fingerprint of its `commentary` with the little text undone
//! ([`unescape_little_text`]), which is the fingerprint of the text before
//! escaping ([`read_back_text`]). Reading needs `r_organization_social` (or
//! `r_member_social`) besides the posting permission.

use super::http::{self, Answer, HttpCore, Poll};
use super::{BoxFuture, Image, PublishContext, PublishError, Publisher, Receipt, Sent};
use crate::content::Post;
use crate::render::{Rendered, plain};
use crate::secret::{Secret, SecretRef};
use chrono::{TimeDelta, Utc};
use reqwest::RequestBuilder;
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use std::time::Duration;

pub const DEFAULT_API_BASE: &str = "https://api.linkedin.com";

/// LinkedIn's limit on `commentary`, counted by [`length`].
pub const MAX_LENGTH: usize = 3000;

/// How far LinkedIn's clock may be behind ours: a post read back may have
/// been created this long before the claim.
pub const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// How many of the author's latest posts one read-back asks for.
pub const READ_BACK_COUNT: usize = 20;

/// The image types the Images API accepts.
pub const IMAGE_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif"];

/// How long to wait for LinkedIn to process an uploaded image once a first
/// check found it not yet `AVAILABLE`: 10 more checks, 1 s apart.
pub const MEDIA_POLL: Poll = Poll {
    interval: Duration::from_secs(1),
    attempts: 10,
};

/// How the errors of an image upload begin: no post exists yet.
pub const UPLOAD_FAILED: &str =
    "the image upload failed before the post was created, so nothing was posted";

/// The little-text characters that must be backslash-escaped.
pub const RESERVED: &[char] = &[
    '\\', '|', '{', '}', '@', '[', ']', '(', ')', '<', '>', '#', '*', '_', '~',
];

/// A `platform: linkedin` channel in channels.yaml.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Default `https://api.linkedin.com`; tests point it at a local server.
    pub api_base: Option<String>,
    /// Who posts: `urn:li:organization:<digits>` (a page) or
    /// `urn:li:person:<id>` (a member).
    pub author: String,
    /// An access token with `w_organization_social` (or `w_member_social`):
    /// `env:NAME` or `file:PATH`.
    pub token: SecretRef,
    /// The `Linkedin-Version` header, `YYYYMM` (e.g. `202511`). LinkedIn
    /// supports each version for about a year.
    pub version: String,
}

impl Settings {
    /// Checks the fields' forms; messages name the key.
    pub fn validate(&self) -> Result<(), String> {
        if !valid_author(&self.author) {
            return Err(format!(
                "`author` must be `urn:li:organization:<digits>` or `urn:li:person:<id>`, not `{}`",
                self.author
            ));
        }
        if !valid_version(&self.version) {
            return Err(format!(
                "`version` must be a LinkedIn API version `YYYYMM` such as `202511`, not `{}`",
                self.version
            ));
        }
        Ok(())
    }

    fn api_base(&self) -> &str {
        self.api_base
            .as_deref()
            .unwrap_or(DEFAULT_API_BASE)
            .trim_end_matches('/')
    }
}

fn valid_author(author: &str) -> bool {
    if let Some(id) = author.strip_prefix("urn:li:organization:") {
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())
    } else if let Some(id) = author.strip_prefix("urn:li:person:") {
        !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    } else {
        false
    }
}

fn valid_version(version: &str) -> bool {
    version.len() == 6
        && version.bytes().all(|b| b.is_ascii_digit())
        && matches!(version[4..].parse::<u8>(), Ok(1..=12))
}

/// Plain text as little text: every reserved character backslash-escaped,
/// and every hashtag — a `#` at the start or after whitespace, followed by
/// letters and digits with at least one letter — written as LinkedIn's
/// HashtagTemplate `{hashtag|\#|tag}`, so it shows as `#tag` and links to
/// the tag. Any other `#` (a URL fragment, `#1`) is escaped as text.
pub fn escape_little_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut previous: Option<char> = None;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '#' && previous.is_none_or(char::is_whitespace) {
            let after = &rest[1..];
            let end = after
                .char_indices()
                .find(|(_, c)| !c.is_alphanumeric())
                .map_or(after.len(), |(i, _)| i);
            let tag = &after[..end];
            if tag.chars().any(char::is_alphabetic) {
                // The tag holds only letters and digits: nothing in it to escape.
                out.push_str("{hashtag|\\#|");
                out.push_str(tag);
                out.push('}');
                previous = tag.chars().last();
                rest = &after[end..];
                continue;
            }
        }
        if RESERVED.contains(&c) {
            out.push('\\');
        }
        out.push(c);
        previous = Some(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Little text back to plain text, as a reader sees it: a backslash escape
/// is the character it escapes, and a HashtagTemplate `{hashtag|\#|tag}` is
/// `#tag`. The inverse of [`escape_little_text`] (for every text,
/// `unescape_little_text(&escape_little_text(t)) == t`), and tolerant of a
/// read-back that escapes more or less than we did. Other templates (a
/// mention `@[Name](urn)`) are left as they are: we never send them.
pub fn unescape_little_text(little: &str) -> String {
    let mut out = String::with_capacity(little.len());
    let mut rest = little;
    while let Some(c) = rest.chars().next() {
        if c == '\\' {
            let escaped = &rest[1..];
            match escaped.chars().next() {
                Some(next) => {
                    out.push(next);
                    rest = &escaped[next.len_utf8()..];
                }
                None => {
                    out.push('\\');
                    rest = escaped;
                }
            }
            continue;
        }
        if c == '{'
            && let Some((marker, tag, after)) = hashtag_template(rest)
        {
            out.push_str(&unescape_little_text(marker));
            out.push_str(&unescape_little_text(tag));
            rest = after;
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `{hashtag|<marker>|<tag>}` at the start of `text`: the marker, the tag
/// and what follows the template. Inside, `|` and `}` end the parts unless
/// escaped.
fn hashtag_template(text: &str) -> Option<(&str, &str, &str)> {
    let inner = text.strip_prefix("{hashtag|")?;
    let (marker, after_marker) = split_unescaped(inner, '|')?;
    let (tag, after) = split_unescaped(after_marker, '}')?;
    Some((marker, tag, after))
}

/// `text` up to the first `end` not escaped by a backslash, and what
/// follows that `end`.
fn split_unescaped(text: &str, end: char) -> Option<(&str, &str)> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == end {
            return Some((&text[..i], &text[i + c.len_utf8()..]));
        }
    }
    None
}

// Fingerprints are of the plain (not little) text, on both sides.
pub use super::read_back_text;
use super::text_fingerprint;

/// The length LinkedIn's limit applies to, counted on the escaped text (so
/// escapes and hashtag templates count) in UTF-16 code units, as a Java
/// service counts a string: never less than what LinkedIn counts, so what
/// preview says fits, fits.
pub fn length(text: &str) -> usize {
    escape_little_text(text).encode_utf16().count()
}

/// The post as LinkedIn shows it: plain text with `overrides.linkedin.text`
/// honoured (written as plain text; escaping happens here), a content
/// warning as a first `CW: …` line. No thread: LinkedIn has none, so a long
/// post stays one part and is too long, even with `thread: true`.
pub fn render(post: &Post, settings: &Settings) -> Rendered {
    let _ = settings;
    let text = with_content_warning(post, plain::text(post, "linkedin"));
    Rendered {
        length: length(&text),
        limit: Some(MAX_LENGTH),
        html: None,
        parts: vec![text.clone()],
        text,
    }
}

fn with_content_warning(post: &Post, text: String) -> String {
    match post.meta.content_warning.as_deref().map(str::trim) {
        Some(warning) if !warning.is_empty() => format!("CW: {warning}\n\n{text}"),
        _ => text,
    }
}

/// The request body of `POST /rest/posts`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct NewPost<'a> {
    author: &'a str,
    commentary: &'a str,
    visibility: &'static str,
    distribution: Distribution,
    lifecycle_state: &'static str,
    is_reshare_disabled_by_author: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<Content<'a>>,
}

/// A post's attached media: the uploaded image and its alt text.
#[derive(Debug, Serialize)]
struct Content<'a> {
    media: Media<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Media<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    alt_text: Option<&'a str>,
}

/// The request body of `POST /rest/images?action=initializeUpload`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct InitializeUpload<'a> {
    initialize_upload_request: Owner<'a>,
}

#[derive(Debug, Serialize)]
struct Owner<'a> {
    owner: &'a str,
}

/// Its answer: `{"value": {"uploadUrl", "image", …}}`.
#[derive(Debug, Deserialize)]
struct Initialized {
    value: UploadTarget,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UploadTarget {
    upload_url: String,
    image: String,
}

/// The answer of `GET /rest/images/{urn}`, as far as it matters here.
#[derive(Debug, Deserialize)]
struct ImageState {
    /// `WAITING_UPLOAD`, `PROCESSING`, `AVAILABLE` or `PROCESSING_FAILED`.
    #[serde(default)]
    status: Option<String>,
}

/// One page of the `q=author` finder.
#[derive(Debug, Deserialize)]
struct Posts {
    #[serde(default)]
    elements: Vec<FoundPost>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FoundPost {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    commentary: Option<String>,
    /// Milliseconds since the epoch.
    #[serde(default)]
    created_at: Option<i64>,
    #[serde(default)]
    last_modified_at: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Distribution {
    feed_distribution: &'static str,
    target_entities: [(); 0],
    third_party_distribution_channels: [(); 0],
}

/// LinkedIn's error body; every field may be missing.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ApiError {
    message: Option<String>,
    code: Option<String>,
    service_error_code: Option<i64>,
}

impl ApiError {
    fn describe(&self) -> Option<String> {
        let message = self.message.clone()?;
        let mut details = Vec::new();
        if let Some(code) = &self.code {
            details.push(code.clone());
        }
        if let Some(n) = self.service_error_code {
            details.push(format!("serviceErrorCode {n}"));
        }
        Some(if details.is_empty() {
            message
        } else {
            format!("{message} ({})", details.join(", "))
        })
    }
}

pub struct LinkedInPublisher {
    name: String,
    api_host: Option<String>,
    posts_url: String,
    images_url: String,
    author: String,
    version: String,
    token: Secret,
    http: HttpCore,
    media_poll: Poll,
}

impl LinkedInPublisher {
    pub fn new(
        name: &str,
        settings: &Settings,
        http: HttpCore,
    ) -> Result<LinkedInPublisher, String> {
        settings.validate()?;
        let base = settings.api_base();
        http::check_endpoint(base)?;
        let token = settings
            .token
            .resolve()
            .map_err(|e| format!("its token ({}): {e:#}", settings.token))?;
        let api_host = reqwest::Url::parse(base)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
        Ok(LinkedInPublisher {
            name: name.to_string(),
            api_host,
            posts_url: format!("{base}/rest/posts"),
            images_url: format!("{base}/rest/images"),
            author: settings.author.clone(),
            version: settings.version.clone(),
            token,
            http,
            media_poll: MEDIA_POLL,
        })
    }

    /// The same publisher, waiting for an uploaded image as `poll` says
    /// instead of [`MEDIA_POLL`] (tests wait milliseconds).
    pub fn with_media_poll(mut self, poll: Poll) -> LinkedInPublisher {
        self.media_poll = poll;
        self
    }

    /// A request to the REST API: the bearer token and the version headers.
    fn rest(&self, request: RequestBuilder) -> RequestBuilder {
        request
            .bearer_auth(self.token.expose())
            .header("Linkedin-Version", &self.version)
            .header("X-Restli-Protocol-Version", "2.0.0")
    }

    async fn call(&self, request: RequestBuilder) -> Result<Answer, PublishError> {
        http::send(request).await
    }

    /// What a non-success answer means; the token never appears in it.
    fn failure(&self, answer: &Answer) -> PublishError {
        let message = serde_json::from_str::<ApiError>(&answer.body)
            .ok()
            .and_then(|e| e.describe())
            .unwrap_or_else(|| answer.body.chars().take(200).collect());
        let message = message.replace(self.token.expose(), "[redacted]");
        http::classify_status(answer.status, &answer.headers, &message, Utc::now())
    }

    /// Whether the token may go to `url`: LinkedIn's own hosts, or the host
    /// the API itself is configured on (a local server in tests).
    fn trusted_upload_host(&self, url: &reqwest::Url) -> bool {
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
            return false;
        };
        host == "linkedin.com"
            || host.ends_with(".linkedin.com")
            || self.api_host.as_deref() == Some(host.as_str())
    }

    /// Uploads `image` with the Images API; returns its `urn:li:image:…`.
    /// Every error says that nothing was posted (no post exists yet).
    async fn upload_image(&self, image: &Image) -> Result<String, PublishError> {
        if !IMAGE_TYPES.contains(&image.mime) {
            return Err(PublishError::Permanent(format!(
                "LinkedIn takes JPEG, PNG or GIF images, not {} (`{}`)",
                image.mime, image.file_name
            )));
        }
        let body = InitializeUpload {
            initialize_upload_request: Owner {
                owner: &self.author,
            },
        };
        let answer = self
            .call(
                self.rest(
                    self.http
                        .client
                        .post(&self.images_url)
                        .query(&[("action", "initializeUpload")])
                        .json(&body),
                ),
            )
            .await
            .map_err(upload_failed)?;
        if !answer.status.is_success() {
            return Err(upload_failed(self.failure(&answer)));
        }
        let target = serde_json::from_str::<Initialized>(&answer.body)
            .map(|i| i.value)
            .map_err(|e| {
                PublishError::Permanent(format!(
                    "{UPLOAD_FAILED}: unexpected answer to initializeUpload: {e}"
                ))
            })?;
        if !target.image.starts_with("urn:li:image:") {
            return Err(PublishError::Permanent(format!(
                "{UPLOAD_FAILED}: initializeUpload gave no image URN but `{}`",
                target.image.chars().take(60).collect::<String>()
            )));
        }
        http::check_endpoint(&target.upload_url).map_err(|e| {
            PublishError::Permanent(format!("{UPLOAD_FAILED}: the upload URL: {e}"))
        })?;
        let upload_url = reqwest::Url::parse(&target.upload_url).map_err(|e| {
            PublishError::Permanent(format!("{UPLOAD_FAILED}: the upload URL: {e}"))
        })?;
        if !self.trusted_upload_host(&upload_url) {
            return Err(PublishError::Permanent(format!(
                "{UPLOAD_FAILED}: the upload URL is on `{}`, not LinkedIn; the token is not sent there",
                upload_url.host_str().unwrap_or("no host")
            )));
        }
        let answer = self
            .call(
                self.http
                    .client
                    .put(upload_url)
                    .bearer_auth(self.token.expose())
                    .header("Content-Type", image.mime)
                    .body(image.bytes.clone()),
            )
            .await
            .map_err(upload_failed)?;
        if !answer.status.is_success() {
            return Err(upload_failed(self.failure(&answer)));
        }
        self.wait_until_available(&target.image)
            .await
            .map_err(upload_failed)?;
        Ok(target.image)
    }

    /// Returns once LinkedIn says the uploaded image `urn` is `AVAILABLE`:
    /// one check at once (a small image may already be), then the bounded
    /// [`http::poll_until`].
    async fn wait_until_available(&self, urn: &str) -> Result<(), PublishError> {
        let url = format!("{}/{}", self.images_url, encode_path_key(urn));
        let url = url.as_str();
        if self.image_available(url, urn).await?.is_some() {
            return Ok(());
        }
        let what = format!("the image {urn} LinkedIn is processing");
        http::poll_until(self.media_poll, &what, move || {
            self.image_available(url, urn)
        })
        .await
    }

    /// One look at the uploaded image: `Some(())` when it is `AVAILABLE`,
    /// `None` while it is not yet.
    async fn image_available(&self, url: &str, urn: &str) -> Result<Option<()>, PublishError> {
        let answer = self.call(self.rest(self.http.client.get(url))).await?;
        if !answer.status.is_success() {
            return Err(self.failure(&answer));
        }
        let state = serde_json::from_str::<ImageState>(&answer.body).map_err(|e| {
            PublishError::Permanent(format!("unexpected answer about the image {urn}: {e}"))
        })?;
        match state.status.as_deref() {
            Some("AVAILABLE") => Ok(Some(())),
            // No post exists, only an unusable image: NotPosted, so the
            // daemon's bounded retries upload it anew, and a file LinkedIn
            // can never process ends with a person. `upload_failed` keeps a
            // NotPosted message as it is, so this one says itself that
            // nothing was posted.
            Some("PROCESSING_FAILED") => Err(PublishError::NotPosted(format!(
                "{UPLOAD_FAILED}: LinkedIn could not process the image {urn} (PROCESSING_FAILED)"
            ))),
            // WAITING_UPLOAD (the bytes just sent not yet seen), PROCESSING,
            // or a status this adapter does not know: wait, bounded, rather
            // than post with an image LinkedIn may not show.
            _ => Ok(None),
        }
    }

    async fn send(&self, ctx: &PublishContext<'_>) -> Result<Receipt, PublishError> {
        let text = match ctx.rendered.parts.as_slice() {
            [] => &ctx.rendered.text,
            [one] => one,
            parts => {
                return Err(PublishError::Permanent(format!(
                    "LinkedIn has no threads; this post was split into {} parts",
                    parts.len()
                )));
            }
        };
        let commentary = escape_little_text(text);
        let length = commentary.encode_utf16().count();
        if length > MAX_LENGTH {
            return Err(PublishError::Permanent(format!(
                "the post is {length} characters as LinkedIn counts them (escapes included); the limit is {MAX_LENGTH}"
            )));
        }
        let image = match ctx.image {
            Some(image) => Some((self.upload_image(image).await?, image.alt.trim())),
            None => None,
        };
        let body = NewPost {
            author: &self.author,
            commentary: &commentary,
            visibility: "PUBLIC",
            distribution: Distribution {
                feed_distribution: "MAIN_FEED",
                target_entities: [],
                third_party_distribution_channels: [],
            },
            lifecycle_state: "PUBLISHED",
            is_reshare_disabled_by_author: false,
            content: image.as_ref().map(|(urn, alt)| Content {
                media: Media {
                    id: urn,
                    alt_text: (!alt.is_empty()).then_some(*alt),
                },
            }),
        };
        let response = self
            .rest(self.http.client.post(&self.posts_url))
            .json(&body)
            .send()
            .await
            .map_err(|e| http::classify_transport(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        if status.is_success() {
            // The body is empty; the URN is in the header.
            let id = headers
                .get("x-restli-id")
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|id| id.starts_with("urn:li:"));
            return match id {
                Some(urn) => Ok(receipt(urn)),
                None => Err(PublishError::Permanent(format!(
                    "LinkedIn answered HTTP {} without a post URN in `x-restli-id`: the post may exist; check the page before sending it again",
                    status.as_u16()
                ))),
            };
        }
        let body = response
            .text()
            .await
            .map_err(|e| http::classify_transport(&e))?;
        Err(self.failure(&Answer {
            status,
            headers,
            body,
        }))
    }

    /// Reads the author's latest posts and looks for the one whose
    /// commentary has the claimed fingerprint.
    async fn find(&self, sent: &Sent<'_>) -> Result<Option<Receipt>, PublishError> {
        let Some(fingerprint) = sent.fingerprint else {
            return Err(PublishError::Permanent(
                "no read-back fingerprint was recorded for this publication, so LinkedIn cannot tell whether it was posted".into(),
            ));
        };
        let since = sent
            .claimed_at
            .checked_sub_signed(CLOCK_SKEW)
            .unwrap_or(sent.claimed_at)
            .timestamp_millis();
        let count = READ_BACK_COUNT.to_string();
        let answer = self
            .call(self.rest(self.http.client.get(&self.posts_url).query(&[
                ("author", self.author.as_str()),
                ("q", "author"),
                ("count", count.as_str()),
                ("sortBy", "LAST_MODIFIED"),
            ])))
            .await?;
        if !answer.status.is_success() {
            return Err(self.failure(&answer));
        }
        let posts: Posts = serde_json::from_str(&answer.body).map_err(|e| {
            PublishError::Permanent(format!("unexpected answer reading the author's posts: {e}"))
        })?;
        let found = posts.elements.iter().find(|post| {
            let recent = post.created_at.is_none_or(|at| at >= since);
            recent
                && post.id.as_deref().is_none_or(|id| !sent.is_taken(id))
                && post
                    .commentary
                    .as_deref()
                    .and_then(|c| text_fingerprint(&unescape_little_text(c)))
                    .is_some_and(|f| f == fingerprint)
        });
        if let Some(urn) = found
            .and_then(|post| post.id.as_deref())
            .filter(|id| id.starts_with("urn:li:"))
        {
            return Ok(Some(receipt(urn)));
        }
        // Sorted by last change, newest first: when the page is not full,
        // or its oldest change is before the claim, every post left out was
        // last changed before the claim and cannot be this one.
        let oldest_change = posts.elements.iter().map(|p| p.last_modified_at).min();
        let complete = posts.elements.len() < READ_BACK_COUNT
            || oldest_change.flatten().is_some_and(|at| at < since);
        if complete {
            Ok(None)
        } else {
            Err(PublishError::Permanent(format!(
                "the author's {READ_BACK_COUNT} latest posts all changed since the claim and none matches; cannot tell whether this one was posted"
            )))
        }
    }
}

/// An image-upload failure: no post exists yet, and the message says so. A
/// refused connection keeps its wording (the daemon retries those at once).
fn upload_failed(error: PublishError) -> PublishError {
    if error.never_sent() {
        return error;
    }
    let error = error.map_message(|m| {
        // The transport's wording is about a post; here there is none.
        let m = m.replace(" (the post may have been created)", "");
        format!("{UPLOAD_FAILED}: {m}")
    });
    match error {
        PublishError::Retryable(m) | PublishError::NoAnswer(m) => PublishError::NotPosted(m),
        other => other,
    }
}

/// A Rest.li key (a URN) as one path segment: every byte but the RFC 3986
/// unreserved ones percent-encoded, so `urn:li:image:C4D…` is
/// `urn%3Ali%3Aimage%3AC4D…` and no `/` or `?` in it can change the path.
fn encode_path_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + key.len() / 4);
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A receipt as every LinkedIn answer forms it: the post URN and its URL.
fn receipt(urn: &str) -> Receipt {
    Receipt {
        remote_id: urn.to_string(),
        url: Some(format!("https://www.linkedin.com/feed/update/{urn}")),
    }
}

impl Publisher for LinkedInPublisher {
    fn name(&self) -> &str {
        &self.name
    }

    fn publish<'a>(
        &'a self,
        ctx: &'a PublishContext<'a>,
    ) -> BoxFuture<'a, Result<Receipt, PublishError>> {
        Box::pin(self.send(ctx))
    }

    /// The fingerprint of the text before little-text escaping: what
    /// [`unescape_little_text`] makes of the commentary read back.
    fn fingerprint(&self, rendered: &Rendered) -> Option<String> {
        text_fingerprint(rendered.parts.first().unwrap_or(&rendered.text))
    }

    fn can_look_up(&self) -> bool {
        true
    }

    fn lookup<'a>(
        &'a self,
        sent: &'a Sent<'a>,
    ) -> BoxFuture<'a, Result<Option<Receipt>, PublishError>> {
        Box::pin(self.find(sent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(author: &str, version: &str) -> Settings {
        Settings {
            api_base: None,
            author: author.into(),
            token: SecretRef::Env("T".into()),
            version: version.into(),
        }
    }

    #[test]
    fn a_urn_in_a_path_is_one_encoded_segment() {
        assert_eq!(
            encode_path_key("urn:li:image:C4D22AQH1vYexlsL9xQ"),
            "urn%3Ali%3Aimage%3AC4D22AQH1vYexlsL9xQ"
        );
        assert_eq!(encode_path_key("a/b?c#d é"), "a%2Fb%3Fc%23d%20%C3%A9");
        assert_eq!(encode_path_key("A-z_0.9~"), "A-z_0.9~");
    }

    #[test]
    fn authors_and_versions_are_validated() {
        for ok in ["urn:li:organization:2414183", "urn:li:person:a1B2-c_3"] {
            assert_eq!(settings(ok, "202511").validate(), Ok(()), "{ok}");
        }
        for bad in [
            "urn:li:organization:abc",
            "urn:li:organization:",
            "urn:li:person:",
            "urn:li:company:1",
            "2414183",
        ] {
            let err = settings(bad, "202511").validate().unwrap_err();
            assert!(err.contains("`author`"), "{bad}: {err}");
        }
        for bad in ["2025-11", "20251", "202513", "202500", "v202511", "2025110"] {
            let err = settings("urn:li:person:x", bad).validate().unwrap_err();
            assert!(err.contains("`version`"), "{bad}: {err}");
        }
    }
}
