//! `claims/*`: what the FTC and FDA flag in health marketing ("Don't Lie").
//! Red-flag phrases on word boundaries, case-insensitive, unless negated
//! ("there is no cure"); "clinically proven" / "FDA approved" without a
//! source; and a drug brand named with a benefit but no risk statement or
//! risk link (FDA fair balance for character-limited posts).

use super::Field;
use super::finding::Finding;
use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use std::sync::LazyLock;

/// `claims:` in policy.yaml.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// More red-flag phrases (plain words; matched on word boundaries).
    pub phrases: Vec<String>,
    /// More drug brand names for the fair-balance rule.
    pub drug_brands: Vec<String>,
}

const RED_FLAGS: &[&str] = &[
    r"cures?",
    r"cured",
    r"miracle",
    r"guarantee[ds]?",
    r"100\s?%\s+(?:effective|safe|natural|guaranteed)",
    r"no side[- ]effects?",
    r"risk[- ]free",
    r"breakthrough",
    r"secret formula",
    r"detox(?:es|ify|ification)?",
    r"cleanse your (?:body|liver|colon|blood)",
    r"doctors (?:don't|do not) want you to know",
    r"lose \d+ (?:pounds|lbs?|kilos?|kg) in \d+ (?:days?|weeks?)",
    r"instant results?",
    r"quick fix",
];

const DEFAULT_BRANDS: &[&str] = &[
    "Ozempic",
    "Wegovy",
    "Mounjaro",
    "Zepbound",
    "Lipitor",
    "Eliquis",
    "Xarelto",
    "Humira",
    "Paxlovid",
    "Tamiflu",
    "Xofluza",
    "Jardiance",
    "Trulicity",
    "Keytruda",
    "Dupixent",
    "Botox",
    "Viagra",
    "Adderall",
    "Zoloft",
    "Prozac",
];

const NEGATIONS: &[&str] = &["no", "not", "never", "without", "isn't", "aren't", "nor"];

static UNSOURCED: LazyLock<Regex> =
    LazyLock::new(|| ci(r"\b(?:clinically proven|fda[- ]approved)\b"));
static BENEFIT: LazyLock<Regex> = LazyLock::new(|| {
    ci(
        r"\b(?:treats?|helps?|lowers?|reduces?|prevents?|relieves?|improves?|works?|controls?|fights?|protects?|stops?|boosts?)\b",
    )
});
static RISK: LazyLock<Regex> = LazyLock::new(|| {
    ci(
        r"\b(?:side[- ]effects?|risks?|safety information|warnings?|prescribing information|not for everyone|boxed warning)\b",
    )
});

fn ci(pattern: &str) -> Regex {
    // Invariant: the patterns are constants of this file (and escaped policy words).
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .build()
        .unwrap_or_else(|e| unreachable!("{e}"))
}

fn words_regex(words: &[String]) -> Option<Regex> {
    if words.is_empty() {
        return None;
    }
    let alternatives: Vec<String> = words.iter().map(|w| regex::escape(w.trim())).collect();
    Some(ci(&format!(r"\b(?:{})\b", alternatives.join("|"))))
}

static DEFAULT_RED_FLAGS: LazyLock<Regex> =
    LazyLock::new(|| ci(&format!(r"\b(?:{})\b", RED_FLAGS.join("|"))));

/// The settings with their phrase and brand lists compiled, once per policy load.
#[derive(Debug, Clone)]
pub struct Compiled {
    settings: Settings,
    extra: Option<Regex>,
    brands: Option<Regex>,
}

impl Compiled {
    pub fn new(settings: Settings) -> Compiled {
        let mut brands: Vec<String> = DEFAULT_BRANDS.iter().map(|b| b.to_string()).collect();
        brands.extend(settings.drug_brands.iter().cloned());
        Compiled {
            extra: words_regex(&settings.phrases),
            brands: words_regex(&brands),
            settings,
        }
    }
}

impl Default for Compiled {
    fn default() -> Self {
        Compiled::new(Settings::default())
    }
}

impl PartialEq for Compiled {
    fn eq(&self, other: &Self) -> bool {
        self.settings == other.settings
    }
}

impl Eq for Compiled {}

/// Checks the text fields of a post. `has_sources`: the post cites sources;
/// `risk_link`: a source or link points at safety or prescribing information.
pub fn check(
    fields: &[Field],
    rules: &Compiled,
    has_sources: bool,
    risk_link: bool,
    out: &mut Vec<Finding>,
) {
    let (extra, brand_regex) = (&rules.extra, &rules.brands);
    for field in fields {
        let text = field.text;
        for regex in std::iter::once(&*DEFAULT_RED_FLAGS).chain(extra.as_ref()) {
            for m in regex.find_iter(text) {
                if negated(&text[..m.start()]) {
                    continue;
                }
                out.push(
                    Finding::new("claims/red-flag", field.span(m.range()), format!("red-flag claim `{}`", m.as_str()))
                        .with_help("health claims must be accurate and supported; say what the evidence shows (e.g. \"lowers the risk\"), or remove it"),
                );
            }
        }
        if !has_sources {
            for m in UNSOURCED.find_iter(text) {
                out.push(
                    Finding::new(
                        "claims/unsourced-approval",
                        field.span(m.range()),
                        format!("`{}` without a source", m.as_str()),
                    )
                    .with_help("add the approval or study under `sources:`, or remove the claim"),
                );
            }
        }
        if let Some(brand_regex) = &brand_regex
            && !risk_link
            && !RISK.is_match(text)
        {
            for sentence in sentences(text) {
                let part = &text[sentence.clone()];
                if let (Some(brand), true) = (brand_regex.find(part), BENEFIT.is_match(part)) {
                    let range = sentence.start + brand.start()..sentence.start + brand.end();
                    out.push(
                        Finding::new("claims/fair-balance", field.span(range), format!("`{}` is named with a benefit but no risk information", brand.as_str()))
                            .with_help("add a risk statement (e.g. \"Side effects can include …\") or link the safety/prescribing information"),
                    );
                }
            }
        }
    }
}

/// Whether the few words before a match negate it ("there is no cure").
fn negated(before: &str) -> bool {
    let sentence_start = before.rfind(['.', '!', '?', '\n']).map_or(0, |i| i + 1);
    before[sentence_start..]
        .split_whitespace()
        .rev()
        .take(3)
        .any(|w| {
            NEGATIONS.contains(
                &w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
                    .to_lowercase()
                    .as_str(),
            )
        })
}

/// Byte ranges of the sentences of `text`.
fn sentences(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?' | '\n') {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, sources: bool) -> Vec<&'static str> {
        let mut out = Vec::new();
        check(
            &[Field { text, offset: 0 }],
            &Compiled::default(),
            sources,
            false,
            &mut out,
        );
        out.iter().map(|f| f.code).collect()
    }

    #[test]
    fn red_flags_match_whole_words_unless_negated() {
        assert_eq!(
            run("This tea is a miracle that cures colds.", true),
            ["claims/red-flag", "claims/red-flag"]
        );
        assert_eq!(
            run("There is no cure for the common cold.", true),
            Vec::<&str>::new()
        );
        assert_eq!(
            run("Securement and procurement are words.", true),
            Vec::<&str>::new()
        );
        assert_eq!(run("Lose 10 pounds in 7 days!", true), ["claims/red-flag"]);
        assert_eq!(
            run("It is 100% effective and RISK-FREE.", true),
            ["claims/red-flag", "claims/red-flag"]
        );
    }

    #[test]
    fn approval_claims_need_a_source() {
        assert_eq!(
            run("This cream is clinically proven.", false),
            ["claims/unsourced-approval"]
        );
        assert_eq!(
            run("This cream is clinically proven.", true),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn a_brand_with_a_benefit_needs_risk_information() {
        assert_eq!(
            run("Paxlovid helps high-risk adults.", true),
            Vec::<&str>::new(),
            "\"risk\" is present"
        );
        assert_eq!(
            run("Tamiflu helps you recover faster.", true),
            ["claims/fair-balance"]
        );
        assert_eq!(
            run(
                "Tamiflu helps you recover faster. Side effects include nausea.",
                true
            ),
            Vec::<&str>::new()
        );
        let mut out = Vec::new();
        let settings = Settings {
            drug_brands: vec!["Healix".into()],
            ..Settings::default()
        };
        check(
            &[Field {
                text: "Healix lowers blood sugar.",
                offset: 0,
            }],
            &Compiled::new(settings),
            true,
            false,
            &mut out,
        );
        assert_eq!(out.len(), 1);
        let mut out = Vec::new();
        check(
            &[Field {
                text: "Tamiflu helps.",
                offset: 0,
            }],
            &Compiled::default(),
            true,
            true,
            &mut out,
        );
        assert!(out.is_empty(), "a risk link balances the claim");
    }

    #[test]
    fn policy_phrases_extend_the_list() {
        let mut out = Vec::new();
        let settings = Settings {
            phrases: vec!["superfood".into()],
            ..Settings::default()
        };
        check(
            &[Field {
                text: "Kale, the superfood.",
                offset: 10,
            }],
            &Compiled::new(settings),
            true,
            false,
            &mut out,
        );
        assert_eq!(out[0].span, 20..29);
    }
}
