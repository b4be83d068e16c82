//! `healthcast check`: load, check, print diagnostics; exit 1 on errors.

use super::EXIT_CONTENT_ERRORS;
use crate::checks::suppress::Suppression;
use crate::diagnostic::{self, Diagnostic};
use crate::formats;
use crate::repo::{self, PostSummary};
use anyhow::Result;
use chrono::Utc;
use serde::Serialize;
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Check the content of this git ref instead of the work tree.
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// Report only on these files (paths relative to the repository).
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(Serialize)]
struct JsonOutput<'a> {
    diagnostics: Vec<&'a Diagnostic>,
    suppressions: Vec<&'a Suppression>,
    posts: Vec<&'a PostSummary>,
}

pub fn run(repo: &Path, args: Args) -> Result<u8> {
    let snapshot = super::snapshot(repo, args.reference.as_deref())?;
    let loaded = repo::check_streaming(&snapshot, Utc::now())?;
    let wanted: Vec<String> = args
        .paths
        .iter()
        .map(|p| {
            p.strip_prefix(repo)
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    let selected = |file: &str| {
        wanted.is_empty()
            || wanted
                .iter()
                .any(|w| file == w || file.starts_with(&format!("{}/", w.trim_end_matches('/'))))
    };
    let diagnostics: Vec<&Diagnostic> = loaded
        .diagnostics
        .iter()
        .filter(|d| selected(&d.file))
        .collect();
    let suppressions: Vec<&Suppression> = loaded
        .suppressions
        .iter()
        .filter(|s| selected(&s.file))
        .collect();
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    match args.format {
        Format::Json => {
            let output = JsonOutput {
                diagnostics: diagnostics.clone(),
                suppressions,
                posts: loaded.posts.iter().filter(|p| selected(&p.file)).collect(),
            };
            // Streamed: the posts list of a large corpus need not sit in memory twice.
            let mut stdout = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut stdout, &output)?;
            writeln!(stdout)?;
        }
        Format::Sarif => outln!(
            "{}",
            serde_json::to_string_pretty(&formats::sarif(&diagnostics))?
        )?,
        Format::Github => out!("{}", formats::github(&diagnostics))?,
        Format::Human => {
            let owned: Vec<Diagnostic> = diagnostics.iter().map(|d| (*d).clone()).collect();
            out!("{}", diagnostic::render_human(&owned, &loaded.sources))?;
            for s in &suppressions {
                outln!(
                    "suppressed: {} at {}:{} ({} finding{}): \"{}\"",
                    s.code,
                    s.file,
                    s.line,
                    s.suppressed,
                    if s.suppressed == 1 { "" } else { "s" },
                    s.reason
                )?;
            }
            let warnings = diagnostics.len() - errors;
            let posts = loaded.posts.iter().filter(|p| selected(&p.file)).count();
            outln!(
                "checked {posts} posts: {errors} errors, {warnings} warnings, {} suppressions",
                suppressions.len()
            )?;
        }
    }
    Ok(if errors > 0 { EXIT_CONTENT_ERRORS } else { 0 })
}
