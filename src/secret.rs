//! Secrets: credentials come only from the environment (`env:NAME`) or a file
//! (`file:PATH`, outside the repository), never written into configuration,
//! and they never reach a log: [`Secret`] prints as `[redacted]`.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Deserializer};
use std::collections::VecDeque;
use std::fmt;
use std::path::PathBuf;
use std::sync::{LazyLock, RwLock};

/// The secret values this process holds (configured ones and tokens the
/// platforms issued since), newest last, so that text from outside, such as
/// a platform's error message that repeats a token, can be scrubbed before
/// it is logged, stored or alerted. Bounded: refreshed tokens come and go.
static SEEN: LazyLock<RwLock<VecDeque<String>>> = LazyLock::new(RwLock::default);
const SEEN_MAX: usize = 256;
/// Shorter values are not scrubbed: they would cut ordinary words.
const SCRUB_MIN_LEN: usize = 8;

fn remember(value: &str) {
    if value.len() < SCRUB_MIN_LEN {
        return;
    }
    // A poisoned lock only means a panic elsewhere; the list is still whole.
    let mut seen = SEEN.write().unwrap_or_else(|e| e.into_inner());
    if seen.iter().any(|s| s == value) {
        return;
    }
    if seen.len() == SEEN_MAX {
        seen.pop_front();
    }
    seen.push_back(value.to_string());
}

/// `text` with every secret value this process holds replaced by
/// `[redacted]`.
pub fn scrub(text: &str) -> String {
    let seen = SEEN.read().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_string();
    for secret in seen.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "[redacted]");
        }
    }
    out
}

/// Where a secret comes from, as written in channels.yaml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    Env(String),
    File(PathBuf),
}

impl<'de> Deserialize<'de> for SecretRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        SecretRef::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl SecretRef {
    pub fn parse(text: &str) -> std::result::Result<SecretRef, String> {
        if let Some(name) = text.strip_prefix("env:").filter(|n| !n.is_empty()) {
            return Ok(SecretRef::Env(name.to_string()));
        }
        if let Some(path) = text.strip_prefix("file:").filter(|p| !p.is_empty()) {
            return Ok(SecretRef::File(PathBuf::from(path)));
        }
        // The value itself is never repeated in the message: it may be a real token.
        Err(
            "a secret must be written as `env:NAME` or `file:PATH`, never as the value itself"
                .to_string(),
        )
    }

    /// Reads the secret now (at start-up and on reload, so a missing one is
    /// reported before a publication needs it).
    pub fn resolve(&self) -> Result<Secret> {
        let value = match self {
            SecretRef::Env(name) => match std::env::var(name) {
                Ok(v) => v,
                Err(_) => bail!("environment variable {name} is not set"),
            },
            SecretRef::File(path) => std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the secret file {}", path.display()))?,
        };
        let value = value.trim().to_string();
        if value.is_empty() {
            bail!("the secret from {self} is empty");
        }
        Ok(Secret::new(value))
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(name) => write!(f, "env:{name}"),
            SecretRef::File(path) => write!(f, "file:{}", path.display()),
        }
    }
}

/// A credential. `Debug` and `Display` never show it; [`Secret::expose`] is
/// the one way to read it, at the point where a request is signed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        let value = value.into();
        remember(&value);
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_secrets_are_scrubbed_from_outside_text_and_short_ones_are_not() {
        let token = Secret::new("scrub-me-0123456789");
        let _short = Secret::new("abc");
        assert_eq!(
            scrub("bad token scrub-me-0123456789 (abc)"),
            "bad token [redacted] (abc)"
        );
        assert_eq!(token.expose(), "scrub-me-0123456789");
    }

    #[test]
    fn only_env_and_file_references_are_accepted() {
        assert_eq!(
            SecretRef::parse("env:TOKEN"),
            Ok(SecretRef::Env("TOKEN".into()))
        );
        assert_eq!(
            SecretRef::parse("file:/run/secrets/t"),
            Ok(SecretRef::File("/run/secrets/t".into()))
        );
        let err = SecretRef::parse("abc123secret").unwrap_err();
        assert!(!err.contains("abc123secret"));
        assert!(SecretRef::parse("env:").is_err());
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn resolving_reads_files_and_reports_missing_variables() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        std::fs::write(&path, "tok\n").unwrap();
        assert_eq!(SecretRef::File(path).resolve().unwrap().expose(), "tok");
        let err = SecretRef::Env("HEALTHCAST_SURELY_UNSET_VAR".into())
            .resolve()
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("HEALTHCAST_SURELY_UNSET_VAR is not set")
        );
    }
}
