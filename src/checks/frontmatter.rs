//! `frontmatter/*`: the fields each kind of post needs, dates that make sense,
//! and references to channels and platforms that exist.

use crate::config::Config;
use crate::content::{Expiry, Kind, Post};
use crate::diagnostic::Diagnostic;
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Platforms an `overrides:` entry may name.
pub const PLATFORMS: &[&str] = &[
    "feed", "mastodon", "bluesky", "x", "facebook", "linkedin", "telegram", "slack", "discord",
    "teams", "webhook", "threads",
];

pub fn check(post: &Post, config: Option<&Config>, out: &mut Vec<Diagnostic>) {
    let m = &post.meta;
    let file = post.file.as_str();
    let required = |key: &str, why: &str, help: &str| {
        Diagnostic::error(
            file,
            post.key_span(&[]),
            "frontmatter/required",
            format!("missing `{key}`: {why}"),
        )
        .with_help(help.to_string())
    };
    if m.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
        out.push(required(
            "title",
            "every post needs a title",
            "add `title: …` to the front matter",
        ));
    }
    let Some(kind) = m.kind else {
        out.push(required(
            "kind",
            "say what the post is",
            "add `kind: tip`, `kind: news` or `kind: alert`",
        ));
        return;
    };
    if !post
        .id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_/.".contains(c))
        || post.id.is_empty()
    {
        out.push(
            Diagnostic::error(file, post.key_span(&["id"]), "frontmatter/bad-id", format!("post id `{}` has characters other than a-z, 0-9, -, _, / and .", post.id))
                .with_help("ids key the publication ledger; use a lowercase slug like `flu-clinic-hours` (rename the file or set `id:`)"),
        );
    }
    if kind.is_timed() {
        if m.publish_at.is_none() {
            out.push(required(
                "publish_at",
                &format!("a {} goes out at its own time", kind.as_str()),
                "add e.g. `publish_at: 2026-11-24T08:00:00-05:00`",
            ));
        }
        if m.channels.is_empty() {
            out.push(required(
                "channels",
                &format!("a {} must say where it goes", kind.as_str()),
                "add e.g. `channels: [public]` (a channel or group from schedules/channels.yaml)",
            ));
        }
    } else if m.publish_at.is_some() {
        out.push(
            Diagnostic::warning(
                file,
                post.key_span(&["publish_at"]),
                "frontmatter/ignored",
                "`publish_at` is ignored on a tip: schedules pick tips",
            )
            .with_help("remove it, or make the post `kind: news` to publish it at that time"),
        );
    }
    if kind == Kind::News && m.sources.is_empty() {
        out.push(required(
            "sources",
            "news must cite at least one source",
            "add `sources: [https://…]` with the page the news is based on",
        ));
    }
    if let (Some(publish_at), Some(config)) = (m.publish_at, config)
        && let Some(expires) = expires_at(post, config.timezone).filter(|e| *e <= publish_at.0)
    {
        out.push(
            Diagnostic::error(
                file,
                post.key_span(&["expires"]),
                "frontmatter/dates",
                format!(
                    "the post expires ({}) before it is published ({})",
                    expires.format("%Y-%m-%d %H:%M UTC"),
                    publish_at.0.format("%Y-%m-%d %H:%M %:z")
                ),
            )
            .with_help("move `expires` after `publish_at`"),
        );
    }
    if let Some(config) = config {
        let (_, unknown) = config.expand(&m.channels);
        for name in unknown {
            out.push(
                Diagnostic::error(
                    file,
                    post.item_span(&["channels"], &name),
                    "frontmatter/unknown-channel",
                    format!("`{name}` is not a channel or group in schedules/channels.yaml"),
                )
                .with_help(format!(
                    "known: {}",
                    config
                        .channels
                        .keys()
                        .chain(config.groups.keys())
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
    }
    for platform in m
        .overrides
        .keys()
        .filter(|p| !PLATFORMS.contains(&p.as_str()))
    {
        out.push(
            Diagnostic::error(
                file,
                post.key_span(&["overrides", platform]),
                "frontmatter/unknown-platform",
                format!("`overrides.{platform}`: unknown platform"),
            )
            .with_help(format!("use one of: {}", PLATFORMS.join(", "))),
        );
    }
}

/// The instant from which the post may no longer be published. A bare date
/// still counts as a whole day in the organisation's zone.
pub fn expires_at(post: &Post, tz: Tz) -> Option<DateTime<Utc>> {
    match post.meta.expires? {
        Expiry::At(at) => Some(at.with_timezone(&Utc)),
        Expiry::Date(date) => {
            let next = date.succ_opt()?.and_hms_opt(0, 0, 0)?;
            // At a DST gap at midnight, the earliest valid instant after it.
            tz.from_local_datetime(&next)
                .earliest()
                .or_else(|| {
                    tz.from_local_datetime(&(next + chrono::TimeDelta::hours(1)))
                        .earliest()
                })
                .map(|t| t.with_timezone(&Utc))
        }
    }
}
