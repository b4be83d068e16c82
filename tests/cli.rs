//! The command line on temporary repositories: exit codes, diagnostics with
//! exact positions, JSON outputs, bad input that loses nothing, `run --once`
//! publishing exactly once, and publishing what was committed.

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

fn json(output: &[u8]) -> Value {
    serde_json::from_slice(output)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(output)))
}

#[test]
fn check_passes_on_the_example_repository() {
    let mut cmd = Command::cargo_bin("healthcast").unwrap();
    let out = cmd
        .args(["--repo", env!("CARGO_MANIFEST_DIR"), "check"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("0 errors"), "{stdout}");
}

#[test]
fn check_reports_an_unknown_key_with_its_exact_position_in_json_and_human_form() {
    let repo = TempRepo::new();
    repo.tip("good");
    repo.write(
        "content/tips/typo.md",
        "---\ntitle: T\nkind: tip\ntgas: [x]\n---\nBody\n",
    );
    let out = healthcast(&repo)
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out.stdout);
    let d = &v["diagnostics"][0];
    assert_eq!(d["file"], "content/tips/typo.md");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(4), Some(1))
    );
    assert_eq!(d["code"], "frontmatter/unknown-key");
    assert_eq!(d["severity"], "error");
    assert!(d["message"].as_str().unwrap().contains("tgas"));
    assert!(d["help"].is_string());
    let posts: Vec<&str> = v["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(posts, ["tips/good"]);

    let out = healthcast(&repo).arg("check").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("error[frontmatter/unknown-key]: unknown field `tgas`")
            && text.contains("  --> content/tips/typo.md:4:1\n")
            && text.contains("4 | tgas: [x]\n  | ^"),
        "{text}"
    );
}

#[test]
fn every_kind_of_bad_input_is_reported_and_valid_posts_still_preview() {
    let repo = TempRepo::new();
    let soon = Utc::now() + TimeDelta::hours(2);
    repo.news("fine", soon);
    repo.write(
        "content/a-malformed.md",
        "---\ntitle: A\ntags: [a, b\n---\nBody\n",
    );
    repo.write("content/b-no-front-matter.md", "Just text.\n");
    repo.write(
        "content/c-unclosed.md",
        "---\ntitle: C\nkind: tip\n\nBody\n",
    );
    std::fs::write(
        repo.join("content/d-latin1.md"),
        b"---\ntitle: caf\xe9\n---\n",
    )
    .unwrap();
    let big = std::fs::File::create(repo.join("content/e-huge.md")).unwrap();
    big.set_len(50 * 1024 * 1024).unwrap();
    repo.write(
        "schedules/f-bad-cron.yaml",
        "cron: \"0 9 * * *\"\ntimezone: UTC\nchannels: [public]\n",
    );
    repo.write(
        "schedules/f-never-fires.yaml",
        "cron: \"0 0 9 31 2 *\"\ntimezone: UTC\nchannels: [public]\n",
    );
    repo.write(
        "schedules/g-bad-zone.yaml",
        "cron: \"0 0 9 * * *\"\ntimezone: Europe/Atlantis\nchannels: [public]\n",
    );
    repo.write(
        "schedules/h-missing-channel.yaml",
        "cron: \"0 0 9 * * *\"\ntimezone: UTC\nchannels: [public, mastodon]\n",
    );

    let out = healthcast(&repo)
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out.stdout);
    let found: Vec<(String, String, u64)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_string(),
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let expect = [
        ("content/a-malformed.md", "frontmatter/yaml", 4),
        ("content/b-no-front-matter.md", "frontmatter/missing", 1),
        ("content/c-unclosed.md", "frontmatter/unclosed", 1),
        ("content/d-latin1.md", "content/not-utf8", 2),
        ("content/e-huge.md", "content/too-large", 1),
        ("schedules/f-bad-cron.yaml", "config/bad-cron", 1),
        ("schedules/f-never-fires.yaml", "config/bad-cron", 1),
        ("schedules/g-bad-zone.yaml", "config/bad-timezone", 2),
        (
            "schedules/h-missing-channel.yaml",
            "config/unknown-channel",
            3,
        ),
    ];
    for (file, code, line) in expect {
        assert!(
            found
                .iter()
                .any(|(f, c, l)| f == file && c == code && *l == line),
            "no {code} at {file}:{line} in {found:?}"
        );
    }

    let out = healthcast(&repo)
        .args(["preview", "--format", "json", "--days", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "errors elsewhere still exit 1");
    let v = json(&out.stdout);
    let publications = v["publications"].as_array().unwrap();
    assert_eq!(publications.len(), 1, "{v}");
    let p = &publications[0];
    assert_eq!(p["post"], "news/fine");
    assert_eq!(p["channel"], "site-feed");
    assert_eq!(p["platform"], "feed");
    assert_eq!(p["schedule"], Value::Null);
    assert_eq!(p["file"], "content/news/fine.md");
    assert_eq!(p["blocked"].as_array().unwrap().len(), 0);
    assert!(p["text"].as_str().unwrap().starts_with("News item fine."));
    assert_eq!(
        p["length"].as_u64(),
        Some(p["text"].as_str().unwrap().chars().count() as u64)
    );
}

#[test]
fn an_empty_content_folder_is_an_error() {
    let repo = TempRepo::new();
    let out = healthcast(&repo).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("error[content/empty]"));
}

#[test]
fn usage_errors_exit_2() {
    let repo = TempRepo::new();
    let out = healthcast(&repo)
        .args(["preview", "--days", "soon"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = healthcast(&repo)
        .arg("publish-everything")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn preview_shows_blocked_posts_with_the_reason() {
    let repo = TempRepo::new();
    let at = Utc::now() + TimeDelta::hours(3);
    repo.write(
        "content/news/unreviewed.md",
        &common::news_text("unreviewed", at).replace("review: {", "# review: {"),
    );
    let out = healthcast(&repo)
        .args(["preview", "--days", "1"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("BLOCKED: review/missing"), "{text}");
    assert!(text.contains("BLOCKED: no clinical review"), "{text}");
}

#[test]
fn run_once_twice_publishes_nothing_the_second_time() {
    let repo = TempRepo::new();
    repo.news("due", Utc::now() - TimeDelta::minutes(10));
    repo.news("too-late", Utc::now() - TimeDelta::hours(3));
    repo.news("later", Utc::now() + TimeDelta::hours(3));

    let first = healthcast(&repo).args(["run", "--once"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        stdout.contains("published 1, failed 0, unknown 0, unconfirmed 0, held 0, missed 1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("news/later"),
        "the start-up summary names what comes next: {stdout}"
    );

    let second = healthcast(&repo).args(["run", "--once"]).output().unwrap();
    assert!(String::from_utf8_lossy(&second.stdout).contains("published 0,"));

    let feed = std::fs::read(repo.join("public/feed.xml")).unwrap();
    let parsed = feed_rs::parser::parse(&feed[..]).unwrap();
    assert_eq!(parsed.entries.len(), 1);
    assert_eq!(
        parsed.entries[0].title.as_ref().unwrap().content,
        "News due"
    );

    let status = healthcast(&repo)
        .args(["status", "--format", "json"])
        .output()
        .unwrap();
    let v = json(&status.stdout);
    let states: Vec<(&str, &str)> = v["recent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["post"].as_str().unwrap(), r["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [("news/due", "published"), ("news/too-late", "missed")]
    );
    assert_eq!(v["attention"].as_array().unwrap().len(), 0);
}

#[test]
fn run_publishes_what_was_committed_and_records_the_commit() {
    let repo = TempRepo::new();
    repo.news("committed", Utc::now() - TimeDelta::minutes(5));
    let commit = repo.commit_all();
    // Written after the commit: the daemon must not publish it.
    repo.news("uncommitted", Utc::now() - TimeDelta::minutes(5));

    let out = healthcast(&repo).args(["run", "--once"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("published 1,"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v = json(
        &healthcast(&repo)
            .args(["status", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    );
    assert_eq!(v["recent"].as_array().unwrap().len(), 1);
    assert_eq!(v["recent"][0]["post"], "news/committed");
    assert_eq!(v["recent"][0]["commit"], commit.as_str());

    // --worktree publishes the uncommitted one too.
    let out = healthcast(&repo)
        .args(["run", "--once", "--worktree"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("published 1,"));
}

#[test]
fn a_bad_ref_is_a_clear_error() {
    let repo = TempRepo::new();
    repo.tip("a");
    repo.commit_all();
    let out = healthcast(&repo)
        .args(["check", "--ref", "no-such-branch"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("git ref `no-such-branch` does not name a commit")
    );
}

#[test]
fn new_writes_a_template_that_check_holds_until_reviewed() {
    let repo = TempRepo::new();
    let out = healthcast(&repo)
        .args(["new", "tip", "Walk after meals!"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(repo.join("content/tips/walk-after-meals.md").exists());
    let out = healthcast(&repo)
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let v = json(&out.stdout);
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["review/missing", "sources/not-https"],
        "the template asks for a source and a review"
    );
    // A second post with the same title is refused, not overwritten.
    let again = healthcast(&repo)
        .args(["new", "tip", "Walk after meals!"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
}

#[test]
fn dry_run_sends_nothing_and_writes_no_ledger() {
    let repo = TempRepo::new();
    repo.news("due", Utc::now() - TimeDelta::minutes(1));
    let out = healthcast(&repo)
        .args(["run", "--once", "--dry-run"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("would publish 1"));
    assert!(!repo.join("public/feed.xml").exists());
    assert!(!repo.join(".healthcast/ledger.sqlite").exists());
}

#[test]
fn an_image_path_that_leaves_the_repository_is_an_error() {
    let repo = TempRepo::new();
    let text = common::tip_text("pic").replace(
        "tags: [test]\n",
        "tags: [test]\nimage: { path: ../../etc/passwd.png, alt: \"A bowl of fruit\", credit: Us, license: owned }\n",
    );
    repo.write("content/tips/pic.md", &text);
    let out = healthcast(&repo)
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let v = json(&out.stdout);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "frontmatter/image-path", "{v}");
    assert_eq!(d["line"], 5);
}

#[test]
fn a_freeze_holds_everything_and_slots_that_pass_during_it_never_fire() {
    let repo = TempRepo::new();
    repo.news("during", Utc::now() - TimeDelta::minutes(5));
    let out = healthcast(&repo)
        .args([
            "freeze",
            "Mass-casualty incident: all comms through the incident desk",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(repo.join("schedules/FREEZE").exists());

    repo.news("upcoming", Utc::now() + TimeDelta::hours(2));
    let preview = healthcast(&repo)
        .args(["preview", "--days", "1"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&preview.stdout)
            .contains("BLOCKED: frozen: Mass-casualty incident")
    );

    let frozen = healthcast(&repo)
        .args(["run", "--once", "--worktree"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&frozen.stdout);
    assert!(
        stdout.contains(
            "published 0, failed 0, unknown 0, unconfirmed 0, held 0, missed 0, frozen 1"
        ),
        "{stdout}"
    );
    assert!(
        !repo.join("public/feed.xml").exists(),
        "nothing was published"
    );

    let out = healthcast(&repo).arg("unfreeze").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let after = healthcast(&repo)
        .args(["run", "--once", "--worktree"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&after.stdout).contains("published 0,"),
        "the frozen slot does not fire after the freeze"
    );

    let v = json(
        &healthcast(&repo)
            .args(["status", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    );
    let record = &v["recent"][0];
    assert_eq!(record["state"], "frozen");
    assert!(
        record["error"]
            .as_str()
            .unwrap()
            .contains("Mass-casualty incident")
    );
}

#[test]
fn a_publication_missed_beyond_catch_up_is_recorded_as_missed() {
    let repo = TempRepo::new();
    repo.news("late", Utc::now() - TimeDelta::hours(3));
    let out = healthcast(&repo).args(["run", "--once"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("missed 1"));
    let v = json(
        &healthcast(&repo)
            .args(["status", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    );
    assert_eq!(v["recent"][0]["state"], "missed");
    assert_eq!(v["recent"][0]["post"], "news/late");
    // Recorded once: a second run reports nothing new.
    let again = healthcast(&repo).args(["run", "--once"]).output().unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("missed 0"));
}

#[test]
fn the_host_time_zone_does_not_shift_any_slot() {
    let repo = TempRepo::new();
    repo.tip("a");
    repo.write(
        "schedules/nine.yaml",
        "cron: \"0 0 9 * * *\"\ntimezone: America/New_York\nchannels: [public]\n",
    );
    let plan = |tz: &str| {
        let out = healthcast(&repo)
            .env("TZ", tz)
            .args([
                "preview",
                "--format",
                "json",
                "--from",
                "2026-03-06T00:00:00Z",
                "--days",
                "5",
            ])
            .output()
            .unwrap();
        json(&out.stdout)["publications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["at"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let new_york = plan("America/New_York");
    assert_eq!(new_york.len(), 5);
    // 09:00 in New York: 14:00 UTC before the 8 March DST change, 13:00 after.
    assert_eq!(new_york[0], "2026-03-06T14:00:00Z");
    assert_eq!(new_york[3], "2026-03-09T13:00:00Z");
    assert_eq!(plan("Asia/Tokyo"), new_york);
    assert_eq!(plan("UTC"), new_york);
}

#[test]
fn a_channel_s_max_per_day_and_min_gap_hold_the_rest_back() {
    for limit in ["max_per_day: 1", "min_gap: 1h"] {
        let repo = TempRepo::new();
        repo.write(
            "schedules/channels.yaml",
            &format!("timezone: UTC\nchannels:\n  site-feed: {{ platform: feed, path: public/feed.xml, title: T, {limit} }}\ngroups:\n  public: [site-feed]\n"),
        );
        repo.news("first", Utc::now() - TimeDelta::minutes(3));
        repo.news("second", Utc::now() - TimeDelta::minutes(2));
        let out = healthcast(&repo).args(["run", "--once"]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("published 1, failed 0, unknown 0, unconfirmed 0, held 1"),
            "{limit}: {stdout}"
        );
    }
    let repo = TempRepo::new();
    repo.tip("a");
    repo.write(
        "schedules/channels.yaml",
        "timezone: UTC\nchannels:\n  site-feed: { platform: feed, path: f.xml, title: T, min_gap: soon }\n",
    );
    let v = json(
        &healthcast(&repo)
            .args(["check", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    );
    assert_eq!(v["diagnostics"][0]["code"], "config/invalid");
    assert!(
        v["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("min_gap")
    );
}

/// `run --once` on `repo` with a due news item: nothing may be published,
/// and preview must show the freeze on an upcoming one.
fn assert_frozen(repo: &TempRepo, what: &str, preview_args: &[&str]) {
    let out = healthcast(repo).args(["run", "--once"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "published 0, failed 0, unknown 0, unconfirmed 0, held 0, missed 0, frozen 1"
        ),
        "{what}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !repo.join("public/feed.xml").exists(),
        "{what}: nothing was published"
    );
    let preview = healthcast(repo)
        .args(["preview", "--days", "1"])
        .args(preview_args)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&preview.stdout).contains("BLOCKED: frozen: "),
        "{what}: {}",
        String::from_utf8_lossy(&preview.stdout)
    );
}

#[cfg(unix)]
#[test]
fn anything_at_the_freeze_path_freezes_in_the_work_tree() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    use std::path::Path;
    type Make = fn(&Path);
    let cases: [(&str, Make); 7] = [
        ("a directory", |p| std::fs::create_dir(p).unwrap()),
        ("a dangling symlink", |p| {
            symlink("no-such-file", p).unwrap()
        }),
        ("a symlink to a directory", |p| {
            symlink("../content", p).unwrap()
        }),
        ("a file that is not UTF-8", |p| {
            std::fs::write(p, b"\xff\xfe incident\n").unwrap()
        }),
        ("an empty file", |p| std::fs::write(p, "").unwrap()),
        // Unreadable for anyone but root (who still reads it: frozen either way).
        ("an unreadable file", |p| {
            std::fs::write(p, "incident\n").unwrap();
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o000)).unwrap();
        }),
        // Reading a FIFO would block until a writer came: it must not be read.
        ("a FIFO", |p| {
            let made = std::process::Command::new("mkfifo")
                .arg(p)
                .status()
                .unwrap();
            assert!(made.success());
        }),
    ];
    for (what, make) in cases {
        let repo = TempRepo::new();
        repo.news("due", Utc::now() - TimeDelta::minutes(5));
        repo.news("upcoming", Utc::now() + TimeDelta::hours(2));
        make(&repo.join("schedules/FREEZE"));
        assert_frozen(&repo, what, &[]);
    }
}

#[cfg(unix)]
#[test]
fn anything_at_the_freeze_path_freezes_in_the_published_commit() {
    type Make = fn(&TempRepo);
    let cases: [(&str, Make); 3] = [
        ("a directory", |r| {
            r.write("schedules/FREEZE/why.txt", "incident\n")
        }),
        ("a dangling symlink", |r| {
            std::os::unix::fs::symlink("no-such-file", r.join("schedules/FREEZE")).unwrap()
        }),
        ("a file that is not UTF-8", |r| {
            std::fs::write(r.join("schedules/FREEZE"), b"\xff incident\n").unwrap()
        }),
    ];
    for (what, make) in cases {
        let repo = TempRepo::new();
        repo.news("due", Utc::now() - TimeDelta::minutes(5));
        repo.news("upcoming", Utc::now() + TimeDelta::hours(2));
        make(&repo);
        repo.commit_all();
        // Only the commit has it now: the daemon publishes HEAD.
        let path = repo.join("schedules/FREEZE");
        if path.is_dir() && !path.is_symlink() {
            std::fs::remove_dir_all(&path).unwrap();
        } else {
            std::fs::remove_file(&path).unwrap();
        }
        assert_frozen(&repo, what, &["--ref", "HEAD"]);
    }
}

#[test]
fn unfreeze_says_what_still_freezes() {
    let repo = TempRepo::new();
    repo.tip("a");
    repo.write("schedules/FREEZE/why.txt", "incident\n");
    let out = healthcast(&repo).arg("unfreeze").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is a directory") && stderr.contains("rm -r schedules/FREEZE"),
        "{stderr}"
    );
    assert!(repo.join("schedules/FREEZE/why.txt").exists(), "left alone");

    repo.commit_all();
    std::fs::remove_dir_all(repo.join("schedules/FREEZE")).unwrap();
    let out = healthcast(&repo).arg("unfreeze").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("HEAD still has schedules/FREEZE") && stdout.contains("git rm -r --cached"),
        "{stdout}"
    );
}

#[test]
fn a_front_matter_key_written_twice_names_both_lines_and_holds_only_that_post() {
    let repo = TempRepo::new();
    repo.tip("good");
    repo.write(
        "content/tips/twice.md",
        "---\ntitle: First\nkind: tip\noverrides:\n  feed: { text: A }\n  feed: { skip: true }\ntitle: Second\n---\nBody\n",
    );
    let out = healthcast(&repo)
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out.stdout);
    let d = &v["diagnostics"][0];
    assert_eq!(d["file"], "content/tips/twice.md");
    assert_eq!(d["code"], "frontmatter/duplicate-key");
    // The first repeat in the file: `feed` under `overrides` (a map serde
    // alone would let the second silently replace), at the file's lines.
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(6), Some(3))
    );
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains("`feed` in `overrides`: first at line 5, again at line 6"),
        "{message}"
    );
    let posts: Vec<&str> = v["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(posts, ["tips/good"]);

    repo.write(
        "content/tips/twice.md",
        "---\ntitle: First\nkind: tip\ntitle: Second\n---\nBody\n",
    );
    let out = healthcast(&repo).arg("check").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("error[frontmatter/duplicate-key]: duplicate key `title`: first at line 2, again at line 4")
            && text.contains("  --> content/tips/twice.md:4:1\n"),
        "{text}"
    );
}

#[test]
fn two_channels_with_one_name_stop_run_naming_both_lines() {
    let repo = TempRepo::new();
    repo.news("due", Utc::now() - TimeDelta::minutes(5));
    repo.write(
        "schedules/channels.yaml",
        "timezone: UTC\nchannels:\n  site-feed: { platform: feed, path: public/feed.xml, title: A }\n  site-feed: { platform: feed, path: public/other.xml, title: B }\ngroups:\n  public: [site-feed]\n",
    );
    let out = healthcast(&repo).args(["run", "--once"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error[config/duplicate-key]: duplicate key `site-feed` in `channels`: first at line 3, again at line 4")
            && stderr.contains("--> schedules/channels.yaml:4:3"),
        "{stderr}"
    );
    assert!(!repo.join("public/feed.xml").exists() && !repo.join("public/other.xml").exists());
}

/// Runs `healthcast ARGS` with stdout on a pipe that is closed after
/// reading `lines` lines (0: at once, before the command writes), and
/// returns its exit status and stderr.
fn with_stdout_closed(args: &[&str], lines: usize) -> (std::process::ExitStatus, String) {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;
    let mut child = common::healthcast()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout);
    for _ in 0..lines {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "{args:?} wrote a line");
    }
    drop(reader);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (child.wait().unwrap(), stderr)
}

#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    let example = env!("CARGO_MANIFEST_DIR");
    // 365 days of the example content is far more than a pipe holds: the
    // command is still writing when the reader goes.
    let repo = TempRepo::new();
    repo.news("due", Utc::now() - TimeDelta::minutes(5));
    repo.news("later", Utc::now() + TimeDelta::hours(5));
    let published = healthcast(&repo).args(["run", "--once"]).output().unwrap();
    assert!(String::from_utf8_lossy(&published.stdout).contains("published 1,"));
    let root = repo.path().to_str().unwrap();
    let cases: [(&[&str], usize); 8] = [
        (&["--repo", example, "preview", "--days", "365"], 1),
        (
            &[
                "--repo", example, "preview", "--days", "365", "--format", "json",
            ],
            1,
        ),
        (&["--repo", example, "check", "--format", "json"], 1),
        (&["--repo", example, "check", "--format", "json"], 0),
        (&["--repo", example, "check"], 0),
        (&["--repo", root, "status"], 0),
        (&["--repo", root, "status", "--format", "json"], 0),
        (&["--repo", root, "run", "--once", "--dry-run"], 0),
    ];
    for (args, lines) in cases {
        let (status, stderr) = with_stdout_closed(args, lines);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
        assert_eq!(status.code(), Some(0), "{args:?}: {stderr}");
    }
}
