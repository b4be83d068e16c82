//! Threads (Meta): a post is published in two steps, as Meta's Threads API
//! documents them ("Threads Posts", "Create Replies"):
//!
//! 1. `POST {api}/{version}/{user_id}/threads` creates a media container:
//!    `media_type=TEXT` with `text`, or `media_type=IMAGE` with `image_url`
//!    (a public URL: Threads fetches the image itself, it takes no bytes),
//!    `alt_text` and `text`; a reply also carries `reply_to_id`. Answer:
//!    `{"id": "<container id>"}`.
//! 2. `GET {api}/{version}/{container}?fields=status,error_message` until the
//!    container is `FINISHED` (Meta asks to wait before publishing; `ERROR` and
//!    `EXPIRED` end the publication), then
//!    `POST {api}/{version}/{user_id}/threads_publish` with `creation_id`.
//!    Answer: `{"id": "<media id>"}`. A publish that answers Graph error 24,
//!    subcode 4279009 ("Media Not Found") found the container not yet
//!    propagated: nothing was published, and it is tried again, bounded.
//!
//! The receipt's URL is the first post's `permalink`
//! (`GET {api}/{version}/{media id}?fields=permalink`); a failure there only
//! leaves the URL out, the post is published.
//!
//! The token is the `access_token` parameter, as the documentation gives it:
//! in the form body of every POST (never in a URL), and in the query string
//! of the GETs, the only place the documentation names for them. Errors never
//! repeat it: the transport's messages drop the URL and the platform's
//! messages are redacted.
//!
//! Errors are Graph API errors, `{"error": {"message", "type", "code",
//! "error_subcode", "fbtrace_id"}}`, classified by code as on Facebook (see
//! [`classify`]): 190 is `Auth`, 4, 17, 32, 341 and 613 are `RateLimited`.
//! Threads allows 250 API-published posts (and 1,000 replies) in 24 hours.
//!
//! A thread (`thread: true`, too long for one post) is posted as replies,
//! each part answering the one before. A content warning becomes a first
//! `CW: …` line. Threads has no idempotency key: after a lost answer the
//! daemon reads the account's posts back ([`Publisher::lookup`]) and
//! recognises the first post by the fingerprint of its text.
//!
//! Images: with `image_base_url` set (where the repository's files are served
//! publicly, the hospital website say), a JPEG or PNG image is posted as
//! `image_url` = base + the image's repository path, with its alt text.
//! Without it, or for another image type, the text is posted alone and a
//! warning is logged, as on the platforms that take no images.

use super::facebook::GraphError;
use super::http::{self, Answer, HttpCore, Poll};
use super::{BoxFuture, PublishContext, PublishError, Publisher, Receipt, Sent, fingerprint_of};
use crate::content::Post;
use crate::render::{self, Rendered, length, plain};
use crate::secret::{Secret, SecretRef};
use chrono::{DateTime, TimeDelta, Utc};
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::time::Duration;
use unicode_normalization::UnicodeNormalization;

pub const DEFAULT_API_BASE: &str = "https://graph.threads.net";
pub const DEFAULT_VERSION: &str = "v1.0";

/// Threads' limit on a post's text, counted by [`length::threads`].
pub const MAX_LENGTH: usize = 500;

/// Threads refuses a post with more unique links than this (at the
/// container step, `THREADS_API__LINK_LIMIT_EXCEEDED`).
pub const MAX_LINKS: usize = 5;

/// The longest `alt_text` Threads takes, in characters.
pub const MAX_ALT_TEXT: usize = 1000;

/// How a container is waited for: Meta recommends waiting before publishing
/// (about 30 seconds on average for media); a text container is usually
/// ready at the first check.
pub const CONTAINER_POLL: Poll = Poll {
    interval: Duration::from_secs(3),
    attempts: 20,
};

/// How often `threads_publish` is sent when it answers "Media Not Found"
/// for a container that was reported ready.
const PUBLISH_ATTEMPTS: u32 = 3;

/// A post read back may be dated this much before its claim (clocks differ).
pub const READBACK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// How many pages of the account's posts a lookup reads at most (100 each).
const READBACK_PAGES: usize = 10;

/// The earliest `since` the user threads endpoint accepts.
const EARLIEST_SINCE: i64 = 1_688_540_400;

/// A `platform: threads` channel in channels.yaml.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The Threads user id (numeric), or `me`: the token's own account.
    pub user_id: String,
    /// A Threads user access token with `threads_basic` and
    /// `threads_content_publish` (and `threads_manage_replies` for threads):
    /// `env:NAME` or `file:PATH`.
    pub token: SecretRef,
    /// The API version, default `v1.0`.
    pub version: Option<String>,
    /// Default `https://graph.threads.net`; tests point it at a local server.
    pub api_base: Option<String>,
    /// Where the repository's image paths are served publicly (https), e.g.
    /// `https://example-hospital.org/healthcast`: an image `images/flu.jpg`
    /// is then posted as `https://example-hospital.org/healthcast/images/flu.jpg`.
    pub image_base_url: Option<String>,
}

impl Settings {
    /// Checks the fields' forms; messages name the key.
    pub fn validate(&self) -> Result<(), String> {
        let user_ok = self.user_id == "me"
            || (!self.user_id.is_empty() && self.user_id.bytes().all(|b| b.is_ascii_digit()));
        if !user_ok {
            return Err(format!(
                "`user_id` must be the Threads user's numeric id (or `me`), not `{}`",
                self.user_id
            ));
        }
        let version = self.version();
        let version_ok = version.strip_prefix('v').is_some_and(|v| {
            v.split_once('.').is_some_and(|(major, minor)| {
                [major, minor]
                    .iter()
                    .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
        });
        if !version_ok {
            return Err(format!(
                "`version` must be an API version such as `v1.0`, not `{version}`"
            ));
        }
        if let Some(base) = &self.image_base_url {
            image_base(base)?;
        }
        Ok(())
    }

    pub fn api_base(&self) -> &str {
        self.api_base
            .as_deref()
            .unwrap_or(DEFAULT_API_BASE)
            .trim_end_matches('/')
    }

    pub fn version(&self) -> &str {
        self.version.as_deref().unwrap_or(DEFAULT_VERSION)
    }
}

/// `image_base_url` as a URL: https (Threads fetches from a public server),
/// without a query or fragment, which would end up between base and path.
pub fn image_base(base: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(base)
        .map_err(|e| format!("`image_base_url` `{base}` is not a URL: {e}"))?;
    if url.scheme() != "https" {
        return Err(format!(
            "`image_base_url` `{base}` must be https: Threads fetches images from a public server"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() || url.cannot_be_a_base() {
        return Err(format!(
            "`image_base_url` `{base}` must be a plain base URL, without `?` or `#`"
        ));
    }
    Ok(url)
}

/// The post as Threads shows it: plain text with `overrides.threads.text`
/// honoured, a content warning as a first `CW: …` line (counted, since it is
/// part of the text), counted by [`length::threads`] against 500, split into
/// a numbered thread when too long and `thread: true`.
pub fn render(post: &Post, _settings: &Settings) -> Rendered {
    let text = plain::text(post, "threads");
    let text = match post.meta.content_warning.as_deref().map(str::trim) {
        Some(warning) if !warning.is_empty() => format!("CW: {warning}\n\n{text}"),
        _ => text,
    };
    render::social(post, text, MAX_LENGTH, length::threads, false)
}

/// A text as compared on read-back: trimmed, NFC.
pub fn normalise(text: &str) -> String {
    text.trim().nfc().collect()
}

/// The unique links Threads would count in `text`.
fn links(text: &str) -> usize {
    length::urls(text, false)
        .into_iter()
        .map(|r| text[r].to_lowercase())
        .collect::<BTreeSet<_>>()
        .len()
}

#[derive(Debug, Deserialize)]
struct Created {
    #[serde(default)]
    id: String,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: GraphError,
}

#[derive(Debug, Deserialize)]
struct ContainerStatus {
    status: Option<String>,
    error_message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Permalink {
    permalink: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    data: Vec<Media>,
    paging: Option<Paging>,
}

#[derive(Debug, Deserialize)]
struct Media {
    id: String,
    text: Option<String>,
    timestamp: Option<String>,
    permalink: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Paging {
    cursors: Option<Cursors>,
}

#[derive(Debug, Deserialize)]
struct Cursors {
    after: Option<String>,
}

/// What a Graph API error means on Threads: 341 (application limit reached)
/// is a rate limit too; everything else as on Facebook
/// ([`super::facebook::classify`]: 190, 10, 200–299 `Auth`; 4, 17, 32, 613
/// `RateLimited`; 100, 368 `Permanent`; 1, 2 `Retryable`; then the status).
pub fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    error: &GraphError,
    message: &str,
    now: DateTime<Utc>,
) -> PublishError {
    match error.code {
        Some(341) => PublishError::RateLimited {
            reset: http::rate_limit_reset(headers, now),
            message: format!("HTTP {}: {message}", status.as_u16()),
        },
        _ => super::facebook::classify(status, headers, error, message, now),
    }
}

/// A Graph API timestamp, `2023-10-17T05:42:03+0000` (or RFC 3339).
fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|t| t.to_utc())
}

/// An id the API gave us goes into a URL path: digits only.
fn checked_id(id: String) -> Option<String> {
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then_some(id)
}

/// The image to post: its public URL and alt text.
struct PublicImage {
    url: String,
    alt: String,
}

pub struct ThreadsPublisher {
    name: String,
    /// `{api_base}/{version}`.
    base: String,
    user_id: String,
    token: Secret,
    image_base: Option<reqwest::Url>,
    http: HttpCore,
    poll: Poll,
}

impl ThreadsPublisher {
    pub fn new(
        name: &str,
        settings: &Settings,
        http: HttpCore,
    ) -> Result<ThreadsPublisher, String> {
        settings.validate()?;
        let api_base = settings.api_base();
        http::check_endpoint(api_base)?;
        let image_base = settings
            .image_base_url
            .as_deref()
            .map(image_base)
            .transpose()?;
        let token = settings
            .token
            .resolve()
            .map_err(|e| format!("its token ({}): {e:#}", settings.token))?;
        Ok(ThreadsPublisher {
            name: name.to_string(),
            base: format!("{api_base}/{}", settings.version()),
            user_id: settings.user_id.clone(),
            token,
            image_base,
            http,
            poll: CONTAINER_POLL,
        })
    }

    /// The same publisher, waiting for containers as `poll` says instead of
    /// [`CONTAINER_POLL`] (tests use a short interval).
    pub fn with_poll(mut self, poll: Poll) -> ThreadsPublisher {
        self.poll = poll;
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    async fn call(&self, request: RequestBuilder) -> Result<Answer, PublishError> {
        http::send(request).await
    }

    /// A POST with `form` and the token as the last field of the body.
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Result<Answer, PublishError> {
        let mut form = form.to_vec();
        form.push(("access_token", self.token.expose()));
        self.call(self.http.client.post(self.url(path)).form(&form))
            .await
    }

    /// A GET with `query` and the token as the last query parameter.
    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Answer, PublishError> {
        let mut query = query.to_vec();
        query.push(("access_token", self.token.expose()));
        self.call(self.http.client.get(self.url(path)).query(&query))
            .await
    }

    /// A failed answer's Graph error and its classification, the token
    /// redacted from the message.
    fn failure(&self, answer: &Answer) -> (GraphError, PublishError) {
        let error = serde_json::from_str::<ErrorBody>(&answer.body)
            .map(|b| b.error)
            .unwrap_or_default();
        let message = if error.message.is_some() || error.code.is_some() {
            error.describe()
        } else {
            answer.body.chars().take(200).collect()
        };
        let message = message.replace(self.token.expose(), "[redacted]");
        let classified = classify(answer.status, &answer.headers, &error, &message, Utc::now());
        (error, classified)
    }

    /// The image of the publication as Threads can take it, or `None` (and
    /// a warning) when it cannot.
    fn public_image(&self, ctx: &PublishContext<'_>) -> Option<PublicImage> {
        let image = ctx.image?;
        let path = ctx.post.meta.image.as_ref()?.path.as_str();
        let Some(base) = &self.image_base else {
            tracing::warn!(
                channel = %self.name,
                publication = ctx.key,
                "the post has an image but the channel has no `image_base_url` (Threads takes images only by public URL); posting the text only"
            );
            return None;
        };
        if !matches!(image.mime, "image/jpeg" | "image/png") {
            tracing::warn!(
                channel = %self.name,
                publication = ctx.key,
                "Threads takes JPEG and PNG images, not {}; posting the text only",
                image.mime
            );
            return None;
        }
        let mut url = base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .extend(path.split('/').filter(|s| !s.is_empty()));
        }
        Some(PublicImage {
            url: url.to_string(),
            alt: image.alt.trim().chars().take(MAX_ALT_TEXT).collect(),
        })
    }

    async fn send(&self, ctx: &PublishContext<'_>) -> Result<Receipt, PublishError> {
        let single = [ctx.rendered.text.clone()];
        let parts: &[String] = if ctx.rendered.parts.is_empty() {
            &single
        } else {
            &ctx.rendered.parts
        };
        // Refused before anything is sent, with a clearer message than
        // Threads' own.
        for (index, part) in parts.iter().enumerate() {
            let which = if parts.len() > 1 {
                format!("part {}/{} of the thread", index + 1, parts.len())
            } else {
                "the post".to_string()
            };
            let length = length::threads(part);
            if length > MAX_LENGTH {
                return Err(PublishError::Permanent(format!(
                    "{which} is {length} characters (an emoji counts its UTF-8 bytes); Threads' limit is {MAX_LENGTH}"
                )));
            }
            let links = links(part);
            if links > MAX_LINKS {
                return Err(PublishError::Permanent(format!(
                    "{which} has {links} links; Threads refuses more than {MAX_LINKS}"
                )));
            }
        }
        let image = self.public_image(ctx);
        let mut first: Option<String> = None;
        let mut previous: Option<String> = None;
        for (index, part) in parts.iter().enumerate() {
            // The image goes with the first post only.
            let image = if index == 0 { image.as_ref() } else { None };
            let posted = self.post_one(part, previous.as_deref(), image).await;
            let id = match (posted, &first) {
                (Ok(id), _) => id,
                (Err(e), None) => return Err(e),
                // Half a thread is on Threads: sending the publication again
                // would repeat its first post, so no retry and no release
                // (credentials still hold the channel); a person finishes it.
                (Err(e), Some(head)) => {
                    let note = format!(
                        "thread part {}/{} failed after the parts before it were posted (first post {head}); post the rest by hand",
                        index + 1,
                        parts.len()
                    );
                    return Err(match e {
                        PublishError::Auth(m) => PublishError::Auth(format!("{note}: {m}")),
                        PublishError::Retryable(m)
                        | PublishError::NoAnswer(m)
                        | PublishError::NotPosted(m)
                        | PublishError::Duplicate(m)
                        | PublishError::Permanent(m) => {
                            PublishError::Permanent(format!("{note}: {m}"))
                        }
                        PublishError::RateLimited { message, .. } => {
                            PublishError::Permanent(format!("{note}: {message}"))
                        }
                    });
                }
            };
            first.get_or_insert_with(|| id.clone());
            previous = Some(id);
        }
        let id = first.ok_or_else(|| PublishError::Permanent("nothing to post".to_string()))?;
        let url = match self.permalink(&id).await {
            Ok(url) => url,
            Err(e) => {
                tracing::warn!(
                    channel = %self.name,
                    publication = ctx.key,
                    "published as {id}, but its permalink could not be read: {e}"
                );
                None
            }
        };
        Ok(Receipt { remote_id: id, url })
    }

    /// One post: a container, waited for, then published. Returns the
    /// published media id.
    async fn post_one(
        &self,
        text: &str,
        reply_to: Option<&str>,
        image: Option<&PublicImage>,
    ) -> Result<String, PublishError> {
        let mut form: Vec<(&str, &str)> = Vec::new();
        match image {
            Some(image) => {
                form.push(("media_type", "IMAGE"));
                form.push(("image_url", &image.url));
                if !image.alt.is_empty() {
                    form.push(("alt_text", &image.alt));
                }
            }
            None => form.push(("media_type", "TEXT")),
        }
        form.push(("text", text));
        if let Some(id) = reply_to {
            form.push(("reply_to_id", id));
        }
        let answer = self
            .post(&format!("{}/threads", self.user_id), &form)
            .await?;
        if !answer.status.is_success() {
            return Err(self.failure(&answer).1);
        }
        let container = serde_json::from_str::<Created>(&answer.body)
            .ok()
            .and_then(|c| checked_id(c.id))
            .ok_or_else(|| {
                PublishError::Permanent(format!(
                    "Threads answered HTTP {} to a new container without a usable id (nothing was published)",
                    answer.status.as_u16()
                ))
            })?;
        self.wait_ready(&container).await?;
        self.publish_container(&container).await
    }

    /// Waits until the container is `FINISHED`.
    async fn wait_ready(&self, container: &str) -> Result<(), PublishError> {
        let what = format!("Threads container {container} (nothing was published)");
        http::poll_until(self.poll, &what, || async {
            let answer = self
                .get(container, &[("fields", "status,error_message")])
                .await?;
            if !answer.status.is_success() {
                return Err(self.failure(&answer).1);
            }
            let status: ContainerStatus = serde_json::from_str(&answer.body).map_err(|e| {
                PublishError::Retryable(format!(
                    "unexpected answer about container {container}: {e}"
                ))
            })?;
            match status.status.as_deref() {
                Some("FINISHED") => Ok(Some(())),
                Some("IN_PROGRESS") => Ok(None),
                Some(state @ ("ERROR" | "EXPIRED")) => Err(PublishError::Permanent(format!(
                    "Threads could not prepare container {container}: {state} ({}); nothing was published",
                    status.error_message.as_deref().unwrap_or("no reason given")
                ))),
                other => Err(PublishError::Permanent(format!(
                    "container {container} is in state {} instead of FINISHED; nothing was published by this attempt",
                    other.unwrap_or("(none)")
                ))),
            }
        })
        .await
        // Nothing is published before `threads_publish`: a status check
        // that failed or went unanswered posted nothing.
        .map_err(|e| match e {
            PublishError::Retryable(m) | PublishError::NoAnswer(m) => PublishError::NotPosted(m),
            other => other,
        })
    }

    /// `threads_publish`, tried again while Threads answers that it does not
    /// find the container yet (Graph error 24, subcode 4279009).
    async fn publish_container(&self, container: &str) -> Result<String, PublishError> {
        let path = format!("{}/threads_publish", self.user_id);
        let mut attempt = 1;
        loop {
            let answer = self.post(&path, &[("creation_id", container)]).await?;
            if answer.status.is_success() {
                // Published, perhaps: without an id the read-back decides.
                return serde_json::from_str::<Created>(&answer.body)
                    .ok()
                    .and_then(|c| checked_id(c.id))
                    .ok_or_else(|| {
                        PublishError::Retryable(format!(
                            "Threads answered HTTP {} to publishing container {container} without a post id: the post may exist",
                            answer.status.as_u16()
                        ))
                    });
            }
            let (error, classified) = self.failure(&answer);
            let not_found_yet = error.code == Some(24) && error.error_subcode == Some(4_279_009);
            if !not_found_yet {
                return Err(classified);
            }
            if attempt >= PUBLISH_ATTEMPTS {
                return Err(PublishError::Retryable(format!(
                    "Threads did not find container {container} to publish after {attempt} tries; nothing was published: {classified}"
                )));
            }
            attempt += 1;
            tokio::time::sleep(self.poll.interval).await;
        }
    }

    /// The published post's permalink (Threads leaves it out for media
    /// flagged for copyright).
    async fn permalink(&self, media: &str) -> Result<Option<String>, PublishError> {
        let answer = self.get(media, &[("fields", "permalink")]).await?;
        if !answer.status.is_success() {
            return Err(self.failure(&answer).1);
        }
        let found: Permalink = serde_json::from_str(&answer.body).map_err(|e| {
            PublishError::Retryable(format!("unexpected answer about post {media}: {e}"))
        })?;
        Ok(found.permalink.filter(|p| !p.is_empty()))
    }

    /// The publication's first post among the account's posts since its
    /// claim (less [`READBACK_SKEW`]), recognised by the fingerprint of its
    /// text. Reads at most [`READBACK_PAGES`] pages; beyond that it cannot
    /// tell, and says so.
    async fn find(&self, sent: &Sent<'_>) -> Result<Option<Receipt>, PublishError> {
        let fingerprint = sent.fingerprint.ok_or_else(|| {
            PublishError::Permanent(
                "no fingerprint was recorded when this publication was claimed, so it cannot be recognised on Threads"
                    .to_string(),
            )
        })?;
        let since = sent
            .claimed_at
            .checked_sub_signed(READBACK_SKEW)
            .map_or(EARLIEST_SINCE, |t| t.timestamp())
            .max(EARLIEST_SINCE);
        let since_text = since.to_string();
        let path = format!("{}/threads", self.user_id);
        let mut after: Option<String> = None;
        for _ in 0..READBACK_PAGES {
            let mut query = vec![
                ("fields", "id,text,timestamp,permalink"),
                ("since", since_text.as_str()),
                ("limit", "100"),
            ];
            if let Some(cursor) = &after {
                query.push(("after", cursor));
            }
            let answer = self.get(&path, &query).await?;
            if !answer.status.is_success() {
                return Err(self.failure(&answer).1);
            }
            let page: Page = serde_json::from_str(&answer.body).map_err(|e| {
                PublishError::Retryable(format!(
                    "unexpected answer listing the account's posts: {e}"
                ))
            })?;
            for media in &page.data {
                let too_old = media
                    .timestamp
                    .as_deref()
                    .and_then(parse_timestamp)
                    .is_some_and(|t| t.timestamp() < since);
                let text = media.text.as_deref().unwrap_or_default();
                if !too_old
                    && !sent.is_taken(&media.id)
                    && fingerprint_of(&normalise(text)) == fingerprint
                {
                    return Ok(Some(Receipt {
                        remote_id: media.id.clone(),
                        url: media.permalink.clone().filter(|p| !p.is_empty()),
                    }));
                }
            }
            let next = page.paging.and_then(|p| p.cursors).and_then(|c| c.after);
            match next {
                Some(cursor) if !page.data.is_empty() && after.as_ref() != Some(&cursor) => {
                    after = Some(cursor);
                }
                _ => return Ok(None),
            }
        }
        Err(PublishError::Permanent(format!(
            "more than {READBACK_PAGES} pages of posts since the claim; cannot tell whether this publication is among them"
        )))
    }
}

impl Publisher for ThreadsPublisher {
    fn name(&self) -> &str {
        &self.name
    }

    fn publish<'a>(
        &'a self,
        ctx: &'a PublishContext<'a>,
    ) -> BoxFuture<'a, Result<Receipt, PublishError>> {
        Box::pin(self.send(ctx))
    }

    /// The fingerprint of the first post's text, trimmed and NFC: what
    /// `GET /{user_id}/threads` answers as its `text`.
    fn fingerprint(&self, rendered: &Rendered) -> Option<String> {
        let first = rendered.parts.first().unwrap_or(&rendered.text);
        let text = normalise(first);
        (!text.is_empty()).then(|| fingerprint_of(&text))
    }

    fn can_look_up(&self) -> bool {
        true
    }

    /// Reads the account's posts since the claim. For a thread interrupted
    /// after its first post this answers "published"; the other parts are
    /// not sent.
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

    fn settings() -> Settings {
        Settings {
            user_id: "17841400000000001".into(),
            token: SecretRef::Env("THREADS_TOKEN".into()),
            version: None,
            api_base: None,
            image_base_url: None,
        }
    }

    #[test]
    fn user_ids_versions_and_image_bases_are_validated() {
        assert_eq!(settings().validate(), Ok(()));
        let mut me = settings();
        me.user_id = "me".into();
        assert_eq!(me.validate(), Ok(()));
        for bad in ["", "@hospital", "12/threads"] {
            let mut s = settings();
            s.user_id = bad.into();
            let err = s.validate().unwrap_err();
            assert!(err.contains("`user_id`"), "{bad}: {err}");
        }
        for bad in ["1.0", "v1", "vX.0"] {
            let mut s = settings();
            s.version = Some(bad.into());
            let err = s.validate().unwrap_err();
            assert!(err.contains("`version`"), "{bad}: {err}");
        }
        for bad in [
            "http://hospital.example/media",
            "https://hospital.example/?a=1",
            "hospital.example",
        ] {
            let mut s = settings();
            s.image_base_url = Some(bad.into());
            let err = s.validate().unwrap_err();
            assert!(err.contains("`image_base_url`"), "{bad}: {err}");
        }
        assert_eq!(settings().version(), "v1.0");
        assert_eq!(settings().api_base(), "https://graph.threads.net");
    }

    #[test]
    fn graph_timestamps_parse_with_or_without_the_colon() {
        let want = DateTime::from_timestamp(1_697_521_323, 0);
        assert_eq!(parse_timestamp("2023-10-17T05:42:03+0000"), want);
        assert_eq!(parse_timestamp("2023-10-17T05:42:03+00:00"), want);
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn links_are_counted_once_each() {
        assert_eq!(
            links("see https://hospital.org/x and https://hospital.org/x"),
            1
        );
        assert_eq!(links("cdc.gov/flu, who.int/x and https://nhs.uk/y"), 3);
        assert_eq!(links("no links here. Really."), 0);
    }

    #[test]
    fn read_back_text_is_trimmed_and_nfc() {
        assert_eq!(normalise("  Caf\u{65}\u{301} \n"), "Caf\u{e9}");
    }
}
