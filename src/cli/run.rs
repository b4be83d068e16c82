//! `healthcast run`: the scheduler. Publishes what is committed (HEAD by
//! default in a git repository), says on start what goes out next, and keeps
//! publishing at each slot until SIGINT/SIGTERM. `--once` publishes what is
//! due now and exits, for system cron or a Kubernetes CronJob.

use crate::daemon::{self, Daemon, Options};
use crate::plan::Publication;
use anyhow::Result;
use chrono::{TimeDelta, Utc};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tracing::{info, warn};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Publish the content of this git ref (default: HEAD in a git repository).
    #[arg(long = "ref", value_name = "REF", conflicts_with = "worktree")]
    pub reference: Option<String>,
    /// Publish the work tree as it is, uncommitted changes included.
    #[arg(long)]
    pub worktree: bool,
    /// Log what would go out; send nothing, write no ledger.
    #[arg(long)]
    pub dry_run: bool,
    /// Publish what is due now (within catch-up), then exit.
    #[arg(long)]
    pub once: bool,
    #[arg(long, value_name = "PATH")]
    pub ledger: Option<PathBuf>,
    /// The ledger is meant to be new (a first installation): send what is
    /// due within catch-up without first reading the channels back.
    #[arg(long)]
    pub new_ledger: bool,
    /// Follow a remote branch (e.g. `origin/main`): fetch it every
    /// --sync-every and publish what it names. Default: `sync:` in
    /// channels.yaml, unless --ref or --worktree is given.
    #[arg(long, value_name = "REMOTE/BRANCH", conflicts_with_all = ["reference", "worktree"])]
    pub sync: Option<String>,
    /// How often to look for new commits (with a sync: fetch). Default:
    /// `sync.every` in channels.yaml, else 30s.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub sync_every: Option<std::time::Duration>,
    /// Serve /healthz and /metrics on this address (e.g. 127.0.0.1:9090).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
}

/// What `run` checks every so often when neither flags nor channels.yaml say.
const DEFAULT_SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// `sync:` from the channels.yaml at HEAD, when `run` publishes HEAD of a
/// git repository (a broken configuration is reported by the start itself).
fn configured_sync(repo: &Path, args: &Args) -> Option<crate::config::SyncSettings> {
    if args.sync.is_some() || args.reference.is_some() || args.worktree || !super::is_git(repo) {
        return None;
    }
    let snapshot = crate::source::Snapshot::at_ref(repo, "HEAD").ok()?;
    crate::config::load(&snapshot).ok()?.config?.sync
}

pub async fn run(repo: &Path, args: Args) -> Result<u8> {
    let signals = StopSignals::listen();
    let configured = configured_sync(repo, &args);
    let sync_every = args
        .sync_every
        .or_else(|| {
            configured
                .as_ref()
                .and_then(|s| s.every)
                .and_then(|e| e.0.to_std().ok())
        })
        .unwrap_or(DEFAULT_SYNC_EVERY);
    let wanted = match (&args.sync, &configured) {
        (Some(spec), _) => {
            let Some((remote, branch)) = spec.split_once('/') else {
                anyhow::bail!("--sync {spec}: write REMOTE/BRANCH, e.g. origin/main");
            };
            let flag = crate::config::SyncSettings {
                remote: remote.to_string(),
                branch: branch.to_string(),
                every: None,
            };
            if let Some(problem) = flag.problem() {
                anyhow::bail!("--sync {spec}: {problem}");
            }
            Some((flag.remote, flag.branch))
        }
        (None, Some(settings)) => {
            info!(remote = %settings.remote, branch = %settings.branch, "following the branch named by `sync:` in schedules/channels.yaml");
            Some((settings.remote.clone(), settings.branch.clone()))
        }
        (None, None) => None,
    };
    let sync = match wanted {
        Some((remote, branch)) => {
            let sync = crate::daemon::Sync { remote, branch };
            // The first fetch happens before the first load, so a start sees the branch as it is.
            crate::source::fetch(repo, &sync.remote, &sync.branch)?;
            Some(sync)
        }
        None => None,
    };
    let reference = match (args.reference, args.worktree) {
        _ if sync.is_some() => sync.as_ref().map(crate::daemon::Sync::reference),
        (Some(r), _) => Some(r),
        (None, false) if super::is_git(repo) => Some("HEAD".to_string()),
        _ => None,
    };
    let mut options = Options::new(
        repo.to_path_buf(),
        reference,
        super::ledger_path(repo, args.ledger.as_deref()),
    );
    options.dry_run = args.dry_run;
    options.new_ledger = args.new_ledger;
    options.sync = sync;
    options.reload_every = sync_every;
    let now = Utc::now();
    let mut daemon = Daemon::start(options, now).await?;
    // From here on a stop only ends what is in flight.
    let stop = daemon.stop_flag();
    let stopped = Arc::new(tokio::sync::Notify::new());
    let notify = stopped.clone();
    tokio::spawn(async move {
        signals.wait().await;
        stop.store(true, Ordering::SeqCst);
        notify.notify_one();
    });
    let recovered = daemon.recover(now).await?;
    print_start(&daemon, args.dry_run).await?;

    if args.once {
        let mut report = daemon.cycle(Utc::now()).await?;
        report.absorb(&recovered);
        // A lost answer is read back before exiting, so that the exit code
        // tells how the run ended.
        let (settled, unconfirmed) = daemon.finish_read_backs().await?;
        report.absorb(&settled);
        report.unconfirmed = unconfirmed;
        outln!(
            "published {}, failed {}, unknown {}, unconfirmed {}, held {}, missed {}, frozen {}{}",
            report.published,
            report.failed,
            report.unknown,
            report.unconfirmed,
            report.held,
            report.missed,
            report.frozen,
            if args.dry_run {
                format!(", would publish {}", report.would_publish)
            } else {
                String::new()
            }
        )?;
        return Ok(once_exit_code(&report, &daemon));
    }

    daemon.update_metrics(Utc::now()).await?;
    let server = match args.listen {
        Some(addr) => Some(crate::observe::serve(addr, daemon.health.clone()).await?.1),
        None => None,
    };
    let (mut scheduler, ticks) = daemon::start_ticker().await?;
    outln!("running; Ctrl-C stops after the publications in flight")?;
    daemon
        .run_loop(ticks, async move { stopped.notified().await })
        .await?;
    if let Err(e) = scheduler.shutdown().await {
        warn!("cron scheduler did not shut down cleanly: {e}");
    }
    if let Some(server) = server {
        server.abort();
    }
    info!("stopped");
    Ok(0)
}

/// `run --once`'s exit code: a person must look when a publication failed,
/// is unknown or still unconfirmed, a channel cannot work (delivery, 3), or
/// content or configuration holds a post back (1).
fn once_exit_code(report: &daemon::CycleReport, daemon: &Daemon) -> u8 {
    let delivery = report.failed + report.unknown + report.unconfirmed + report.channel_problems;
    if delivery > 0 || !daemon.broken_channels().is_empty() {
        super::EXIT_DELIVERY
    } else if report.held_by_checks > 0 || daemon.repo().error_count() > 0 {
        super::EXIT_CONTENT_ERRORS
    } else {
        0
    }
}

async fn print_start(daemon: &Daemon, dry_run: bool) -> Result<()> {
    let repo = daemon.repo();
    let config = daemon.config();
    let source = match repo.snapshot.commit() {
        Some(commit) => format!("commit {}", &commit[..commit.len().min(12)]),
        None => "the work tree".to_string(),
    };
    outln!(
        "healthcast {}: {} posts from {source}, {} schedules, channels: {}{}",
        env!("CARGO_PKG_VERSION"),
        repo.posts.len(),
        config.schedules.len(),
        config
            .channels
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
        if dry_run {
            " (dry run: nothing is sent)"
        } else {
            ""
        }
    )?;
    if daemon.ledger_was_new() && daemon.new_ledger_meant() {
        outln!(
            "new ledger: {} (--new-ledger): what is due within catch-up is sent without reading the channels back",
            daemon.ledger_path().display()
        )?;
    } else if daemon.ledger_was_new() {
        outln!(
            "NEW LEDGER: {} holds no publications. If posts went out before under another ledger, what is due now is first looked for on its channel, and held where a channel cannot be read back; `run --new-ledger` says the ledger is meant to be new.",
            daemon.ledger_path().display()
        )?;
    }
    for (channel, why) in daemon.broken_channels() {
        outln!("channel {channel} cannot work: {why}; its publications are held")?;
    }
    if repo.error_count() > 0 {
        outln!(
            "{} errors hold posts back; run `healthcast check` to see them",
            repo.error_count()
        )?;
    }
    // Look a little ahead first: a frequent schedule fills ten lines in minutes.
    let mut upcoming = Vec::new();
    for horizon in [TimeDelta::hours(1), TimeDelta::days(1), TimeDelta::days(14)] {
        upcoming = daemon.upcoming(Utc::now(), horizon).await?;
        if upcoming.len() >= 10 {
            break;
        }
    }
    let shown: Vec<&Publication> = upcoming.iter().take(10).collect();
    if shown.is_empty() {
        outln!("nothing is planned in the next 14 days")?;
    } else {
        outln!("next publications:")?;
        for p in shown {
            let what = match (&p.post, p.blocked.is_empty()) {
                (Some(post), true) => post.clone(),
                (Some(post), false) => format!("{post} (BLOCKED: {})", p.blocked.join("; ")),
                (None, _) => format!("nothing ({})", p.blocked.join("; ")),
            };
            outln!(
                "  {}  {:<14} → {:<10} {what}",
                p.at.with_timezone(&p.timezone)
                    .format("%a %Y-%m-%d %H:%M %Z"),
                p.schedule.as_deref().unwrap_or("news"),
                p.channel,
            )?;
        }
    }
    Ok(())
}

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    crate::config::duration::parse(text)
        .and_then(|d| d.to_std().ok())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("`{text}` is not a duration; write e.g. 30s or 5m"))
}

/// SIGINT and SIGTERM, listened for from the start of `run`, so that a
/// stop asked while the daemon starts up is honoured rather than fatal.
struct StopSignals {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl StopSignals {
    fn listen() -> StopSignals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signals = signal(SignalKind::interrupt())
                .and_then(|interrupt| Ok((interrupt, signal(SignalKind::terminate())?)))
                .map_err(|e| warn!("cannot listen for SIGINT/SIGTERM ({e}); Ctrl-C stops at once"))
                .ok();
            StopSignals { signals }
        }
        #[cfg(not(unix))]
        StopSignals {}
    }

    /// Completes on the first SIGINT or SIGTERM.
    async fn wait(self) {
        #[cfg(unix)]
        match self.signals {
            Some((mut interrupt, mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            None => std::future::pending::<()>().await,
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        info!("stop requested; finishing publications in flight");
    }
}
