//! One schedule per file in `schedules/`: when (cron with a seconds field, in
//! an IANA time zone), where (channels or groups), and which tips to pick.

use super::duration::ConfigDuration;
use crate::content::Kind;
use chrono::{NaiveDate, TimeDelta};
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

pub fn parse_timezone(text: &str) -> Result<Tz, String> {
    text.parse::<Tz>().map_err(|_| {
        format!(
            "`{text}` is not an IANA time zone name; write e.g. America/New_York or Europe/London"
        )
    })
}
