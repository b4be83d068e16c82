//! The daemon behind `healthcast run`.
//!
//! tokio-cron-scheduler only wakes it, once a second; the planner decides
//! what is due. (Its time-zone jobs drift by an hour after a DST change,
//! issue #107, so no job carries a schedule's zone; and a repeated job can stop
//! for good after a stall, issue #113, so a watchdog notices missing ticks,
//! reports the stall and keeps publishing on its own timer.)
//!
//! Each cycle: reload content and configuration when the commit (or the work
//! tree) changed, keeping the last good configuration if the new one is
//! broken; plan the window that catch-up allows; and publish what is due,
//! claiming each publication in the ledger before the request and settling it
//! after.

use crate::alerts::{self, Alert, Alerts};
use crate::config::{AlertTarget, ChannelSettings, Config};
use crate::ledger::{Claim, ClaimResult, Ledger, Outcome, State};
use crate::plan::{self, LedgerView, Publication};
use crate::publish::{self, PublishContext, PublishError, Publisher, Sent};
use crate::render;
use crate::repo::Repo;
use crate::source::{self, Snapshot};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc};
use tracing::{error, info, warn};

/// How many missed slots of one schedule on one channel a cycle records in
/// the ledger (the latest ones); the log line counts them all.
const MISSED_SLOTS_RECORDED: usize = 20;

/// Tries of one publication in one cycle when a retry is safe.
const MAX_ATTEMPTS: u32 = 3;

/// Exponential backoff with jitter: 1 s, 2 s, … plus up to half a second,
/// the jitter derived from the key so that channels do not retry in step.
fn backoff(attempt: u32, key: &str) -> Duration {
    let jitter = Sha256::digest(format!("{key}#{attempt}").as_bytes())[0] as u64 * 2;
    Duration::from_millis(1000 * 2u64.pow(attempt - 1) + jitter)
}

/// The crisis switch: while this file exists, nothing is published.
pub const FREEZE_FILE: &str = "schedules/FREEZE";

/// Why publishing is frozen, if it is: `schedules/FREEZE` in the snapshot
/// (the published commit) or in the work tree beside it (a local file is
/// the fastest brake). Its text is the reason.
pub fn freeze_reason(snapshot: &Snapshot) -> Option<String> {
    let committed = snapshot.read_file(FREEZE_FILE).ok().flatten();
    let local = std::fs::read(snapshot.root().join(FREEZE_FILE)).ok();
    committed.or(local).map(|bytes| {
        let text = String::from_utf8_lossy(&bytes).trim().to_string();
        if text.is_empty() {
            "no reason given".to_string()
        } else {
            text
        }
    })
}

#[derive(Debug, Clone)]
pub struct Options {
    pub root: PathBuf,
    /// Publish what this git ref names; `None` publishes the work tree.
    pub reference: Option<String>,
    pub ledger: PathBuf,
    /// Log what would go out; send nothing and write no ledger rows.
    pub dry_run: bool,
    /// Report the scheduler as stalled after this long without a tick.
    pub stall_after: Duration,
    /// Look for new commits (or work-tree changes) this often.
    pub reload_every: Duration,
    /// Follow a remote branch: fetch it before each look for a new commit,
    /// and publish what it names.
    pub sync: Option<Sync>,
    /// After a lost answer from a platform that can read posts back, wait
    /// this long before looking (the request may still be running there).
    pub readback_after: Duration,
    /// How long one cycle may spend sending alerts over the network
    /// (webhooks, e-mail); what is left is logged, never waited for.
    pub alert_budget: Duration,
}

/// How long a lost answer may stay unconfirmed while reading back fails
/// (the platform is down, say) before a person is asked to settle it.
const READBACK_GIVE_UP: TimeDelta = TimeDelta::minutes(30);

/// A remote branch to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sync {
    pub remote: String,
    pub branch: String,
}

impl Sync {
    /// The ref that names the fetched branch, e.g. `refs/remotes/origin/main`.
    pub fn reference(&self) -> String {
        format!("refs/remotes/{}/{}", self.remote, self.branch)
    }
}

impl Options {
    pub fn new(root: PathBuf, reference: Option<String>, ledger: PathBuf) -> Options {
        Options {
            root,
            reference,
            ledger,
            dry_run: false,
            stall_after: Duration::from_secs(10),
            reload_every: Duration::from_secs(30),
            sync: None,
            readback_after: Duration::from_secs(60),
            alert_budget: Duration::from_secs(20),
        }
    }
}

/// Whether the scheduler is ticking and the last reload worked, and the
/// metrics of the last cycle: what `/healthz` and `/metrics` report.
#[derive(Debug)]
pub struct Health {
    last_tick: Mutex<Instant>,
    stalled: AtomicBool,
    /// Why the last look for a new commit failed, if it did.
    sync_error: Mutex<Option<String>>,
    /// Prometheus text of the last cycle.
    metrics: Mutex<String>,
}

impl Health {
    fn new() -> Health {
        Health {
            last_tick: Mutex::new(Instant::now()),
            stalled: AtomicBool::new(false),
            sync_error: Mutex::new(None),
            metrics: Mutex::new(String::new()),
        }
    }

    /// `Ok` while ticks come on time and the last sync worked; else why not.
    pub fn status(&self) -> Result<(), String> {
        if self.is_stalled() {
            return Err("scheduler stalled: no tick in time".to_string());
        }
        match &*self.sync_error.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(e) => Err(format!("last sync failed: {e}")),
            None => Ok(()),
        }
    }

    fn set_sync(&self, error: Option<String>) {
        *self.sync_error.lock().unwrap_or_else(|p| p.into_inner()) = error;
    }

    pub fn metrics(&self) -> String {
        self.metrics
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Records a tick; returns whether it ends a stall.
    fn tick(&self) -> bool {
        *self.last_tick.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        let recovered = self.stalled.swap(false, Ordering::Relaxed);
        if recovered {
            info!("scheduler ticks again");
        }
        recovered
    }

    /// Marks the scheduler stalled when no tick came within `after`.
    fn check(&self, after: Duration) -> bool {
        let quiet = self
            .last_tick
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .elapsed();
        if quiet > after && !self.stalled.swap(true, Ordering::Relaxed) {
            error!(
                seconds = quiet.as_secs(),
                "scheduler stalled: no tick for {}s; the watchdog keeps publishing until ticks resume",
                quiet.as_secs()
            );
        }
        self.stalled.load(Ordering::Relaxed)
    }

    pub fn is_stalled(&self) -> bool {
        self.stalled.load(Ordering::Relaxed)
    }
}

/// What one cycle did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CycleReport {
    pub published: usize,
    pub failed: usize,
    /// Due too long ago (beyond catch-up): reported, not sent.
    pub missed: usize,
    /// Held by check errors, expiry, review, length, or no eligible tip.
    pub held: usize,
    /// Dry run: would have been published.
    pub would_publish: usize,
    /// Due during a freeze: recorded, never sent.
    pub frozen: usize,
}

pub struct Daemon {
    options: Options,
    /// The last good load.
    repo: Repo,
    fingerprint: String,
    ledger: Option<Ledger>,
    /// Each channel's publisher, or why the channel cannot work (its posts are held).
    publishers: BTreeMap<String, Result<Box<dyn Publisher>, String>>,
    /// Keys already reported as missed, held or (dry run) due, so that each
    /// is logged once, not on every cycle.
    reported: HashSet<String>,
    /// Where the next cycle's window starts: the end of the last one. `None`
    /// (at start and after a reload) looks back over the whole catch-up
    /// window, so news committed after its time is still found.
    window_start: Option<DateTime<Utc>>,
    /// The freeze reason while `schedules/FREEZE` exists.
    frozen: Option<String>,
    /// Channels that answered "rate limited", until their reset.
    paused: BTreeMap<String, DateTime<Utc>>,
    /// Alerts waiting to go to the `alerts:` targets.
    alerts: Alerts,
    /// The `alerts:` targets, ready to send.
    alert_sinks: Vec<AlertSink>,
    /// Set on SIGINT/SIGTERM: no new publication starts.
    stop: Arc<AtomicBool>,
    /// Channels whose server has not yet told its length limit (after a
    /// start or a reload, until it answers).
    limits_pending: BTreeSet<String>,
    /// When the repository (with a sync: the remote branch) was last read
    /// without error.
    last_sync: DateTime<Utc>,
    /// This process left a publication `sending` after a lost answer, to be
    /// read back (`reconcile_lost_answers`).
    readback_pending: bool,
    pub health: Arc<Health>,
}

impl Daemon {
    /// Loads the repository and opens the ledger. Fails when the
    /// configuration cannot run at all; post errors only hold those posts.
    pub async fn start(options: Options, now: DateTime<Utc>) -> Result<Daemon> {
        let snapshot = current_snapshot(&options)?;
        let fingerprint = fingerprint(&snapshot)?;
        let repo = Repo::load(snapshot, now)?;
        let Some(config) = &repo.config else {
            eprint!(
                "{}",
                crate::diagnostic::render_human(&repo.diagnostics, &repo.sources)
            );
            bail!("the configuration in schedules/ has errors (above); fix them and start again");
        };
        let publishers = publishers(config, &options.root);
        let limits_pending = config.channels.keys().cloned().collect();
        let alert_sinks = alert_sinks(config, &options.root);
        let ledger = if options.dry_run {
            Ledger::open_existing(&options.ledger).await?
        } else {
            Some(Ledger::open(&options.ledger).await?)
        };
        let daemon = Daemon {
            options,
            repo,
            fingerprint,
            ledger,
            publishers,
            reported: HashSet::new(),
            window_start: None,
            frozen: None,
            paused: BTreeMap::new(),
            alerts: Alerts::default(),
            alert_sinks,
            stop: Arc::new(AtomicBool::new(false)),
            health: Arc::new(Health::new()),
            limits_pending,
            last_sync: now,
            readback_pending: false,
        };
        daemon.log_diagnostics();
        Ok(daemon)
    }

    pub fn config(&self) -> &Config {
        // Invariant: `start` and `reload` only keep a repository with a configuration.
        self.repo
            .config
            .as_ref()
            .unwrap_or_else(|| unreachable!("daemon without configuration"))
    }

    pub fn repo(&self) -> &Repo {
        &self.repo
    }

    fn log_diagnostics(&self) {
        let errors = self.repo.error_count();
        if errors > 0 {
            warn!(
                errors,
                "content or configuration has {errors} errors; the posts concerned are held (run `healthcast check`)"
            );
        }
        for d in self.repo.diagnostics.iter().filter(|d| d.is_error()) {
            warn!(file = %d.file, line = d.span.line, code = d.code, "{}", d.message);
        }
    }

    /// Asks each channel's server for its length limit where the
    /// configuration does not set one (a Mastodon instance's
    /// `max_characters`), and renders for that channel with it from now on.
    /// A server that does not answer is asked again next cycle; until then
    /// the default limit applies.
    async fn learn_limits(&mut self) {
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
    async fn reconcile_lost_answers(&mut self, now: DateTime<Utc>) -> Result<()> {
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
    async fn settle_sending(
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

    /// Reloads when the commit (or the work tree) changed. A configuration
    /// that does not load is rejected and the last good one keeps running.
    pub fn reload_if_changed(&mut self, now: DateTime<Utc>) -> Result<bool> {
        if let Some(sync) = &self.options.sync {
            // A failed fetch keeps the last good commit running; /healthz says why.
            source::fetch(&self.options.root, &sync.remote, &sync.branch)?;
            self.health.set_sync(None);
        }
        let snapshot = current_snapshot(&self.options)?;
        let fingerprint = fingerprint(&snapshot)?;
        self.last_sync = now;
        if fingerprint == self.fingerprint {
            return Ok(false);
        }
        let repo = Repo::load(snapshot, now)?;
        self.fingerprint = fingerprint;
        let Some(config) = &repo.config else {
            self.health.set_sync(Some(format!(
                "the configuration of {} was rejected",
                repo.snapshot.commit().unwrap_or("the work tree")
            )));
            for d in repo
                .diagnostics
                .iter()
                .filter(|d| d.file.starts_with("schedules/") && d.is_error())
            {
                error!(file = %d.file, line = d.span.line, code = d.code, "{}", d.message);
            }
            error!("configuration reload rejected; the last good configuration keeps running");
            self.alerts.raise(now, "config", repo.snapshot.commit().unwrap_or("work tree"), format!("The configuration of {} was rejected; the last good one keeps running. Run `healthcast check`.", repo.snapshot.commit().unwrap_or("the work tree")));
            return Ok(false);
        };
        self.publishers = publishers(config, &self.options.root);
        self.limits_pending = config.channels.keys().cloned().collect();
        self.alert_sinks = alert_sinks(config, &self.options.root);
        info!(
            commit = repo.snapshot.commit().unwrap_or("work tree"),
            posts = repo.posts.len(),
            "reloaded content and configuration"
        );
        self.health.set_sync(None);
        self.repo = repo;
        self.window_start = None;
        self.log_diagnostics();
        Ok(true)
    }

    async fn view(&self) -> Result<LedgerView> {
        match &self.ledger {
            Some(ledger) => ledger.view().await,
            None => Ok(LedgerView::default()),
        }
    }

    /// The coming publications in `[now, now + horizon)`, for the start-up summary.
    pub async fn upcoming(
        &self,
        now: DateTime<Utc>,
        horizon: TimeDelta,
    ) -> Result<Vec<Publication>> {
        let view = self.view().await?;
        Ok(plan::plan(
            self.config(),
            &self.repo.posts,
            &self.repo.holds(),
            &view,
            now,
            now + horizon,
        ))
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

    /// The freeze reason when `schedules/FREEZE` exists in the published
    /// commit or in the work tree (a local file is the fastest brake); logs
    /// when the freeze starts and ends.
    fn freeze_state(&mut self) -> Option<String> {
        let reason = freeze_reason(&self.repo.snapshot);
        if reason != self.frozen {
            match &reason {
                Some(r) => {
                    warn!(reason = %r, "publishing frozen: nothing goes out until {FREEZE_FILE} is removed")
                }
                None => info!("freeze lifted: publishing resumes with the next slot"),
            }
            let message = match &reason {
                Some(r) => format!("Publishing is frozen: {r}"),
                None => "The freeze is lifted; publishing resumes with the next slot.".to_string(),
            };
            self.alerts.raise(
                Utc::now(),
                "freeze",
                reason.as_deref().unwrap_or("lifted"),
                message,
            );
            self.frozen = reason.clone();
        }
        reason
    }

    /// Records a publication that will never be sent, so that it is seen in
    /// `status` and never planned again. Nothing is written in a dry run.
    async fn record_unsent(&self, p: &Publication, state: State, reason: &str) -> Result<()> {
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

    async fn handle(&mut self, p: &Publication, report: &mut CycleReport) -> Result<()> {
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

    /// Sends the queued alerts to the `alerts:` targets: log files first
    /// (local, they cannot hang), then channels (through the same publishers
    /// as posts) and e-mail in the order written. A target that fails is
    /// logged and the others still get the alert.
    pub async fn send_alerts(&mut self) {
        let alerts = self.alerts.take();
        if alerts.is_empty() {
            return;
        }
        // Log files first: local and fast, they get every alert.
        for alert in &alerts {
            for sink in &self.alert_sinks {
                if let AlertSink::LogFile(path) = sink
                    && let Err(e) = alerts::log_file::append(path, alert)
                {
                    warn!(target_file = %path.display(), event = alert.event, "alert not written: {e}");
                }
            }
        }
        // A hanging relay or webhook must not hold publications back for
        // long: the network targets share one time budget per cycle.
        let network = async {
            for alert in &alerts {
                for sink in &self.alert_sinks {
                    match sink {
                        AlertSink::Channel(name) => self.alert_channel(name, alert).await,
                        AlertSink::Email(sender) => send_email(sender, alert).await,
                        AlertSink::LogFile(_) => {}
                    }
                }
            }
        };
        let budget = self.options.alert_budget;
        if tokio::time::timeout(budget, network).await.is_err() {
            error!(
                alerts = alerts.len(),
                "alert delivery took over {} s and was cut short; see the log for what was sent",
                budget.as_secs_f32()
            );
        }
    }

    /// Sends one alert to one channel.
    async fn alert_channel(&self, name: &str, alert: &Alert) {
        let Some(config) = self.repo.config.as_ref() else {
            return;
        };
        let text = format!(
            "---\ntitle: \"healthcast: {}\"\nkind: alert\n---\n{}\n",
            alert.event, alert.message
        );
        let Ok(post) = crate::content::parse("alerts/healthcast.md", &text) else {
            return;
        };
        let (Some(channel), Some(Ok(publisher))) =
            (config.channels.get(name), self.publishers.get(name))
        else {
            return;
        };
        let rendered = render::render(&post, channel);
        let now = Utc::now();
        let key = format!(
            "alert:{}:{}:{}",
            alert.event,
            alert.subject,
            now.timestamp_millis()
        );
        let ctx = PublishContext {
            key: &key,
            post: &post,
            rendered: &rendered,
            at: now,
            image: None,
        };
        if let Err(e) = publisher
            .publish(&ctx)
            .await
            .map_err(PublishError::scrubbed)
        {
            warn!(channel = %name, "alert not delivered: {e}");
        }
    }

    /// Renders the Prometheus metrics for `/metrics`.
    pub async fn update_metrics(&self, now: DateTime<Utc>) -> Result<()> {
        use std::fmt::Write as _;
        let mut out = String::new();
        let mut gauge = |name: &str, help: &str, lines: Vec<String>| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            for line in lines {
                let _ = writeln!(out, "{name}{line}");
            }
        };
        let counts = match &self.ledger {
            Some(ledger) => ledger.counts().await?,
            None => Vec::new(),
        };
        let rows: i64 = counts.iter().map(|c| c.2).sum();
        gauge(
            "healthcast_publications",
            "Publications in the ledger by channel and state.",
            counts
                .iter()
                .map(|(c, s, n)| format!("{{channel=\"{c}\",state=\"{s}\"}} {n}"))
                .collect(),
        );
        gauge(
            "healthcast_ledger_rows",
            "Rows in the ledger.",
            vec![format!(" {rows}")],
        );
        gauge(
            "healthcast_next_fire_seconds",
            "Unix time of each schedule's next slot.",
            self.config()
                .schedules
                .iter()
                .filter_map(|s| {
                    plan::slots::next_after(s, now)
                        .map(|t| format!("{{schedule=\"{}\"}} {}", s.name, t.timestamp()))
                })
                .collect(),
        );
        gauge(
            "healthcast_scheduler_stalled",
            "1 while no tick came in time.",
            vec![format!(" {}", u8::from(self.health.is_stalled()))],
        );
        gauge(
            "healthcast_last_cycle_seconds",
            "Unix time of the last cycle.",
            vec![format!(" {}", now.timestamp())],
        );
        gauge(
            "healthcast_last_sync_seconds",
            "Unix time the repository (with a sync: the remote branch) was last read without error.",
            vec![format!(" {}", self.last_sync.timestamp())],
        );
        gauge(
            "healthcast_frozen",
            "1 while publishing is frozen.",
            vec![format!(" {}", u8::from(self.frozen.is_some()))],
        );
        *self
            .health
            .metrics
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = out;
        Ok(())
    }

    /// Runs until `shutdown` completes. `ticks` is the scheduler's wake-up
    /// channel; when it goes quiet for `stall_after`, the watchdog reports the
    /// stall and drives cycles itself. On shutdown, the publication in flight
    /// finishes and no further one starts.
    pub async fn run_loop(
        &mut self,
        mut ticks: mpsc::Receiver<()>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let stop = self.stop.clone();
        let stopped = Arc::new(Notify::new());
        let notify = stopped.clone();
        let watcher = tokio::spawn(async move {
            shutdown.await;
            stop.store(true, Ordering::SeqCst);
            notify.notify_one();
        });
        let mut watchdog = tokio::time::interval(Duration::from_secs(1));
        watchdog.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut ticks_open = true;
        // Whether a `stalled` alert went out for the current stall.
        let mut stall_alerted = false;
        let mut next_due = Utc::now();
        let mut next_reload = Instant::now() + self.options.reload_every;
        while !self.stop.load(Ordering::SeqCst) {
            let wake = tokio::select! {
                biased;
                () = stopped.notified() => break,
                tick = ticks.recv(), if ticks_open => match tick {
                    Some(()) => {
                        // One recovery alert for each stall that was alerted.
                        if self.health.tick() && std::mem::take(&mut stall_alerted) {
                            self.alerts.raise_follow_up(Utc::now(), "stall-recovered", "scheduler", "The cron scheduler ticks again; publishing is back on its own timer.".to_string());
                            self.send_alerts().await;
                        }
                        true
                    }
                    None => {
                        ticks_open = false;
                        false
                    }
                },
                _ = watchdog.tick() => {
                    let stalled = self.health.check(self.options.stall_after);
                    if stalled {
                        // Raised on every check, sent once an hour (de-duplicated).
                        if self.alerts.raise(Utc::now(), "stalled", "scheduler", "The cron scheduler stopped ticking; the watchdog keeps publishing.".to_string()) {
                            stall_alerted = true;
                        }
                        self.send_alerts().await;
                    }
                    stalled
                }
            };
            if !wake {
                continue;
            }
            if Instant::now() >= next_reload {
                next_reload = Instant::now() + self.options.reload_every;
                match self.reload_if_changed(Utc::now()) {
                    Ok(true) => next_due = Utc::now(),
                    Ok(false) => {}
                    Err(e) => {
                        error!("reload failed: {e:#}");
                        self.health.set_sync(Some(format!("{e:#}")));
                    }
                }
            }
            let now = Utc::now();
            if now >= next_due {
                match self.cycle(now).await {
                    Ok(report) if report.published + report.failed > 0 => {
                        info!(
                            published = report.published,
                            failed = report.failed,
                            "cycle done"
                        )
                    }
                    Ok(_) => {}
                    Err(e) => error!("cycle failed: {e:#}; trying again at the next tick"),
                }
                next_due = self.next_wake(now).unwrap_or(now + TimeDelta::hours(1));
                if let Err(e) = self.update_metrics(now).await {
                    warn!("cannot update metrics: {e:#}");
                }
            }
        }
        watcher.abort();
        if let Some(ledger) = self.ledger.take() {
            ledger.close().await;
        }
        Ok(())
    }
}

/// Publications not sent because they were due too long ago, summarised per
/// schedule and channel (or per news item) for one log line.
struct Missed {
    count: usize,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    catch_up: TimeDelta,
}

impl Missed {
    fn add(missed: &mut BTreeMap<String, Missed>, p: &Publication) {
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

/// Starts tokio-cron-scheduler with one job that sends a tick every second.
/// The returned scheduler must be kept alive (and shut down at the end).
pub async fn start_ticker() -> Result<(tokio_cron_scheduler::JobScheduler, mpsc::Receiver<()>)> {
    use tokio_cron_scheduler::{Job, JobScheduler};
    let (tx, rx) = mpsc::channel(1);
    let scheduler = JobScheduler::new()
        .await
        .context("cannot create the cron scheduler")?;
    let job = Job::new_async("* * * * * *", move |_id, _scheduler| {
        let tx = tx.clone();
        Box::pin(async move {
            // A full channel means the daemon has a tick pending already.
            let _ = tx.try_send(());
        })
    })
    .context("cannot create the tick job")?;
    scheduler
        .add(job)
        .await
        .context("cannot add the tick job")?;
    scheduler
        .start()
        .await
        .context("cannot start the cron scheduler")?;
    Ok((scheduler, rx))
}

fn current_snapshot(options: &Options) -> Result<Snapshot> {
    match &options.reference {
        Some(r) => Snapshot::at_ref(&options.root, r),
        None => Ok(Snapshot::WorkTree {
            root: options.root.clone(),
        }),
    }
}

/// What identifies the loaded state: the commit, or for the work tree the
/// names, sizes and modification times of content/ and schedules/.
fn fingerprint(snapshot: &Snapshot) -> Result<String> {
    match snapshot {
        Snapshot::Commit { commit, .. } => Ok(commit.clone()),
        Snapshot::WorkTree { root } => source::tree_fingerprint(root, &["content", "schedules"]),
    }
}

/// A publisher per channel; a channel that cannot work is logged once here
/// and its publications are held, while the other channels go on.
fn publishers(
    config: &Config,
    root: &std::path::Path,
) -> BTreeMap<String, Result<Box<dyn Publisher>, String>> {
    config
        .channels
        .values()
        .map(|c| {
            let publisher = publish::publisher_for(c, root);
            if let Err(reason) = &publisher {
                error!(channel = %c.name, "channel cannot work: {reason}");
            }
            (c.name.clone(), publisher)
        })
        .collect()
}

/// An `alerts:` target, ready to send.
#[derive(Debug)]
enum AlertSink {
    /// Sent through the channel's publisher.
    Channel(String),
    /// The e-mail client, or why it cannot work (a missing secret): logged
    /// once when built and again with each alert it cannot send.
    Email(Box<Result<alerts::email::Sender, String>>),
    LogFile(PathBuf),
}

/// The `alerts:` targets of the configuration, in order; a relative log
/// path is relative to the repository.
fn alert_sinks(config: &Config, root: &std::path::Path) -> Vec<AlertSink> {
    config
        .alerts
        .iter()
        .map(|target| match target {
            AlertTarget::Channel(name) => AlertSink::Channel(name.clone()),
            AlertTarget::Email(settings) => {
                let sender = alerts::email::Sender::new(settings);
                if let Err(reason) = &sender {
                    error!(relay = %settings.relay(), "alert e-mail cannot work: {reason}");
                }
                AlertSink::Email(Box::new(sender))
            }
            AlertTarget::LogFile(path) => AlertSink::LogFile(root.join(path)),
        })
        .collect()
}

async fn send_email(sender: &Result<alerts::email::Sender, String>, alert: &Alert) {
    match sender {
        Ok(sender) => match sender.send(alert).await {
            Ok(()) => info!(relay = %sender.relay(), event = alert.event, "alert e-mailed"),
            Err(e) => {
                warn!(relay = %sender.relay(), event = alert.event, "alert e-mail not delivered: {e}")
            }
        },
        Err(reason) => warn!(event = alert.event, "alert e-mail not sent: {reason}"),
    }
}

/// The post's image from `snapshot`, or why it cannot be read: validated by
/// the same function as `check` (inside the repository, symlinks resolved,
/// type by its bytes), so a post whose check was skipped cannot upload a
/// file from outside the repository either.
fn load_image(
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
fn content_hash(post_hash: &str, text: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(post_hash.as_bytes());
    hasher.update([0]);
    hasher.update(text.as_bytes());
    crate::content::hex(&hasher.finalize())
}
