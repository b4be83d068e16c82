//! `review/*`: a clinical reviewer listed in policy.yaml signed the post off,
//! not in the future, and the sign-off is still valid when the post goes out.

use crate::config::Config;
use crate::content::Post;
use crate::diagnostic::Diagnostic;
use chrono::{DateTime, Utc};

pub fn check(post: &Post, config: &Config, now: DateTime<Utc>, out: &mut Vec<Diagnostic>) {
    let file = post.file.as_str();
    let Some(review) = &post.meta.review else {
        out.push(
            Diagnostic::error(file, post.key_span(&[]), "review/missing", "the post has no clinical review")
                .with_help("add `review: { by: \"<reviewer from policy.yaml>\", on: YYYY-MM-DD }` once a reviewer has signed it off"),
        );
        return;
    };
    let reviewers = &config.policy.reviewers;
    if !reviewers.iter().any(|r| r == &review.by) {
        out.push(
            Diagnostic::error(file, post.key_span(&["review", "by"]), "review/unknown-reviewer", format!("`{}` is not a reviewer listed in schedules/policy.yaml", review.by))
                .with_help(if reviewers.is_empty() {
                    "list the organisation's clinical reviewers under `reviewers:` in schedules/policy.yaml".to_string()
                } else {
                    format!("reviewers: {}", reviewers.join("; "))
                }),
        );
    }
    let today = now.with_timezone(&config.timezone).date_naive();
    if review.on > today {
        out.push(
            Diagnostic::error(
                file,
                post.key_span(&["review", "on"]),
                "review/future",
                format!("the review is dated {}, after today ({today})", review.on),
            )
            .with_help("write the date the reviewer signed the post off"),
        );
    } else if let Some(reason) = invalid_at(post, config, now) {
        out.push(
            Diagnostic::error(
                file,
                post.key_span(&["review", "on"]),
                "review/expired",
                reason,
            )
            .with_help("have the post reviewed again and update `review.on`"),
        );
    }
}

/// Why the review does not cover publishing at `at`, if it does not.
pub fn invalid_at(post: &Post, config: &Config, at: DateTime<Utc>) -> Option<String> {
    let Some(review) = &post.meta.review else {
        return Some("no clinical review".to_string());
    };
    if !config.policy.reviewers.iter().any(|r| r == &review.by) {
        return Some(format!(
            "reviewer `{}` is not listed in policy.yaml",
            review.by
        ));
    }
    let day = at.with_timezone(&config.timezone).date_naive();
    if review.on > day {
        return Some(format!("review dated {} is after {day}", review.on));
    }
    let valid_days = config.policy.review_valid_for.num_days();
    let age = (day - review.on).num_days();
    (age > valid_days).then(|| {
        format!(
            "review of {} is {age} days old on {day}; reviews are valid for {valid_days} days",
            review.on
        )
    })
}
