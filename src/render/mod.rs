//! Rendering: a post as a given platform will show it, and its length as that
//! platform counts it. Pure: the same post and channel give the same output.

pub mod facets;
pub mod html;
pub mod length;
pub mod markup;
pub mod plain;
pub mod slack;
pub mod telegram;
pub mod thread;

use crate::config::{Channel, ChannelSettings};
use crate::content::Post;
use serde::Serialize;
use unicode_segmentation::UnicodeSegmentation;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    /// The text a reader sees (for the feed: the plain-text form of the entry).
    pub text: String,
    /// Length as the platform counts it.
    pub length: usize,
    /// The platform's limit, if it has one.
    pub limit: Option<usize>,
    /// HTML body, for platforms that take HTML.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// What is posted, one entry per post: `[text]`, or the numbered parts
    /// of a thread when the post allows `thread: true` and is too long.
    pub parts: Vec<String>,
}

impl Rendered {
    pub fn too_long(&self) -> bool {
        self.limit.is_some_and(|limit| self.length > limit)
    }
}

pub fn render(post: &Post, channel: &Channel) -> Rendered {
    let text = plain::text(post, channel.platform());
    match &channel.settings {
        ChannelSettings::Feed(_) => feed_entry(post, text),
        // The instance counts the content warning against the limit too.
        ChannelSettings::Mastodon(settings) => {
            social(post, text, settings.limit(), length::mastodon, true)
        }
        ChannelSettings::Bluesky(settings) => crate::publish::bluesky::render(post, settings),
        ChannelSettings::Linkedin(settings) => crate::publish::linkedin::render(post, settings),
        ChannelSettings::Facebook(settings) => crate::publish::facebook::render(post, settings),
        ChannelSettings::Telegram(_) => telegram::render(post),
        ChannelSettings::Slack(_) => slack::render(post),
        ChannelSettings::Discord(_) => crate::publish::discord::render(post),
        ChannelSettings::Teams(_) => crate::publish::teams::render(post),
        // The generic webhook sends the plain text and the HTML.
        ChannelSettings::Webhook(_) => document(post, text),
        ChannelSettings::X(settings) => crate::publish::x::render(post, settings),
        ChannelSettings::Threads(settings) => crate::publish::threads::render(post, settings),
    }
}

/// A document channel (a feed, a website): HTML and plain text, no limit.
fn document(post: &Post, text: String) -> Rendered {
    Rendered {
        length: graphemes(&text),
        limit: None,
        html: Some(html::body(post)),
        parts: vec![text.clone()],
        text,
    }
}

/// A feed entry: a document whose HTML carries what the writer wrote for
/// the feed (`overrides.feed.text`) and the content warning, as its text does.
fn feed_entry(post: &Post, text: String) -> Rendered {
    let mut rendered = document(post, text);
    if let Some(written) = post
        .meta
        .overrides
        .get("feed")
        .and_then(|o| o.text.as_deref())
    {
        rendered.html = Some(paragraphs(written));
    }
    if let Some(warning) = &post.meta.content_warning {
        let html = rendered.html.take().unwrap_or_default();
        rendered.html = Some(format!(
            "<p><strong>Content warning: {}</strong></p>\n{html}",
            telegram::escape(warning)
        ));
        rendered.text = format!("Content warning: {warning}\n\n{}", rendered.text);
        rendered.length = graphemes(&rendered.text);
        rendered.parts = vec![rendered.text.clone()];
    }
    rendered
}

/// Plain text as HTML paragraphs: blank lines part them, a line break is `<br />`.
fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", telegram::escape(p).replace('\n', "<br />")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A social post: counted the platform's way against `limit`; split into a
/// thread when it is too long and the writer allowed `thread: true`.
/// `warning_counts`: the content warning is counted against the limit.
pub fn social(
    post: &Post,
    text: String,
    limit: usize,
    count: fn(&str) -> usize,
    warning_counts: bool,
) -> Rendered {
    let warning = if warning_counts {
        post.meta.content_warning.as_deref().map_or(0, count)
    } else {
        0
    };
    let whole = count(&text) + warning;
    let parts = if whole > limit && post.meta.thread && limit > warning {
        thread::split(&text, limit - warning, count)
    } else {
        vec![text.clone()]
    };
    // For a thread, the longest part is what must fit.
    let length = if parts.len() > 1 {
        parts.iter().map(|p| count(p) + warning).max().unwrap_or(0)
    } else {
        whole
    };
    Rendered {
        text,
        length,
        limit: Some(limit),
        html: None,
        parts,
    }
}

/// User-perceived characters, as most platforms count them.
pub fn graphemes(text: &str) -> usize {
    text.graphemes(true).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Channel;
    use crate::publish::mastodon::{Settings, Visibility};
    use crate::secret::SecretRef;

    fn mastodon(limit: usize) -> Channel {
        Channel {
            limits: Default::default(),
            name: "m".into(),
            settings: ChannelSettings::Mastodon(Settings {
                base_url: "https://m.example".into(),
                token: SecretRef::Env("T".into()),
                visibility: Visibility::Public,
                max_characters: Some(limit),
            }),
        }
    }

    fn post(front: &str, body: &str) -> Post {
        crate::content::parse(
            "content/a.md",
            &format!("---\ntitle: T\n{front}---\n{body}"),
        )
        .unwrap()
    }

    #[test]
    fn the_feed_entry_carries_the_writer_s_feed_text_and_the_content_warning() {
        let feed = Channel {
            limits: Default::default(),
            name: "site-feed".into(),
            settings: ChannelSettings::Feed(crate::config::FeedSettings {
                path: "f.xml".into(),
                title: "T".into(),
                link: None,
                id: None,
                author: None,
                max_entries: 50,
            }),
        };
        let written = post(
            "overrides:\n  feed: { text: \"For the feed: <b>bold</b> & more.\\n\\nSecond paragraph.\" }\ncontent_warning: Needles\n",
            "The **body** for everyone else.\n",
        );
        let r = render(&written, &feed);
        let html = r.html.unwrap();
        assert!(
            html.starts_with("<p><strong>Content warning: Needles</strong></p>"),
            "{html}"
        );
        assert!(
            html.contains("<p>For the feed: &lt;b&gt;bold&lt;/b&gt; &amp; more.</p>"),
            "{html}"
        );
        assert!(
            html.contains("<p>Second paragraph.</p>") && !html.contains("body"),
            "{html}"
        );
        assert!(
            r.text
                .starts_with("Content warning: Needles\n\nFor the feed"),
            "{}",
            r.text
        );
        // Without either, the entry is the body's HTML.
        let plain = render(&post("", "The **body**.\n"), &feed);
        assert_eq!(
            plain.html.unwrap().trim(),
            "<p>The <strong>body</strong>.</p>"
        );
    }

    #[test]
    fn a_long_post_with_thread_true_becomes_parts_that_each_fit() {
        let body = "Wash your hands often. ".repeat(10);
        let long = render(
            &post("thread: true\ncontent_warning: CW\n", &body),
            &mastodon(80),
        );
        assert!(long.parts.len() > 1);
        assert!(!long.too_long());
        assert!(
            long.parts.iter().all(|p| length::mastodon(p) + 2 <= 80),
            "{:?}",
            long.parts
        );
        let refused = render(&post("", &body), &mastodon(80));
        assert_eq!(refused.parts.len(), 1);
        assert!(
            refused.too_long(),
            "without thread: true a long post is an error"
        );
    }

    #[test]
    fn the_content_warning_counts_against_mastodon_s_limit() {
        let r = render(
            &post(
                "content_warning: Needles\n",
                "See https://www.cdc.gov/flu/index.html now.\n",
            ),
            &mastodon(500),
        );
        // "See " + 23 for the URL + " now." = 32, plus 7 for the warning.
        assert_eq!(r.length, 32 + 7);
    }
}
