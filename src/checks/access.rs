//! `access/*`: posts everyone can read. Images need useful alt text within
//! the platforms' limits; hashtags are CamelCase (screen readers read
//! #FluSeason as two words) and few; no sentences in capitals; few emoji
//! (each is read out in full); link text says where it goes.

use super::Field;
use super::finding::Finding;
use crate::content::Post;
use crate::content::doc::{Doc, Node};
use regex::Regex;
use serde::Deserialize;
use std::sync::LazyLock;
use unicode_segmentation::UnicodeSegmentation;

/// `access:` in policy.yaml.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub max_hashtags: usize,
    pub max_emoji: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_hashtags: 3,
            max_emoji: 2,
        }
    }
}

/// The smallest alt-text limit of the platforms healthcast publishes to (X).
pub const MAX_ALT_CHARS: usize = 1000;

const REDUNDANT_ALT: &[&str] = &[
    "image of",
    "picture of",
    "photo of",
    "photograph of",
    "graphic of",
    "an image",
    "a picture",
    "a photo",
];
const VAGUE_LINK_TEXT: &[&str] = &[
    "click here",
    "here",
    "read more",
    "more",
    "this link",
    "link",
    "this",
    "learn more",
];

// Invariant (all three): constant patterns.
static BODY_HASHTAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\w&/#])#([A-Za-z][A-Za-z0-9_]*)").unwrap_or_else(|e| unreachable!("{e}"))
});
static EMOJI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\p{Extended_Pictographic}").unwrap_or_else(|e| unreachable!("{e}"))
});
static SENTENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[^.!?\n]+[.!?]?").unwrap_or_else(|e| unreachable!("{e}")));

pub fn check(post: &Post, fields: &[Field], settings: &Settings, out: &mut Vec<Finding>) {
    if let Some(image) = &post.meta.image {
        let key = post.value_offset("image:").map_or(0..0, |at| at..at + 5);
        match image.alt.as_deref().map(str::trim) {
            None | Some("") => out.push(
                Finding::new("access/alt-missing", key, "the image has no alt text").with_help(
                    "add `alt:` describing what the image shows, for people who cannot see it",
                ),
            ),
            Some(alt) => {
                let span = post.value_offset(alt).map_or(key, |at| at..at + alt.len());
                let lower = alt.to_lowercase();
                if let Some(prefix) = REDUNDANT_ALT.iter().find(|p| lower.starts_with(*p)) {
                    out.push(
                        Finding::new(
                            "access/alt-redundant",
                            span.clone(),
                            format!("alt text starts with \"{prefix}\""),
                        )
                        .with_help(
                            "screen readers already say it is an image; describe what it shows",
                        ),
                    );
                }
                let chars = alt.chars().count();
                if chars > MAX_ALT_CHARS {
                    out.push(
                        Finding::new(
                            "access/alt-too-long",
                            span,
                            format!(
                                "alt text is {chars} characters; platforms accept {MAX_ALT_CHARS}"
                            ),
                        )
                        .with_help("shorten it; put longer descriptions in the post"),
                    );
                }
            }
        }
    }

    let mut hashtags: Vec<(String, std::ops::Range<usize>)> = post
        .meta
        .hashtags
        .iter()
        .map(|h| {
            let tag = h.trim_start_matches('#').to_string();
            let span = post
                .value_offset(&tag)
                .map_or(0..0, |at| at..at + tag.len());
            (tag, span)
        })
        .collect();
    for field in fields {
        for caps in BODY_HASHTAG.captures_iter(field.text) {
            if let Some(m) = caps.get(1) {
                hashtags.push((m.as_str().to_string(), field.span(m.range())));
            }
        }
    }
    for (tag, span) in &hashtags {
        let letters: Vec<char> = tag.chars().filter(|c| c.is_alphabetic()).collect();
        let all_lower = letters.iter().all(|c| c.is_lowercase());
        let all_upper = letters.iter().all(|c| c.is_uppercase());
        if letters.len() > 4 && (all_lower || all_upper) {
            out.push(
                Finding::new("access/hashtag-case", span.clone(), format!("#{tag} is not CamelCase"))
                    .with_help("capitalise each word (#FluSeason, #HeartHealth) so screen readers read the words"),
            );
        }
    }
    if hashtags.len() > settings.max_hashtags {
        let span = hashtags
            .get(settings.max_hashtags)
            .map_or(0..0, |h| h.1.clone());
        out.push(
            Finding::new(
                "access/too-many-hashtags",
                span,
                format!(
                    "{} hashtags; the policy allows {}",
                    hashtags.len(),
                    settings.max_hashtags
                ),
            )
            .with_help("keep the most useful ones"),
        );
    }

    let mut emoji = Vec::new();
    for field in fields {
        for m in SENTENCE.find_iter(field.text) {
            if is_all_caps(m.as_str()) {
                out.push(
                    Finding::new("access/all-caps", field.span(m.range()), "sentence in capitals")
                        .with_help("write in sentence case; capitals are harder to read and read out letter by letter"),
                );
            }
        }
        if field.text.is_ascii() {
            continue;
        }
        let mut offset = 0;
        for grapheme in field.text.graphemes(true) {
            if EMOJI.is_match(grapheme) {
                emoji.push(field.span(offset..offset + grapheme.len()));
            }
            offset += grapheme.len();
        }
    }
    if emoji.len() > settings.max_emoji {
        out.push(
            Finding::new(
                "access/emoji",
                emoji[settings.max_emoji].clone(),
                format!(
                    "{} emoji; the policy allows {}",
                    emoji.len(),
                    settings.max_emoji
                ),
            )
            .with_help("screen readers read each emoji's full name; keep at most a couple"),
        );
    }

    links(&post.doc, out);
}

/// A sentence of at least three words whose letters are all capitals.
fn is_all_caps(sentence: &str) -> bool {
    let words: Vec<&str> = sentence
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .collect();
    words.len() >= 3
        && words
            .iter()
            .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() > 1)
            .count()
            >= 2
        && sentence
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(char::is_uppercase)
}

fn links(doc: &Doc, out: &mut Vec<Finding>) {
    for element in doc.elements() {
        if let Node::Link { .. } = element.node {
            let mut label = String::new();
            for child in &element.children {
                if let Node::Text(t) = &child.node {
                    label.push_str(t);
                }
            }
            let label = label
                .trim()
                .trim_end_matches(['.', '!', ':'])
                .to_lowercase();
            if VAGUE_LINK_TEXT.contains(&label.as_str()) {
                out.push(
                    Finding::new(
                        "access/link-text",
                        element.span.clone(),
                        format!("link text \"{label}\" does not say where it goes"),
                    )
                    .with_help(
                        "use the destination as the text, e.g. [CDC flu vaccine facts](https://…)",
                    ),
                );
            }
        }
    }
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
    fn images_need_useful_alt_text() {
        assert_eq!(run("image: { path: a.png }\n", ""), ["access/alt-missing"]);
        assert_eq!(
            run("image: { path: a.png, alt: \"Image of a nurse\" }\n", ""),
            ["access/alt-redundant"]
        );
        let long = "x".repeat(1001);
        assert_eq!(
            run(&format!("image: {{ path: a.png, alt: \"{long}\" }}\n"), ""),
            ["access/alt-too-long"]
        );
        assert_eq!(
            run(
                "image: { path: a.png, alt: \"A nurse gives a flu shot\" }\n",
                ""
            ),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn hashtags_are_camel_case_and_few() {
        assert_eq!(run("hashtags: [fluseason]\n", ""), ["access/hashtag-case"]);
        assert_eq!(
            run(
                "hashtags: [FluSeason, Flu]\n",
                "Get your #FluShot now. Call 555-0100 #2.\n"
            ),
            Vec::<&str>::new()
        );
        assert_eq!(
            run("hashtags: [A1, B1, C1]\n", "#HeartHealth\n"),
            ["access/too-many-hashtags"]
        );
    }

    #[test]
    fn capitals_emoji_and_vague_links() {
        assert_eq!(
            run("", "GET YOUR FLU SHOT TODAY. The CDC and WHO agree.\n"),
            ["access/all-caps"]
        );
        assert_eq!(run("", "Stay well 😷💉🩺\n"), ["access/emoji"]);
        assert_eq!(run("", "Stay well 😷💉\n"), Vec::<&str>::new());
        assert_eq!(
            run("", "For hours [click here](https://h.example).\n"),
            ["access/link-text"]
        );
        assert_eq!(
            run("", "See [flu clinic hours](https://h.example).\n"),
            Vec::<&str>::new()
        );
    }
}
