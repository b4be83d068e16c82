//! `healthcast preview`: the calendar of coming publications, each rendered as
//! its channel will show it. Shares `plan` and `render` with `run`, so what it
//! shows is what the daemon sends.

use super::EXIT_CONTENT_ERRORS;
use crate::ledger::Ledger;
use crate::plan::{self, LedgerView, Publication};
use crate::render;
use crate::repo::Repo;
use anyhow::{Result, bail};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Start of the window: `now`, a date, or a date and time with offset.
    #[arg(long, default_value = "now")]
    pub from: String,
    /// Length of the window in days.
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    /// Show only this channel.
    #[arg(long)]
    pub channel: Option<String>,
    /// Show only this post (its id): where and when it goes out, and as what.
    #[arg(long, value_name = "ID")]
    pub post: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Preview the content of this git ref instead of the work tree.
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// The ledger whose history the rotation continues from.
    #[arg(long, value_name = "PATH")]
    pub ledger: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// One line of `preview --format json`; documented in README.
#[derive(Debug, Serialize)]
pub struct Entry {
    #[serde(serialize_with = "whole_seconds")]
    pub at: DateTime<Utc>,
    pub local: String,
    pub timezone: String,
    pub schedule: Option<String>,
    pub channel: String,
    pub platform: String,
    pub post: Option<String>,
    pub file: Option<String>,
    pub key: Option<String>,
    pub text: Option<String>,
    pub length: Option<usize>,
    pub limit: Option<usize>,
    /// What is posted, one entry per post (several for a thread).
    pub parts: Vec<Part>,
    pub blocked: Vec<String>,
}

/// One post of a publication, counted as its platform counts.
#[derive(Debug, Serialize)]
pub struct Part {
    pub text: String,
    pub length: usize,
    /// Bluesky's rich-text facets (UTF-8 byte offsets), as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<Vec<serde_json::Value>>,
}

pub async fn run(repo: &Path, args: Args) -> Result<u8> {
    let now = Utc::now();
    let loaded = Repo::load(super::snapshot(repo, args.reference.as_deref())?, now)?;
    let Some(config) = &loaded.config else {
        eprint!(
            "{}",
            crate::diagnostic::render_human(&loaded.diagnostics, &loaded.sources)
        );
        bail!("the configuration in schedules/ has errors (above); nothing can be planned");
    };
    if let Some(channel) = &args.channel
        && !config.channels.contains_key(channel)
    {
        bail!("--channel {channel}: no such channel in schedules/channels.yaml");
    }
    if let Some(post) = &args.post
        && loaded.post(post).is_none()
    {
        bail!(
            "--post {post}: no post with that id (ids are paths under content/ without .md, unless `id:` says otherwise)"
        );
    }
    let from = super::parse_from(&args.from, Some(config), now)?;
    let until = from + TimeDelta::days(i64::from(args.days));
    let view =
        match Ledger::open_existing(&super::ledger_path(repo, args.ledger.as_deref())).await? {
            Some(ledger) => ledger.view().await?,
            None => LedgerView::default(),
        };
    // A window in the future is planned from now, so that the rotation goes
    // through the slots before it as the daemon will.
    let start = from.min(now);
    let publications: Vec<Publication> =
        plan::plan(config, &loaded.posts, &loaded.holds(), &view, start, until)
            .into_iter()
            .filter(|p| p.at >= from)
            .collect();
    let frozen = crate::daemon::freeze_reason(&loaded.snapshot);
    let entries: Vec<Entry> = publications
        .iter()
        .filter(|p| args.channel.as_ref().is_none_or(|c| *c == p.channel))
        .filter(|p| args.post.is_none() || p.post == args.post)
        .map(|p| {
            let mut e = entry(&loaded, p);
            if let Some(reason) = &frozen {
                e.blocked.insert(
                    0,
                    format!("frozen: {reason} (until schedules/FREEZE is removed)"),
                );
            }
            e
        })
        .collect();
    match args.format {
        Format::Json => {
            outln!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "publications": entries }))?
            )?;
        }
        Format::Text => {
            out!("{}", text(&entries, &loaded, from, until))?;
            if let Some(post) = args.post.as_deref().filter(|_| entries.is_empty()) {
                outln!("{}", not_planned(&loaded, post))?;
            }
        }
    }
    Ok(if loaded.error_count() > 0 {
        EXIT_CONTENT_ERRORS
    } else {
        0
    })
}

/// Times in JSON are whole seconds, as the README documents.
fn whole_seconds<S: serde::Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Why `post` has no publication in the window.
fn not_planned(repo: &Repo, post: &str) -> String {
    let holds = repo.holds();
    match holds.get(post) {
        Some(reasons) => format!(
            "{post} goes out nowhere in this window: it is held by {}; run `healthcast check` for where",
            reasons.join("; ")
        ),
        None => format!(
            "{post} goes out nowhere in this window: no schedule picks it then (its kind, tags or channels), or its publish_at lies outside; try a longer --days"
        ),
    }
}

fn entry(repo: &Repo, p: &Publication) -> Entry {
    // Invariant: the planner only names channels of this configuration.
    let channel = repo
        .config
        .as_ref()
        .and_then(|c| c.channels.get(&p.channel));
    let post = p.post.as_deref().and_then(|id| repo.post(id));
    let rendered = match (post, channel) {
        (Some(post), Some(channel)) => Some(render::render(post, channel)),
        _ => None,
    };
    let mut blocked = p.blocked.clone();
    if let Some(r) = rendered.as_ref().filter(|r| r.too_long()) {
        blocked.push(format!(
            "too long: {} of {} characters",
            r.length,
            r.limit.unwrap_or(0)
        ));
    }
    Entry {
        at: p.at,
        local: p
            .at
            .with_timezone(&p.timezone)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string(),
        timezone: p.timezone.name().to_string(),
        schedule: p.schedule.clone(),
        channel: p.channel.clone(),
        platform: channel.map_or("", |c| c.platform()).to_string(),
        key: p.post.as_ref().map(|_| p.key()),
        post: p.post.clone(),
        file: post.map(|p| p.file.clone()),
        length: rendered.as_ref().map(|r| r.length),
        limit: rendered.as_ref().and_then(|r| r.limit),
        parts: rendered
            .as_ref()
            .map_or_else(Vec::new, |r| parts(r, channel.map_or("", |c| c.platform()))),
        text: rendered.map(|r| r.text),
        blocked,
    }
}

fn parts(rendered: &render::Rendered, platform: &str) -> Vec<Part> {
    let count = render::length::counter(platform).unwrap_or(render::graphemes);
    rendered
        .parts
        .iter()
        .map(|text| Part {
            length: count(text),
            facets: (platform == "bluesky").then(|| render::facets::detect(text).facets),
            text: text.clone(),
        })
        .collect()
}

fn text(entries: &[Entry], repo: &Repo, from: DateTime<Utc>, until: DateTime<Utc>) -> String {
    let mut out = String::new();
    let blocked = entries.iter().filter(|e| !e.blocked.is_empty()).count();
    let _ = writeln!(
        out,
        "{} publications from {} to {} ({} blocked)\n",
        entries.len(),
        from.format("%Y-%m-%d %H:%M UTC"),
        until.format("%Y-%m-%d %H:%M UTC"),
        blocked
    );
    for e in entries {
        let source = e
            .schedule
            .as_deref()
            .map_or("news".to_string(), |s| format!("schedule {s}"));
        let _ = writeln!(
            out,
            "{}  ({})  {} → {} [{}]",
            e.local,
            e.at.format("%Y-%m-%d %H:%M UTC"),
            source,
            e.channel,
            e.platform
        );
        if let (Some(post), Some(file)) = (&e.post, &e.file) {
            let _ = writeln!(out, "  post {post}  ({file})");
        }
        for reason in &e.blocked {
            let _ = writeln!(out, "  BLOCKED: {reason}");
        }
        let limit = e.limit.map_or(String::new(), |l| format!(" of {l}"));
        if e.parts.len() > 1 {
            for (i, part) in e.parts.iter().enumerate() {
                let _ = writeln!(out, "  thread post {} of {}:", i + 1, e.parts.len());
                for line in part.text.lines() {
                    let _ = writeln!(out, "  │ {line}");
                }
                let _ = writeln!(out, "  {} characters{limit}", part.length);
            }
        } else if let Some(text) = &e.text {
            for line in text.lines() {
                let _ = writeln!(out, "  │ {line}");
            }
            let _ = writeln!(out, "  {} characters{limit}", e.length.unwrap_or(0));
        }
        out.push('\n');
    }
    let errors = repo.error_count();
    if errors > 0 {
        let _ = writeln!(
            out,
            "{errors} errors in content or configuration hold posts back; run `healthcast check` for details"
        );
    }
    out
}
