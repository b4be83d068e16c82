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

/// What `healthcast check` needs to know about a post once it is checked.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PostSummary {
    pub id: String,
    pub file: String,
    pub kind: &'static str,
}

/// The outcome of [`check_streaming`].
pub struct Checked {
    pub posts: Vec<PostSummary>,
    pub diagnostics: Vec<Diagnostic>,
    pub suppressions: Vec<Suppression>,
    /// Text of the files that have diagnostics, for showing source lines.
    pub sources: BTreeMap<String, String>,
}

/// Loads and checks every post one file at a time on every core, keeping
/// only each post's summary and diagnostics: what `healthcast check` does,
/// in memory that does not grow with the size of the corpus.
pub fn check_streaming(snapshot: &Snapshot, now: DateTime<Utc>) -> Result<Checked> {
    let config = config::load(snapshot)?;
    let files = snapshot.list(content::CONTENT_DIR, &[".md"])?;
    let mut diagnostics = config.diagnostics;
    let mut sources = BTreeMap::new();
    let mut suppressions = Vec::new();
    if files.is_empty() {
        diagnostics.push(content::empty_diagnostic());
    }
    let severity = config
        .config
        .as_ref()
        .map(|c| c.policy.severity.clone())
        .unwrap_or_default();
    let results = crate::parallel::map(files, |mut file| -> Result<_> {
        snapshot.read(&mut file)?;
        let (text, post) = content::load_file(&file);
        let (site, summary, mut found) = match post {
            Ok(post) => {
                let found = checks::check(std::slice::from_ref(&post), config.config.as_ref(), now);
                let summary = PostSummary {
                    id: post.id.clone(),
                    file: post.file.clone(),
                    kind: post.kind().as_str(),
                };
                (Some(content::IdSite::of(&post)), Some(summary), found)
            }
            Err(d) => (None, None, vec![*d]),
        };
        let mut file_suppressions = Vec::new();
        if let Some(text) = &text {
            let one = BTreeMap::from([(file.path.clone(), text.clone())]);
            file_suppressions = checks::suppress::apply(&mut found, &one);
        }
        let keep = text.filter(|_| !found.is_empty());
        Ok((file.path, keep, site, summary, found, file_suppressions))
    });
    let mut posts = Vec::new();
    let mut sites = Vec::new();
    for result in results {
        let (path, text, site, summary, found, file_suppressions) = result?;
        diagnostics.extend(found);
        suppressions.extend(file_suppressions);
        sites.extend(site);
        posts.extend(summary);
        if let Some(text) = text {
            sources.insert(path, text);
        }
    }
    diagnostics.extend(content::duplicate_ids(&sites).0);
    for (file, text) in &config.sources {
        let mut findings = Vec::new();
        checks::secrets::check(text, &mut findings);
        diagnostics.extend(checks::to_diagnostics(file, text, findings, &severity));
    }
    let config_suppressions = checks::suppress::apply(&mut diagnostics, &config.sources);
    suppressions.extend(config_suppressions);
    for d in &diagnostics {
        if let (false, Some(text)) = (sources.contains_key(&d.file), config.sources.get(&d.file)) {
            sources.insert(d.file.clone(), text.clone());
        }
    }
    diagnostic::sort(&mut diagnostics);
    Ok(Checked {
        posts,
        diagnostics,
        suppressions,
        sources,
    })
}
