//! Delivery through the binary: what `run --once` answers (its exit code)
//! when a person must look, a feed that cannot be written being tried again
//! once it can, a dead endpoint that does not hold the other channels back,
//! and a new ledger that is not taken for a blank slate.

mod common;

use chrono::{TimeDelta, Utc};
use common::{TempRepo, healthcast};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// `healthcast run --once` with `extra` arguments, off the async runtime
/// (a loopback server in the test must keep answering).
async fn run_once(repo: &TempRepo, extra: &[&str]) -> Output {
    let mut cmd = healthcast();
    cmd.arg("--repo")
        .arg(repo.path())
        .args(["run", "--once"])
        .args(extra);
    tokio::task::spawn_blocking(move || cmd.output().expect("run healthcast"))
        .await
        .expect("join the run")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn channels(repo: &TempRepo, extra_channels: &str) {
    repo.write(
        "schedules/channels.yaml",
        &format!(
            "timezone: UTC\nchannels:\n  site-feed: {{ platform: feed, path: public/feed.xml, title: T }}\n{extra_channels}groups:\n  public: [site-feed]\nalerts:\n  - log_file: alerts.jsonl\n"
        ),
    );
}

fn feed_entries(repo: &TempRepo) -> usize {
    std::fs::read(repo.join("public/feed.xml"))
        .map(|bytes| feed_rs::parser::parse(&bytes[..]).unwrap().entries.len())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_once_exits_0_when_all_went_out_1_when_content_holds_a_post_and_3_when_delivery_needs_a_person()
 {
    let ok = TempRepo::new();
    channels(&ok, "");
    ok.news("due", Utc::now() - TimeDelta::minutes(2));
    let out = run_once(&ok, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let held = TempRepo::new();
    channels(&held, "");
    held.write(
        "content/news/unreviewed.md",
        &common::news_text("unreviewed", Utc::now() - TimeDelta::minutes(2))
            .replace("review: {", "# review: {"),
    );
    let out = run_once(&held, &[]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // A channel that cannot work turns the run red even with nothing due on it.
    let broken = TempRepo::new();
    channels(
        &broken,
        "  social: { platform: mastodon, base_url: \"https://m.example\", token: \"env:HEALTHCAST_TEST_SURELY_UNSET\" }\n",
    );
    broken.news("due", Utc::now() - TimeDelta::minutes(2));
    let out = run_once(&broken, &[]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("channel social cannot work"),
        "{}",
        text(&out)
    );

    // A server error on a channel that cannot be read back: unknown.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let unknown = TempRepo::new();
    unknown.write(
        "schedules/channels.yaml",
        &format!(
            "timezone: UTC\nchannels:\n  hook: {{ platform: webhook, url: \"{}/hook\" }}\ngroups:\n  public: [hook]\nalerts:\n  - log_file: alerts.jsonl\n",
            server.uri()
        ),
    );
    unknown.news("due", Utc::now() - TimeDelta::minutes(2));
    let out = run_once(&unknown, &["--new-ledger"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("unknown 1"), "{}", text(&out));
    let alerts = std::fs::read_to_string(unknown.join("alerts.jsonl")).unwrap();
    assert!(alerts.contains("\"unknown\""), "{alerts}");
    // `status` names the key and the next step; a freeze is shown first.
    unknown.write("schedules/FREEZE", "water main break");
    let status = healthcast()
        .arg("--repo")
        .arg(unknown.path())
        .arg("status")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&status.stdout);
    assert!(said.starts_with("FROZEN: water main break"), "{said}");
    assert!(said.contains("    key: news/due@hook@"), "{said}");
    assert!(
        said.contains("then `healthcast resolve news/due@hook@"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_that_cannot_be_written_is_sent_once_the_path_is_fixed_within_catch_up() {
    let repo = TempRepo::new();
    channels(&repo, "");
    repo.news("due", Utc::now() - TimeDelta::minutes(2));
    // A file where the feed's folder should be: the feed cannot be written.
    repo.write("public", "not a folder");
    let out = run_once(&repo, &["--new-ledger"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("within catch-up"), "{}", text(&out));
    let status = repo.status();
    assert_eq!(
        status["recent"].as_array().unwrap().len(),
        0,
        "certainly not published: no ledger row, so it is planned again: {status}"
    );

    std::fs::remove_file(repo.join("public")).unwrap();
    let out = run_once(&repo, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(repo.status()["recent"][0]["state"], "published");
    assert_eq!(feed_entries(&repo), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_whose_endpoint_hangs_does_not_hold_back_the_other_channels() {
    // Accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for socket in listener.incoming().flatten() {
            held.push(socket);
        }
    });
    let repo = TempRepo::new();
    // "a-dead" sorts before "site-feed": sent one after the other, the feed
    // would wait for the dead endpoint's 20 s timeout.
    repo.write(
        "schedules/channels.yaml",
        &format!(
            "timezone: UTC\nchannels:\n  a-dead: {{ platform: webhook, url: \"http://{address}/hook\", timeout: 20s }}\n  site-feed: {{ platform: feed, path: public/feed.xml, title: T }}\ngroups:\n  public: [a-dead, site-feed]\n"
        ),
    );
    repo.news("due", Utc::now() - TimeDelta::minutes(2));
    let mut child = healthcast()
        .arg("--repo")
        .arg(repo.path())
        .args(["run", "--once", "--new-ledger"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while feed_entries(&repo) == 0 && started.elapsed() < Duration::from_secs(12) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let published = feed_entries(&repo);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        published, 1,
        "the feed went out while the other channel's request still hung"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_ledger_holds_what_a_channel_cannot_read_back_until_the_operator_says_it_is_meant_to_be_new()
 {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let repo = TempRepo::new();
    repo.write(
        "schedules/channels.yaml",
        &format!(
            "timezone: UTC\nchannels:\n  hook: {{ platform: webhook, url: \"{}/hook\" }}\ngroups:\n  public: [hook]\nalerts:\n  - log_file: alerts.jsonl\n",
            server.uri()
        ),
    );
    repo.news("due", Utc::now() - TimeDelta::minutes(2));
    let typo = repo.join("typo/ledger.sqlite").display().to_string();
    let out = run_once(&repo, &["--ledger", &typo]).await;
    let said = text(&out);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(said.contains(&format!("NEW LEDGER: {typo}")), "{said}");
    assert!(said.contains("cannot be read back"), "{said}");
    assert!(server.received_requests().await.unwrap().is_empty());
    let alerts = std::fs::read_to_string(repo.join("alerts.jsonl")).unwrap();
    assert!(alerts.contains("--new-ledger"), "{alerts}");

    let out = run_once(&repo, &["--ledger", &typo, "--new-ledger"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_ledger_finds_on_the_channel_what_the_old_one_published_and_sends_nothing_again() {
    let repo = TempRepo::new();
    channels(&repo, "");
    repo.news("due", Utc::now() - TimeDelta::minutes(2));
    let (a, b) = (repo.join("a.sqlite"), repo.join("b.sqlite"));
    let (a, b) = (a.display().to_string(), b.display().to_string());
    let first = run_once(&repo, &["--ledger", &a]).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert_eq!(feed_entries(&repo), 1);
    let second = run_once(&repo, &["--ledger", &b]).await;
    let said = text(&second);
    assert_eq!(second.status.code(), Some(0), "{said}");
    assert!(said.contains(&format!("NEW LEDGER: {b}")), "{said}");
    assert!(said.contains("already on the channel"), "{said}");
    assert_eq!(feed_entries(&repo), 1, "not added again");
}

/// X refuses a text identical to a recent post of the account with 403
/// "duplicate content" and has no idempotency key. The refusal means the
/// post is there already: looked for in the timeline, it becomes the
/// publication's record; not found there, a person decides (`unknown`,
/// alerted). Never `failed`, which would plan the tip again and again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_refusing_a_duplicate_records_the_post_already_there_or_asks_a_person() {
    use std::sync::{Arc, Mutex};
    use wiremock::matchers::path;
    for shown in [true, false] {
        let server = MockServer::start().await;
        let sent = Arc::new(Mutex::new(String::new()));
        let keep = sent.clone();
        Mock::given(method("POST"))
            .and(path("/2/tweets"))
            .respond_with(move |request: &wiremock::Request| {
                let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
                *keep.lock().unwrap() = body["text"].as_str().unwrap_or_default().to_string();
                ResponseTemplate::new(403).set_body_json(serde_json::json!({
                    "title": "Forbidden", "status": 403, "type": "about:blank",
                    "detail": "You are not allowed to create a Tweet with duplicate content."
                }))
            })
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/2/users/me"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"data": {"id": "42", "username": "h"}})),
            )
            .mount(&server)
            .await;
        let listed = sent.clone();
        Mock::given(method("GET"))
            .and(path("/2/users/42/tweets"))
            .respond_with(move |_: &wiremock::Request| {
                let text = listed.lock().unwrap().clone();
                let data = if shown {
                    serde_json::json!([{"id": "1860000000000000001", "text": text, "edit_history_tweet_ids": ["1860000000000000001"]}])
                } else {
                    serde_json::json!([])
                };
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"data": data, "meta": {"result_count": 1}}))
            })
            .mount(&server)
            .await;
        let repo = TempRepo::new();
        repo.write("x-token", "tok");
        repo.write(
            "schedules/channels.yaml",
            &format!(
                "timezone: UTC\nchannels:\n  x: {{ platform: x, api_base: \"{}\", oauth2: {{ access_token: \"file:{}\" }} }}\ngroups:\n  public: [x]\nalerts:\n  - log_file: alerts.jsonl\n",
                server.uri(),
                repo.join("x-token").display()
            ),
        );
        repo.news("due", Utc::now() - TimeDelta::minutes(2));
        let out = run_once(&repo, &["--new-ledger"]).await;
        let said = text(&out);
        let row = repo.status()["recent"][0].clone();
        let posts = server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.method.as_str() == "POST")
            .count();
        assert_eq!(posts, 1, "one create request, not a loop: {said}");
        if shown {
            assert_eq!(row["state"], "published", "{said}");
            assert_eq!(row["remote_id"], "1860000000000000001");
            assert_eq!(out.status.code(), Some(0), "{said}");
        } else {
            assert_eq!(row["state"], "unknown", "{said}");
            assert_eq!(out.status.code(), Some(3), "{said}");
            let alerts = std::fs::read_to_string(repo.join("alerts.jsonl")).unwrap();
            assert!(alerts.contains("duplicate"), "{alerts}");
        }
    }
}
