//! `healthcast status`: recent publications, and every one that needs a
//! person (failed, unknown, or still sending).

use crate::ledger::{Ledger, Record, State};
use anyhow::Result;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_name = "PATH")]
    pub ledger: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// How many recent publications to list.
    #[arg(long, default_value_t = 20)]
    pub limit: i64,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Serialize)]
struct Output {
    recent: Vec<Record>,
    attention: Vec<Record>,
}

pub async fn run(repo: &Path, args: Args) -> Result<u8> {
    let path = super::ledger_path(repo, args.ledger.as_deref());
    let Some(ledger) = Ledger::open_existing(&path).await? else {
        match args.format {
            Format::Json => outln!(
                "{}",
                serde_json::to_string_pretty(&Output {
                    recent: vec![],
                    attention: vec![]
                })?
            )?,
            Format::Text => outln!(
                "no ledger at {} yet: nothing has been published",
                path.display()
            )?,
        }
        return Ok(0);
    };
    let recent = ledger.recent(args.limit).await?;
    let mut attention = Vec::new();
    for state in [State::Unknown, State::Failed, State::Sending] {
        attention.extend(ledger.in_state(state).await?);
    }
    match args.format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&Output { recent, attention })?
        )?,
        Format::Text => {
            if let Some(reason) = frozen(repo) {
                outln!("FROZEN: {reason} — nothing goes out until schedules/FREEZE is removed\n")?;
            }
            out!("{}", text(&recent, &attention))?
        }
    }
    Ok(0)
}

/// The freeze reason, as the daemon would see it: in the work tree, or in
/// HEAD of a git repository.
fn frozen(repo: &Path) -> Option<String> {
    let snapshot = if super::is_git(repo) {
        crate::source::Snapshot::at_ref(repo, "HEAD").ok()?
    } else {
        crate::source::Snapshot::WorkTree {
            root: repo.to_path_buf(),
        }
    };
    crate::daemon::freeze_reason(&snapshot)
}

fn text(recent: &[Record], attention: &[Record]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Recent publications ({}):", recent.len());
    for r in recent {
        line(&mut out, r);
    }
    let _ = writeln!(out, "\nNeeding attention ({}):", attention.len());
    for r in attention {
        line(&mut out, r);
        let _ = writeln!(out, "    key: {}", r.key);
        if let Some(error) = &r.error {
            let _ = writeln!(out, "    error: {error}");
        }
        let next = match r.state {
            State::Unknown => format!(
                "check the channel, then `healthcast resolve {} published|failed --note …`",
                r.key
            ),
            State::Failed => "nothing went out; fix the cause (the error above), and a tip goes out at a later slot, a news item by hand".to_string(),
            _ => "healthcast settles it itself (read back); nothing to do yet".to_string(),
        };
        let _ = writeln!(out, "    next: {next}");
    }
    out
}

fn line(out: &mut String, r: &Record) {
    let _ = writeln!(
        out,
        "  {:<9}  {}  {:<12}  {}  {}",
        r.state.as_str(),
        r.at.format("%Y-%m-%d %H:%M UTC"),
        r.channel,
        r.post,
        r.url.as_deref().or(r.remote_id.as_deref()).unwrap_or("")
    );
    if r.state == State::Sending && r.ambiguous {
        let since = r.attempt_at.unwrap_or(r.updated_at);
        let _ = writeln!(
            out,
            "    an attempt at {} may have reached the channel: read back once its request has surely ended",
            since.format("%Y-%m-%d %H:%M:%S UTC")
        );
    }
}
