//! Operational alerts: one message per event to the targets listed under
//! `alerts:` in channels.yaml: channels (a Slack, Teams or Discord webhook, a
//! generic webhook, even a feed), sent through the same publishers as posts;
//! e-mail over SMTP ([`email`]); and a local file of JSON lines ([`log_file`]).
//! De-duplicated (an event about the same subject is sent once an hour) and
//! rate-limited (at most [`MAX_PER_HOUR`] an hour; the rest are counted and
//! reported in the next hour's first alert), so a broken channel cannot
//! flood the people on call.

pub mod email;
pub mod log_file;

use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{HashMap, VecDeque};

pub const MAX_PER_HOUR: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// What happened: `failed`, `unknown`, `held`, `credentials`, `config`,
    /// `freeze`, `stalled`, `stall-recovered`.
    pub event: &'static str,
    /// What it happened to (a publication key, a channel, a commit).
    pub subject: String,
    pub message: String,
    /// When it was raised.
    pub at: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub struct Alerts {
    queue: Vec<Alert>,
    last_sent: HashMap<(&'static str, String), DateTime<Utc>>,
    sent_times: VecDeque<DateTime<Utc>>,
    suppressed: usize,
}

impl Alerts {
    /// Queues an alert unless the same event about the same subject was
    /// raised within the hour, or the hourly budget is spent. Returns whether
    /// it was queued.
    pub fn raise(
        &mut self,
        now: DateTime<Utc>,
        event: &'static str,
        subject: &str,
        message: String,
    ) -> bool {
        self.enqueue(now, event, subject, message, true)
    }

    /// Queues the follow-up of an alert that went out (a stall's recovery):
    /// it is not de-duplicated, since it answers one alert, but it counts
    /// against the hourly budget like any other.
    pub fn raise_follow_up(
        &mut self,
        now: DateTime<Utc>,
        event: &'static str,
        subject: &str,
        message: String,
    ) -> bool {
        self.enqueue(now, event, subject, message, false)
    }

    fn enqueue(
        &mut self,
        now: DateTime<Utc>,
        event: &'static str,
        subject: &str,
        message: String,
        dedup: bool,
    ) -> bool {
        let id = (event, subject.to_string());
        if dedup
            && self
                .last_sent
                .get(&id)
                .is_some_and(|at| now - *at < TimeDelta::hours(1))
        {
            return false;
        }
        while self
            .sent_times
            .front()
            .is_some_and(|at| now - *at >= TimeDelta::hours(1))
        {
            self.sent_times.pop_front();
        }
        if self.sent_times.len() >= MAX_PER_HOUR {
            self.suppressed += 1;
            return false;
        }
        self.last_sent.insert(id, now);
        self.sent_times.push_back(now);
        let message = if self.suppressed > 0 {
            let note = format!(
                "{message}\n\n({} more alerts were suppressed by the hourly limit)",
                self.suppressed
            );
            self.suppressed = 0;
            note
        } else {
            message
        };
        self.queue.push(Alert {
            event,
            subject: subject.to_string(),
            message,
            at: now,
        });
        true
    }

    /// The alerts to send now.
    pub fn take(&mut self) -> Vec<Alert> {
        std::mem::take(&mut self.queue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_event_is_sent_once_an_hour_and_the_budget_holds() {
        let mut alerts = Alerts::default();
        let now = Utc::now();
        alerts.raise(now, "failed", "k1", "x".into());
        alerts.raise(now, "failed", "k1", "x".into());
        alerts.raise(now, "failed", "k2", "y".into());
        assert_eq!(alerts.take().len(), 2);
        alerts.raise(now + TimeDelta::minutes(61), "failed", "k1", "x".into());
        assert_eq!(alerts.take().len(), 1);
        for i in 0..100 {
            alerts.raise(
                now + TimeDelta::minutes(62),
                "held",
                &format!("p{i}"),
                "z".into(),
            );
        }
        // The two of the first minute have left the hour; the one at 61 minutes has not.
        assert_eq!(alerts.take().len(), MAX_PER_HOUR - 1);
        alerts.raise(now + TimeDelta::hours(3), "held", "late", "w".into());
        let last = alerts.take();
        assert!(
            last[0].message.contains("more alerts were suppressed"),
            "{last:?}"
        );
    }

    #[test]
    fn a_follow_up_is_not_deduplicated_but_keeps_to_the_budget() {
        let mut alerts = Alerts::default();
        let now = Utc::now();
        assert!(alerts.raise(now, "stalled", "scheduler", "s".into()));
        assert!(alerts.raise_follow_up(now, "stall-recovered", "scheduler", "r".into()));
        assert!(!alerts.raise(now, "stalled", "scheduler", "s".into()));
        assert!(alerts.raise_follow_up(now, "stall-recovered", "scheduler", "r".into()));
        let sent = alerts.take();
        let events: Vec<_> = sent.iter().map(|a| a.event).collect();
        assert_eq!(events, ["stalled", "stall-recovered", "stall-recovered"]);
        assert_eq!(sent[0].at, now);
        for i in 0..MAX_PER_HOUR {
            alerts.raise(now, "held", &format!("p{i}"), "z".into());
        }
        assert!(!alerts.raise_follow_up(now, "stall-recovered", "scheduler", "r".into()));
    }
}
