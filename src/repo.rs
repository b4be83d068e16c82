//! A loaded repository: configuration, posts and every diagnostic about them
//! as of one instant. What `check`, `preview` and `run` all start from.

use crate::checks::{self, suppress::Suppression};
use crate::config::{self, Config};
use crate::content::{self, Post};
use crate::diagnostic::{self, Diagnostic, Span};
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
        let images = content::image::Images::new(&snapshot);
        for post in &content.posts {
            checks::image::check(post, &images, &mut diagnostics);
        }
        diagnostics.extend(config_secrets(&config.sources, config.config.as_ref()));
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

/// What `healthcast check` reports of a post: a few bytes besides its path,
/// so that a large corpus fits in little memory.
#[derive(Debug, Clone)]
pub struct PostSummary {
    pub file: String,
    pub kind: content::Kind,
    /// `id:` when the front matter sets it; else the id derives from the path.
    explicit_id: Option<Box<str>>,
    /// Line and column of the `id:` key (or of the front matter's start).
    id_at: (u32, u32),
    pub readability: Option<Figures>,
}

/// Readability figures, as `check --format json` reports them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    pub words: u32,
    pub sentences: u32,
    pub grade: f32,
    pub reading_ease: f32,
}

impl PostSummary {
    pub fn id(&self) -> &str {
        self.explicit_id
            .as_deref()
            .unwrap_or_else(|| content::default_id(&self.file))
    }

    fn id_span(&self) -> Span {
        Span::chars(self.id_at.0 as usize, self.id_at.1 as usize, 2)
    }
}

impl serde::Serialize for PostSummary {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let round = |x: f32| (f64::from(x) * 10.0).round() / 10.0;
        let mut s = serializer.serialize_struct("PostSummary", 7)?;
        s.serialize_field("id", self.id())?;
        s.serialize_field("file", &self.file)?;
        s.serialize_field("kind", &self.kind)?;
        let r = self.readability.as_ref();
        s.serialize_field("words", &r.map(|r| r.words))?;
        s.serialize_field("sentences", &r.map(|r| r.sentences))?;
        s.serialize_field("grade", &r.map(|r| round(r.grade)))?;
        s.serialize_field("reading_ease", &r.map(|r| round(r.reading_ease)))?;
        s.end()
    }
}

/// What a checked file adds besides its summary; boxed because most files
/// have none of it, and a large corpus keeps one result per file.
struct FileFindings {
    /// The file's path and text, kept only when it has diagnostics.
    source: Option<(String, String)>,
    diagnostics: Vec<Diagnostic>,
    suppressions: Vec<Suppression>,
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
    let images = content::image::Images::new(snapshot);
    let shares = crate::parallel::map_shares(files, |mut file| -> Result<_> {
        snapshot.read(&mut file)?;
        let (text, post) = content::load_file(&file);
        let (summary, mut found) = match post {
            Ok(post) => {
                let (mut found, readability) =
                    checks::check_post(&post, config.config.as_ref(), now);
                checks::image::check(&post, &images, &mut found);
                let id_span = post.key_span(&["id"]);
                let summary = PostSummary {
                    file: String::new(),
                    kind: post.kind(),
                    explicit_id: post.meta.id.as_deref().map(Box::from),
                    id_at: (id_span.line as u32, id_span.column as u32),
                    readability: readability.map(|r| Figures {
                        words: r.words as u32,
                        sentences: r.sentences as u32,
                        grade: r.grade as f32,
                        reading_ease: r.reading_ease as f32,
                    }),
                };
                (Some(summary), found)
            }
            Err(d) => (None, vec![*d]),
        };
        let mut file_suppressions = Vec::new();
        if let Some(text) = text.as_ref().filter(|t| t.contains("healthcast:")) {
            let one = BTreeMap::from([(file.path.clone(), text.clone())]);
            file_suppressions = checks::suppress::apply(&mut found, &one);
        }
        let findings = (!found.is_empty() || !file_suppressions.is_empty()).then(|| {
            Box::new(FileFindings {
                source: text
                    .filter(|_| !found.is_empty())
                    .map(|t| (file.path.clone(), t)),
                diagnostics: found,
                suppressions: file_suppressions,
            })
        });
        // The path was allocated when the folder was listed: moved, not copied.
        let summary = summary.map(|s| PostSummary {
            file: file.path,
            ..s
        });
        Ok((summary, findings))
    });
    let mut posts: Vec<PostSummary> = Vec::with_capacity(shares.iter().map(Vec::len).sum());
    // Each share is freed once consumed.
    for result in shares.into_iter().flatten() {
        let (summary, findings) = result?;
        posts.extend(summary);
        if let Some(findings) = findings {
            diagnostics.extend(findings.diagnostics);
            suppressions.extend(findings.suppressions);
            if let Some((path, text)) = findings.source {
                sources.insert(path, text);
            }
        }
    }
    diagnostics.extend(
        content::duplicate_ids(posts.iter().map(|p| (p.id(), p.file.as_str(), p.id_span()))).0,
    );
    diagnostics.extend(config_secrets(&config.sources, config.config.as_ref()));
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

/// `secrets/token` in the configuration files: a token written into
/// schedules/ is as leaked as one in a post.
fn config_secrets(sources: &BTreeMap<String, String>, config: Option<&Config>) -> Vec<Diagnostic> {
    let empty = BTreeMap::new();
    let severity = config.map_or(&empty, |c| &c.policy.severity);
    let mut out = Vec::new();
    for (file, text) in sources {
        let mut findings = Vec::new();
        checks::secrets::check(text, &mut findings);
        out.extend(checks::to_diagnostics(file, text, findings, severity));
    }
    out
}
