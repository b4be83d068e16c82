//! Secrets: credentials come only from the environment (`env:NAME`) or a file
//! (`file:PATH`, outside the repository), never written into configuration,
//! and they never reach a log: [`Secret`] prints as `[redacted]`.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Deserializer};
use std::collections::VecDeque;
use std::fmt;
use std::path::PathBuf;
use std::sync::{LazyLock, RwLock};

/// The secrets this process holds (configured ones and tokens the
/// platforms issued since), newest last, each as the fragments of it that
/// must never be shown (see [`fragments`]), so that text from outside, such
/// as a platform's error message that repeats a token or the request path,
/// can be scrubbed before it is logged, stored or alerted. Bounded:
/// refreshed tokens come and go.
static SEEN: LazyLock<RwLock<VecDeque<Vec<String>>>> = LazyLock::new(RwLock::default);
const SEEN_MAX: usize = 256;
/// Shorter values are not scrubbed: they would cut ordinary words.
const SCRUB_MIN_LEN: usize = 8;

fn remember(value: &str) {
    let parts = fragments(value);
    if parts.is_empty() {
        return;
    }
    // A poisoned lock only means a panic elsewhere; the list is still whole.
    let mut seen = SEEN.write().unwrap_or_else(|e| e.into_inner());
    if seen.iter().any(|s| *s == parts) {
        return;
    }
    if seen.len() == SEEN_MAX {
        seen.pop_front();
    }
    seen.push_back(parts);
}

/// What of a secret must never be shown: the value itself and, when it is a
/// URL (a Slack, Discord or Teams webhook carries its credential in it), its
/// path and query, each path segment long enough to be a token, each query
/// value and the userinfo; every one also as a platform might echo it:
/// percent-encoded (either case), percent-decoded, and with JSON's escaped
/// slashes. Longest first, so that a whole path is replaced before its parts.
/// A few dozen strings for a webhook URL, a handful for a token.
fn fragments(value: &str) -> Vec<String> {
    let mut parts = vec![value.to_string()];
    if let Ok(url) = reqwest::Url::parse(value)
        && url.has_host()
    {
        parts.push(url.path().to_string());
        // Route words (`services`, `webhooks`, `workflows`) are no secret
        // and would cut ordinary text; ids and tokens have digits or capitals.
        let route_word = |s: &str| s.chars().all(|c| c.is_ascii_lowercase() || c == '-');
        parts.extend(
            url.path_segments()
                .into_iter()
                .flatten()
                .filter(|s| !route_word(s))
                .map(str::to_string),
        );
        if let Some(query) = url.query() {
            parts.push(query.to_string());
            parts.extend(
                query
                    .split('&')
                    .filter_map(|pair| pair.split_once('=').map(|(_, v)| v.to_string())),
            );
        }
        parts.push(url.username().to_string());
        parts.extend(url.password().map(str::to_string));
    }
    let mut out: Vec<String> = Vec::new();
    for part in parts {
        let decoded = percent_decode(&part);
        let mut forms = vec![part.replace('/', "\\/"), decoded.clone(), part.clone()];
        for text in [&part, &decoded] {
            for lower in [false, true] {
                for only_alphanumeric in [false, true] {
                    forms.push(percent_encode(text, lower, only_alphanumeric));
                }
            }
        }
        for form in forms {
            if form.len() >= SCRUB_MIN_LEN && !out.contains(&form) {
                out.push(form);
            }
        }
    }
    out.sort_by_key(|f| std::cmp::Reverse(f.len()));
    out
}

/// Every byte but RFC 3986's unreserved ones as `%XX` (as most encoders
/// write it), or every byte but letters and digits (as some over-eager
/// ones do), with upper- or lower-case hex.
fn percent_encode(text: &str, lower: bool, only_alphanumeric: bool) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || (!only_alphanumeric && b"-._~".contains(&b)) {
            out.push(char::from(b));
        } else if lower {
            out.push_str(&format!("%{b:02x}"));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `%XX` sequences as the bytes they stand for; anything else as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` with every fragment of every secret this process holds replaced
/// by `[redacted]`.
pub fn scrub(text: &str) -> String {
    let seen = SEEN.read().unwrap_or_else(|e| e.into_inner());
    let mut all: Vec<&str> = seen.iter().flatten().map(String::as_str).collect();
    // Longest first across secrets too: a whole path before a token in it.
    all.sort_by_key(|f| std::cmp::Reverse(f.len()));
    let mut out = text.to_string();
    for fragment in all {
        if out.contains(fragment) {
            out = out.replace(fragment, "[redacted]");
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
    fn every_fragment_of_a_webhook_url_is_scrubbed_in_any_encoding() {
        let _slack = Secret::new("https://hooks.slack.com/services/T0000/B0000/XXXXXXXXslack24tok");
        let _discord =
            Secret::new("https://discord.com/api/webhooks/123456789012345678/abcdefTOKEN-_x9");
        let _teams = Secret::new(
            "https://prod.westus.logic.azure.com:443/workflows/0a1b2c3d4e5f/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=TeamsSig%2BAbc123",
        );
        let _basic = Secret::new("https://relay-user:Pa55word-relay@relay.example/hook");
        for echoed in [
            "invalid_payload at /services/T0000/B0000/XXXXXXXXslack24tok",
            "no such hook: XXXXXXXXslack24tok",
            "path=%2Fservices%2FT0000%2FB0000%2FXXXXXXXXslack24tok",
            "token=abcdefTOKEN%2D%5Fx9",
            "{\"path\":\"\\/services\\/T0000\\/B0000\\/XXXXXXXXslack24tok\"}",
            "Invalid Webhook Token for /api/webhooks/123456789012345678/abcdefTOKEN-_x9",
            "token abcdefTOKEN-_x9 unknown",
            "bad signature TeamsSig%2BAbc123",
            "bad signature TeamsSig+Abc123",
            "url=%2fworkflows%2f0a1b2c3d4e5f%2ftriggers",
            "denied for Pa55word-relay",
        ] {
            let shown = scrub(echoed);
            for secret in [
                "XXXXXXXXslack24tok",
                "abcdefTOKEN",
                "Abc123",
                "0a1b2c3d4e5f",
                "Pa55word",
            ] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
            assert!(shown.contains("[redacted]"), "{shown}");
        }
        // Route words stay readable: they are in every webhook URL and in prose.
        assert_eq!(
            scrub("the services and webhooks of our workflows"),
            "the services and webhooks of our workflows"
        );
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
