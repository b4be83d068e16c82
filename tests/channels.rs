//! Every platform's example configuration parses, previews with the
//! platform's own limit, and keeps its secrets out of the output.

mod common;

use chrono::{TimeDelta, Utc};
use common::TempRepo;
use serde_json::Value;

/// The example channels of schedules/channels.yaml, uncommented.
fn every_channel() -> String {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schedules/channels.yaml"
    ))
    .unwrap();
    let mut out = String::new();
    for line in example.lines() {
        // "  # name:" and "  #   key: value" lines become channel entries.
        match line.strip_prefix("  # ") {
            Some(rest) if !rest.starts_with(' ') && rest.ends_with(':') => {
                out.push_str(&format!("  {rest}\n"))
            }
            Some(rest) if rest.starts_with("  ") => out.push_str(&format!("  {rest}\n")),
            _ => out.push_str(&format!("{line}\n")),
        }
    }
    out
}

#[test]
fn every_platform_s_example_configuration_is_valid_and_previews_with_its_limit() {
    let repo = TempRepo::new();
    let channels = every_channel().replace(
        "public: [site-feed]",
        "public: [site-feed, mastodon, bluesky, x, linkedin, facebook, threads, telegram, ops-slack, discord, teams, website]",
    );
    assert!(
        channels.contains("  mastodon:\n    platform: mastodon\n"),
        "{channels}"
    );
    repo.write("schedules/channels.yaml", &channels);
    repo.news("soon", Utc::now() + TimeDelta::hours(2));
    let out = common::healthcast()
        .arg("--repo")
        .arg(repo.path())
        .args(["preview", "--format", "json", "--days", "1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let limits: std::collections::BTreeMap<String, Value> = v["publications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["platform"].as_str().unwrap().to_string(),
                p["limit"].clone(),
            )
        })
        .collect();
    assert_eq!(limits.len(), 12, "{limits:?}");
    assert_eq!(limits["x"], 280);
    assert_eq!(limits["mastodon"], 500);
    assert_eq!(limits["bluesky"], 300);
    assert_eq!(limits["linkedin"], 3000);
    assert_eq!(limits["facebook"], 63206);
    assert_eq!(limits["threads"], 500);
    assert_eq!(limits["telegram"], 4096);
    assert_eq!(limits["discord"], 2000);
    assert_eq!(limits["feed"], Value::Null);
}
