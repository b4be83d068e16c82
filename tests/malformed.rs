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
    cmd.env("HEALTHCAST_LOG", "info")
        .arg("--repo")
        .arg(repo.path());
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

/// `run --once` (work tree or HEAD, whichever the repository has): its
/// stdout and log, and the titles of the feed's entries, read by feed-rs.
/// It exits 1: the broken input holds its own post back.
fn run_once(repo: &TempRepo) -> (String, Vec<String>) {
    let out = healthcast(repo).args(["run", "--once"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
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
    (format!("{stdout}{stderr}"), titles)
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

/// The good post checks clean, previews unblocked and is the one published
/// (read from HEAD when the repository is a git repository, as `run` does).
/// Returns what the run printed and logged.
fn the_good_post_goes_out(repo: &TempRepo, diagnostics: &[Value]) -> String {
    assert!(
        of_file(diagnostics, "content/news/good.md").is_empty(),
        "{diagnostics:#?}"
    );
    let committed = repo.join(".git").exists();
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
        .args(if committed {
            &["--ref", "HEAD"][..]
        } else {
            &[]
        })
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
    let (log, titles) = run_once(repo);
    assert!(log.contains("published 1, failed 0"), "{log}");
    assert_eq!(titles, ["News good"]);
    log
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

/// Whether a test reads the work tree or a commit of it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum From {
    WorkTree,
    Commit,
}

impl From {
    /// Commits the repository for `Commit`; the `check` arguments that read
    /// what `run` will read.
    fn prepare(self, repo: &TempRepo) -> &'static [&'static str] {
        match self {
            From::WorkTree => &[],
            From::Commit => {
                repo.commit_all();
                &["--ref", "HEAD"]
            }
        }
    }
}

#[test]
fn a_file_name_that_is_not_utf8_is_an_error_for_that_file_only() {
    use std::os::unix::ffi::OsStrExt;
    for from in [From::WorkTree, From::Commit] {
        let repo = TempRepo::new();
        good_news(&repo);
        let latin1 = repo
            .path()
            .join(std::ffi::OsStr::from_bytes(b"content/news/caf\xe9.md"));
        std::fs::write(&latin1, post("Cafe", "Coffee.")).unwrap();
        let folder = repo
            .path()
            .join(std::ffi::OsStr::from_bytes(b"content/\xff\xfe"));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("inside.md"), post("Inside", "Text.")).unwrap();
        let args = from.prepare(&repo);
        let (code, diagnostics) = check(&repo, args);
        assert_eq!(code, Some(1), "{from:?}");
        for (file, shown) in [
            ("content/news/caf\u{FFFD}.md", "content/news/caf\u{FFFD}.md"),
            (
                "content/\u{FFFD}\u{FFFD}/inside.md",
                "content/\u{FFFD}\u{FFFD}/inside.md",
            ),
        ] {
            let d = only(&diagnostics, file, "content/file-name");
            assert_eq!(at(d), (1, 1));
            assert_eq!(
                d["message"],
                format!("the file name is not UTF-8 (shown here as `{shown}`), so it is not read"),
                "{from:?}"
            );
            assert!(
                d["help"]
                    .as_str()
                    .unwrap()
                    .starts_with("rename the file using UTF-8")
            );
        }
        assert_eq!(diagnostics.len(), 2, "{from:?}: {diagnostics:#?}");
        the_good_post_goes_out(&repo, &diagnostics);
    }
}

#[test]
fn symlinks_under_content_are_not_followed_and_other_spellings_of_md_are_not_read() {
    use std::os::unix::fs::symlink;
    for from in [From::WorkTree, From::Commit] {
        let repo = TempRepo::new();
        good_news(&repo);
        // Outside the repository: a post and a folder of posts, both due.
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(
            outside.path().join("elsewhere.md"),
            post("Elsewhere", "Out."),
        )
        .unwrap();
        std::fs::create_dir(outside.path().join("shared")).unwrap();
        std::fs::write(outside.path().join("shared/a.md"), post("Shared", "Out.")).unwrap();
        let news = repo.join("content/news");
        symlink("good.md", news.join("alias.md")).unwrap();
        symlink(outside.path().join("elsewhere.md"), news.join("outside.md")).unwrap();
        symlink("gone.md", news.join("dangling.md")).unwrap();
        symlink("loop-b.md", news.join("loop-a.md")).unwrap();
        symlink("loop-a.md", news.join("loop-b.md")).unwrap();
        symlink(outside.path().join("shared"), repo.join("content/shared")).unwrap();
        std::fs::create_dir_all(repo.join("posts")).unwrap();
        std::fs::write(repo.join("posts/inside.md"), post("Inside", "In.")).unwrap();
        symlink("../posts", repo.join("content/linked")).unwrap();
        for name in ["upper.MD", "long.markdown", "mixed.Markdown"] {
            repo.write(&format!("content/news/{name}"), &post("Spelled", "Text."));
        }
        let args = from.prepare(&repo);
        let (code, diagnostics) = check(&repo, args);
        assert_eq!(code, Some(1));
        let outside_target = outside.path().join("elsewhere.md").display().to_string();
        let shared_target = outside.path().join("shared").display().to_string();
        // A commit cannot tell what lies outside the repository.
        let (shared, looping) = match from {
            From::WorkTree => (
                format!("a symlink to the folder `{shared_target}`"),
                "which cannot be followed (Too many levels of symbolic links",
            ),
            From::Commit => (
                format!(
                    "a symlink to `{shared_target}`, which cannot be followed (it leads out of the repository)"
                ),
                "which cannot be followed (a loop of symlinks)",
            ),
        };
        let outside_what = match from {
            From::WorkTree => format!("a symlink to `{outside_target}`;"),
            From::Commit => format!(
                "a symlink to `{outside_target}`, which cannot be followed (it leads out of the repository);"
            ),
        };
        let links = [
            (
                "content/news/alias.md",
                "a symlink to `good.md`;".to_string(),
            ),
            ("content/news/outside.md", outside_what),
            (
                "content/news/dangling.md",
                "a symlink to `gone.md`, which does not exist".to_string(),
            ),
            ("content/news/loop-a.md", looping.to_string()),
            ("content/news/loop-b.md", looping.to_string()),
            ("content/shared", shared),
            (
                "content/linked",
                "a symlink to the folder `../posts`;".to_string(),
            ),
        ];
        for (file, what) in &links {
            let d = only(&diagnostics, file, "content/symlink");
            let message = d["message"].as_str().unwrap();
            assert!(
                message.starts_with(&format!("`{file}` is "))
                    && message.contains(what.as_str())
                    && message.ends_with("symlinks are not followed, so it is not read"),
                "{from:?} {file}: {message}"
            );
            assert!(d["help"].as_str().unwrap().starts_with("copy the"), "{d:#}");
        }
        for (name, renamed) in [
            ("upper.MD", "upper.md"),
            ("long.markdown", "long.md"),
            ("mixed.Markdown", "mixed.md"),
        ] {
            let file = format!("content/news/{name}");
            let d = only(&diagnostics, &file, "content/extension");
            assert_eq!(
                d["message"],
                format!("`{file}` is not read as a post: only files ending in `.md` are")
            );
            assert_eq!(d["help"], format!("rename it to `content/news/{renamed}`"));
        }
        assert_eq!(
            diagnostics.len(),
            links.len() + 3,
            "{from:?}: {diagnostics:#?}"
        );
        // Nothing behind a link is published: not the alias of the good
        // post (another id), not the posts outside the repository.
        the_good_post_goes_out(&repo, &diagnostics);
    }
}

#[test]
fn a_fifo_named_like_a_post_is_an_error_and_does_not_block_the_others() {
    let repo = TempRepo::new();
    good_news(&repo);
    let fifo = repo.join("content/news/fifo.md");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let (code, diagnostics) = check(&repo, &[]);
    assert_eq!(code, Some(1));
    let d = only(&diagnostics, "content/news/fifo.md", "content/unreadable");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("is not a regular file"),
        "{d:#}"
    );
    the_good_post_goes_out(&repo, &diagnostics);
}

/// A valid one-pixel PNG.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde\0\0\0\x0cIDATx\x9cc\xf8\xff\xff?\0\x05\xfe\x02\xfe\xa7\x35\x81\x84\0\0\0\0IEND\xaeB`\x82";

fn image_line(path: &str) -> String {
    format!("image: {{ path: {path}, alt: \"A bowl of fruit\", credit: Us, license: owned }}\n")
}

/// `dir` as seen from `from` (both absolute): `../../x/y`.
fn relative(from: &std::path::Path, to: &std::path::Path) -> String {
    let up = from.components().count();
    format!(
        "{}{}",
        "../".repeat(up - 1),
        to.display().to_string().trim_start_matches('/')
    )
}

#[test]
fn image_paths_are_checked_where_they_are_written_and_nothing_outside_the_repository_is_read() {
    use std::os::unix::fs::symlink;
    for from in [From::WorkTree, From::Commit] {
        let repo = TempRepo::new();
        // The good post has an image: checked, then published.
        repo.write("images/flu.png", "");
        std::fs::write(repo.join("images/flu.png"), PNG).unwrap();
        repo.write(
            "content/news/good.md",
            &post_with(
                "News good",
                &image_line("images/flu.png"),
                "News item good.",
            ),
        );
        // A real PNG outside the repository: refused for where it is.
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.png"), PNG).unwrap();
        let images = repo.join("images");
        symlink(
            outside.path().join("secret.png"),
            images.join("outside.png"),
        )
        .unwrap();
        symlink(
            relative(&images, &outside.path().join("secret.png")),
            images.join("up.png"),
        )
        .unwrap();
        symlink(outside.path(), repo.join("linked")).unwrap();
        std::fs::create_dir_all(images.join("folder")).unwrap();
        std::fs::write(images.join("folder/.keep"), "").unwrap();
        std::fs::write(
            images.join("not-an-image.png"),
            "<!DOCTYPE html><p>404</p>\n",
        )
        .unwrap();
        let cases: [(&str, &str, &str, &str); 11] = [
            (
                "outside",
                "images/outside.png",
                "frontmatter/image-symlink",
                "image `images/outside.png` leads out of the repository through a symlink",
            ),
            (
                "up",
                "images/up.png",
                "frontmatter/image-symlink",
                "image `images/up.png` leads out of the repository through a symlink",
            ),
            (
                "linked",
                "linked/secret.png",
                "frontmatter/image-symlink",
                "image `linked/secret.png` leads out of the repository through a symlink",
            ),
            (
                "missing",
                "images/missing.png",
                "frontmatter/image-missing",
                "image `images/missing.png` does not exist in ",
            ),
            (
                "folder",
                "images/folder",
                "frontmatter/image-not-file",
                "image `images/folder` is a folder, not a file",
            ),
            (
                "not-image",
                "images/not-an-image.png",
                "frontmatter/image-type",
                "image `images/not-an-image.png` is not a PNG, JPEG, GIF or WebP file (it looks like HTML)",
            ),
            (
                "url",
                "https://example-hospital.org/flu.png",
                "frontmatter/image-url",
                "image path `https://example-hospital.org/flu.png` is a URL; images are read from the repository",
            ),
            (
                "data",
                "\"data:image/png;base64,iVBORw0KGgo=\"",
                "frontmatter/image-url",
                "image path `data:image/png;base64,iVBORw0KGgo=` is a URL",
            ),
            (
                "nul",
                "\"images/a\\0.png\"",
                "frontmatter/image-path",
                "image path `images/a\u{2400}.png` holds a control character (U+0000 NULL)",
            ),
            (
                "absolute",
                "/etc/passwd.png",
                "frontmatter/image-path",
                "image path `/etc/passwd.png` leaves the repository",
            ),
            (
                "dotdot",
                "images/../../flu.png",
                "frontmatter/image-path",
                "image path `images/../../flu.png` leaves the repository",
            ),
        ];
        for (name, path, _, _) in &cases {
            repo.write(
                &format!("content/news/{name}.md"),
                &post_with("Pictured", &image_line(path), "Text."),
            );
        }
        let args = from.prepare(&repo);
        let (code, diagnostics) = check(&repo, args);
        assert_eq!(code, Some(1));
        for (name, _, code, message) in &cases {
            let file = format!("content/news/{name}.md");
            let d = only(&diagnostics, &file, code);
            assert_eq!(at(d), (8, 16), "{from:?} {file}: {d:#}");
            let message = *message;
            assert!(
                d["message"].as_str().unwrap().starts_with(message),
                "{from:?} {file}: {d:#}"
            );
            assert_eq!(d["severity"], "error");
        }
        let log = the_good_post_goes_out(&repo, &diagnostics);
        // The others are held, and the run says why, with file and line.
        assert!(log.contains(&format!("held {}", cases.len())), "{log}");
        assert!(
            log.contains("frontmatter/image-symlink: image `images/outside.png` leads out of the repository through a symlink")
                && log.contains("content/news/outside.md:8"),
            "{log}"
        );
    }
}

/// What `load_image` in the daemon calls before anything is uploaded: the
/// same validation, on both kinds of snapshot, so a symlink to outside the
/// repository is refused at publish time too, whatever check said.
#[test]
fn the_publisher_s_image_reader_refuses_what_leaves_the_repository_and_reads_the_rest() {
    use healthcast::content::image::Images;
    use healthcast::source::Snapshot;
    use std::os::unix::fs::symlink;
    let repo = TempRepo::new();
    repo.tip("a");
    std::fs::create_dir_all(repo.join("images")).unwrap();
    std::fs::write(repo.join("images/flu.png"), PNG).unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.png"), PNG).unwrap();
    symlink(
        outside.path().join("secret.png"),
        repo.join("images/outside.png"),
    )
    .unwrap();
    symlink("flu.png", repo.join("images/inside.png")).unwrap();
    symlink("images", repo.join("pictures")).unwrap();
    let commit = repo.commit_all();
    for snapshot in [
        Snapshot::WorkTree {
            root: repo.path().to_path_buf(),
        },
        Snapshot::Commit {
            root: repo.path().to_path_buf(),
            commit,
        },
    ] {
        let images = Images::new(&snapshot);
        let refused = images.open("images/outside.png", true).unwrap_err();
        assert_eq!(refused.code, "frontmatter/image-symlink", "{snapshot:?}");
        for inside in [
            "images/flu.png",
            "images/inside.png",
            "pictures/flu.png",
            "pictures/inside.png",
        ] {
            let file = images
                .open(inside, true)
                .unwrap_or_else(|p| panic!("{snapshot:?} {inside}: {p:?}"));
            assert_eq!(
                (file.bytes.as_slice(), file.mime),
                (PNG, "image/png"),
                "{inside}"
            );
            assert_eq!(file.mismatch, None);
        }
    }
}
