//! A loaded repository: configuration, posts and every diagnostic about them
//! as of one instant. What `check`, `preview` and `run` all start from.

use crate::checks::{self, suppress::Suppression};
use crate::config::{self, Config};
use crate::content::{self, Post};
use crate::diagnostic::{self, Diagnostic};
use crate::source::Snapshot;
use anyhow::Result;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

pub struct Repo {
    pub snapshot: Snapshot,
    /// `None` when channels.yaml or policy.yaml is missing or broken.
    pub config: Option<Config>,
    /// Posts that parsed (they may still have check errors).
    pub posts: Vec<Post>,
    /// Sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// Text of every file read, for showing source lines.
    pub sources: BTreeMap<String, String>,
    /// Inline `healthcast: allow` exceptions, for reviewers to see.
    pub suppressions: Vec<Suppression>,
}

/// Codes whose verdict depends on the publishing instant; the planner asks
/// [`checks::blockers_at`] for those at each slot instead.
const TIME_DEPENDENT: &[&str] = &["review/expired"];

impl Repo {
    pub fn load(snapshot: Snapshot, now: DateTime<Utc>) -> Result<Repo> {
        let config = config::load(&snapshot)?;
        let content = content::load(snapshot.files(content::CONTENT_DIR, &[".md"])?);
        let mut diagnostics = config.diagnostics;
        diagnostics.extend(content.diagnostics);
        diagnostics.extend(checks::check(&content.posts, config.config.as_ref(), now));
        let severity = config
            .config
            .as_ref()
            .map(|c| c.policy.severity.clone())
            .unwrap_or_default();
        for (file, text) in &config.sources {
            let mut findings = Vec::new();
            checks::secrets::check(text, &mut findings);
            diagnostics.extend(checks::to_diagnostics(file, text, findings, &severity));
        }
        let mut sources = config.sources;
        sources.extend(content.sources);
        let suppressions = checks::suppress::apply(&mut diagnostics, &sources);
        diagnostic::sort(&mut diagnostics);
        Ok(Repo {
            snapshot,
            config: config.config,
            posts: content.posts,
            diagnostics,
            sources,
            suppressions,
        })
    }

    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn post(&self, id: &str) -> Option<&Post> {
        self.posts.iter().find(|p| p.id == id)
    }

    /// Posts held back by check errors: post id → the errors, as
    /// "code: message (file:line)". A held post is never published.
    pub fn holds(&self) -> BTreeMap<String, Vec<String>> {
        let by_file: BTreeMap<&str, &Post> =
            self.posts.iter().map(|p| (p.file.as_str(), p)).collect();
        let mut holds: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for d in self
            .diagnostics
            .iter()
            .filter(|d| d.is_error() && !TIME_DEPENDENT.contains(&d.code))
        {
            if let Some(post) = by_file.get(d.file.as_str()) {
                holds.entry(post.id.clone()).or_default().push(format!(
                    "{}: {} ({}:{})",
                    d.code, d.message, d.file, d.span.line
                ));
            }
        }
        holds
    }
}
