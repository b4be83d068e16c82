//! Crash safety: the daemon is killed with SIGKILL at random points while it
//! publishes at least 100 times to a fake Mastodon server (which honours
//! Idempotency-Key and lists the account's statuses, as Mastodon does, and
//! answers each new status only after a delay, so that kills land between
//! "created" and "answered") and to a feed, and restarted each time. At the
//! end no slot is posted twice on either channel, and every ledger row is
//! settled: published, or missed (recorded, never sent); none is left
//! unknown, because an interrupted publication is read back.

mod common;

use common::TempRepo;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::process::{Child, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A Mastodon server in miniature: a repeated Idempotency-Key returns the
/// status created first; every created status is kept for the final count
/// and listed, newest first, as the account's statuses.
#[derive(Default)]
struct FakeMastodon {
    by_key: Mutex<HashMap<String, String>>,
    created: Mutex<Vec<String>>,
    statuses: Mutex<Vec<Value>>,
    /// How many times the account's statuses were read back.
    read_backs: AtomicUsize,
}

/// What the fake answers a request to, by its path.
impl Respond for &'static FakeMastodon {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        match request.url.path() {
            "/api/v1/statuses" => self.create(request),
            "/api/v1/accounts/verify_credentials" => {
                ResponseTemplate::new(200).set_body_json(json!({"id": "1"}))
            }
            "/api/v1/accounts/1/statuses" => {
                self.read_backs.fetch_add(1, Ordering::SeqCst);
                let statuses = self.statuses.lock().unwrap();
                let latest: Vec<&Value> = statuses.iter().rev().take(40).collect();
                ResponseTemplate::new(200).set_body_json(latest)
            }
            "/api/v2/instance" => ResponseTemplate::new(200)
                .set_body_json(json!({"configuration": {"statuses": {"max_characters": 500}}})),
            _ => ResponseTemplate::new(404).set_body_json(json!({"error": "Not found"})),
        }
    }
}

impl FakeMastodon {
    fn create(&self, request: &Request) -> ResponseTemplate {
        let key = request
            .headers
            .get("idempotency-key")
            .map(|v| v.to_str().unwrap_or("").to_string())
            .unwrap_or_default();
        let mut by_key = self.by_key.lock().unwrap();
        let id = match by_key.get(&key) {
            Some(id) => id.clone(),
            None => {
                let mut created = self.created.lock().unwrap();
                let id = (created.len() + 1).to_string();
                created.push(key.clone());
                by_key.insert(key, id.clone());
                let body: Value = serde_json::from_slice(&request.body).unwrap();
                let text = body["status"].as_str().unwrap_or_default();
                let html = text
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
                    .replace('\n', "<br />");
                self.statuses.lock().unwrap().push(json!({
                    "id": id, "url": format!("https://m.example/@h/{id}"),
                    "content": format!("<p>{html}</p>"),
                    "created_at": chrono::Utc::now().to_rfc3339(),
                }));
                id
            }
        };
        // Created now, answered later: a kill in between loses the answer.
        ResponseTemplate::new(200)
            .set_body_json(json!({"id": id, "url": format!("https://m.example/@h/{id}")}))
            .set_delay(Duration::from_millis(300))
    }
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn start(repo: &TempRepo) -> Child {
    common::healthcast()
        .arg("--repo")
        .arg(repo.path())
        .args(["run", "--worktree"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn ledger(repo: &TempRepo) -> Vec<Value> {
    let out = common::healthcast()
        .arg("--repo")
        .arg(repo.path())
        .args(["status", "--format", "json", "--limit", "100000"])
        .output()
        .unwrap();
    serde_json::from_slice::<Value>(&out.stdout)
        .map(|v| v["recent"].as_array().cloned().unwrap_or_default())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_never_posts_a_slot_twice() {
    let fake: &'static FakeMastodon = Box::leak(Box::default());
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(fake)
        .mount(&server)
        .await;

    let repo = TempRepo::new();
    let token = repo.join("token");
    std::fs::write(&token, "tok").unwrap();
    repo.write(
        "schedules/channels.yaml",
        &format!(
            "timezone: UTC\nchannels:\n  site-feed: {{ platform: feed, path: public/feed.xml, title: T, max_entries: 1000 }}\n  mastodon: {{ platform: mastodon, base_url: \"{}\", token: \"file:{}\", timeout: 1s, readback_after: 3s }}\ngroups:\n  public: [site-feed, mastodon]\n",
            server.uri(),
            token.display()
        ),
    );
    repo.write(
        "schedules/every-second.yaml",
        "cron: \"* * * * * *\"\ntimezone: UTC\nchannels: [public]\n",
    );
    for id in ["a", "b", "c", "d"] {
        repo.tip(id);
    }

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("seed {seed}");
    let mut rng = Rng(seed);
    let started = Instant::now();
    let mut kills = 0;
    let published = |rows: &[Value]| rows.iter().filter(|r| r["state"] == "published").count();
    let mut child = start(&repo);
    while published(&ledger(&repo)) < 100 {
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "too slow: {} published",
            published(&ledger(&repo))
        );
        std::thread::sleep(Duration::from_millis(800 + rng.below(2500)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        child = start(&repo);
    }
    // A last clean run settles whatever the kills left `sending`, once the
    // channel's readback_after has passed.
    let settling = Instant::now();
    while ledger(&repo).iter().any(|r| r["state"] == "sending")
        && settling.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(500));
    }
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();

    let rows = ledger(&repo);
    let states: BTreeMap<String, usize> = rows.iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r["state"].as_str().unwrap().to_string())
            .or_default() += 1;
        m
    });
    println!(
        "{kills} kills; ledger: {states:?}; statuses created: {}; read back {} times",
        fake.created.lock().unwrap().len(),
        fake.read_backs.load(Ordering::SeqCst)
    );
    assert!(kills >= 5, "the test must kill the daemon several times");
    for state in states.keys() {
        assert!(
            state == "published" || state == "missed",
            "unsettled rows: {states:?}"
        );
    }

    // No slot twice on the fake Mastodon: one created status per slot.
    let keys = fake.created.lock().unwrap().clone();
    let mastodon_published: Vec<&Value> = rows
        .iter()
        .filter(|r| r["channel"] == "mastodon" && r["state"] == "published")
        .collect();
    assert_eq!(
        keys.len(),
        mastodon_published.len(),
        "every created status is one published row, and back"
    );
    let mut slots: BTreeMap<String, usize> = BTreeMap::new();
    for r in &mastodon_published {
        *slots
            .entry(r["at"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert!(
        slots.values().all(|n| *n == 1),
        "a slot was posted twice on Mastodon"
    );

    // No slot twice in the feed either.
    let feed = std::fs::read(repo.join("public/feed.xml")).unwrap();
    let entries = feed_rs::parser::parse(&feed[..]).unwrap().entries;
    let mut published_at: BTreeMap<String, usize> = BTreeMap::new();
    for e in &entries {
        *published_at
            .entry(format!("{:?}", e.published))
            .or_default() += 1;
    }
    assert!(
        published_at.values().all(|n| *n == 1),
        "a slot was posted twice in the feed"
    );
    let feed_rows = rows
        .iter()
        .filter(|r| r["channel"] == "site-feed" && r["state"] == "published")
        .count();
    assert_eq!(entries.len(), feed_rows);
}
