//! Platform length counting, Bluesky facets and thread splitting, on tricky
//! texts. X values are worked out from twitter-text's v3 configuration as
//! the specs README states it (shared/specs/README.md): code points 0–4351,
//! 8192–8205, 8208–8223, 8242–8247 weigh 1, others 2, a URL 23, an emoji
//! sequence 2, after NFC.

use healthcast::render::facets::{self, LINK, MENTION, TAG};
use healthcast::render::length::{self, LIMITS, bluesky, mastodon, x_weighted};
use healthcast::render::thread;
use serde_json::Value;

#[test]
fn x_weighted_length() {
    let cases: &[(&str, usize, &str)] = &[
        ("Hello world", 11, "ASCII weighs 1"),
        ("", 0, "empty"),
        (
            "See https://www.cdc.gov/flu/index.html for more",
            4 + 23 + 9,
            "URL with scheme is 23",
        ),
        ("http://a.co", 23, "short URL is 23 too"),
        (
            "See cdc.gov.",
            4 + 23 + 1,
            "bare domain, the full stop is not the URL's",
        ),
        ("who.int", 23, "bare gTLD domain"),
        (
            "Visit www.nhs.uk/conditions today",
            6 + 23 + 6,
            "ccTLD with subdomain and path",
        ),
        (
            "example.de",
            10,
            "two-label ccTLD without path is not a URL in twitter-text",
        ),
        ("example.de/grippe", 23, "ccTLD with a path is"),
        (
            "mail user@example.com",
            21,
            "an address is not a URL: @ before the domain",
        ),
        ("#cdc.gov", 8, "nor a domain after #"),
        ("vitamin.d", 9, "unknown TLD: text"),
        (
            "a.b https://cdc.gov/a) b",
            4 + 23 + 3,
            "unbalanced ) is not the URL's",
        ),
        (
            "👩🏽\u{200D}⚕\u{FE0F}",
            2,
            "ZWJ sequence with skin tone is one emoji",
        ),
        ("👨\u{200D}👩\u{200D}👧", 2, "family ZWJ sequence"),
        ("👍🏿", 2, "skin tone modifier"),
        ("🇺🇸", 2, "flag: two regional indicators"),
        ("🇺🇸🇫🇷", 4, "two flags"),
        ("1\u{FE0F}\u{20E3}", 2, "keycap sequence"),
        ("#\u{FE0F}\u{20E3}", 2, "keycap #"),
        ("❤\u{FE0F}", 2, "text-default emoji with VS16"),
        ("©", 1, "lone © weighs 1 (U+00A9 is in 0–4351)"),
        ("©\u{FE0F}", 2, "© with VS16 is an emoji"),
        ("健康", 4, "CJK weighs 2 each"),
        ("こんにちは", 10, "kana weigh 2 each"),
        ("안녕", 4, "Hangul syllables (U+AC00…) weigh 2"),
        ("e\u{301}", 1, "NFD é becomes U+00E9 after NFC"),
        ("Cafe\u{301} cre\u{300}me", 10, "NFD text, NFC first"),
        (
            "q\u{301}",
            2,
            "no precomposed form: two code points of weight 1",
        ),
        ("Здоровье", 8, "Cyrillic is in 0–4351"),
        ("स्वास्थ्य", 9, "Devanagari code points weigh 1 each"),
        ("a—b", 3, "em dash U+2014 = 8212, in 8208–8223"),
        ("a’b", 3, "U+2019 = 8217, in 8208–8223"),
        ("a…b", 4, "ellipsis U+2026 = 8230, outside the ranges"),
        ("€5", 3, "U+20AC weighs 2"),
        ("‰", 2, "U+2030 = 8240, outside 8242–8247"),
        ("′", 1, "prime U+2032 = 8242"),
        ("#FluSeason, #Health", 19, "hashtags are text"),
    ];
    for (text, want, why) in cases {
        assert_eq!(x_weighted(text), *want, "{text:?}: {why}");
    }
    assert_eq!(x_weighted(&"a".repeat(280)), 280);
    assert_eq!(x_weighted(&"健".repeat(140)), 280);
}

#[test]
fn mastodon_length() {
    // Mastodon: graphemes; URLs with a scheme are 23, @user@domain is @user.
    let cases: &[(&str, usize, &str)] = &[
        ("Hello world", 11, "ASCII"),
        (
            "See https://www.cdc.gov/flu/index.html",
            4 + 23,
            "URL with scheme",
        ),
        ("See http://a.co", 4 + 23, "short URL still 23"),
        ("See cdc.gov", 11, "no scheme: counted as written"),
        (
            "Hi @alice@mastodon.social!",
            3 + 6 + 1,
            "remote mention counts as @alice",
        ),
        ("Hi @alice", 9, "local mention"),
        ("x@y.com", 7, "not a mention after a letter"),
        ("👩🏽\u{200D}⚕\u{FE0F} ok", 4, "one grapheme for the emoji"),
        ("🇺🇸", 1, "flag"),
        ("健康", 2, "CJK one each"),
        ("e\u{301}", 1, "combining mark joins its base"),
    ];
    for (text, want, why) in cases {
        assert_eq!(mastodon(text), *want, "{text:?}: {why}");
    }
}

#[test]
fn bluesky_length() {
    // (graphemes, UTF-8 bytes)
    let cases: &[(&str, (usize, usize))] = &[
        ("Hello", (5, 5)),
        ("👨\u{200D}👩\u{200D}👧", (1, 18)), // 3 × 4 bytes + 2 ZWJ × 3
        ("🇺🇸", (1, 8)),
        ("e\u{301}", (1, 3)), // not normalised: e + U+0301
        ("é", (1, 2)),
        ("健康 https://cdc.gov", (18, 22)), // 2 × 3 + 1 + 15; URLs count as written
        ("1\u{FE0F}\u{20E3}", (1, 7)),
    ];
    for (text, want) in cases {
        assert_eq!(bluesky(text), *want, "{text:?}");
    }
}

#[test]
fn threads_length() {
    // Graphemes; an emoji counts its UTF-8 bytes (Threads' documentation).
    let cases: &[(&str, usize, &str)] = &[
        ("Hello", 5, "ASCII"),
        ("😷", 4, "one emoji, four bytes"),
        (
            "👩🏽\u{200D}⚕\u{FE0F} ok",
            17 + 3,
            "the whole ZWJ sequence's bytes",
        ),
        ("🇺🇸", 8, "a flag: two regional indicators"),
        ("1\u{FE0F}\u{20E3}", 7, "keycap"),
        ("健康", 2, "CJK one each"),
        ("e\u{301}", 1, "combining mark joins its base"),
        ("See https://www.cdc.gov/flu/", 28, "URLs as written"),
    ];
    for (text, want, why) in cases {
        assert_eq!(length::threads(text), *want, "{text:?}: {why}");
    }
    assert_eq!(length::counter("threads").map(|c| c("😷")), Some(4));
}

#[test]
fn limits_are_data() {
    let want = [
        ("x", 280),
        ("bluesky", 300),
        ("mastodon", 500),
        ("threads", 500),
        ("linkedin", 3000),
        ("facebook", 63206),
        ("telegram", 4096),
        ("discord", 2000),
    ];
    assert_eq!(LIMITS.len(), want.len());
    for (platform, max) in want {
        assert_eq!(length::limit(platform), Some(max), "{platform}");
    }
    assert_eq!(length::BLUESKY_MAX_BYTES, 3000);
    assert!(length::counter("x").is_some() && length::counter("telegram").is_none());
}

/// The lexicon as shipped in @atproto/api (a copy of
/// shared/specs/bluesky/app.bsky.richtext.facet.json, so the tests run from
/// any clone).
fn lexicon() -> Value {
    serde_json::from_str(include_str!("fixtures/specs/app.bsky.richtext.facet.json")).unwrap()
}

/// Checks a facet against the lexicon: `main`'s required fields, the
/// byteSlice's, the feature's own by its `$type`, and the constraints the
/// lexicon states (minimum 0, tag length); plus offsets on char boundaries.
fn check_facet(text: &str, facet: &Value, lexicon: &Value) {
    let defs = &lexicon["defs"];
    let required = |def: &str| -> Vec<String> {
        defs[def]["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let obj = facet.as_object().expect("facet is an object");
    for key in required("main") {
        assert!(obj.contains_key(&key), "{facet}: missing {key}");
    }
    for key in obj.keys() {
        assert!(
            defs["main"]["properties"].get(key).is_some(),
            "{facet}: unknown {key}"
        );
    }
    let index = &facet["index"];
    for key in required("byteSlice") {
        let v = index[&key]
            .as_u64()
            .unwrap_or_else(|| panic!("{facet}: {key} not an integer"));
        assert!(
            v >= defs["byteSlice"]["properties"][&key]["minimum"]
                .as_u64()
                .unwrap()
        );
    }
    let (start, end) = (
        index["byteStart"].as_u64().unwrap() as usize,
        index["byteEnd"].as_u64().unwrap() as usize,
    );
    assert!(start < end && end <= text.len(), "{facet}");
    assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "{facet}"
    );
    let refs: Vec<&str> = defs["main"]["properties"]["features"]["items"]["refs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let features = facet["features"].as_array().expect("features is an array");
    assert!(!features.is_empty());
    for feature in features {
        let ty = feature["$type"].as_str().expect("$type");
        assert!(refs.contains(&format!("lex:{ty}").as_str()), "{ty}");
        let def = ty.rsplit('#').next().unwrap();
        for key in required(def) {
            assert!(feature[&key].is_string(), "{feature}: {key}");
        }
        if def == "tag" {
            let tag = feature["tag"].as_str().unwrap();
            let max_len = defs["tag"]["properties"]["tag"]["maxLength"]
                .as_u64()
                .unwrap();
            assert!(tag.len() as u64 <= max_len && length::graphemes(tag) <= 64);
        }
        if def == "link" {
            assert!(feature["uri"].as_str().unwrap().starts_with("http"));
        }
    }
}

/// (byteStart, byteEnd, kind, uri or tag)
type Found = (usize, usize, String, String);
type Counter = fn(&str) -> usize;

fn links_and_tags(text: &str) -> Vec<Found> {
    let lexicon = lexicon();
    let detected = facets::detect(text);
    let mut last_end = 0;
    detected
        .facets
        .iter()
        .map(|f| {
            check_facet(text, f, &lexicon);
            let start = f["index"]["byteStart"].as_u64().unwrap() as usize;
            let end = f["index"]["byteEnd"].as_u64().unwrap() as usize;
            assert!(start >= last_end, "sorted, not overlapping");
            last_end = end;
            let feature = &f["features"][0];
            let (ty, value) = match feature["$type"].as_str().unwrap() {
                LINK => ("link", feature["uri"].as_str().unwrap()),
                TAG => ("tag", feature["tag"].as_str().unwrap()),
                other => panic!("{other}"),
            };
            (start, end, ty.to_string(), value.to_string())
        })
        .collect()
}

fn f(start: usize, end: usize, ty: &str, value: &str) -> Found {
    (start, end, ty.to_string(), value.to_string())
}

#[test]
fn facet_offsets_are_utf8_bytes() {
    let cases: Vec<(&str, Vec<Found>)> = vec![
        // "Grippe " 7 + 🤒 4 + " " 1 + "—" 3 + " voir " 6 = 21; "cdc.gov/flu" is 11.
        (
            "Grippe 🤒 — voir cdc.gov/flu.",
            vec![f(21, 32, "link", "https://cdc.gov/flu")],
        ),
        // "Vaccins : " 10 bytes, then 22 bytes of URL.
        (
            "Vaccins : https://www.who.int/fr (détails)",
            vec![f(10, 32, "link", "https://www.who.int/fr")],
        ),
        // "(see " 5, URL 19; the unmatched ) is trimmed.
        (
            "(see https://cdc.gov/flu)",
            vec![f(5, 24, "link", "https://cdc.gov/flu")],
        ),
        ("Stay well #FluSeason!", vec![f(10, 20, "tag", "FluSeason")]),
        // "über " is 6 bytes (ü is 2); "#Gesundheit" 11.
        ("über #Gesundheit.", vec![f(6, 17, "tag", "Gesundheit")]),
        // 健 and 康 are 3 bytes each.
        ("#健康 day", vec![f(0, 7, "tag", "健康")]),
        // Full-width ＃ is 3 bytes and starts a tag too.
        ("a ＃tag", vec![f(2, 8, "tag", "tag")]),
        // Hashtags after punctuation are not tags; all digits are not tags.
        ("flu,#season (#vaccine) #2024", vec![]),
        ("x #2024flu", vec![f(2, 10, "tag", "2024flu")]),
        ("keycap #\u{FE0F}\u{20E3}", vec![]),
        // "É" 2 bytes + "tude " 5 = 7; "nih.gov" 7, the comma trimmed.
        (
            "Étude nih.gov, #Santé",
            vec![
                f(7, 14, "link", "https://nih.gov"),
                f(16, 23, "tag", "Santé"),
            ],
        ),
        // Unknown TLD, hyphenated bare domain (the client's pattern has no
        // hyphen), and a domain glued to a word: no links.
        (
            "vitamin.d health-news.org x.cdc.gov",
            vec![f(26, 35, "link", "https://x.cdc.gov")],
        ),
        ("see.cdc.gov", vec![f(0, 11, "link", "https://see.cdc.gov")]),
    ];
    for (text, want) in cases {
        let got = links_and_tags(text);
        assert_eq!(got, want, "{text:?}");
        for (start, end, ty, value) in &got {
            let shown = &text[*start..*end];
            match ty.as_str() {
                "tag" => assert_eq!(&shown[shown.len() - value.len()..], value),
                _ => assert!(value.ends_with(shown), "{value} vs {shown}"),
            }
        }
    }
}

#[test]
fn mentions_are_handles_with_byte_ranges() {
    // "Merci " 6 bytes, "😷 " 5: "@cdc.bsky.social" at 11, 16 bytes.
    let text = "Merci 😷 @cdc.bsky.social. Also @who and a@b.com";
    let detected = facets::detect(text);
    assert_eq!(
        detected.mentions,
        vec![(11..27, "cdc.bsky.social".to_string())]
    );
    assert!(detected.facets.is_empty());
    let lexicon = lexicon();
    let facet = facets::mention_facet(&detected.mentions[0].0, "did:plc:abc123");
    check_facet(text, &facet, &lexicon);
    assert_eq!(facet["features"][0]["$type"], MENTION);
}

/// xorshift64: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "flu",
    "vaccine",
    "wash",
    "hands",
    "often",
    "the",
    "and",
    "clinic",
    "健康",
    "こんにちは",
    "Café",
    "e\u{301}te",
    "👩🏽\u{200D}⚕\u{FE0F}",
    "👨\u{200D}👩\u{200D}👧",
    "🇺🇸",
    "1\u{FE0F}\u{20E3}",
    "#FluSeason",
    "@cdc.bsky.social",
    "@alice@mastodon.social",
    "cdc.gov",
    "who.int/news",
    "https://www.cdc.gov/flu/season/index.html",
    "https://x.co/a?b=1&c=2",
    "stay-home",
    "(really)",
    "“quoted”",
    "—",
    "10%",
];
const ENDS: &[&str] = &[".", "!", "?", "…", "", "", ""];
const GAPS: &[&str] = &[" ", " ", " ", "  ", "\n", "\n\n", "\t"];

fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn unnumbered(part: &str, n: usize) -> &str {
    let (number, body) = part.split_once(' ').expect("numbered part");
    let (k, total) = number.split_once('/').expect("k/n");
    assert!(
        k.parse::<usize>().is_ok() && total.parse::<usize>() == Ok(n),
        "{part:?}"
    );
    body
}

#[test]
fn thread_parts_fit_and_rejoin() {
    let counters: [(&str, Counter); 3] = [
        ("x", x_weighted),
        ("bluesky", length::graphemes),
        ("mastodon", mastodon),
    ];
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut split_some = 0;
    for round in 0..400 {
        let words = 1 + rng.next() % 120;
        let mut text = String::new();
        for i in 0..words {
            if i > 0 {
                text.push_str(rng.pick(GAPS));
            }
            text.push_str(rng.pick(WORDS));
            if rng.next().is_multiple_of(4) {
                text.push_str(rng.pick(ENDS));
            }
        }
        let (name, count) = counters[round % 3];
        // The longest word (a 42-character URL) plus "10/10 " fits 60.
        let limit = 60 + (rng.next() % 240) as usize;
        let parts = thread::split(&text, limit, count);
        if parts.len() == 1 {
            assert_eq!(parts[0], text);
            assert!(count(&text) <= limit);
            continue;
        }
        split_some += 1;
        let n = parts.len();
        for part in &parts {
            assert!(
                count(part) <= limit,
                "{name} {limit}: {part:?} is {}",
                count(part)
            );
        }
        let bodies: Vec<&str> = parts.iter().map(|p| unnumbered(p, n)).collect();
        assert_eq!(
            normalise(&bodies.join(" ")),
            normalise(&text),
            "{name} {limit}"
        );
        for url in length_urls(&text) {
            assert!(bodies.iter().any(|b| b.contains(&url)), "URL {url} was cut");
        }
    }
    assert!(
        split_some > 100,
        "the generator should make long texts: {split_some}"
    );
}

fn length_urls(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|w| w.contains("://"))
        .map(str::to_string)
        .collect()
}

#[test]
fn thread_examples() {
    let text = "Flu season is here. Get your shot at a clinic near you. \
                Wash your hands often. Stay home when sick. See https://www.cdc.gov/flu for more.";
    let parts = thread::split(text, 60, x_weighted);
    assert_eq!(
        parts,
        vec![
            "1/3 Flu season is here. Get your shot at a clinic near you.",
            "2/3 Wash your hands often. Stay home when sick.",
            "3/3 See https://www.cdc.gov/flu for more.",
        ]
    );
    assert_eq!(thread::split("Short.", 280, x_weighted), vec!["Short."]);
    // A sentence longer than the limit breaks between words.
    let long = "one two three four five six seven eight nine ten eleven twelve";
    for part in thread::split(long, 20, length::graphemes) {
        assert!(length::graphemes(&part) <= 20, "{part}");
    }
    // A run of CJK without spaces is cut between graphemes.
    let cjk = "健".repeat(200);
    let parts = thread::split(&cjk, 280, x_weighted);
    assert!(parts.len() == 2 && parts.iter().all(|p| x_weighted(p) <= 280));
    // Numbering width grows with the count: ten parts and more.
    let many = "Drink water. ".repeat(40);
    let parts = thread::split(many.trim(), 30, length::graphemes);
    assert!(parts.len() >= 10 && parts.iter().all(|p| length::graphemes(p) <= 30));
    assert!(parts[9].starts_with(&format!("10/{} ", parts.len())));
}

#[test]
fn thread_edge_cases_terminate() {
    // A URL longer than the limit is kept whole, in a part of its own.
    let url = format!("https://www.cdc.gov/{}", "a".repeat(80));
    let text = format!("Read this. {url} Then act.");
    let parts = thread::split(&text, 40, length::graphemes);
    assert!(parts.iter().any(|p| p.ends_with(&url)), "{parts:?}");
    // A limit smaller than the numbering still ends, one grapheme a part.
    let parts = thread::split("abc def", 2, length::graphemes);
    assert!(!parts.is_empty());
    assert_eq!(thread::split("   ", 0, length::graphemes).len(), 1);
}
