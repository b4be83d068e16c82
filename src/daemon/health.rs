//! What `/healthz` and `/metrics` report.

use super::Daemon;
use crate::plan;
use anyhow::Result;
use chrono::{DateTime, Utc};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tracing::{error, info};

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
    pub(super) fn new() -> Health {
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

    pub(super) fn set_sync(&self, error: Option<String>) {
        *self.sync_error.lock().unwrap_or_else(|p| p.into_inner()) = error;
    }

    pub fn metrics(&self) -> String {
        self.metrics
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Records a tick; returns whether it ends a stall.
    pub(super) fn tick(&self) -> bool {
        *self.last_tick.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        let recovered = self.stalled.swap(false, Ordering::Relaxed);
        if recovered {
            info!("scheduler ticks again");
        }
        recovered
    }

    /// Marks the scheduler stalled when no tick came within `after`.
    pub(super) fn check(&self, after: Duration) -> bool {
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

impl Daemon {
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
}
