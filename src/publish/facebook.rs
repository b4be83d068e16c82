//! Facebook Pages: `POST {graph}/{version}/{page_id}/feed` as an HTML form
//! with `message`, `link` (the post's `link:`, if any, which Facebook shows
//! as a preview card) and `access_token` — the Page token goes in the body,
//! never in the URL, where proxies and logs would keep it.
//!
//! Answers: 200 `{"id": "<page>_<post>"}`; errors are
//! `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`
//! and are classified by `code` (see [`classify`]) before the HTTP status.
//!
//! Text only: no images, no threads (a long post is an error), a content
//! warning becomes a first `CW: …` line, and there is no idempotency key,
//! so a timeout may leave a post that a retry repeats.

use super::http::{self, HttpCore};
use super::{BoxFuture, PublishContext, PublishError, Publisher, Receipt};
use crate::content::Post;
use crate::render::{Rendered, plain};
use crate::secret::{Secret, SecretRef};
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Deserialize;

pub const DEFAULT_GRAPH_BASE: &str = "https://graph.facebook.com";

/// Facebook's limit on a post's text, counted by [`length`].
pub const MAX_LENGTH: usize = 63206;

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

#[derive(Debug, Deserialize)]
struct Created {
    id: String,
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
        Ok(FacebookPublisher {
            name: name.to_string(),
            feed_url: format!("{base}/{}/{}/feed", settings.version, settings.page_id),
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
        let mut form: Vec<(&str, &str)> = vec![("message", text)];
        if let Some(link) = ctx.post.meta.link.as_deref() {
            form.push(("link", link));
        }
        form.push(("access_token", self.token.expose()));
        let response = self
            .http
            .client
            .post(&self.feed_url)
            .form(&form)
            .send()
            .await
            .map_err(|e| http::classify_transport(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .text()
            .await
            .map_err(|e| http::classify_transport(&e))?;
        if status.is_success() {
            return match serde_json::from_str::<Created>(&body) {
                Ok(created) if !created.id.is_empty() => Ok(Receipt {
                    url: Some(format!("https://www.facebook.com/{}", created.id)),
                    remote_id: created.id,
                }),
                _ => Err(PublishError::Permanent(format!(
                    "Facebook answered HTTP {} without a post id: the post may exist; check the Page before sending it again",
                    status.as_u16()
                ))),
            };
        }
        let error = serde_json::from_str::<ErrorBody>(&body)
            .map(|b| b.error)
            .unwrap_or_default();
        let message = if error.message.is_some() || error.code.is_some() {
            error.describe()
        } else {
            body.chars().take(200).collect()
        };
        // Graph API messages can quote the token ("Malformed access token …").
        let message = message.replace(self.token.expose(), "[redacted]");
        Err(classify(status, &headers, &error, &message, Utc::now()))
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
