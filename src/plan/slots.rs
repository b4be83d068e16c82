//! Slot instants of a schedule, computed in the schedule's own time zone with
//! croner and chrono-tz. This is the single source of truth for *when*: the
//! cron scheduler only wakes the daemon (its time-zone jobs keep the UTC
//! offset of their first tick and drift by an hour after a DST change,
//! tokio-cron-scheduler issue #107), and a 09:00 slot stays at 09:00 local
//! time on both sides of both DST changes.

use crate::config::Schedule;
use chrono::{DateTime, NaiveDateTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// No window yields more slots per schedule than this; a per-second schedule
/// previewed over 30 days would otherwise make millions.
pub const MAX_SLOTS_PER_SCHEDULE: usize = 100_000;

/// The slot instants of `schedule` in `[from, until)`, minus its skip dates
/// (dates in the schedule's zone).
pub fn between(
    schedule: &Schedule,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    // croner keeps the fraction of a second it starts from: start from the
    // first whole second at or after `from`, so that every slot is one.
    let Some(start) = ceil_second(from) else {
        return out;
    };
    let mut cursor = start.with_timezone(&schedule.timezone);
    let mut inclusive = true;
    while out.len() < MAX_SLOTS_PER_SCHEDULE {
        let Ok(next) = schedule.cron.find_next_occurrence(&cursor, inclusive) else {
            break;
        };
        let at = next.with_timezone(&Utc);
        if at >= until {
            break;
        }
        if is_slot(schedule, &next) && !schedule.skip_dates.contains(&next.date_naive()) {
            out.push(at);
        }
        cursor = next;
        inclusive = false;
    }
    out
}

/// The latest `n` slots of `schedule` in `[from, until)`, oldest first,
/// found walking back from `until`: after downtime only the latest slots
/// matter, and a frequent schedule has too many to list them all.
pub fn latest(
    schedule: &Schedule,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    n: usize,
) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    // croner steps back from a whole second: start from `until`'s whole
    // second, which is inside the window when `until` has a fraction of a
    // second (and is the window's open end when it has none).
    let Some(start) = until.with_nanosecond(0) else {
        return out;
    };
    let mut inclusive = start < until;
    let mut cursor = start.with_timezone(&schedule.timezone);
    while out.len() < n {
        let Ok(previous) = schedule.cron.find_previous_occurrence(&cursor, inclusive) else {
            break;
        };
        inclusive = false;
        cursor = previous;
        if previous.with_timezone(&Utc) < from {
            break;
        }
        // A time that a DST gap skips (02:30 on spring-forward night) is
        // snapped by croner to the second before the gap when searching
        // backwards, but to the first second after it when searching
        // forwards, as `between` and `next_after` do. Take the forward
        // one, so that a slot is the same instant (and ledger key) however
        // it was found; for any other slot it is the slot itself.
        let slot = schedule
            .cron
            .find_next_occurrence(&previous, true)
            .unwrap_or(previous);
        let at = slot.with_timezone(&Utc);
        if at >= until || out.last() == Some(&at) || !is_slot(schedule, &slot) {
            continue;
        }
        if !schedule.skip_dates.contains(&slot.date_naive()) {
            out.push(at);
        }
    }
    out.reverse();
    out
}

/// The first slot after `at` that is not a skip date: when the daemon next
/// has something to do.
pub fn next_after(schedule: &Schedule, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    // From `at`'s whole second: the first slot after it is after `at` too,
    // and a whole second (croner keeps the fraction it starts from).
    let local = at.with_nanosecond(0)?.with_timezone(&schedule.timezone);
    let mut cursor = local;
    for _ in 0..1000 {
        let next = schedule.cron.find_next_occurrence(&cursor, false).ok()?;
        if schedule.skip_dates.contains(&next.date_naive()) {
            // Past the whole skip date at once: a frequent schedule has
            // more slots in one day than this loop has turns.
            cursor = next
                .date_naive()
                .and_hms_opt(23, 59, 59)
                .and_then(|end| schedule.timezone.from_local_datetime(&end).latest())
                .filter(|end| *end > next)
                .unwrap_or(next);
            continue;
        }
        if is_slot(schedule, &next) {
            return Some(next.with_timezone(&Utc));
        }
        cursor = next;
    }
    None
}

/// Whether `found`, an instant croner returned, is a slot: a time the
/// expression matches, or the first second after a DST gap that skipped
/// one (croner snaps a fixed time in a gap forwards to there). croner also
/// returns the end of a gap its search merely passed through, without
/// checking the time of day (`0 30 1 * * *` in New York gives 03:00 on
/// spring-forward night as well as 01:30): that is no slot.
fn is_slot(schedule: &Schedule, found: &DateTime<Tz>) -> bool {
    let matches = |naive: NaiveDateTime| {
        // croner matches the local wall time, whatever the offset.
        let probe = Utc.from_utc_datetime(&naive);
        schedule.cron.is_time_matching(&probe).unwrap_or(false)
    };
    let end = found.naive_local();
    if matches(end) {
        return true;
    }
    // The wall times skipped just before `found`: none unless it ends a gap.
    let Some(mut skipped) = found
        .checked_sub_signed(TimeDelta::seconds(1))
        .and_then(|before| {
            before
                .naive_local()
                .checked_add_signed(TimeDelta::seconds(1))
        })
    else {
        return false;
    };
    while skipped < end {
        if matches(skipped) {
            return true;
        }
        skipped += TimeDelta::seconds(1);
    }
    false
}

/// The first whole second at or after `at`.
fn ceil_second(at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let whole = at.with_nanosecond(0)?;
    if whole == at {
        Some(whole)
    } else {
        whole.checked_add_signed(TimeDelta::seconds(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::schedule::{Order, Pick, parse_cron};
    use chrono::{NaiveDate, TimeDelta, TimeZone};
    use chrono_tz::America::New_York;

    fn schedule(cron: &str, skip: &[NaiveDate]) -> Schedule {
        Schedule {
            name: "s".into(),
            file: "schedules/s.yaml".into(),
            cron: parse_cron(cron).unwrap(),
            cron_text: cron.into(),
            timezone: New_York,
            channels: vec!["feed".into()],
            pick: Pick {
                tags: vec![],
                order: Order::Rotate,
                repeat_after: TimeDelta::zero(),
            },
            catch_up: TimeDelta::hours(1),
            skip_dates: skip.to_vec(),
        }
    }

    fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn nine_am_new_york_stays_nine_am_across_spring_forward() {
        // DST starts on Sunday 2026-03-08 at 02:00 local.
        let s = schedule("0 0 9 * * *", &[]);
        let got = between(&s, utc(2026, 3, 7, 0), utc(2026, 3, 10, 0));
        assert_eq!(
            got,
            [
                utc(2026, 3, 7, 14),
                utc(2026, 3, 8, 13),
                utc(2026, 3, 9, 13)
            ]
        );
        for at in got {
            assert_eq!(
                at.with_timezone(&New_York).format("%H:%M").to_string(),
                "09:00"
            );
        }
    }

    #[test]
    fn nine_am_new_york_stays_nine_am_across_fall_back() {
        // DST ends on Sunday 2026-11-01 at 02:00 local.
        let s = schedule("0 0 9 * * *", &[]);
        let got = between(&s, utc(2026, 10, 31, 0), utc(2026, 11, 3, 0));
        assert_eq!(
            got,
            [
                utc(2026, 10, 31, 13),
                utc(2026, 11, 1, 14),
                utc(2026, 11, 2, 14)
            ]
        );
        for at in got {
            assert_eq!(
                at.with_timezone(&New_York).format("%H:%M").to_string(),
                "09:00"
            );
        }
    }

    #[test]
    fn weekday_schedule_skips_weekends_and_skip_dates() {
        let christmas = NaiveDate::from_ymd_opt(2026, 12, 25).unwrap();
        let s = schedule("0 0 9 * * Mon-Fri", &[christmas]);
        // Mon 2026-12-21 … Sun 2026-12-27: Mon–Thu, not Fri (skip date) nor the weekend.
        let got = between(&s, utc(2026, 12, 21, 0), utc(2026, 12, 28, 0));
        let days: Vec<u32> = got
            .iter()
            .map(|d| {
                d.with_timezone(&New_York)
                    .format("%d")
                    .to_string()
                    .parse()
                    .unwrap()
            })
            .collect();
        assert_eq!(days, [21, 22, 23, 24]);
    }

    #[test]
    fn window_start_is_inclusive_and_end_exclusive() {
        let s = schedule("0 0 9 * * *", &[]);
        let got = between(&s, utc(2026, 1, 5, 14), utc(2026, 1, 6, 14));
        assert_eq!(got, [utc(2026, 1, 5, 14)]);
    }

    #[test]
    fn slots_are_whole_seconds_when_the_window_starts_mid_second() {
        // Found by the `schedule` fuzz target: croner kept the half second
        // of `from`, so slots came out at 09:00:00.5 and never matched the
        // ledger's 09:00:00.
        let s = schedule("0 0 9 * * *", &[]);
        let half = TimeDelta::milliseconds(500);
        let from = utc(2026, 1, 5, 14) + half;
        let got = between(&s, utc(2026, 1, 5, 14) - half, utc(2026, 1, 7, 14) + half);
        assert_eq!(
            got,
            [
                utc(2026, 1, 5, 14),
                utc(2026, 1, 6, 14),
                utc(2026, 1, 7, 14)
            ]
        );
        assert_eq!(
            between(&s, from, utc(2026, 1, 6, 15)),
            [utc(2026, 1, 6, 14)]
        );
        assert_eq!(next_after(&s, from), Some(utc(2026, 1, 6, 14)));
        assert_eq!(
            next_after(&s, from - half - half),
            Some(utc(2026, 1, 5, 14))
        );
        let every_second = schedule("* * * * * *", &[]);
        let got = between(&every_second, from, from + TimeDelta::seconds(2));
        assert_eq!(
            got,
            [
                utc(2026, 1, 5, 14) + TimeDelta::seconds(1),
                utc(2026, 1, 5, 14) + TimeDelta::seconds(2)
            ]
        );
        assert_eq!(
            latest(&every_second, from, from + TimeDelta::seconds(2), 3),
            got
        );
    }

    #[test]
    fn a_slot_skipped_by_spring_forward_is_the_same_instant_forwards_and_backwards() {
        // Found by the `schedule` fuzz target: 02:30 does not exist in New
        // York on 2026-03-08; between() gave 03:00 EDT (07:00Z), latest()
        // 01:59:59 EST (06:59:59Z), so the daemon published under another
        // key than the preview showed.
        let s = schedule("0 30 2 * * *", &[]);
        let (from, until) = (utc(2026, 3, 7, 0), utc(2026, 3, 10, 0));
        let forwards = between(&s, from, until);
        assert_eq!(
            forwards,
            [
                Utc.with_ymd_and_hms(2026, 3, 7, 7, 30, 0).unwrap(),
                utc(2026, 3, 8, 7),
                Utc.with_ymd_and_hms(2026, 3, 9, 6, 30, 0).unwrap(),
            ]
        );
        assert_eq!(latest(&s, from, until, 3), forwards);
        assert_eq!(
            latest(&s, from, utc(2026, 3, 8, 8), 1),
            [utc(2026, 3, 8, 7)]
        );
        // The window ends between the two: the slot is not in it yet.
        let just_before = utc(2026, 3, 8, 7) - TimeDelta::milliseconds(500);
        assert_eq!(latest(&s, from, just_before, 1), [forwards[0]]);
        assert_eq!(next_after(&s, just_before), Some(utc(2026, 3, 8, 7)));
    }

    #[test]
    fn a_search_through_a_dst_gap_adds_no_slot() {
        // Found by the `schedule` fuzz target: croner's search from 01:30:01
        // on spring-forward night runs into the gap at 02:00 and returns its
        // end, 03:00 EDT, although the schedule says 01:30: preview showed a
        // second publication that day.
        let s = schedule("0 30 1 * * *", &[]);
        let (from, until) = (utc(2026, 3, 7, 0), utc(2026, 3, 10, 0));
        let at = |d, h| Utc.with_ymd_and_hms(2026, 3, d, h, 30, 0).unwrap();
        let expected = [at(7, 6), at(8, 6), at(9, 5)];
        assert_eq!(between(&s, from, until), expected);
        assert_eq!(latest(&s, from, until, 3), expected);
        assert_eq!(next_after(&s, at(8, 6)), Some(at(9, 5)));
        // Just after the gap, searching backwards through it.
        let s = schedule("0 30 3 * * *", &[]);
        let expected = [at(7, 8), at(8, 7), at(9, 7)];
        assert_eq!(between(&s, from, until), expected);
        assert_eq!(latest(&s, from, until, 3), expected);
    }

    #[test]
    fn next_after_skips_a_whole_skip_date_of_a_frequent_schedule() {
        // Found by the `schedule` fuzz target: every second of the midnight
        // hour with that day skipped used up next_after's 1000 turns on the
        // skip date's 3600 slots and said there was no next slot at all.
        let skip = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        let s = schedule("* * 0 * * *", &[skip]);
        assert_eq!(next_after(&s, utc(2026, 3, 7, 8)), Some(utc(2026, 3, 9, 4)));
        let s = schedule("* * * * * *", &[skip]);
        let at = Utc.with_ymd_and_hms(2026, 3, 8, 4, 59, 58).unwrap();
        assert_eq!(next_after(&s, at), Some(at + TimeDelta::seconds(1)));
        assert_eq!(
            next_after(&s, at + TimeDelta::seconds(1)),
            Some(utc(2026, 3, 9, 4))
        );
    }

    #[test]
    fn latest_walks_back_from_the_end_of_the_window() {
        let s = schedule(
            "0 0 9 * * *",
            &[NaiveDate::from_ymd_opt(2026, 11, 4).unwrap()],
        );
        let got = latest(&s, utc(2026, 11, 1, 0), utc(2026, 11, 6, 0), 3);
        // 2 … 5 November at 09:00 New York, without the 4th (a skip date): the latest three.
        assert_eq!(
            got,
            [
                utc(2026, 11, 2, 14),
                utc(2026, 11, 3, 14),
                utc(2026, 11, 5, 14)
            ]
        );
        assert_eq!(
            latest(&s, utc(2026, 11, 5, 15), utc(2026, 11, 6, 0), 3),
            Vec::<DateTime<Utc>>::new()
        );
    }
}
