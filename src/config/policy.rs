//! `schedules/policy.yaml`: the organisation's editorial rules. This version
//! knows the reviewers and how long a review stays valid; the rule families
//! add their settings here.

use super::duration::ConfigDuration;
use chrono::TimeDelta;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// Who may sign off a post's medical content, as written in `review.by`.
    #[serde(default)]
    pub reviewers: Vec<String>,
    pub review_valid_for: Option<ConfigDuration>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub reviewers: Vec<String>,
    /// A review older than this at the moment of publishing blocks the post.
    pub review_valid_for: TimeDelta,
}

pub const DEFAULT_REVIEW_VALID_FOR: TimeDelta = TimeDelta::days(365);

impl From<PolicyFile> for Policy {
    fn from(file: PolicyFile) -> Self {
        Policy {
            reviewers: file.reviewers,
            review_valid_for: file
                .review_valid_for
                .map_or(DEFAULT_REVIEW_VALID_FOR, |d| d.0),
        }
    }
}
