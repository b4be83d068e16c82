//! Facebook Pages: `POST {graph}/{version}/{page_id}/feed` as an HTML form
//! with `message`, `link` (the post's `link:`, if any, which Facebook shows
//! as a preview card) and `access_token` — the Page token goes in the body,
//! never in the URL, where proxies and logs would keep it.
//!
//! With an image, the post is a photo instead: `POST …/{page_id}/photos` as
//! multipart with the file as `source`, the text as `message`, the alt text
//! as `alt_text_custom` (the Photo node's "user provided accessible
//! alternative description") and `access_token`. One request creates the
//! photo and its post, so there is no upload before the post to retry
//! separately; `link` is not a photo parameter, and the link is in the text.
//!
//! Answers: 200 `{"id": "<page>_<post>"}` (a photo: `{"id": "<photo>",
//! "post_id": "<page>_<post>"}`, and the receipt is the post); errors are
//! `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`
//! and are classified by `code` (see [`classify`]) before the HTTP status.
//!
//! No threads (a long post is an error), a content warning becomes a first
//! `CW: …` line, and there is no idempotency key. After a lost answer the
//! Page is read back instead ([`Publisher::lookup`]): `GET …/{page_id}/feed`
//! with `fields=id,message,created_time,permalink_url` and `since` the claim
//! (less [`CLOCK_SKEW`]), the token in an `Authorization: Bearer` header,
//! and the post recognised by the fingerprint of its `message` (trimmed,
//! NFC, `\r\n` as `\n`: [`read_back_text`]).

use super::http::{self, Answer, HttpCore};
use super::{BoxFuture, Image, PublishContext, PublishError, Publisher, Receipt, Sent};
use crate::content::Post;
use crate::render::{Rendered, plain};
use crate::secret::{Secret, SecretRef};
use chrono::{DateTime, TimeDelta, Utc};
use reqwest::header::HeaderMap;
use reqwest::multipart::{Form, Part};
use reqwest::{RequestBuilder, StatusCode};
use serde::Deserialize;

pub const DEFAULT_GRAPH_BASE: &str = "https://graph.facebook.com";

/// Facebook's limit on a post's text, counted by [`length`].
pub const MAX_LENGTH: usize = 63206;

/// How far the Page's clock may be behind ours: a post read back may have
/// been created this long before the claim.
pub const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// How many posts one read-back asks for. When that many come back and none
/// matches, the post may be further on: the lookup cannot tell.
pub const READ_BACK_LIMIT: usize = 100;

/// A `platform: facebook` channel in channels.yaml.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Default `https://graph.facebook.com`; tests point it at a local server.
    pub graph_base: Option<String>,
    /// The Graph API version, e.g. `v21.0`.
    pub version: String,
    /// The Page's numeric id.
    pub page_id: String,
    /// A Page access token with `pages_manage_posts`: `env:NAME` or `file:PATH`.
    pub page_token: SecretRef,
}

impl Settings {
    /// Checks the fields' forms; messages name the key.
    pub fn validate(&self) -> Result<(), String> {
        let version_ok = self.version.strip_prefix('v').is_some_and(|v| {
            v.split_once('.').is_some_and(|(major, minor)| {
                [major, minor]
                    .iter()
                    .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
        });
        if !version_ok {
            return Err(format!(
                "`version` must be a Graph API version such as `v21.0`, not `{}`",
                self.version
            ));
        }
        if self.page_id.is_empty() || !self.page_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "`page_id` must be the Page's numeric id, not `{}`",
                self.page_id
            ));
        }
        Ok(())
    }

    fn graph_base(&self) -> &str {
        self.graph_base
            .as_deref()
            .unwrap_or(DEFAULT_GRAPH_BASE)
            .trim_end_matches('/')
    }
}

/// The length Facebook's limit applies to, in UTF-16 code units (as the
/// web composer counts): never less than the characters a reader sees.
pub fn length(text: &str) -> usize {
    text.encode_utf16().count()
}

/// The post as Facebook shows it: plain text with `overrides.facebook.text`
/// honoured, a content warning as a first `CW: …` line. No thread: a long
/// post stays one part and is too long, even with `thread: true`.
pub fn render(post: &Post, settings: &Settings) -> Rendered {
    let _ = settings;
    let text = plain::text(post, "facebook");
    let text = match post.meta.content_warning.as_deref().map(str::trim) {
        Some(warning) if !warning.is_empty() => format!("CW: {warning}\n\n{text}"),
        _ => text,
    };
    Rendered {
        length: length(&text),
        limit: Some(MAX_LENGTH),
        html: None,
        parts: vec![text.clone()],
        text,
    }
}

/// The answer to a post (`id` only) or a photo (`id` of the photo, and
/// `post_id` of the post that shows it).
#[derive(Debug, Deserialize)]
struct Created {
    id: String,
    #[serde(default)]
    post_id: Option<String>,
}

/// One page of `GET /{page_id}/feed`.
#[derive(Debug, Deserialize)]
struct Feed {
    #[serde(default)]
    data: Vec<FeedPost>,
}

#[derive(Debug, Deserialize)]
struct FeedPost {
    id: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    created_time: Option<String>,
}

pub use super::read_back_text;
use super::text_fingerprint;

/// The text that is sent: the one part (or the whole text without parts).
fn first_text(rendered: &Rendered) -> &str {
    rendered.parts.first().unwrap_or(&rendered.text)
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: GraphError,
}

/// A Graph API error; every field may be missing.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GraphError {
    pub message: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub code: Option<i64>,
    pub error_subcode: Option<i64>,
    pub fbtrace_id: Option<String>,
}

impl GraphError {
    /// The message with the type, code, subcode and trace id after it.
    pub fn describe(&self) -> String {
        let mut details = Vec::new();
        if let Some(kind) = &self.kind {
            details.push(kind.clone());
        }
        if let Some(code) = self.code {
            details.push(format!("code {code}"));
        }
        if let Some(sub) = self.error_subcode {
            details.push(format!("subcode {sub}"));
        }
        if let Some(trace) = &self.fbtrace_id {
            details.push(format!("fbtrace_id {trace}"));
        }
        let message = self.message.as_deref().unwrap_or("no message");
        if details.is_empty() {
            message.to_string()
        } else {
            format!("{message} ({})", details.join(", "))
        }
    }
}

/// What a Graph API error means, by its `code` first:
/// 190 (token invalid or expired), 10 and 200–299 (a permission is missing)
/// → `Auth`; 4, 17, 32, 613 (app, user, page and call-rate limits) and 80001
/// (Page-level limit) → `RateLimited`, with a reset only if a standard header
/// says one (the Graph API sends none); 100 (invalid parameter) and 368
/// (blocked as abusive) → `Permanent`; 1 and 2 (unknown / temporary service
/// error) → `Retryable`. Other codes fall back to the HTTP status.
pub fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    error: &GraphError,
    message: &str,
    now: DateTime<Utc>,
) -> PublishError {
    let what = format!("HTTP {}: {message}", status.as_u16());
    match error.code {
        Some(190 | 10 | 200..=299) => PublishError::Auth(what),
        Some(4 | 17 | 32 | 613 | 80001) => PublishError::RateLimited {
            reset: http::rate_limit_reset(headers, now),
            message: what,
        },
        Some(100 | 368) => PublishError::Permanent(what),
        Some(1 | 2) => PublishError::Retryable(what),
        _ => http::classify_status(status, headers, message, now),
    }
}

pub struct FacebookPublisher {
    name: String,
    feed_url: String,
    photos_url: String,
    token: Secret,
    http: HttpCore,
}

impl FacebookPublisher {
    pub fn new(
        name: &str,
        settings: &Settings,
        http: HttpCore,
    ) -> Result<FacebookPublisher, String> {
        settings.validate()?;
        let base = settings.graph_base();
        http::check_endpoint(base)?;
        let token = settings
            .page_token
            .resolve()
            .map_err(|e| format!("its page_token ({}): {e:#}", settings.page_token))?;
        let page = format!("{base}/{}/{}", settings.version, settings.page_id);
        Ok(FacebookPublisher {
            name: name.to_string(),
            feed_url: format!("{page}/feed"),
            photos_url: format!("{page}/photos"),
            token,
            http,
        })
    }

    async fn call(&self, request: RequestBuilder) -> Result<Answer, PublishError> {
        http::send(request).await
    }

    /// What a non-success answer means; the token never appears in it.
    fn failure(&self, answer: &Answer) -> PublishError {
        let error = serde_json::from_str::<ErrorBody>(&answer.body)
            .map(|b| b.error)
            .unwrap_or_default();
        let message = if error.message.is_some() || error.code.is_some() {
            error.describe()
        } else {
            answer.body.chars().take(200).collect()
        };
        // Graph API messages can quote the token ("Malformed access token …").
        let message = message.replace(self.token.expose(), "[redacted]");
        classify(answer.status, &answer.headers, &error, &message, Utc::now())
    }

    /// The text post: a form to `/feed`.
    fn feed_request(&self, ctx: &PublishContext<'_>, text: &str) -> RequestBuilder {
        let mut form: Vec<(&str, &str)> = vec![("message", text)];
        if let Some(link) = ctx.post.meta.link.as_deref() {
            form.push(("link", link));
        }
        form.push(("access_token", self.token.expose()));
        self.http.client.post(&self.feed_url).form(&form)
    }

    /// The photo post: multipart to `/photos`, the file last.
    fn photo_request(&self, image: &Image, text: &str) -> Result<RequestBuilder, PublishError> {
        let file = Part::bytes(image.bytes.clone())
            .file_name(image.file_name.clone())
            .mime_str(image.mime)
            .map_err(|e| PublishError::Permanent(format!("image type {}: {e}", image.mime)))?;
        let mut form = Form::new().text("message", text.to_string());
        let alt = image.alt.trim();
        if !alt.is_empty() {
            form = form.text("alt_text_custom", alt.to_string());
        }
        let form = form
            .text("access_token", self.token.expose().to_string())
            .part("source", file);
        Ok(self.http.client.post(&self.photos_url).multipart(form))
    }

    async fn send(&self, ctx: &PublishContext<'_>) -> Result<Receipt, PublishError> {
        let text = match ctx.rendered.parts.as_slice() {
            [] => &ctx.rendered.text,
            [one] => one,
            parts => {
                return Err(PublishError::Permanent(format!(
                    "a Facebook Page post is one post, not a thread; this one was split into {} parts",
                    parts.len()
                )));
            }
        };
        let length = length(text);
        if length > MAX_LENGTH {
            return Err(PublishError::Permanent(format!(
                "the post is {length} characters; Facebook's limit is {MAX_LENGTH}"
            )));
        }
        let request = match ctx.image {
            Some(image) => self.photo_request(image, text)?,
            None => self.feed_request(ctx, text),
        };
        let answer = self.call(request).await?;
        if !answer.status.is_success() {
            return Err(self.failure(&answer));
        }
        let created = serde_json::from_str::<Created>(&answer.body).ok();
        // A photo's post is `post_id`; a text post's is `id`.
        let id = created.and_then(|c| c.post_id.filter(|p| !p.is_empty()).or(Some(c.id)));
        match id.filter(|id| !id.is_empty()) {
            Some(id) => Ok(receipt(id)),
            None => Err(PublishError::Permanent(format!(
                "Facebook answered HTTP {} without a post id: the post may exist; check the Page before sending it again",
                answer.status.as_u16()
            ))),
        }
    }

    /// Reads the Page's posts since the claim and looks for the one whose
    /// message has the claimed fingerprint.
    async fn find(&self, sent: &Sent<'_>) -> Result<Option<Receipt>, PublishError> {
        let Some(fingerprint) = sent.fingerprint else {
            return Err(PublishError::Permanent(
                "no read-back fingerprint was recorded for this publication, so the Page cannot tell whether it was posted".into(),
            ));
        };
        let since = sent
            .claimed_at
            .checked_sub_signed(CLOCK_SKEW)
            .unwrap_or(sent.claimed_at);
        let limit = READ_BACK_LIMIT.to_string();
        let since_unix = since.timestamp().max(0).to_string();
        let request = self
            .http
            .client
            .get(&self.feed_url)
            .bearer_auth(self.token.expose())
            .query(&[
                ("fields", "id,message,created_time,permalink_url"),
                ("since", since_unix.as_str()),
                ("limit", limit.as_str()),
            ]);
        let answer = self.call(request).await?;
        if !answer.status.is_success() {
            return Err(self.failure(&answer));
        }
        let feed: Feed = serde_json::from_str(&answer.body).map_err(|e| {
            PublishError::Permanent(format!("unexpected answer reading the Page's feed: {e}"))
        })?;
        let found = feed.data.iter().find(|post| {
            let recent = post
                .created_time
                .as_deref()
                .and_then(|t| DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%z").ok())
                .is_none_or(|t| t >= since);
            recent
                && !sent.is_taken(&post.id)
                && post
                    .message
                    .as_deref()
                    .and_then(text_fingerprint)
                    .is_some_and(|f| f == fingerprint)
        });
        match found {
            Some(post) if !post.id.is_empty() => Ok(Some(receipt(post.id.clone()))),
            _ if feed.data.len() >= READ_BACK_LIMIT => Err(PublishError::Permanent(format!(
                "the Page has {READ_BACK_LIMIT} or more posts since the claim and none matches on the first page; cannot tell whether this one was posted"
            ))),
            _ => Ok(None),
        }
    }
}

/// A receipt as every Facebook answer forms it: the post id and its URL.
fn receipt(id: String) -> Receipt {
    Receipt {
        url: Some(format!("https://www.facebook.com/{id}")),
        remote_id: id,
    }
}

impl Publisher for FacebookPublisher {
    fn name(&self) -> &str {
        &self.name
    }

    fn publish<'a>(
        &'a self,
        ctx: &'a PublishContext<'a>,
    ) -> BoxFuture<'a, Result<Receipt, PublishError>> {
        Box::pin(self.send(ctx))
    }

    /// The fingerprint of the message as Facebook returns it on read-back.
    fn fingerprint(&self, rendered: &Rendered) -> Option<String> {
        text_fingerprint(first_text(rendered))
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

    #[test]
    fn versions_and_page_ids_are_validated() {
        let settings = |version: &str, page_id: &str| Settings {
            graph_base: None,
            version: version.into(),
            page_id: page_id.into(),
            page_token: SecretRef::Env("T".into()),
        };
        assert_eq!(settings("v21.0", "104857600123").validate(), Ok(()));
        for bad in ["21.0", "v21", "v21.", "vX.0", ""] {
            let err = settings(bad, "1").validate().unwrap_err();
            assert!(err.contains("`version`"), "{bad}: {err}");
        }
        for bad in ["", "my-page", "1/feed"] {
            let err = settings("v21.0", bad).validate().unwrap_err();
            assert!(err.contains("`page_id`"), "{bad}: {err}");
        }
    }
}
