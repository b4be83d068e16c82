//! One cycle: plan what is due now, send it (or record it as frozen or
//! missed), and when to wake next.

use super::delivery::{ChannelLog, ChannelWork};
use super::{CycleReport, Daemon};
use crate::config::ChannelSettings;
use crate::ledger::{Claim, State};
use crate::plan;
use crate::plan::Publication;
use crate::publish::PublishError;
use anyhow::Result;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use tracing::{info, warn};

/// How many missed slots of one schedule on one channel a cycle records in
/// the ledger (the latest ones); the log line counts them all.
pub(super) const MISSED_SLOTS_RECORDED: usize = 20;

impl Daemon {
    /// Asks each channel's server for its length limit where the
    /// configuration does not set one (a Mastodon instance's
    /// `max_characters`), and renders for that channel with it from now on.
    /// A server that does not answer is asked again next cycle; until then
    /// the default limit applies.
    pub(super) async fn learn_limits(&mut self) {
        if self.limits_pending.is_empty() || self.options.dry_run {
            return;
        }
        let pending = std::mem::take(&mut self.limits_pending);
        // Concurrently: a server that does not answer holds up no other.
        let asks = pending
            .into_iter()
            .filter_map(|name| match self.publishers.get(&name) {
                Some(Ok(publisher)) => Some(async move {
                    let answer = publisher
                        .discover_limit()
                        .await
                        .map_err(PublishError::scrubbed);
                    (name, answer)
                }),
                _ => None,
            });
        let answers = futures_util::future::join_all(asks).await;
        let mut learned = Vec::new();
        for (name, answer) in answers {
            match answer {
                Ok(limit) => learned.extend(limit.map(|limit| (name, limit))),
                Err(error) => {
                    if self.reported.insert(format!("limit:{name}:{error}")) {
                        warn!(channel = %name, "cannot read the server's length limit ({error}); counting against the default until it answers");
                    }
                    self.limits_pending.insert(name);
                }
            }
        }
        let Some(config) = self.repo.config.as_mut() else {
            return;
        };
        for (name, limit) in learned {
            if let Some(ChannelSettings::Mastodon(settings)) =
                config.channels.get_mut(&name).map(|c| &mut c.settings)
            {
                info!(channel = %name, limit, "the instance's status length limit");
                settings.max_characters = Some(limit);
            }
        }
    }

    /// One channel's share of the cycle, on shared references.
    pub(super) fn channel_work<'a>(&'a self, name: &'a str) -> ChannelWork<'a> {
        ChannelWork {
            name,
            channel: self.config().channels.get(name),
            publisher: self.publishers.get(name),
            ledger: self.ledger.as_ref(),
            repo: &self.repo,
            dry_run: self.options.dry_run,
            seen: &self.reported,
            paused_until: self.paused.get(name).copied(),
            fresh_until: self.fresh_until,
            log: ChannelLog::default(),
        }
    }

    /// Applies what a channel's work left: counts, log-once keys, alerts,
    /// a pause, a channel that stopped working.
    pub(super) fn apply(&mut self, name: &str, log: ChannelLog, report: &mut CycleReport) {
        report.absorb(&log.report);
        self.reported.extend(log.reported);
        let now = Utc::now();
        for (event, subject, message) in log.alerts {
            self.alerts.raise(now, event, &subject, message);
        }
        if let Some(until) = log.pause {
            self.paused.insert(name.to_string(), until);
        }
        if let Some(reason) = log.disable {
            self.publishers.insert(name.to_string(), Err(reason));
        }
        self.readback_pending |= log.readback;
        if log.released {
            // Its slot may lie before the next cycle's window: look back
            // over the whole catch-up again.
            self.window_start = None;
        }
    }

    /// Delivers the due publications, each channel's in order, the channels
    /// at the same time. Stops between publications when a stop was
    /// requested.
    async fn deliver_all(&mut self, due: &[Publication], report: &mut CycleReport) -> Result<()> {
        let mut by_channel: BTreeMap<&str, Vec<&Publication>> = BTreeMap::new();
        for p in due {
            by_channel.entry(p.channel.as_str()).or_default().push(p);
        }
        let stop = &self.stop;
        let works = by_channel.into_iter().map(|(name, publications)| {
            let mut work = self.channel_work(name);
            async move {
                let mut result = Ok(());
                for p in publications {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    result = work.deliver(p).await;
                    if result.is_err() {
                        break;
                    }
                }
                (name.to_string(), work.log, result)
            }
        });
        let done = futures_util::future::join_all(works).await;
        // What every channel did is applied before the first error is told.
        let mut first_error = None;
        for (name, log, result) in done {
            self.apply(&name, log, report);
            if let Err(e) = result {
                first_error.get_or_insert(e.context(format!("channel {name}")));
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// When the next slot or news item is due after `now`.
    pub fn next_wake(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let config = self.config();
        let slots = config
            .schedules
            .iter()
            .filter_map(|s| plan::slots::next_after(s, now));
        let news = self
            .repo
            .posts
            .iter()
            .filter_map(|p| p.meta.publish_at.map(|t| t.0.with_timezone(&Utc)))
            .filter(|t| *t > now);
        slots.chain(news).min()
    }

    /// Publishes everything due at `now` that catch-up still allows: each
    /// news item, and per schedule and channel only the latest due slot (after
    /// downtime, earlier slots are missed, never dumped all at once). Stops
    /// between publications when a stop was requested.
    pub async fn cycle(&mut self, now: DateTime<Utc>) -> Result<CycleReport> {
        self.learn_limits().await;
        // First, so that a publication found missing is planned again now.
        let read_back = self.reconcile(now).await?;
        let config = self.config();
        let lookback = config
            .schedules
            .iter()
            .map(|s| s.catch_up)
            .chain([config.news_catch_up])
            .max()
            .unwrap_or_default();
        // Publications missed by up to a day beyond catch-up are reported.
        let full = now - lookback - TimeDelta::days(1);
        let from = self.window_start.map_or(full, |start| start.max(full));
        let view = self.view().await?;
        let due = plan::due(
            config,
            &self.repo.posts,
            &self.repo.holds(),
            &view,
            from,
            now,
        );
        let mut report = read_back;
        let frozen = self.freeze_state();
        if let Some(reason) = &frozen {
            // Slots that pass during a freeze are recorded and never fire later.
            for publication in &due.publications {
                self.record_unsent(publication, State::Frozen, &format!("frozen: {reason}"))
                    .await?;
                report.frozen += 1;
            }
        } else {
            let delivered = self.deliver_all(&due.publications, &mut report).await;
            // At once: an alert must not wait behind the recording of missed slots.
            self.send_alerts().await;
            delivered?;
        }
        let mut missed: BTreeMap<String, Missed> = BTreeMap::new();
        // Each missed news item is recorded; of a schedule's missed slots on a
        // channel, the latest MISSED_SLOTS_RECORDED (a per-second schedule
        // after a day's downtime would otherwise write 86,400 rows).
        let mut recorded: BTreeMap<(String, String), usize> = BTreeMap::new();
        for publication in due.missed.iter().rev() {
            let count = recorded
                .entry((
                    publication.schedule.clone().unwrap_or_default(),
                    publication.channel.clone(),
                ))
                .or_default();
            if publication.schedule.is_none() || *count < MISSED_SLOTS_RECORDED {
                self.record_unsent(
                    publication,
                    State::Missed,
                    "due longer ago than catch-up allows, or superseded by a later slot",
                )
                .await?;
                *count += 1;
            }
            Missed::add(&mut missed, publication);
        }
        for (what, m) in missed {
            report.missed += m.count;
            if self.reported.insert(format!("missed:{what}:{}", m.last)) {
                warn!(
                    "missed: {} publication(s) of {what} due {} … {}, beyond catch-up of {} or superseded by a later slot; not sent",
                    m.count,
                    m.first.format("%Y-%m-%d %H:%M:%S UTC"),
                    m.last.format("%Y-%m-%d %H:%M:%S UTC"),
                    crate::config::duration::display(m.catch_up)
                );
            }
        }
        self.window_start = Some(now);
        self.send_alerts().await;
        Ok(report)
    }

    /// Records a publication that will never be sent, so that it is seen in
    /// `status` and never planned again. Nothing is written in a dry run.
    pub(super) async fn record_unsent(
        &self,
        p: &Publication,
        state: State,
        reason: &str,
    ) -> Result<()> {
        let (Some(ledger), false) = (&self.ledger, self.options.dry_run) else {
            return Ok(());
        };
        let claim = Claim {
            key: p.key(),
            post: p.post.clone().unwrap_or_else(|| "-".to_string()),
            channel: p.channel.clone(),
            schedule: p.schedule.clone(),
            at: p.at,
            content_hash: String::new(),
            commit: self.repo.snapshot.commit().map(String::from),
            fingerprint: None,
        };
        ledger
            .record_unsent(&claim, state, reason, Utc::now())
            .await
    }
}

/// Publications not sent because they were due too long ago, summarised per
/// schedule and channel (or per news item) for one log line.
pub(super) struct Missed {
    count: usize,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    catch_up: TimeDelta,
}

impl Missed {
    pub(super) fn add(missed: &mut BTreeMap<String, Missed>, p: &Publication) {
        let what = match &p.schedule {
            Some(schedule) => format!("schedule {schedule} on {}", p.channel),
            None => p.key(),
        };
        let entry = missed.entry(what).or_insert(Missed {
            count: 0,
            first: p.at,
            last: p.at,
            catch_up: p.catch_up,
        });
        entry.count += 1;
        entry.first = entry.first.min(p.at);
        entry.last = entry.last.max(p.at);
    }
}
