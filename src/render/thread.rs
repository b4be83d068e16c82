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
    let fits = |parts: &Vec<String>, range: Range<usize>| {
        count(&format!(
            "{}{}",
            numbering(parts.len() + 1, total),
            &text[range]
        )) <= limit
    };
    // Each step takes as many units (sentences, words, graphemes) as fit,
    // found by a galloping search: a part is counted O(log n) times, not
    // once per unit, so a long text splits in O(n log n), not O(n × limit).
    let sentences: Vec<&Vec<Range<usize>>> = sentences.iter().filter(|s| !s.is_empty()).collect();
    let span = |s: &[Range<usize>]| s[0].start..s[s.len() - 1].end;
    let mut i = 0;
    while i < sentences.len() {
        let from = span(sentences[i]).start;
        let start = current.as_ref().map_or(from, |c| c.start);
        let n = most(sentences.len() - i, |k| {
            fits(&parts, start..span(sentences[i + k - 1]).end)
        });
        if n > 0 {
            current = Some(start..span(sentences[i + n - 1]).end);
            i += n;
            continue;
        }
        if let Some(c) = current.take() {
            parts.push(text[c].to_string());
        }
        let n = most(sentences.len() - i, |k| {
            fits(&parts, from..span(sentences[i + k - 1]).end)
        });
        if n > 0 {
            current = Some(from..span(sentences[i + n - 1]).end);
            i += n;
            continue;
        }
        // A sentence longer than a part: break it between words.
        let words = sentences[i].as_slice();
        let mut j = 0;
        while j < words.len() {
            let start = current.as_ref().map_or(words[j].start, |c| c.start);
            let n = most(words.len() - j, |k| {
                fits(&parts, start..words[j + k - 1].end)
            });
            if n > 0 {
                current = Some(start..words[j + n - 1].end);
                j += n;
                continue;
            }
            if let Some(c) = current.take() {
                parts.push(text[c].to_string());
            }
            let n = most(words.len() - j, |k| {
                fits(&parts, words[j].start..words[j + k - 1].end)
            });
            if n > 0 {
                current = Some(words[j].start..words[j + n - 1].end);
                j += n;
                continue;
            }
            let word = words[j].clone();
            j += 1;
            let w = &text[word.clone()];
            if !urls(w, false).is_empty() || w.contains("://") {
                // Never cut a URL: it gets a part of its own.
                parts.push(w.to_string());
                continue;
            }
            // A word longer than a part (a run of CJK, say): cut between
            // graphemes, at least one grapheme per part.
            let ends: Vec<usize> = w
                .grapheme_indices(true)
                .map(|(at, g)| word.start + at + g.len())
                .collect();
            let mut piece_start = word.start;
            let mut g = 0;
            while g < ends.len() {
                let n = most(ends.len() - g, |k| {
                    fits(&parts, piece_start..ends[g + k - 1])
                })
                .max(1);
                let piece = piece_start..ends[g + n - 1];
                g += n;
                if g < ends.len() {
                    parts.push(text[piece.clone()].to_string());
                    piece_start = piece.end;
                } else {
                    current = Some(piece);
                }
            }
        }
        i += 1;
    }
    if let Some(c) = current {
        parts.push(text[c].to_string());
    }
    parts
}

/// The largest `k` in `0..=max` for which `fits(k)` holds, assuming that it
/// holds for every smaller `k` once it holds for one (`fits(0)` is taken as
/// true and never asked): doubling, then halving, so O(log k) questions.
fn most(max: usize, mut fits: impl FnMut(usize) -> bool) -> usize {
    if max == 0 || !fits(1) {
        return 0;
    }
    let mut good = 1;
    let mut bad = loop {
        let next = (good * 2).min(max);
        if next == good {
            return good;
        }
        if !fits(next) {
            break next;
        }
        good = next;
    };
    while bad - good > 1 {
        let mid = good + (bad - good) / 2;
        if fits(mid) {
            good = mid;
        } else {
            bad = mid;
        }
    }
    good
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn most_finds_the_last_count_that_fits() {
        for max in 0..40 {
            for threshold in 0..45 {
                let mut asked = Vec::new();
                let got = most(max, |k| {
                    asked.push(k);
                    k <= threshold
                });
                assert_eq!(got, max.min(threshold), "max {max}, threshold {threshold}");
                assert!(asked.iter().all(|&k| (1..=max).contains(&k)), "{asked:?}");
            }
        }
    }

    static CALLS: AtomicUsize = AtomicUsize::new(0);

    fn counted(text: &str) -> usize {
        CALLS.fetch_add(1, Ordering::Relaxed);
        super::super::graphemes(text)
    }

    #[test]
    fn a_long_text_is_not_counted_once_per_word() {
        // Found measuring 1 MiB posts (tests/large_inputs.rs): each word was
        // counted with the whole part before it, O(n × limit), and a 256 KiB
        // post took minutes to render. Now a part is counted O(log n) times.
        let words = 20_000;
        for text in [
            "ab ".repeat(words),
            "ab. ".repeat(words),
            "字".repeat(words),
        ] {
            CALLS.store(0, Ordering::Relaxed);
            let parts = split(&text, 2000, counted);
            assert!(parts.len() > 8, "{}", parts.len());
            assert!(parts.iter().all(|p| counted(p) <= 2000));
            let calls = CALLS.load(Ordering::Relaxed);
            assert!(calls < words / 4, "{calls} counts for {words} words");
        }
    }
}
