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

mod alerting;
mod cycle;
mod delivery;
mod health;
mod reconcile;
mod reload;
mod ticker;

pub use health::Health;
pub use reload::{FREEZE_FILE, freeze_reason};
pub use ticker::start_ticker;

use alerting::{AlertSink, alert_sinks};
use reload::{current_snapshot, fingerprint, publishers};

use crate::alerts::Alerts;
use crate::config::Config;
use crate::ledger::Ledger;
use crate::plan::{self, LedgerView, Publication};
use crate::publish::Publisher;
use crate::repo::Repo;
use anyhow::{Result, bail};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tracing::warn;

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
    /// The operator says the ledger is meant to be new: publications due
    /// before the start are sent without reading their channels back.
    pub new_ledger: bool,
    /// How long one cycle may spend sending alerts over the network
    /// (webhooks, e-mail); what is left is logged, never waited for.
    pub alert_budget: Duration,
}

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
            new_ledger: false,
            alert_budget: Duration::from_secs(20),
        }
    }
}

/// What one cycle did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CycleReport {
    pub published: usize,
    /// Refused by the platform, or credentials rejected; no attempt can
    /// have posted it.
    pub failed: usize,
    /// An attempt may have posted it and the channel cannot tell: a person
    /// settles it (`healthcast resolve`).
    pub unknown: usize,
    /// An attempt may have posted it: kept `sending`, to be read back once
    /// its request has surely ended.
    pub unconfirmed: usize,
    /// Due too long ago (beyond catch-up): reported, not sent.
    pub missed: usize,
    /// Not sent this cycle, for any reason (the ones below included, and
    /// waits: a rate limit, `max_per_day`, `min_gap`).
    pub held: usize,
    /// Held by check errors, expiry, review, length, an image, or no
    /// eligible tip: the content must change.
    pub held_by_checks: usize,
    /// Held because the channel cannot work (a missing secret, rejected
    /// credentials) or, on a new ledger, cannot be read back.
    pub channel_problems: usize,
    /// Dry run: would have been published.
    pub would_publish: usize,
    /// Due during a freeze: recorded, never sent.
    pub frozen: usize,
}

impl CycleReport {
    /// Adds what another part of the cycle did.
    pub fn absorb(&mut self, other: &CycleReport) {
        self.published += other.published;
        self.failed += other.failed;
        self.unknown += other.unknown;
        self.unconfirmed += other.unconfirmed;
        self.missed += other.missed;
        self.held += other.held;
        self.held_by_checks += other.held_by_checks;
        self.channel_problems += other.channel_problems;
        self.would_publish += other.would_publish;
        self.frozen += other.frozen;
    }
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
    /// A publication is `sending` without a request of this process in
    /// flight (left by a crash or a lost answer): read back (`reconcile`).
    readback_pending: bool,
    /// The ledger was new at start, and the operator did not say it was
    /// meant to be: publications that may have gone out before then (news
    /// due by then, tips whose catch-up reaches back to then) are looked
    /// for on their channels before they are sent.
    fresh_until: Option<DateTime<Utc>>,
    /// The ledger held no publication at start.
    ledger_new: bool,
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
        let fresh = match &ledger {
            Some(ledger) if !options.dry_run => ledger.is_empty().await?,
            _ => false,
        };
        if fresh {
            if options.new_ledger {
                warn!(ledger = %options.ledger.display(), "the ledger is new (--new-ledger): what is due within catch-up is sent without reading the channels back");
            } else {
                warn!(ledger = %options.ledger.display(), "the ledger is NEW or EMPTY: if posts were published before under another ledger, publications due now are first looked for on their channels, and held where a channel cannot be read back; pass --new-ledger if this ledger is meant to be new");
            }
        }
        let options_new_ledger = options.new_ledger;
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
            // Rows left `sending` by an earlier process are read back.
            readback_pending: true,
            fresh_until: (fresh && !options_new_ledger).then_some(now),
            ledger_new: fresh,
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

    /// Whether the ledger was new or empty at start.
    pub fn ledger_was_new(&self) -> bool {
        self.ledger_new
    }

    /// Set it to stop: no new publication starts, the one in flight ends.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Whether the operator said the ledger is meant to be new.
    pub fn new_ledger_meant(&self) -> bool {
        self.options.new_ledger
    }

    pub fn ledger_path(&self) -> &std::path::Path {
        &self.options.ledger
    }

    /// The channels that cannot work (a missing secret, rejected
    /// credentials), with why.
    pub fn broken_channels(&self) -> Vec<(&str, &str)> {
        self.publishers
            .iter()
            .filter_map(|(name, p)| p.as_ref().err().map(|why| (name.as_str(), why.as_str())))
            .collect()
    }

    pub(super) fn log_diagnostics(&self) {
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

    pub(super) async fn view(&self) -> Result<LedgerView> {
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
}
