//! One channel's publications in a cycle: limits and pauses, the claim, the
//! request, retries where they are safe, and the outcome in the ledger.
//!
//! Channels are independent, so the cycle runs one [`ChannelWork`] per
//! channel at the same time: a dead endpoint delays only its own channel.
//! Each works on shared references and writes what the daemon must change
//! (alerts, pauses, a disabled channel) into its [`ChannelLog`], which the
//! cycle applies afterwards.
//!
//! The rule that keeps a publication from going out twice: once an attempt
//! may have reached the platform (a timeout, a 5xx, a connection lost after
//! the request was sent), the publication is bound to its key for good. The
//! ledger records it (`ambiguous`), no later answer releases it or settles
//! it `failed`, and it ends `published` (a same-key retry or a read-back
//! found it) or `unknown` with an alert — unless a read-back made after the
//! request surely ended proves it absent (`reconcile`).

use super::CycleReport;
use crate::config::Channel;
use crate::ledger::{Claim, ClaimResult, Ledger, Outcome};
use crate::plan::Publication;
use crate::publish::{PublishContext, PublishError, Publisher, Receipt, Sent};
use crate::repo::Repo;
use crate::source::Snapshot;
use crate::{publish, render};
use anyhow::{Result, bail};
use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::time::Duration;
use tracing::{error, info, warn};

/// Tries of one publication in one cycle when a retry is safe.
pub(super) const MAX_ATTEMPTS: u32 = 3;

/// How long a channel rests after a failure that certainly posted nothing
/// (a feed file that cannot be written, an image the platform refused
/// before the post) before the publication is tried again, within catch-up.
const NOT_POSTED_REST: TimeDelta = TimeDelta::seconds(30);

/// Exponential backoff with jitter: 1 s, 2 s, … plus up to half a second,
/// the jitter derived from the key so that channels do not retry in step.
pub(super) fn backoff(attempt: u32, key: &str) -> Duration {
    let jitter = Sha256::digest(format!("{key}#{attempt}").as_bytes())[0] as u64 * 2;
    Duration::from_millis(1000 * 2u64.pow(attempt - 1) + jitter)
}

/// What one channel's work in a cycle leaves for the daemon to apply.
#[derive(Debug, Default)]
pub(super) struct ChannelLog {
    pub report: CycleReport,
    /// Alerts to raise: event, subject, message.
    pub alerts: Vec<(&'static str, String, String)>,
    /// Messages logged once: their keys join `Daemon::reported`.
    pub reported: HashSet<String>,
    /// Leave the channel alone until then (rate limited, or resting).
    pub pause: Option<DateTime<Utc>>,
    /// The channel cannot work any more (credentials rejected): why.
    pub disable: Option<String>,
    /// A publication was left `sending`, to be read back.
    pub readback: bool,
    /// A publication was released: plan the whole catch-up again.
    pub released: bool,
}

impl ChannelLog {
    /// Whether the message `key` is new: each is logged once.
    pub fn first_time(&mut self, seen: &HashSet<String>, key: String) -> bool {
        !seen.contains(&key) && self.reported.insert(key)
    }

    pub fn alert(&mut self, event: &'static str, subject: &str, message: String) {
        self.alerts.push((event, subject.to_string(), message));
    }
}

/// One channel's share of a cycle.
pub(super) struct ChannelWork<'a> {
    pub name: &'a str,
    pub channel: Option<&'a Channel>,
    pub publisher: Option<&'a Result<Box<dyn Publisher>, String>>,
    pub ledger: Option<&'a Ledger>,
    pub repo: &'a Repo,
    pub dry_run: bool,
    /// Messages already logged (`Daemon::reported`).
    pub seen: &'a HashSet<String>,
    /// The channel is rate limited (or resting) until then.
    pub paused_until: Option<DateTime<Utc>>,
    /// The ledger was new at this instant (the start) and nobody said it
    /// should be: a publication that may have gone out before then under
    /// another ledger is looked for on its channel first.
    pub fresh_until: Option<DateTime<Utc>>,
    pub log: ChannelLog,
}

impl ChannelWork<'_> {
    fn held(&mut self, unique: String, alert_subject: &str, message: String) {
        self.log.report.held += 1;
        if self.log.first_time(self.seen, unique) {
            error!(channel = %self.name, "held: {message}");
            self.log.alert("held", alert_subject, message);
        }
    }

    /// Sends `p`, or says why it waits.
    pub async fn deliver(&mut self, p: &Publication) -> Result<()> {
        let key = p.key();
        let (Some(post_id), true) = (&p.post, p.blocked.is_empty()) else {
            self.log.report.held_by_checks += 1;
            let slot = format!("{}@{}", p.channel, p.at.to_rfc3339());
            self.held(
                format!("held:{key}:{slot}"),
                &key,
                format!("Publication {key} is held: {}", p.blocked.join("; ")),
            );
            return Ok(());
        };
        let (Some(post), Some(channel)) = (self.repo.post(post_id), self.channel) else {
            return Ok(());
        };
        let rendered = render::render(post, channel);
        if rendered.too_long() {
            self.log.report.held_by_checks += 1;
            self.held(
                format!("long:{key}"),
                &key,
                format!(
                    "Publication {key} is held: too long for the channel ({} characters, it takes {}).",
                    rendered.length,
                    rendered.limit.unwrap_or(0)
                ),
            );
            return Ok(());
        }
        if self.dry_run {
            self.log.report.would_publish += 1;
            if self.log.first_time(self.seen, format!("dry:{key}")) {
                info!(key = %key, channel = %p.channel, post = %post_id, "dry run: would publish");
            }
            return Ok(());
        }
        if let Some(until) = self.paused_until.filter(|until| *until > Utc::now()) {
            self.log.report.held += 1;
            if self
                .log
                .first_time(self.seen, format!("paused:{key}:{until}"))
            {
                info!(key = %key, channel = %p.channel, "waiting for the channel until {}", until.to_rfc3339());
            }
            return Ok(());
        }
        let publisher = match self.publisher {
            Some(Ok(publisher)) => publisher.as_ref(),
            Some(Err(reason)) => {
                self.log.report.channel_problems += 1;
                let message = format!("Channel {} cannot work: {reason}", p.channel);
                self.held(format!("channel:{key}"), &p.channel, message);
                return Ok(());
            }
            None => bail!("no publisher for channel {}", p.channel),
        };
        // The image comes from the same commit as the post.
        let image = match load_image(&self.repo.snapshot, post) {
            Ok(image) => image,
            Err(reason) => {
                self.log.report.held_by_checks += 1;
                self.held(
                    format!("image:{key}"),
                    &key,
                    format!("Publication {key} is held: {reason}"),
                );
                return Ok(());
            }
        };
        let Some(ledger) = self.ledger else {
            bail!("no ledger open");
        };
        if self.waits_for_limits(ledger, channel, &key).await? {
            return Ok(());
        }
        let claim = Claim {
            key: key.clone(),
            post: post_id.clone(),
            channel: p.channel.clone(),
            schedule: p.schedule.clone(),
            at: p.at,
            content_hash: content_hash(&post.hash, &rendered.text),
            commit: self.repo.snapshot.commit().map(String::from),
            fingerprint: publisher.fingerprint(&rendered),
        };
        // A news item goes out at its time; a tip may have gone out at an
        // earlier slot within catch-up under the lost ledger (the rotation
        // starts again without it), even for a slot after the start.
        let since = match p.schedule {
            Some(_) => p.at - p.catch_up,
            None => p.at,
        };
        if self.fresh_until.is_some_and(|start| since <= start)
            && !self
                .absent_before_new_ledger(ledger, publisher, &claim, since)
                .await?
        {
            return Ok(());
        }
        if ledger.claim(&claim, Utc::now()).await? == ClaimResult::AlreadyRecorded {
            return Ok(());
        }
        let ctx = PublishContext {
            image: image.as_ref(),
            key: &key,
            post,
            rendered: &rendered,
            at: p.at,
        };
        self.send(ledger, publisher, &ctx, claim.fingerprint.as_deref())
            .await
    }

    /// The channel's own limits: wait (within catch-up) rather than exceed them.
    async fn waits_for_limits(
        &mut self,
        ledger: &Ledger,
        channel: &Channel,
        key: &str,
    ) -> Result<bool> {
        let limits = channel.limits;
        if limits.max_per_day.is_none() && limits.min_gap.is_none() {
            return Ok(false);
        }
        let now = Utc::now();
        let (today, last) = ledger
            .sent_since(&channel.name, now - TimeDelta::days(1))
            .await?;
        let over_day = limits
            .max_per_day
            .is_some_and(|max| today >= i64::from(max));
        let too_soon = limits
            .min_gap
            .zip(last)
            .is_some_and(|(gap, last)| now - last < gap);
        if !(over_day || too_soon) {
            return Ok(false);
        }
        self.log.report.held += 1;
        if self.log.first_time(self.seen, format!("limit:{key}")) {
            let why = if over_day {
                "max_per_day reached"
            } else {
                "min_gap not yet passed"
            };
            info!(key = %key, channel = %channel.name, "waiting: the channel's {why}");
        }
        Ok(true)
    }

    /// On a new ledger, a publication due before the start may have gone
    /// out under the ledger that was lost. Answers whether it may be sent:
    /// the channel is read back first (posts since `since`); found there,
    /// it is recorded as published and not sent; where the channel cannot
    /// be read back, it is held and an operator alerted.
    async fn absent_before_new_ledger(
        &mut self,
        ledger: &Ledger,
        publisher: &dyn Publisher,
        claim: &Claim,
        since: DateTime<Utc>,
    ) -> Result<bool> {
        let key = &claim.key;
        if !publisher.can_look_up() {
            self.log.report.channel_problems += 1;
            self.held(
                format!("new-ledger:{key}"),
                self.name,
                format!(
                    "The ledger is new, and channel {} cannot be read back to tell whether {key} went out before; it is held. If the ledger is meant to be new, run with --new-ledger.",
                    self.name
                ),
            );
            return Ok(false);
        }
        let taken = ledger.remote_ids_since(self.name, since, key).await?;
        let sent = Sent {
            key,
            claimed_at: since,
            fingerprint: claim.fingerprint.as_deref(),
            taken: &taken,
        };
        match publisher
            .lookup(&sent)
            .await
            .map_err(PublishError::scrubbed)
        {
            Ok(None) => Ok(true),
            Ok(Some(receipt)) => {
                if ledger.claim(claim, Utc::now()).await? == ClaimResult::Claimed {
                    let published = Outcome::Published {
                        remote_id: receipt.remote_id,
                        url: receipt.url,
                    };
                    ledger.settle(key, &published, Utc::now()).await?;
                    self.log.report.published += 1;
                    warn!(key = %key, channel = %self.name, "already on the channel (the ledger is new): recorded as published, not sent again");
                }
                Ok(false)
            }
            Err(error) => {
                self.log.report.channel_problems += 1;
                self.held(
                    format!("new-ledger:{key}:{error}"),
                    self.name,
                    format!(
                        "The ledger is new, and channel {} could not be read back ({error}) to tell whether {key} went out before; held, and tried again next cycle.",
                        self.name
                    ),
                );
                Ok(false)
            }
        }
    }

    /// The request and its retries, and the outcome in the ledger.
    async fn send(
        &mut self,
        ledger: &Ledger,
        publisher: &dyn Publisher,
        ctx: &PublishContext<'_>,
        fingerprint: Option<&str>,
    ) -> Result<()> {
        let key = ctx.key;
        let channel = self.name;
        // Whether an attempt may have reached the platform.
        let mut ambiguous = false;
        let mut attempt = 1;
        let error = loop {
            let error = match publisher.publish(ctx).await.map_err(PublishError::scrubbed) {
                Ok(receipt) => {
                    self.log.report.published += 1;
                    info!(key = %key, channel = %channel, remote_id = %receipt.remote_id, "published");
                    let published = Outcome::Published {
                        remote_id: receipt.remote_id,
                        url: receipt.url,
                    };
                    return ledger.settle(key, &published, Utc::now()).await;
                }
                Err(error) => error,
            };
            if error.may_have_posted() && !ambiguous {
                ambiguous = true;
                ledger.mark_ambiguous(key).await?;
            }
            // A retry is safe when nothing reached the platform, or when the
            // platform cannot post the same publication twice.
            let safe = error.never_sent() || publisher.idempotent();
            let temporary = matches!(
                error,
                PublishError::Retryable(_) | PublishError::NotPosted(_)
            );
            if !(temporary && safe && attempt < MAX_ATTEMPTS) {
                break error;
            }
            let wait = backoff(attempt, key);
            warn!(key = %key, attempt, "publish failed ({error}); trying again in {} ms", wait.as_millis());
            tokio::time::sleep(wait).await;
            attempt += 1;
            ledger.bump_attempts(key, Utc::now()).await?;
        };
        let now = Utc::now();
        match &error {
            PublishError::RateLimited { reset, .. } => {
                // Leave the channel alone until the reset; catch-up still applies.
                let until = reset.unwrap_or_else(|| now + TimeDelta::seconds(60));
                self.log.pause = Some(until);
                self.log.report.held += 1;
                warn!(key = %key, channel = %channel, "rate limited until {}: {error}", until.to_rfc3339());
                if ambiguous {
                    self.keep_for_read_back(publisher, key, &error);
                } else {
                    ledger.release(key).await?;
                }
            }
            PublishError::Auth(_) => {
                error!(channel = %channel, "credentials rejected: {error}; the channel's posts are held until the configuration is reloaded");
                self.log.alert("credentials", channel, format!("Channel {channel}: credentials rejected ({error}); its posts are held until the configuration is reloaded."));
                self.log.disable = Some(format!("credentials rejected: {error}"));
                self.log.report.channel_problems += 1;
                if ambiguous {
                    self.keep_for_read_back(publisher, key, &error);
                } else {
                    ledger
                        .settle(
                            key,
                            &Outcome::Failed {
                                error: error.to_string(),
                            },
                            now,
                        )
                        .await?;
                    self.log.report.failed += 1;
                }
            }
            PublishError::NotPosted(_) if !ambiguous => {
                // Certainly not published: try again later, within catch-up.
                ledger.release(key).await?;
                self.log.released = true;
                self.log.pause = Some(now + NOT_POSTED_REST);
                self.log.report.held += 1;
                self.log.report.channel_problems += 1;
                error!(key = %key, channel = %channel, "not published: {error}; trying again in {} s, within catch-up", NOT_POSTED_REST.num_seconds());
                self.log.alert("failed", key, format!("Publication {key} did not go out ({error}); it is tried again within catch-up."));
            }
            PublishError::Retryable(_) | PublishError::NoAnswer(_) | PublishError::NotPosted(_)
                if publisher.can_look_up() =>
            {
                // The post may exist: read the channel back once the request
                // has surely ended (`reconcile`).
                self.log.report.held += 1;
                self.keep_for_read_back(publisher, key, &error);
            }
            PublishError::Duplicate(_) => {
                // The text is on the account already: an earlier attempt
                // went through, or a person posted it. Recorded as
                // published when the channel shows it; else a person looks.
                match self
                    .already_there(ledger, publisher, key, fingerprint)
                    .await
                {
                    Some(receipt) => {
                        warn!(key = %key, channel = %channel, remote_id = %receipt.remote_id, "the channel refused a duplicate ({error}); the post already there is recorded as this publication");
                        self.log.report.published += 1;
                        let published = Outcome::Published {
                            remote_id: receipt.remote_id,
                            url: receipt.url,
                        };
                        ledger.settle(key, &published, now).await?;
                    }
                    None => {
                        error!(key = %key, channel = %channel, "the channel refused a duplicate ({error}) and does not show which post it is; check the channel and run `healthcast resolve`");
                        let why = format!(
                            "the channel refused it as a duplicate of a post it already shows ({error})"
                        );
                        self.give_to_a_person(ledger, key, &error, &why).await?;
                    }
                }
            }
            PublishError::Permanent(_) if !ambiguous => {
                self.log.report.failed += 1;
                error!(key = %key, channel = %channel, "publish failed: {error}");
                self.log
                    .alert("failed", key, format!("Publication {key} failed: {error}"));
                ledger
                    .settle(
                        key,
                        &Outcome::Failed {
                            error: error.to_string(),
                        },
                        now,
                    )
                    .await?;
            }
            _ => {
                // An earlier attempt may have posted it, and the channel
                // cannot be read back: a person decides.
                error!(key = %key, channel = %channel, "outcome unknown: {error}; check the channel and run `healthcast resolve`");
                let why =
                    format!("outcome unknown ({error}); an attempt may have reached the channel");
                self.give_to_a_person(ledger, key, &error, &why).await?;
            }
        }
        Ok(())
    }

    /// Settles `key` as `unknown`, for a person, with an alert saying `why`.
    async fn give_to_a_person(
        &mut self,
        ledger: &Ledger,
        key: &str,
        error: &PublishError,
        why: &str,
    ) -> Result<()> {
        self.log.report.unknown += 1;
        self.log.alert(
            "unknown",
            key,
            format!("Publication {key}: {why}. Check it, then `healthcast resolve {key} published|failed`."),
        );
        let unknown = Outcome::Unknown {
            error: error.to_string(),
        };
        ledger.settle(key, &unknown, Utc::now()).await
    }

    /// The post a platform that refused a duplicate already shows: looked
    /// for over the last day, among posts no other publication holds.
    async fn already_there(
        &self,
        ledger: &Ledger,
        publisher: &dyn Publisher,
        key: &str,
        fingerprint: Option<&str>,
    ) -> Option<Receipt> {
        if !publisher.can_look_up() {
            return None;
        }
        let since = Utc::now() - TimeDelta::days(1);
        let taken = ledger.remote_ids_since(self.name, since, key).await.ok()?;
        let sent = Sent {
            key,
            claimed_at: since,
            fingerprint,
            taken: &taken,
        };
        publisher.lookup(&sent).await.ok().flatten()
    }

    /// Leaves an ambiguous publication `sending`, bound to its key, for the
    /// read-back once its request has surely ended.
    fn keep_for_read_back(&mut self, publisher: &dyn Publisher, key: &str, error: &PublishError) {
        self.log.readback = true;
        self.log.report.unconfirmed += 1;
        if publisher.can_look_up() {
            warn!(key = %key, channel = %self.name, "an attempt may have reached the channel ({error}); the publication keeps its claim and is read back once its request has surely ended");
        } else {
            warn!(key = %key, channel = %self.name, "an attempt may have reached the channel ({error}); the publication keeps its claim and goes to a person");
        }
    }
}

/// The post's image from `snapshot`, or why it cannot be read: validated by
/// the same function as `check` (inside the repository, symlinks resolved,
/// type by its bytes), so a post whose check was skipped cannot upload a
/// file from outside the repository either.
pub(super) fn load_image(
    snapshot: &Snapshot,
    post: &crate::content::Post,
) -> Result<Option<publish::Image>, String> {
    let Some(image) = &post.meta.image else {
        return Ok(None);
    };
    let file = crate::content::image::Images::new(snapshot)
        .open(&image.path, true)
        .map_err(|p| {
            let at = post.value_span(&["image", "path"]);
            format!(
                "{} ({}:{}:{}, {})",
                p.message, post.file, at.line, at.column, p.code
            )
        })?;
    Ok(Some(publish::Image {
        bytes: file.bytes,
        mime: file.mime,
        alt: image.alt.clone().unwrap_or_default(),
        file_name: image
            .path
            .rsplit('/')
            .next()
            .unwrap_or(&image.path)
            .to_string(),
    }))
}

/// What was sent: the post file and the text as rendered for the channel.
pub(super) fn content_hash(post_hash: &str, text: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(post_hash.as_bytes());
    hasher.update([0]);
    hasher.update(text.as_bytes());
    crate::content::hex(&hasher.finalize())
}
