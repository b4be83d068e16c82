//! One cycle: plan what is due now, send it (or record it as frozen or
//! missed), and when to wake next.

use super::*;

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
        let mut learned = Vec::new();
        for name in std::mem::take(&mut self.limits_pending) {
            let Some(Ok(publisher)) = self.publishers.get(&name) else {
                continue;
            };
            match publisher
                .discover_limit()
                .await
                .map_err(PublishError::scrubbed)
            {
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
        self.reconcile_lost_answers(now).await?;
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
        let mut report = CycleReport::default();
        let frozen = self.freeze_state();
        if let Some(reason) = &frozen {
            // Slots that pass during a freeze are recorded and never fire later.
            for publication in &due.publications {
                self.record_unsent(publication, State::Frozen, &format!("frozen: {reason}"))
                    .await?;
                report.frozen += 1;
            }
        } else {
            for publication in &due.publications {
                if self.stop.load(Ordering::SeqCst) {
                    break;
                }
                self.handle(publication, &mut report).await?;
            }
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
