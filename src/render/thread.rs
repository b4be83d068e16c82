//! Splitting a text too long for one post into a numbered thread.
//!
//! Parts break at sentence ends (and paragraph breaks); a sentence longer
//! than the limit breaks between words; only a single word longer than the
//! limit is cut between graphemes, and never a word holding a URL (such a
//! word gets a part of its own even if it is over the limit).
//!
//! Numbering is a prefix, `"1/3 "`: readers see at once that a post is part
//! of a thread, and a part never opens with an `@handle` that X would take
//! for a reply-to handle, nor ends with a number that runs into a URL or
//! a hashtag. Each part is counted with its prefix.

use super::length::urls;
use std::ops::Range;
use unicode_segmentation::UnicodeSegmentation;

/// `text` as parts that each fit `limit` as `count` measures them, numbering
/// included. A text that fits is returned whole and unnumbered. Within a
/// part the text is as written; the parts joined with single spaces, their
/// numbering removed, give the text back with whitespace normalised (except
/// where a word longer than the limit had to be cut).
pub fn split(text: &str, limit: usize, count: fn(&str) -> usize) -> Vec<String> {
    if count(text) <= limit {
        return vec![text.to_string()];
    }
    let sentences = sentences(text);
    let mut total = 2;
    let mut parts = Vec::new();
    // The numbering's width depends on the number of parts; pack until the
    // count assumed is the count found (digits only matter, so this settles
    // within a step or two).
    for _ in 0..16 {
        parts = pack(text, &sentences, limit, count, total);
        if parts.len() == total {
            break;
        }
        total = parts.len();
    }
    if parts.len() <= 1 {
        // Only an unsplittable word (a long URL) is over the limit.
        return vec![text.trim().to_string()];
    }
    let n = parts.len();
    parts
        .iter()
        .enumerate()
        .map(|(i, body)| format!("{}/{n} {body}", i + 1))
        .collect()
}

/// The numbering `split` puts before part `k` of `n`.
pub fn numbering(k: usize, n: usize) -> String {
    format!("{k}/{n} ")
}

/// Sentences as lists of word ranges (maximal runs of non-whitespace).
fn sentences(text: &str) -> Vec<Vec<Range<usize>>> {
    let mut out: Vec<Vec<Range<usize>>> = Vec::new();
    let mut current: Vec<Range<usize>> = Vec::new();
    let mut prev_end = 0;
    for word in words(text) {
        // A paragraph break ends a sentence too.
        if !current.is_empty() && text[prev_end..word.start].contains('\n') {
            out.push(std::mem::take(&mut current));
        }
        prev_end = word.end;
        let ends = ends_sentence(&text[word.clone()]);
        current.push(word);
        if ends {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn words(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(s..text.len());
    }
    out
}

fn ends_sentence(word: &str) -> bool {
    let word = word.trim_end_matches(['"', '\'', ')', ']', '”', '’', '»']);
    word.ends_with(['.', '!', '?', '…', '。', '！', '？']) && urls(word, false).is_empty()
}

fn pack(
    text: &str,
    sentences: &[Vec<Range<usize>>],
    limit: usize,
    count: fn(&str) -> usize,
    total: usize,
) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    // The part being filled, as a byte range of `text`.
    let mut current: Option<Range<usize>> = None;
    let fits = |parts: &Vec<String>, body: &str| {
        count(&format!("{}{body}", numbering(parts.len() + 1, total))) <= limit
    };
    for sentence in sentences {
        let (Some(first), Some(last)) = (sentence.first(), sentence.last()) else {
            continue;
        };
        let start = current.as_ref().map_or(first.start, |c| c.start);
        if fits(&parts, &text[start..last.end]) {
            current = Some(start..last.end);
            continue;
        }
        if let Some(c) = current.take() {
            parts.push(text[c].to_string());
        }
        if fits(&parts, &text[first.start..last.end]) {
            current = Some(first.start..last.end);
            continue;
        }
        // A sentence longer than a part: break it between words.
        for word in sentence {
            let start = current.as_ref().map_or(word.start, |c| c.start);
            if fits(&parts, &text[start..word.end]) {
                current = Some(start..word.end);
                continue;
            }
            if let Some(c) = current.take() {
                parts.push(text[c].to_string());
            }
            if fits(&parts, &text[word.clone()]) {
                current = Some(word.clone());
                continue;
            }
            let w = &text[word.clone()];
            if !urls(w, false).is_empty() || w.contains("://") {
                // Never cut a URL: it gets a part of its own.
                parts.push(w.to_string());
                continue;
            }
            // A word longer than a part (a run of CJK, say): cut between
            // graphemes, at least one grapheme per part.
            let mut piece = word.start..word.start;
            for (at, g) in w.grapheme_indices(true) {
                let end = word.start + at + g.len();
                if piece.is_empty() || fits(&parts, &text[piece.start..end]) {
                    piece.end = end;
                } else {
                    parts.push(text[piece].to_string());
                    piece = word.start + at..end;
                }
            }
            current = Some(piece);
        }
    }
    if let Some(c) = current {
        parts.push(text[c].to_string());
    }
    parts
}
