//! Checks: pure functions from posts, configuration and an instant to
//! diagnostics. One file per rule family; codes are `family/rule`.
//!
//! Two entry points: [`check`] reports everything about the content as of
//! `now` (what `healthcast check` prints), and [`blockers_at`] says why a post
//! may not go out at one planned instant (expired, stale review, draft), which
//! the planner asks for every slot. Both fail closed.

pub mod finding;
pub mod frontmatter;
pub mod privacy;
pub mod review;

use crate::config::Config;
use crate::content::Post;
use crate::diagnostic::Diagnostic;
use chrono::{DateTime, Utc};

/// Every diagnostic for `posts` as of `now`. Without a configuration (broken
/// channels.yaml or policy.yaml), the rules that need it are skipped; the
/// configuration's own diagnostics say why.
pub fn check(posts: &[Post], config: Option<&Config>, now: DateTime<Utc>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for post in posts {
        frontmatter::check(post, config, &mut out);
        if let Some(config) = config {
            review::check(post, config, now, &mut out);
        }
    }
    out
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
