//! Every configurable rule code in one table, with its default severity and a
//! one-line summary (the README's rule reference comes from here). The
//! policy's `severity:` block overrides a code or a whole family:
//!
//! ```yaml
//! severity:
//!   access: warning          # the whole family
//!   claims/red-flag: error   # one rule
//!   readability/grade: off
//! ```

use crate::diagnostic::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A severity as written in policy.yaml; `off` turns a rule off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Off,
}

pub struct Rule {
    pub code: &'static str,
    pub default: Level,
    pub summary: &'static str,
}

const fn rule(code: &'static str, default: Level, summary: &'static str) -> Rule {
    Rule {
        code,
        default,
        summary,
    }
}

use Level::{Error, Warning};

/// The configurable rules. Privacy and readability codes are listed by their
/// families' own tables and default to error.
pub const RULES: &[Rule] = &[
    rule(
        "claims/red-flag",
        Error,
        "FTC/FDA red-flag phrases: cure, miracle, guaranteed, 100% effective, no side effects, risk-free, breakthrough, detox …",
    ),
    rule(
        "claims/unsourced-approval",
        Error,
        "\"clinically proven\" or \"FDA approved\" in a post without sources",
    ),
    rule(
        "claims/fair-balance",
        Error,
        "a drug brand named with a benefit and no risk statement or risk link",
    ),
    rule(
        "sources/needed",
        Error,
        "a statistic or a health claim in a post without sources",
    ),
    rule(
        "sources/not-https",
        Error,
        "a source or link that is not an https URL",
    ),
    rule(
        "sources/unlisted-domain",
        Warning,
        "a source whose domain is not on the policy's authoritative list",
    ),
    rule("access/alt-missing", Error, "an image without alt text"),
    rule(
        "access/alt-redundant",
        Warning,
        "alt text that starts with \"image of\", \"picture of\" …",
    ),
    rule(
        "access/alt-too-long",
        Error,
        "alt text longer than the platforms accept (1000 characters)",
    ),
    rule(
        "access/hashtag-case",
        Warning,
        "a hashtag not in CamelCase (#fluseason instead of #FluSeason)",
    ),
    rule(
        "access/too-many-hashtags",
        Warning,
        "more hashtags than the policy allows (3)",
    ),
    rule("access/all-caps", Warning, "a sentence in capitals"),
    rule(
        "access/emoji",
        Warning,
        "more emoji than the policy allows (2)",
    ),
    rule(
        "access/link-text",
        Warning,
        "link text that does not say where it goes (\"click here\")",
    ),
    rule("rights/credit", Error, "an image without `credit`"),
    rule(
        "rights/license",
        Error,
        "an image without `license` (or `owned`)",
    ),
    rule(
        "secrets/token",
        Error,
        "a token, key or password written into content or configuration",
    ),
    rule(
        "suppress/no-reason",
        Error,
        "an inline `healthcast: allow` without a reason",
    ),
    rule(
        "suppress/unused",
        Warning,
        "an inline `healthcast: allow` that suppresses nothing",
    ),
];

/// The codes `severity:` cannot change (they are always errors, except
/// `frontmatter/ignored` and `frontmatter/image-extension`, always warnings):
/// without them a file or post cannot be read or trusted. With [`RULES`],
/// every code healthcast reports; the README lists them all.
pub const FIXED: &[(&str, &str)] = &[
    ("content/empty", "content/ has no .md files"),
    ("content/not-utf8", "the file is not UTF-8"),
    ("content/too-large", "the file is larger than 1 MiB"),
    ("content/file-name", "a file name that is not UTF-8"),
    ("content/symlink", "a symlink under content/: not followed"),
    (
        "content/extension",
        "a Markdown file not named .md (.MD, .markdown …)",
    ),
    (
        "content/unreadable",
        "a file that cannot be read, or is not a regular file",
    ),
    (
        "content/control-char",
        "a control character or Unicode non-character",
    ),
    (
        "content/too-deep",
        "Markdown nested more than 100 levels deep",
    ),
    ("frontmatter/missing", "no front matter"),
    (
        "frontmatter/unclosed",
        "front matter without its closing ---",
    ),
    ("frontmatter/yaml", "YAML syntax"),
    ("frontmatter/unknown-key", "a key that does not exist"),
    ("frontmatter/invalid", "a value of the wrong type or form"),
    ("frontmatter/required", "a key the kind of post needs"),
    ("frontmatter/dates", "expires is not after publish_at"),
    ("frontmatter/duplicate-id", "two posts with one id"),
    (
        "frontmatter/bad-id",
        "an id with characters other than a-z 0-9 - _ / .",
    ),
    (
        "frontmatter/unknown-channel",
        "a channel or group that does not exist",
    ),
    (
        "frontmatter/unknown-platform",
        "an overrides platform that does not exist",
    ),
    ("frontmatter/ignored", "publish_at on a tip"),
    (
        "frontmatter/image-path",
        "an image path that leaves the repository or holds a control character",
    ),
    ("frontmatter/image-url", "an image path that is a URL"),
    ("frontmatter/image-missing", "an image that does not exist"),
    (
        "frontmatter/image-not-file",
        "an image path that is a folder or not a regular file",
    ),
    (
        "frontmatter/image-symlink",
        "an image that leads out of the repository through a symlink",
    ),
    (
        "frontmatter/image-type",
        "an image that is not PNG, JPEG, GIF or WebP by its bytes",
    ),
    (
        "frontmatter/image-extension",
        "an image whose extension says another type than its bytes",
    ),
    (
        "config/missing-file",
        "channels.yaml or policy.yaml is missing",
    ),
    (
        "config/unreadable",
        "a configuration file that cannot be read",
    ),
    (
        "config/invalid",
        "a configuration value of the wrong type or form",
    ),
    (
        "config/unknown-key",
        "a configuration key that does not exist",
    ),
    (
        "config/unknown-rule",
        "a severity: name that is not a rule or family",
    ),
    ("config/bad-cron", "a cron expression that does not parse"),
    ("config/bad-timezone", "a time zone that does not exist"),
    (
        "config/unknown-channel",
        "a channel or group that does not exist",
    ),
    ("config/duplicate-name", "a name used twice"),
    (
        "config/unknown-platform",
        "a platform healthcast does not publish to",
    ),
    ("config/insecure-endpoint", "an endpoint that is not https"),
];

/// One line on what `code` means, from [`RULES`] or [`FIXED`].
pub fn summary(code: &str) -> Option<&'static str> {
    RULES
        .iter()
        .find(|r| r.code == code)
        .map(|r| r.summary)
        .or_else(|| FIXED.iter().find(|(c, _)| *c == code).map(|(_, s)| *s))
}

/// Whether `key` (a code or a family) names something `severity:` can set.
/// Privacy codes are listed in their family's own table and default to error.
pub fn is_known(key: &str) -> bool {
    let privacy = super::privacy::RULES.iter().map(|(code, _)| *code);
    RULES
        .iter()
        .map(|r| r.code)
        .chain(privacy)
        .any(|code| code == key || family(code) == key)
}

fn family(code: &str) -> &str {
    code.split('/').next().unwrap_or(code)
}

/// The severity of `code` under the policy's overrides: the code's own
/// entry, else its family's, else `fallback` (what the finding says), else
/// the table's default. `None` means off.
pub fn severity(
    code: &str,
    overrides: &BTreeMap<String, Level>,
    fallback: Option<Severity>,
) -> Option<Severity> {
    let fallback = fallback.map(|s| match s {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
    });
    let level = overrides
        .get(code)
        .or_else(|| overrides.get(family(code)))
        .copied()
        .or(fallback)
        .or_else(|| RULES.iter().find(|r| r.code == code).map(|r| r.default))
        .unwrap_or(Level::Error);
    match level {
        Level::Error => Some(Severity::Error),
        Level::Warning => Some(Severity::Warning),
        Level::Off => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_overrides_family_overrides_default() {
        let mut o = BTreeMap::new();
        assert_eq!(severity("access/emoji", &o, None), Some(Severity::Warning));
        o.insert("access".to_string(), Level::Error);
        assert_eq!(severity("access/emoji", &o, None), Some(Severity::Error));
        o.insert("access/emoji".to_string(), Level::Off);
        assert_eq!(severity("access/emoji", &o, None), None);
        assert_eq!(severity("privacy/phone", &o, None), Some(Severity::Error));
    }

    #[test]
    fn known_keys_are_codes_and_families() {
        assert!(is_known("claims") && is_known("claims/red-flag") && is_known("privacy/phone"));
        assert!(!is_known("claim") && !is_known("claims/nope"));
    }
}
