//! `privacy/url`: personal web addresses (HIPAA identifier 14).
//!
//! ## What it does
//! Finds links to profiles and pages on social networks (facebook.com/<user>,
//! instagram, x.com, twitter.com, linkedin.com/in/, tiktok, youtube
//! @handles, …), on fundraising and care-journal sites (gofundme,
//! caringbridge, mealtrain, …), and links whose query names a patient
//! (`?patient=`, `mrn=`). The organisation's own domains and social handles
//! (a handle containing its domain's name) and public health sites (cdc.gov,
//! who.int, nih.gov, medlineplus.gov, any *.gov) are never candidates.
//!
//! ## Why
//! A link to someone's profile, fundraiser or care journal identifies them,
//! and a fundraiser usually names their illness.

use super::{Context, found, help_allow, re};
use regex::Regex;
use std::sync::LazyLock;

pub(super) const CODE: &str = "privacy/url";
pub(super) const SUMMARY: &str = "personal URL (social profile, fundraiser, care journal)";

static URL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:https?://)?(?:[a-z0-9\-]+\.)*(facebook\.com|fb\.com|fb\.me|instagram\.com|x\.com|twitter\.com|linkedin\.com|tiktok\.com|youtube\.com|threads\.net|bsky\.app|gofundme\.com|caringbridge\.org|givesendgo\.com|fundly\.com|givebutter\.com|mealtrain\.com|lotsahelpinghands\.com|venmo\.com|cash\.app|paypal\.me|mastodon\.social)(/[^\s)\]>\x22']*)",
    )
});
static QUERY: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\bhttps?://[^\s)\]>]*[?&](?:patient(?:_?id)?|mrn|pid|dob|ssn)=[^\s)\]>&]+")
});
/// Paths on social sites that are not a person's page.
static GENERIC: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^/(?:(?:search|hashtag|explore|help|about|legal|privacy|policies|terms|watch|results|home|intent|share|sharer)\b.*|)$",
    )
});

pub(super) fn scan(text: &str, ctx: &Context, out: &mut Vec<super::Finding>) {
    for c in URL.captures_iter(text) {
        let (Some(all), Some(path)) = (c.get(0), c.get(2)) else {
            continue;
        };
        let path = path
            .as_str()
            .trim_end_matches(['.', ',', ';', ':', '!', '?']);
        if GENERIC.is_match(path) || own_handle(path, &ctx.allow.domains) {
            continue;
        }
        let end = all.start()
            + all
                .as_str()
                .trim_end_matches(['.', ',', ';', ':', '!', '?'])
                .len();
        out.push(found(
            CODE,
            text,
            all.start()..end,
            "personal URL",
            help_allow("page or domain"),
        ));
    }
    for m in QUERY.find_iter(text) {
        out.push(found(
            CODE,
            text,
            m.range(),
            "URL naming a patient",
            super::HELP_REMOVE,
        ));
    }
}

/// Whether the profile path is the organisation's own handle: its first
/// segment, letters and digits only, contains the first label of an allowed
/// domain ("example-hospital.org" allows facebook.com/ExampleHospital).
fn own_handle(path: &str, domains: &[String]) -> bool {
    let segment = path
        .trim_start_matches('/')
        .trim_start_matches("in/")
        .trim_start_matches("company/")
        .trim_start_matches("pages/")
        .trim_start_matches('@');
    let first: String = segment
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    domains.iter().any(|d| {
        let label: String = d
            .trim_start_matches("www.")
            .split('.')
            .next()
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        label.len() >= 4 && first.contains(&label)
    })
}

#[cfg(test)]
mod tests {
    use super::super::Allow;
    use super::super::test_support::{codes, codes_with};

    #[test]
    fn flags_profiles_and_fundraisers() {
        assert_eq!(
            codes("Support her at gofundme.com/f/help-rosa-heal"),
            ["privacy/url"]
        );
        assert_eq!(
            codes("Follow https://www.instagram.com/jake.runs.again/ for updates."),
            ["privacy/url"]
        );
        assert_eq!(
            codes("See https://www.linkedin.com/in/pat-greer-4821"),
            ["privacy/url"]
        );
    }

    #[test]
    fn allows_health_sites_and_own_pages() {
        let allow = Allow {
            domains: vec!["example-hospital.org".into()],
            ..Allow::default()
        };
        for t in [
            "Read more at https://www.cdc.gov/flu/index.html and https://www.who.int/.",
            "Like us at facebook.com/ExampleHospital and https://example-hospital.org/news.",
            "Search #FluSeason at https://x.com/hashtag/FluSeason today.",
        ] {
            assert!(codes_with(t, &allow, false).is_empty(), "{t}");
        }
    }
}
