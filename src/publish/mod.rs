//! Publishing: one [`Publisher`] per platform, built from a channel's
//! settings. A publisher sends one rendered post and returns where it went;
//! errors are classified so that the daemon knows whether a retry is safe.

pub mod bluesky;
pub mod discord;
pub mod facebook;
pub mod feed;
pub mod http;
pub mod linkedin;
pub mod mastodon;
pub mod slack;
pub mod teams;
pub mod telegram;
pub mod threads;
pub mod webhook;
pub mod x;

use crate::config::{Channel, ChannelSettings};
use crate::content::Post;
use crate::render::Rendered;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where a publication went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub remote_id: String,
    pub url: Option<String>,
}

/// Why a publication did not go out. The daemon branches on the variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// The request failed in a way that may pass; whether the post was
    /// created is not known (a timeout, a 5xx), so only platforms that cannot
    /// post twice send it again at once.
    #[error("temporary failure: {0}")]
    Retryable(String),
    /// The request went out and no answer came back (a timeout, a
    /// connection lost mid-request, a gateway that gave up): the platform
    /// may have created the post, and may still be creating it. Nothing is
    /// sent again, not even with the same idempotency key (a platform may
    /// honour the key only once the first request has finished), before a
    /// read-back after the channel's `readback_after`.
    #[error("no answer: {0}")]
    NoAnswer(String),
    /// Certainly nothing was posted: the connection was never made, or a
    /// step before the post (an image upload) failed. Sending again is safe
    /// on any platform.
    #[error("nothing was posted: {0}")]
    NotPosted(String),
    /// The platform asks us to wait.
    #[error("rate limited until {}: {message}", reset.map_or("unknown".to_string(), |r| r.to_rfc3339()))]
    RateLimited {
        reset: Option<DateTime<Utc>>,
        message: String,
    },
    /// Credentials are missing, wrong or expired: a person must act.
    #[error("authentication failed: {0}")]
    Auth(String),
    /// The platform refused the post; sending it again will not help.
    #[error("{0}")]
    Permanent(String),
    /// The platform refused the post as a duplicate of one the account
    /// already shows (X's 403 "duplicate content"): an earlier attempt may
    /// have gone through. The daemon looks for it before deciding.
    #[error("refused as a duplicate: {0}")]
    Duplicate(String),
}

impl PublishError {
    /// The same error with any secret value the process holds redacted
    /// (platforms sometimes repeat credentials in their error messages).
    pub fn scrubbed(self) -> PublishError {
        self.map_message(crate::secret::scrub)
    }

    /// The same error, its message rewritten by `f`.
    pub fn map_message(self, f: impl Fn(&str) -> String) -> PublishError {
        match self {
            PublishError::Retryable(m) => PublishError::Retryable(f(&m)),
            PublishError::NoAnswer(m) => PublishError::NoAnswer(f(&m)),
            PublishError::NotPosted(m) => PublishError::NotPosted(f(&m)),
            PublishError::RateLimited { reset, message } => PublishError::RateLimited {
                reset,
                message: f(&message),
            },
            PublishError::Auth(m) => PublishError::Auth(f(&m)),
            PublishError::Permanent(m) => PublishError::Permanent(f(&m)),
            PublishError::Duplicate(m) => PublishError::Duplicate(f(&m)),
        }
    }

    /// Nothing was posted, so sending again is safe on any platform.
    pub fn never_sent(&self) -> bool {
        matches!(self, PublishError::NotPosted(_))
    }

    /// The request may have created the post: a server error, or no answer.
    pub fn may_have_posted(&self) -> bool {
        matches!(self, PublishError::Retryable(_) | PublishError::NoAnswer(_))
    }
}

/// One publication, as handed to a publisher.
pub struct PublishContext<'a> {
    /// The ledger key: deterministic, usable as an idempotency key.
    pub key: &'a str,
    pub post: &'a Post,
    pub rendered: &'a Rendered,
    /// The slot instant.
    pub at: DateTime<Utc>,
    /// The post's image, read from the same commit as the post.
    pub image: Option<&'a Image>,
}

/// A publication as the ledger recorded it when claiming, for looking it up
/// on the platform afterwards.
#[derive(Debug, Clone, Copy)]
pub struct Sent<'a> {
    pub key: &'a str,
    /// When the publication was claimed: a post found on the platform must
    /// have been created after this (less the clocks' skew).
    pub claimed_at: DateTime<Utc>,
    /// What [`Publisher::fingerprint`] answered at claim time.
    pub fingerprint: Option<&'a str>,
    /// Remote ids the ledger already gives to other publications on the
    /// channel: a post with the same text among them is not this one (a
    /// tip repeated soon after, say).
    pub taken: &'a [String],
}

impl<'a> Sent<'a> {
    /// A publication known only by its key (platforms that look up by key).
    pub fn key(key: &'a str) -> Sent<'a> {
        Sent {
            key,
            claimed_at: DateTime::<Utc>::MIN_UTC,
            fingerprint: None,
            taken: &[],
        }
    }

    /// Whether the post `remote_id` is recorded for another publication.
    pub fn is_taken(&self, remote_id: &str) -> bool {
        self.taken.iter().any(|t| t == remote_id)
    }
}

/// The fingerprint of a text: SHA-256, hex. Platforms normalise the text
/// first, the same way when sending and when reading back.
pub fn fingerprint_of(text: &str) -> String {
    use sha2::{Digest, Sha256};
    crate::content::hex(&Sha256::digest(text.as_bytes()))
}

/// A post's text as a read-back fingerprint sees it, the same on both
/// sides (sent and read back): CRLF as LF, NFC, without surrounding
/// whitespace.
pub fn read_back_text(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.replace("\r\n", "\n").trim().nfc().collect()
}

/// The fingerprint of [`read_back_text`], or `None` when there is no text
/// to recognise a post by.
pub fn text_fingerprint(text: &str) -> Option<String> {
    let text = read_back_text(text);
    (!text.is_empty()).then(|| fingerprint_of(&text))
}

/// An image to attach, with its alt text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub bytes: Vec<u8>,
    /// `image/png`, `image/jpeg`, `image/gif` or `image/webp`.
    pub mime: &'static str,
    pub alt: String,
    pub file_name: String,
}

impl Image {
    /// The media type of an image file by its extension; `None` for a type
    /// the platforms do not all accept.
    pub fn mime_for(path: &str) -> Option<&'static str> {
        let lower = path.to_ascii_lowercase();
        let ext = lower.rsplit('.').next()?;
        Some(match ext {
            "png" => "image/png",
            "jpg" | "jpeg" => "image/jpeg",
            "gif" => "image/gif",
            "webp" => "image/webp",
            _ => return None,
        })
    }
}

pub trait Publisher: Send + Sync {
    /// The channel name.
    fn name(&self) -> &str;

    fn publish<'a>(
        &'a self,
        ctx: &'a PublishContext<'a>,
    ) -> BoxFuture<'a, Result<Receipt, PublishError>>;

    /// Whether sending the same publication again cannot post it twice (an
    /// idempotency key, a deterministic record key, or a file we can read).
    /// Only then does the daemon retry after a failure that may have reached
    /// the platform.
    fn idempotent(&self) -> bool {
        false
    }

    /// Whether [`Publisher::lookup`] can tell if a publication is on the
    /// platform. Where it cannot, a publication whose attempt may have
    /// reached the platform goes to a person, and on a new ledger the
    /// publications due before the start are held.
    fn can_look_up(&self) -> bool {
        false
    }

    /// Whether this process itself writes the publication (a file): then no
    /// request can still be running anywhere once the process is gone.
    fn writes_locally(&self) -> bool {
        false
    }

    /// The platform's length limit as the account's server states it, for
    /// channels whose limit is not configured (a Mastodon instance's
    /// `max_characters`). `Ok(None)`: nothing to learn.
    fn discover_limit(&self) -> BoxFuture<'_, Result<Option<usize>, PublishError>> {
        Box::pin(async { Ok(None) })
    }

    /// For platforms without idempotency that can read recent posts back:
    /// a fingerprint of what the first post will look like when read back
    /// (a hash of its text after the platform's own rewriting, such as X
    /// shortening links). Stored in the ledger at claim time, so that
    /// [`Publisher::lookup`] can recognise the post after a lost answer or a
    /// crash. `None`: the platform cannot read back.
    fn fingerprint(&self, rendered: &Rendered) -> Option<String> {
        let _ = rendered;
        None
    }

    /// After a crash or a lost answer between claim and outcome: is the
    /// publication on the platform? `Ok(None)` means "certainly not there";
    /// platforms that cannot tell answer `Err` and the ledger marks the
    /// publication `unknown` for a person.
    fn lookup<'a>(
        &'a self,
        sent: &'a Sent<'a>,
    ) -> BoxFuture<'a, Result<Option<Receipt>, PublishError>> {
        let _ = sent;
        Box::pin(async {
            Err(PublishError::Permanent(
                "this platform cannot look publications up".into(),
            ))
        })
    }
}

/// The registry: a publisher for `channel`; paths are relative to `root`.
/// Fails when the channel cannot work (a secret is missing, say), naming why.
pub fn publisher_for(channel: &Channel, root: &Path) -> Result<Box<dyn Publisher>, String> {
    let name = channel.name.as_str();
    // Invariant: the configuration only takes positive durations.
    let timeout = channel.limits.timeout().to_std().unwrap_or_default();
    let http = || http::HttpCore::new(timeout);
    Ok(match &channel.settings {
        ChannelSettings::Feed(settings) => Box::new(feed::FeedPublisher::new(name, settings, root)),
        ChannelSettings::Mastodon(settings) => {
            Box::new(mastodon::MastodonPublisher::new(name, settings, http()?)?)
        }
        ChannelSettings::Bluesky(settings) => {
            Box::new(bluesky::BlueskyPublisher::new(name, settings, http()?)?)
        }
        ChannelSettings::Linkedin(settings) => {
            Box::new(linkedin::LinkedInPublisher::new(name, settings, http()?)?)
        }
        ChannelSettings::Facebook(settings) => {
            Box::new(facebook::FacebookPublisher::new(name, settings, http()?)?)
        }
        ChannelSettings::Telegram(settings) => {
            Box::new(telegram::TelegramPublisher::new(name, settings, http()?)?)
        }
        ChannelSettings::Slack(settings) => {
            Box::new(slack::SlackPublisher::new(name, settings, http()?)?)
        }
        ChannelSettings::Discord(settings) => {
            Box::new(discord::DiscordPublisher::new(name, settings, http()?)?)
        }
        ChannelSettings::Teams(settings) => {
            Box::new(teams::TeamsPublisher::new(name, settings, http()?)?)
        }
        ChannelSettings::X(settings) => Box::new(x::XPublisher::new(name, settings, http()?)?),
        ChannelSettings::Threads(settings) => {
            Box::new(threads::ThreadsPublisher::new(name, settings, http()?)?)
        }
        ChannelSettings::Webhook(settings) => {
            Box::new(webhook::WebhookPublisher::new(name, settings, http()?)?)
        }
    })
}
