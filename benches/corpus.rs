//! Generates a content repository of N posts (default 10,000) and times what
//! `healthcast check` and `healthcast preview --days 30` do on it: loading and
//! checking every post, then planning and rendering 30 days.
//!
//! `cargo bench --bench corpus [-- POSTS [KEEP_DIR]]`; with KEEP_DIR the corpus
//! is written there and kept, to time the real binary, e.g. with hyperfine:
//! `hyperfine 'target/release/healthcast --repo KEEP_DIR check'`.

use chrono::{TimeDelta, Utc};
use healthcast::content;
use healthcast::plan::{self, LedgerView};
use healthcast::render;
use healthcast::repo::Repo;
use healthcast::source::Snapshot;
use std::path::Path;
use std::time::{Duration, Instant};

const TOPICS: &[&str] = &[
    "nutrition",
    "exercise",
    "hygiene",
    "sleep",
    "wellbeing",
    "heart",
    "prevention",
];

fn generate(root: &Path, posts: usize) {
    let write = |path: &str, text: &str| {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    };
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in [
        "channels.yaml",
        "policy.yaml",
        "weekday-tips.yaml",
        "weekend-tips.yaml",
    ] {
        let text = std::fs::read_to_string(manifest.join("schedules").join(file)).unwrap();
        write(&format!("schedules/{file}"), &text);
    }
    let reviewed = (Utc::now() - TimeDelta::days(10)).format("%Y-%m-%d");
    for i in 0..posts {
        let topic = TOPICS[i % TOPICS.len()];
        let news = i % 100 == 0;
        let front = if news {
            let at = (Utc::now() + TimeDelta::hours(i as i64 % 700)).format("%Y-%m-%dT%H:00:00Z");
            format!(
                "kind: news\npublish_at: {at}\nchannels: [public]\nsources: [https://www.cdc.gov/{topic}/]\n"
            )
        } else {
            format!("kind: tip\ntags: [{topic}]\n")
        };
        write(
            &format!("content/{topic}/post-{i:05}.md"),
            &format!(
                "---\ntitle: Health tip number {i} about {topic}\n{front}hashtags: [HealthTip]\nlink: https://www.cdc.gov/{topic}/index.html\nreview: {{ by: \"Dr. A. Rivera, MD\", on: {reviewed} }}\nlang: en\n---\nThis is tip **{i}**. Eat well, move more and sleep enough: small steps every day add up. See [the CDC page](https://www.cdc.gov/{topic}/) for more.\n\n- One idea\n- Another idea\n"
            ),
        );
    }
}

fn time<T>(label: &str, runs: usize, mut f: impl FnMut() -> T) -> T {
    let mut times = Vec::new();
    let mut out = None;
    for _ in 0..runs {
        let start = Instant::now();
        out = Some(f());
        times.push(start.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    let max = times.last().copied().unwrap_or(Duration::ZERO);
    println!(
        "{label:<40} median {:>8.1} ms   max {:>8.1} ms   ({runs} runs)",
        ms(median),
        ms(max)
    );
    out.unwrap()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let posts: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let temp = tempfile::tempdir().unwrap();
    let root = args
        .get(1)
        .map_or_else(|| temp.path().to_path_buf(), Into::into);
    let start = Instant::now();
    generate(&root, posts);
    println!(
        "generated {posts} posts in {} in {:.1} s",
        root.display(),
        start.elapsed().as_secs_f64()
    );

    let now = Utc::now();
    let snapshot = Snapshot::WorkTree { root: root.clone() };
    time("floor: read + parse YAML and Markdown", 5, || {
        let files = snapshot.list("content", &[".md"]).unwrap();
        healthcast::parallel::map(files, |mut file| {
            snapshot.read(&mut file).unwrap();
            content::load_file(&file).1.is_ok()
        })
        .len()
    });
    let checked = time("check, every rule family (healthcast check)", 5, || {
        healthcast::repo::check_streaming(&snapshot, now).unwrap()
    });
    assert_eq!(checked.posts.len(), posts);
    let repo = time("load + check, posts kept (preview, run)", 5, || {
        Repo::load(Snapshot::WorkTree { root: root.clone() }, now).unwrap()
    });
    assert_eq!(repo.posts.len(), posts);
    assert_eq!(repo.error_count(), 0, "{:?}", repo.diagnostics.first());
    let config = repo.config.as_ref().unwrap();
    let holds = repo.holds();
    let view = LedgerView::default();
    let publications = time("plan 30 days", 5, || {
        plan::plan(
            config,
            &repo.posts,
            &holds,
            &view,
            now,
            now + TimeDelta::days(30),
        )
    });
    time("render the 30 days' publications", 5, || {
        publications
            .iter()
            .filter_map(|p| {
                let post = repo.post(p.post.as_deref()?)?;
                Some(render::render(post, config.channels.get(&p.channel)?).length)
            })
            .sum::<usize>()
    });
    println!("{} publications planned in 30 days", publications.len());
}
