//! Every platform's length counter on any text, Bluesky facet detection,
//! and the thread splitter at a limit taken from the input.
#![no_main]

use healthcast::publish;
use healthcast::render::{self, length, slack, telegram};
use healthcast_fuzz::{check_facets, check_split, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let text = text(rest);
    let text = text.as_ref();
    let graphemes = render::graphemes(text);
    let (bluesky_graphemes, bytes) = length::bluesky(text);
    assert_eq!((bluesky_graphemes, bytes), (graphemes, text.len()));
    let x = length::x_weighted(text);
    let mastodon = length::mastodon(text);
    let threads = length::threads(text);
    assert!(
        threads >= graphemes,
        "an emoji counts at least 1 on Threads"
    );
    assert!(telegram::count(text) >= text.chars().count());
    let _ = (
        x,
        mastodon,
        slack::count(text),
        publish::discord::count(text),
    );
    check_facets(text);
    // Limits from tiny (every part is a word or less) to the platforms' own.
    let limit = match first % 4 {
        0 => 8 + usize::from(first / 4),
        1 => 280,
        2 => 300,
        _ => 500,
    };
    let counters: [fn(&str) -> usize; 4] = [
        length::x_weighted,
        length::mastodon,
        length::threads,
        publish::bluesky::measure,
    ];
    check_split(text, limit, counters[usize::from(first >> 6)]);
});
