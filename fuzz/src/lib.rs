//! What the fuzz targets share: the channels every post is rendered for, and
//! the invariants checked on what comes out. A broken invariant panics, which
//! libFuzzer reports as a crash and saves the input for.

use healthcast::config::{self, Channel, ChannelSettings, Config};
use healthcast::content::Post;
use healthcast::content::doc::Element;
use healthcast::publish;
use healthcast::render::{self, Rendered, facets, length, slack, telegram, thread};
use healthcast::source::RepoFile;
use serde_json::Value;
use std::ops::Range;
use std::sync::LazyLock;

/// One channel of every platform, configured as in the commented examples of
/// `schedules/channels.yaml` (which `tests/channels.rs` also checks).
pub const EVERY_PLATFORM: &str = include_str!("every_platform.yaml");

/// A small Mastodon instance's limit as well, so that a short post is split too.
const SMALL_MASTODON: &str = "
  small-mastodon:
    platform: mastodon
    base_url: https://small.example
    token: env:SMALL_TOKEN
    max_characters: 40
";

pub const POLICY: &str = include_str!("../../schedules/policy.yaml");

pub fn repo_file(path: &str, text: &str) -> RepoFile {
    RepoFile::new(path, text.as_bytes().to_vec())
}

/// The configuration with a channel of every platform, loaded once through
/// the real `config::load_files`.
pub static CONFIG: LazyLock<Config> = LazyLock::new(|| {
    let channels = EVERY_PLATFORM.replace("channels:\n", &format!("channels:\n{SMALL_MASTODON}"));
    let loaded = config::load_files(vec![
        repo_file(config::CHANNELS_FILE, &channels),
        repo_file(config::POLICY_FILE, POLICY),
    ]);
    let config = loaded.config.unwrap_or_else(|| {
        panic!(
            "every_platform.yaml does not load: {:?}",
            loaded.diagnostics
        )
    });
    assert_eq!(config.channels.len(), 13, "a channel of every platform");
    config
});

/// How a platform counts the text of one part, and whether the content
/// warning counts against its limit as well. `None`: the platform sends one
/// text whole (LinkedIn, Facebook, the feed, Teams, webhooks).
pub fn counter(channel: &Channel) -> Option<(fn(&str) -> usize, bool)> {
    Some(match channel.settings {
        ChannelSettings::Mastodon(_) => (length::mastodon, true),
        ChannelSettings::Bluesky(_) => (publish::bluesky::measure, false),
        ChannelSettings::X(_) => (length::x_weighted, false),
        ChannelSettings::Threads(_) => (length::threads, false),
        ChannelSettings::Slack(_) => (slack::count, false),
        ChannelSettings::Discord(_) => (publish::discord::count, false),
        ChannelSettings::Telegram(_) => (telegram_visible, false),
        _ => return None,
    })
}

fn telegram_visible(html: &str) -> usize {
    telegram::count(&telegram::visible(html))
}

/// Renders `post` for every channel and checks each result.
pub fn render_everywhere(post: &Post) {
    for channel in CONFIG.channels.values() {
        let rendered = render::render(post, channel);
        check_rendered(post, channel, &rendered);
    }
}

/// The invariants of one rendering: there is something to send; a single
/// part is the text; thread parts are numbered `k/n `, each fits the limit
/// (or is a single word that cannot be cut: a URL, one huge grapheme), and
/// together hold every non-blank character of the text, in order; the
/// length reported is the length of the longest part as the platform counts
/// it; Bluesky's facets point at the text they describe.
pub fn check_rendered(post: &Post, channel: &Channel, r: &Rendered) {
    let name = &channel.name;
    assert!(!r.parts.is_empty(), "{name}: nothing to send");
    let telegram = matches!(channel.settings, ChannelSettings::Telegram(_));
    let Some((count, warning_counts)) = counter(channel) else {
        assert_eq!(r.parts, [r.text.clone()], "{name}: one text, sent whole");
        return;
    };
    let warning = match (warning_counts, &post.meta.content_warning) {
        (true, Some(w)) => count(w),
        _ => 0,
    };
    let limit = r
        .limit
        .unwrap_or_else(|| panic!("{name}: a social platform has a limit"));
    if r.parts.len() == 1 {
        if telegram {
            assert_eq!(r.html.as_deref(), Some(r.parts[0].as_str()), "{name}");
            assert_eq!(r.length, telegram::count(&r.text), "{name}: visible length");
        } else {
            assert_eq!(
                r.parts[0].trim(),
                r.text.trim(),
                "{name}: the one part is the text"
            );
            if r.parts[0] == r.text {
                assert_eq!(r.length, count(&r.text) + warning, "{name}: length");
            }
        }
        return;
    }
    let n = r.parts.len();
    let mut longest = 0;
    let mut bodies = String::new();
    for (i, part) in r.parts.iter().enumerate() {
        let shown = if telegram {
            telegram::visible(part)
        } else {
            part.clone()
        };
        let numbering = thread::numbering(i + 1, n);
        let body = shown
            .strip_prefix(&numbering)
            .unwrap_or_else(|| panic!("{name}: part {} of {n} is not numbered: {shown:?}", i + 1));
        assert!(
            !body.trim().is_empty(),
            "{name}: part {} of {n} is empty",
            i + 1
        );
        let c = count(part) + warning;
        longest = longest.max(c);
        assert!(
            c <= limit || !body.trim().contains(char::is_whitespace),
            "{name}: part {} of {n} counts {c} > {limit} and could have been split: {body:?}",
            i + 1
        );
        bodies.push_str(body);
        if matches!(channel.settings, ChannelSettings::Bluesky(_)) {
            check_facets(part);
        }
    }
    assert_eq!(
        r.length, longest,
        "{name}: the length is the longest part's"
    );
    // Telegram splits its visible text; the others the text as sent.
    assert_eq!(
        non_blank(&bodies),
        non_blank(&r.text),
        "{name}: the thread's parts do not hold the text"
    );
}

/// The text without its whitespace: what a thread must keep, in order.
pub fn non_blank(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Splits `text` for `limit` and checks the parts as [`check_rendered`] does.
pub fn check_split(text: &str, limit: usize, count: fn(&str) -> usize) {
    let parts = thread::split(text, limit, count);
    assert!(!parts.is_empty());
    if parts.len() == 1 {
        assert!(
            parts[0] == text || parts[0] == text.trim(),
            "one part is the text"
        );
        return;
    }
    let n = parts.len();
    let mut bodies = String::new();
    for (i, part) in parts.iter().enumerate() {
        let body = part
            .strip_prefix(&thread::numbering(i + 1, n))
            .unwrap_or_else(|| panic!("part {} of {n} is not numbered: {part:?}", i + 1));
        assert!(!body.trim().is_empty(), "part {} of {n} is empty", i + 1);
        let c = count(part);
        assert!(
            c <= limit || !body.trim().contains(char::is_whitespace),
            "part {} of {n} counts {c} > {limit} and could have been split: {body:?}",
            i + 1
        );
        bodies.push_str(body);
    }
    assert_eq!(
        non_blank(&bodies),
        non_blank(text),
        "the parts do not hold the text"
    );
}

/// Bluesky facets: byte ranges inside `text`, on character boundaries, not
/// empty, sorted and not overlapping; each link, tag and mention covers the
/// text it names.
pub fn check_facets(text: &str) {
    let detected = facets::detect(text);
    let with_mentions = detected.with_mentions(|handle| Some(format!("did:plc:{}", handle.len())));
    for list in [&detected.facets, &with_mentions] {
        let mut end = 0;
        for facet in list {
            let range = facet_range(facet);
            assert!(
                range.start >= end,
                "facets overlap or are unsorted: {list:?}"
            );
            end = range.end;
            let covered = slice(text, &range);
            let feature = &facet["features"][0];
            match feature["$type"].as_str() {
                Some(facets::LINK) => {
                    let uri = feature["uri"].as_str().unwrap_or_default();
                    assert!(
                        uri == covered || uri.strip_prefix("https://") == Some(covered),
                        "link facet {uri:?} covers {covered:?}"
                    );
                }
                Some(facets::TAG) => {
                    let tag = feature["tag"].as_str().unwrap_or_default();
                    // One hash opens the tag; the tag itself may hold more.
                    let bare = covered
                        .strip_prefix('#')
                        .or_else(|| covered.strip_prefix('＃'));
                    assert_eq!(bare, Some(tag), "tag facet covers {covered:?}");
                }
                Some(facets::MENTION) => {
                    assert!(covered.starts_with('@'), "mention facet covers {covered:?}")
                }
                other => panic!("unknown facet type {other:?}"),
            }
        }
    }
    for (range, handle) in &detected.mentions {
        let covered = slice(text, range);
        assert_eq!(covered.strip_prefix('@'), Some(handle.as_str()), "mention");
    }
}

fn facet_range(facet: &Value) -> Range<usize> {
    let at = |key: &str| {
        facet["index"][key]
            .as_u64()
            .unwrap_or_else(|| panic!("facet without {key}: {facet}")) as usize
    };
    at("byteStart")..at("byteEnd")
}

/// `text[range]`, or a panic saying why the range is not a slice of it.
pub fn slice<'a>(text: &'a str, range: &Range<usize>) -> &'a str {
    assert!(range.start < range.end, "empty range {range:?}");
    text.get(range.clone()).unwrap_or_else(|| {
        panic!(
            "range {range:?} is outside the text ({} bytes) or not on character boundaries",
            text.len()
        )
    })
}

/// Every element's span lies in `[offset, offset + len]` of the file and
/// on character boundaries of `file`.
pub fn check_spans(elements: &[Element], file: &str, body_range: &Range<usize>) {
    // An explicit stack: deep nesting is the other shape this must survive.
    let mut stack: Vec<&Element> = elements.iter().collect();
    while let Some(e) = stack.pop() {
        let span = &e.span;
        assert!(
            span.start <= span.end && body_range.start <= span.start && span.end <= body_range.end,
            "span {span:?} outside the body {body_range:?}: {:?}",
            e.node
        );
        assert!(
            file.is_char_boundary(span.start) && file.is_char_boundary(span.end),
            "span {span:?} not on character boundaries: {:?}",
            e.node
        );
        stack.extend(e.children.iter());
    }
}

/// Bytes as text: valid UTF-8 as it is, anything else with replacement
/// characters (the loader refuses such files; the parsers never see them).
pub fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}
