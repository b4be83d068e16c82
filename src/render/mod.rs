//! Rendering: a post as a given platform will show it, and its length as that
//! platform counts it. Pure: the same post and channel give the same output.

pub mod facets;
pub mod html;
pub mod length;
pub mod plain;
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
}

impl Rendered {
    pub fn too_long(&self) -> bool {
        self.limit.is_some_and(|limit| self.length > limit)
    }
}

pub fn render(post: &Post, channel: &Channel) -> Rendered {
    let text = plain::text(post, channel.platform());
    match &channel.settings {
        ChannelSettings::Feed(_) => Rendered {
            length: graphemes(&text),
            limit: None,
            html: Some(html::body(post)),
            text,
        },
        ChannelSettings::Mastodon(settings) => Rendered {
            // The instance counts the content warning against the limit too.
            length: length::mastodon(&text)
                + post
                    .meta
                    .content_warning
                    .as_deref()
                    .map_or(0, length::mastodon),
            limit: Some(settings.max_characters),
            html: None,
            text,
        },
    }
}

/// User-perceived characters, as most platforms count them.
pub fn graphemes(text: &str) -> usize {
    text.graphemes(true).count()
}
