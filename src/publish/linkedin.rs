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
//! Text only: no images, no threads (LinkedIn has none; a long post is an
//! error), a content warning becomes a first `CW: …` line, and there is no
//! idempotency key, so a timeout may leave a post that a retry repeats.

use super::http::{self, HttpCore};
use super::{BoxFuture, PublishContext, PublishError, Publisher, Receipt};
use crate::content::Post;
use crate::render::{Rendered, plain};
use crate::secret::{Secret, SecretRef};
use chrono::Utc;
use serde::{Deserialize, Serialize};

pub const DEFAULT_API_BASE: &str = "https://api.linkedin.com";

/// LinkedIn's limit on `commentary`, counted by [`length`].
pub const MAX_LENGTH: usize = 3000;

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
    posts_url: String,
    author: String,
    version: String,
    token: Secret,
    http: HttpCore,
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
        Ok(LinkedInPublisher {
            name: name.to_string(),
            posts_url: format!("{base}/rest/posts"),
            author: settings.author.clone(),
            version: settings.version.clone(),
            token,
            http,
        })
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
        };
        let response = self
            .http
            .client
            .post(&self.posts_url)
            .bearer_auth(self.token.expose())
            .header("Linkedin-Version", &self.version)
            .header("X-Restli-Protocol-Version", "2.0.0")
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
                Some(urn) => Ok(Receipt {
                    remote_id: urn.to_string(),
                    url: Some(format!("https://www.linkedin.com/feed/update/{urn}")),
                }),
                None => Err(PublishError::Permanent(format!(
                    "LinkedIn answered HTTP {} without a post URN in `x-restli-id`: the post may exist; check the page before sending it again",
                    status.as_u16()
                ))),
            };
        }
        let text = response
            .text()
            .await
            .map_err(|e| http::classify_transport(&e))?;
        let message = serde_json::from_str::<ApiError>(&text)
            .ok()
            .and_then(|e| e.describe())
            .unwrap_or_else(|| text.chars().take(200).collect());
        let message = message.replace(self.token.expose(), "[redacted]");
        Err(http::classify_status(
            status,
            &headers,
            &message,
            Utc::now(),
        ))
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
