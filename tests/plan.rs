//! The planner: tip rotation, repeat_after, history from the ledger, news at
//! publish_at, and what blocks a publication at its instant.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use healthcast::config::{self, Config};
use healthcast::content::{self, Post};
use healthcast::plan::{self, LedgerView, Publication};
use healthcast::source::RepoFile;
use std::collections::BTreeMap;

fn file(path: &str, text: &str) -> RepoFile {
    RepoFile::new(path, text.as_bytes().to_vec())
}

const CHANNELS: &str = "timezone: America/New_York\nchannels:\n  feed: { platform: feed, path: f.xml, title: T }\n  other: { platform: feed, path: o.xml, title: O }\ngroups:\n  public: [feed, other]\n";
const POLICY: &str = "reviewers: [\"Dr. R\"]\nreview_valid_for: 30d\n";

fn config(schedule: &str) -> Config {
    let loaded = config::load_files(vec![
        file("schedules/channels.yaml", CHANNELS),
        file("schedules/policy.yaml", POLICY),
        file("schedules/daily.yaml", schedule),
    ]);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    loaded.config.unwrap()
}

fn tip(id: &str, extra: &str) -> Post {
    let text = format!(
        "---\nid: {id}\ntitle: {id}\nkind: tip\nreview: {{ by: \"Dr. R\", on: 2026-11-01 }}\n{extra}---\nBody of {id}.\n"
    );
    content::parse(&format!("content/{id}.md"), &text).unwrap()
}

fn utc(m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap()
}

fn picks(publications: &[Publication]) -> Vec<String> {
    publications
        .iter()
        .map(|p| p.post.clone().unwrap_or_else(|| "-".into()))
        .collect()
}

const DAILY: &str = "cron: \"0 0 9 * * *\"\ntimezone: America/New_York\nchannels: [feed]\n";

#[test]
fn rotation_is_least_recently_published_first_with_ties_by_id() {
    let config = config(DAILY);
    let posts = vec![tip("c", ""), tip("a", ""), tip("b", "")];
    let got = plan::plan(
        &config,
        &posts,
        &BTreeMap::new(),
        &LedgerView::default(),
        utc(11, 2, 0),
        utc(11, 7, 0),
    );
    // Earlier picks in the window count as published for later slots.
    assert_eq!(picks(&got), ["a", "b", "c", "a", "b"]);
    assert!(got.iter().all(|p| p.blocked.is_empty()));
}

#[test]
fn plan_is_deterministic_whatever_the_order_of_posts() {
    let config = config(DAILY);
    let one = vec![tip("a", ""), tip("b", ""), tip("c", "")];
    let two = vec![tip("c", ""), tip("b", ""), tip("a", "")];
    let view = LedgerView::default();
    let first = plan::plan(
        &config,
        &one,
        &BTreeMap::new(),
        &view,
        utc(11, 2, 0),
        utc(11, 20, 0),
    );
    let second = plan::plan(
        &config,
        &two,
        &BTreeMap::new(),
        &view,
        utc(11, 2, 0),
        utc(11, 20, 0),
    );
    assert_eq!(first, second);
}

#[test]
fn rotation_continues_from_the_ledger_history() {
    let config = config(DAILY);
    let posts = vec![tip("a", ""), tip("b", ""), tip("c", "")];
    let mut view = LedgerView::default();
    view.last_published
        .insert(("feed".into(), "a".into()), utc(11, 1, 14));
    view.last_published
        .insert(("feed".into(), "b".into()), utc(10, 20, 14));
    let got = plan::plan(
        &config,
        &posts,
        &BTreeMap::new(),
        &view,
        utc(11, 2, 0),
        utc(11, 5, 0),
    );
    assert_eq!(picks(&got), ["c", "b", "a"]);
}

#[test]
fn repeat_after_leaves_a_slot_empty_rather_than_repeat_too_soon() {
    let config = config(
        "cron: \"0 0 9 * * *\"\ntimezone: America/New_York\nchannels: [feed]\npick: { repeat_after: 3d }\n",
    );
    let posts = vec![tip("a", ""), tip("b", "")];
    let got = plan::plan(
        &config,
        &posts,
        &BTreeMap::new(),
        &LedgerView::default(),
        utc(11, 2, 0),
        utc(11, 7, 0),
    );
    assert_eq!(picks(&got), ["a", "b", "-", "a", "b"]);
    assert!(
        got[2].blocked[0].contains("2 went out within repeat_after"),
        "{:?}",
        got[2].blocked
    );
}

#[test]
fn schedule_tags_drafts_expiry_and_holds_limit_the_pick() {
    let config = config(
        "cron: \"0 0 9 * * *\"\ntimezone: America/New_York\nchannels: [feed]\npick: { tags: [flu] }\n",
    );
    let posts = vec![
        tip("a-untagged", ""),
        tip("b-draft", "tags: [flu]\ndraft: true\n"),
        tip("c-expiring", "tags: [flu]\nexpires: 2026-11-02\n"),
        tip("d-held", "tags: [flu]\n"),
        tip("e-ok", "tags: [flu]\n"),
    ];
    let mut holds = BTreeMap::new();
    holds.insert("d-held".to_string(), vec!["privacy/name: …".to_string()]);
    let got = plan::plan(
        &config,
        &posts,
        &holds,
        &LedgerView::default(),
        utc(11, 2, 0),
        utc(11, 5, 0),
    );
    // c expires at the end of 2 November (New York), so it goes out that day only.
    assert_eq!(picks(&got), ["c-expiring", "e-ok", "e-ok"]);
}

#[test]
fn a_review_that_expires_before_the_slot_blocks_the_post() {
    // review_valid_for is 30 days: a review of 1 November covers slots up to 1 December.
    let config = config(DAILY);
    let posts = vec![tip("a", "")];
    let got = plan::plan(
        &config,
        &posts,
        &BTreeMap::new(),
        &LedgerView::default(),
        utc(11, 30, 0),
        utc(12, 3, 0),
    );
    assert_eq!(picks(&got), ["a", "a", "-"]);
    assert!(
        got[2].blocked[0].contains("1 expired, draft or without a valid review"),
        "{:?}",
        got[2].blocked
    );
}

#[test]
fn news_goes_out_at_publish_at_to_every_channel_of_its_group() {
    let config = config(DAILY);
    let news = content::parse(
        "content/news/n.md",
        "---\ntitle: N\nkind: news\npublish_at: 2026-11-24T08:00:00-05:00\nchannels: [public]\nsources: [https://www.cdc.gov]\nreview: { by: \"Dr. R\", on: 2026-11-20 }\noverrides:\n  feed: { skip: false }\n---\nNews.\n",
    )
    .unwrap();
    let got = plan::plan(
        &config,
        std::slice::from_ref(&news),
        &BTreeMap::new(),
        &LedgerView::default(),
        utc(11, 24, 0),
        utc(11, 25, 0),
    );
    let news_only: Vec<_> = got.iter().filter(|p| p.schedule.is_none()).collect();
    assert_eq!(news_only.len(), 2);
    assert_eq!(news_only[0].at, utc(11, 24, 13));
    assert_eq!(
        (news_only[0].channel.as_str(), news_only[1].channel.as_str()),
        ("feed", "other")
    );
    assert_eq!(news_only[0].catch_up, TimeDelta::hours(1));
    assert_eq!(news_only[0].key(), "news/n@feed@2026-11-24T13:00:00Z");

    // Already in the ledger: not planned again.
    let mut view = LedgerView::default();
    view.keys.insert(news_only[0].key());
    let again = plan::plan(
        &config,
        &[news],
        &BTreeMap::new(),
        &view,
        utc(11, 24, 0),
        utc(11, 25, 0),
    );
    assert_eq!(again.iter().filter(|p| p.schedule.is_none()).count(), 1);
}

#[test]
fn a_schedule_slot_recorded_in_the_ledger_is_not_planned_again_with_another_tip() {
    let config = config(DAILY);
    let posts = vec![tip("a", ""), tip("b", "")];
    let mut view = LedgerView::default();
    view.slots
        .insert(("daily".into(), "feed".into(), utc(11, 2, 14)));
    let got = plan::plan(
        &config,
        &posts,
        &BTreeMap::new(),
        &view,
        utc(11, 2, 0),
        utc(11, 4, 0),
    );
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].at, utc(11, 3, 14));
}

#[test]
fn after_downtime_only_the_latest_slot_within_catch_up_is_due_and_missed_slots_keep_the_rotation() {
    let config = config("cron: \"0 0 * * * *\"\ntimezone: UTC\nchannels: [feed]\ncatch_up: 90m\n");
    let posts = vec![tip("a", ""), tip("b", "")];
    // Down from 02:00 to 05:20: slots 03:00, 04:00 and 05:00 passed.
    let now = utc(11, 2, 5) + TimeDelta::minutes(20);
    let due = plan::due(
        &config,
        &posts,
        &BTreeMap::new(),
        &LedgerView::default(),
        utc(11, 2, 2) + TimeDelta::minutes(1),
        now,
    );
    assert_eq!(picks(&due.publications), ["a"]);
    assert_eq!(due.publications[0].at, utc(11, 2, 5));
    let missed: Vec<_> = due.missed.iter().map(|p| p.at).collect();
    assert_eq!(missed, [utc(11, 2, 3), utc(11, 2, 4)]);
    assert!(due.missed.iter().all(|p| p.post.is_none()));
}

#[test]
fn news_found_later_than_its_catch_up_is_missed_not_sent() {
    let config = config(DAILY);
    let text = |id: &str, at: &str| {
        format!(
            "---\ntitle: N\nkind: news\npublish_at: {at}\nchannels: [feed]\nsources: [https://www.cdc.gov]\nreview: {{ by: \"Dr. R\", on: 2026-11-20 }}\n---\n{id}\n"
        )
    };
    let posts = vec![
        content::parse(
            "content/news/recent.md",
            &text("recent", "2026-11-24T12:30:00Z"),
        )
        .unwrap(),
        content::parse("content/news/old.md", &text("old", "2026-11-24T10:30:00Z")).unwrap(),
    ];
    let due = plan::due(
        &config,
        &posts,
        &BTreeMap::new(),
        &LedgerView::default(),
        utc(11, 23, 0),
        utc(11, 24, 13),
    );
    assert_eq!(picks(&due.publications), ["news/recent"]);
    let missed_news: Vec<_> = due
        .missed
        .iter()
        .filter(|p| p.schedule.is_none())
        .cloned()
        .collect();
    assert_eq!(picks(&missed_news), ["news/old"]);
}
