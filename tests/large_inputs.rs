//! 1 MiB inputs (the largest post or configuration file healthcast reads) of
//! pathological shapes, through the entry points the fuzz targets drive
//! (`fuzz/`): the front-matter split and YAML load, Markdown → Doc, every
//! platform's render, length and thread split, cron parsing and slots, and
//! configuration loading. Each runs on a thread with the 2 MiB stack that
//! `parallel::map` and the daemon's threads have, and must not panic or
//! overflow it.
//!
//! No test here times anything. How time grows (256 KiB against 1 MiB, per
//! shape) is printed by the ignored `growth`:
//! `cargo test --release --test large_inputs -- --ignored --nocapture growth`.

use chrono::{DateTime, TimeDelta, Utc};
use healthcast::config::{self, Config, Schedule, schedule};
use healthcast::content::{self, Doc, Post};
use healthcast::plan::slots;
use healthcast::render::{self, facets, length, thread};
use healthcast::source::RepoFile;
use std::time::{Duration, Instant};

const MIB: usize = 1024 * 1024;

/// The stack of a thread spawned without a size, whatever RUST_MIN_STACK says.
const STACK: usize = 2 * MIB;

/// One channel of every platform (the fuzz targets' configuration).
const EVERY_PLATFORM: &str = include_str!("../fuzz/src/every_platform.yaml");
const POLICY: &str = include_str!("../schedules/policy.yaml");

fn repo_file(path: &str, text: &str) -> RepoFile {
    RepoFile::new(path, text.as_bytes().to_vec())
}

fn every_platform() -> Config {
    let loaded = config::load_files(vec![
        repo_file(config::CHANNELS_FILE, EVERY_PLATFORM),
        repo_file(config::POLICY_FILE, POLICY),
    ]);
    loaded.config.expect("every_platform.yaml loads")
}

/// `unit` repeated to `size` bytes (cut at a character boundary).
fn fill(unit: &str, size: usize) -> String {
    let mut s = unit.repeat(size / unit.len() + 1);
    let mut end = size.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s
}

/// A post file of about `size` bytes: a short front matter, then `body`.
fn post_file(front: &str, body: &str) -> String {
    format!("---\ntitle: Large\n{front}---\n{body}")
}

/// The same post allowed to become a thread: thousands of parts, each
/// counted as its platform counts.
fn threaded(file: &str) -> String {
    file.replacen("---\n", "---\nthread: true\n", 1)
}

/// A body shape: name, and the file it makes at a size.
type Shape = (&'static str, fn(usize) -> String);

/// Post files of every shape but deep nesting (tested on its own).
const POSTS: &[Shape] = &[
    ("long line of words", |n| {
        post_file("", &fill("wash your hands ", n))
    }),
    ("one word without spaces", |n| post_file("", &fill("a", n))),
    ("one huge grapheme", |n| {
        post_file("", &format!("a{}", fill("\u{301}", n)))
    }),
    ("many sentences", |n| {
        post_file("", &fill("Wash hands. ", n))
    }),
    ("many emphasis markers", |n| post_file("", &fill("*a* ", n))),
    ("unclosed emphasis", |n| {
        post_file("", &fill("*a **b _c ", n))
    }),
    ("many links", |n| {
        post_file("", &fill("[a](https://a.example/x) ", n))
    }),
    ("many bare URLs", |n| {
        post_file("", &fill("https://www.cdc.gov/flu ", n))
    }),
    ("many bare domains", |n| post_file("", &fill("cdc.gov ", n))),
    ("URLs and mentions", |n| {
        post_file("", &fill("@a@b.example https://a.co ", n))
    }),
    ("many hashtags in the body", |n| {
        post_file("", &fill("#Flu ", n))
    }),
    ("many lines", |n| post_file("", &fill("a\n", n))),
    ("many paragraphs", |n| post_file("", &fill("a\n\n", n))),
    ("many list items", |n| post_file("", &fill("- a\n", n))),
    ("many table rows", |n| {
        post_file(
            "",
            &format!("| a | b |\n|---|---|\n{}", fill("| `c` | d |\n", n)),
        )
    }),
    ("many HTML tags", |n| post_file("", &fill("<b>a</b> ", n))),
    ("emoji", |n| post_file("", &fill("😷👩🏽‍⚕️🇺🇸 ", n))),
    ("CJK without spaces", |n| {
        post_file("", &fill("手を洗いましょう", n))
    }),
    ("huge front matter: tags", |n| {
        post_file(&format!("tags: [{}]\n", fill("flu, ", n)), "Body.\n")
    }),
    ("huge front matter: hashtags", |n| {
        post_file(&format!("hashtags: [{}]\n", fill("Flu, ", n)), "Body.\n")
    }),
    ("huge front matter: title", |n| {
        format!("---\ntitle: {}\n---\nBody.\n", fill("a", n))
    }),
    ("huge front matter: content warning", |n| {
        post_file(&format!("content_warning: {}\n", fill("a ", n)), "Body.\n")
    }),
    ("huge front matter: overrides", |n| {
        let mut front = String::from("overrides:\n");
        let mut i = 0;
        while front.len() < n {
            front.push_str(&format!("  p{i}: {{ text: \"a\" }}\n"));
            i += 1;
        }
        post_file(&front, "Body.\n")
    }),
    ("huge front matter: anchors and aliases", |n| {
        let mut front = String::from("title: &a x\ntags:\n");
        while front.len() < n {
            front.push_str("  - *a\n");
        }
        post_file(&front, "Body.\n")
    }),
    ("unclosed front matter", |n| {
        format!("---\n{}", fill("title: a\n", n))
    }),
];

/// The deep-nesting shapes: the Markdown ones overflow the stack today;
/// YAML flow collections nested deep make the YAML scanner (unsafe-libyaml)
/// quadratic, minutes at 1 MiB, before serde_yaml's depth limit refuses them.
const NESTED: &[Shape] = &[
    ("huge front matter: nested flow", |n| {
        post_file(&format!("tags: {}\n", fill("[", n)), "Body.\n")
    }),
    ("blockquotes nested deep", |n| post_file("", &fill(">", n))),
    ("lists nested deep", |n| {
        let mut body = String::new();
        let mut depth = 0;
        while body.len() + 2 * depth + 4 <= n {
            body.push_str(&" ".repeat(2 * depth));
            body.push_str("- a\n");
            depth += 1;
        }
        post_file("", &body)
    }),
    ("emphasis nested deep", |n| {
        post_file("", &format!("{}a", fill("*_", n)))
    }),
    ("links nested deep", |n| post_file("", &fill("[", n))),
];

/// Schedule files: cron expressions of many fields, of long lists.
const SCHEDULES: &[Shape] = &[
    ("very many cron fields", |n| fill("0 ", n)),
    ("a cron field of a long list", |n| {
        format!("0 0 9 {} * *", fill("1,", n).trim_end_matches(','))
    }),
    ("a cron field of long ranges and steps", |n| {
        format!("0 {} * * * *", fill("0-59/1,", n).trim_end_matches(','))
    }),
    ("a cron field of digits", |n| {
        format!("0 0 {} * * *", fill("9", n))
    }),
];

/// Configuration files: many channels, groups, unknown rules.
/// A configuration shape: name, and the files it makes at a size.
type ConfigShape = (&'static str, fn(usize) -> Vec<RepoFile>);

const CONFIGS: &[ConfigShape] = &[
    ("channels.yaml with many channels", |n| {
        let mut text = String::from("channels:\n");
        let mut i = 0;
        while text.len() < n {
            text.push_str(&format!(
                "  c{i}: {{ platform: mastodon, base_url: \"https://m.example\", token: \"env:T\" }}\n"
            ));
            i += 1;
        }
        vec![
            repo_file(config::CHANNELS_FILE, &text),
            repo_file(config::POLICY_FILE, POLICY),
        ]
    }),
    ("a group of very many members", |n| {
        let text = format!(
            "channels:\n  f: {{ platform: feed, path: f.xml, title: T }}\ngroups:\n  g: [{}]\n",
            fill("f, ", n)
        );
        vec![
            repo_file(config::CHANNELS_FILE, &text),
            repo_file(config::POLICY_FILE, POLICY),
        ]
    }),
    ("policy.yaml with many unknown rules", |n| {
        let mut text = String::from("severity:\n");
        let mut i = 0;
        while text.len() < n {
            text.push_str(&format!("  nosuch/rule-{i}: off\n"));
            i += 1;
        }
        vec![
            repo_file(config::CHANNELS_FILE, EVERY_PLATFORM),
            repo_file(config::POLICY_FILE, &text),
        ]
    }),
    ("a group of very many unknown members", |n| {
        let text = format!(
            "channels:\n  f: {{ platform: feed, path: f.xml, title: T }}\ngroups:\n  g: [{}]\n",
            fill("nosuch, ", n)
        );
        vec![
            repo_file(config::CHANNELS_FILE, &text),
            repo_file(config::POLICY_FILE, POLICY),
        ]
    }),
    ("a schedule of very many unknown channels", |n| {
        let text = format!(
            "cron: \"0 0 9 * * *\"\ntimezone: UTC\nchannels: [{}]\n",
            fill("nosuch, ", n)
        );
        vec![
            repo_file(config::CHANNELS_FILE, EVERY_PLATFORM),
            repo_file(config::POLICY_FILE, POLICY),
            repo_file("schedules/s.yaml", &text),
        ]
    }),
];

/// Runs `f` on a thread with a normal stack; a panic or overflow fails the test.
fn on_normal_stack<T: Send + 'static>(name: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .name(name.to_string())
        .stack_size(STACK)
        .spawn(f)
        .expect("spawn")
        .join()
        .unwrap_or_else(|_| panic!("{name}: panicked"))
}

/// A post through the loader and every platform's renderer, as the fuzz
/// targets `front_matter`, `markdown_doc` and `render` drive them.
fn post_pipeline(file: &str, config: &Config) -> Option<Post> {
    let _ = content::front_matter::split(file);
    let post = content::parse("content/tips/large.md", file).ok()?;
    let _ = post.doc.texts();
    let _ = Doc::parse(&post.body, post.body_offset);
    for channel in config.channels.values() {
        let rendered = render::render(&post, channel);
        assert!(!rendered.parts.is_empty());
    }
    Some(post)
}

/// Raw text through every counter and the facets (`length`), and with
/// `split` the splitter too.
fn text_pipeline(text: &str, split: bool) {
    let _ = length::x_weighted(text);
    let _ = length::mastodon(text);
    let _ = length::threads(text);
    let _ = length::bluesky(text);
    let _ = facets::detect(text);
    if split {
        let _ = thread::split(text, 280, length::x_weighted);
    }
}

fn schedule_of(cron: croner::Cron) -> Schedule {
    Schedule {
        name: "large".into(),
        file: "schedules/large.yaml".into(),
        cron,
        cron_text: String::new(),
        timezone: chrono_tz::America::New_York,
        channels: vec!["site-feed".into()],
        pick: schedule::Pick {
            tags: vec![],
            order: schedule::Order::Rotate,
            repeat_after: TimeDelta::zero(),
        },
        catch_up: TimeDelta::hours(1),
        skip_dates: vec![],
    }
}

/// A cron expression through the parser and, if it parses, the slots of a
/// week (`schedule`), and as a schedule file through the loader (`config`).
fn schedule_pipeline(cron: &str) {
    if let Ok(parsed) = schedule::parse_cron(cron) {
        let s = schedule_of(parsed);
        let from = DateTime::<Utc>::from_timestamp(1_772_870_400, 0).unwrap();
        let _ = slots::between(&s, from, from + TimeDelta::days(7));
        let _ = slots::latest(&s, from, from + TimeDelta::days(7), 3);
        let _ = slots::next_after(&s, from);
    }
    let file = format!("cron: \"{cron}\"\ntimezone: America/New_York\nchannels: [site-feed]\n");
    let _ = config::load_files(vec![
        repo_file(config::CHANNELS_FILE, EVERY_PLATFORM),
        repo_file(config::POLICY_FILE, POLICY),
        repo_file("schedules/large.yaml", &file),
    ]);
}

fn check_posts(shapes: &'static [Shape]) {
    for (name, make) in shapes {
        let file = make(MIB);
        assert!(file.len() <= MIB + 100, "{name}: {} bytes", file.len());
        on_normal_stack(name, move || {
            let config = every_platform();
            post_pipeline(&file, &config);
            text_pipeline(&file, false);
        });
    }
}

#[test]
fn one_mebibyte_posts_of_every_shape_load_and_render_everywhere() {
    check_posts(POSTS);
}

#[test]
fn one_mebibyte_posts_split_into_threads_everywhere() {
    // The split is linear but counts every part, which a debug build does
    // slowly: two shapes here (words, and one word cut between graphemes);
    // `growth` splits every shape.
    for (name, make) in &POSTS[..2] {
        let file = threaded(&make(MIB));
        on_normal_stack(name, move || {
            let config = every_platform();
            let post = post_pipeline(&file, &config).expect("the post loads");
            assert!(post.meta.thread);
            text_pipeline(&post.body, true);
        });
    }
}

#[test]
fn one_mebibyte_of_deep_nesting_loads_and_renders_everywhere() {
    check_posts(NESTED);
}

#[test]
fn one_mebibyte_cron_expressions_parse_or_are_refused() {
    for (name, make) in SCHEDULES {
        let cron = make(MIB);
        on_normal_stack(name, move || schedule_pipeline(&cron));
    }
}

#[test]
fn one_mebibyte_configuration_files_load_or_are_refused() {
    for (name, make) in CONFIGS {
        let files = make(MIB);
        on_normal_stack(name, move || {
            let _ = config::load_files(files);
        });
    }
}

/// The time of the pipeline on one input: the best of three, or of one
/// when a run takes more than a second.
fn best_of_three(f: &dyn Fn()) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        f();
        best = best.min(start.elapsed());
        if best > Duration::from_secs(1) {
            break;
        }
    }
    best
}

/// Prints, per shape, the time at 256 KiB and at 1 MiB and their ratio:
/// about 4 is linear, about 16 quadratic. Not a test of time: it asserts
/// nothing about it, and is ignored unless asked for.
#[test]
#[ignore = "a measurement, not a test: run it in release mode with --ignored --nocapture"]
fn growth() {
    let config = std::sync::Arc::new(every_platform());
    let quarter = MIB / 4;
    let measure = |name: &str, small: Box<dyn Fn() + Send>, large: Box<dyn Fn() + Send>| {
        let name = name.to_string();
        // HEALTHCAST_GROWTH=text measures only the shapes whose name holds it.
        if std::env::var("HEALTHCAST_GROWTH").is_ok_and(|only| !name.contains(&only)) {
            return;
        }
        let (a, b) = on_normal_stack(&name, move || {
            (best_of_three(&*small), best_of_three(&*large))
        });
        eprintln!(
            "{name:45} {:>10.1} ms {:>10.1} ms  x{:.1}",
            ms(a),
            ms(b),
            ratio(a, b)
        );
    };
    eprintln!("{:45} {:>13} {:>13}  ratio", "shape", "256 KiB", "1 MiB");
    for (name, make) in POSTS {
        let (small, large) = (threaded(&make(quarter)), threaded(&make(MIB)));
        let (c1, c2) = (config.clone(), config.clone());
        measure(
            name,
            Box::new(move || {
                post_pipeline(&small, &c1);
                text_pipeline(&small, true);
            }),
            Box::new(move || {
                post_pipeline(&large, &c2);
                text_pipeline(&large, true);
            }),
        );
    }
    for (name, make) in SCHEDULES {
        let (small, large) = (make(quarter), make(MIB));
        measure(
            name,
            Box::new(move || schedule_pipeline(&small)),
            Box::new(move || schedule_pipeline(&large)),
        );
    }
    for (name, make) in CONFIGS {
        let (small, large) = (make(quarter), make(MIB));
        measure(
            name,
            Box::new(move || {
                config::load_files(small.clone());
            }),
            Box::new(move || {
                config::load_files(large.clone());
            }),
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn ratio(a: Duration, b: Duration) -> f64 {
    b.as_secs_f64() / a.as_secs_f64().max(1e-9)
}
