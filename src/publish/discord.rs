//! Discord: a channel webhook (`POST <webhook URL>?wait=true`, JSON
//! `{"content": …, "allowed_mentions": {"parse": []}}`). `wait=true` makes
//! Discord answer with the created message, whose `id` is the receipt. The
//! webhook URL holds its token, so it is a secret and appears in no message.
//! `allowed_mentions` is empty so that `@everyone` in a post pings nobody.
//!
//! The content is the post's plain text (see [`render`]) with Discord
//! Markdown's special characters escaped, at most 2000 characters; a thread
//! is posted as successive messages (a webhook cannot reply). No idempotency
//! key exists: a timeout may have posted.
//!
//! Errors are JSON `{"message", "code"}`: 401 "Invalid Webhook Token" and 404
//! "Unknown Webhook" (the webhook was deleted) need a person (Auth); 400
//! "Invalid Form Body" is permanent; 429 carries `{"retry_after": seconds
//! (float), "global": bool}`.

use super::http::{self, HttpCore};
use super::webhook::{check_secret_url, partly_sent, scrub};
use super::{BoxFuture, PublishContext, PublishError, Publisher, Receipt};
use crate::content::Post;
use crate::render::{Rendered, plain, social};
use crate::secret::{Secret, SecretRef};
use chrono::{TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// Discord's limit on `content`, in characters.
pub const LIMIT: usize = 2000;

/// A `platform: discord` channel in channels.yaml.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The webhook URL (`https://discord.com/api/webhooks/<id>/<token>`):
    /// `env:NAME` or `file:PATH`.
    pub webhook: SecretRef,
}

/// The post as Discord messages: a `CW: …` first line for a content warning,
/// the plain text with Markdown characters escaped (URLs left intact), split
/// into a thread when too long and `thread: true`.
pub fn render(post: &Post) -> Rendered {
    let mut text = String::new();
    if let Some(warning) = &post.meta.content_warning {
        text.push_str(&format!("CW: {}\n\n", escape(warning.trim())));
    }
    text.push_str(&escape(&plain::text(post, "discord")));
    social(post, text, LIMIT, count, false)
}

/// Discord counts JavaScript string length: UTF-16 code units.
pub fn count(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Escapes Discord Markdown in plain text: `\ * _ ~ ` | [ ] < >` everywhere
/// but inside URLs, and `#`, `>` and `-` that open a line (headings, quotes,
/// lists).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let mut first = true;
        for (m, word) in line.split(' ').enumerate() {
            if m > 0 {
                out.push(' ');
            }
            // A URL is left as it is; what precedes it in the word is not.
            // The scheme starts after the last character that cannot be in
            // one, which may take more than one byte (`→https://…`).
            let url_start = word.find("://").map(|at| {
                word[..at]
                    .char_indices()
                    .rfind(|(_, c)| !c.is_ascii_alphanumeric())
                    .map_or(0, |(i, c)| i + c.len_utf8())
            });
            let (word, url) = word.split_at(url_start.unwrap_or(word.len()));
            for c in word.chars() {
                let opens_line = first && matches!(c, '#' | '>' | '-');
                if opens_line
                    || matches!(
                        c,
                        '\\' | '*' | '_' | '~' | '`' | '|' | '[' | ']' | '<' | '>'
                    )
                {
                    out.push('\\');
                }
                out.push(c);
                first = false;
            }
            if !url.is_empty() {
                out.push_str(url);
                first = false;
            }
        }
    }
    out
}

#[derive(Debug, Serialize)]
struct ExecuteWebhook<'a> {
    content: &'a str,
    allowed_mentions: AllowedMentions,
}

#[derive(Debug, Serialize)]
struct AllowedMentions {
    parse: [&'static str; 0],
}

#[derive(Debug, Deserialize)]
struct Created {
    id: String,
    channel_id: Option<String>,
    guild_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ApiError {
    message: Option<String>,
    retry_after: Option<f64>,
    global: Option<bool>,
}

pub struct DiscordPublisher {
    name: String,
    webhook: Secret,
    http: HttpCore,
}

impl DiscordPublisher {
    pub fn new(
        name: &str,
        settings: &Settings,
        http: HttpCore,
    ) -> Result<DiscordPublisher, String> {
        let webhook = settings
            .webhook
            .resolve()
            .map_err(|e| format!("its webhook ({}): {e:#}", settings.webhook))?;
        check_secret_url(&webhook, &settings.webhook)?;
        Ok(DiscordPublisher {
            name: name.to_string(),
            webhook,
            http,
        })
    }

    async fn send(&self, ctx: &PublishContext<'_>) -> Result<Receipt, PublishError> {
        let single = [ctx.rendered.text.clone()];
        let parts: &[String] = if ctx.rendered.parts.is_empty() {
            &single
        } else {
            &ctx.rendered.parts
        };
        let mut first: Option<Receipt> = None;
        for (index, part) in parts.iter().enumerate() {
            let receipt = self
                .post(part)
                .await
                .map_err(|e| scrub(&self.webhook, e))
                .map_err(|e| {
                    if index == 0 {
                        e
                    } else {
                        partly_sent(e, index, parts.len())
                    }
                })?;
            first.get_or_insert(receipt);
        }
        first.ok_or_else(|| PublishError::Permanent("nothing to post".to_string()))
    }

    async fn post(&self, content: &str) -> Result<Receipt, PublishError> {
        let mut url = reqwest::Url::parse(self.webhook.expose())
            .map_err(|_| PublishError::Permanent("the webhook URL is not a URL".into()))?;
        url.query_pairs_mut().append_pair("wait", "true");
        let response = self
            .http
            .client
            .post(url)
            .json(&ExecuteWebhook {
                content,
                allowed_mentions: AllowedMentions { parse: [] },
            })
            .send()
            .await
            .map_err(|e| http::classify_transport(&e.without_url()))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .text()
            .await
            .map_err(|e| http::classify_transport(&e.without_url()))?;
        let now = Utc::now();
        if status.is_success() {
            let created: Created = serde_json::from_str(&body).map_err(|e| {
                PublishError::Permanent(format!("unexpected answer to a webhook message: {e}"))
            })?;
            let url = match (created.guild_id, created.channel_id) {
                (Some(guild), Some(channel)) => Some(format!(
                    "https://discord.com/channels/{guild}/{channel}/{}",
                    created.id
                )),
                _ => None,
            };
            return Ok(Receipt {
                remote_id: created.id,
                url,
            });
        }
        let answer = serde_json::from_str::<ApiError>(&body).ok();
        // Scrubbed before it is cut: a token cut in half would not be found.
        let message = answer
            .as_ref()
            .and_then(|a| a.message.as_deref())
            .map(crate::secret::scrub)
            .unwrap_or_else(|| {
                crate::secret::scrub(body.trim())
                    .chars()
                    .take(200)
                    .collect()
            });
        if status.as_u16() == 404 {
            return Err(PublishError::Auth(format!(
                "HTTP 404: {message} (the webhook was deleted; make a new one)"
            )));
        }
        match http::classify_status(status, &headers, &message, now) {
            PublishError::RateLimited { reset, message } => {
                let global = answer.as_ref().and_then(|a| a.global) == Some(true);
                let from_body = answer
                    .and_then(|a| a.retry_after)
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .map(|s| now + TimeDelta::milliseconds((s * 1000.0).ceil() as i64));
                Err(PublishError::RateLimited {
                    reset: from_body.or(reset),
                    message: if global {
                        format!("{message} (global)")
                    } else {
                        message
                    },
                })
            }
            other => Err(other),
        }
    }
}

impl Publisher for DiscordPublisher {
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
    use super::escape;

    #[test]
    fn escape_keeps_a_url_after_a_multibyte_character() {
        // Found by the `render` fuzz target: the byte after `→` is inside it,
        // and splitting the word there panicked.
        assert_eq!(escape("→https://a.example/x_y"), "→https://a.example/x_y");
        assert_eq!(
            escape("*é*https://a.example/*"),
            "\\*é\\*https://a.example/*"
        );
        assert_eq!(escape("see_x→ftp://a.example"), "see\\_x→ftp://a.example");
    }
}
