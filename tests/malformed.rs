//! Malformed input, as a fuzzing harness found it: each broken post is a
//! diagnostic for its own file (with line and column where there is one, and
//! what to do), and every other post still checks, previews and publishes.

mod common;

use assert_cmd::Command;
use chrono::{TimeDelta, Utc};
use common::TempRepo;
use serde_json::Value;

fn healthcast(repo: &TempRepo) -> Command {
    let mut cmd = Command::cargo_bin("healthcast").unwrap();
    cmd.arg("--repo").arg(repo.path());
    cmd
}

/// `check --format json`: the exit code and the diagnostics.
fn check(repo: &TempRepo, args: &[&str]) -> (Option<i32>, Vec<Value>) {
    let out = healthcast(repo)
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code(),
        v["diagnostics"].as_array().unwrap().clone(),
    )
}

/// `check` as a writer reads it.
fn check_human(repo: &TempRepo, args: &[&str]) -> String {
    let out = healthcast(repo).arg("check").args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn of_file<'a>(diagnostics: &'a [Value], file: &str) -> Vec<&'a Value> {
    diagnostics.iter().filter(|d| d["file"] == file).collect()
}

/// The one diagnostic of `file`, which must have `code`, and its position.
fn only<'a>(diagnostics: &'a [Value], file: &str, code: &str) -> &'a Value {
    let found = of_file(diagnostics, file);
    assert_eq!(found.len(), 1, "{file}: {found:#?}");
    assert_eq!(found[0]["code"], code, "{file}: {:#?}", found[0]);
    assert!(
        found[0]["help"].as_str().is_some_and(|h| !h.is_empty()),
        "{:#?}",
        found[0]
    );
    found[0]
}

fn at(d: &Value) -> (u64, u64) {
    (d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap())
}

/// A good news item due now, which every test expects to see published.
fn good_news(repo: &TempRepo) {
    repo.news("good", Utc::now() - TimeDelta::minutes(5));
}

/// `run --once` (work tree or HEAD, whichever the repository has): the
/// summary line, and the titles of the feed's entries, read by feed-rs.
fn run_once(repo: &TempRepo) -> (String, Vec<String>) {
    let out = healthcast(repo).args(["run", "--once"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let feed = std::fs::read(repo.join("public/feed.xml"))
        .unwrap_or_else(|e| panic!("no feed: {e}\n{stdout}{stderr}"));
    assert_xml_chars(&feed);
    let parsed = feed_rs::parser::parse(&feed[..]).unwrap_or_else(|e| {
        panic!(
            "the feed is not valid: {e}\n{}",
            String::from_utf8_lossy(&feed)
        )
    });
    let titles = parsed
        .entries
        .iter()
        .map(|e| {
            e.title
                .as_ref()
                .map(|t| t.content.clone())
                .unwrap_or_default()
        })
        .collect();
    (stdout, titles)
}

/// Every character is one XML 1.0 allows (its `Char` production), raw or as
/// a character reference. feed-rs (like atom_syndication) reads a feed with
/// an ESC in it; strict readers, libxml2 among them, refuse the whole file.
fn assert_xml_chars(feed: &[u8]) {
    let text = std::str::from_utf8(feed).expect("the feed is UTF-8");
    let allowed = |c: u32| matches!(c, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF);
    for (i, c) in text.char_indices() {
        assert!(
            allowed(u32::from(c)),
            "U+{:04X} at byte {i} of the feed",
            u32::from(c)
        );
    }
    for reference in text.split("&#").skip(1) {
        let (radix, digits) = match reference.strip_prefix('x') {
            Some(hex) => (16, hex),
            None => (10, reference),
        };
        let n = digits
            .split(';')
            .next()
            .and_then(|d| u32::from_str_radix(d, radix).ok());
        assert!(n.is_some_and(allowed), "&#{reference:.12}… in the feed");
    }
}

/// The good post checks clean, previews unblocked and is the one published.
fn the_good_post_goes_out(repo: &TempRepo, diagnostics: &[Value]) {
    assert!(
        of_file(diagnostics, "content/news/good.md").is_empty(),
        "{diagnostics:#?}"
    );
    let out = healthcast(repo)
        .args([
            "preview",
            "--format",
            "json",
            "--days",
            "1",
            "--from",
            &(Utc::now() - TimeDelta::minutes(10)).to_rfc3339(),
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let good: Vec<&Value> = v["publications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["post"] == "news/good")
        .collect();
    assert_eq!(good.len(), 1, "{v:#}");
    assert_eq!(good[0]["blocked"].as_array().unwrap().len(), 0, "{v:#}");
    let (summary, titles) = run_once(repo);
    assert!(summary.contains("published 1, failed 0"), "{summary}");
    assert_eq!(titles, ["News good"]);
}

/// A news item due now (which would be published if nothing held it):
/// `title` as written in the YAML, `extra` front-matter lines, then `body`.
fn post_with(title: &str, extra: &str, body: &str) -> String {
    let reviewed = (Utc::now() - TimeDelta::days(2)).format("%Y-%m-%d");
    format!(
        "---\ntitle: {title}\nkind: news\npublish_at: {}\nchannels: [public]\nsources: [https://www.cdc.gov/flu/]\nreview: {{ by: \"Dr. Test, MD\", on: {reviewed} }}\n{extra}---\n{body}\n",
        (Utc::now() - TimeDelta::minutes(5)).to_rfc3339()
    )
}

fn post(title: &str, body: &str) -> String {
    post_with(title, "", body)
}

#[test]
fn markdown_nested_thousands_deep_is_held_and_the_other_posts_publish() {
    let repo = TempRepo::new();
    good_news(&repo);
    // 6,000 and 100,000 levels of block quotes, and of quotes holding lists;
    // each overflowed the stack of check, preview and run before.
    repo.write(
        "content/news/quotes.md",
        &post("Quotes", &">".repeat(6_000)),
    );
    repo.write(
        "content/news/quote-lists.md",
        &post(
            "Lists",
            &format!("Intro.\n\n{} deep", "> - ".repeat(100_000)),
        ),
    );
    repo.write(
        "content/news/more-quotes.md",
        &post("More", &format!("{} deep", ">".repeat(100_000))),
    );
    let (code, diagnostics) = check(&repo, &[]);
    assert_eq!(code, Some(1));
    for (file, position) in [
        ("content/news/quotes.md", (9, 101)),
        ("content/news/quote-lists.md", (11, 201)),
        ("content/news/more-quotes.md", (9, 101)),
    ] {
        let d = only(&diagnostics, file, "content/too-deep");
        assert_eq!(at(d), position, "{d:#}");
        assert_eq!(d["severity"], "error");
        assert!(
            d["message"]
                .as_str()
                .unwrap()
                .contains("nests more than 100 levels deep"),
            "{d:#}"
        );
    }
    let human = check_human(&repo, &["content/news/quotes.md"]);
    assert!(
        human
            .contains("error[content/too-deep]: the Markdown nests more than 100 levels deep here")
            && human.contains("  --> content/news/quotes.md:9:101\n")
            && human.contains("= help: flatten it"),
        "{human}"
    );
    the_good_post_goes_out(&repo, &diagnostics);
}

#[test]
fn control_characters_and_non_characters_are_errors_at_their_place_and_the_feed_stays_valid() {
    let repo = TempRepo::new();
    good_news(&repo);
    // The feed's own title (configuration, not checked as a post) holds an
    // ESC too: the feed writer must strip it whatever check says.
    repo.write(
        "schedules/channels.yaml",
        &common::CHANNELS.replace("title: Test tips", "title: \"Test \\e tips\""),
    );
    let files = [
        // Raw in the body (line 9 is the body's first line).
        ("raw-esc", post("Raw", "Wash \u{1B}[2J your hands.")),
        ("raw-nonchar", post("Raw", "Eat \u{FDD0}well.")),
        ("raw-c1", post("Raw", "Next\u{85}line.")),
        // Raw in the front matter: the YAML parser refuses it.
        ("raw-nul-title", post("\"Flu\u{0} shots\"", "Body.")),
        // YAML escapes, at the escape.
        ("escaped-title", post("\"Flu \\e[31m shots\"", "Body.")),
        (
            "escaped-warning",
            post_with("Warning", "content_warning: \"Needles\\0\"\n", "Body."),
        ),
        (
            "escaped-alt",
            post_with(
                "Alt",
                "image: { path: images/a.png, alt: \"A nurse\\uFFFF\", credit: Us, license: owned }\n",
                "Body.",
            ),
        ),
        // A character reference in the body.
        ("reference", post("Reference", "Wash &#27; hands.")),
    ];
    for (name, text) in &files {
        repo.write(&format!("content/news/{name}.md"), text);
    }
    let (code, diagnostics) = check(&repo, &[]);
    assert_eq!(code, Some(1));
    let expect = [
        ("raw-esc", (9, 6), "U+001B ESCAPE in the body"),
        (
            "raw-nonchar",
            (9, 5),
            "U+FDD0 a Unicode non-character in the body",
        ),
        ("raw-c1", (9, 5), "U+0085 NEXT LINE in the body"),
        ("raw-nul-title", (2, 12), "U+0000 NULL in the front matter"),
        (
            "escaped-title",
            (2, 13),
            "U+001B ESCAPE in `title` (written as `\\e`)",
        ),
        (
            "escaped-warning",
            (8, 26),
            "U+0000 NULL in `content_warning` (written as `\\0`)",
        ),
        (
            "escaped-alt",
            (8, 43),
            "U+FFFF a Unicode non-character in `image.alt` (written as `\\uFFFF`)",
        ),
        (
            "reference",
            (9, 6),
            "U+001B ESCAPE in the body (written as `&#27;`)",
        ),
    ];
    for (name, position, message) in expect {
        let file = format!("content/news/{name}.md");
        let found: Vec<&Value> = of_file(&diagnostics, &file)
            .into_iter()
            .filter(|d| d["code"] == "content/control-char")
            .collect();
        assert_eq!(found.len(), 1, "{file}: {diagnostics:#?}");
        let d = found[0];
        assert_eq!(
            (at(d), d["message"].as_str().unwrap()),
            (position, message),
            "{file}: {d:#}"
        );
        assert_eq!(d["severity"], "error");
        assert!(
            d["help"]
                .as_str()
                .unwrap()
                .starts_with("delete the character"),
            "{d:#}"
        );
    }
    // The human form names the file and position and never prints the ESC.
    let human = check_human(&repo, &["content/news/raw-esc.md"]);
    assert!(
        human.contains("error[content/control-char]: U+001B ESCAPE in the body\n  --> content/news/raw-esc.md:9:6\n")
            && human.contains("9 | Wash \u{241B}[2J your hands.")
            && !human.contains('\u{1B}'),
        "{human}"
    );
    the_good_post_goes_out(&repo, &diagnostics);
}
