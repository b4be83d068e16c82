//! One schedule per file in `schedules/`: when (cron with a seconds field, in
//! an IANA time zone), where (channels or groups), and which tips to pick.

use super::duration::ConfigDuration;
use crate::content::Kind;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleFile {
    pub cron: String,
    pub timezone: String,
    pub channels: Vec<String>,
    #[serde(default)]
    pub pick: PickFile,
    pub catch_up: Option<ConfigDuration>,
    #[serde(default)]
    pub skip_dates: Vec<NaiveDate>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PickFile {
    pub kind: Option<Kind>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub order: Option<Order>,
    pub repeat_after: Option<ConfigDuration>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Least recently published first, ties by id.
    #[default]
    Rotate,
}

/// A validated schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The file name without `.yaml`.
    pub name: String,
    pub file: String,
    pub cron: Cron,
    pub cron_text: String,
    pub timezone: Tz,
    /// Channel names, groups expanded, in config order without repeats.
    pub channels: Vec<String>,
    pub pick: Pick,
    /// How late a missed slot may still go out after downtime.
    pub catch_up: TimeDelta,
    pub skip_dates: Vec<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    pub tags: Vec<String>,
    pub order: Order,
    /// A tip is not picked again for a channel within this long.
    pub repeat_after: TimeDelta,
}

pub const DEFAULT_CATCH_UP: TimeDelta = TimeDelta::hours(1);

/// Parses a cron pattern; the seconds field is required (as in
/// tokio-cron-scheduler), so `0 0 9 * * Mon-Fri` is 09:00:00 on weekdays.
pub fn parse_cron(text: &str) -> Result<Cron, String> {
    let fields = text.split_whitespace().count();
    if fields == 5 {
        return Err(format!(
            "cron `{text}` has 5 fields; healthcast needs the seconds field first, e.g. `0 {text}`"
        ));
    }
    CronParser::builder()
        .seconds(Seconds::Required)
        .build()
        .parse(text)
        .map_err(|e| format!("cron `{text}` is not valid: {e}"))
}

/// How far ahead a schedule must have a slot. The Gregorian calendar
/// repeats every 400 years, dates and weekdays alike, so a pattern without
/// a year field that has no slot in that span has none ever (31 February,
/// 30 February, 31 April); one that fires rarely but really (the fifth
/// Friday of February) is found well within it.
pub const NEVER_FIRES_YEARS: i64 = 400;

/// `Err` with the message when `cron` has no slot, in `timezone`, from
/// `from` to [`NEVER_FIRES_YEARS`] later: a schedule that can never publish
/// is a mistake, not a quiet schedule.
pub fn check_fires(
    cron: &Cron,
    text: &str,
    timezone: Tz,
    from: DateTime<Utc>,
) -> Result<DateTime<Utc>, String> {
    let horizon = from + TimeDelta::days(NEVER_FIRES_YEARS * 366);
    // croner itself gives up at the year 5000: an error is "no slot" too.
    match cron.find_next_occurrence(&from.with_timezone(&timezone), true) {
        Ok(next) if next.with_timezone(&Utc) <= horizon => Ok(next.with_timezone(&Utc)),
        _ => Err(format!(
            "cron `{text}` never fires: no date in the next {NEVER_FIRES_YEARS} years matches its day-of-month, month and day-of-week fields (and year, if given)"
        )),
    }
}

pub fn parse_timezone(text: &str) -> Result<Tz, String> {
    text.parse::<Tz>().map_err(|_| {
        format!(
            "`{text}` is not an IANA time zone name; write e.g. America/New_York or Europe/London"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn fires(text: &str) -> Result<DateTime<Utc>, String> {
        let from = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let cron = parse_cron(text).unwrap();
        check_fires(&cron, text, chrono_tz::America::New_York, from)
    }

    #[test]
    fn impossible_dates_never_fire_and_rare_ones_do() {
        for never in [
            "0 0 9 31 2 *",
            "0 0 0 30 2 *",
            "0 0 9 31 4,6,9,11 *",
            "0 0 9 30-31 2 *",
            // A year field in the past.
            "0 0 9 1 1 * 2020",
        ] {
            let message = fires(never).unwrap_err();
            assert!(message.contains("never fires"), "{never}: {message}");
            assert!(message.contains(never), "{message}");
        }
        // Rare but real: leap days, the fifth Friday of February (2036),
        // 02:30 on the day clocks skip it (croner moves it past the gap).
        assert_eq!(
            fires("0 0 9 29 2 *").unwrap(),
            Utc.with_ymd_and_hms(2028, 2, 29, 14, 0, 0).unwrap()
        );
        assert_eq!(
            fires("0 0 9 * 2 FRI#5").unwrap(),
            Utc.with_ymd_and_hms(2036, 2, 29, 14, 0, 0).unwrap()
        );
        assert!(fires("0 30 2 * 3 SUN#2").is_ok());
        // The help's suggestion for the last day of February.
        assert!(fires("0 0 9 L 2 *").is_ok());
        assert!(fires("0 0 9 * * Mon-Fri").is_ok());
    }
}
