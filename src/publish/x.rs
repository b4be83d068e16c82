//! X (Twitter): `POST /2/tweets` as JSON, signed with an OAuth 2.0 user
//! access token (refreshed once on a 401 when a refresh token is configured)
//! or with OAuth 1.0a user context (HMAC-SHA1, RFC 5849). A thread is posted
//! as replies, each part answering the one before. X has no content-warning
//! field: a warning becomes the first line, `CW: …`.
//!
//! X has no idempotency key. What stops a second copy is that X refuses a
//! post whose text is identical to a recent one of the account (403
//! "duplicate content"); that refusal is [`PublishError::Permanent`] and its
//! message says that the post may already be on X, so after a timeout or a
//! crash the daemon must read it as "possibly already posted", not as a
//! rejected text.
//!
//! In channels.yaml, exactly one of `oauth2` and `oauth1` is given; secrets
//! are `env:NAME` or `file:PATH`:
//!
//! ```yaml
//! x-oauth2:
//!   platform: x
//!   # api_base: https://api.x.com      (the default)
//!   oauth2:
//!     access_token: env:X_ACCESS_TOKEN
//!     refresh_token: env:X_REFRESH_TOKEN   # optional: enables one refresh on a 401
//!     client_id: aBcD1234                  # needed with refresh_token
//!     client_secret: env:X_CLIENT_SECRET   # confidential clients only
//! x-oauth1:
//!   platform: x
//!   oauth1:
//!     consumer_key: env:X_API_KEY
//!     consumer_secret: env:X_API_SECRET
//!     access_token: env:X_ACCESS_TOKEN
//!     access_token_secret: env:X_ACCESS_TOKEN_SECRET
//! ```
//!
//! A refreshed token pair lives in memory only. X answers a refresh with a
//! new refresh token, and the one used should be taken as spent: after a
//! restart the configured tokens may need replacing (the failed refresh then
//! says so, as an authentication error).

use super::http::{self, HttpCore};
use super::{BoxFuture, PublishContext, PublishError, Publisher, Receipt};
use crate::content::{Post, hex};
use crate::render::{self, Rendered, length, plain};
use crate::secret::{Secret, SecretRef};
use base64::Engine;
use chrono::Utc;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

pub const DEFAULT_API_BASE: &str = "https://api.x.com";

/// X's limit, in twitter-text weighted length.
pub const MAX_WEIGHTED_LENGTH: usize = 280;

/// A `platform: x` channel in channels.yaml (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawSettings")]
pub struct Settings {
    /// The API root; `https://api.x.com` when not given.
    pub api_base: Option<String>,
    pub auth: Auth,
}

/// How requests are authorised: user context either way, since posting
/// needs a user (an app-only bearer token cannot post).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    OAuth2(OAuth2),
    OAuth1(OAuth1),
}

/// OAuth 2.0 Authorization Code with PKCE, scopes `tweet.write tweet.read
/// users.read` (and `offline.access` for a refresh token).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    pub access_token: SecretRef,
    pub refresh_token: Option<SecretRef>,
    /// The app's OAuth 2.0 Client ID (not a secret); needed to refresh.
    pub client_id: Option<String>,
    /// Confidential clients only: sent as HTTP Basic with the client id when
    /// refreshing, as X documents.
    pub client_secret: Option<SecretRef>,
}

/// OAuth 1.0a user context: the app's API key and secret and the account's
/// access token and secret (app permission "Read and write").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth1 {
    pub consumer_key: SecretRef,
    pub consumer_secret: SecretRef,
    pub access_token: SecretRef,
    pub access_token_secret: SecretRef,
}

/// The YAML shape: `oauth2:` or `oauth1:` beside `api_base`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    api_base: Option<String>,
    oauth2: Option<OAuth2>,
    oauth1: Option<OAuth1>,
}

impl TryFrom<RawSettings> for Settings {
    type Error = String;

    fn try_from(raw: RawSettings) -> Result<Settings, String> {
        let auth = match (raw.oauth2, raw.oauth1) {
            (Some(o), None) => Auth::OAuth2(o),
            (None, Some(o)) => Auth::OAuth1(o),
            (Some(_), Some(_)) => {
                return Err("give either `oauth2` or `oauth1`, not both".to_string());
            }
            (None, None) => {
                return Err(
                    "missing credentials: add `oauth2: { access_token: env:NAME }` or `oauth1: { consumer_key, consumer_secret, access_token, access_token_secret }`"
                        .to_string(),
                );
            }
        };
        Ok(Settings {
            api_base: raw.api_base,
            auth,
        })
    }
}

impl Settings {
    pub fn api_base(&self) -> &str {
        self.api_base
            .as_deref()
            .unwrap_or(DEFAULT_API_BASE)
            .trim_end_matches('/')
    }
}

/// The post as X shows it: plain text, a content warning as a first line
/// `CW: …` (counted, since it is part of the text), weighted length against
/// 280, split into a numbered thread when too long and `thread: true`.
pub fn render(post: &Post, _settings: &Settings) -> Rendered {
    let text = plain::text(post, "x");
    let text = match post.meta.content_warning.as_deref().map(str::trim) {
        Some(warning) if !warning.is_empty() => format!("CW: {warning}\n\n{text}"),
        _ => text,
    };
    render::social(post, text, MAX_WEIGHTED_LENGTH, length::x_weighted, false)
}

/// The request body of `POST /2/tweets` (field names as in the API; checked
/// against its OpenAPI schema in the tests).
#[derive(Debug, Serialize)]
struct NewTweet<'a> {
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply: Option<ReplyTo<'a>>,
}

#[derive(Debug, Serialize)]
struct ReplyTo<'a> {
    in_reply_to_tweet_id: &'a str,
}

#[derive(Debug, Deserialize)]
struct Created {
    data: CreatedData,
}

#[derive(Debug, Deserialize)]
struct CreatedData {
    id: String,
}

/// X's errors: problem JSON, or the older `{"errors":[{"message"}]}`.
#[derive(Debug, Deserialize)]
struct Problem {
    title: Option<String>,
    detail: Option<String>,
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(Debug, Deserialize)]
struct ErrorItem {
    message: Option<String>,
}

/// The token endpoint's error (RFC 6749 §5.2).
#[derive(Debug, Deserialize)]
struct TokenError {
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TokenAnswer {
    access_token: String,
    refresh_token: Option<String>,
}

struct Tokens {
    access: Secret,
    refresh: Option<Secret>,
}

enum Credentials {
    OAuth2 {
        /// Behind an async lock, held across a refresh so that two
        /// publications refused at once refresh only once (a refresh returns
        /// a new refresh token; a second refresh with the old one may fail).
        tokens: tokio::sync::Mutex<Tokens>,
        client_id: Option<String>,
        client_secret: Option<Secret>,
    },
    OAuth1 {
        consumer_key: Secret,
        consumer_secret: Secret,
        token: Secret,
        token_secret: Secret,
    },
}

pub struct XPublisher {
    name: String,
    tweets_url: String,
    token_url: String,
    credentials: Credentials,
    http: HttpCore,
}

/// One answer of `POST /2/tweets`, and the bearer token it was sent with.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
    bearer: Option<Secret>,
}

fn resolve(what: &str, secret: &SecretRef) -> Result<Secret, String> {
    secret
        .resolve()
        .map_err(|e| format!("its {what} ({secret}): {e:#}"))
}

impl XPublisher {
    pub fn new(name: &str, settings: &Settings, http: HttpCore) -> Result<XPublisher, String> {
        let base = settings.api_base();
        http::check_endpoint(base)?;
        let credentials = match &settings.auth {
            Auth::OAuth2(o) => {
                if o.refresh_token.is_some() && o.client_id.is_none() {
                    return Err(
                        "`oauth2.refresh_token` needs `oauth2.client_id` (X's token endpoint asks for it)"
                            .to_string(),
                    );
                }
                if o.client_secret.is_some() && o.client_id.is_none() {
                    return Err("`oauth2.client_secret` needs `oauth2.client_id`".to_string());
                }
                Credentials::OAuth2 {
                    tokens: tokio::sync::Mutex::new(Tokens {
                        access: resolve("access token", &o.access_token)?,
                        refresh: o
                            .refresh_token
                            .as_ref()
                            .map(|r| resolve("refresh token", r))
                            .transpose()?,
                    }),
                    client_id: o.client_id.clone(),
                    client_secret: o
                        .client_secret
                        .as_ref()
                        .map(|s| resolve("client secret", s))
                        .transpose()?,
                }
            }
            Auth::OAuth1(o) => Credentials::OAuth1 {
                consumer_key: resolve("consumer key", &o.consumer_key)?,
                consumer_secret: resolve("consumer secret", &o.consumer_secret)?,
                token: resolve("access token", &o.access_token)?,
                token_secret: resolve("access token secret", &o.access_token_secret)?,
            },
        };
        Ok(XPublisher {
            name: name.to_string(),
            tweets_url: format!("{base}/2/tweets"),
            token_url: format!("{base}/2/oauth2/token"),
            credentials,
            http,
        })
    }

    /// Posts the rendered parts: one post, or a thread where each part
    /// replies to the one before. The receipt is the first post's.
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
            let receipt = self
                .post_tweet(part, previous.as_deref())
                .await
                .map_err(|e| match &first {
                    // The thread is half-posted: say where it stopped.
                    Some(head) => e.map_message(|m| {
                        format!(
                            "thread part {}/{} failed after the parts before it were posted (first post {}): {m}",
                            index + 1,
                            parts.len(),
                            head.remote_id
                        )
                    }),
                    None => e,
                })?;
            previous = Some(receipt.remote_id.clone());
            first.get_or_insert(receipt);
        }
        first.ok_or_else(|| PublishError::Permanent("nothing to post".to_string()))
    }

    async fn post_tweet(
        &self,
        text: &str,
        in_reply_to: Option<&str>,
    ) -> Result<Receipt, PublishError> {
        let body = serde_json::to_vec(&NewTweet {
            text,
            reply: in_reply_to.map(|id| ReplyTo {
                in_reply_to_tweet_id: id,
            }),
        })
        .map_err(|e| PublishError::Permanent(format!("cannot encode the post: {e}")))?;
        let answer = self.send_tweet(&body).await?;
        if answer.status == StatusCode::UNAUTHORIZED && self.can_refresh().await {
            // A refused token posted nothing: refresh once, send once more.
            self.refresh(answer.bearer.as_ref()).await?;
            let again = self.send_tweet(&body).await?;
            return outcome(again, " (after refreshing the access token)");
        }
        outcome(answer, "")
    }

    async fn send_tweet(&self, body: &[u8]) -> Result<Answer, PublishError> {
        let (authorization, bearer) = match &self.credentials {
            Credentials::OAuth2 { tokens, .. } => {
                let access = tokens.lock().await.access.clone();
                (format!("Bearer {}", access.expose()), Some(access))
            }
            Credentials::OAuth1 {
                consumer_key,
                consumer_secret,
                token,
                token_secret,
            } => {
                let timestamp = Utc::now().timestamp().max(0).unsigned_abs();
                (
                    // A JSON body is not signed: only query and oauth_* parameters.
                    oauth1_header(
                        "POST",
                        &self.tweets_url,
                        &[],
                        consumer_key.expose(),
                        consumer_secret.expose(),
                        token.expose(),
                        token_secret.expose(),
                        &nonce(),
                        timestamp,
                    ),
                    None,
                )
            }
        };
        let response = self
            .http
            .client
            .post(&self.tweets_url)
            .header(reqwest::header::AUTHORIZATION, authorization)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| http::classify_transport(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .text()
            .await
            .map_err(|e| http::classify_transport(&e))?;
        Ok(Answer {
            status,
            headers,
            body,
            bearer,
        })
    }

    async fn can_refresh(&self) -> bool {
        match &self.credentials {
            Credentials::OAuth2 { tokens, .. } => tokens.lock().await.refresh.is_some(),
            Credentials::OAuth1 { .. } => false,
        }
    }

    /// Exchanges the refresh token for a new pair (`grant_type=refresh_token`,
    /// form-encoded, `client_id` in the body, HTTP Basic with the client
    /// secret for confidential clients) and keeps it in memory. Skipped when
    /// another publication refreshed since `refused` was sent.
    async fn refresh(&self, refused: Option<&Secret>) -> Result<(), PublishError> {
        let Credentials::OAuth2 {
            tokens,
            client_id,
            client_secret,
        } = &self.credentials
        else {
            return Ok(());
        };
        let mut tokens = tokens.lock().await;
        if refused.is_some_and(|r| *r != tokens.access) {
            return Ok(());
        }
        let failed = |m: String| {
            PublishError::Auth(format!(
                "X refused the access token (HTTP 401) and refreshing it failed: {m}"
            ))
        };
        let (Some(refresh), Some(client_id)) = (tokens.refresh.clone(), client_id.as_deref())
        else {
            return Err(failed("no refresh token or client id".to_string()));
        };
        let mut request = self.http.client.post(&self.token_url).form(&[
            ("refresh_token", refresh.expose()),
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
        ]);
        if let Some(secret) = client_secret {
            request = request.basic_auth(client_id, Some(secret.expose()));
        }
        let response = request
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
            let message = serde_json::from_str::<TokenError>(&text)
                .ok()
                .and_then(|e| e.error_description.or(e.error))
                .unwrap_or_else(|| excerpt(&text));
            return Err(
                match http::classify_status(status, &headers, &message, Utc::now()) {
                    // Waiting helps with these; nothing was posted.
                    e @ (PublishError::RateLimited { .. } | PublishError::Retryable(_)) => {
                        e.map_message(|m| format!("refreshing the X access token: {m}"))
                    }
                    _ => failed(format!(
                        "HTTP {}: {message}; replace the configured tokens",
                        status.as_u16()
                    )),
                },
            );
        }
        let answer: TokenAnswer = serde_json::from_str(&text)
            .map_err(|e| failed(format!("unexpected answer of the token endpoint: {e}")))?;
        tokens.access = Secret::new(answer.access_token);
        if let Some(new_refresh) = answer.refresh_token {
            tokens.refresh = Some(Secret::new(new_refresh));
        }
        Ok(())
    }

    /// Every credential value now held, to scrub from error messages.
    async fn secrets(&self) -> Vec<Secret> {
        match &self.credentials {
            Credentials::OAuth2 {
                tokens,
                client_secret,
                ..
            } => {
                let tokens = tokens.lock().await;
                let mut all = vec![tokens.access.clone()];
                all.extend(tokens.refresh.clone());
                all.extend(client_secret.clone());
                all
            }
            Credentials::OAuth1 {
                consumer_key,
                consumer_secret,
                token,
                token_secret,
            } => vec![
                consumer_key.clone(),
                consumer_secret.clone(),
                token.clone(),
                token_secret.clone(),
            ],
        }
    }

    async fn publish_scrubbed(&self, ctx: &PublishContext<'_>) -> Result<Receipt, PublishError> {
        match self.send(ctx).await {
            Ok(receipt) => Ok(receipt),
            Err(e) => {
                let secrets = self.secrets().await;
                Err(e.map_message(|m| {
                    secrets
                        .iter()
                        .fold(m.to_string(), |m, s| m.replace(s.expose(), "[redacted]"))
                }))
            }
        }
    }
}

/// What an answer of `POST /2/tweets` means.
fn outcome(answer: Answer, note: &str) -> Result<Receipt, PublishError> {
    if !answer.status.is_success() {
        let message = serde_json::from_str::<Problem>(&answer.body)
            .ok()
            .and_then(|p| {
                p.detail
                    .or(p.title)
                    .or_else(|| p.errors.into_iter().find_map(|e| e.message))
            })
            .unwrap_or_else(|| excerpt(&answer.body));
        if answer.status == StatusCode::FORBIDDEN && message.to_lowercase().contains("duplicate") {
            return Err(PublishError::Permanent(format!(
                "HTTP 403: {message} — X refuses a post whose text is identical to a recent one \
                 of the account, and has no idempotency key: this post may already be on X \
                 (an earlier attempt that timed out may have gone through); check the account \
                 before changing the text"
            )));
        }
        let message = format!("{message}{note}");
        return Err(http::classify_status(
            answer.status,
            &answer.headers,
            &message,
            Utc::now(),
        ));
    }
    let created: Created = serde_json::from_str(&answer.body).map_err(|e| {
        PublishError::Permanent(format!(
            "unexpected answer to a created post (HTTP {}; the post may be on X): {e}",
            answer.status.as_u16()
        ))
    })?;
    let id = created.data.id;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PublishError::Permanent(format!(
            "X answered a created post with the id `{}`, which is not a post id (the post may be on X)",
            excerpt(&id)
        )));
    }
    Ok(Receipt {
        url: Some(format!("https://x.com/i/web/status/{id}")),
        remote_id: id,
    })
}

fn excerpt(text: &str) -> String {
    text.chars().take(200).collect()
}

/// A nonce unique per request: the time, a counter and per-process random
/// state, hashed (X only asks that a nonce is not reused).
fn nonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    use std::hash::{BuildHasher, RandomState};
    let random = RandomState::new().hash_one(COUNTER.fetch_add(1, Ordering::Relaxed));
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let seed = format!(
        "{nanos}:{random}:{}:{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    hex(&Sha256::digest(seed.as_bytes()))[..32].to_string()
}

/// RFC 3986 percent-encoding as RFC 5849 §3.6 asks: everything but
/// `A–Z a–z 0–9 - . _ ~`, bytes of UTF-8, upper-case hex.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The `Authorization` header of an OAuth 1.0a request (RFC 5849, HMAC-SHA1),
/// as X's "Creating a signature" and "Authorizing a request" describe it.
/// `url` may carry a query; its parameters are signed with `params` (the
/// form-encoded body parameters, if any). A JSON body is not signed.
#[allow(clippy::too_many_arguments)] // every input of the signature, none hidden (no clock, no randomness)
pub fn oauth1_header(
    method: &str,
    url: &str,
    params: &[(&str, &str)],
    consumer_key: &str,
    consumer_secret: &str,
    token: &str,
    token_secret: &str,
    nonce: &str,
    timestamp: u64,
) -> String {
    // Base URL (§3.4.1.2): scheme and host lower case, default port dropped,
    // no query or fragment.
    let (base_url, query): (String, Vec<(String, String)>) = match reqwest::Url::parse(url) {
        Ok(u) => {
            let mut base = format!("{}://{}", u.scheme(), u.host_str().unwrap_or_default());
            if let Some(port) = u.port() {
                let _ = write!(base, ":{port}");
            }
            base.push_str(u.path());
            let query = u
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            (base, query)
        }
        Err(_) => (
            url.split(['?', '#']).next().unwrap_or(url).to_string(),
            Vec::new(),
        ),
    };
    let timestamp = timestamp.to_string();
    let oauth = [
        ("oauth_consumer_key", consumer_key),
        ("oauth_nonce", nonce),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", timestamp.as_str()),
        ("oauth_token", token),
        ("oauth_version", "1.0"),
    ];
    let mut signed: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (encode(k), encode(v)))
        .chain(params.iter().map(|(k, v)| (encode(k), encode(v))))
        .chain(oauth.iter().map(|(k, v)| (encode(k), encode(v))))
        .collect();
    signed.sort();
    let parameter_string = signed
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let base_string = format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        encode(&base_url),
        encode(&parameter_string)
    );
    let key = format!("{}&{}", encode(consumer_secret), encode(token_secret));
    // Invariant, not input: HMAC accepts keys of any length.
    let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(base_string.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let mut fields: Vec<(&str, &str)> = oauth.to_vec();
    fields.push(("oauth_signature", signature.as_str()));
    fields.sort();
    let fields: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}=\"{}\"", encode(k), encode(v)))
        .collect();
    format!("OAuth {}", fields.join(", "))
}

impl Publisher for XPublisher {
    fn name(&self) -> &str {
        &self.name
    }

    fn publish<'a>(
        &'a self,
        ctx: &'a PublishContext<'a>,
    ) -> BoxFuture<'a, Result<Receipt, PublishError>> {
        Box::pin(self.publish_scrubbed(ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_is_rfc_3986() {
        assert_eq!(
            encode("Hello Ladies + Gentlemen, a signed OAuth request!"),
            "Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21"
        );
        assert_eq!(encode("a-._~Z9"), "a-._~Z9");
        assert_eq!(encode("é☃"), "%C3%A9%E2%98%83");
    }

    #[test]
    fn nonces_differ() {
        let a = nonce();
        assert_eq!(a.len(), 32);
        assert_ne!(a, nonce());
    }

    #[test]
    fn yaml_takes_exactly_one_kind_of_credentials() {
        let two: Result<Settings, _> = serde_yaml::from_str(
            "oauth2: { access_token: env:A }\noauth1: { consumer_key: env:A, consumer_secret: env:B, access_token: env:C, access_token_secret: env:D }\n",
        );
        assert!(two.unwrap_err().to_string().contains("not both"));
        let none: Result<Settings, _> = serde_yaml::from_str("api_base: https://api.x.com\n");
        assert!(
            none.unwrap_err()
                .to_string()
                .contains("missing credentials")
        );
        let unknown: Result<Settings, _> =
            serde_yaml::from_str("oauth2: { access_token: env:A, scope: x }\n");
        assert!(unknown.unwrap_err().to_string().contains("unknown field"));
        let literal: Result<Settings, _> =
            serde_yaml::from_str("oauth2: { access_token: abc123secret }\n");
        assert!(!literal.unwrap_err().to_string().contains("abc123secret"));
    }
}
