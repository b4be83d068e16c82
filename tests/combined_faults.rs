//! Exactly once under combined faults: the daemon publishes to a fake
//! Mastodon and a fake X (`common/fake_platforms.rs`) while their create
//! requests fail at random — 401 (2 %), 429 with a reset header (8 %), 500
//! (8 %), a 12 s hang (3 %), a connection dropped before the post is created
//! (4 %) or after it was created (8 %), a request held past the client's
//! timeout and committed after the client has gone (3 %) — and their
//! read-backs answer 500 (10 %) or 429 (5 %); meanwhile the daemon is killed
//! (SIGKILL, or SIGTERM for 30 % of the kills) every 3–15 s and restarted.
//! Then the faults and kills stop, one clean run settles what is left, and
//! the platforms' own records are compared with the ledger:
//!
//! - no tip is posted twice on either platform (each tip can go out once per
//!   channel in the test window: `repeat_after: 30d`, 160 distinct texts);
//! - every ledger row is `published` (with the id of a post that exists),
//!   `missed`, `failed` only when no create request for it could have made a
//!   post (only 401s and 429s answered it), or `unknown` with an alert in
//!   the alert log; none is left `sending`;
//! - every post on a platform belongs to a `published` or `unknown` row.
//!
//! Assumption, as for a real server: a request ends within a bounded time.
//! The fakes hold a request at most 12 s and commit a late one at most 10 s
//! after it arrived; the channels say `timeout: 2s` (the client gives up
//! first) and `readback_after: 15s` (a read-back that finds nothing is
//! believed only once any earlier attempt has surely ended on the server).
//!
//! Faults are decided by the seed and by which create request of which tip
//! it is (not by timing), kill delays and signals by a seeded sequence; only
//! timing varies between two runs of one seed. `HEALTHCAST_FAULT_SEEDS=1,2,3`
//! (the default) picks the seeds, `HEALTHCAST_FAULT_SEED_COUNT=N` runs seeds
//! 1..=N instead, `HEALTHCAST_FAULT_PARALLEL` (default 3) how many run at
//! once, and `HEALTHCAST_FAULT_KEEP=DIR` keeps each seed's daemon log,
//! ledger, alerts and the fakes' request logs in `DIR/seed-N/`;
//! `HEALTHCAST_FAULT_PLATFORM=off` keeps the kills but turns the platforms'
//! faults off (a control run).
//!
//! The focused tests below each play one sequence of faults in order, as
//! their names say; the last one runs with a new, empty ledger.

mod common;
#[path = "common/fake_platforms.rs"]
mod fake_platforms;

use chrono::{DateTime, TimeDelta, Utc};
use common::TempRepo;
use fake_platforms::{CreateFault, Fake, Kind, Outcome, Post, Rng};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const MASTODON_TOKEN: &str = "mastodon-test-token";
const X_TOKEN: &str = "x-test-token";

/// Tips in the combined test: each channel can take each once, and there
/// are more than the test sends, so no slot finds "no eligible tip" (whose
/// `held` alerts would use up the alert budget of an hour).
const TIPS: usize = 160;
/// How many publications the fault phase aims for before the clean run.
const TARGET_PUBLICATIONS: usize = 200;
/// The fault phase stops by this even when the target was not reached (a
/// slow machine); the clean run still settles and everything is checked.
const FAULT_PHASE_LIMIT: Duration = Duration::from_secs(180);
/// The clean run waits at least this long (longer than `readback_after`
/// and the fakes' longest hold) and at most [`SETTLE_LIMIT`].
const SETTLE_MIN: Duration = Duration::from_secs(20);
const SETTLE_LIMIT: Duration = Duration::from_secs(120);
/// How long a SIGTERM'd daemon may take to finish the publication in flight.
const STOP_LIMIT: Duration = Duration::from_secs(60);

const ADVICE: [&str; 12] = [
    "drink a glass of water with each meal",
    "take a short walk after lunch",
    "wash your hands before you eat",
    "stand up and stretch every hour",
    "keep a water bottle at your desk",
    "eat a piece of fruit with breakfast",
    "go to bed at the same time each night",
    "take the stairs when you can",
    "put your phone away at dinner",
    "add a vegetable to your lunch",
    "step outside for some fresh air",
    "rinse fruit before you eat it",
];

/// A content repository, the two fakes and the channels that point at them.
struct Setup {
    repo: TempRepo,
    mastodon: Arc<Fake>,
    x: Arc<Fake>,
    /// The daemon's stdout and stderr, every run appended.
    log: PathBuf,
}

/// One schedule: its file name, the tag it picks and its channels.
struct Schedule {
    name: &'static str,
    tag: &'static str,
    channels: &'static str,
}

fn marker(n: usize) -> String {
    format!("t{n:03}")
}

fn post_id(marker: &str) -> String {
    format!("tips/{marker}")
}

/// `tips` tips (`t001`…), each with its own text; tip `n` has the tag of
/// schedule `n % schedules.len()`.
async fn setup(
    seed: u64,
    tips: usize,
    schedules: &[Schedule],
    timeout: &str,
    readback_after: &str,
) -> Setup {
    let mastodon = fake_platforms::start(Kind::Mastodon, seed, MASTODON_TOKEN).await;
    let x = fake_platforms::start(Kind::X, seed, X_TOKEN).await;
    let repo = TempRepo::new();
    let secrets = repo.join(".secrets");
    std::fs::create_dir_all(&secrets).unwrap();
    std::fs::write(secrets.join("mastodon"), MASTODON_TOKEN).unwrap();
    std::fs::write(secrets.join("x"), X_TOKEN).unwrap();
    repo.write(
        "schedules/channels.yaml",
        &format!(
            "timezone: UTC\nchannels:\n  mastodon: {{ platform: mastodon, base_url: \"{}\", token: \"file:{}\", timeout: {timeout}, readback_after: {readback_after} }}\n  x: {{ platform: x, api_base: \"{}\", oauth2: {{ access_token: \"file:{}\" }}, timeout: {timeout}, readback_after: {readback_after} }}\nalerts:\n  - log_file: alerts.log\n",
            mastodon.base_url(),
            secrets.join("mastodon").display(),
            x.base_url(),
            secrets.join("x").display(),
        ),
    );
    for s in schedules {
        repo.write(
            &format!("schedules/{}.yaml", s.name),
            &format!(
                "cron: \"* * * * * *\"\ntimezone: UTC\nchannels: [{}]\npick: {{ tags: [{}], order: rotate, repeat_after: 30d }}\ncatch_up: 1h\n",
                s.channels, s.tag
            ),
        );
    }
    let reviewed = (Utc::now() - TimeDelta::days(2)).format("%Y-%m-%d");
    for n in 1..=tips {
        let m = marker(n);
        let tag = schedules[n % schedules.len()].tag;
        let first = ADVICE[n % ADVICE.len()];
        let second = ADVICE[(n / ADVICE.len() + n + 5) % ADVICE.len()];
        repo.write(
            &format!("content/tips/{m}.md"),
            &format!(
                "---\ntitle: Tip {m}\nkind: tip\ntags: [{tag}]\nhashtags: [HealthTips]\nlink: https://example-hospital.org/tips\nreview: {{ by: \"Dr. Test, MD\", on: {reviewed} }}\n---\nTip {m}: {first} & {second}.\n"
            ),
        );
    }
    // The content must check clean: a held tip would prove nothing.
    let check = common::healthcast()
        .arg("--repo")
        .arg(repo.path())
        .arg("check")
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "the test content does not check clean:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let log = repo.join("daemon.log");
    Setup {
        repo,
        mastodon,
        x,
        log,
    }
}

impl Setup {
    fn fakes(&self) -> [&Arc<Fake>; 2] {
        [&self.mastodon, &self.x]
    }

    fn fake(&self, kind: Kind) -> &Arc<Fake> {
        match kind {
            Kind::Mastodon => &self.mastodon,
            Kind::X => &self.x,
        }
    }

    /// `healthcast run --worktree`, its output appended to the log.
    fn start(&self, note: &str) -> Child {
        use std::io::Write;
        let mut log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        writeln!(log, "=== {} {note}", Utc::now().to_rfc3339()).unwrap();
        common::healthcast()
            .arg("--repo")
            .arg(self.repo.path())
            .args(["run", "--worktree"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start healthcast run")
    }

    /// Every ledger row (`status --format json --limit 100000`).
    async fn ledger(&self) -> Vec<Value> {
        ledger_at(self.repo.path(), None).await
    }

    /// The alert log's lines, parsed.
    fn alerts(&self) -> Vec<Value> {
        std::fs::read_to_string(self.repo.join("alerts.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    fn in_flight(&self) -> usize {
        self.mastodon.in_flight() + self.x.in_flight()
    }

    /// Waits (bounded) until no request is held by either fake.
    async fn quiet(&self) {
        let started = Instant::now();
        while self.in_flight() > 0 && started.elapsed() < Duration::from_secs(30) {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

async fn ledger_at(repo: &Path, ledger: Option<&Path>) -> Vec<Value> {
    let repo = repo.to_path_buf();
    let ledger = ledger.map(Path::to_path_buf);
    tokio::task::spawn_blocking(move || {
        let mut cmd = common::healthcast();
        cmd.arg("--repo")
            .arg(&repo)
            .args(["status", "--format", "json", "--limit", "100000"]);
        if let Some(ledger) = ledger {
            cmd.arg("--ledger").arg(ledger);
        }
        let out = cmd.output().expect("run healthcast status");
        serde_json::from_slice::<Value>(&out.stdout)
            .map(|v| v["recent"].as_array().cloned().unwrap_or_default())
            .unwrap_or_default()
    })
    .await
    .expect("join status")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    Kill,
    Term,
}

/// How a stop went.
#[derive(Debug, Default, Clone)]
struct Kills {
    sigkill: usize,
    sigterm: usize,
    /// SIGTERM'd daemons that did not exit within [`STOP_LIMIT`] (then killed).
    sigterm_hung: usize,
    /// SIGTERM'd daemons that exited with a code other than 0.
    sigterm_nonzero: usize,
    /// Daemons that had exited on their own before they were stopped.
    exited_early: usize,
}

async fn stop(child: &mut Child, signal: Signal, kills: &mut Kills) {
    if child.try_wait().ok().flatten().is_some() {
        kills.exited_early += 1;
        return;
    }
    match signal {
        Signal::Kill => {
            kills.sigkill += 1;
            let _ = child.kill();
            let _ = child.wait();
        }
        Signal::Term => {
            kills.sigterm += 1;
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let started = Instant::now();
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    if !status.success() {
                        kills.sigterm_nonzero += 1;
                    }
                    return;
                }
                if started.elapsed() > STOP_LIMIT {
                    kills.sigterm_hung += 1;
                    let _ = child.kill();
                    let _ = child.wait();
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

fn text(row: &Value, field: &str) -> String {
    row[field].as_str().unwrap_or_default().to_string()
}

fn time(row: &Value, field: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(row[field].as_str()?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A row of a real tip on one of the fakes' channels.
fn is_tip_row(row: &Value) -> bool {
    text(row, "post").starts_with("tips/")
        && matches!(text(row, "channel").as_str(), "mastodon" | "x")
}

/// Rows that went (or were to go) to a platform: not `missed`.
fn publications(rows: &[Value]) -> usize {
    rows.iter()
        .filter(|r| is_tip_row(r) && text(r, "state") != "missed")
        .count()
}

/// The `Idempotency-Key` a publication key is sent with on Mastodon.
fn idempotency_key(key: &str) -> String {
    Sha256::digest(format!("healthcast:{key}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn kind_of(channel: &str) -> Option<Kind> {
    match channel {
        "mastodon" => Some(Kind::Mastodon),
        "x" => Some(Kind::X),
        _ => None,
    }
}

/// What the platforms and the ledger say, compared.
#[derive(Debug, Default)]
struct Findings {
    publications: usize,
    states: BTreeMap<String, usize>,
    posts: BTreeMap<&'static str, usize>,
    /// Tips posted more than once, per platform: the extra posts.
    duplicates: BTreeMap<&'static str, usize>,
    /// Create requests for a text already on the platform under another
    /// publication (a second send; X may refuse it as duplicate content).
    resends: BTreeMap<&'static str, usize>,
    alerts: BTreeMap<String, usize>,
    violations: Vec<(&'static str, String)>,
}

impl Findings {
    fn count(&self, kind: &str) -> usize {
        self.violations.iter().filter(|(k, _)| *k == kind).count()
    }

    fn summary(&self) -> String {
        format!(
            "{} publications {:?}; posts {:?}; duplicates {:?} (second sends {:?}); losses {}; failed although a request may have posted {}; unknown without alert {}; unsettled {}; alerts {:?}",
            self.publications,
            self.states,
            self.posts,
            self.duplicates,
            self.resends,
            self.count("loss"),
            self.count("failed"),
            self.count("unalerted"),
            self.count("unsettled"),
            self.alerts,
        )
    }
}

/// The timeline of one tip's create requests on a fake, for a report.
fn timeline(fake: &Fake, marker: &str) -> String {
    let creates = fake.creates();
    let first = creates.first().map(|c| c.at).unwrap_or_else(Utc::now);
    let mut out = String::new();
    for c in creates.iter().filter(|c| c.marker == marker) {
        let _ = write!(
            out,
            "\n      +{:.1}s {} → {:?}{}{}",
            (c.at - first).num_milliseconds() as f64 / 1000.0,
            c.fault.name(),
            c.outcome,
            c.settled_at
                .map(|s| format!(
                    " at +{:.1}s",
                    (s - first).num_milliseconds() as f64 / 1000.0
                ))
                .unwrap_or_default(),
            c.key
                .as_deref()
                .map(|k| format!(" key {}", &k[..12.min(k.len())]))
                .unwrap_or_default(),
        );
    }
    out
}

/// Compares the ledger with the fakes' records (see the module docs).
fn evaluate(setup: &Setup, rows: &[Value], alerts: &[Value]) -> Findings {
    let mut f = Findings {
        publications: publications(rows),
        ..Findings::default()
    };
    for r in rows.iter().filter(|r| is_tip_row(r)) {
        *f.states.entry(text(r, "state")).or_default() += 1;
    }
    for a in alerts {
        *f.alerts.entry(text(a, "event")).or_default() += 1;
    }
    let by_mastodon_key: HashMap<String, &Value> = rows
        .iter()
        .filter(|r| text(r, "channel") == "mastodon")
        .map(|r| (idempotency_key(&text(r, "key")), r))
        .collect();

    for kind in [Kind::Mastodon, Kind::X] {
        let fake = setup.fake(kind);
        let name = kind.name();
        let posts = fake.posts();
        let creates = fake.creates();
        f.posts.insert(name, posts.len());
        let mut by_marker: BTreeMap<&str, Vec<&Post>> = BTreeMap::new();
        for p in &posts {
            by_marker.entry(&p.marker).or_default().push(p);
        }
        // No tip twice.
        for (marker, list) in &by_marker {
            if list.len() > 1 {
                *f.duplicates.entry(name).or_default() += list.len() - 1;
                f.violations.push((
                    "duplicate",
                    format!(
                        "{marker} is on {name} {} times ({}); its create requests:{}",
                        list.len(),
                        list.iter()
                            .map(|p| p.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        timeline(fake, marker)
                    ),
                ));
            }
        }
        // Second sends: a create for a text already there, other than
        // Mastodon's same-key retry.
        for c in &creates {
            let earlier = posts.iter().find(|p| {
                p.marker == c.marker && p.created_at <= c.at && (kind == Kind::X || p.key != c.key)
            });
            if earlier.is_some() {
                *f.resends.entry(name).or_default() += 1;
            }
        }
        // Every post belongs to a published (with its id) or unknown row.
        for p in &posts {
            let rows_for: Vec<&Value> = match kind {
                Kind::Mastodon => p
                    .key
                    .as_ref()
                    .and_then(|k| by_mastodon_key.get(k))
                    .into_iter()
                    .copied()
                    .collect(),
                Kind::X => rows
                    .iter()
                    .filter(|r| text(r, "channel") == "x" && text(r, "post") == post_id(&p.marker))
                    .collect(),
            };
            let accounted = rows_for.iter().any(|r| {
                let state = text(r, "state");
                state == "unknown" || (state == "published" && text(r, "remote_id") == p.id)
            });
            if !accounted {
                f.violations.push((
                    "loss",
                    format!(
                        "{} {} of {} exists, but no published or unknown row has it (rows: {}); its create requests:{}",
                        name,
                        p.id,
                        p.marker,
                        rows_for
                            .iter()
                            .map(|r| format!("{} {} {}", text(r, "key"), text(r, "state"), text(r, "remote_id")))
                            .collect::<Vec<_>>()
                            .join("; "),
                        timeline(fake, &p.marker)
                    ),
                ));
            }
        }
    }

    for r in rows.iter().filter(|r| is_tip_row(r)) {
        let key = text(r, "key");
        let state = text(r, "state");
        let Some(kind) = kind_of(&text(r, "channel")) else {
            continue;
        };
        let fake = setup.fake(kind);
        let marker = text(r, "post").trim_start_matches("tips/").to_string();
        match state.as_str() {
            "published" => {
                let id = text(r, "remote_id");
                if !fake
                    .posts()
                    .iter()
                    .any(|p| p.id == id && p.marker == marker)
                {
                    f.violations.push((
                        "loss",
                        format!(
                            "{key} is published as `{id}`, but {} has no such post of {marker}",
                            kind.name()
                        ),
                    ));
                }
            }
            "missed" => {}
            "failed" => {
                // Only requests answered 401 or 429 prove nothing was posted.
                let mine: Vec<_> = fake
                    .creates()
                    .into_iter()
                    .filter(|c| match kind {
                        Kind::Mastodon => c.key.as_deref() == Some(idempotency_key(&key).as_str()),
                        // X has no key: a request of this tip sent after
                        // the row was claimed and before it was settled
                        // (the ledger's times are in milliseconds).
                        Kind::X => {
                            let from = time(r, "created_at").unwrap_or(DateTime::<Utc>::MIN_UTC)
                                - TimeDelta::milliseconds(500);
                            let to = time(r, "updated_at").unwrap_or(DateTime::<Utc>::MAX_UTC)
                                + TimeDelta::milliseconds(100);
                            c.marker == marker && c.at >= from && c.at <= to
                        }
                    })
                    .collect();
                if mine.iter().any(|c| c.outcome.may_have_posted()) {
                    f.violations.push((
                        "failed",
                        format!(
                            "{key} is failed ({}), but a request for it may have posted it:{}",
                            text(r, "error"),
                            timeline(fake, &marker)
                        ),
                    ));
                }
            }
            "unknown" => {
                let alerted = alerts.iter().any(|a| {
                    text(a, "event") == "unknown"
                        && (text(a, "subject") == key || text(a, "message").contains(&key))
                });
                if !alerted {
                    f.violations.push((
                        "unalerted",
                        format!("{key} is unknown, and no `unknown` alert names it"),
                    ));
                }
            }
            other => f.violations.push((
                "unsettled",
                format!("{key} is left `{other}` after the clean run"),
            )),
        }
    }
    f
}

/// One seed's run and what it found.
struct SeedReport {
    seed: u64,
    elapsed: Duration,
    restarts: usize,
    kills: Kills,
    injected: BTreeMap<String, BTreeMap<String, usize>>,
    fault_phase_publications: usize,
    findings: Findings,
}

impl SeedReport {
    fn line(&self) -> String {
        format!(
            "seed {}: {:.0} s, {} runs, kills {} SIGKILL + {} SIGTERM (SIGTERM not done in {} s: {}, exit ≠ 0: {}; exited early: {}), {} publications before the clean run; {}; faults injected {:?}",
            self.seed,
            self.elapsed.as_secs_f64(),
            self.restarts,
            self.kills.sigkill,
            self.kills.sigterm,
            STOP_LIMIT.as_secs(),
            self.kills.sigterm_hung,
            self.kills.sigterm_nonzero,
            self.kills.exited_early,
            self.fault_phase_publications,
            self.findings.summary(),
            self.injected,
        )
    }
}

/// Keeps what a seed left behind in `HEALTHCAST_FAULT_KEEP/seed-N/`.
fn keep(setup: &Setup, seed: u64, rows: &[Value]) {
    let Ok(dir) = std::env::var("HEALTHCAST_FAULT_KEEP") else {
        return;
    };
    let dir = PathBuf::from(dir).join(format!("seed-{seed}"));
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::copy(&setup.log, dir.join("daemon.log"));
    let _ = std::fs::copy(setup.repo.join("alerts.log"), dir.join("alerts.log"));
    let _ = std::fs::write(
        dir.join("ledger.json"),
        serde_json::to_string_pretty(rows).unwrap_or_default(),
    );
    for fake in setup.fakes() {
        let mut out = String::new();
        for c in fake.creates() {
            let _ = writeln!(
                out,
                "create {} {} {} {:?} {:?} key={}",
                c.at.to_rfc3339(),
                c.marker,
                c.fault.name(),
                c.outcome,
                c.settled_at.map(|s| s.to_rfc3339()),
                c.key.unwrap_or_default()
            );
        }
        for r in fake.reads() {
            let _ = writeln!(
                out,
                "read {} {}?{} {} ids={}",
                r.at.to_rfc3339(),
                r.path,
                r.query,
                r.status,
                r.ids.join(",")
            );
        }
        for p in fake.posts() {
            let _ = writeln!(
                out,
                "post {} {} {} request={} key={}",
                p.id,
                p.created_at.to_rfc3339(),
                p.marker,
                p.request,
                p.key.unwrap_or_default()
            );
        }
        let _ = std::fs::write(dir.join(format!("{}.log", fake.kind.name())), out);
    }
}

/// The clean run: no faults, no kills, for longer than `readback_after`
/// and until nothing is `sending`, nothing is held by a fake and `target`
/// publications are recorded (bounded), then SIGTERM.
async fn settle(setup: &Setup, target: usize, kills: &mut Kills) -> Vec<Value> {
    for fake in setup.fakes() {
        fake.set_random(false);
    }
    let mut child = setup.start("clean run");
    let started = Instant::now();
    let mut steady = 0;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rows = setup.ledger().await;
        let sending = rows.iter().any(|r| text(r, "state") == "sending");
        if started.elapsed() >= SETTLE_MIN
            && !sending
            && setup.in_flight() == 0
            && publications(&rows) >= target
        {
            steady += 1;
        } else {
            steady = 0;
        }
        if steady >= 2 || started.elapsed() > SETTLE_LIMIT {
            break;
        }
    }
    stop(&mut child, Signal::Term, kills).await;
    setup.quiet().await;
    setup.ledger().await
}

async fn run_seed(seed: u64) -> SeedReport {
    let started = Instant::now();
    let setup = setup(
        seed,
        TIPS,
        &[
            Schedule {
                name: "tips-a",
                tag: "a",
                channels: "mastodon, x",
            },
            Schedule {
                name: "tips-b",
                tag: "b",
                channels: "mastodon, x",
            },
        ],
        "2s",
        "15s",
    )
    .await;
    let platform_faults = std::env::var("HEALTHCAST_FAULT_PLATFORM").as_deref() != Ok("off");
    for fake in setup.fakes() {
        fake.set_random(platform_faults);
    }
    let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1);
    let mut kills = Kills::default();
    let mut runs = 0;
    let mut fault_phase_publications;
    loop {
        runs += 1;
        let mut child = setup.start(&format!("run {runs} (faults on)"));
        tokio::time::sleep(Duration::from_millis(3_000 + rng.below(12_001))).await;
        let signal = if rng.below(100) < 30 {
            Signal::Term
        } else {
            Signal::Kill
        };
        stop(&mut child, signal, &mut kills).await;
        fault_phase_publications = publications(&setup.ledger().await);
        if fault_phase_publications >= TARGET_PUBLICATIONS || started.elapsed() > FAULT_PHASE_LIMIT
        {
            break;
        }
    }
    let rows = settle(&setup, TARGET_PUBLICATIONS, &mut kills).await;
    runs += 1;
    let alerts = setup.alerts();
    let findings = evaluate(&setup, &rows, &alerts);
    keep(&setup, seed, &rows);
    let mut injected = BTreeMap::new();
    for fake in setup.fakes() {
        injected.insert(fake.kind.name().to_string(), fake.injected());
    }
    SeedReport {
        seed,
        elapsed: started.elapsed(),
        restarts: runs,
        kills,
        injected,
        fault_phase_publications,
        findings,
    }
}

fn seeds() -> Vec<u64> {
    if let Ok(n) = std::env::var("HEALTHCAST_FAULT_SEED_COUNT") {
        let n: u64 = n
            .trim()
            .parse()
            .expect("HEALTHCAST_FAULT_SEED_COUNT is a number");
        return (1..=n).collect();
    }
    match std::env::var("HEALTHCAST_FAULT_SEEDS") {
        Ok(list) => list
            .split(',')
            .map(|s| {
                s.trim()
                    .parse()
                    .expect("HEALTHCAST_FAULT_SEEDS: numbers, comma-separated")
            })
            .collect(),
        Err(_) => vec![1, 2, 3],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kills_and_platform_faults_together_never_post_twice_nor_lose_a_post() {
    let seeds = seeds();
    let parallel: usize = std::env::var("HEALTHCAST_FAULT_PARALLEL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let mut reports = Vec::new();
    for batch in seeds.chunks(parallel) {
        let handles: Vec<_> = batch.iter().map(|&s| tokio::spawn(run_seed(s))).collect();
        for h in handles {
            let report = h.await.expect("a seed's run");
            println!("{}", report.line());
            reports.push(report);
        }
    }
    let mut failures = String::new();
    for r in &reports {
        // The run must have exercised the daemon, not only its faults.
        if r.findings.publications < TARGET_PUBLICATIONS {
            let _ = write!(
                failures,
                "\nseed {}: only {} publications in all (the content allows {})",
                r.seed,
                r.findings.publications,
                2 * TIPS
            );
        }
        if r.kills.sigkill + r.kills.sigterm < 5 {
            let _ = write!(failures, "\nseed {}: fewer than 5 kills", r.seed);
        }
        for (kind, what) in &r.findings.violations {
            let _ = write!(failures, "\nseed {} {kind}: {what}", r.seed);
        }
    }
    assert!(
        failures.is_empty(),
        "exactly once does not hold under combined faults:{failures}"
    );
}

// ---------------------------------------------------------------------
// Focused sequences.

/// A repository with `tips` tips and one per-second schedule to `channel`.
async fn focused(channel: &'static str, tips: usize, timeout: &str, readback_after: &str) -> Setup {
    setup(
        0,
        tips,
        &[Schedule {
            name: "every-second",
            tag: "a",
            channels: channel,
        }],
        timeout,
        readback_after,
    )
    .await
}

/// Waits (bounded) until `fake` has had `n` create requests.
async fn creates_reach(fake: &Fake, n: usize) {
    let started = Instant::now();
    while fake.creates().len() < n {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the daemon sent {} of the {n} create requests expected",
            fake.creates().len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs the daemon for `d`, then SIGTERM.
async fn run_for(setup: &Setup, d: Duration, note: &str) -> Kills {
    let mut kills = Kills::default();
    let mut child = setup.start(note);
    tokio::time::sleep(d).await;
    stop(&mut child, Signal::Term, &mut kills).await;
    kills
}

/// The assertions of the focused tests: the first create request's tip is
/// on `kind` exactly once, its publication ended published (with that
/// post) or unknown (with an alert), and the whole ledger holds up.
fn assert_one_post_of_first_tip(setup: &Setup, kind: Kind, rows: &[Value]) {
    let fake = setup.fake(kind);
    let first = fake.creates().first().cloned().expect("a create request");
    let posts: Vec<Post> = fake
        .posts()
        .into_iter()
        .filter(|p| p.marker == first.marker)
        .collect();
    let alerts = setup.alerts();
    let findings = evaluate(setup, rows, &alerts);
    println!("{}: {}", kind.name(), findings.summary());
    println!(
        "create requests of {}:{}",
        first.marker,
        timeline(fake, &first.marker)
    );
    let tip_rows: Vec<String> = rows
        .iter()
        .filter(|r| text(r, "post") == post_id(&first.marker) && text(r, "channel") == kind.name())
        .map(|r| {
            format!(
                "{} {} {} {}",
                text(r, "key"),
                text(r, "state"),
                text(r, "remote_id"),
                text(r, "error")
            )
        })
        .collect();
    assert_eq!(
        posts.len(),
        1,
        "{} must be on {} exactly once; it is there {} times; its rows: {tip_rows:#?}",
        first.marker,
        kind.name(),
        posts.len()
    );
    let settled: Vec<&Value> = rows
        .iter()
        .filter(|r| {
            text(r, "post") == post_id(&first.marker)
                && text(r, "channel") == kind.name()
                && match kind {
                    Kind::Mastodon => {
                        first.key.as_deref() == Some(idempotency_key(&text(r, "key")).as_str())
                    }
                    Kind::X => true,
                }
        })
        .collect();
    assert!(
        settled.iter().any(|r| {
            let state = text(r, "state");
            (state == "published" && text(r, "remote_id") == posts[0].id) || state == "unknown"
        }),
        "the publication of {} must end published (as {}) or unknown; its rows: {tip_rows:#?}",
        first.marker,
        posts[0].id
    );
    let violations: Vec<String> = findings
        .violations
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    assert!(violations.is_empty(), "{violations:#?}");
}

/// A dropped connection after Mastodon created the status, then on the
/// same-key retry a 429: the 429 says nothing about the first attempt, so
/// the publication must not be released to a new slot (a new key, a second
/// status); it ends published or unknown, across a restart too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answer_then_429_on_the_same_key_retry_never_posts_a_second_status() {
    let setup = focused("mastodon", 40, "2s", "6s").await;
    setup.mastodon.script(&[
        CreateFault::DropAfter,
        CreateFault::RateLimited {
            secs: 1,
            retry_after: true,
        },
    ]);
    let mut kills = Kills::default();
    let mut child = setup.start("first run");
    creates_reach(&setup.mastodon, 2).await;
    // Later slots come and go; the rate limit resets.
    tokio::time::sleep(Duration::from_secs(10)).await;
    stop(&mut child, Signal::Term, &mut kills).await;
    run_for(&setup, Duration::from_secs(12), "after a restart").await;
    setup.quiet().await;
    let rows = setup.ledger().await;
    assert_one_post_of_first_tip(&setup, Kind::Mastodon, &rows);
}

/// The same with a 401 on the retry: a refused token proves nothing about
/// the attempt before it, so the publication must not be settled `failed`
/// and posted again after the configuration is reloaded (a restart).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answer_then_401_on_the_same_key_retry_never_posts_a_second_status() {
    let setup = focused("mastodon", 40, "2s", "6s").await;
    setup
        .mastodon
        .script(&[CreateFault::DropAfter, CreateFault::Unauthorized]);
    let mut kills = Kills::default();
    let mut child = setup.start("first run");
    creates_reach(&setup.mastodon, 2).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop(&mut child, Signal::Term, &mut kills).await;
    // A restart reloads the configuration: the channel works again.
    run_for(&setup, Duration::from_secs(14), "after a restart").await;
    setup.quiet().await;
    let rows = setup.ledger().await;
    assert_one_post_of_first_tip(&setup, Kind::Mastodon, &rows);
}

/// A post to X held past the client's timeout and committed late by X,
/// with a SIGKILL and a restart during the hold: the restarted daemon must
/// not take "not found yet" for "absent" before `readback_after`, and the
/// tweet is on X once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_post_hung_past_the_timeout_and_committed_late_across_a_restart_is_one_tweet() {
    // Committed 6 s after it arrived: after the 2 s timeout, before the
    // 12 s readback_after.
    let setup = focused("x", 40, "2s", "12s").await;
    setup.x.script(&[CreateFault::CommitLate { secs: 6 }]);
    let mut kills = Kills::default();
    let mut child = setup.start("first run");
    creates_reach(&setup.x, 1).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop(&mut child, Signal::Kill, &mut kills).await;
    run_for(&setup, Duration::from_secs(24), "restarted during the hold").await;
    setup.quiet().await;
    let rows = setup.ledger().await;
    assert_one_post_of_first_tip(&setup, Kind::X, &rows);
}

/// A new user's mistake: the daemon published with ledger A; then it runs,
/// within catch-up, with a new, empty ledger B. The posts already on the
/// platforms must not be posted again, and the run must say loudly that
/// its ledger is new (README does not document more yet: its output must
/// name B's path).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_empty_ledger_within_catch_up_does_not_post_again() {
    let setup = focused("mastodon, x", 3, "2s", "6s").await;
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("ledger-a.sqlite");
    let b = dir.path().join("ledger-b.sqlite");
    let run_once = |ledger: &Path| {
        let repo = setup.repo.path().to_path_buf();
        let ledger = ledger.to_path_buf();
        tokio::task::spawn_blocking(move || {
            let out = common::healthcast()
                .arg("--repo")
                .arg(repo)
                .args(["run", "--once", "--worktree", "--ledger"])
                .arg(ledger)
                .output()
                .expect("run healthcast");
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    };
    let first = run_once(&a).await.unwrap();
    let counts = |fake: &Fake| {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for p in fake.posts() {
            *m.entry(p.marker).or_default() += 1;
        }
        m
    };
    assert_eq!(
        (setup.mastodon.posts().len(), setup.x.posts().len()),
        (1, 1),
        "the first run publishes one tip to each platform:\n{first}"
    );
    // A later slot, well within catch-up.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let second = run_once(&b).await.unwrap();
    setup.quiet().await;
    let (m, x) = (counts(&setup.mastodon), counts(&setup.x));
    println!(
        "mastodon {m:?}; x {x:?}; X refused as duplicate content: {}",
        setup
            .x
            .creates()
            .iter()
            .filter(|c| c.outcome == Outcome::Duplicate)
            .count()
    );
    assert!(
        m.values().chain(x.values()).all(|n| *n == 1),
        "a tip was posted again with the new ledger: mastodon {m:?}, x {x:?}\nmastodon requests:{}\nx requests:{}\nsecond run:\n{second}",
        timeline(&setup.mastodon, "t001"),
        timeline(&setup.x, "t001"),
    );
    assert!(
        second.contains(&b.display().to_string()),
        "the run with a new, empty ledger does not say so (its output does not name {}):\n{second}",
        b.display()
    );
}
