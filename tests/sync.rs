//! `run --sync origin/main`: the daemon follows a remote branch, publishes
//! what is pushed to it, and keeps running on the last good configuration
//! when a broken one is pushed.

mod common;

use chrono::{TimeDelta, Utc};
use common::TempRepo;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn git(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.org",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn feed_titles(path: &std::path::Path) -> Vec<String> {
    std::fs::read(path)
        .ok()
        .and_then(|b| feed_rs::parser::parse(&b[..]).ok())
        .map(|f| {
            f.entries
                .into_iter()
                .filter_map(|e| e.title.map(|t| t.content))
                .collect()
        })
        .unwrap_or_default()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_daemon_follows_pushes_and_keeps_the_last_good_configuration() {
    let origin = tempfile::tempdir().unwrap();
    git(origin.path(), &["init", "-q", "--bare", "-b", "main"]);
    let writer = TempRepo::new();
    writer.tip("a");
    writer.commit_all();
    writer.git(&["remote", "add", "origin", origin.path().to_str().unwrap()]);
    writer.git(&["push", "-q", "origin", "main"]);

    let daemon_dir = tempfile::tempdir().unwrap();
    git(
        daemon_dir.path(),
        &["clone", "-q", origin.path().to_str().unwrap(), "repo"],
    );
    let repo = daemon_dir.path().join("repo");
    let log = std::fs::File::create(daemon_dir.path().join("daemon.log")).unwrap();
    let mut child = common::healthcast()
        .arg("--repo")
        .arg(&repo)
        .args(["run", "--sync", "origin/main", "--sync-every", "1s"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let feed = repo.join("public/feed.xml");

    // A news item pushed after the daemon started goes out.
    writer.news("pushed", Utc::now() - TimeDelta::minutes(1));
    writer.commit_all();
    writer.git(&["push", "-q", "origin", "main"]);
    wait_for("the pushed news in the feed", || {
        feed_titles(&feed).contains(&"News pushed".to_string())
    });

    // A broken configuration is rejected; the daemon keeps running and does
    // not publish what came with it.
    writer.write(
        "schedules/channels.yaml",
        "channels: [this is not a mapping\n",
    );
    writer.news("with-broken-config", Utc::now() - TimeDelta::minutes(1));
    writer.commit_all();
    writer.git(&["push", "-q", "origin", "main"]);
    let log_path = daemon_dir.path().join("daemon.log");
    wait_for("the rejected reload in the log", || {
        std::fs::read_to_string(&log_path)
            .unwrap_or_default()
            .contains("configuration reload rejected")
    });
    assert!(
        child.try_wait().unwrap().is_none(),
        "the daemon is still running"
    );
    assert!(!feed_titles(&feed).contains(&"News with-broken-config".to_string()));

    // The fix goes out.
    writer.write("schedules/channels.yaml", common::CHANNELS);
    writer.news("after-fix", Utc::now() - TimeDelta::minutes(1));
    writer.commit_all();
    writer.git(&["push", "-q", "origin", "main"]);
    wait_for("the news after the fix", || {
        feed_titles(&feed).contains(&"News after-fix".to_string())
    });

    stop(&mut child);
}

/// Stops the daemon with SIGTERM and waits for it.
fn stop(child: &mut std::process::Child) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "daemon did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sync_in_channels_yaml_makes_a_plain_run_follow_the_branch() {
    let origin = tempfile::tempdir().unwrap();
    git(origin.path(), &["init", "-q", "--bare", "-b", "main"]);
    let writer = TempRepo::new();
    let channels = format!(
        "{}sync: {{ remote: origin, branch: main, every: 1s }}\n",
        common::CHANNELS
    );
    writer.write("schedules/channels.yaml", &channels);
    writer.tip("a");
    writer.commit_all();
    writer.git(&["remote", "add", "origin", origin.path().to_str().unwrap()]);
    writer.git(&["push", "-q", "origin", "main"]);

    let daemon_dir = tempfile::tempdir().unwrap();
    git(
        daemon_dir.path(),
        &["clone", "-q", origin.path().to_str().unwrap(), "repo"],
    );
    let repo = daemon_dir.path().join("repo");
    let log_path = daemon_dir.path().join("daemon.log");
    let mut child = common::healthcast()
        .arg("--repo")
        .arg(&repo)
        .arg("run")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    writer.news("pushed", Utc::now() - TimeDelta::minutes(1));
    writer.commit_all();
    writer.git(&["push", "-q", "origin", "main"]);
    let feed = repo.join("public/feed.xml");
    wait_for("the pushed news in the feed", || {
        feed_titles(&feed).contains(&"News pushed".to_string())
    });
    stop(&mut child);
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.contains("following the branch named by `sync:`"),
        "{log}"
    );
}

#[test]
fn a_sync_branch_that_git_would_take_as_an_option_is_a_config_error() {
    let repo = TempRepo::new();
    repo.write(
        "schedules/channels.yaml",
        &format!("{}sync:\n  branch: --upload-pack=evil\n", common::CHANNELS),
    );
    let out = common::healthcast()
        .arg("--repo")
        .arg(repo.path())
        .arg("check")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("schedules/channels.yaml:6"), "{text}");
    assert!(text.contains("not a usable git branch name"), "{text}");
    // The flag is checked the same way, before git runs.
    let out = common::healthcast()
        .arg("--repo")
        .arg(repo.path())
        .args(["run", "--once", "--sync", "origin/-x"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("not a usable git branch name"), "{text}");
}
