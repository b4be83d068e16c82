//! `schedules/policy.yaml`: the organisation's editorial rules: reviewers and
//! how long a review stays valid, each rule family's settings, and the
//! severity of any rule.

use super::duration::ConfigDuration;
use crate::checks::rules::Level;
use crate::checks::{access, claims, privacy, readability, sources};
use chrono::TimeDelta;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// Who may sign off a post's medical content, as written in `review.by`.
    #[serde(default)]
    pub reviewers: Vec<String>,
    pub review_valid_for: Option<ConfigDuration>,
    /// Severity per rule code or family: `error`, `warning` or `off`.
    #[serde(default)]
    pub severity: BTreeMap<String, Level>,
    #[serde(default)]
    pub claims: claims::Settings,
    #[serde(default)]
    pub sources: sources::Settings,
    #[serde(default)]
    pub access: access::Settings,
    #[serde(default)]
    pub readability: readability::Settings,
    #[serde(default)]
    pub privacy: privacy::Settings,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub reviewers: Vec<String>,
    /// A review older than this at the moment of publishing blocks the post.
    pub review_valid_for: TimeDelta,
    pub severity: BTreeMap<String, Level>,
    pub claims: claims::Compiled,
    pub sources: sources::Settings,
    pub access: access::Settings,
    pub readability: readability::Settings,
    pub privacy: privacy::Settings,
}

pub const DEFAULT_REVIEW_VALID_FOR: TimeDelta = TimeDelta::days(365);

impl From<PolicyFile> for Policy {
    fn from(file: PolicyFile) -> Self {
        Policy {
            reviewers: file.reviewers,
            review_valid_for: file
                .review_valid_for
                .map_or(DEFAULT_REVIEW_VALID_FOR, |d| d.0),
            severity: file.severity,
            claims: claims::Compiled::new(file.claims),
            sources: file.sources,
            access: file.access,
            readability: file.readability,
            privacy: file.privacy,
        }
    }
}
