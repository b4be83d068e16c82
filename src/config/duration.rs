//! Durations written the way people write them in YAML: `30m`, `1h`, `90d`.

use chrono::TimeDelta;
use serde::{Deserialize, Deserializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConfigDuration(pub TimeDelta);

impl<'de> Deserialize<'de> for ConfigDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map(ConfigDuration).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a duration; write e.g. 30m, 2h, 90d"
            ))
        })
    }
}

pub fn parse(text: &str) -> Option<TimeDelta> {
    let std = humantime::parse_duration(text.trim()).ok()?;
    TimeDelta::from_std(std).ok()
}

/// Formats a duration the way it is written in config: `1h 30m`, `90d`.
pub fn display(d: TimeDelta) -> String {
    match d.to_std() {
        Ok(std) => humantime::format_duration(std).to_string(),
        Err(_) => format!("-{}", display(-d)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_minutes_hours_and_days() {
        assert_eq!(parse("30m"), Some(TimeDelta::minutes(30)));
        assert_eq!(parse("1h"), Some(TimeDelta::hours(1)));
        assert_eq!(parse("90d"), Some(TimeDelta::days(90)));
        assert_eq!(parse("soon"), None);
        assert_eq!(display(TimeDelta::minutes(90)), "1h 30m");
    }
}
