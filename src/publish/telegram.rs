//! Telegram: a bot posts to a channel or group with `sendMessage`
//! (`POST {api_base}/bot{token}/sendMessage`, JSON, `parse_mode: "HTML"`).
//! The text is [`crate::render::telegram`]'s HTML; a thread is sent as
//! successive messages, each replying to the one before. Telegram has no
//! idempotency key and no way to find a message again by a key of ours: a
//! timeout may have posted, and [`Publisher::lookup`] cannot tell.
//!
//! An image is sent with `sendPhoto` (multipart: `chat_id`, the `photo`
//! file, `caption` with `parse_mode: "HTML"`) instead of the first
//! `sendMessage`. A caption holds at most [`CAPTION_LIMIT`] characters
//! (counted like messages, on the visible text): a longer first part is sent
//! as a message replying to the photo, which then goes without caption.
//! Telegram has no alt text for photos; the alt text is not sent.
//!
//! The bot token is part of the URL path. It never reaches an error message:
//! reqwest's errors lose their URL, and every message is scrubbed of the
//! token as well.

use super::http::{self, HttpCore};
use super::webhook::{partly_sent, scrub};
use super::{BoxFuture, Image, PublishContext, PublishError, Publisher, Receipt};
use crate::render::telegram::{count, visible};
use crate::secret::{Secret, SecretRef};
use chrono::{TimeDelta, Utc};
use reqwest::RequestBuilder;
use reqwest::multipart::{Form, Part};
use serde::{Deserialize, Serialize};

pub const DEFAULT_API_BASE: &str = "https://api.telegram.org";
/// The longest photo caption, in the units of [`count`], after entity
/// parsing (what readers see).
pub const CAPTION_LIMIT: usize = 1024;
/// The largest photo `sendPhoto` takes (10 MB).
pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;

/// A `platform: telegram` channel in channels.yaml.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The token from @BotFather: `env:NAME` or `file:PATH`.
    pub bot_token: SecretRef,
    /// `@channelname`, or the numeric id of a chat (e.g. `-1001234567890`).
    pub chat_id: String,
    /// The Bot API server; default `https://api.telegram.org` (tests and
    /// self-hosted Bot API servers set it).
    #[serde(default)]
    pub api_base: Option<String>,
}

#[derive(Debug, Serialize)]
struct SendMessage<'a> {
    chat_id: &'a str,
    text: &'a str,
    parse_mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    link_preview_options: Option<LinkPreview<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_parameters: Option<ReplyParameters>,
}

#[derive(Debug, Serialize)]
struct LinkPreview<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    is_disabled: bool,
}

#[derive(Debug, Serialize)]
struct ReplyParameters {
    message_id: i64,
}

/// Every Bot API answer: `ok` with a `result`, or an error.
#[derive(Debug, Deserialize)]
struct Answer {
    ok: bool,
    result: Option<Message>,
    description: Option<String>,
    parameters: Option<Parameters>,
}

#[derive(Debug, Deserialize)]
struct Message {
    message_id: i64,
    chat: Option<Chat>,
}

#[derive(Debug, Deserialize)]
struct Chat {
    username: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Parameters {
    retry_after: Option<i64>,
    migrate_to_chat_id: Option<i64>,
}

pub struct TelegramPublisher {
    name: String,
    api_base: String,
    token: Secret,
    chat_id: String,
    http: HttpCore,
}

impl TelegramPublisher {
    pub fn new(
        name: &str,
        settings: &Settings,
        http: HttpCore,
    ) -> Result<TelegramPublisher, String> {
        let api_base = settings
            .api_base
            .as_deref()
            .unwrap_or(DEFAULT_API_BASE)
            .trim_end_matches('/')
            .to_string();
        http::check_endpoint(&api_base)?;
        let token = settings
            .bot_token
            .resolve()
            .map_err(|e| format!("its bot_token ({}): {e:#}", settings.bot_token))?;
        // The token goes into a URL path: it must not change the path.
        if !token
            .expose()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_'))
        {
            return Err(format!(
                "its bot_token ({}) is not a bot token (expected `123456:ABC-…`)",
                settings.bot_token
            ));
        }
        let chat_id = settings.chat_id.trim();
        let numeric = chat_id
            .strip_prefix('-')
            .unwrap_or(chat_id)
            .chars()
            .all(|c| c.is_ascii_digit());
        if chat_id.is_empty() || !(chat_id.starts_with('@') || numeric) {
            return Err(format!(
                "chat_id `{chat_id}` must be `@channelname` or a numeric chat id"
            ));
        }
        Ok(TelegramPublisher {
            name: name.to_string(),
            api_base,
            token,
            chat_id: chat_id.to_string(),
            http,
        })
    }

    /// The public link of a message, when the chat has a public name.
    fn message_url(&self, message: &Message) -> Option<String> {
        let username = message
            .chat
            .as_ref()
            .and_then(|c| c.username.clone())
            .or_else(|| self.chat_id.strip_prefix('@').map(str::to_string))?;
        Some(format!("https://t.me/{username}/{}", message.message_id))
    }

    async fn send(&self, ctx: &PublishContext<'_>) -> Result<Receipt, PublishError> {
        let single = [ctx.rendered.text.clone()];
        let parts: &[String] = if ctx.rendered.parts.is_empty() {
            &single
        } else {
            &ctx.rendered.parts
        };
        let mut first: Option<Receipt> = None;
        let mut previous: Option<i64> = None;
        // The text parts still to send as messages, and how many messages
        // the publication makes in all.
        let mut texts = parts;
        let mut total = parts.len();
        if let Some(image) = ctx.image {
            let caption = parts
                .first()
                .filter(|p| count(&visible(p)) <= CAPTION_LIMIT);
            let photo = self.send_photo(image, caption.map(String::as_str)).await?;
            previous = Some(photo.message_id);
            first = Some(self.receipt(&photo));
            if caption.is_some() {
                texts = &parts[1..];
            } else {
                total += 1;
            }
        }
        let offset = parts.len() - texts.len();
        for (index, part) in texts.iter().enumerate() {
            // The post's link gets the preview; later parts get none.
            let link_preview_options = match (&ctx.post.meta.link, offset + index) {
                (Some(link), 0) => Some(LinkPreview {
                    url: Some(link),
                    is_disabled: false,
                }),
                (_, 0) => None,
                _ => Some(LinkPreview {
                    url: None,
                    is_disabled: true,
                }),
            };
            let body = SendMessage {
                chat_id: &self.chat_id,
                text: part,
                parse_mode: "HTML",
                link_preview_options,
                reply_parameters: previous.map(|message_id| ReplyParameters { message_id }),
            };
            let sent = total - texts.len() + index;
            let message = self.send_message(&body).await.map_err(|e| {
                if sent == 0 {
                    e
                } else {
                    partly_sent(e, sent, total)
                }
            })?;
            previous = Some(message.message_id);
            first.get_or_insert(self.receipt(&message));
        }
        first.ok_or_else(|| PublishError::Permanent("nothing to post".to_string()))
    }

    fn receipt(&self, message: &Message) -> Receipt {
        Receipt {
            remote_id: message.message_id.to_string(),
            url: self.message_url(message),
        }
    }

    fn method_url(&self, method: &str) -> String {
        format!("{}/bot{}/{method}", self.api_base, self.token.expose())
    }

    /// Sends `image` as a photo, with `caption` (Telegram HTML) if any.
    async fn send_photo(
        &self,
        image: &Image,
        caption: Option<&str>,
    ) -> Result<Message, PublishError> {
        if image.bytes.len() > MAX_PHOTO_BYTES {
            return Err(PublishError::Permanent(format!(
                "the image {} has {} bytes; Telegram takes photos of at most {MAX_PHOTO_BYTES}",
                image.file_name,
                image.bytes.len()
            )));
        }
        let photo = Part::bytes(image.bytes.clone())
            .file_name(image.file_name.clone())
            .mime_str(image.mime)
            .map_err(|e| PublishError::Permanent(format!("image type {}: {e}", image.mime)))?;
        let mut form = Form::new()
            .text("chat_id", self.chat_id.clone())
            .part("photo", photo);
        if let Some(caption) = caption {
            form = form
                .text("caption", caption.to_string())
                .text("parse_mode", "HTML");
        }
        self.call(
            "sendPhoto",
            self.http
                .client
                .post(self.method_url("sendPhoto"))
                .multipart(form),
        )
        .await
    }

    async fn send_message(&self, body: &SendMessage<'_>) -> Result<Message, PublishError> {
        self.call(
            "sendMessage",
            self.http
                .client
                .post(self.method_url("sendMessage"))
                .json(body),
        )
        .await
    }

    /// Sends a Bot API request (`method`, for messages); the sent message,
    /// or the error the answer means, scrubbed of the token.
    async fn call(&self, method: &str, request: RequestBuilder) -> Result<Message, PublishError> {
        let response = request
            .send()
            .await
            .map_err(|e| scrub(&self.token, http::classify_transport(&e.without_url())))?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .map_err(|e| scrub(&self.token, http::classify_transport(&e.without_url())))?;
        let mut answer = serde_json::from_str::<Answer>(&text).ok();
        if status.is_success()
            && let Some(a) = answer.as_mut()
            && a.ok
            && let Some(message) = a.result.take()
        {
            return Ok(message);
        }
        let now = Utc::now();
        let Some(answer) = answer else {
            let shown: String = text.chars().take(200).collect();
            let error = if status.is_success() {
                PublishError::Permanent(format!("unexpected answer to {method}: {shown}"))
            } else {
                http::classify_status(status, &headers, &shown, now)
            };
            return Err(scrub(&self.token, error));
        };
        let mut message = answer
            .description
            .unwrap_or_else(|| "no description".to_string());
        let parameters = answer.parameters;
        if let Some(id) = parameters.as_ref().and_then(|p| p.migrate_to_chat_id) {
            message.push_str(&format!(" (the group is now chat_id {id})"));
        }
        let error = match http::classify_status(status, &headers, &message, now) {
            PublishError::RateLimited { reset, message } => PublishError::RateLimited {
                reset: parameters
                    .and_then(|p| p.retry_after)
                    .map(|s| now + TimeDelta::seconds(s))
                    .or(reset),
                message,
            },
            // `ok: false` with a success status: refused all the same.
            _ if status.is_success() => PublishError::Permanent(message),
            other => other,
        };
        Err(scrub(&self.token, error))
    }
}

impl Publisher for TelegramPublisher {
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
