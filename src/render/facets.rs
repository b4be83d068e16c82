//! Bluesky rich-text facets (app.bsky.richtext.facet), detected the way the
//! official client (@atproto/api `RichText.detectFacets`) does: links with a
//! scheme or bare domains on a known top-level domain, hashtags after the
//! start or whitespace, and mentions of handles. Offsets are UTF-8 bytes,
//! end exclusive. Mentions need a DID, which takes the network to resolve:
//! they are returned apart, as handles, for the publisher to resolve and
//! [`Detected::with_mentions`] to merge.

use super::length::is_tld;
use regex::Regex;
use serde_json::{Value, json};
use std::ops::Range;
use std::sync::LazyLock;

pub const LINK: &str = "app.bsky.richtext.facet#link";
pub const TAG: &str = "app.bsky.richtext.facet#tag";
pub const MENTION: &str = "app.bsky.richtext.facet#mention";

/// Facets found in a text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Detected {
    /// Link and tag facets, shaped as the lexicon's `main`, sorted by
    /// `byteStart`, not overlapping.
    pub facets: Vec<Value>,
    /// Mentions: the byte range of `@handle` and the handle without `@`.
    /// A `#mention` facet needs the handle's DID.
    pub mentions: Vec<(Range<usize>, String)>,
}

/// A `#mention` facet for a mention whose handle has been resolved to `did`.
pub fn mention_facet(range: &Range<usize>, did: &str) -> Value {
    facet(range, json!({ "$type": MENTION, "did": did }))
}

pub fn detect(text: &str) -> Detected {
    let mut facets: Vec<(Range<usize>, Value)> = Vec::new();
    facets.extend(links(text));
    facets.extend(tags(text));
    facets.sort_by_key(|(r, _)| r.start);
    let mut out = Detected::default();
    let mut end = 0;
    for (range, feature) in facets {
        // The lexicon's readers expect facets not to overlap.
        if range.start < end {
            continue;
        }
        end = range.end;
        out.facets.push(facet(&range, feature));
    }
    out.mentions = mentions(text);
    out
}

impl Detected {
    /// All facets, with a `#mention` for each mention whose handle `did_of`
    /// resolves; the others stay plain text, as in the official client.
    /// Sorted by `byteStart`, not overlapping.
    pub fn with_mentions(&self, did_of: impl Fn(&str) -> Option<String>) -> Vec<Value> {
        let start = |f: &Value| f["index"]["byteStart"].as_u64().unwrap_or_default();
        let mut all: Vec<Value> = self.facets.clone();
        for (range, handle) in &self.mentions {
            if let Some(did) = did_of(handle) {
                all.push(mention_facet(range, &did));
            }
        }
        all.sort_by_key(start);
        let mut end = 0;
        all.retain(|f| {
            let keep = start(f) >= end;
            if keep {
                end = f["index"]["byteEnd"].as_u64().unwrap_or_default();
            }
            keep
        });
        all
    }
}

fn facet(range: &Range<usize>, feature: Value) -> Value {
    json!({
        "index": { "byteStart": range.start, "byteEnd": range.end },
        "features": [feature],
    })
}

// The client's patterns, as they are; they are constants, so building them
// cannot fail (the invariant behind each unreachable!).
static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?m)(?:^|\s|\()((https?://\S+)|(?P<domain>[a-zA-Z][a-zA-Z0-9]*(?:\.[a-zA-Z0-9]+)+)\S*)",
    )
    .unwrap_or_else(|e| unreachable!("{e}"))
});

static MENTION_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|\s|\()@([a-zA-Z0-9.-]+)(?-u:\b)").unwrap_or_else(|e| unreachable!("{e}"))
});

const NOT_IN_TAG: &str = r"\s\u{00AD}\u{2060}\u{200A}\u{200B}\u{200C}\u{200D}\u{20E2}";

static TAG_RE: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = format!(
        r"(?:^|\s)[#＃]([^{n}]*[^0-9\p{{P}}{n}]+[^{n}]*)?",
        n = NOT_IN_TAG
    );
    Regex::new(&pattern).unwrap_or_else(|e| unreachable!("{e}"))
});

fn links(text: &str) -> Vec<(Range<usize>, Value)> {
    let mut out = Vec::new();
    for m in URL.captures_iter(text) {
        let Some(url) = m.get(1) else { continue };
        let mut uri = url.as_str().to_string();
        if !uri.starts_with("http") {
            match m.name("domain") {
                Some(d) if valid_domain(d.as_str()) => uri = format!("https://{uri}"),
                _ => continue,
            }
        }
        let mut end = url.end();
        // Trailing punctuation is the sentence's, not the link's.
        if uri.ends_with(['.', ',', ';', ':', '!', '?']) {
            uri.pop();
            end -= 1;
        }
        if uri.ends_with(')') && !uri.contains('(') {
            uri.pop();
            end -= 1;
        }
        out.push((url.start()..end, json!({ "$type": LINK, "uri": uri })));
    }
    out
}

fn tags(text: &str) -> Vec<(Range<usize>, Value)> {
    let mut out = Vec::new();
    for m in TAG_RE.captures_iter(text) {
        let (Some(all), Some(tag)) = (m.get(0), m.get(1)) else {
            continue;
        };
        // The client's pattern refuses a tag opening with U+FE0F (keycap #️⃣).
        if tag.as_str().starts_with('\u{FE0F}') {
            continue;
        }
        let tag = tag.as_str().trim();
        let tag = tag.trim_end_matches(is_punctuation);
        // 64 UTF-16 units, as the client measures it.
        if tag.is_empty() || tag.encode_utf16().count() > 64 {
            continue;
        }
        let hash = all
            .as_str()
            .char_indices()
            .find(|(_, c)| matches!(c, '#' | '＃'));
        let Some((offset, hash)) = hash else { continue };
        let start = all.start() + offset;
        let end = start + hash.len_utf8() + tag.len();
        out.push((start..end, json!({ "$type": TAG, "tag": tag })));
    }
    out
}

fn mentions(text: &str) -> Vec<(Range<usize>, String)> {
    let mut out = Vec::new();
    for m in MENTION_RE.captures_iter(text) {
        let Some(handle) = m.get(1) else { continue };
        let h = handle.as_str();
        if !valid_domain(h) && !h.ends_with(".test") {
            continue; // probably not a handle
        }
        out.push((handle.start() - 1..handle.end(), h.to_string()));
    }
    out
}

/// A domain whose last label is a known top-level domain.
fn valid_domain(domain: &str) -> bool {
    match domain.rsplit_once('.') {
        Some((name, tld)) => !name.is_empty() && is_tld(&tld.to_ascii_lowercase()),
        None => false,
    }
}

/// Unicode general category P (punctuation), as the client's `\p{P}`.
fn is_punctuation(c: char) -> bool {
    static P: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\p{P}$").unwrap_or_else(|e| unreachable!("{e}")));
    let mut buf = [0; 4];
    P.is_match(c.encode_utf8(&mut buf))
}
