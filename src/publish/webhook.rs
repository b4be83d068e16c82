//! A generic JSON webhook, for anything without its own adapter (the
//! organisation's website, an intranet, a relay).
//!
//! Each publication is one request:
//!
//! ```text
//! POST <url>
//! Content-Type: application/json
//! Idempotency-Key: <hex SHA-256 of "healthcast:" + key>
//! X-Healthcast-Signature: sha256=<hex HMAC-SHA256(secret, exact body bytes)>   (only with `secret`)
//!
//! {
//!   "key": "tips/flu@website@2026-11-24T14:00:00Z",  // the publication: unique, stable across retries
//!   "post": "tips/flu",                              // the post's id
//!   "channel": "website",                            // the channel name in channels.yaml
//!   "at": "2026-11-24T14:00:00Z",                    // the slot instant, RFC 3339, UTC
//!   "title": "Flu shots",
//!   "text": "Get your flu shot. …",                  // plain text as rendered for this channel
//!   "html": "<p>Get your flu shot.</p>",             // sanitized HTML of the body
//!   "link": "https://hospital.example/flu",          // or null
//!   "hashtags": ["FluSeason"],                       // without "#"; may be empty
//!   "lang": "en",                                    // or null
//!   "content_warning": "Needles"                     // or null
//! }
//! ```
//!
//! Receivers should verify the signature over the raw body before parsing it
//! (compare in constant time), and treat a repeated `Idempotency-Key` as the
//! same publication: after a timeout healthcast may send it again.
//!
//! Any 2xx answer is success. An answer `{"id": "…", "url": "…"}` (both
//! optional; `id` a string or a number) gives the receipt; otherwise the
//! receipt's id is the Idempotency-Key. Other answers are classified as for
//! every platform: 401/403 authentication, 429 rate limited (`Retry-After`),
//! 408 and 5xx temporary, the rest permanent.

use super::http::{self, HttpCore};
use super::{BoxFuture, PublishContext, PublishError, Publisher, Receipt};
use crate::content::hex;
use crate::secret::{Secret, SecretRef};
use chrono::{SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Healthcast-Signature";

/// A `platform: webhook` channel in channels.yaml.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Where to POST: https, or http on loopback.
    pub url: String,
    /// The HMAC key for `X-Healthcast-Signature`: `env:NAME` or `file:PATH`.
    #[serde(default)]
    pub secret: Option<SecretRef>,
}

/// The documented payload (see the module comment).
#[derive(Debug, Serialize)]
pub struct Payload<'a> {
    pub key: &'a str,
    pub post: &'a str,
    pub channel: &'a str,
    pub at: String,
    pub title: &'a str,
    pub text: &'a str,
    pub html: String,
    pub link: Option<&'a str>,
    pub hashtags: Vec<&'a str>,
    pub lang: Option<&'a str>,
    pub content_warning: Option<&'a str>,
}

#[derive(Debug, Deserialize)]
struct Answer {
    id: Option<serde_json::Value>,
    url: Option<String>,
}

/// The publication key as a stable, opaque id: hex SHA-256 of
/// `healthcast:{key}` (the same value as Mastodon's Idempotency-Key). Used
/// as the receipt id by platforms that return none.
pub fn key_hash(key: &str) -> String {
    hex(&Sha256::digest(format!("healthcast:{key}").as_bytes()))
}

/// `sha256=<hex HMAC-SHA256 of body>`, the value of [`SIGNATURE_HEADER`].
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

/// [`http::check_endpoint`] for a URL that is itself a secret (Slack,
/// Discord and Teams webhooks): the message names where the URL came from,
/// never the URL.
pub(crate) fn check_secret_url(url: &Secret, from: &SecretRef) -> Result<(), String> {
    http::check_endpoint(url.expose()).map_err(|_| {
        format!("the webhook URL from {from} must be an https URL (plain http only on loopback)")
    })
}

/// Removes `secret` from an error's message, and every fragment of every
/// secret held (a webhook's path or token, as the platform may echo it):
/// defence in depth for adapters whose URL or token must never be shown.
pub(crate) fn scrub(secret: &Secret, error: PublishError) -> PublishError {
    error.map_message(|m| crate::secret::scrub(&m.replace(secret.expose(), "[redacted]")))
}

/// A thread that failed after its first part: sending it again repeats the
/// parts already posted, so the message says so.
pub(crate) fn partly_sent(error: PublishError, index: usize, total: usize) -> PublishError {
    error.map_message(|m| {
        format!(
            "part {} of {total} failed, {index} already posted: {m}",
            index + 1
        )
    })
}

pub struct WebhookPublisher {
    name: String,
    url: String,
    secret: Option<Secret>,
    http: HttpCore,
}

impl WebhookPublisher {
    pub fn new(
        name: &str,
        settings: &Settings,
        http: HttpCore,
    ) -> Result<WebhookPublisher, String> {
        http::check_endpoint(&settings.url)?;
        let secret = match &settings.secret {
            Some(r) => Some(
                r.resolve()
                    .map_err(|e| format!("its secret ({r}): {e:#}"))?,
            ),
            None => None,
        };
        Ok(WebhookPublisher {
            name: name.to_string(),
            url: settings.url.clone(),
            secret,
            http,
        })
    }

    /// The exact bytes sent for a publication.
    pub fn body(&self, ctx: &PublishContext<'_>) -> Result<Vec<u8>, PublishError> {
        let meta = &ctx.post.meta;
        let payload = Payload {
            key: ctx.key,
            post: &ctx.post.id,
            channel: &self.name,
            at: ctx.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            title: ctx.post.title(),
            text: &ctx.rendered.text,
            html: ctx
                .rendered
                .html
                .clone()
                .unwrap_or_else(|| crate::render::html::body(ctx.post)),
            link: meta.link.as_deref(),
            hashtags: meta
                .hashtags
                .iter()
                .map(|h| h.trim_start_matches('#'))
                .collect(),
            lang: meta.lang.as_deref(),
            content_warning: meta.content_warning.as_deref(),
        };
        serde_json::to_vec(&payload)
            .map_err(|e| PublishError::Permanent(format!("cannot encode the payload: {e}")))
    }

    async fn send(&self, ctx: &PublishContext<'_>) -> Result<Receipt, PublishError> {
        let body = self.body(ctx)?;
        let idempotency_key = key_hash(ctx.key);
        let mut request = self
            .http
            .client
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", &idempotency_key);
        if let Some(secret) = &self.secret {
            request = request.header(
                SIGNATURE_HEADER,
                signature(secret.expose().as_bytes(), &body),
            );
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|e| http::classify_transport(&e.without_url()))?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .map_err(|e| http::classify_transport(&e.without_url()))?;
        if !status.is_success() {
            let message: String = text.trim().chars().take(200).collect();
            return Err(http::classify_status(
                status,
                &headers,
                &message,
                Utc::now(),
            ));
        }
        let answer = serde_json::from_str::<Answer>(&text).ok();
        let id = answer.as_ref().and_then(|a| match &a.id {
            Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        });
        Ok(Receipt {
            remote_id: id.unwrap_or(idempotency_key),
            url: answer.and_then(|a| a.url),
        })
    }
}

impl Publisher for WebhookPublisher {
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
    fn the_signature_matches_a_known_hmac() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
