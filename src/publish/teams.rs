//! Microsoft Teams: a Power Automate "Workflows" webhook (the successor of
//! Office 365 connectors), posting an Adaptive Card 1.4: the title in bold,
//! the post's text (see [`render`]), and a "Read more" button when the post
//! has a link. The webhook URL carries its signature (`sig=`), so it is a
//! secret and appears in no message.
//!
//! The flow answers 202 Accepted with no body and no message id: the
//! receipt's id is the publication key's hash. The whole post goes in one
//! card (cards have no short text limit); there is no idempotency key, so a
//! timeout may have posted. Errors are JSON `{"error": {"code", "message"}}`;
//! 401/403, and 404 (the flow was deleted or turned off), need a person.

use super::http::{self, HttpCore};
use super::webhook::{check_secret_url, key_hash, scrub};
use super::{BoxFuture, PublishContext, PublishError, Publisher, Receipt};
use crate::content::Post;
use crate::render::{self, Rendered, plain};
use crate::secret::{Secret, SecretRef};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

/// A `platform: teams` channel in channels.yaml.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The Workflows webhook URL: `env:NAME` or `file:PATH`.
    pub webhook: SecretRef,
}

/// The card's text: a `CW: …` first line for a content warning, then the
/// post's plain text. One card, no limit.
pub fn render(post: &Post) -> Rendered {
    let mut text = String::new();
    if let Some(warning) = &post.meta.content_warning {
        text.push_str(&format!("CW: {}\n\n", warning.trim()));
    }
    text.push_str(&plain::text(post, "teams"));
    Rendered {
        length: render::graphemes(&text),
        limit: None,
        html: None,
        parts: vec![text.clone()],
        text,
    }
}

/// The request body: a message with one Adaptive Card attachment.
pub fn card(title: &str, text: &str, link: Option<&str>) -> Value {
    let mut content = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": true},
            {"type": "TextBlock", "text": text, "wrap": true}
        ]
    });
    if let Some(link) = link {
        content["actions"] = json!([{"type": "Action.OpenUrl", "title": "Read more", "url": link}]);
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": content
        }]
    })
}

#[derive(Debug, Deserialize)]
struct ApiError {
    error: ErrorBody,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    code: Option<String>,
    message: Option<String>,
}

pub struct TeamsPublisher {
    name: String,
    webhook: Secret,
    http: HttpCore,
}

impl TeamsPublisher {
    pub fn new(name: &str, settings: &Settings, http: HttpCore) -> Result<TeamsPublisher, String> {
        let webhook = settings
            .webhook
            .resolve()
            .map_err(|e| format!("its webhook ({}): {e:#}", settings.webhook))?;
        check_secret_url(&webhook, &settings.webhook)?;
        Ok(TeamsPublisher {
            name: name.to_string(),
            webhook,
            http,
        })
    }

    async fn send(&self, ctx: &PublishContext<'_>) -> Result<Receipt, PublishError> {
        let body = card(
            ctx.post.title(),
            &ctx.rendered.text,
            ctx.post.meta.link.as_deref(),
        );
        self.post(&body)
            .await
            .map_err(|e| scrub(&self.webhook, e))?;
        Ok(Receipt {
            remote_id: key_hash(ctx.key),
            url: None,
        })
    }

    async fn post(&self, body: &Value) -> Result<(), PublishError> {
        let response = self
            .http
            .client
            .post(self.webhook.expose())
            .json(body)
            .send()
            .await
            .map_err(|e| http::classify_transport(&e.without_url()))?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .map_err(|e| http::classify_transport(&e.without_url()))?;
        if status.is_success() {
            return Ok(());
        }
        let message = match serde_json::from_str::<ApiError>(&text) {
            Ok(ApiError { error }) => match (error.code, error.message) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (code, message) => code.or(message).unwrap_or_default(),
            },
            // Scrubbed before it is cut: a token cut in half would not be found.
            Err(_) => crate::secret::scrub(text.trim())
                .chars()
                .take(200)
                .collect(),
        };
        if status.as_u16() == 404 {
            return Err(PublishError::Auth(format!(
                "HTTP 404: {message} (the workflow was deleted or turned off)"
            )));
        }
        Err(http::classify_status(
            status,
            &headers,
            &message,
            Utc::now(),
        ))
    }
}

impl Publisher for TeamsPublisher {
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
