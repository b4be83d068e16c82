//! The command line: one file per command. `main.rs` parses, dispatches and
//! prints the error chain once; commands return the exit code.
//!
//! Command output goes through `outln!` and `out!` (defined here, so in
//! scope in every command's file), never `println!`: a closed stdout
//! (`healthcast preview | head -1`) is then an error the command returns,
//! and `main.rs` ends on it quietly, instead of a panic.

/// `println!` to stdout that returns the write's `io::Result`.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// `print!` to stdout that returns the write's `io::Result`.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)
    }};
}

pub mod check;
pub mod freeze;
pub mod new;
pub mod preview;
pub mod resolve;
pub mod run;
pub mod status;

use crate::config::Config;
use crate::content::front_matter::parse_timestamp;
use crate::ledger;
use crate::source::{self, Snapshot};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};

/// Exit code: content or configuration has errors.
pub const EXIT_CONTENT_ERRORS: u8 = 1;

/// Exit code of `run --once`: a publication failed, is unknown or still
/// unconfirmed, or a channel cannot work; a person must look.
pub const EXIT_DELIVERY: u8 = 3;

/// Exit code: healthcast itself could not work (the async runtime did not start).
pub const EXIT_INTERNAL: u8 = 70;

#[derive(Debug, Parser)]
#[command(
    name = "healthcast",
    version,
    about = "Checks Markdown health tips and news, previews them, and publishes them on cron schedules, exactly once."
)]
pub struct Cli {
    /// The content repository (holding content/ and schedules/).
    #[arg(long, global = true, default_value = ".", value_name = "DIR")]
    pub repo: PathBuf,
    /// Logs on stderr as text, or as one JSON object per line (for log collectors).
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check posts and configuration; exit 1 when there are errors.
    Check(check::Args),
    /// Show what will be published where and when, as each channel shows it.
    Preview(preview::Args),
    /// Run the scheduler: publish due posts at their slots (the daemon).
    Run(run::Args),
    /// Show recent publications and every failed or unknown one.
    Status(status::Args),
    /// Start a new post from a template.
    New(new::Args),
    /// Settle a publication whose outcome is unknown, after checking the channel.
    Resolve(resolve::Args),
    /// Stop all publishing (writes schedules/FREEZE with the reason).
    Freeze(freeze::Args),
    /// Lift the freeze (removes schedules/FREEZE).
    Unfreeze,
}

pub async fn dispatch(cli: Cli) -> Result<u8> {
    let repo = &cli.repo;
    if !repo.is_dir() {
        bail!("--repo {}: no such folder", repo.display());
    }
    match cli.command {
        Command::Check(args) => check::run(repo, args),
        Command::Preview(args) => preview::run(repo, args).await,
        Command::Run(args) => run::run(repo, args).await,
        Command::Status(args) => status::run(repo, args).await,
        Command::New(args) => new::run(repo, args),
        Command::Resolve(args) => resolve::run(repo, args).await,
        Command::Freeze(args) => freeze::freeze(repo, args),
        Command::Unfreeze => freeze::unfreeze(repo),
    }
}

/// The work tree, or the commit `reference` names.
pub fn snapshot(repo: &Path, reference: Option<&str>) -> Result<Snapshot> {
    match reference {
        Some(r) => Snapshot::at_ref(repo, r),
        None => Ok(Snapshot::WorkTree {
            root: repo.to_path_buf(),
        }),
    }
}

/// `--ledger PATH`, or the default under the repository.
pub fn ledger_path(repo: &Path, ledger: Option<&Path>) -> PathBuf {
    ledger.map_or_else(|| repo.join(ledger::DEFAULT_PATH), Path::to_path_buf)
}

/// Whether `repo` is a git work tree (for `run`'s default of HEAD).
pub fn is_git(repo: &Path) -> bool {
    source::is_git_repo(repo)
}

/// Parses `--from`: `now`, a date (midnight in the organisation's zone) or a
/// date and time with offset.
pub fn parse_from(
    text: &str,
    config: Option<&Config>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    if text == "now" {
        return Ok(now);
    }
    if let Some(at) = parse_timestamp(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("--from `{text}`: write `now`, a date (2026-12-01) or a date and time with offset (2026-12-01T09:00:00-05:00)"))?;
    let tz = config.map_or(chrono_tz::UTC, |c| c.timezone);
    tz.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .context("--from: that midnight does not exist in the organisation's time zone")
}
