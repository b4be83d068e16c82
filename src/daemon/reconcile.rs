//! Publications left `sending` without a request in flight here — by a
//! crash, a lost answer, or a rate limit or rejected credentials after an
//! attempt that may have reached the platform — read back and settled:
//! published if the channel has them, released for planning again if a
//! read-back made after the request surely ended proves them absent, and
//! `unknown` for a person (with an alert) if the channel cannot tell.
//!
//! "Surely ended" is the channel's `readback_after` after the latest
//! attempt began, measured from the time in the ledger, so that a restart
//! does not shorten it: a server may still commit a request whose client
//! gave up or died.

use super::delivery::ChannelWork;
use super::{CycleReport, Daemon};
use crate::ledger::{Ledger, Outcome, Record, State};
use crate::publish::{PublishError, Sent};
use anyhow::Result;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tracing::{error, info};

/// How long a publication may stay unconfirmed while reading back fails
/// (the platform is down, say) before a person is asked to settle it.
pub(super) const READBACK_GIVE_UP: TimeDelta = TimeDelta::minutes(30);

impl Daemon {
    /// Settles what an earlier process left `sending`, as far as can be
    /// done now; the rest is read back by later cycles.
    pub async fn recover(&mut self, now: DateTime<Utc>) -> Result<CycleReport> {
        self.readback_pending = true;
        self.reconcile(now).await
    }

    /// For `run --once`: waits until the unconfirmed publications' requests
    /// have surely ended, reads them back, and sends again what proved
    /// absent. Answers what that did, and how many publications are still
    /// unconfirmed (a platform that could not answer in time).
    pub async fn finish_read_backs(&mut self) -> Result<(CycleReport, usize)> {
        let mut report = CycleReport::default();
        let longest = self
            .config()
            .channels
            .values()
            .map(|c| c.limits.readback_after())
            .max()
            .unwrap_or_default();
        let deadline =
            Instant::now() + longest.to_std().unwrap_or_default() + Duration::from_secs(30);
        while self.readback_pending
            && Instant::now() < deadline
            && !self.stop.load(Ordering::SeqCst)
        {
            tokio::time::sleep(Duration::from_secs(1)).await;
            report.absorb(&self.reconcile(Utc::now()).await?);
            if self.window_start.is_none() {
                // Proved absent and released: send it again now.
                report.absorb(&self.cycle(Utc::now()).await?);
            }
        }
        self.send_alerts().await;
        let left = match &self.ledger {
            Some(ledger) if !self.options.dry_run => ledger.in_state(State::Sending).await?.len(),
            _ => 0,
        };
        Ok((report, left))
    }

    /// Whether publications are still `sending`, waiting to be read back.
    pub fn unconfirmed(&self) -> bool {
        self.readback_pending
    }

    /// Reads back the `sending` publications whose requests have surely
    /// ended, each channel's at the same time. Asks the ledger only while
    /// there may be such a row: a cycle runs every second.
    pub(super) async fn reconcile(&mut self, now: DateTime<Utc>) -> Result<CycleReport> {
        let mut report = CycleReport::default();
        let ledger = match &self.ledger {
            Some(ledger) if self.readback_pending && !self.options.dry_run => ledger,
            _ => {
                self.readback_pending = false;
                return Ok(report);
            }
        };
        let mut by_channel: BTreeMap<String, Vec<Record>> = BTreeMap::new();
        for record in ledger.in_state(State::Sending).await? {
            by_channel
                .entry(record.channel.clone())
                .or_default()
                .push(record);
        }
        let works = by_channel.iter().map(|(name, records)| {
            let mut work = self.channel_work(name);
            async move {
                let mut waiting = 0;
                let mut result = Ok(());
                for record in records {
                    match work.reconcile(record, now).await {
                        Ok(true) => waiting += 1,
                        Ok(false) => {}
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    }
                }
                (work.log, waiting, result)
            }
        });
        let done = futures_util::future::join_all(works).await;
        let mut waiting = 0;
        let mut first_error = None;
        for ((name, _), (log, left, result)) in by_channel.iter().zip(done) {
            self.apply(name, log, &mut report);
            waiting += left;
            if let Err(e) = result {
                first_error.get_or_insert(e.context(format!("channel {name}")));
            }
        }
        self.readback_pending = waiting > 0 || first_error.is_some();
        // At once: an `unknown` settled here must not lose its alert to a
        // crash later in the cycle.
        self.send_alerts().await;
        first_error.map_or(Ok(report), Err)
    }
}

impl ChannelWork<'_> {
    /// Settles one `sending` publication if it can be settled now; answers
    /// whether it is left for a later look.
    pub(super) async fn reconcile(&mut self, record: &Record, now: DateTime<Utc>) -> Result<bool> {
        let Some(ledger) = self.ledger else {
            return Ok(true);
        };
        let since = record.attempt_at.unwrap_or(record.updated_at);
        let give_up = now - since >= READBACK_GIVE_UP;
        let (channel, publisher) = match (self.channel, self.publisher) {
            (Some(channel), Some(Ok(publisher))) => (channel, publisher.as_ref()),
            // Credentials may be fixed and the configuration reloaded.
            (Some(_), Some(Err(_))) if !give_up => return Ok(true),
            (Some(_), Some(Err(reason))) => {
                let reason = format!("channel `{}` cannot work: {reason}", self.name);
                self.unknown(ledger, record, &reason, now).await?;
                return Ok(false);
            }
            _ => {
                let reason = format!("channel `{}` is no longer configured", self.name);
                self.unknown(ledger, record, &reason, now).await?;
                return Ok(false);
            }
        };
        if !publisher.can_look_up() {
            let reason = "this platform cannot look publications up";
            self.unknown(ledger, record, reason, now).await?;
            return Ok(false);
        }
        if self.paused_until.is_some_and(|until| until > now) {
            return Ok(true);
        }
        let surely_ended = if publisher.writes_locally() {
            // A file this process writes: nothing is in flight once it is gone.
            TimeDelta::zero()
        } else {
            channel.limits.readback_after()
        };
        if now - since < surely_ended {
            return Ok(true);
        }
        // Adapters look back a few minutes before the claim for clock
        // skew; posts of other publications in that time are excluded.
        let taken = ledger
            .remote_ids_since(
                &record.channel,
                record.created_at - TimeDelta::minutes(15),
                &record.key,
            )
            .await?;
        let sent = Sent {
            key: &record.key,
            claimed_at: record.created_at,
            fingerprint: record.fingerprint.as_deref(),
            taken: &taken,
        };
        match publisher
            .lookup(&sent)
            .await
            .map_err(PublishError::scrubbed)
        {
            Ok(Some(receipt)) => {
                let published = Outcome::Published {
                    remote_id: receipt.remote_id,
                    url: receipt.url,
                };
                ledger.settle(&record.key, &published, now).await?;
                self.log.report.published += 1;
                info!(key = %record.key, "unconfirmed publication found on the channel: published");
                Ok(false)
            }
            Ok(None) => {
                ledger.release_absent(&record.key).await?;
                self.log.released = true;
                info!(key = %record.key, "unconfirmed publication is not on the channel, and its request has surely ended: planned again within catch-up");
                Ok(false)
            }
            Err(PublishError::RateLimited { reset, .. }) if !give_up => {
                self.log.pause = Some(reset.unwrap_or(now + TimeDelta::seconds(60)));
                Ok(true)
            }
            // The platform cannot answer now: ask again next cycle, for a
            // while, before giving the publication to a person.
            Err(
                PublishError::Retryable(_) | PublishError::NoAnswer(_) | PublishError::NotPosted(_),
            ) if !give_up => Ok(true),
            Err(error) => {
                self.unknown(ledger, record, &error.to_string(), now)
                    .await?;
                Ok(false)
            }
        }
    }

    /// Settles `record` as `unknown`, for a person, with an alert.
    async fn unknown(
        &mut self,
        ledger: &Ledger,
        record: &Record,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let key = &record.key;
        let error = format!(
            "an attempt may have reached the channel and the channel cannot confirm it ({reason}); check the channel and settle it by hand"
        );
        ledger.settle(key, &Outcome::Unknown { error }, now).await?;
        self.log.report.unknown += 1;
        error!(key = %key, "publication outcome unknown: {reason}");
        self.log.alert("unknown", key, format!("Publication {key} may have gone out and the channel cannot confirm it ({reason}): check the channel, then `healthcast resolve {key} published|failed`."));
        Ok(())
    }
}
