//! `healthcast freeze REASON` / `healthcast unfreeze`: the crisis switch.
//! While `schedules/FREEZE` exists (its text is the reason), nothing is
//! published, and slots that pass are recorded as `frozen`, never sent later.
//! A daemon on this work tree stops at its next tick; one that follows a
//! branch stops when the commit reaches it.

use crate::daemon::FREEZE_FILE;
use anyhow::{Context, Result};
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
    println!("publishing is frozen: {reason}");
    println!(
        "commit it so that every daemon sees it: git add {FREEZE_FILE} && git commit -m \"Freeze publishing\" && git push"
    );
    Ok(0)
}

pub fn unfreeze(repo: &Path) -> Result<u8> {
    let path = repo.join(FREEZE_FILE);
    match std::fs::remove_file(&path) {
        Ok(()) => {
            println!("freeze lifted; slots that passed during it stay unsent");
            println!(
                "commit it: git rm --cached --ignore-unmatch {FREEZE_FILE}; git commit -am \"Lift the freeze\" && git push"
            );
            Ok(0)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("publishing is not frozen ({FREEZE_FILE} does not exist)");
            Ok(0)
        }
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
}
