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
