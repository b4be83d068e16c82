//! The daemon with real cron timing: a per-second schedule publishing to a
//! feed read back with a feed parser, SIGTERM, the stall watchdog, and
//! publications interrupted by a crash.

mod common;

use chrono::{TimeDelta, Utc};
use common::TempRepo;
use healthcast::daemon::{Daemon, Options};
use healthcast::ledger::{Claim, Ledger, State};
use healthcast::plan;
use std::process::Stdio;
use std::time::{Duration, Instant};

const EVERY_SECOND: &str = "cron: \"* * * * * *\"\ntimezone: UTC\nchannels: [public]\n";

fn feed_entries(repo: &TempRepo) -> Vec<feed_rs::model::Entry> {
    match std::fs::read(repo.join("public/feed.xml")) {
        Ok(bytes) => {
            feed_rs::parser::parse(&bytes[..])
                .expect("the feed parses")
                .entries
        }
        Err(_) => Vec::new(),
    }
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_per_second_schedule_publishes_to_the_feed_and_sigterm_stops_cleanly() {
    let repo = TempRepo::new();
    for id in ["a", "b", "c"] {
        repo.tip(id);
    }
    repo.write("schedules/every-second.yaml", EVERY_SECOND);
    let log = std::fs::File::create(repo.join("daemon.log")).unwrap();
    let mut child = common::healthcast()
        .arg("--repo")
        .arg(repo.path())
        .args(["run", "--worktree"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    wait_for("four feed entries", Duration::from_secs(20), || {
        feed_entries(&repo).len() >= 4
    });

    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "daemon did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = std::fs::read_to_string(repo.join("daemon.log")).unwrap();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("stop requested"), "{log}");

    let entries = feed_entries(&repo);
    let mut ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), entries.len(), "no entry twice");
    // Rotation: three tips, one per second, least recently published first.
    let mut titles: Vec<String> = entries
        .iter()
        .rev()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    titles.truncate(3);
    assert_eq!(titles, ["Tip a", "Tip b", "Tip c"]);
    let html = entries[0].content.as_ref().unwrap().body.clone().unwrap();
    assert!(
        html.contains("<strong>") && !html.contains("script"),
        "{html}"
    );

    // The ledger agrees with the feed: every publication is settled as published.
    let out = common::healthcast()
        .arg("--repo")
        .arg(repo.path())
        .args(["status", "--format", "json", "--limit", "1000"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // (Slots of the look-back window before the daemon started are recorded as missed.)
    let published: Vec<_> = v["recent"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["state"] != "missed")
        .collect();
    assert_eq!(published.len(), entries.len());
    assert!(published.iter().all(|r| r["state"] == "published"));
    assert_eq!(v["attention"].as_array().unwrap().len(), 0);
}

fn options(repo: &TempRepo) -> Options {
    let mut options = Options::new(
        repo.path().to_path_buf(),
        None,
        repo.join(".healthcast/ledger.sqlite"),
    );
    options.stall_after = Duration::from_secs(1);
    options
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_ticks_are_noticed_and_the_watchdog_keeps_publishing() {
    let repo = TempRepo::new();
    repo.tip("a");
    repo.write("schedules/every-second.yaml", EVERY_SECOND);
    let mut daemon = Daemon::start(options(&repo), Utc::now()).await.unwrap();
    let health = daemon.health.clone();
    let (ticks, ticks_rx) = tokio::sync::mpsc::channel(1);
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        daemon
            .run_loop(ticks_rx, async {
                let _ = stop_rx.await;
            })
            .await
    });

    // No tick ever arrives: the scheduler is stalled.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert!(health.is_stalled());
    assert!(
        health.status().unwrap_err().contains("stalled"),
        "/healthz answers 503 while stalled"
    );
    let published_while_stalled = feed_entries(&repo).len();
    assert!(
        published_while_stalled >= 1,
        "the watchdog publishes while the scheduler is stalled"
    );

    ticks.send(()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!health.is_stalled(), "a tick clears the stall");

    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn an_interrupted_publication_is_published_once_after_a_restart() {
    let repo = TempRepo::new();
    let due = Utc::now() - TimeDelta::minutes(5);
    repo.news("lost", due);
    repo.news("landed", due);
    let ledger_path = repo.join(".healthcast/ledger.sqlite");

    // First run: publish "landed" normally, then pretend both were claimed
    // and the process died before settling them.
    {
        let mut daemon = Daemon::start(options(&repo), Utc::now()).await.unwrap();
        let report = daemon.cycle(Utc::now()).await.unwrap();
        assert_eq!(report.published, 2);
    }
    std::fs::remove_file(&ledger_path).unwrap();
    // Keep only "landed" in the feed, as if "lost" never reached it.
    let ledger = Ledger::open(&ledger_path).await.unwrap();
    let at = chrono::DateTime::parse_from_rfc3339(
        &due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
    .unwrap()
    .to_utc();
    for id in ["news/lost", "news/landed"] {
        let claim = Claim {
            key: plan::key(id, "site-feed", at),
            post: id.into(),
            channel: "site-feed".into(),
            schedule: None,
            at,
            content_hash: "x".into(),
            commit: None,
            fingerprint: None,
        };
        ledger.claim(&claim, Utc::now()).await.unwrap();
    }
    ledger.close().await;
    let feed = std::fs::read_to_string(repo.join("public/feed.xml")).unwrap();
    let mut parsed: atom_syndication::Feed = feed.parse().unwrap();
    let lost_id = healthcast::publish::feed::entry_id(&plan::key("news/lost", "site-feed", at));
    let kept: Vec<_> = parsed
        .entries()
        .iter()
        .filter(|e| e.id() != lost_id)
        .cloned()
        .collect();
    parsed.set_entries(kept);
    std::fs::write(repo.join("public/feed.xml"), parsed.to_string()).unwrap();

    // Restart: "landed" is found in the feed and settled; "lost" is released
    // and published again, once.
    let mut daemon = Daemon::start(options(&repo), Utc::now()).await.unwrap();
    daemon.recover(Utc::now()).await.unwrap();
    let report = daemon.cycle(Utc::now()).await.unwrap();
    assert_eq!(report.published, 1);
    let ledger = Ledger::open(&ledger_path).await.unwrap();
    for id in ["news/lost", "news/landed"] {
        let record = ledger
            .get(&plan::key(id, "site-feed", at))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(record.state, State::Published, "{id}");
    }
    assert_eq!(feed_entries(&repo).len(), 2);
}

#[test]
fn healthz_and_metrics_are_served_while_the_daemon_runs() {
    let repo = TempRepo::new();
    repo.tip("a");
    repo.write("schedules/every-second.yaml", EVERY_SECOND);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = common::healthcast()
        .arg("--repo")
        .arg(repo.path())
        .args([
            "run",
            "--worktree",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let get = |path: &str| {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        use std::io::{Read, Write};
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        Some(answer)
    };
    wait_for(
        "a published feed entry in /metrics",
        Duration::from_secs(20),
        || {
            get("/metrics").is_some_and(|m| {
                m.contains("healthcast_publications{channel=\"site-feed\",state=\"published\"}")
            })
        },
    );
    let healthz = get("/healthz").unwrap();
    assert!(healthz.starts_with("HTTP/1.1 200"), "{healthz}");
    let metrics = get("/metrics").unwrap();
    assert!(
        metrics.contains("healthcast_next_fire_seconds{schedule=\"every-second\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("healthcast_scheduler_stalled 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("healthcast_last_sync_seconds "),
        "{metrics}"
    );
    std::process::Command::new("kill")
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
