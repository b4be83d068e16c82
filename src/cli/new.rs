//! `healthcast new tip|news TITLE`: writes a post template with every field a
//! writer must fill in. It does not pass `check` until a reviewer signs it off.

use anyhow::{Context, Result, bail};
use chrono::{TimeDelta, Utc};
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(value_enum)]
    pub kind: NewKind,
    pub title: String,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum NewKind {
    Tip,
    News,
    /// A crisis or operational statement: goes out at its time, to every
    /// channel it names.
    Alert,
}

pub fn run(repo: &Path, args: Args) -> Result<u8> {
    let slug = slug(&args.title);
    if slug.is_empty() {
        bail!(
            "the title `{}` has no letters or digits to make a file name from",
            args.title
        );
    }
    // publish_at in the organisation's zone: 09:00 tomorrow there.
    let zone = organisation_zone(repo);
    let tomorrow_nine = || {
        let day = (Utc::now().with_timezone(&zone) + TimeDelta::days(1)).date_naive();
        day.and_hms_opt(9, 0, 0)
            .and_then(|t| t.and_local_timezone(zone).earliest())
            .map_or_else(String::new, |t| t.to_rfc3339())
    };
    let (folder, front) = match args.kind {
        NewKind::Tip => ("tips", String::from("kind: tip\ntags: []\n")),
        NewKind::News => (
            "news",
            format!(
                "kind: news\npublish_at: {}   # when it goes out ({}; the offset is part of it)\nchannels: [public]\n",
                tomorrow_nine(),
                zone.name()
            ),
        ),
        NewKind::Alert => (
            "alerts",
            format!(
                "kind: alert\npublish_at: {}   # when it goes out ({}; the offset is part of it)\nchannels: [public]\n",
                Utc::now()
                    .with_timezone(&zone)
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
                zone.name()
            ),
        ),
    };
    let path = repo.join("content").join(folder).join(format!("{slug}.md"));
    if path.exists() {
        bail!(
            "{} already exists; choose another title or edit that file",
            path.display()
        );
    }
    let title = args.title.replace('"', "\\\"");
    let text = format!(
        "---\ntitle: \"{title}\"\n{front}hashtags: []\nsources:\n  - https://   # an authoritative page (cdc.gov, who.int, nih.gov, medlineplus.gov)\n# review: {{ by: \"<reviewer listed in schedules/policy.yaml>\", on: YYYY-MM-DD }}\nlang: en\n---\nWrite the post here in plain language.\n"
    );
    std::fs::create_dir_all(path.parent().unwrap_or(repo))
        .with_context(|| format!("cannot create the folder for {}", path.display()))?;
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    outln!("created {}", path.display())?;
    outln!(
        "next: write the text, add sources, have it reviewed (the `review:` line), then run `healthcast check`"
    )?;
    Ok(0)
}

/// The organisation's time zone from schedules/channels.yaml, or UTC when
/// it cannot be read (the template is still written; `check` reports why).
fn organisation_zone(repo: &Path) -> chrono_tz::Tz {
    let snapshot = crate::source::Snapshot::WorkTree {
        root: repo.to_path_buf(),
    };
    crate::config::load(&snapshot)
        .ok()
        .and_then(|loaded| loaded.config)
        .map_or(chrono_tz::UTC, |config| config.timezone)
}

/// `Flu clinic: hours extended!` → `flu-clinic-hours-extended`.
fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-')
        .chars()
        .take(60)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_are_lowercase_and_hyphenated() {
        assert_eq!(
            super::slug("Flu clinic: hours extended!"),
            "flu-clinic-hours-extended"
        );
        assert_eq!(super::slug("  Ça va? "), "a-va");
    }
}
