//! The files of `schedules/` through the real `config::load_files`: the input
//! is channels.yaml, then (after a line `--- policy.yaml`) policy.yaml, then
//! (after a line `--- <name>.yaml` each) schedules. Without a policy the
//! repository's is used. What loads is then used: groups expanded, a short
//! post rendered on every channel.
#![no_main]

use healthcast::config::{self, CHANNELS_FILE, POLICY_FILE};
use healthcast::content;
use healthcast_fuzz::{POLICY, check_rendered, repo_file, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = text(data);
    let mut files = Vec::new();
    let mut sections = input.split("\n--- ");
    files.push(repo_file(
        CHANNELS_FILE,
        sections.next().unwrap_or_default(),
    ));
    let mut policy = false;
    for section in sections {
        let (name, body) = section.split_once('\n').unwrap_or((section, ""));
        let name = name.trim();
        if name.is_empty() || name.contains('/') {
            continue;
        }
        policy |= name == "policy.yaml";
        files.push(repo_file(&format!("schedules/{name}"), body));
    }
    if !policy {
        files.push(repo_file(POLICY_FILE, POLICY));
    }
    let loaded = config::load_files(files);
    for d in &loaded.diagnostics {
        assert!(d.span.line >= 1 && d.span.column >= 1, "{d:?}");
    }
    let Some(config) = loaded.config else { return };
    let names: Vec<String> = config
        .groups
        .keys()
        .chain(config.channels.keys())
        .cloned()
        .collect();
    let (expanded, unknown) = config.expand(&names);
    assert!(unknown.is_empty(), "{unknown:?}");
    assert!(expanded.iter().all(|c| config.channels.contains_key(c)));
    for schedule in &config.schedules {
        assert!(!schedule.channels.is_empty(), "{}", schedule.name);
        assert!(
            schedule
                .channels
                .iter()
                .all(|c| config.channels.contains_key(c))
        );
    }
    let post = content::parse(
        "content/tips/fuzz.md",
        "---\ntitle: Wash\nthread: true\ncontent_warning: Needles\nhashtags: [Flu]\n---\nWash your hands. Often! See https://www.cdc.gov/handwashing and @cdc.gov.\n",
    )
    .unwrap_or_else(|d| panic!("{d:?}"));
    for channel in config.channels.values() {
        let rendered = healthcast::render::render(&post, channel);
        check_rendered(&post, channel, &rendered);
    }
});
