//! Checks: pure functions from posts, configuration and an instant to
//! diagnostics. One file per rule family; codes are `family/rule`, listed
//! with their default severities in [`rules`].
//!
//! Two entry points: [`check`] reports everything about the content as of
//! `now` (what `healthcast check` prints), and [`blockers_at`] says why a post
//! may not go out at one planned instant (expired, stale review, draft), which
//! the planner asks for every slot. Both fail closed.

pub mod access;
pub mod characters;
pub mod claims;
pub mod finding;
pub mod frontmatter;
pub mod image;
pub mod nesting;
pub mod privacy;
pub mod readability;
pub mod review;
pub mod rights;
pub mod rules;
pub mod secrets;
pub mod sources;
pub mod suppress;

use crate::config::Config;
use crate::content::Post;
use crate::diagnostic::Diagnostic;
use chrono::{DateTime, Utc};
use finding::Finding;
use std::ops::Range;

/// A piece of a post's text that text rules read, and where it starts in the file.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    pub text: &'a str,
    pub offset: usize,
}

impl Field<'_> {
    /// A range of this field as a range of the file.
    pub fn span(&self, range: Range<usize>) -> Range<usize> {
        range.start + self.offset..range.end + self.offset
    }
}

/// The texts of a post that readers see: body, title, image alt text,
/// content warning and per-platform override texts.
pub fn fields(post: &Post) -> Vec<Field<'_>> {
    let mut out = vec![Field {
        text: &post.body,
        offset: post.body_offset,
    }];
    let m = &post.meta;
    let values = m
        .title
        .iter()
        .chain(m.image.as_ref().and_then(|i| i.alt.as_ref()))
        .chain(m.content_warning.iter())
        .chain(m.overrides.values().filter_map(|o| o.text.as_ref()));
    for value in values {
        if let Some(offset) = post.value_offset(value) {
            out.push(Field {
                text: &post.text[offset..offset + value.len()],
                offset,
            });
        }
    }
    out
}

/// Every diagnostic for `posts` as of `now`. Without a configuration (broken
/// channels.yaml or policy.yaml), the rules that need it are skipped; the
/// configuration's own diagnostics say why.
pub fn check(posts: &[Post], config: Option<&Config>, now: DateTime<Utc>) -> Vec<Diagnostic> {
    posts
        .iter()
        .flat_map(|post| check_post(post, config, now).0)
        .collect()
}

/// The diagnostics of one post, and its readability figures (English posts
/// with a configuration).
pub fn check_post(
    post: &Post,
    config: Option<&Config>,
    now: DateTime<Utc>,
) -> (Vec<Diagnostic>, Option<readability::Stats>) {
    let mut out = Vec::new();
    frontmatter::check(post, config, &mut out);
    nesting::check(post, &mut out);
    characters::check(post, &mut out);
    let mut findings = Vec::new();
    secrets::check(&post.text, &mut findings);
    let mut stats = None;
    if let Some(config) = config {
        review::check(post, config, now, &mut out);
        stats = text_rules(post, config, &mut findings);
    }
    let empty = Default::default();
    let overrides = config.map_or(&empty, |c| &c.policy.severity);
    out.extend(to_diagnostics(&post.file, &post.text, findings, overrides));
    (out, stats)
}

fn text_rules(post: &Post, config: &Config, out: &mut Vec<Finding>) -> Option<readability::Stats> {
    let policy = &config.policy;
    let fields = fields(post);
    let has_sources = !post.meta.sources.is_empty();
    let risk_link = post
        .meta
        .sources
        .iter()
        .chain(post.meta.link.iter())
        .any(|u| {
            ["safety", "prescribing", "medguide", "label", "risk"]
                .iter()
                .any(|w| u.to_lowercase().contains(w))
        });
    claims::check(&fields, &policy.claims, has_sources, risk_link, out);
    sources::check(post, &fields, &policy.sources, out);
    access::check(post, &fields, &policy.access, out);
    rights::check(post, out);
    privacy_rules(post, &fields, &policy.privacy, out);
    readability(post, &policy.readability, out)
}

/// `privacy/*` on every text field, and the photo-release rule on the image.
fn privacy_rules(
    post: &Post,
    fields: &[Field],
    settings: &privacy::Settings,
    out: &mut Vec<Finding>,
) {
    let consent = post
        .meta
        .consent
        .as_deref()
        .is_some_and(|c| !c.trim().is_empty());
    let ctx = privacy::Context {
        allow: &settings.allow,
        consent,
    };
    for field in fields {
        for mut finding in privacy::scan(field.text, &ctx) {
            finding.span = field.span(finding.span);
            out.push(finding);
        }
    }
    if let Some(alt) = post.meta.image.as_ref().and_then(|i| i.alt.as_deref())
        && let Some(at) = post.value_offset(alt)
    {
        privacy::photo::check(alt, at..at + alt.len(), consent, out);
    }
}

/// `readability/grade`: Flesch–Kincaid grade of the body, for English posts
/// long enough for the formula to mean something.
fn readability(
    post: &Post,
    settings: &readability::Settings,
    out: &mut Vec<Finding>,
) -> Option<readability::Stats> {
    if post
        .meta
        .lang
        .as_deref()
        .is_some_and(|l| !l.to_lowercase().starts_with("en"))
    {
        return None;
    }
    let stats = readability::stats(&crate::render::plain::body(post));
    if stats.words >= settings.min_words && stats.grade > settings.warn_above {
        let (severity, limit) = if stats.grade > settings.error_above {
            (crate::diagnostic::Severity::Error, settings.error_above)
        } else {
            (crate::diagnostic::Severity::Warning, settings.warn_above)
        };
        // Point at the first word: the finding is about the whole body.
        let first_line = post
            .body
            .find(char::is_whitespace)
            .unwrap_or(post.body.len());
        let mut finding = Finding::new(
            "readability/grade",
            post.body_offset..post.body_offset + first_line.max(1),
            format!(
                "reading grade {:.1} is above {limit:.0} ({} words, {} sentences, reading ease {:.0})",
                stats.grade, stats.words, stats.sentences, stats.reading_ease
            ),
        )
        .with_help("use shorter sentences and everyday words (grade 6 reads easily for most adults)");
        finding.severity = Some(severity);
        out.push(finding);
    }
    Some(stats)
}

/// Turns findings (byte ranges of `text`) into diagnostics with the policy's
/// severities; rules turned `off` disappear.
pub fn to_diagnostics(
    file: &str,
    text: &str,
    mut findings: Vec<Finding>,
    overrides: &std::collections::BTreeMap<String, rules::Level>,
) -> Vec<Diagnostic> {
    findings.sort_by_key(|f| (f.span.start, f.code));
    findings.dedup_by(|a, b| a.code == b.code && a.span == b.span);
    let locator = crate::diagnostic::Locator::new(text);
    findings
        .into_iter()
        .filter_map(|f| {
            let severity = rules::severity(f.code, overrides, f.severity)?;
            let span = locator.span(f.span.start, f.span.end);
            let mut d = Diagnostic::error(file, span, f.code, f.message);
            d.severity = severity;
            d.help = f.help;
            Some(d)
        })
        .collect()
}

/// Why `post` may not be published at `at`; empty when it may.
pub fn blockers_at(post: &Post, config: &Config, at: DateTime<Utc>) -> Vec<String> {
    let mut out = Vec::new();
    if post.meta.draft {
        out.push("draft: true".to_string());
    }
    if let Some(expired) = frontmatter::expires_at(post, config.timezone).filter(|e| *e <= at) {
        out.push(format!(
            "expired at {}",
            expired.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    if let Some(reason) = review::invalid_at(post, config, at) {
        out.push(reason);
    }
    out
}

/// A post with the given front-matter lines and body, for rule tests.
#[cfg(test)]
pub(crate) fn test_post(front: &str, body: &str) -> Post {
    crate::content::parse(
        "content/a.md",
        &format!("---\ntitle: T\n{front}---\n{body}"),
    )
    .unwrap_or_else(|e| panic!("test post does not parse: {e:?}"))
}

/// The body of `post` as the one field a rule test scans.
#[cfg(test)]
pub(crate) fn body_field(post: &Post) -> [Field<'_>; 1] {
    [Field {
        text: &post.body,
        offset: post.body_offset,
    }]
}
