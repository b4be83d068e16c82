//! Cron expression and time zone → slots. The input is lines: the cron
//! expression, the IANA zone, optionally the window's start (RFC 3339) and
//! its length in seconds. Slots come in order, inside the window, never on a
//! skip date, each a time the expression matches; `latest` and `next_after`
//! agree with `between`.
#![no_main]

use chrono::{DateTime, TimeDelta, Utc};
use healthcast::config::Schedule;
use healthcast::config::schedule::{self, Order, Pick};
use healthcast::plan::slots;
use healthcast_fuzz::text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = text(data);
    let mut lines = input.split('\n');
    let cron_text = lines.next().unwrap_or_default();
    let zone = lines.next().unwrap_or_default();
    let from = lines
        .next()
        .and_then(|l| DateTime::parse_from_rfc3339(l.trim()).ok())
        .map(|t| t.with_timezone(&Utc))
        // A Saturday before New York's spring-forward night.
        .unwrap_or_else(|| DateTime::from_timestamp(1_772_870_400, 0).unwrap_or_default());
    // Up to 8 days: the slot cap, not the window, bounds a per-second schedule.
    let window = lines
        .next()
        .and_then(|l| l.trim().parse::<i64>().ok())
        .map_or(3 * 86_400, |s| s.clamp(0, 8 * 86_400));
    let timezone = schedule::parse_timezone(zone.trim());
    let Ok(cron) = schedule::parse_cron(cron_text) else {
        return;
    };
    let timezone = timezone.unwrap_or(chrono_tz::America::New_York);
    let Some(until) = from.checked_add_signed(TimeDelta::seconds(window)) else {
        return;
    };
    let skip = from.with_timezone(&timezone).date_naive().succ_opt();
    let schedule = Schedule {
        name: "fuzz".into(),
        file: "schedules/fuzz.yaml".into(),
        cron,
        cron_text: cron_text.to_string(),
        timezone,
        channels: vec!["site-feed".into()],
        pick: Pick {
            tags: vec![],
            order: Order::Rotate,
            repeat_after: TimeDelta::zero(),
        },
        catch_up: TimeDelta::hours(1),
        skip_dates: skip.into_iter().collect(),
    };
    let all = slots::between(&schedule, from, until);
    assert!(all.len() <= slots::MAX_SLOTS_PER_SCHEDULE);
    for pair in all.windows(2) {
        assert!(pair[0] < pair[1], "slots out of order: {pair:?}");
    }
    for at in &all {
        assert!(
            from <= *at && *at < until,
            "slot {at} outside [{from}, {until})"
        );
        let local = at.with_timezone(&timezone);
        assert!(
            !schedule.skip_dates.contains(&local.date_naive()),
            "slot {at} on a skip date"
        );
    }
    let complete = all.len() < slots::MAX_SLOTS_PER_SCHEDULE;
    let latest = slots::latest(&schedule, from, until, 3);
    assert!(latest.len() <= 3);
    if complete {
        let tail = &all[all.len().saturating_sub(3)..];
        assert_eq!(
            latest, tail,
            "latest disagrees with between for `{cron_text}` in {timezone}"
        );
    }
    let next = slots::next_after(&schedule, from);
    if let Some(next) = next {
        assert!(next > from, "next_after({from}) = {next}");
    }
    if let Some(first) = all.iter().find(|at| **at > from) {
        assert_eq!(
            next,
            Some(*first),
            "next_after disagrees with between for `{cron_text}`"
        );
    }
});
