//! Front matter in two stages: `split` cuts the YAML off the Markdown (we do it
//! ourselves: pulldown-cmark's metadata-block option also takes a `---` pair in
//! the middle of a document, its issue #1000), then `parse` deserializes it
//! into [`FrontMatter`], where every key is known and typed.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// The raw parts of a post file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<'a> {
    /// The YAML between the delimiters.
    pub yaml: &'a str,
    /// 1-based line of the file where `yaml` starts.
    pub yaml_line: usize,
    /// Byte offset of `yaml` in the file.
    pub yaml_offset: usize,
    /// The Markdown after the closing delimiter.
    pub body: &'a str,
    /// Byte offset of `body` in the file.
    pub body_offset: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitError {
    /// The file does not start with `---`.
    Missing,
    /// The opening `---` has no closing `---`.
    Unclosed,
}

/// Splits `text` into front matter and body. The front matter starts with a
/// `---` line as the very first line and ends at the next `---` (or `...`) line.
pub fn split(text: &str) -> Result<Split<'_>, SplitError> {
    let text_no_bom = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom = text.len() - text_no_bom.len();
    let first_line_end = text_no_bom.find('\n').unwrap_or(text_no_bom.len());
    if text_no_bom[..first_line_end].trim_end() != "---" {
        return Err(SplitError::Missing);
    }
    let yaml_start = bom + (first_line_end + 1).min(text_no_bom.len());
    let mut offset = yaml_start;
    for raw in text[yaml_start..].split_inclusive('\n') {
        let trimmed = raw.trim_end();
        if trimmed == "---" || trimmed == "..." {
            return Ok(Split {
                yaml: &text[yaml_start..offset],
                yaml_line: 2,
                yaml_offset: yaml_start,
                body: &text[offset + raw.len()..],
                body_offset: offset + raw.len(),
            });
        }
        offset += raw.len();
    }
    Err(SplitError::Unclosed)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Tip,
    News,
    Alert,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Tip => "tip",
            Kind::News => "news",
            Kind::Alert => "alert",
        }
    }

    /// News and alerts go out at their own `publish_at`; tips are picked by schedules.
    pub fn is_timed(self) -> bool {
        matches!(self, Kind::News | Kind::Alert)
    }
}

/// Everything a writer can say about a post. Unknown keys are errors: a typo
/// must not silently drop a rule.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub id: Option<String>,
    pub title: Option<String>,
    pub kind: Option<Kind>,
    pub publish_at: Option<Timestamp>,
    pub expires: Option<Expiry>,
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub hashtags: Vec<String>,
    pub link: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    pub review: Option<Review>,
    pub image: Option<Image>,
    pub content_warning: Option<String>,
    pub consent: Option<String>,
    #[serde(default)]
    pub thread: bool,
    pub lang: Option<String>,
    #[serde(default)]
    pub overrides: BTreeMap<String, Override>,
    #[serde(default)]
    pub draft: bool,
}

/// The medical sign-off: who reviewed the post, and when.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    pub by: String,
    pub on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    pub path: String,
    pub alt: Option<String>,
    pub credit: Option<String>,
    pub license: Option<String>,
}

/// A per-platform override: verbatim text, or skip that platform.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    pub text: Option<String>,
    #[serde(default)]
    pub skip: bool,
}

/// An instant written with its UTC offset (`2026-11-24T08:00:00-05:00`).
/// An offset is required: a bare local time is ambiguous across zones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Timestamp(pub DateTime<FixedOffset>);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_timestamp(&text).map(Timestamp).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a date and time with a UTC offset; write e.g. 2026-11-24T08:00:00-05:00"
            ))
        })
    }
}

pub fn parse_timestamp(text: &str) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .ok()
        .or_else(|| DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%:z").ok())
        .or_else(|| DateTime::parse_from_str(text, "%Y-%m-%d %H:%M%:z").ok())
        .or_else(|| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M%:z").ok())
}

/// When a post stops being publishable: a date (the whole day still counts,
/// in the organisation's time zone) or an exact instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Expiry {
    Date(NaiveDate),
    At(DateTime<FixedOffset>),
}

impl<'de> Deserialize<'de> for Expiry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if let Ok(date) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
            return Ok(Expiry::Date(date));
        }
        if let Some(at) = parse_timestamp(&text) {
            return Ok(Expiry::At(at));
        }
        if NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S").is_ok() {
            return Err(serde::de::Error::custom(format!(
                "`{text}` has no UTC offset; write e.g. 2026-12-31 or 2026-12-31T17:00:00-05:00"
            )));
        }
        Err(serde::de::Error::custom(format!(
            "`{text}` is not a date; write e.g. 2026-12-31 or 2026-12-31T17:00:00-05:00"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_finds_yaml_and_body_with_offsets() {
        let text = "---\ntitle: a\n---\nBody\n";
        let s = split(text).unwrap();
        assert_eq!(s.yaml, "title: a\n");
        assert_eq!(s.yaml_line, 2);
        assert_eq!(s.body, "Body\n");
        assert_eq!(&text[s.body_offset..], "Body\n");
    }

    #[test]
    fn split_keeps_a_later_thematic_break_pair_in_the_body() {
        let text = "---\ntitle: a\n---\nOne\n\n---\nnot: yaml\n---\n";
        let s = split(text).unwrap();
        assert_eq!(s.yaml, "title: a\n");
        assert_eq!(s.body, "One\n\n---\nnot: yaml\n---\n");
    }

    #[test]
    fn split_reports_missing_and_unclosed_front_matter() {
        assert_eq!(split("title: a\n"), Err(SplitError::Missing));
        assert_eq!(split(""), Err(SplitError::Missing));
        assert_eq!(split("---\ntitle: a\nBody\n"), Err(SplitError::Unclosed));
    }

    #[test]
    fn split_accepts_crlf_and_a_byte_order_mark() {
        let s = split("\u{feff}---\r\ntitle: a\r\n---\r\nBody").unwrap();
        assert_eq!(s.yaml, "title: a\r\n");
        assert_eq!(s.body, "Body");
    }

    #[test]
    fn timestamps_need_an_offset() {
        assert!(parse_timestamp("2026-11-24T08:00:00-05:00").is_some());
        assert!(parse_timestamp("2026-11-24 08:00-05:00").is_some());
        assert!(parse_timestamp("2026-11-24T08:00:00").is_none());
    }
}
