//! Reloading content and configuration when the commit (or the work tree)
//! changes, keeping the last good one; and the freeze.

use super::alerting::alert_sinks;
use super::{Daemon, Options};
use crate::config::Config;
use crate::publish::Publisher;
use crate::repo::Repo;
use crate::source::Snapshot;
use crate::{publish, source};
use anyhow::Result;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use tracing::{error, info, warn};

/// The crisis switch: while this file exists, nothing is published.
pub const FREEZE_FILE: &str = "schedules/FREEZE";

/// Why publishing is frozen, if it is: `schedules/FREEZE` in the snapshot
/// (the published commit) or in the work tree beside it (a local file is
/// the fastest brake). Its text is the reason. The brake fails closed:
/// anything at that path freezes (a file, a directory, a symbolic link even
/// to nothing, a file that cannot be read or is not UTF-8), and so does not
/// being able to tell.
pub fn freeze_reason(snapshot: &Snapshot) -> Option<String> {
    use crate::source::Entry;
    use std::io::Read as _;
    /// A reason longer than this is cut: it goes into every frozen row and alert.
    const MAX_REASON: usize = 1000;
    fn reason(bytes: &[u8]) -> String {
        let text = String::from_utf8_lossy(bytes);
        match text.trim() {
            "" => "no reason given".to_string(),
            text => text.chars().take(MAX_REASON).collect(),
        }
    }
    /// The text of the work tree's file, following a link; only a regular
    /// file is read (a FIFO would block the daemon), and only its start.
    fn local(path: &std::path::Path) -> String {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() => {
                let mut bytes = Vec::new();
                match std::fs::File::open(path)
                    .and_then(|f| f.take(4 * MAX_REASON as u64).read_to_end(&mut bytes))
                {
                    Ok(_) => reason(&bytes),
                    Err(e) => format!("no reason readable ({FREEZE_FILE}: {e})"),
                }
            }
            Ok(_) => format!("no reason given ({FREEZE_FILE} is not a regular file)"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                format!("no reason given ({FREEZE_FILE} is a symbolic link to nothing)")
            }
            Err(e) => format!("no reason readable ({FREEZE_FILE}: {e})"),
        }
    }
    let work_tree = Snapshot::WorkTree {
        root: snapshot.root().to_path_buf(),
    };
    let places = [Some(snapshot), snapshot.commit().map(|_| &work_tree)];
    places.into_iter().flatten().find_map(|place| {
        let entry = match place.entry(FREEZE_FILE) {
            Ok(entry) => entry?,
            Err(e) => {
                return Some(format!(
                    "cannot tell whether {FREEZE_FILE} exists ({e:#}), so nothing is published"
                ));
            }
        };
        Some(match (entry, place.commit().is_some()) {
            (Entry::Dir, _) => format!("no reason given ({FREEZE_FILE} is a directory)"),
            (Entry::Other, _) => format!("no reason given ({FREEZE_FILE} is not a regular file)"),
            // A committed link's blob is its target's name, not a reason.
            (Entry::Symlink, true) => {
                format!("no reason given ({FREEZE_FILE} is a symbolic link)")
            }
            (Entry::File, true) => match place.read_file(FREEZE_FILE) {
                Ok(Some(bytes)) => reason(&bytes),
                Ok(None) | Err(_) => format!("no reason readable from {FREEZE_FILE}"),
            },
            (Entry::File | Entry::Symlink, false) => local(&place.root().join(FREEZE_FILE)),
        })
    })
}

impl Daemon {
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

    /// The freeze reason when `schedules/FREEZE` exists in the published
    /// commit or in the work tree (a local file is the fastest brake); logs
    /// when the freeze starts and ends.
    pub(super) fn freeze_state(&mut self) -> Option<String> {
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
}

pub(super) fn current_snapshot(options: &Options) -> Result<Snapshot> {
    match &options.reference {
        Some(r) => Snapshot::at_ref(&options.root, r),
        None => Ok(Snapshot::WorkTree {
            root: options.root.clone(),
        }),
    }
}

/// What identifies the loaded state: the commit, or for the work tree the
/// names, sizes and modification times of content/ and schedules/.
pub(super) fn fingerprint(snapshot: &Snapshot) -> Result<String> {
    match snapshot {
        Snapshot::Commit { commit, .. } => Ok(commit.clone()),
        Snapshot::WorkTree { root } => source::tree_fingerprint(root, &["content", "schedules"]),
    }
}

/// A publisher per channel; a channel that cannot work is logged once here
/// and its publications are held, while the other channels go on.
pub(super) fn publishers(
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
