//! `healthcast freeze REASON` / `healthcast unfreeze`: the crisis switch.
//! While `schedules/FREEZE` exists (its text is the reason), nothing is
//! published, and slots that pass are recorded as `frozen`, never sent later.
//! A daemon on this work tree stops at its next tick; one that follows a
//! branch stops when the commit reaches it.

use crate::daemon::FREEZE_FILE;
use crate::source::Snapshot;
use anyhow::{Context, Result, bail};
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Why publishing stops (shown in logs, status and preview).
    pub reason: String,
}

pub fn freeze(repo: &Path, args: Args) -> Result<u8> {
    let path = repo.join(FREEZE_FILE);
    let reason = args.reason.trim();
    let reason = if reason.is_empty() {
        "no reason given"
    } else {
        reason
    };
    std::fs::write(&path, format!("{reason}\n"))
        .with_context(|| format!("cannot write {}", path.display()))?;
    outln!("publishing is frozen: {reason}")?;
    outln!(
        "commit it so that every daemon sees it: git add {FREEZE_FILE} && git commit -m \"Freeze publishing\" && git push"
    )?;
    Ok(0)
}

pub fn unfreeze(repo: &Path) -> Result<u8> {
    let path = repo.join(FREEZE_FILE);
    let removed = match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        // Anything at the path freezes; a directory may hold someone's notes.
        Ok(meta) if meta.is_dir() => bail!(
            "{} is a directory, which freezes publishing as the file does; remove it yourself (rm -r {FREEZE_FILE}) once nothing in it is needed",
            path.display()
        ),
        _ => {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            true
        }
    };
    // A daemon publishing HEAD stays frozen while the commit has the file.
    let committed = super::is_git(repo)
        && Snapshot::at_ref(repo, "HEAD")
            .ok()
            .and_then(|head| head.entry(FREEZE_FILE).ok().flatten())
            .is_some();
    if removed {
        outln!("freeze lifted; slots that passed during it stay unsent")?;
    } else if committed {
        outln!(
            "HEAD still has {FREEZE_FILE}: a daemon publishing it stays frozen until its removal is committed"
        )?;
    } else {
        outln!("publishing is not frozen ({FREEZE_FILE} does not exist)")?;
    }
    if removed || committed {
        outln!(
            "commit it: git rm -r --cached --ignore-unmatch {FREEZE_FILE}; git commit -am \"Lift the freeze\" && git push"
        )?;
    }
    Ok(0)
}
