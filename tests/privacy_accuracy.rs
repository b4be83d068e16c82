//! Accuracy of the `privacy/*` rules on a labeled set of short health posts
//! (tests/fixtures/privacy/labeled.yaml), and silence on the sample content.
//!
//! Scoring is per post: a kind counts as detected when any finding has its
//! code. Run with `--nocapture` to see the per-kind table.

use healthcast::checks::privacy::{Allow, Context, RULES, scan};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(serde::Deserialize)]
struct Labeled {
    text: String,
    #[serde(default)]
    expect: Vec<String>,
}

/// What the fictional hospital of the fixture allows.
fn allow() -> Allow {
    Allow {
        phones: vec![
            "+1 (555) 010-2000".into(),
            "555-010-2400".into(),
            "(413) 555-0100".into(),
        ],
        domains: vec!["example-hospital.org".into()],
        addresses: vec!["100 Example Way, Springfield, MA 01101".into()],
        staff: vec!["Dana Whitfield".into(), "Marcus Bell".into()],
        ..Allow::default()
    }
}

#[derive(Default)]
struct Score {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Score {
    fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

#[test]
fn labeled_posts_meet_precision_and_recall() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/privacy/labeled.yaml");
    let raw = std::fs::read_to_string(&path).unwrap();
    let posts: Vec<Labeled> = serde_yaml::from_str(&raw).unwrap();
    assert!(posts.len() >= 300, "only {} labeled posts", posts.len());

    let kinds: Vec<&str> = RULES
        .iter()
        .map(|(c, _)| c.trim_start_matches("privacy/"))
        .collect();
    let allow = allow();
    let ctx = Context {
        allow: &allow,
        consent: false,
    };
    let mut scores: BTreeMap<&str, Score> = kinds.iter().map(|k| (*k, Score::default())).collect();
    let mut misses = Vec::new();
    for post in &posts {
        for e in &post.expect {
            assert!(
                kinds.contains(&e.as_str()),
                "unknown kind `{e}` in: {}",
                post.text
            );
        }
        let expected: BTreeSet<&str> = post.expect.iter().map(String::as_str).collect();
        let findings = scan(&post.text, &ctx);
        let got: BTreeSet<&str> = findings
            .iter()
            .map(|f| f.code.trim_start_matches("privacy/"))
            .collect();
        for kind in &kinds {
            let s = scores.get_mut(kind).unwrap();
            match (expected.contains(kind), got.contains(kind)) {
                (true, true) => s.tp += 1,
                (false, true) => s.fp += 1,
                (true, false) => s.fn_ += 1,
                (false, false) => {}
            }
        }
        if expected != got {
            let detail: Vec<String> = findings
                .iter()
                .map(|f| format!("{} {:?}", f.code, &post.text[f.span.clone()]))
                .collect();
            misses.push(format!(
                "expected {expected:?}, got {detail:?}\n    {}",
                post.text
            ));
        }
    }

    let total = Score {
        tp: scores.values().map(|s| s.tp).sum(),
        fp: scores.values().map(|s| s.fp).sum(),
        fn_: scores.values().map(|s| s.fn_).sum(),
    };
    println!("{} labeled posts", posts.len());
    println!(
        "{:<13} {:>4} {:>4} {:>4} {:>9} {:>7}",
        "kind", "tp", "fp", "fn", "precision", "recall"
    );
    for (kind, s) in scores
        .iter()
        .map(|(k, s)| (*k, s))
        .chain([("TOTAL", &total)])
    {
        println!(
            "{:<13} {:>4} {:>4} {:>4} {:>9.3} {:>7.3}",
            kind,
            s.tp,
            s.fp,
            s.fn_,
            s.precision(),
            s.recall()
        );
    }
    for m in &misses {
        println!("MISS {m}");
    }
    assert!(
        total.recall() >= 0.98,
        "overall recall {:.3}",
        total.recall()
    );
    assert!(
        total.precision() >= 0.95,
        "overall precision {:.3}",
        total.precision()
    );
    // `privacy/photo` reads an image's alt text, not post text: its own tests cover it.
    for (kind, s) in scores.iter().filter(|(kind, _)| **kind != "photo") {
        assert!(s.tp + s.fn_ >= 3, "fewer than 3 labeled leaks of {kind}");
        assert!(s.recall() >= 0.9, "{kind} recall {:.3}", s.recall());
    }
}

#[test]
fn sample_content_has_no_findings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    assert!(!files.is_empty());
    let allow = Allow::default();
    let ctx = Context {
        allow: &allow,
        consent: false,
    };
    for file in files {
        let raw = std::fs::read_to_string(&file).unwrap();
        let body = body_of(&raw);
        let findings = scan(body, &ctx);
        assert!(findings.is_empty(), "{}: {findings:#?}", file.display());
    }
}

/// The text after the second `---` line.
fn body_of(raw: &str) -> &str {
    let mut offset = 0;
    let mut fences = 0;
    for line in raw.split_inclusive('\n') {
        offset += line.len();
        if line.trim_end() == "---" {
            fences += 1;
            if fences == 2 {
                return &raw[offset..];
            }
        }
    }
    raw
}
