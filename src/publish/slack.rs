//! Slack: an incoming webhook (`POST <webhook URL>`, JSON `{"text": …}` in
//! mrkdwn from [`crate::render::slack`]). The webhook URL is the credential,
//! so it is a secret and appears in no message. Slack answers a plain `ok`
//! and no message id: the receipt's id is the publication key's hash, and a
//! thread's parts are posted as successive messages (a webhook cannot reply).
//! There is no idempotency key: a timeout may have posted.
//!
//! Errors are plain text: `invalid_payload`, `no_text` (400, permanent);
//! `invalid_token`, `action_prohibited` (403), `no_service`, `no_team`,
//! `channel_not_found` (404), `no_active_hooks`, `team_disabled` — the
//! webhook no longer works and a person must make a new one (Auth);
//! `channel_is_archived` (410, permanent); 429 with `Retry-After`; 5xx
//! temporary.

use super::http::{self, HttpCore};
use super::webhook::{check_secret_url, key_hash, partly_sent, scrub};
use super::{BoxFuture, PublishContext, PublishError, Publisher, Receipt};
use crate::secret::{Secret, SecretRef};
use chrono::Utc;
use serde::{Deserialize, Serialize};

/// A `platform: slack` channel in channels.yaml.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The incoming-webhook URL: `env:NAME` or `file:PATH`.
    pub webhook: SecretRef,
}

/// Answers that mean the webhook itself is gone or forbidden.
const DEAD_WEBHOOK: &[&str] = &[
    "invalid_token",
    "action_prohibited",
    "no_service",
    "no_service_id",
    "no_team",
    "team_disabled",
    "no_active_hooks",
    "channel_not_found",
];

#[derive(Debug, Serialize)]
struct Message<'a> {
    text: &'a str,
}

pub struct SlackPublisher {
    name: String,
    webhook: Secret,
    http: HttpCore,
}

impl SlackPublisher {
    pub fn new(name: &str, settings: &Settings, http: HttpCore) -> Result<SlackPublisher, String> {
        let webhook = settings
            .webhook
            .resolve()
            .map_err(|e| format!("its webhook ({}): {e:#}", settings.webhook))?;
        check_secret_url(&webhook, &settings.webhook)?;
        Ok(SlackPublisher {
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
        for (index, part) in parts.iter().enumerate() {
            self.post(part)
                .await
                .map_err(|e| scrub(&self.webhook, e))
                .map_err(|e| {
                    if index == 0 {
                        e
                    } else {
                        partly_sent(e, index, parts.len())
                    }
                })?;
        }
        Ok(Receipt {
            remote_id: key_hash(ctx.key),
            url: None,
        })
    }

    async fn post(&self, text: &str) -> Result<(), PublishError> {
        let response = self
            .http
            .client
            .post(self.webhook.expose())
            .json(&Message { text })
            .send()
            .await
            .map_err(|e| http::classify_transport(&e.without_url()))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .text()
            .await
            .map_err(|e| http::classify_transport(&e.without_url()))?;
        if status.is_success() {
            return Ok(());
        }
        // Scrubbed before it is cut: a token cut in half would not be found.
        let message: String = crate::secret::scrub(body.trim())
            .chars()
            .take(200)
            .collect();
        if DEAD_WEBHOOK.contains(&message.as_str()) {
            return Err(PublishError::Auth(format!(
                "HTTP {}: {message} (the webhook no longer works; make a new one)",
                status.as_u16()
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

impl Publisher for SlackPublisher {
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
