//! `secrets/*`: a credential written into a repository file is leaked to
//! everyone who can read the repository. Known token formats (cloud keys,
//! platform tokens, private keys, bearer headers) and YAML keys that name a
//! secret but hold a literal instead of `env:NAME` / `file:PATH`.

use super::finding::Finding;
use regex::Regex;
use std::sync::LazyLock;

static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    // Invariant: a constant pattern.
    Regex::new(concat!(
        r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----",
        r"|\bAKIA[0-9A-Z]{16}\b",
        r"|\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{50,}\b",
        r"|\bxox[abprs]-[A-Za-z0-9-]{10,}",
        r"|\bAIza[0-9A-Za-z_-]{35}\b",
        r"|\b[sr]k_live_[0-9A-Za-z]{20,}\b",
        r"|\bglpat-[0-9A-Za-z_-]{20,}\b",
        r"|\bBearer\s+[A-Za-z0-9._~+/-]{20,}=*",
        r"|\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
        r"|https://hooks\.slack\.com/services/[A-Za-z0-9/]+",
        r"|https://discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]+",
    ))
    .unwrap_or_else(|e| unreachable!("{e}"))
});

static SECRET_KEY: LazyLock<Regex> = LazyLock::new(|| {
    // Invariant: a constant pattern.
    Regex::new(r#"(?m)^\s*(?:-\s+)?(?:[a-z_]*(?:token|password|secret|api_key|apikey|access_key|private_key|client_secret))\s*:\s*["']?([^\s"'#{}\[\]][^\s"'#]*)"#)
        .unwrap_or_else(|e| unreachable!("{e}"))
});

/// Scans a whole file (a post or a configuration file).
pub fn check(text: &str, out: &mut Vec<Finding>) {
    for m in TOKEN.find_iter(text) {
        out.push(
            Finding::new("secrets/token", m.range(), "this looks like a credential")
                .with_help("remove it from the repository, revoke it, and pass secrets as `env:NAME` or `file:PATH`"),
        );
    }
    for caps in SECRET_KEY.captures_iter(text) {
        let Some(value) = caps.get(1) else { continue };
        let v = value.as_str();
        if v.starts_with("env:") || v.starts_with("file:") || v == "null" || v == "~" {
            continue;
        }
        out.push(
            Finding::new("secrets/token", value.range(), "a secret written as a literal")
                .with_help("write `env:NAME` (an environment variable) or `file:PATH` (a file outside the repository)"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> usize {
        let mut out = Vec::new();
        check(text, &mut out);
        out.len()
    }

    #[test]
    fn known_token_formats_and_literal_secrets_are_found() {
        assert_eq!(codes("key: AKIAIOSFODNN7EXAMPLE\n"), 1);
        assert_eq!(codes("-----BEGIN RSA PRIVATE KEY-----\n"), 1);
        assert_eq!(
            codes("Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345\n"),
            1
        );
        assert_eq!(codes("  token: s3cr3t-value\n"), 1);
        assert_eq!(
            codes("  token: env:MASTODON_TOKEN\n  password: file:/run/secrets/bsky\n"),
            0
        );
        assert_eq!(
            codes("Wash your hands for 20 seconds. https://www.cdc.gov/clean-hands/\n"),
            0
        );
    }
}
