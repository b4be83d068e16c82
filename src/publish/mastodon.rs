//! Mastodon: `POST /api/v1/statuses` as JSON with a bearer token. The
//! `Idempotency-Key` header is derived from the publication key, so sending
//! the same publication again within the hour the server remembers keys
//! returns the first status instead of posting twice. Content warnings become
//! `spoiler_text`; the post's `lang` becomes `language`.

use super::http::{self, HttpCore};
use super::{BoxFuture, PublishContext, PublishError, Publisher, Receipt};
use crate::content::hex;
use crate::secret::{Secret, SecretRef};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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
    /// The instance's limit (`configuration.statuses.max_characters` of
    /// `/api/v2/instance`); 500 on a default instance.
    #[serde(default = "default_max_characters")]
    pub max_characters: usize,
}

fn default_max_characters() -> usize {
    500
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
}

#[derive(Debug, Deserialize)]
struct Status {
    id: String,
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ApiError {
    error: String,
}

pub struct MastodonPublisher {
    name: String,
    statuses_url: String,
    token: Secret,
    visibility: Visibility,
    http: HttpCore,
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
            statuses_url: format!(
                "{}/api/v1/statuses",
                settings.base_url.trim_end_matches('/')
            ),
            token,
            visibility: settings.visibility,
            http,
        })
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
        let mut first: Option<Receipt> = None;
        let mut previous: Option<String> = None;
        for (index, part) in parts.iter().enumerate() {
            let key = if index == 0 {
                ctx.key.to_string()
            } else {
                format!("{}#{}", ctx.key, index + 1)
            };
            let receipt = self
                .post_status(ctx, part, &key, previous.as_deref())
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
    ) -> Result<Receipt, PublishError> {
        let body = NewStatus {
            status: text,
            visibility: self.visibility,
            language: ctx.post.meta.lang.as_deref(),
            spoiler_text: ctx.post.meta.content_warning.as_deref(),
            in_reply_to_id,
        };
        let response = self
            .http
            .client
            .post(&self.statuses_url)
            .bearer_auth(self.token.expose())
            .header("Idempotency-Key", idempotency_key(key))
            .json(&body)
            .send()
            .await
            .map_err(|e| http::classify_transport(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .map_err(|e| http::classify_transport(&e))?;
        if !status.is_success() {
            let message = serde_json::from_str::<ApiError>(&text)
                .map(|e| e.error)
                .unwrap_or_else(|_| text.chars().take(200).collect());
            return Err(http::classify_status(
                status,
                &headers,
                &message,
                Utc::now(),
            ));
        }
        let created: Status = serde_json::from_str(&text).map_err(|e| {
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
}
