//! Publications left `sending` by a crash or a lost answer: read back and
//! settled as published, released, or `unknown` for a person.

use super::*;

/// How long a lost answer may stay unconfirmed while reading back fails
/// (the platform is down, say) before a person is asked to settle it.
pub(super) const READBACK_GIVE_UP: TimeDelta = TimeDelta::minutes(30);

impl Daemon {
    /// Settles publications left `sending` by a crash: published if the
    /// platform has them, released for planning again if it certainly does
    /// not, `unknown` (for a person to settle) if it cannot tell.
    pub async fn recover(&mut self, now: DateTime<Utc>) -> Result<()> {
        self.settle_sending(now, None).await.map(|_| ())
    }

    /// Settles the publications whose answer was lost on a platform that can
    /// read posts back, once `readback_after` has passed since the request
    /// started.
    /// Asks the ledger only while this process has left such a row: a
    /// cycle runs every second.
    pub(super) async fn reconcile_lost_answers(&mut self, now: DateTime<Utc>) -> Result<()> {
        if !self.readback_pending {
            return Ok(());
        }
        let after = TimeDelta::from_std(self.options.readback_after).unwrap_or(TimeDelta::MAX);
        let waiting = self.settle_sending(now, Some(after)).await?;
        self.readback_pending = waiting > 0;
        Ok(())
    }

    /// With `min_age`, only rows with a read-back fingerprint that have been
    /// `sending` that long (rows of this process, whose request ended);
    /// without, every `sending` row (after a crash, no request is running).
    /// Answers how many rows with a fingerprint are left for a later look.
    pub(super) async fn settle_sending(
        &mut self,
        now: DateTime<Utc>,
        min_age: Option<TimeDelta>,
    ) -> Result<usize> {
        let Some(ledger) = &self.ledger else {
            return Ok(0);
        };
        if self.options.dry_run {
            return Ok(0);
        }
        let mut released = false;
        let mut waiting = 0;
        for record in ledger.in_state(State::Sending).await? {
            if record.fingerprint.is_none() && min_age.is_some() {
                continue;
            }
            if min_age.is_some_and(|age| now - record.updated_at < age) {
                waiting += 1;
                continue;
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
            let found = match self.publishers.get(&record.channel) {
                Some(Err(reason)) => Err(format!(
                    "channel `{}` cannot work: {reason}",
                    record.channel
                )),
                Some(Ok(publisher)) => match publisher
                    .lookup(&sent)
                    .await
                    .map_err(PublishError::scrubbed)
                {
                    Ok(found) => Ok(found),
                    // The platform cannot answer now: ask again next tick,
                    // for a while, before giving the publication to a person.
                    Err(PublishError::Retryable(_) | PublishError::RateLimited { .. })
                        if min_age.is_some() && now - record.updated_at < READBACK_GIVE_UP =>
                    {
                        waiting += 1;
                        continue;
                    }
                    Err(e) => Err(e.to_string()),
                },
                None => Err(format!(
                    "channel `{}` is no longer configured",
                    record.channel
                )),
            };
            match found {
                Ok(Some(receipt)) => {
                    ledger
                        .settle(
                            &record.key,
                            &Outcome::Published {
                                remote_id: receipt.remote_id,
                                url: receipt.url,
                            },
                            now,
                        )
                        .await?;
                    info!(key = %record.key, "unconfirmed publication found on the channel: published");
                }
                Ok(None) => {
                    ledger.release(&record.key).await?;
                    // Its slot may lie before the next cycle's window: look
                    // back over the whole catch-up again.
                    released = true;
                    info!(key = %record.key, "unconfirmed publication is not on the channel: planned again within catch-up");
                }
                Err(reason) => {
                    let error = format!(
                        "interrupted while sending and the channel cannot confirm it ({reason}); check the channel and settle it by hand"
                    );
                    ledger
                        .settle(&record.key, &Outcome::Unknown { error }, now)
                        .await?;
                    error!(key = %record.key, "publication outcome unknown after a restart");
                    self.alerts.raise(now, "unknown", &record.key, format!("Publication {} was interrupted and the channel cannot confirm it: check the channel, then `healthcast resolve`.", record.key));
                }
            }
        }
        if released {
            self.window_start = None;
        }
        Ok(waiting)
    }
}
