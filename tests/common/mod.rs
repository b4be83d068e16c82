//! A temporary content repository for integration tests.
#![allow(dead_code)]

use chrono::{DateTime, SecondsFormat, Utc};
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct TempRepo {
    pub dir: tempfile::TempDir,
}

pub const CHANNELS: &str = "timezone: UTC\nchannels:\n  site-feed: { platform: feed, path: public/feed.xml, title: Test tips }\ngroups:\n  public: [site-feed]\n";
pub const POLICY: &str = "reviewers: [\"Dr. Test, MD\"]\n";

impl TempRepo {
    /// A repository with channels.yaml (one feed channel) and policy.yaml.
    pub fn new() -> TempRepo {
        let repo = TempRepo {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        repo.write("schedules/channels.yaml", CHANNELS);
        repo.write("schedules/policy.yaml", POLICY);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, path: &str) -> PathBuf {
        self.dir.path().join(path)
    }

    pub fn write(&self, path: &str, text: &str) {
        let full = self.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    /// A tip that passes every check.
    pub fn tip(&self, id: &str) {
        self.write(&format!("content/tips/{id}.md"), &tip_text(id));
    }

    /// A news item due at `at` on the `public` group.
    pub fn news(&self, id: &str, at: DateTime<Utc>) {
        self.write(&format!("content/news/{id}.md"), &news_text(id, at));
    }

    pub fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .current_dir(self.path())
            .args([
                "-c",
                "user.name=Test",
                "-c",
                "user.email=test@example.org",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// `git init` and commit everything; returns the commit id.
    pub fn commit_all(&self) -> String {
        if !self.join(".git").exists() {
            self.git(&["init", "-q", "-b", "main"]);
        }
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", "content"]);
        self.git(&["rev-parse", "HEAD"])
    }
}

pub fn tip_text(id: &str) -> String {
    let reviewed = (Utc::now() - chrono::TimeDelta::days(2)).format("%Y-%m-%d");
    format!(
        "---\ntitle: Tip {id}\nkind: tip\ntags: [test]\nreview: {{ by: \"Dr. Test, MD\", on: {reviewed} }}\n---\nThis is tip **{id}**. Drink water <script>alert(1)</script> every day.\n"
    )
}

pub fn news_text(id: &str, at: DateTime<Utc>) -> String {
    let reviewed = (Utc::now() - chrono::TimeDelta::days(2)).format("%Y-%m-%d");
    format!(
        "---\ntitle: News {id}\nkind: news\npublish_at: {}\nchannels: [public]\nsources: [https://www.cdc.gov/flu/]\nreview: {{ by: \"Dr. Test, MD\", on: {reviewed} }}\n---\nNews item {id}.\n",
        at.to_rfc3339_opts(SecondsFormat::Secs, true)
    )
}

pub fn healthcast() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_healthcast"));
    cmd.env("HEALTHCAST_LOG", "info");
    cmd
}

impl TempRepo {
    /// `healthcast run --once --new-ledger` on this repository, off the
    /// async runtime (a loopback server in the test must keep answering);
    /// its log, stdout then stderr. A test repository is a first
    /// installation: its ledger is meant to be new, so what is due is sent
    /// without reading the channel back first.
    pub async fn run_once(&self) -> String {
        let root = self.path().to_path_buf();
        let out = tokio::task::spawn_blocking(move || {
            healthcast()
                .arg("--repo")
                .arg(root)
                .args(["run", "--once", "--new-ledger"])
                .output()
                .expect("run healthcast")
        })
        .await
        .expect("join the run");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    /// `healthcast status --format json`, parsed.
    pub fn status(&self) -> serde_json::Value {
        let out = healthcast()
            .arg("--repo")
            .arg(self.path())
            .args(["status", "--format", "json"])
            .output()
            .expect("run healthcast status");
        serde_json::from_slice(&out.stdout).expect("status JSON")
    }
}
