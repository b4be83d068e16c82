//! Configuration in `schedules/`: channels.yaml, policy.yaml and one file per
//! schedule. Everything is validated up front; each problem is a diagnostic
//! with file and line. A broken schedule is left out and the others run; a
//! broken channels.yaml or policy.yaml leaves no configuration to run on.

pub mod alerts;
pub mod channels;
pub mod duration;
pub mod policy;
pub mod schedule;

use crate::diagnostic::{Diagnostic, Span};
use crate::locate;
use crate::source::{RepoFile, Snapshot};
use crate::yaml::{self, YamlError};
pub use alerts::AlertTarget;
use anyhow::Result;
pub use channels::{Channel, ChannelSettings, FeedSettings, SyncSettings};
use chrono::TimeDelta;
use chrono_tz::Tz;
pub use policy::Policy;
pub use schedule::{Pick, Schedule};
use std::collections::BTreeMap;

pub const CONFIG_DIR: &str = "schedules";
pub const CHANNELS_FILE: &str = "schedules/channels.yaml";
pub const POLICY_FILE: &str = "schedules/policy.yaml";

#[derive(Debug, Clone)]
pub struct Config {
    /// The organisation's zone: bare dates (`expires: 2026-12-31`) end at
    /// midnight here, and preview shows news in it.
    pub timezone: Tz,
    /// How late a news item or alert may still go out.
    pub news_catch_up: TimeDelta,
    pub channels: BTreeMap<String, Channel>,
    pub groups: BTreeMap<String, Vec<String>>,
    /// Where operational alerts go, in the order written.
    pub alerts: Vec<AlertTarget>,
    /// The remote branch `run` follows, unless flags say otherwise.
    pub sync: Option<SyncSettings>,
    pub schedules: Vec<Schedule>,
    pub policy: Policy,
}

impl Config {
    /// Expands channel and group names into channel names, in order, once each.
    /// Returns the names that are neither.
    pub fn expand(&self, names: &[String]) -> (Vec<String>, Vec<String>) {
        expand(&self.channels, &self.groups, names)
    }
}

fn expand(
    channels: &BTreeMap<String, Channel>,
    groups: &BTreeMap<String, Vec<String>>,
    names: &[String],
) -> (Vec<String>, Vec<String>) {
    let mut out: Vec<String> = Vec::new();
    let mut unknown = Vec::new();
    let add = |name: &String, out: &mut Vec<String>| {
        if !out.contains(name) {
            out.push(name.clone());
        }
    };
    for name in names {
        if channels.contains_key(name) {
            add(name, &mut out);
        } else if let Some(members) = groups.get(name) {
            for m in members.iter().filter(|m| channels.contains_key(*m)) {
                add(m, &mut out);
            }
        } else {
            unknown.push(name.clone());
        }
    }
    (out, unknown)
}

#[derive(Debug, Default)]
pub struct Loaded {
    /// `None` when channels.yaml or policy.yaml is missing or broken.
    pub config: Option<Config>,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: BTreeMap<String, String>,
}

pub fn load(snapshot: &Snapshot) -> Result<Loaded> {
    let files = snapshot.files(CONFIG_DIR, &[".yaml", ".yml"])?;
    Ok(load_files(files))
}

/// Validates the files of `schedules/` (paths relative to the repository).
pub fn load_files(files: Vec<RepoFile>) -> Loaded {
    let mut loaded = Loaded::default();
    let mut texts = BTreeMap::new();
    for file in files {
        // Only the top level of schedules/ is configuration.
        if file.path.matches('/').count() != 1 {
            continue;
        }
        if let Some(problem) = &file.problem {
            let (message, help) = problem.explain(&file.path);
            loaded.diagnostics.push(
                Diagnostic::error(&file.path, Span::point(1, 1), "config/unreadable", message)
                    .with_help(help),
            );
            continue;
        }
        let text = file.bytes.as_ref().map(|b| String::from_utf8(b.clone()));
        match text {
            Some(Ok(text)) => {
                texts.insert(file.path.clone(), text);
            }
            _ => loaded.diagnostics.push(
                Diagnostic::error(
                    &file.path,
                    Span::point(1, 1),
                    "config/unreadable",
                    "file is not UTF-8 text of at most 1 MiB",
                )
                .with_help("configuration files are small UTF-8 YAML files"),
            ),
        }
    }
    let d = &mut loaded.diagnostics;
    let channels_file = texts
        .get(CHANNELS_FILE)
        .and_then(|text| parse_yaml::<channels::ChannelsFile>(CHANNELS_FILE, text, d));
    let policy_file = texts
        .get(POLICY_FILE)
        .and_then(|text| parse_yaml::<policy::PolicyFile>(POLICY_FILE, text, d));
    for (file, present) in [
        (CHANNELS_FILE, texts.contains_key(CHANNELS_FILE)),
        (POLICY_FILE, texts.contains_key(POLICY_FILE)),
    ] {
        if !present {
            d.push(
                Diagnostic::error(
                    file,
                    Span::point(1, 1),
                    "config/missing-file",
                    format!("{file} is missing"),
                )
                .with_help(
                    "see README \"Configuration\" for its format; the example repository has one",
                ),
            );
        }
    }
    let (Some(channels_file), Some(policy_file)) = (channels_file, policy_file) else {
        loaded.sources = texts;
        return loaded;
    };
    let policy_text = texts.get(POLICY_FILE).map_or("", String::as_str);
    let unknown_rules: Vec<&String> = policy_file
        .severity
        .keys()
        .filter(|k| !crate::checks::rules::is_known(k))
        .collect();
    report_names(d, unknown_rules.into_iter().map(String::as_str), |key| {
        Diagnostic::error(
            POLICY_FILE,
            locate::key(policy_text, &["severity", key]).unwrap_or(Span::point(1, 1)),
            "config/unknown-rule",
            format!("`severity.{key}`: no rule or rule family has this name"),
        )
        .with_help("see README \"Rules\" for the codes (e.g. `claims/red-flag`) and families (e.g. `access`)")
    });
    let config = build(channels_file, policy_file, &texts, d);
    loaded.config = config;
    loaded.sources = texts;
    loaded
}

fn build(
    file: channels::ChannelsFile,
    policy: policy::PolicyFile,
    texts: &BTreeMap<String, String>,
    d: &mut Vec<Diagnostic>,
) -> Option<Config> {
    let ch_text = texts.get(CHANNELS_FILE).map_or("", String::as_str);
    let at = |path: &[&str]| locate::key(ch_text, path).unwrap_or(Span::point(1, 1));
    let errors_before = d.iter().filter(|x| x.is_error()).count();
    let timezone = match &file.timezone {
        None => Tz::UTC,
        Some(name) => match schedule::parse_timezone(name) {
            Ok(tz) => tz,
            Err(message) => {
                d.push(Diagnostic::error(
                    CHANNELS_FILE,
                    at(&["timezone"]),
                    "config/bad-timezone",
                    message,
                ));
                Tz::UTC
            }
        },
    };
    let mut channels = BTreeMap::new();
    for (name, value) in file.channels {
        match channels::channel(CHANNELS_FILE, ch_text, &name, value) {
            Ok(channel) => {
                channels.insert(name, channel);
            }
            Err(diagnostic) => d.push(*diagnostic),
        }
    }
    for (group, members) in &file.groups {
        if channels.contains_key(group) {
            d.push(
                Diagnostic::error(
                    CHANNELS_FILE,
                    at(&["groups", group]),
                    "config/duplicate-name",
                    format!("`{group}` is both a channel and a group"),
                )
                .with_help("rename the group"),
            );
        }
        let unknown = members.iter().filter(|m| !channels.contains_key(*m));
        report_names(d, unknown.map(String::as_str), |member| {
            unknown_channel(
                CHANNELS_FILE,
                ch_text,
                &["groups", group],
                member,
                &channels,
                &BTreeMap::new(),
            )
        });
    }
    let alerts = alerts::targets(CHANNELS_FILE, ch_text, file.alerts, d);
    for target in &alerts {
        let AlertTarget::Channel(name) = target else {
            continue;
        };
        if !channels.contains_key(name) {
            d.push(unknown_channel(
                CHANNELS_FILE,
                ch_text,
                &["alerts"],
                name,
                &channels,
                &BTreeMap::new(),
            ));
        }
    }
    d.extend(too_short_catch_up(CHANNELS_FILE, ch_text, file.catch_up));
    if file
        .sync
        .as_ref()
        .and_then(|s| s.every)
        .is_some_and(|every| every.0 < TimeDelta::seconds(1))
    {
        d.push(
            Diagnostic::error(
                CHANNELS_FILE,
                locate::key(ch_text, &["sync", "every"]).unwrap_or(at(&["sync"])),
                "config/invalid",
                "`sync.every` under a second would fetch the remote without pause",
            )
            .with_help("write e.g. `every: 30s` or `every: 1m` (the default is 30s)"),
        );
    }
    if let Some(problem) = file.sync.as_ref().and_then(SyncSettings::problem) {
        d.push(
            Diagnostic::error(CHANNELS_FILE, at(&["sync"]), "config/invalid", problem)
                .with_help("write the remote and branch as `git fetch` takes them, e.g. `remote: origin`, `branch: main`"),
        );
    }
    // A broken channels.yaml must not leave a half-configured publisher running.
    if d.iter().filter(|x| x.is_error()).count() > errors_before {
        return None;
    }
    let mut schedules = Vec::new();
    for (path, text) in texts {
        if path == CHANNELS_FILE || path == POLICY_FILE {
            continue;
        }
        if let Some(s) = build_schedule(path, text, &channels, &file.groups, d) {
            schedules.push(s);
        }
    }
    Some(Config {
        timezone,
        news_catch_up: file.catch_up.map_or(schedule::DEFAULT_CATCH_UP, |c| c.0),
        channels,
        groups: file.groups,
        alerts,
        sync: file.sync,
        schedules,
        policy: policy.into(),
    })
}

fn build_schedule(
    path: &str,
    text: &str,
    channels: &BTreeMap<String, Channel>,
    groups: &BTreeMap<String, Vec<String>>,
    d: &mut Vec<Diagnostic>,
) -> Option<Schedule> {
    let raw: schedule::ScheduleFile = parse_yaml(path, text, d)?;
    let at = |key: &str| locate::key(text, &[key]).unwrap_or(Span::point(1, 1));
    let mut ok = true;
    let cron_at = locate::value(text, &["cron"]).unwrap_or(Span::point(1, 1));
    let cron = schedule::parse_cron(&raw.cron)
        .map_err(|message| {
            d.push(
                Diagnostic::error(path, cron_at, "config/bad-cron", message)
                    .with_help("fields: seconds minutes hours day-of-month month day-of-week, e.g. \"0 0 9 * * Mon-Fri\""),
            )
        })
        .ok();
    let timezone = schedule::parse_timezone(&raw.timezone)
        .map_err(|message| {
            d.push(Diagnostic::error(
                path,
                at("timezone"),
                "config/bad-timezone",
                message,
            ))
        })
        .ok();
    // A pattern that parses but names no real date (31 February) would
    // leave the schedule silent for ever. Checked from now, in the
    // schedule's zone (UTC when the zone is wrong: dates exist in every zone).
    let cron = cron.filter(|cron| {
        let zone = timezone.unwrap_or(Tz::UTC);
        schedule::check_fires(cron, &raw.cron, zone, chrono::Utc::now())
            .map_err(|message| {
                d.push(
                    Diagnostic::error(path, cron_at, "config/bad-cron", message)
                        .with_help("fix the day-of-month and month fields so that they name a real date (February has no 30th or 31st; April, June, September and November no 31st; `L` is the last day of the month, e.g. \"0 0 9 L 2 *\"), or delete the schedule"),
                )
            })
            .is_ok()
    });
    let (expanded, unknown) = expand(channels, groups, &raw.channels);
    ok &= unknown.is_empty();
    report_names(d, unknown.iter().map(String::as_str), |name| {
        unknown_channel(path, text, &["channels"], name, channels, groups)
    });
    if raw.channels.is_empty() {
        d.push(Diagnostic::error(
            path,
            at("channels"),
            "config/invalid",
            "the schedule names no channels",
        ));
        ok = false;
    }
    if let Some(problem) = too_short_catch_up(path, text, raw.catch_up) {
        d.push(problem);
        ok = false;
    }
    if raw.pick.kind.is_some_and(|k| k.is_timed()) {
        d.push(
            Diagnostic::error(
                path,
                locate::key(text, &["pick", "kind"]).unwrap_or(at("pick")),
                "config/invalid",
                "schedules pick tips; news and alerts go out at their own `publish_at`",
            )
            .with_help("use `kind: tip` or leave `kind` out"),
        );
        ok = false;
    }
    let (Some(cron), Some(timezone), true) = (cron, timezone, ok) else {
        return None;
    };
    let name = path
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .trim_end_matches(".yaml")
        .trim_end_matches(".yml")
        .to_string();
    Some(Schedule {
        name,
        file: path.to_string(),
        cron,
        cron_text: raw.cron,
        timezone,
        channels: expanded,
        pick: Pick {
            tags: raw.pick.tags,
            order: raw.pick.order.unwrap_or_default(),
            repeat_after: raw.pick.repeat_after.map_or(TimeDelta::zero(), |r| r.0),
        },
        catch_up: raw.catch_up.map_or(schedule::DEFAULT_CATCH_UP, |c| c.0),
        skip_dates: raw.skip_dates,
    })
}

/// A `catch_up` under a second can only be a mistake: the daemon wakes
/// about once a second, so every slot is a little late and would be missed.
fn too_short_catch_up(
    file: &str,
    text: &str,
    catch_up: Option<duration::ConfigDuration>,
) -> Option<Diagnostic> {
    let short = catch_up.filter(|c| c.0 < TimeDelta::seconds(1))?;
    Some(
        Diagnostic::error(
            file,
            locate::key(text, &["catch_up"]).unwrap_or(Span::point(1, 1)),
            "config/invalid",
            format!(
                "`catch_up: {}` would miss every publication: healthcast wakes about once a second, so a slot is always a little late",
                duration::display(short.0)
            ),
        )
        .with_help("write how late a publication may still go out, e.g. `catch_up: 30m` (the default is 1h)"),
    )
}

/// At most this many unknown names of one list are reported one by one:
/// each is located by reading its file again, and a thousand of them help
/// nobody.
const MAX_NAMED: usize = 20;

/// Reports `names` through `each`, the first [`MAX_NAMED`] one by one and
/// the rest in one diagnostic beside the last.
fn report_names<'a>(
    d: &mut Vec<Diagnostic>,
    names: impl IntoIterator<Item = &'a str>,
    each: impl Fn(&str) -> Diagnostic,
) {
    let mut names = names.into_iter();
    let mut last = None;
    for name in names.by_ref().take(MAX_NAMED) {
        let diagnostic = each(name);
        last = Some(diagnostic.clone());
        d.push(diagnostic);
    }
    let more = names.count();
    if let Some(last) = last.filter(|_| more > 0) {
        d.push(Diagnostic {
            message: format!("and {more} more unknown names in this list, not shown one by one"),
            help: Some(
                "fix the ones above first; `healthcast check` then shows the next".to_string(),
            ),
            ..last
        });
    }
}

fn unknown_channel(
    file: &str,
    text: &str,
    path: &[&str],
    name: &str,
    channels: &BTreeMap<String, Channel>,
    groups: &BTreeMap<String, Vec<String>>,
) -> Diagnostic {
    let known: Vec<&str> = channels
        .keys()
        .chain(groups.keys())
        .map(String::as_str)
        .collect();
    Diagnostic::error(
        file,
        locate::item(text, path, name).unwrap_or(Span::point(1, 1)),
        "config/unknown-channel",
        format!("`{name}` is not a channel or group in {CHANNELS_FILE}"),
    )
    .with_help(if known.is_empty() {
        format!("define it under `channels:` in {CHANNELS_FILE}")
    } else {
        format!("known channels and groups: {}", known.join(", "))
    })
}

/// Deserializes a whole config file, turning a YAML error into a diagnostic.
fn parse_yaml<T: serde::de::DeserializeOwned>(
    path: &str,
    text: &str,
    d: &mut Vec<Diagnostic>,
) -> Option<T> {
    yaml::from_str(text)
        .map_err(|e: YamlError| d.push(yaml_diagnostic(path, &e.relocate(text))))
        .ok()
}

fn yaml_diagnostic(path: &str, e: &YamlError) -> Diagnostic {
    let span = Span::point(e.line.unwrap_or(1), e.column.unwrap_or(1));
    if let Some(duplicate) = &e.duplicate {
        let span = Span::chars(span.line, span.column, duplicate.key.chars().count());
        Diagnostic::error(path, span, "config/duplicate-key", e.message.clone())
            .with_help("keep one of the two; if both are meant, give one another name")
    } else if channels::unknown_field(&e.message).is_some() {
        Diagnostic::error(path, span, "config/unknown-key", e.message.clone())
            .with_help("remove the key or fix its spelling; see README \"Configuration\"")
    } else if e.message.starts_with("missing field") {
        Diagnostic::error(path, span, "config/invalid", e.message.clone())
            .with_help("see README \"Configuration\" for the required keys")
    } else {
        Diagnostic::error(path, span, "config/invalid", e.message.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<RepoFile> {
        list.iter()
            .map(|(p, t)| RepoFile::new(p, t.as_bytes().to_vec()))
            .collect()
    }

    const CHANNELS: &str = "channels:\n  site-feed: { platform: feed, path: public/feed.xml, title: T }\ngroups:\n  public: [site-feed]\n";
    const POLICY: &str = "reviewers: [\"Dr. A\"]\n";

    #[test]
    fn a_valid_repository_config_loads() {
        let loaded = load_files(files(&[
            (CHANNELS_FILE, CHANNELS),
            (POLICY_FILE, POLICY),
            (
                "schedules/tips.yaml",
                "cron: \"0 0 9 * * Mon-Fri\"\ntimezone: America/New_York\nchannels: [public]\npick: { tags: [flu], repeat_after: 30d }\n",
            ),
        ]));
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let config = loaded.config.unwrap();
        assert_eq!(config.schedules.len(), 1);
        assert_eq!(config.schedules[0].channels, ["site-feed"]);
        assert_eq!(config.schedules[0].pick.repeat_after, TimeDelta::days(30));
        assert_eq!(config.news_catch_up, TimeDelta::hours(1));
    }

    #[test]
    fn bad_schedules_are_reported_at_their_line_and_left_out() {
        let loaded = load_files(files(&[
            (CHANNELS_FILE, CHANNELS),
            (POLICY_FILE, POLICY),
            (
                "schedules/a.yaml",
                "timezone: UTC\ncron: \"0 9 * * *\"\nchannels: [public]\n",
            ),
            (
                "schedules/b.yaml",
                "cron: \"0 0 9 * * *\"\ntimezone: Mars/Olympus\nchannels: [public]\n",
            ),
            (
                "schedules/c.yaml",
                "cron: \"0 0 9 * * *\"\ntimezone: UTC\nchannels:\n  - public\n  - mastodon\n",
            ),
            (
                "schedules/d.yaml",
                "cron: \"0 0 9 * * *\"\ntimezone: UTC\nchannels: [public]\nsurprise: 1\n",
            ),
            (
                "schedules/ok.yaml",
                "cron: \"0 0 9 * * *\"\ntimezone: UTC\nchannels: [public]\n",
            ),
        ]));
        let got: Vec<_> = loaded
            .diagnostics
            .iter()
            .map(|d| (d.file.as_str(), d.code, d.span.line, d.span.column))
            .collect();
        assert_eq!(
            got,
            [
                ("schedules/a.yaml", "config/bad-cron", 2, 8),
                ("schedules/b.yaml", "config/bad-timezone", 2, 1),
                ("schedules/c.yaml", "config/unknown-channel", 5, 5),
                ("schedules/d.yaml", "config/unknown-key", 4, 1),
            ]
        );
        assert!(loaded.diagnostics[0].message.contains("seconds field"));
        let config = loaded.config.unwrap();
        let names: Vec<_> = config.schedules.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["ok"]);
    }

    #[test]
    fn a_cron_that_never_fires_is_reported_at_its_value_and_left_out() {
        let loaded = load_files(files(&[
            (CHANNELS_FILE, CHANNELS),
            (POLICY_FILE, POLICY),
            (
                "schedules/leap.yaml",
                "timezone: America/New_York\ncron: \"0 0 9 31 2 *\"\nchannels: [public]\n",
            ),
            (
                "schedules/thirtieth.yaml",
                "cron: '0 0 0 30 2 *'\ntimezone: UTC\nchannels: [public]\n",
            ),
            (
                "schedules/ok.yaml",
                "cron: \"0 0 9 * * *\"\ntimezone: UTC\nchannels: [public]\n",
            ),
        ]));
        let got: Vec<_> = loaded
            .diagnostics
            .iter()
            .map(|d| (d.file.as_str(), d.code, d.span.line, d.span.column))
            .collect();
        assert_eq!(
            got,
            [
                ("schedules/leap.yaml", "config/bad-cron", 2, 8),
                ("schedules/thirtieth.yaml", "config/bad-cron", 1, 8),
            ]
        );
        let d = &loaded.diagnostics[0];
        assert!(
            d.message.contains("`0 0 9 31 2 *` never fires"),
            "{}",
            d.message
        );
        assert!(d.help.as_deref().unwrap_or("").contains("day-of-month"));
        let config = loaded.config.unwrap();
        let names: Vec<_> = config.schedules.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["ok"], "the other schedules still run");
    }

    #[test]
    fn a_key_written_twice_in_any_config_file_names_both_lines() {
        let schedule = "cron: \"0 0 9 * * *\"\ntimezone: UTC\nchannels: [public]\n";
        let cases = [
            (
                CHANNELS_FILE,
                "channels:\n  site-feed: { platform: feed, path: a.xml, title: A }\n  site-feed: { platform: feed, path: b.xml, title: B }\n",
                (
                    3,
                    3,
                    "`site-feed` in `channels`: first at line 2, again at line 3",
                ),
            ),
            (
                CHANNELS_FILE,
                "channels:\n  site-feed: { platform: feed, path: a.xml, title: A }\ngroups:\n  public: [site-feed]\n  public: []\n",
                (5, 3, "`public` in `groups`: first at line 4"),
            ),
            (
                CHANNELS_FILE,
                "channels:\n  site-feed:\n    platform: feed\n    path: a.xml\n    title: A\n    path: b.xml\n",
                (6, 5, "`path` in `channels.site-feed`: first at line 4"),
            ),
            (
                CHANNELS_FILE,
                "timezone: UTC\nchannels: {}\ntimezone: Europe/Paris\n",
                (3, 1, "`timezone`: first at line 1"),
            ),
            (
                POLICY_FILE,
                "reviewers: [\"Dr. A\"]\nseverity:\n  access: error\n  access: off\n",
                (4, 3, "`access` in `severity`: first at line 3"),
            ),
            (
                "schedules/tips.yaml",
                "cron: \"0 0 9 * * *\"\ntimezone: UTC\nchannels: [public]\ncron: \"0 0 17 * * *\"\n",
                (4, 1, "`cron`: first at line 1, again at line 4"),
            ),
        ];
        for (file, text, (line, column, message)) in cases {
            let mut list = vec![
                (CHANNELS_FILE, CHANNELS),
                (POLICY_FILE, POLICY),
                ("schedules/ok.yaml", schedule),
            ];
            list.retain(|(f, _)| *f != file);
            list.push((file, text));
            let loaded = load_files(files(&list));
            let d = &loaded.diagnostics[0];
            assert_eq!(
                (d.file.as_str(), d.code, d.span.line, d.span.column),
                (file, "config/duplicate-key", line, column),
                "{text}"
            );
            assert!(d.message.contains(message), "{}", d.message);
            assert!(d.help.is_some());
            if file == "schedules/tips.yaml" {
                // A broken schedule is left out; the others run.
                let config = loaded.config.unwrap();
                let names: Vec<_> = config.schedules.iter().map(|s| s.name.as_str()).collect();
                assert_eq!(names, ["ok"]);
            } else {
                assert!(loaded.config.is_none(), "nothing runs on a broken {file}");
            }
        }
    }

    #[test]
    fn counts_and_durations_that_can_only_be_mistakes_are_errors_at_their_key() {
        let feed = |extra: &str| {
            format!("channels:\n  site-feed: {{ platform: feed, path: f.xml, title: T{extra} }}\n")
        };
        let cases = [
            (feed(", max_entries: 0"), 2, 55, "`max_entries: 0` would keep no entry"),
            (feed(", max_entries: -1"), 2, 3, "expected usize"),
            (feed(", max_per_day: 0"), 2, 55, "`max_per_day` must be a positive whole number"),
            (feed(", max_per_day: -2"), 2, 55, "`max_per_day` must be a positive whole number"),
            (
                "channels:\n  social:\n    platform: mastodon\n    base_url: https://m.example\n    token: env:T\n    max_characters: 0\n".to_string(),
                6,
                5,
                "`max_characters: 0` would hold every post as too long",
            ),
            (
                format!("catch_up: 0s\n{}", feed("")),
                1,
                1,
                "`catch_up: 0s` would miss every publication",
            ),
            (
                format!("{}sync: {{ branch: main, every: 0s }}\n", feed("")),
                3,
                23,
                "`sync.every` under a second",
            ),
        ];
        for (text, line, column, message) in cases {
            let loaded = load_files(files(&[(CHANNELS_FILE, &text), (POLICY_FILE, POLICY)]));
            let d = &loaded.diagnostics[0];
            assert_eq!(
                (d.code, d.span.line, d.span.column),
                ("config/invalid", line, column),
                "{text}"
            );
            assert!(d.message.contains(message), "{text}: {}", d.message);
            assert!(loaded.config.is_none(), "{text}");
        }
        // A schedule's catch-up: that schedule is left out, the others run.
        let loaded = load_files(files(&[
            (CHANNELS_FILE, CHANNELS),
            (POLICY_FILE, POLICY),
            (
                "schedules/instant.yaml",
                "cron: \"0 0 9 * * *\"\ntimezone: UTC\nchannels: [public]\ncatch_up: 0s\n",
            ),
            (
                "schedules/ok.yaml",
                "cron: \"0 0 9 * * *\"\ntimezone: UTC\nchannels: [public]\ncatch_up: 5m\n",
            ),
        ]));
        let got: Vec<_> = loaded
            .diagnostics
            .iter()
            .map(|d| (d.file.as_str(), d.code, d.span.line))
            .collect();
        assert_eq!(got, [("schedules/instant.yaml", "config/invalid", 4)]);
        let names: Vec<_> = loaded
            .config
            .unwrap()
            .schedules
            .iter()
            .map(|s| s.name.clone())
            .collect();
        assert_eq!(names, ["ok"]);
    }

    #[test]
    fn channel_errors_name_the_key() {
        let loaded = load_files(files(&[
            (
                CHANNELS_FILE,
                "channels:\n  feed:\n    platform: feed\n    path: f.xml\n    title: T\n    colour: red\n",
            ),
            (POLICY_FILE, POLICY),
        ]));
        let d = &loaded.diagnostics[0];
        assert_eq!(
            (d.code, d.span.line, d.span.column),
            ("config/unknown-key", 6, 5)
        );
        assert!(loaded.config.is_none());
    }

    #[test]
    fn a_channel_s_timeout_and_readback_after_are_read_and_checked() {
        let channel = |settings: &str| {
            load_files(files(&[
                (
                    CHANNELS_FILE,
                    &format!(
                        "channels:\n  feed:\n    platform: feed\n    path: f.xml\n    title: T\n{settings}"
                    ),
                ),
                (POLICY_FILE, POLICY),
            ]))
        };
        let defaults = channel("").config.unwrap().channels["feed"].limits;
        assert_eq!(defaults.timeout(), TimeDelta::seconds(30));
        assert_eq!(defaults.readback_after(), TimeDelta::seconds(60));
        let set = channel("    timeout: 5s\n").config.unwrap().channels["feed"].limits;
        assert_eq!(set.readback_after(), TimeDelta::seconds(35));
        let both = channel("    timeout: 5s\n    readback_after: 2m\n")
            .config
            .unwrap()
            .channels["feed"]
            .limits;
        assert_eq!(both.readback_after(), TimeDelta::minutes(2));
        let early = channel("    timeout: 1m\n    readback_after: 30s\n");
        let d = &early.diagnostics[0];
        assert_eq!((d.code, d.span.line), ("config/invalid", 7));
        assert!(
            d.message.contains("longer than the request timeout (1m)"),
            "{}",
            d.message
        );
        let zero = channel("    timeout: 0s\n");
        assert!(
            zero.diagnostics[0]
                .message
                .contains("`timeout` must be a positive duration")
        );
    }

    #[test]
    fn a_long_list_of_unknown_names_is_reported_twenty_at_a_time() {
        let members: Vec<String> = (0..30).map(|n| format!("nope{n}")).collect();
        let loaded = load_files(files(&[
            (
                CHANNELS_FILE,
                &format!("{CHANNELS}  many: [{}]\n", members.join(", ")),
            ),
            (POLICY_FILE, POLICY),
        ]));
        let unknown: Vec<&Diagnostic> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.code == "config/unknown-channel")
            .collect();
        assert_eq!(unknown.len(), 21);
        assert!(unknown[19].message.contains("`nope19`"));
        assert_eq!(unknown[20].span, unknown[19].span);
        assert!(
            unknown[20].message.contains("and 10 more unknown names"),
            "{}",
            unknown[20].message
        );
    }

    #[test]
    fn missing_files_are_errors() {
        let loaded = load_files(Vec::new());
        let codes: Vec<_> = loaded
            .diagnostics
            .iter()
            .map(|d| (d.file.as_str(), d.code))
            .collect();
        assert_eq!(
            codes,
            [
                (CHANNELS_FILE, "config/missing-file"),
                (POLICY_FILE, "config/missing-file")
            ]
        );
    }
}
