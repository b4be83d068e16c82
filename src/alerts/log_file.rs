//! The `log_file:` alert target: one JSON line per alert,
//! `{"time","event","subject","message"}`, appended to a local file (its
//! folder is created). It needs no network, so it still records what happened
//! when every remote target is down. A failed write is the caller's to log;
//! it never stops the daemon.

use super::Alert;
use chrono::SecondsFormat;
use std::io::Write as _;
use std::path::Path;

/// The line written for `alert`, with its newline.
pub fn line(alert: &Alert) -> String {
    let value = serde_json::json!({
        "time": alert.at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "event": alert.event,
        "subject": alert.subject,
        "message": alert.message,
    });
    format!("{value}\n")
}

/// Appends `alert` to the file at `path`, creating its folder and the file.
/// The line goes out in one write to a file opened for appending, so lines
/// of two processes do not interleave.
pub fn append(path: &Path, alert: &Alert) -> Result<(), String> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create the folder {}: {e}", parent.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    file.write_all(line(alert).as_bytes())
        .map_err(|e| format!("cannot write to {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn alert(subject: &str) -> Alert {
        Alert {
            event: "held",
            subject: subject.into(),
            message: "Publication x is held:\n\"quoted\"".into(),
            at: Utc.with_ymd_and_hms(2026, 3, 8, 14, 0, 5).unwrap(),
        }
    }

    #[test]
    fn each_alert_is_one_json_line_in_a_created_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("var/log/healthcast/alerts.log");
        append(&path, &alert("a")).unwrap();
        append(&path, &alert("b")).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(
            first,
            serde_json::json!({
                "time": "2026-03-08T14:00:05Z",
                "event": "held",
                "subject": "a",
                "message": "Publication x is held:\n\"quoted\"",
            })
        );
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn a_folder_that_cannot_be_made_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let error = append(&blocker.join("alerts.log"), &alert("a")).unwrap_err();
        assert!(error.contains("cannot"), "{error}");
    }
}
