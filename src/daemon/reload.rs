//! Reloading content and configuration when the commit (or the work tree)
//! changes, keeping the last good one; and the freeze.

use super::*;

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
