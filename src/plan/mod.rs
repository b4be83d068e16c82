//! The planner: which post goes to which channel at which instant. Pure — the
//! window is an argument and the ledger comes in as a [`LedgerView`] — so that
//! `preview` shows exactly what `run` will send.
//!
//! Schedules pick tips: at each slot, for each channel, the eligible tip that
//! was published least recently there (never first), ties by id. Picks of
//! earlier slots in the window count as published for later ones, so a preview
//! of the coming weeks rotates the way the daemon will. News and alerts go out
//! at their own `publish_at` to their own channels.

pub mod slots;

use crate::checks;
use crate::config::{Config, Schedule};
use crate::content::{Kind, Post};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What the ledger already holds, as the planner needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerView {
    /// Every publication key with a ledger row, whatever its state.
    pub keys: HashSet<String>,
    /// Schedule slots already used on a channel: (schedule, channel, instant).
    pub slots: HashSet<(String, String, DateTime<Utc>)>,
    /// The latest slot at which each (channel, post) went out (or may have).
    pub last_published: HashMap<(String, String), DateTime<Utc>>,
    /// (channel, post) with a publication still `sending`: its outcome is
    /// not known yet, so the tip is not picked again for that channel.
    pub unsettled: HashSet<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    pub at: DateTime<Utc>,
    /// The schedule that made the slot; `None` for news and alerts.
    pub schedule: Option<String>,
    /// The zone the slot is meant in (the schedule's, or the organisation's).
    pub timezone: Tz,
    pub channel: String,
    /// The post's id; `None` when no tip was eligible for the slot.
    pub post: Option<String>,
    /// How late the publication may still go out.
    pub catch_up: TimeDelta,
    /// Why it cannot go out; empty when it can.
    pub blocked: Vec<String>,
}

impl Publication {
    /// The ledger key: deterministic from post, channel and slot instant.
    pub fn key(&self) -> String {
        key(self.post.as_deref().unwrap_or("-"), &self.channel, self.at)
    }
}

pub fn key(post: &str, channel: &str, at: DateTime<Utc>) -> String {
    format!("{post}@{channel}@{}", at.format("%Y-%m-%dT%H:%M:%SZ"))
}

/// A schedule slot on one channel, before a tip is picked for it.
struct Slot<'a> {
    at: DateTime<Utc>,
    schedule: &'a Schedule,
    channel: String,
}

impl Slot<'_> {
    fn publication(self, post: Option<String>, blocked: Vec<String>) -> Publication {
        Publication {
            at: self.at,
            schedule: Some(self.schedule.name.clone()),
            timezone: self.schedule.timezone,
            channel: self.channel,
            post,
            catch_up: self.schedule.catch_up,
            blocked,
        }
    }
}

/// A news item or alert on one channel.
struct Timed<'a> {
    at: DateTime<Utc>,
    post: &'a Post,
    channel: String,
}

impl Timed<'_> {
    fn publication(self, config: &Config, blocked: Vec<String>) -> Publication {
        Publication {
            at: self.at,
            schedule: None,
            timezone: config.timezone,
            channel: self.channel,
            post: Some(self.post.id.clone()),
            catch_up: config.news_catch_up,
            blocked,
        }
    }
}

/// Plans the publications in `[from, until)`, ordered by instant, then
/// channel. `holds` maps post ids to the check errors that keep them back.
pub fn plan(
    config: &Config,
    posts: &[Post],
    holds: &BTreeMap<String, Vec<String>>,
    ledger: &LedgerView,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<Publication> {
    let slots = open_slots(config, ledger, from, until, None);
    let timed = open_timed(config, posts, ledger, from, until);
    assemble(config, posts, holds, ledger, slots, timed)
}

/// How many of each schedule's latest slots `due` looks at: the one to send
/// and the missed ones before it that are worth recording.
pub const DUE_SLOTS_CONSIDERED: usize = 25;

/// What the daemon does at `now`, looking back to `from`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Due {
    /// To publish now (or to report as held, when blocked).
    pub publications: Vec<Publication>,
    /// Not to publish: due longer ago than catch-up allows, or a schedule
    /// slot superseded by a later due slot of the same schedule and channel.
    /// Slots here have no tip picked (`post` is `None`).
    pub missed: Vec<Publication>,
}

/// The publications due in `[from, now]`. After downtime, each schedule
/// sends at most its latest slot per channel, and only within its catch-up;
/// tips are picked for the slots that are sent, so missed slots do not move
/// the rotation.
pub fn due(
    config: &Config,
    posts: &[Post],
    holds: &BTreeMap<String, Vec<String>>,
    ledger: &LedgerView,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Due {
    let until = now + TimeDelta::nanoseconds(1);
    let mut missed = Vec::new();
    let mut latest: BTreeMap<(String, String), Slot> = BTreeMap::new();
    for slot in open_slots(config, ledger, from, until, Some(DUE_SLOTS_CONSIDERED)) {
        let id = (slot.schedule.name.clone(), slot.channel.clone());
        let superseded = if now - slot.at > slot.schedule.catch_up {
            Some(slot)
        } else {
            // Slots come in time order: a later one supersedes an earlier one.
            latest.insert(id, slot)
        };
        if let Some(slot) = superseded {
            missed.push(slot.publication(None, Vec::new()));
        }
    }
    let (timed, late): (Vec<Timed>, Vec<Timed>) = open_timed(config, posts, ledger, from, until)
        .into_iter()
        .partition(|t| now - t.at <= config.news_catch_up);
    missed.extend(late.into_iter().map(|t| t.publication(config, Vec::new())));
    let publications = assemble(
        config,
        posts,
        holds,
        ledger,
        latest.into_values().collect(),
        timed,
    );
    Due {
        publications,
        missed,
    }
}

/// Schedule slots in the window that the ledger does not hold yet, in time order.
/// `latest`: only each schedule's latest that many slots (what `due` needs).
fn open_slots<'a>(
    config: &'a Config,
    ledger: &LedgerView,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    latest: Option<usize>,
) -> Vec<Slot<'a>> {
    let mut out = Vec::new();
    for schedule in &config.schedules {
        let instants = match latest {
            Some(n) => slots::latest(schedule, from, until, n),
            None => slots::between(schedule, from, until),
        };
        for at in instants {
            for channel in &schedule.channels {
                if !ledger
                    .slots
                    .contains(&(schedule.name.clone(), channel.clone(), at))
                {
                    out.push(Slot {
                        at,
                        schedule,
                        channel: channel.clone(),
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| {
        (a.at, &a.schedule.name, &a.channel).cmp(&(b.at, &b.schedule.name, &b.channel))
    });
    out
}

/// News and alerts whose `publish_at` is in the window, per channel, unless
/// the ledger holds them or the post skips that platform.
fn open_timed<'a>(
    config: &Config,
    posts: &'a [Post],
    ledger: &LedgerView,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<Timed<'a>> {
    let mut out = Vec::new();
    for post in posts.iter().filter(|p| p.kind().is_timed()) {
        let Some(publish_at) = post.meta.publish_at else {
            continue;
        };
        let at = publish_at.0.with_timezone(&Utc);
        if at < from || at >= until {
            continue;
        }
        for channel in config.expand(&post.meta.channels).0 {
            if !skipped_on(post, config, &channel)
                && !ledger.keys.contains(&key(&post.id, &channel, at))
            {
                out.push(Timed { at, post, channel });
            }
        }
    }
    out
}

/// Picks a tip for each slot (in time order, so that earlier picks count for
/// later slots) and says what blocks each publication.
fn assemble(
    config: &Config,
    posts: &[Post],
    holds: &BTreeMap<String, Vec<String>>,
    ledger: &LedgerView,
    slots: Vec<Slot>,
    timed: Vec<Timed>,
) -> Vec<Publication> {
    let mut out = Vec::new();
    let mut last_published = ledger.last_published.clone();
    // Tips that may ever be picked, in id order; the slot decides the rest.
    let mut tips: Vec<&Post> = posts
        .iter()
        .filter(|p| p.kind() == Kind::Tip && !p.meta.draft && !holds.contains_key(&p.id))
        .collect();
    tips.sort_by(|a, b| a.id.cmp(&b.id));

    for slot in slots {
        let (post, blocked) = pick_tip(
            config,
            slot.schedule,
            &slot.channel,
            &tips,
            &last_published,
            &ledger.unsettled,
            slot.at,
        );
        if let Some(id) = &post {
            if ledger.keys.contains(&key(id, &slot.channel, slot.at)) {
                continue;
            }
            last_published.insert((slot.channel.clone(), id.clone()), slot.at);
        }
        out.push(slot.publication(post, blocked));
    }

    for timed in timed {
        let mut blocked = holds.get(&timed.post.id).cloned().unwrap_or_default();
        blocked.extend(checks::blockers_at(timed.post, config, timed.at));
        out.push(timed.publication(config, blocked));
    }

    out.sort_by(|a, b| {
        (a.at, &a.channel, &a.schedule, &a.post).cmp(&(b.at, &b.channel, &b.schedule, &b.post))
    });
    out
}

/// Whether the post says `overrides.<platform>.skip: true` for this channel.
fn skipped_on(post: &Post, config: &Config, channel: &str) -> bool {
    config
        .channels
        .get(channel)
        .and_then(|c| post.meta.overrides.get(c.platform()))
        .is_some_and(|o| o.skip)
}

fn pick_tip(
    config: &Config,
    schedule: &Schedule,
    channel: &str,
    tips: &[&Post],
    last_published: &HashMap<(String, String), DateTime<Utc>>,
    unsettled: &HashSet<(String, String)>,
    at: DateTime<Utc>,
) -> (Option<String>, Vec<String>) {
    let mut matching = 0;
    let mut too_recent = 0;
    let mut blocked = 0;
    let mut candidates: Vec<(Option<DateTime<Utc>>, &Post)> = Vec::new();
    for tip in tips {
        let tags_match = schedule.pick.tags.is_empty()
            || tip.meta.tags.iter().any(|t| schedule.pick.tags.contains(t));
        let channel_ok = tip.meta.channels.is_empty()
            || config
                .expand(&tip.meta.channels)
                .0
                .iter()
                .any(|c| c == channel);
        if !tags_match || !channel_ok || skipped_on(tip, config, channel) {
            continue;
        }
        matching += 1;
        if unsettled.contains(&(channel.to_string(), tip.id.clone())) {
            too_recent += 1;
            continue;
        }
        let last = last_published
            .get(&(channel.to_string(), tip.id.clone()))
            .copied();
        if let Some(last) = last
            && at - last < schedule.pick.repeat_after
        {
            too_recent += 1;
            continue;
        }
        candidates.push((last, tip));
    }
    // Never published sorts first (None < Some); then oldest; then id.
    candidates.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
    for (_, tip) in candidates {
        if checks::blockers_at(tip, config, at).is_empty() {
            return (Some(tip.id.clone()), Vec::new());
        }
        blocked += 1;
    }
    let reason = if matching == 0 {
        format!(
            "no tip matches this schedule (kind tip, tags {:?}, channel {channel}); check errors keep back any others",
            schedule.pick.tags
        )
    } else {
        format!(
            "no eligible tip: {matching} match, {too_recent} went out within repeat_after (or are still being sent), {blocked} expired, draft or without a valid review at this time"
        )
    };
    (None, vec![reason])
}
