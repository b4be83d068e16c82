//! The wake-ups: tokio-cron-scheduler's tick, the watchdog that notices
//! missing ticks, and the loop that runs cycles until shutdown.

use super::Daemon;
use crate::ledger::State;
use anyhow::{Context, Result};
use chrono::{TimeDelta, Utc};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc};
use tracing::{error, info, warn};

impl Daemon {
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
            // Not silent: what is left `sending` is read back at the next
            // start, and `status` lists it meanwhile.
            match ledger.in_state(State::Sending).await {
                Ok(left) if !left.is_empty() => warn!(
                    unconfirmed = left.len(),
                    "stopping with {} publication(s) unconfirmed (an attempt may have reached the channel): the next start reads them back; `healthcast status` lists them",
                    left.len()
                ),
                _ => {}
            }
            ledger.close().await;
        }
        Ok(())
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
