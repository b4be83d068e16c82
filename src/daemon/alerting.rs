//! Sending the queued alerts to the `alerts:` targets.

use super::Daemon;
use crate::alerts::Alert;
use crate::config::{AlertTarget, Config};
use crate::publish::{PublishContext, PublishError};
use crate::{alerts, render};
use anyhow::Result;
use chrono::Utc;
use std::path::PathBuf;
use tracing::{error, info, warn};

impl Daemon {
    /// Sends the queued alerts to the `alerts:` targets: log files first
    /// (local, they cannot hang), then channels (through the same publishers
    /// as posts) and e-mail in the order written. A target that fails is
    /// logged and the others still get the alert.
    pub async fn send_alerts(&mut self) {
        let alerts = self.alerts.take();
        if alerts.is_empty() {
            return;
        }
        // Log files first: local and fast, they get every alert.
        for alert in &alerts {
            for sink in &self.alert_sinks {
                if let AlertSink::LogFile(path) = sink
                    && let Err(e) = alerts::log_file::append(path, alert)
                {
                    warn!(target_file = %path.display(), event = alert.event, "alert not written: {e}");
                }
            }
        }
        // A hanging relay or webhook must not hold publications back for
        // long: the network targets share one time budget per cycle.
        let network = async {
            for alert in &alerts {
                for sink in &self.alert_sinks {
                    match sink {
                        AlertSink::Channel(name) => self.alert_channel(name, alert).await,
                        AlertSink::Email(sender) => send_email(sender, alert).await,
                        AlertSink::LogFile(_) => {}
                    }
                }
            }
        };
        let budget = self.options.alert_budget;
        if tokio::time::timeout(budget, network).await.is_err() {
            error!(
                alerts = alerts.len(),
                "alert delivery took over {} s and was cut short; see the log for what was sent",
                budget.as_secs_f32()
            );
        }
    }

    /// Sends one alert to one channel.
    pub(super) async fn alert_channel(&self, name: &str, alert: &Alert) {
        let Some(config) = self.repo.config.as_ref() else {
            return;
        };
        let text = format!(
            "---\ntitle: \"healthcast: {}\"\nkind: alert\n---\n{}\n",
            alert.event, alert.message
        );
        let Ok(post) = crate::content::parse("alerts/healthcast.md", &text) else {
            return;
        };
        let (Some(channel), Some(Ok(publisher))) =
            (config.channels.get(name), self.publishers.get(name))
        else {
            return;
        };
        let rendered = render::render(&post, channel);
        let now = Utc::now();
        let key = format!(
            "alert:{}:{}:{}",
            alert.event,
            alert.subject,
            now.timestamp_millis()
        );
        let ctx = PublishContext {
            key: &key,
            post: &post,
            rendered: &rendered,
            at: now,
            image: None,
        };
        if let Err(e) = publisher
            .publish(&ctx)
            .await
            .map_err(PublishError::scrubbed)
        {
            warn!(channel = %name, "alert not delivered: {e}");
        }
    }
}

/// An `alerts:` target, ready to send.
#[derive(Debug)]
pub(super) enum AlertSink {
    /// Sent through the channel's publisher.
    Channel(String),
    /// The e-mail client, or why it cannot work (a missing secret): logged
    /// once when built and again with each alert it cannot send.
    Email(Box<Result<alerts::email::Sender, String>>),
    LogFile(PathBuf),
}

/// The `alerts:` targets of the configuration, in order; a relative log
/// path is relative to the repository.
pub(super) fn alert_sinks(config: &Config, root: &std::path::Path) -> Vec<AlertSink> {
    config
        .alerts
        .iter()
        .map(|target| match target {
            AlertTarget::Channel(name) => AlertSink::Channel(name.clone()),
            AlertTarget::Email(settings) => {
                let sender = alerts::email::Sender::new(settings);
                if let Err(reason) = &sender {
                    error!(relay = %settings.relay(), "alert e-mail cannot work: {reason}");
                }
                AlertSink::Email(Box::new(sender))
            }
            AlertTarget::LogFile(path) => AlertSink::LogFile(root.join(path)),
        })
        .collect()
}

pub(super) async fn send_email(sender: &Result<alerts::email::Sender, String>, alert: &Alert) {
    match sender {
        Ok(sender) => match sender.send(alert).await {
            Ok(()) => info!(relay = %sender.relay(), event = alert.event, "alert e-mailed"),
            Err(e) => {
                warn!(relay = %sender.relay(), event = alert.event, "alert e-mail not delivered: {e}")
            }
        },
        Err(reason) => warn!(event = alert.event, "alert e-mail not sent: {reason}"),
    }
}
