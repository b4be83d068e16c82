//! One publication: limits and pauses, the claim, the request, retries
//! where they are safe, and the outcome in the ledger.

use super::*;

/// Tries of one publication in one cycle when a retry is safe.
pub(super) const MAX_ATTEMPTS: u32 = 3;

/// Exponential backoff with jitter: 1 s, 2 s, … plus up to half a second,
/// the jitter derived from the key so that channels do not retry in step.
pub(super) fn backoff(attempt: u32, key: &str) -> Duration {
    let jitter = Sha256::digest(format!("{key}#{attempt}").as_bytes())[0] as u64 * 2;
    Duration::from_millis(1000 * 2u64.pow(attempt - 1) + jitter)
}

impl Daemon {
    pub(super) async fn handle(&mut self, p: &Publication, report: &mut CycleReport) -> Result<()> {
        let key = p.key();
        let slot = format!("{}@{}", p.channel, p.at.to_rfc3339());
        let (Some(post_id), true) = (&p.post, p.blocked.is_empty()) else {
            report.held += 1;
            if self.reported.insert(format!("held:{key}:{slot}")) {
                error!(key = %key, reasons = %p.blocked.join("; "), "held: not published");
                self.alerts.raise(
                    Utc::now(),
                    "held",
                    &key,
                    format!("Publication {key} is held: {}", p.blocked.join("; ")),
                );
            }
            return Ok(());
        };
        let Some(config) = self.repo.config.as_ref() else {
            return Ok(());
        };
        let (Some(post), Some(channel)) =
            (self.repo.post(post_id), config.channels.get(&p.channel))
        else {
            return Ok(());
        };
        let rendered = render::render(post, channel);
        if rendered.too_long() {
            report.held += 1;
            if self.reported.insert(format!("long:{key}")) {
                error!(key = %key, length = rendered.length, limit = rendered.limit, "held: too long for the channel");
                self.alerts.raise(
                    Utc::now(),
                    "held",
                    &key,
                    format!(
                        "Publication {key} is held: {} characters, the channel takes {}.",
                        rendered.length,
                        rendered.limit.unwrap_or(0)
                    ),
                );
            }
            return Ok(());
        }
        if self.options.dry_run {
            report.would_publish += 1;
            if self.reported.insert(format!("dry:{key}")) {
                info!(key = %key, channel = %p.channel, post = %post_id, "dry run: would publish");
            }
            return Ok(());
        }
        if let Some(until) = self
            .paused
            .get(&p.channel)
            .filter(|until| **until > Utc::now())
        {
            report.held += 1;
            if self.reported.insert(format!("paused:{key}:{until}")) {
                info!(key = %key, channel = %p.channel, "waiting for the channel's rate limit until {}", until.to_rfc3339());
            }
            return Ok(());
        }
        let publisher = match self.publishers.get(&p.channel) {
            Some(Ok(publisher)) => publisher,
            Some(Err(reason)) => {
                report.held += 1;
                if self.reported.insert(format!("channel:{key}")) {
                    error!(key = %key, channel = %p.channel, "held: the channel cannot work: {reason}");
                    self.alerts.raise(
                        Utc::now(),
                        "held",
                        &p.channel,
                        format!("Channel {} cannot work: {reason}", p.channel),
                    );
                }
                return Ok(());
            }
            None => bail!("no publisher for channel {}", p.channel),
        };
        // The image comes from the same commit as the post.
        let image = match load_image(&self.repo.snapshot, post) {
            Ok(image) => image,
            Err(reason) => {
                report.held += 1;
                if self.reported.insert(format!("image:{key}")) {
                    error!(key = %key, "held: {reason}");
                    self.alerts.raise(
                        Utc::now(),
                        "held",
                        &key,
                        format!("Publication {key} is held: {reason}"),
                    );
                }
                return Ok(());
            }
        };
        let Some(ledger) = &self.ledger else {
            bail!("no ledger open");
        };
        // The channel's own limits: wait (within catch-up) rather than exceed them.
        let limits = channel.limits;
        if limits.max_per_day.is_some() || limits.min_gap.is_some() {
            let now = Utc::now();
            let (today, last) = ledger
                .sent_since(&p.channel, now - TimeDelta::days(1))
                .await?;
            let over_day = limits
                .max_per_day
                .is_some_and(|max| today >= i64::from(max));
            let too_soon = limits
                .min_gap
                .zip(last)
                .is_some_and(|(gap, last)| now - last < gap);
            if over_day || too_soon {
                report.held += 1;
                if self.reported.insert(format!("limit:{key}")) {
                    let why = if over_day {
                        "max_per_day reached"
                    } else {
                        "min_gap not yet passed"
                    };
                    info!(key = %key, channel = %p.channel, "waiting: the channel's {why}");
                }
                return Ok(());
            }
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
        let mut attempt = 1;
        let outcome = loop {
            let error = match publisher
                .publish(&ctx)
                .await
                .map_err(PublishError::scrubbed)
            {
                Ok(receipt) => {
                    report.published += 1;
                    info!(key = %key, channel = %p.channel, remote_id = %receipt.remote_id, "published");
                    break Outcome::Published {
                        remote_id: receipt.remote_id,
                        url: receipt.url,
                    };
                }
                Err(error) => error,
            };
            // A retry is safe when nothing reached the platform, or when the
            // platform cannot post the same publication twice.
            let safe = error.never_sent() || publisher.idempotent();
            match &error {
                PublishError::Retryable(_) | PublishError::NotPosted(_)
                    if safe && attempt < MAX_ATTEMPTS =>
                {
                    let wait = backoff(attempt, &key);
                    warn!(key = %key, attempt, "publish failed ({error}); trying again in {} ms", wait.as_millis());
                    tokio::time::sleep(wait).await;
                    ledger.bump_attempts(&key).await?;
                    attempt += 1;
                }
                PublishError::RateLimited { reset, .. } => {
                    // A 429 was not accepted: release the claim and leave the
                    // channel alone until the reset; catch-up still applies.
                    let until = reset.unwrap_or_else(|| Utc::now() + TimeDelta::seconds(60));
                    warn!(key = %key, channel = %p.channel, "rate limited until {}: {error}", until.to_rfc3339());
                    self.paused.insert(p.channel.clone(), until);
                    ledger.release(&key).await?;
                    report.held += 1;
                    return Ok(());
                }
                PublishError::Auth(_) => {
                    report.failed += 1;
                    error!(channel = %p.channel, "credentials rejected: {error}; the channel's posts are held until the configuration is reloaded");
                    self.alerts.raise(Utc::now(), "credentials", &p.channel, format!("Channel {}: credentials rejected ({error}); its posts are held until the configuration is reloaded.", p.channel));
                    self.publishers.insert(
                        p.channel.clone(),
                        Err(format!("credentials rejected: {error}")),
                    );
                    break Outcome::Failed {
                        error: error.to_string(),
                    };
                }
                PublishError::Retryable(_) if !safe && claim.fingerprint.is_some() => {
                    // The post may exist: read the channel back once the
                    // request has surely ended (`reconcile_lost_answers`).
                    report.held += 1;
                    self.readback_pending = true;
                    warn!(key = %key, channel = %p.channel, "answer lost ({error}); reading the channel back in {} s before anything else", self.options.readback_after.as_secs());
                    return Ok(());
                }
                PublishError::Retryable(_) if !safe => {
                    report.failed += 1;
                    error!(key = %key, channel = %p.channel, "outcome unknown: {error}; check the channel and run `healthcast resolve`");
                    self.alerts.raise(Utc::now(), "unknown", &key, format!("Publication {key}: outcome unknown ({error}). Check the channel, then `healthcast resolve {key} published|failed`."));
                    break Outcome::Unknown {
                        error: error.to_string(),
                    };
                }
                _ => {
                    report.failed += 1;
                    error!(key = %key, channel = %p.channel, "publish failed: {error}");
                    self.alerts.raise(
                        Utc::now(),
                        "failed",
                        &key,
                        format!("Publication {key} failed: {error}"),
                    );
                    break Outcome::Failed {
                        error: error.to_string(),
                    };
                }
            }
        };
        ledger.settle(&key, &outcome, Utc::now()).await?;
        Ok(())
    }
}

/// The post's image from `snapshot`, or why it cannot be read.
pub(super) fn load_image(
    snapshot: &Snapshot,
    post: &crate::content::Post,
) -> Result<Option<publish::Image>, String> {
    let Some(image) = &post.meta.image else {
        return Ok(None);
    };
    let mime = publish::Image::mime_for(&image.path)
        .ok_or_else(|| format!("image {} is not PNG, JPEG, GIF or WebP", image.path))?;
    let bytes = snapshot
        .read_file(&image.path)
        .map_err(|e| format!("cannot read image {}: {e:#}", image.path))?
        .ok_or_else(|| format!("image {} is not in the repository", image.path))?;
    Ok(Some(publish::Image {
        bytes,
        mime,
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
