//! `sources/*`: facts come with sources. A statistic ("1 in 3 adults", "40%")
//! or a health claim ("lowers your risk", "studies show") needs at least one
//! source; sources and the link are https URLs; a source outside the policy's
//! authoritative domains is a warning, for a reviewer to look at.

use super::Field;
use super::finding::Finding;
use crate::content::Post;
use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use std::sync::LazyLock;

/// `sources:` in policy.yaml.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Domains whose pages count as authoritative (subdomains included).
    /// Writing the list replaces the default.
    pub authoritative: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            authoritative: [
                "cdc.gov",
                "who.int",
                "nih.gov",
                "medlineplus.gov",
                "fda.gov",
                "hhs.gov",
                "cancer.gov",
                "ahrq.gov",
                "hrsa.gov",
                "samhsa.gov",
                "health.gov",
                "smokefree.gov",
                "988lifeline.org",
                "nhs.uk",
                "cochrane.org",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

static NEEDS_SOURCE: LazyLock<Regex> = LazyLock::new(|| {
    // Invariant: a constant pattern.
    RegexBuilder::new(
        r"\b\d+(?:\.\d+)?\s?(?:%|percent\b)|\b(?:\d+|one|two|three|four|five) (?:in|out of) (?:\d+|two|three|four|five|ten)\b|\b(?:reduces?|lowers?|cuts?|raises?|increases?) (?:the |your )?(?:risk|chance|odds)\b|\b(?:studies|research|evidence|scientists) (?:show|shows|suggests?|finds?|found|proves?)\b|\b(?:linked|tied) to\b|\btimes (?:more|less) likely\b",
    )
    .case_insensitive(true)
    .build()
    .unwrap_or_else(|e| unreachable!("{e}"))
});

pub fn check(post: &Post, fields: &[Field], settings: &Settings, out: &mut Vec<Finding>) {
    let sources = &post.meta.sources;
    if sources.is_empty() {
        for field in fields {
            if let Some(m) = NEEDS_SOURCE.find(field.text) {
                out.push(
                    Finding::new("sources/needed", field.span(m.range()), format!("`{}` states a fact; the post has no sources", m.as_str()))
                        .with_help("add the page it comes from under `sources:` (cdc.gov, who.int, nih.gov, medlineplus.gov …)"),
                );
                break;
            }
        }
    }
    let urls = sources
        .iter()
        .map(|s| ("sources", s))
        .chain(post.meta.link.iter().map(|l| ("link", l)));
    for (key, url) in urls {
        let span = post
            .value_offset(url)
            .map_or_else(|| key_range(post, key), |at| at..at + url.len());
        let Some(host) = https_host(url) else {
            out.push(
                Finding::new(
                    "sources/not-https",
                    span,
                    format!("`{url}` is not an https URL"),
                )
                .with_help("write the full address, starting with https://"),
            );
            continue;
        };
        if key == "sources"
            && !settings
                .authoritative
                .iter()
                .any(|d| host == *d || host.ends_with(&format!(".{d}")))
        {
            out.push(
                Finding::new("sources/unlisted-domain", span, format!("`{host}` is not on the policy's list of authoritative sources"))
                    .with_help("prefer cdc.gov, who.int, nih.gov, medlineplus.gov …; or add the domain to `sources.authoritative` in policy.yaml"),
            );
        }
    }
}

/// The host of an `https://` URL, lowercased, without port or credentials.
pub fn https_host(url: &str) -> Option<String> {
    let rest = url.trim().strip_prefix("https://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority
        .rsplit('@')
        .next()?
        .split(':')
        .next()?
        .to_lowercase();
    (host.contains('.')
        && !host.starts_with('.')
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-'))
    .then_some(host)
}

fn key_range(post: &Post, key: &str) -> std::ops::Range<usize> {
    let at = post
        .yaml
        .find(&format!("{key}:"))
        .map_or(0, |i| post.yaml_offset + i);
    at..at + key.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(front: &str, body: &str) -> Vec<&'static str> {
        let post = crate::checks::test_post(front, body);
        let mut out = Vec::new();
        check(
            &post,
            &crate::checks::body_field(&post),
            &Settings::default(),
            &mut out,
        );
        out.iter().map(|f| f.code).collect()
    }

    #[test]
    fn statistics_and_claims_need_a_source() {
        assert_eq!(
            run("", "1 in 3 adults has high blood pressure.\n"),
            ["sources/needed"]
        );
        assert_eq!(
            run("", "Walking lowers your risk of heart disease.\n"),
            ["sources/needed"]
        );
        assert_eq!(
            run("", "Walk 150 minutes a week. Open 9 to 5.\n"),
            Vec::<&str>::new()
        );
        assert_eq!(
            run("sources: [https://www.cdc.gov/x]\n", "40% of adults …\n"),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn sources_are_https_on_listed_domains() {
        assert_eq!(
            run("sources: [http://www.cdc.gov/x]\n", ""),
            ["sources/not-https"]
        );
        assert_eq!(
            run("sources: [https://healthblog.example/x]\n", ""),
            ["sources/unlisted-domain"]
        );
        assert_eq!(
            run(
                "sources: [https://www.nhlbi.nih.gov/x]\nlink: https://hospital.example/\n",
                ""
            ),
            Vec::<&str>::new()
        );
        assert_eq!(
            https_host("https://user@WWW.CDC.gov:443/a?b"),
            Some("www.cdc.gov".into())
        );
        assert_eq!(https_host("https:///nohost"), None);
    }
}
