//! Mastodon: `POST /api/v1/statuses` as JSON with a bearer token. The
//! `Idempotency-Key` header is derived from the publication key, so sending
//! the same publication again within the hour the server remembers keys
//! returns the first status instead of posting twice. Content warnings become
//! `spoiler_text`; the post's `lang` becomes `language`.
//!
//! An image is uploaded first (`POST /api/v2/media`, multipart: `file` and
//! its alt text as `description`). The server answers 200 when the media is
//! processed and 202 while it is still processing; then
//! `GET /api/v1/media/{id}` is asked, a bounded number of times
//! ([`MEDIA_POLL`]), until it answers 200 (206: still processing). Media that
//! never finishes is a retryable failure, and no status is posted. The
//! media id goes with the first status only (`media_ids`); the replies of a
//! thread carry text alone. A repeated publication uploads the image again:
//! media ids are not idempotent, and an unattached upload is removed by the
//! server after a while.
//!
//! Idempotency keys last an hour. A publication interrupted by a crash is
//! therefore looked up instead ([`Publisher::lookup`]): the account's
//! latest statuses are read back (`verify_credentials`, then
//! `GET /api/v1/accounts/{id}/statuses`) and their text, out of the HTML
//! Mastodon made of it, is compared with a fingerprint of what was sent.

use super::http::{self, Answer, HttpCore, Poll};
use super::{
    BoxFuture, Image, PublishContext, PublishError, Publisher, Receipt, Sent, fingerprint_of,
};
use crate::content::hex;
use crate::render::Rendered;
use crate::secret::{Secret, SecretRef};
use chrono::{DateTime, TimeDelta, Utc};
use regex::Regex;
use reqwest::RequestBuilder;
use reqwest::multipart::{Form, Part};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;
use std::time::Duration;
use unicode_normalization::UnicodeNormalization;

/// How long to wait for uploaded media to finish processing: 10 checks,
/// 500 ms apart (about five seconds; images usually take under one).
pub const MEDIA_POLL: Poll = Poll {
    interval: Duration::from_millis(500),
    attempts: 10,
};

/// A `platform: mastodon` channel in channels.yaml.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The instance, e.g. `https://mastodon.example`.
    pub base_url: String,
    /// An access token with `write:statuses`: `env:NAME` or `file:PATH`.
    pub token: SecretRef,
    #[serde(default)]
    pub visibility: Visibility,
    /// The instance's limit. When not set, `run` reads it from the instance
    /// (`configuration.statuses.max_characters` of `GET /api/v2/instance`)
    /// and `preview` and `check` count against [`DEFAULT_MAX_CHARACTERS`].
    #[serde(default)]
    pub max_characters: Option<usize>,
}

/// A default instance's limit.
pub const DEFAULT_MAX_CHARACTERS: usize = 500;

impl Settings {
    /// The limit to count against before the instance has been asked.
    pub fn limit(&self) -> usize {
        self.max_characters.unwrap_or(DEFAULT_MAX_CHARACTERS)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    #[default]
    Public,
    Unlisted,
    Private,
}

/// The request body: field names as in the API (checked against its OpenAPI
/// document in the tests).
#[derive(Debug, Serialize)]
struct NewStatus<'a> {
    status: &'a str,
    visibility: Visibility,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    spoiler_text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_reply_to_id: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    media_ids: &'a [String],
}

#[derive(Debug, Deserialize)]
struct Status {
    id: String,
    url: Option<String>,
}

/// A status read back: its HTML content and when it was made.
#[derive(Debug, Deserialize)]
struct PostedStatus {
    id: String,
    url: Option<String>,
    content: String,
    created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
struct Account {
    id: String,
}

/// How many of the account's latest statuses are read back (the API's most).
const READ_BACK: usize = 40;
/// At most this many pages are read back before giving up on telling.
const READ_BACK_PAGES: usize = 5;
/// Clocks differ: a status may carry a time a little before the claim.
const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// Text as Mastodon shows it back, made comparable with what was sent:
/// tags dropped (paragraphs and line breaks become spaces), entities
/// decoded, `@user@domain` shortened to `@user` as Mastodon displays it,
/// whitespace collapsed, NFC.
pub fn comparable(text: &str) -> String {
    // Invariants: constant patterns.
    static BREAK: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)<br\s*/?>|</p>").unwrap_or_else(|e| unreachable!("{e}")));
    static TAG: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"<[^>]*>").unwrap_or_else(|e| unreachable!("{e}")));
    static MENTION: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(@[A-Za-z0-9_]+)@[A-Za-z0-9.-]*[A-Za-z0-9]")
            .unwrap_or_else(|e| unreachable!("{e}"))
    });
    let text = BREAK.replace_all(text, " ");
    let text = TAG.replace_all(&text, "");
    let text = decode_entities(&text);
    let text = MENTION.replace_all(&text, "$1");
    let words: Vec<&str> = text.split_whitespace().collect();
    words.join(" ").nfc().collect()
}

/// The entities Mastodon's HTML uses: the five named ones and numeric ones.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.find(';').filter(|end| *end <= 10).and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A media attachment, as far as it matters here.
#[derive(Debug, Deserialize)]
struct MediaAttachment {
    id: String,
}

/// The part of `GET /api/v2/instance` that matters here.
#[derive(Debug, Deserialize)]
struct Instance {
    configuration: InstanceConfiguration,
}

#[derive(Debug, Deserialize)]
struct InstanceConfiguration {
    statuses: StatusLimits,
}

#[derive(Debug, Deserialize)]
struct StatusLimits {
    max_characters: usize,
}

#[derive(Debug, Deserialize)]
struct ApiError {
    error: String,
}

/// What a non-success answer means.
fn failure(answer: &Answer) -> PublishError {
    let message = serde_json::from_str::<ApiError>(&answer.body)
        .map(|e| e.error)
        .unwrap_or_else(|_| answer.body.chars().take(200).collect());
    http::classify_status(answer.status, &answer.headers, &message, Utc::now())
}

pub struct MastodonPublisher {
    name: String,
    base_url: String,
    token: Secret,
    visibility: Visibility,
    /// Whether the limit is configured (then the instance is not asked).
    configured_limit: bool,
    http: HttpCore,
    media_poll: Poll,
}

/// The `Idempotency-Key` for a publication key.
pub fn idempotency_key(key: &str) -> String {
    hex(&Sha256::digest(format!("healthcast:{key}").as_bytes()))
}

impl MastodonPublisher {
    pub fn new(
        name: &str,
        settings: &Settings,
        http: HttpCore,
    ) -> Result<MastodonPublisher, String> {
        http::check_endpoint(&settings.base_url)?;
        let token = settings
            .token
            .resolve()
            .map_err(|e| format!("its token ({}): {e:#}", settings.token))?;
        Ok(MastodonPublisher {
            name: name.to_string(),
            base_url: settings.base_url.trim_end_matches('/').to_string(),
            token,
            visibility: settings.visibility,
            configured_limit: settings.max_characters.is_some(),
            http,
            media_poll: MEDIA_POLL,
        })
    }

    /// The same publisher, waiting for media as `poll` says instead of
    /// [`MEDIA_POLL`] (tests use a short interval).
    pub fn with_media_poll(mut self, poll: Poll) -> MastodonPublisher {
        self.media_poll = poll;
        self
    }

    async fn call(&self, request: RequestBuilder) -> Result<Answer, PublishError> {
        http::send(request.bearer_auth(self.token.expose())).await
    }

    /// The account's status made from `sent`, among its latest ones.
    async fn find_status(&self, sent: &Sent<'_>) -> Result<Option<Receipt>, PublishError> {
        let Some(fingerprint) = sent.fingerprint else {
            return Err(PublishError::Permanent(
                "no fingerprint was recorded for this publication".into(),
            ));
        };
        let answer = self
            .call(self.http.client.get(format!(
                "{}/api/v1/accounts/verify_credentials",
                self.base_url
            )))
            .await?;
        if !answer.status.is_success() {
            return Err(failure(&answer));
        }
        let account: Account = serde_json::from_str(&answer.body).map_err(|e| {
            PublishError::Retryable(format!("unexpected answer to verify_credentials: {e}"))
        })?;
        let url = format!("{}/api/v1/accounts/{}/statuses", self.base_url, account.id);
        let since = sent.claimed_at - CLOCK_SKEW;
        let limit = READ_BACK.to_string();
        let mut max_id: Option<String> = None;
        // Newest first, a page at a time, back to the claim: absence is only
        // proven once every status since then has been seen.
        for _ in 0..READ_BACK_PAGES {
            let mut query = vec![("limit", limit.as_str()), ("exclude_reblogs", "true")];
            if let Some(id) = &max_id {
                query.push(("max_id", id.as_str()));
            }
            let answer = self.call(self.http.client.get(&url).query(&query)).await?;
            if !answer.status.is_success() {
                return Err(failure(&answer));
            }
            let statuses: Vec<PostedStatus> = serde_json::from_str(&answer.body).map_err(|e| {
                PublishError::Retryable(format!("unexpected answer to the account's statuses: {e}"))
            })?;
            let reached_the_claim =
                statuses.len() < READ_BACK || statuses.last().is_some_and(|s| s.created_at < since);
            if let Some(found) = statuses
                .iter()
                .filter(|s| s.created_at >= since && !sent.is_taken(&s.id))
                .find(|s| fingerprint_of(&comparable(&s.content)) == fingerprint)
            {
                return Ok(Some(Receipt {
                    remote_id: found.id.clone(),
                    url: found.url.clone(),
                }));
            }
            if reached_the_claim {
                return Ok(None);
            }
            max_id = statuses.last().map(|s| s.id.clone());
        }
        Err(PublishError::Retryable(format!(
            "the account has more than {} statuses since the claim: too many to read back",
            READ_BACK * READ_BACK_PAGES
        )))
    }

    /// The instance's status length limit.
    async fn instance_limit(&self) -> Result<Option<usize>, PublishError> {
        if self.configured_limit {
            return Ok(None);
        }
        let url = format!("{}/api/v2/instance", self.base_url);
        let answer = self.call(self.http.client.get(url)).await?;
        if !answer.status.is_success() {
            return Err(failure(&answer));
        }
        let instance: Instance = serde_json::from_str(&answer.body).map_err(|e| {
            PublishError::Permanent(format!("unexpected answer from /api/v2/instance: {e}"))
        })?;
        Ok(Some(instance.configuration.statuses.max_characters))
    }

    /// Uploads `image` and waits until the server has processed it; returns
    /// the media id.
    async fn upload_media(&self, image: &Image) -> Result<String, PublishError> {
        let file = Part::bytes(image.bytes.clone())
            .file_name(image.file_name.clone())
            .mime_str(image.mime)
            .map_err(|e| PublishError::Permanent(format!("image type {}: {e}", image.mime)))?;
        let mut form = Form::new().part("file", file);
        if !image.alt.trim().is_empty() {
            form = form.text("description", image.alt.clone());
        }
        let answer = self
            .call(
                self.http
                    .client
                    .post(format!("{}/api/v2/media", self.base_url))
                    .multipart(form),
            )
            .await?;
        let processing = match answer.status.as_u16() {
            200 => false,
            202 => true,
            _ if answer.status.is_success() => {
                return Err(PublishError::Permanent(format!(
                    "unexpected HTTP {} to a media upload",
                    answer.status.as_u16()
                )));
            }
            _ => return Err(failure(&answer)),
        };
        let media: MediaAttachment = serde_json::from_str(&answer.body).map_err(|e| {
            PublishError::Permanent(format!("unexpected answer to a media upload: {e}"))
        })?;
        // The id goes into a URL path: it must not change the path.
        if media.id.is_empty()
            || !media
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        {
            return Err(PublishError::Permanent(format!(
                "the server gave the media an unusable id `{}`",
                media.id.chars().take(40).collect::<String>()
            )));
        }
        if processing {
            let url = format!("{}/api/v1/media/{}", self.base_url, media.id);
            let url = url.as_str();
            let what = format!("media {}", media.id);
            http::poll_until(self.media_poll, &what, move || async move {
                let answer = self.call(self.http.client.get(url)).await?;
                match answer.status.as_u16() {
                    200 => Ok(Some(())),
                    206 => Ok(None),
                    _ => Err(failure(&answer)),
                }
            })
            .await?;
        }
        Ok(media.id)
    }

    /// Posts the rendered parts: one status, or a thread where each part
    /// replies to the one before. Each part has its own idempotency key, so
    /// sending the publication again after a failure half-way repeats none.
    async fn send(&self, ctx: &PublishContext<'_>) -> Result<Receipt, PublishError> {
        let single = [ctx.rendered.text.clone()];
        let parts: &[String] = if ctx.rendered.parts.is_empty() {
            &single
        } else {
            &ctx.rendered.parts
        };
        let media_ids = match ctx.image {
            Some(image) => vec![self.upload_media(image).await?],
            None => Vec::new(),
        };
        let mut first: Option<Receipt> = None;
        let mut previous: Option<String> = None;
        for (index, part) in parts.iter().enumerate() {
            let key = if index == 0 {
                ctx.key.to_string()
            } else {
                format!("{}#{}", ctx.key, index + 1)
            };
            // The image goes with the first status only.
            let media: &[String] = if index == 0 { &media_ids } else { &[] };
            let receipt = self
                .post_status(ctx, part, &key, previous.as_deref(), media)
                .await?;
            previous = Some(receipt.remote_id.clone());
            first.get_or_insert(receipt);
        }
        first.ok_or_else(|| PublishError::Permanent("nothing to post".to_string()))
    }

    async fn post_status(
        &self,
        ctx: &PublishContext<'_>,
        text: &str,
        key: &str,
        in_reply_to_id: Option<&str>,
        media_ids: &[String],
    ) -> Result<Receipt, PublishError> {
        let body = NewStatus {
            status: text,
            visibility: self.visibility,
            language: ctx.post.meta.lang.as_deref(),
            spoiler_text: ctx.post.meta.content_warning.as_deref(),
            in_reply_to_id,
            media_ids,
        };
        let answer = self
            .call(
                self.http
                    .client
                    .post(format!("{}/api/v1/statuses", self.base_url))
                    .header("Idempotency-Key", idempotency_key(key))
                    .json(&body),
            )
            .await?;
        if !answer.status.is_success() {
            return Err(failure(&answer));
        }
        let created: Status = serde_json::from_str(&answer.body).map_err(|e| {
            PublishError::Permanent(format!("unexpected answer to a created status: {e}"))
        })?;
        Ok(Receipt {
            remote_id: created.id,
            url: created.url,
        })
    }
}

impl Publisher for MastodonPublisher {
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

    fn discover_limit(&self) -> BoxFuture<'_, Result<Option<usize>, PublishError>> {
        Box::pin(self.instance_limit())
    }

    /// The first status's text, as it will read back.
    fn fingerprint(&self, rendered: &Rendered) -> Option<String> {
        let first = rendered.parts.first().unwrap_or(&rendered.text);
        Some(fingerprint_of(&comparable(first)))
    }

    fn can_look_up(&self) -> bool {
        true
    }

    fn lookup<'a>(
        &'a self,
        sent: &'a Sent<'a>,
    ) -> BoxFuture<'a, Result<Option<Receipt>, PublishError>> {
        Box::pin(self.find_status(sent))
    }
}
