//! healthcast's readability scores against textstat's on the same plain
//! text: the posts in content/ and the sentences in
//! tests/fixtures/readability/make_textstat.py, whose output is
//! tests/fixtures/readability/textstat.yaml. Run with `--nocapture` to see
//! the table and the mean differences.

use healthcast::checks::readability::stats;
use serde::Deserialize;
use std::path::Path;

const FIXTURE: &str = "tests/fixtures/readability/textstat.yaml";
/// Agreement wanted for at least [`SHARE`] of the texts.
const GRADE_TOLERANCE: f64 = 1.0;
const EASE_TOLERANCE: f64 = 8.0;
const SHARE: f64 = 0.9;

#[derive(Deserialize)]
struct Fixture {
    textstat: String,
    texts: Vec<Text>,
}

#[derive(Deserialize)]
struct Text {
    name: String,
    text: String,
    grade: f64,
    reading_ease: f64,
}

fn fixture() -> Fixture {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    let yaml = std::fs::read_to_string(&path).expect("read textstat.yaml");
    serde_yaml::from_str(&yaml).expect("parse textstat.yaml")
}

#[test]
fn agrees_with_textstat() {
    let fixture = fixture();
    assert!(fixture.texts.len() >= 40, "fixture has too few texts");
    println!("textstat {}", fixture.textstat);
    println!(
        "{:<48} {:>7} {:>7} {:>7} {:>7}",
        "text", "grade", "ts", "ease", "ts"
    );
    let (mut grade_diff, mut ease_diff, mut close) = (0.0, 0.0, 0);
    let mut worst_grade = (0.0_f64, "");
    let mut worst_ease = (0.0_f64, "");
    for t in &fixture.texts {
        let s = stats(&t.text);
        let (dg, de) = (
            (s.grade - t.grade).abs(),
            (s.reading_ease - t.reading_ease).abs(),
        );
        grade_diff += dg;
        ease_diff += de;
        if dg <= GRADE_TOLERANCE && de <= EASE_TOLERANCE {
            close += 1;
        }
        if dg > worst_grade.0 {
            worst_grade = (dg, &t.name);
        }
        if de > worst_ease.0 {
            worst_ease = (de, &t.name);
        }
        let mark = if dg <= GRADE_TOLERANCE && de <= EASE_TOLERANCE {
            ""
        } else {
            "  <- apart"
        };
        println!(
            "{:<48} {:>7.2} {:>7.2} {:>7.2} {:>7.2}{mark}",
            t.name, s.grade, t.grade, s.reading_ease, t.reading_ease
        );
    }
    let n = fixture.texts.len() as f64;
    println!(
        "mean absolute difference: grade {:.2}, reading ease {:.2}; within tolerance: {close}/{}",
        grade_diff / n,
        ease_diff / n,
        fixture.texts.len()
    );
    println!(
        "worst: grade {:.2} ({}), reading ease {:.2} ({})",
        worst_grade.0, worst_grade.1, worst_ease.0, worst_ease.1
    );
    assert!(
        close as f64 >= SHARE * n,
        "only {close} of {} texts within {GRADE_TOLERANCE} grade and {EASE_TOLERANCE} ease of textstat",
        fixture.texts.len()
    );
}

/// The fixture must cover every post in content/, so that a new post is
/// compared too (regenerate with make_textstat.py).
#[test]
fn fixture_covers_every_post() {
    let fixture = fixture();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut posts = Vec::new();
    for dir in ["content/news", "content/tips"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("read content dir") {
            let path = entry.expect("dir entry").path();
            if path.extension().is_some_and(|e| e == "md") {
                let rel = path.strip_prefix(root).expect("under root");
                posts.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    assert_eq!(posts.len(), 20);
    for post in posts {
        assert!(
            fixture.texts.iter().any(|t| t.name == post),
            "{post} is missing from {FIXTURE}: run make_textstat.py"
        );
    }
}

/// The example posts are plain enough for the default error threshold.
#[test]
fn example_posts_are_at_most_grade_8() {
    let fixture = fixture();
    let too_hard: Vec<String> = fixture
        .texts
        .iter()
        .filter(|t| t.name.starts_with("content/"))
        .filter_map(|t| {
            let s = stats(&t.text);
            (s.grade > 8.0).then(|| format!("{} (grade {:.2})", t.name, s.grade))
        })
        .collect();
    assert!(too_hard.is_empty(), "above grade 8: {too_hard:?}");
}
