//! `preview` is the daemon's plan: a window in the future continues the
//! rotation from now, times are whole seconds, `--post` says where and when
//! one post goes out; and `new` writes times in the organisation's zone.

mod common;

use chrono::{TimeDelta, Utc};
use common::{TempRepo, healthcast};
use serde_json::Value;

fn preview(repo: &TempRepo, args: &[&str]) -> (Option<i32>, String) {
    let out = healthcast()
        .arg("--repo")
        .arg(repo.path())
        .arg("preview")
        .args(args)
        .output()
        .expect("run healthcast");
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn json(repo: &TempRepo, args: &[&str]) -> Vec<Value> {
    let (_, out) = preview(repo, &[args, &["--format", "json"]].concat());
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    v["publications"].as_array().unwrap().clone()
}

/// Five tips, one a day at 09:00 UTC.
fn daily_repo() -> TempRepo {
    let repo = TempRepo::new();
    for id in ["a", "b", "c", "d", "e"] {
        repo.tip(id);
    }
    repo.write(
        "schedules/daily.yaml",
        "cron: \"0 0 9 * * *\"\ntimezone: UTC\nchannels: [public]\n",
    );
    repo
}

#[test]
fn a_window_in_the_future_shows_the_tip_the_daemon_will_send_then() {
    let repo = daily_repo();
    let all = json(&repo, &["--days", "5"]);
    assert_eq!(all.len(), 5);
    let third = &all[2];
    let day = third["at"].as_str().unwrap()[..10].to_string();
    let later = json(&repo, &["--from", &day, "--days", "1"]);
    assert_eq!(later.len(), 1, "{later:?}");
    assert_eq!(
        later[0]["post"], third["post"],
        "the rotation goes on through the slots before --from"
    );
    assert_eq!(later[0]["at"], third["at"]);
}

#[test]
fn json_times_are_whole_seconds() {
    let repo = daily_repo();
    repo.news("soon", Utc::now() + TimeDelta::hours(2));
    let entries = json(&repo, &["--days", "2"]);
    assert!(entries.len() >= 3);
    for e in &entries {
        let at = e["at"].as_str().unwrap();
        assert_eq!(at.len(), "2026-12-01T09:00:00Z".len(), "{at}");
        assert!(at.ends_with('Z') && !at.contains('.'), "{at}");
    }
}

#[test]
fn post_says_where_and_when_one_post_goes_out_or_why_not() {
    let repo = daily_repo();
    let entries = json(&repo, &["--days", "10", "--post", "tips/c"]);
    assert!(!entries.is_empty());
    assert!(entries.iter().all(|e| e["post"] == "tips/c"), "{entries:?}");

    let (code, out) = preview(&repo, &["--post", "tips/nope"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("--post tips/nope: no post with that id"),
        "{out}"
    );

    repo.write(
        "content/tips/unreviewed.md",
        &common::tip_text("unreviewed").replace("review: {", "# review: {"),
    );
    let (_, out) = preview(&repo, &["--days", "10", "--post", "tips/unreviewed"]);
    assert!(
        out.contains("tips/unreviewed goes out nowhere in this window: it is held by"),
        "{out}"
    );
    assert!(out.contains("review/missing"), "{out}");
}

#[test]
fn new_news_and_new_alert_write_publish_at_in_the_organisation_s_zone() {
    let repo = TempRepo::new();
    repo.write(
        "schedules/channels.yaml",
        &common::CHANNELS.replace("timezone: UTC", "timezone: America/New_York"),
    );
    for (kind, folder) in [("news", "news"), ("alert", "alerts")] {
        let out = healthcast()
            .arg("--repo")
            .arg(repo.path())
            .args(["new", kind, "Water main break"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text =
            std::fs::read_to_string(repo.join(&format!("content/{folder}/water-main-break.md")))
                .unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("publish_at: "))
            .unwrap();
        assert!(
            line.contains("-05:00") || line.contains("-04:00"),
            "New York's offset: {line}"
        );
        assert!(text.contains(&format!("kind: {kind}")), "{text}");
        if kind == "news" {
            assert!(line.contains("T09:00:00-0"), "09:00 local: {line}");
        }
    }
}
