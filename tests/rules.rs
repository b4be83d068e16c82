//! Every rule fires on its fixture: `tests/fixtures/rules/content/<family>-<rule>.md`
//! must produce `<family>/<rule>`, and every code in the rule table has a
//! fixture. The human output of one fixture is pinned as a snapshot, so that a
//! change in what a writer sees is a visible change in this file.

use assert_cmd::Command;
use healthcast::checks::rules::RULES;
use serde_json::Value;
use std::path::PathBuf;

fn fixture_repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

fn check(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::cargo_bin("healthcast")
        .unwrap()
        .arg("--repo")
        .arg(fixture_repo())
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn every_fixture_trips_the_rule_it_is_named_after_and_every_rule_has_one() {
    let (code, stdout) = check(&["--format", "json"]);
    assert_eq!(code, Some(1));
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let diagnostics = v["diagnostics"].as_array().unwrap();
    let mut covered = Vec::new();
    for entry in std::fs::read_dir(fixture_repo().join("content")).unwrap() {
        let file_name = entry.unwrap().file_name().to_string_lossy().to_string();
        // `content-extension.MD` is named after its code too.
        let name = file_name.split('.').next().unwrap_or_default().to_string();
        let Some((family, rule)) = name.split_once('-') else {
            continue;
        };
        if name.starts_with("suppressed-") {
            continue;
        }
        let expected = format!("{family}/{rule}");
        let file = format!("content/{file_name}");
        assert!(
            diagnostics
                .iter()
                .any(|d| d["file"] == file.as_str() && d["code"] == expected.as_str()),
            "{file} does not report {expected}"
        );
        covered.push(expected);
    }
    let privacy = healthcast::checks::privacy::RULES
        .iter()
        .map(|(code, _)| *code);
    for code in RULES.iter().map(|r| r.code).chain(privacy) {
        assert!(covered.iter().any(|c| c == code), "no fixture for {code}");
    }
}

#[test]
fn a_suppression_with_a_reason_hides_the_finding_and_is_listed() {
    let (_, stdout) = check(&["--format", "json", "content/suppressed-with-reason.md"]);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 0, "{v}");
    let s = &v["suppressions"][0];
    assert_eq!(
        (
            s["code"].as_str(),
            s["line"].as_u64(),
            s["suppressed"].as_u64()
        ),
        (Some("claims/red-flag"), Some(7), Some(1))
    );
    assert_eq!(s["reason"], "we quote a scam to warn readers");
}

#[test]
fn human_output_snapshot() {
    let (_, stdout) = check(&["content/claims-red-flag.md", "content/sources-not-https.md"]);
    assert_eq!(
        stdout,
        r#"error[claims/red-flag]: red-flag claim `miracle`
  --> content/claims-red-flag.md:7:15
  |
7 | This tea is a miracle for colds.
  |               ^^^^^^^
  = help: health claims must be accurate and supported; say what the evidence shows (e.g. "lowers the risk"), or remove it

error[sources/not-https]: `http://www.cdc.gov/flu/` is not an https URL
  --> content/sources-not-https.md:5:11
  |
5 | sources: [http://www.cdc.gov/flu/]
  |           ^^^^^^^^^^^^^^^^^^^^^^^
  = help: write the full address, starting with https://

checked 2 posts: 2 errors, 0 warnings, 0 suppressions
"#
    );
}

#[test]
fn sarif_and_github_formats_carry_every_diagnostic() {
    let (_, json) = check(&["--format", "json"]);
    let count = serde_json::from_str::<Value>(&json).unwrap()["diagnostics"]
        .as_array()
        .unwrap()
        .len();
    let (_, sarif) = check(&["--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), count);
    let (_, github) = check(&["--format", "github"]);
    assert_eq!(
        github
            .lines()
            .filter(|l| l.starts_with("::error ") || l.starts_with("::warning "))
            .count(),
        count
    );
}

#[test]
fn the_readme_lists_every_rule_with_its_default() {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    for rule in RULES {
        let default = match rule.default {
            healthcast::checks::rules::Level::Error => "error",
            healthcast::checks::rules::Level::Warning => "warning",
            healthcast::checks::rules::Level::Off => "off",
        };
        assert!(
            readme.contains(&format!("| `{}` | {default} |", rule.code)),
            "README lacks {}",
            rule.code
        );
    }
    // The codes policy.yaml cannot change are in their own table.
    for (code, _) in healthcast::checks::rules::FIXED {
        assert!(readme.contains(&format!("`{code}`")), "README lacks {code}");
    }
    for (code, _) in healthcast::checks::privacy::RULES {
        assert!(
            readme.contains(&format!("| `{code}` | error |")),
            "README lacks {code}"
        );
    }
}
