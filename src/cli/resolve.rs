//! `healthcast resolve KEY published|failed [--note TEXT]`: a person settles a
//! publication whose outcome healthcast could not know (`unknown`), after
//! looking at the channel. Recorded in the ledger with the note.

use crate::ledger::{Ledger, Outcome};
use anyhow::{Result, bail};
use chrono::Utc;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The publication key, as `status` lists it.
    pub key: String,
    #[arg(value_enum)]
    pub outcome: Resolution,
    /// What was found on the channel (e.g. the post's URL).
    #[arg(long)]
    pub note: Option<String>,
    #[arg(long, value_name = "PATH")]
    pub ledger: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Resolution {
    /// The post is on the channel.
    Published,
    /// The post is not on the channel.
    Failed,
}

pub async fn run(repo: &Path, args: Args) -> Result<u8> {
    let path = super::ledger_path(repo, args.ledger.as_deref());
    let Some(ledger) = Ledger::open_existing(&path).await? else {
        bail!(
            "no ledger at {}: nothing has been published",
            path.display()
        );
    };
    // Reopen read-write: resolving writes the outcome.
    ledger.close().await;
    let ledger = Ledger::open(&path).await?;
    let note = args.note.unwrap_or_else(|| "settled by hand".to_string());
    let outcome = match args.outcome {
        Resolution::Published => Outcome::Published {
            remote_id: format!("resolved by hand: {note}"),
            url: None,
        },
        Resolution::Failed => Outcome::Failed {
            error: format!("resolved by hand: {note}"),
        },
    };
    ledger.resolve(&args.key, &outcome, Utc::now()).await?;
    match args.outcome {
        Resolution::Published => outln!(
            "{} is now published; it counts in the rotation as sent",
            args.key
        )?,
        Resolution::Failed => outln!(
            "{} is now failed: it did not go out; a tip may be picked again at a later slot, a news item must be published again by hand or with a new publish_at",
            args.key
        )?,
    }
    Ok(0)
}
