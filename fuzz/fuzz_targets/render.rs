//! A post rendered for a channel of every platform (and a small Mastodon
//! instance), once as written and once with `thread: true`: length counted
//! as each platform counts, thread parts that fit, Bluesky facets in place.
#![no_main]

use healthcast::content;
use healthcast_fuzz::{render_everywhere, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = text(data);
    // A file without front matter is taken as a body, so that the fuzzer
    // need not find `---` first to reach the renderers.
    let post = content::parse("content/tips/fuzz.md", &file)
        .or_else(|_| content::parse("content/tips/fuzz.md", &format!("---\n---\n{file}")));
    let Ok(mut post) = post else { return };
    render_everywhere(&post);
    if !post.meta.thread {
        post.meta.thread = true;
        render_everywhere(&post);
    }
});
