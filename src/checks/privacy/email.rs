//! `privacy/email`: e-mail addresses (HIPAA identifier 6).
//!
//! ## What it does
//! Finds addresses like `maria.lopez@mail.example`, except on the
//! organisation's own domains and their subdomains (`privacy.allow.domains`),
//! so "write to news@example-hospital.org" passes.
//!
//! ## Why
//! A personal address names a person and reaches them.

use super::{Context, found, help_allow, re};
use regex::Regex;
use std::sync::LazyLock;

pub(super) const CODE: &str = "privacy/email";
pub(super) const SUMMARY: &str = "e-mail address outside the organisation's own domains";

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b[a-z0-9][a-z0-9._%+\-]*@([a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,24})\b",
    )
});

pub(super) fn scan(text: &str, ctx: &Context, out: &mut Vec<super::Finding>) {
    for c in EMAIL.captures_iter(text) {
        let (Some(all), Some(domain)) = (c.get(0), c.get(1)) else {
            continue;
        };
        if own_domain(domain.as_str(), &ctx.allow.domains) {
            continue;
        }
        out.push(found(
            CODE,
            text,
            all.range(),
            "e-mail address",
            help_allow("domain"),
        ));
    }
}

/// Whether `host` is one of `domains` or a subdomain of one.
pub(super) fn own_domain(host: &str, domains: &[String]) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    domains.iter().any(|d| {
        let d = d
            .trim()
            .trim_start_matches("www.")
            .trim_end_matches('/')
            .to_ascii_lowercase();
        !d.is_empty() && (host == d || host.ends_with(&format!(".{d}")))
    })
}

#[cfg(test)]
mod tests {
    use super::super::Allow;
    use super::super::test_support::codes_with;

    #[test]
    fn flags_personal_and_allows_own_domains() {
        let allow = Allow {
            domains: vec!["example-hospital.org".into()],
            ..Allow::default()
        };
        assert_eq!(
            codes_with(
                "Write to maria.lopez88@mailbox.example for photos.",
                &allow,
                false
            ),
            ["privacy/email"]
        );
        assert!(
            codes_with(
                "Questions? news@example-hospital.org or info@care.example-hospital.org",
                &allow,
                false
            )
            .is_empty()
        );
        assert!(codes_with("Follow @ExampleHospital for tips.", &allow, false).is_empty());
    }
}
