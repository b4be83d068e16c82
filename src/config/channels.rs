//! `schedules/channels.yaml`: where posts can go (channels), names for sets of
//! channels (groups), where operational alerts go, and the organisation's time
//! zone and catch-up window for news.

use super::duration::ConfigDuration;
use crate::diagnostic::{Diagnostic, Span};
use crate::locate;
use crate::publish;
use crate::yaml::{self, Value};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The raw file, before cross-checks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelsFile {
    pub timezone: Option<String>,
    /// How late a news item or alert may still go out (default 1h).
    pub catch_up: Option<ConfigDuration>,
    #[serde(default)]
    pub channels: BTreeMap<String, Value>,
    #[serde(default)]
    pub groups: BTreeMap<String, Vec<String>>,
    /// Channel names, `email:` and `log_file:` targets (see `alerts.rs`).
    #[serde(default)]
    pub alerts: Vec<Value>,
    /// A remote branch for `run` to follow.
    pub sync: Option<SyncSettings>,
}

/// `sync:` in channels.yaml: `run` fetches `remote`'s `branch` every
/// `every` and publishes what it names (the `--sync` and `--sync-every`
/// flags override it).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSettings {
    #[serde(default = "default_remote")]
    pub remote: String,
    pub branch: String,
    pub every: Option<ConfigDuration>,
}

fn default_remote() -> String {
    "origin".to_string()
}

impl SyncSettings {
    /// Why the remote or branch name cannot be used, if it cannot: they go
    /// to `git fetch` as arguments, so an option-like or malformed name is
    /// refused here.
    pub fn problem(&self) -> Option<String> {
        let bad = |name: &str| {
            name.is_empty()
                || name.starts_with('-')
                || name.contains("..")
                || name
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || ":~^?*[\\".contains(c))
        };
        if bad(&self.remote) {
            return Some(format!("`{}` is not a usable git remote name", self.remote));
        }
        if bad(&self.branch) {
            return Some(format!("`{}` is not a usable git branch name", self.branch));
        }
        None
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub name: String,
    pub settings: ChannelSettings,
    pub limits: Limits,
}

/// Limits any channel may set in channels.yaml, beside its platform's keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// At most this many publications in any 24 hours.
    pub max_per_day: Option<u32>,
    /// At least this long between two publications.
    pub min_gap: Option<chrono::TimeDelta>,
    /// How long one request to the platform may take (default 30 s).
    pub timeout: Option<chrono::TimeDelta>,
    /// How long after an attempt began the platform is read back to prove
    /// the post absent (default: the timeout plus 30 s). A server may still
    /// commit a request its client gave up on, so absence is only believed
    /// once the request has surely ended there.
    pub readback_after: Option<chrono::TimeDelta>,
}

/// How long a request may take when the channel does not say.
pub const DEFAULT_TIMEOUT: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// How long after a request's timeout a server is assumed to have finished
/// with it, when the channel does not set `readback_after`.
pub const READBACK_MARGIN: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

impl Limits {
    /// The request timeout.
    pub fn timeout(&self) -> chrono::TimeDelta {
        self.timeout.unwrap_or(DEFAULT_TIMEOUT)
    }

    /// How long after an attempt began its absence can be proven.
    pub fn readback_after(&self) -> chrono::TimeDelta {
        self.readback_after
            .unwrap_or_else(|| self.timeout() + READBACK_MARGIN)
    }
}

/// Per-platform settings. A new platform is a new variant here, its settings
/// struct, and its publisher in `publish/`.
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelSettings {
    Feed(FeedSettings),
    Mastodon(publish::mastodon::Settings),
    Bluesky(publish::bluesky::Settings),
    Linkedin(publish::linkedin::Settings),
    Facebook(publish::facebook::Settings),
    Telegram(publish::telegram::Settings),
    Slack(publish::slack::Settings),
    Discord(publish::discord::Settings),
    Teams(publish::teams::Settings),
    Webhook(publish::webhook::Settings),
    X(publish::x::Settings),
    Threads(publish::threads::Settings),
}

impl Channel {
    pub fn platform(&self) -> &'static str {
        match self.settings {
            ChannelSettings::Feed(_) => "feed",
            ChannelSettings::Mastodon(_) => "mastodon",
            ChannelSettings::Bluesky(_) => "bluesky",
            ChannelSettings::Linkedin(_) => "linkedin",
            ChannelSettings::Facebook(_) => "facebook",
            ChannelSettings::Telegram(_) => "telegram",
            ChannelSettings::Slack(_) => "slack",
            ChannelSettings::Discord(_) => "discord",
            ChannelSettings::Teams(_) => "teams",
            ChannelSettings::Webhook(_) => "webhook",
            ChannelSettings::X(_) => "x",
            ChannelSettings::Threads(_) => "threads",
        }
    }
}

/// An Atom feed file: the default channel that needs no credentials.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSettings {
    /// Path of the feed file, relative to the repository.
    pub path: String,
    pub title: String,
    /// The web page the feed belongs to.
    pub link: Option<String>,
    /// Atom feed id; default `urn:healthcast:feed:<channel name>`.
    pub id: Option<String>,
    pub author: Option<String>,
    /// How many entries the feed keeps, newest first.
    #[serde(default = "default_max_entries")]
    pub max_entries: usize,
}

fn default_max_entries() -> usize {
    50
}

/// Platforms this version publishes to.
pub const SUPPORTED_PLATFORMS: &[&str] = &[
    "feed", "mastodon", "bluesky", "linkedin", "facebook", "telegram", "slack", "discord", "teams",
    "webhook", "x", "threads",
];

/// Builds one channel from its YAML mapping; errors point into `text`.
pub fn channel(
    file: &str,
    text: &str,
    name: &str,
    value: Value,
) -> Result<Channel, Box<Diagnostic>> {
    let at = |path: &[&str]| locate::key(text, path).unwrap_or(Span::point(1, 1));
    let Value::Mapping(mut map) = value else {
        return Err(Box::new(Diagnostic::error(
            file,
            at(&["channels", name]),
            "config/invalid",
            format!("channel `{name}` must be a mapping with a `platform:` key"),
        )));
    };
    let limits = limits(file, text, name, &mut map)?;
    let platform = match map.remove("platform") {
        Some(Value::String(p)) => p,
        _ => {
            return Err(Box::new(
                Diagnostic::error(
                    file,
                    at(&["channels", name]),
                    "config/invalid",
                    format!("channel `{name}` has no `platform:`"),
                )
                .with_help("add e.g. `platform: feed`"),
            ));
        }
    };
    let endpoint = |key: &str, url: &str| {
        publish::http::check_endpoint(url).map_err(|m| {
            Box::new(Diagnostic::error(
                file,
                at(&["channels", name, key]),
                "config/insecure-endpoint",
                format!("channel `{name}`: {m}"),
            ))
        })
    };
    let invalid = |message: String| {
        Box::new(Diagnostic::error(
            file,
            at(&["channels", name]),
            "config/invalid",
            format!("channel `{name}`: {message}"),
        ))
    };
    // A count that can only be a mistake at 0 (it would silently keep one
    // entry, or hold every post): an error at the key.
    let zero = |key: &str, what: &str| {
        Box::new(Diagnostic::error(
            file,
            at(&["channels", name, key]),
            "config/invalid",
            format!("channel `{name}`: `{key}: 0` {what}"),
        ))
    };
    let settings = match platform.as_str() {
        "feed" => {
            let settings: FeedSettings = platform_settings(file, text, name, map)?;
            if settings.max_entries == 0 {
                return Err(zero(
                    "max_entries",
                    "would keep no entry in the feed; write 1 or more (the default is 50)",
                ));
            }
            ChannelSettings::Feed(settings)
        }
        "mastodon" => {
            let settings: publish::mastodon::Settings = platform_settings(file, text, name, map)?;
            endpoint("base_url", &settings.base_url)?;
            if settings.max_characters == Some(0) {
                return Err(zero(
                    "max_characters",
                    "would hold every post as too long; leave it out to use the instance's own limit, or write that limit (e.g. 500)",
                ));
            }
            ChannelSettings::Mastodon(settings)
        }
        "bluesky" => {
            let settings: publish::bluesky::Settings = platform_settings(file, text, name, map)?;
            endpoint("service", &settings.service)?;
            ChannelSettings::Bluesky(settings)
        }
        "linkedin" => {
            let settings: publish::linkedin::Settings = platform_settings(file, text, name, map)?;
            settings
                .api_base
                .as_deref()
                .map_or(Ok(()), |url| endpoint("api_base", url))?;
            settings.validate().map_err(invalid)?;
            ChannelSettings::Linkedin(settings)
        }
        "facebook" => {
            let settings: publish::facebook::Settings = platform_settings(file, text, name, map)?;
            settings
                .graph_base
                .as_deref()
                .map_or(Ok(()), |url| endpoint("graph_base", url))?;
            settings.validate().map_err(invalid)?;
            ChannelSettings::Facebook(settings)
        }
        "telegram" => {
            let settings: publish::telegram::Settings = platform_settings(file, text, name, map)?;
            settings
                .api_base
                .as_deref()
                .map_or(Ok(()), |url| endpoint("api_base", url))?;
            ChannelSettings::Telegram(settings)
        }
        // The webhook URLs of these three are secrets: checked when resolved.
        "slack" => ChannelSettings::Slack(platform_settings(file, text, name, map)?),
        "discord" => ChannelSettings::Discord(platform_settings(file, text, name, map)?),
        "teams" => ChannelSettings::Teams(platform_settings(file, text, name, map)?),
        "x" => {
            let settings: publish::x::Settings = platform_settings(file, text, name, map)?;
            settings
                .api_base
                .as_deref()
                .map_or(Ok(()), |url| endpoint("api_base", url))?;
            ChannelSettings::X(settings)
        }
        "threads" => {
            let settings: publish::threads::Settings = platform_settings(file, text, name, map)?;
            settings
                .api_base
                .as_deref()
                .map_or(Ok(()), |url| endpoint("api_base", url))?;
            if let Some(url) = settings.image_base_url.as_deref() {
                publish::threads::image_base(url).map_err(|m| {
                    Box::new(Diagnostic::error(
                        file,
                        at(&["channels", name, "image_base_url"]),
                        "config/invalid",
                        format!("channel `{name}`: {m}"),
                    ))
                })?;
            }
            settings.validate().map_err(invalid)?;
            ChannelSettings::Threads(settings)
        }
        "webhook" => {
            let settings: publish::webhook::Settings = platform_settings(file, text, name, map)?;
            endpoint("url", &settings.url)?;
            ChannelSettings::Webhook(settings)
        }
        p => {
            return Err(Box::new(
                Diagnostic::error(
                    file,
                    at(&["channels", name, "platform"]),
                    "config/unknown-platform",
                    format!("channel `{name}`: unknown platform `{p}`"),
                )
                .with_help(format!("use one of: {}", SUPPORTED_PLATFORMS.join(", "))),
            ));
        }
    };
    Ok(Channel {
        name: name.to_string(),
        settings,
        limits,
    })
}

/// Takes the settings any channel may have (`max_per_day`, `min_gap`,
/// `timeout`, `readback_after`) out of its mapping.
fn limits(
    file: &str,
    text: &str,
    name: &str,
    map: &mut serde_yaml::Mapping,
) -> Result<Limits, Box<Diagnostic>> {
    let at = |key: &str| locate::key(text, &["channels", name, key]).unwrap_or(Span::point(1, 1));
    let invalid = |key: &str, what: &str| {
        Box::new(Diagnostic::error(
            file,
            at(key),
            "config/invalid",
            format!("channel `{name}`: `{key}` must be {what}"),
        ))
    };
    let max_per_day = match map.remove("max_per_day") {
        None => None,
        Some(value) => Some(
            value
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| invalid("max_per_day", "a positive whole number"))?,
        ),
    };
    let mut duration = |key: &str, example: &str| match map.remove(key) {
        None => Ok(None),
        Some(value) => value
            .as_str()
            .and_then(super::duration::parse)
            .filter(|d| *d > chrono::TimeDelta::zero())
            .map(Some)
            .ok_or_else(|| invalid(key, &format!("a positive duration such as {example}"))),
    };
    let min_gap = duration("min_gap", "30m or 2h")?;
    let timeout = duration("timeout", "10s or 1m")?;
    let readback_after = duration("readback_after", "1m or 5m")?;
    let limits = Limits {
        max_per_day,
        min_gap,
        timeout,
        readback_after,
    };
    if readback_after.is_some_and(|r| r <= limits.timeout()) {
        return Err(Box::new(
            Diagnostic::error(
                file,
                at("readback_after"),
                "config/invalid",
                format!(
                    "channel `{name}`: `readback_after` must be longer than the request timeout ({})",
                    super::duration::display(limits.timeout())
                ),
            )
            .with_help("a request may still be running until its timeout; reading back earlier could miss a post that is about to appear"),
        ));
    }
    Ok(limits)
}

/// Deserializes a channel's platform settings; errors point at the key.
fn platform_settings<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
    name: &str,
    map: serde_yaml::Mapping,
) -> Result<T, Box<Diagnostic>> {
    yaml::from_value(Value::Mapping(map)).map_err(|e| {
        // Only on an error: locating a key reads the whole file, and doing
        // it for every channel made a long channels.yaml load in O(n²).
        let channel_span = locate::key(text, &["channels", name]).unwrap_or(Span::point(1, 1));
        let (code, span) = match unknown_field(&e.message) {
            Some(key) => (
                "config/unknown-key",
                locate::key(text, &["channels", name, key]).unwrap_or(channel_span),
            ),
            None => ("config/invalid", channel_span),
        };
        Box::new(Diagnostic::error(
            file,
            span,
            code,
            format!("channel `{name}`: {}", e.message),
        ))
    })
}

/// The key named in serde's "unknown field `x`, expected …" message.
pub fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(&rest[..rest.find('`')?])
}
