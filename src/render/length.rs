//! Text length as each platform counts it, and the platforms' limits as data.
//!
//! X: twitter-text v3 weighted length (NFC first; code points 0–4351,
//! 8192–8205, 8208–8223, 8242–8247 weigh 1, all others 2; every URL 23; an
//! emoji sequence 2). Bluesky: grapheme clusters and UTF-8 bytes. Mastodon:
//! grapheme clusters after every URL with a scheme becomes 23 characters and
//! `@user@domain` becomes `@user`. Threads: grapheme clusters, an emoji
//! counting its UTF-8 bytes. Sources: docs/length.md.

use regex::{Regex, RegexBuilder};
use std::ops::Range;
use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// A platform's length limit, in the unit its counter returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub platform: &'static str,
    pub max: usize,
}

/// Every platform's limit on one post's text. Units: X weighted length,
/// Bluesky and Mastodon graphemes, the others characters as they document
/// them (see docs/length.md).
pub const LIMITS: &[Limit] = &[
    Limit {
        platform: "x",
        max: 280,
    },
    Limit {
        platform: "bluesky",
        max: 300,
    },
    Limit {
        platform: "mastodon",
        max: 500,
    },
    Limit {
        platform: "threads",
        max: 500,
    },
    Limit {
        platform: "linkedin",
        max: 3000,
    },
    Limit {
        platform: "facebook",
        max: 63206,
    },
    Limit {
        platform: "telegram",
        max: 4096,
    },
    Limit {
        platform: "discord",
        max: 2000,
    },
];

/// Bluesky's second limit: the record's text in UTF-8 bytes.
pub const BLUESKY_MAX_BYTES: usize = 3000;

/// What every URL counts on X and Mastodon (`characters_reserved_per_url`).
pub const URL_LENGTH: usize = 23;

/// The limit of `platform`, if it is in [`LIMITS`].
pub fn limit(platform: &str) -> Option<usize> {
    LIMITS
        .iter()
        .find(|l| l.platform == platform)
        .map(|l| l.max)
}

/// The counter of `platform` for those whose counting is known exactly.
pub fn counter(platform: &str) -> Option<fn(&str) -> usize> {
    match platform {
        "x" => Some(x_weighted),
        "bluesky" => Some(graphemes),
        "mastodon" => Some(mastodon),
        "threads" => Some(threads),
        _ => None,
    }
}

/// User-perceived characters (extended grapheme clusters).
pub fn graphemes(text: &str) -> usize {
    super::graphemes(text)
}

/// Bluesky's two measures: (grapheme clusters, UTF-8 bytes). Both limits
/// apply; the text is counted as sent, without normalisation.
pub fn bluesky(text: &str) -> (usize, usize) {
    (graphemes(text), text.len())
}

/// X's weighted length (twitter-text v3 configuration).
pub fn x_weighted(text: &str) -> usize {
    let text: String = text.nfc().collect();
    let urls = urls(&text, false);
    let mut urls = urls.iter().peekable();
    let mut total = 0;
    let mut skip_to = 0;
    for (at, grapheme) in text.grapheme_indices(true) {
        if at < skip_to {
            continue;
        }
        if let Some(url) = urls.next_if(|u| u.start <= at) {
            total += URL_LENGTH;
            skip_to = url.end;
            if at < url.end {
                continue;
            }
        }
        total += x_grapheme_weight(grapheme);
    }
    total
}

fn x_grapheme_weight(grapheme: &str) -> usize {
    let mut chars = grapheme.chars();
    let lone = chars.next().filter(|_| chars.next().is_none());
    if is_emoji(grapheme) && lone.is_none_or(|c| x_char_weight(c) != 1) {
        // An emoji sequence counts 2, however many code points it holds. A
        // lone emoji-capable character of weight 1 (©, ®) without U+FE0F is
        // text, as twitter-text's emoji pattern does not match it.
        return 2;
    }
    grapheme.chars().map(x_char_weight).sum()
}

fn x_char_weight(c: char) -> usize {
    match u32::from(c) {
        0..=4351 | 8192..=8205 | 8208..=8223 | 8242..=8247 => 1,
        _ => 2,
    }
}

/// A grapheme is an emoji if it holds an Extended_Pictographic character, a
/// regional indicator (flags) or the combining keycap U+20E3.
fn is_emoji(grapheme: &str) -> bool {
    grapheme.chars().any(|c| {
        let c = u32::from(c);
        (0x1F1E6..=0x1F1FF).contains(&c)
            || c == 0x20E3
            || EXTENDED_PICTOGRAPHIC
                .binary_search_by(|&(lo, hi)| {
                    if hi < c {
                        std::cmp::Ordering::Less
                    } else if lo > c {
                        std::cmp::Ordering::Greater
                    } else {
                        std::cmp::Ordering::Equal
                    }
                })
                .is_ok()
    })
}

/// Threads' length: graphemes, except that an emoji counts as many as its
/// UTF-8 bytes (Meta's Threads posts documentation: "Emojis are counted as
/// the number of UTF-8 bytes"), so 😷 counts 4 and 👩🏽‍⚕️ 17. Text as sent,
/// without normalisation.
pub fn threads(text: &str) -> usize {
    text.graphemes(true)
        .map(|g| if is_emoji(g) { g.len() } else { 1 })
        .sum()
}

/// Mastodon's length: graphemes, after each URL with a scheme is replaced by
/// 23 characters and each `@user@domain` by `@user` (StatusLengthValidator).
pub fn mastodon(text: &str) -> usize {
    let links = urls(text, true);
    let mut entities: Vec<(Range<usize>, usize)> =
        links.iter().map(|r| (r.clone(), URL_LENGTH)).collect();
    for m in MASTODON_MENTION.captures_iter(text) {
        let (Some(all), Some(user)) = (m.get(0), m.get(1)) else {
            continue;
        };
        let before = text[..all.start()].chars().next_back();
        if before.is_some_and(|c| c == '=' || c == '/' || c.is_alphanumeric() || c == '_') {
            continue;
        }
        // The URLs are in order and apart: the first one ending after the
        // mention's start is the only one it can overlap (a binary search,
        // not a scan of every URL for every mention).
        let after = links.partition_point(|r| r.end <= all.start());
        if links.get(after).is_some_and(|r| r.start < all.end()) {
            continue;
        }
        // "@" and the user name, graphemes of ASCII.
        entities.push((all.range(), 1 + graphemes(user.as_str())));
    }
    entities.sort_by_key(|(r, _)| r.start);
    let mut total = 0;
    let mut at = 0;
    for (range, weight) in entities {
        total += graphemes(&text[at..range.start]) + weight;
        at = range.end;
    }
    total + graphemes(&text[at..])
}

static MASTODON_MENTION: LazyLock<Regex> = LazyLock::new(|| {
    // Invariant: a constant pattern (Mastodon's Account::MENTION_RE).
    RegexBuilder::new(r"@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)(?:@[\w.-]+\w+)?")
        .case_insensitive(true)
        .build()
        .unwrap_or_else(|e| unreachable!("{e}"))
});

static URL_CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    // Invariant: a constant pattern. Scheme, host of dot-separated labels,
    // port, then anything up to whitespace (trimmed below, as twitter-text's
    // path-ending rule does).
    RegexBuilder::new(
        r"(https?://)?((?:[\p{L}\p{N}](?:[\p{L}\p{N}_-]*[\p{L}\p{N}])?\.)+[\p{L}\p{N}-]+)(:[0-9]{1,5})?([/?#]\S*)?",
    )
    .case_insensitive(true)
    .build()
    .unwrap_or_else(|e| unreachable!("{e}"))
});

/// Byte ranges of the URLs in `text`, found the way twitter-text finds them:
/// `http(s)://` or none, a host ending in a known top-level domain, not
/// preceded by a letter, digit, `@`, `$` or `#`. Without a scheme, a
/// two-label host on a country-code domain (`example.de`) needs a path, as
/// in twitter-text. With `scheme_only`, only URLs with a scheme (Mastodon).
pub(crate) fn urls(text: &str, scheme_only: bool) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for m in URL_CANDIDATE.captures_iter(text) {
        let (Some(all), Some(host)) = (m.get(0), m.get(2)) else {
            continue;
        };
        let scheme = m.get(1).is_some();
        if scheme_only && !scheme {
            continue;
        }
        let before = text[..all.start()].chars().next_back();
        if before.is_some_and(|c| {
            c.is_alphanumeric()
                || matches!(c, '@' | '＠' | '$' | '#' | '＃' | '\u{202A}'..='\u{202E}')
                || (!scheme && matches!(c, '/' | '.' | ':'))
        }) {
            continue;
        }
        let host = host.as_str().to_lowercase();
        let labels: Vec<&str> = host.split('.').collect();
        let Some(tld) = labels.last() else {
            continue;
        };
        let cc = COUNTRY_TLDS.binary_search(tld).is_ok();
        if !cc && GENERIC_TLDS.binary_search(tld).is_err() {
            continue;
        }
        let path = m.get(4);
        if !scheme && cc && labels.len() == 2 && path.is_none() && host != "t.co" {
            continue;
        }
        let end = match path {
            Some(p) => p.start() + trimmed_path_len(p.as_str()),
            None => all.end(),
        };
        out.push(all.start()..end);
    }
    out
}

/// How much of a URL's path belongs to it: trailing punctuation is not part
/// of a URL, a closing parenthesis only when it closes one in the path.
fn trimmed_path_len(path: &str) -> usize {
    let mut end = path.len();
    while let Some(c) = path[..end].chars().next_back() {
        let keep = c.is_alphanumeric()
            || matches!(c, '/' | '=' | '_' | '#' | '+' | '-' | '&')
            || (c == ')' && path[..end].matches('(').count() >= path[..end].matches(')').count());
        if keep {
            break;
        }
        end -= c.len_utf8();
    }
    end
}

/// Top-level domains, from the ICANN section of the Public Suffix List
/// (ASCII and punycode labels; sorted for binary search).
#[rustfmt::skip]
pub(crate) const COUNTRY_TLDS: &[&str] = &[
    "ac", "ad", "ae", "af", "ag", "ai", "al", "am", "ao", "aq", "ar", "as", "at", "au", "aw",
    "ax", "az", "ba", "bb", "be", "bf", "bg", "bh", "bi", "bj", "bm", "bn", "bo", "br", "bs",
    "bt", "bv", "bw", "by", "bz", "ca", "cc", "cd", "cf", "cg", "ch", "ci", "cl", "cm", "cn",
    "co", "cr", "cu", "cv", "cw", "cx", "cy", "cz", "de", "dj", "dk", "dm", "do", "dz", "ec",
    "ee", "eg", "es", "et", "eu", "fi", "fj", "fm", "fo", "fr", "ga", "gb", "gd", "ge", "gf",
    "gg", "gh", "gi", "gl", "gm", "gn", "gp", "gq", "gr", "gs", "gt", "gu", "gw", "gy", "hk",
    "hm", "hn", "hr", "ht", "hu", "id", "ie", "il", "im", "in", "io", "iq", "ir", "is", "it",
    "je", "jo", "jp", "ke", "kg", "ki", "km", "kn", "kp", "kr", "kw", "ky", "kz", "la", "lb",
    "lc", "li", "lk", "lr", "ls", "lt", "lu", "lv", "ly", "ma", "mc", "md", "me", "mg", "mh",
    "mk", "ml", "mn", "mo", "mp", "mq", "mr", "ms", "mt", "mu", "mv", "mw", "mx", "my", "mz",
    "na", "nc", "ne", "nf", "ng", "ni", "nl", "no", "nr", "nu", "nz", "om", "pa", "pe", "pf",
    "ph", "pk", "pl", "pm", "pn", "pr", "ps", "pt", "pw", "py", "qa", "re", "ro", "rs", "ru",
    "rw", "sa", "sb", "sc", "sd", "se", "sg", "sh", "si", "sj", "sk", "sl", "sm", "sn", "so",
    "sr", "ss", "st", "su", "sv", "sx", "sy", "sz", "tc", "td", "tf", "tg", "th", "tj", "tk",
    "tl", "tm", "tn", "to", "tr", "tt", "tv", "tw", "tz", "ua", "ug", "uk", "us", "uy", "uz",
    "va", "vc", "ve", "vg", "vi", "vn", "vu", "wf", "ws", "ye", "yt", "zm", "zw",
];

#[rustfmt::skip]
pub(crate) const GENERIC_TLDS: &[&str] = &[
    "aaa", "aarp", "abarth", "abb", "abbott", "abbvie", "abc", "able", "abogado", "abudhabi",
    "academy", "accenture", "accountant", "accountants", "aco", "actor", "ads", "adult", "aeg",
    "aero", "aetna", "afl", "africa", "agakhan", "agency", "aig", "airbus", "airforce", "airtel",
    "akdn", "alfaromeo", "alibaba", "alipay", "allfinanz", "allstate", "ally", "alsace", "alstom",
    "amazon", "americanexpress", "americanfamily", "amex", "amfam", "amica", "amsterdam",
    "analytics", "android", "anquan", "anz", "aol", "apartments", "app", "apple", "aquarelle",
    "arab", "aramco", "archi", "army", "arpa", "art", "arte", "asda", "asia", "associates",
    "athleta", "attorney", "auction", "audi", "audible", "audio", "auspost", "author", "auto",
    "autos", "avianca", "aws", "axa", "azure", "baby", "baidu", "banamex", "bananarepublic",
    "band", "bank", "bar", "barcelona", "barclaycard", "barclays", "barefoot", "bargains",
    "baseball", "basketball", "bauhaus", "bayern", "bbc", "bbt", "bbva", "bcg", "bcn", "beats",
    "beauty", "beer", "bentley", "berlin", "best", "bestbuy", "bet", "bharti", "bible", "bid",
    "bike", "bing", "bingo", "bio", "biz", "black", "blackfriday", "blockbuster", "blog",
    "bloomberg", "blue", "bms", "bmw", "bnpparibas", "boats", "boehringer", "bofa", "bom", "bond",
    "boo", "book", "booking", "bosch", "bostik", "boston", "bot", "boutique", "box", "bradesco",
    "bridgestone", "broadway", "broker", "brother", "brussels", "build", "builders", "business",
    "buy", "buzz", "bzh", "cab", "cafe", "cal", "call", "calvinklein", "cam", "camera", "camp",
    "canon", "capetown", "capital", "capitalone", "car", "caravan", "cards", "care", "career",
    "careers", "cars", "casa", "case", "cash", "casino", "cat", "catering", "catholic", "cba",
    "cbn", "cbre", "cbs", "center", "ceo", "cern", "cfa", "cfd", "chanel", "channel", "charity",
    "chase", "chat", "cheap", "chintai", "christmas", "chrome", "church", "cipriani", "circle",
    "cisco", "citadel", "citi", "citic", "city", "cityeats", "claims", "cleaning", "click",
    "clinic", "clinique", "clothing", "cloud", "club", "clubmed", "coach", "codes", "coffee",
    "college", "cologne", "com", "comcast", "commbank", "community", "company", "compare",
    "computer", "comsec", "condos", "construction", "consulting", "contact", "contractors",
    "cooking", "cookingchannel", "cool", "coop", "corsica", "country", "coupon", "coupons",
    "courses", "cpa", "credit", "creditcard", "creditunion", "cricket", "crown", "crs", "cruise",
    "cruises", "cuisinella", "cymru", "cyou", "dabur", "dad", "dance", "data", "date", "dating",
    "datsun", "day", "dclk", "dds", "deal", "dealer", "deals", "degree", "delivery", "dell",
    "deloitte", "delta", "democrat", "dental", "dentist", "desi", "design", "dev", "dhl",
    "diamonds", "diet", "digital", "direct", "directory", "discount", "discover", "dish", "diy",
    "dnp", "docs", "doctor", "dog", "domains", "dot", "download", "drive", "dtv", "dubai",
    "dunlop", "dupont", "durban", "dvag", "dvr", "earth", "eat", "eco", "edeka", "edu",
    "education", "email", "emerck", "energy", "engineer", "engineering", "enterprises", "epson",
    "equipment", "ericsson", "erni", "esq", "estate", "etisalat", "eurovision", "eus", "events",
    "exchange", "expert", "exposed", "express", "extraspace", "fage", "fail", "fairwinds",
    "faith", "family", "fan", "fans", "farm", "farmers", "fashion", "fast", "fedex", "feedback",
    "ferrari", "ferrero", "fiat", "fidelity", "fido", "film", "final", "finance", "financial",
    "fire", "firestone", "firmdale", "fish", "fishing", "fit", "fitness", "flickr", "flights",
    "flir", "florist", "flowers", "fly", "foo", "food", "foodnetwork", "football", "ford",
    "forex", "forsale", "forum", "foundation", "fox", "free", "fresenius", "frl", "frogans",
    "frontdoor", "frontier", "ftr", "fujitsu", "fun", "fund", "furniture", "futbol", "fyi", "gal",
    "gallery", "gallo", "gallup", "game", "games", "gap", "garden", "gay", "gbiz", "gdn", "gea",
    "gent", "genting", "george", "ggee", "gift", "gifts", "gives", "giving", "glass", "gle",
    "global", "globo", "gmail", "gmbh", "gmo", "gmx", "godaddy", "gold", "goldpoint", "golf",
    "goo", "goodyear", "goog", "google", "gop", "got", "gov", "grainger", "graphics", "gratis",
    "green", "gripe", "grocery", "group", "guardian", "gucci", "guge", "guide", "guitars", "guru",
    "hair", "hamburg", "hangout", "haus", "hbo", "hdfc", "hdfcbank", "health", "healthcare",
    "help", "helsinki", "here", "hermes", "hgtv", "hiphop", "hisamitsu", "hitachi", "hiv", "hkt",
    "hockey", "holdings", "holiday", "homedepot", "homegoods", "homes", "homesense", "honda",
    "horse", "hospital", "host", "hosting", "hot", "hoteles", "hotels", "hotmail", "house", "how",
    "hsbc", "hughes", "hyatt", "hyundai", "ibm", "icbc", "ice", "icu", "ieee", "ifm", "ikano",
    "imamat", "imdb", "immo", "immobilien", "inc", "industries", "infiniti", "info", "ing", "ink",
    "institute", "insurance", "insure", "int", "international", "intuit", "investments",
    "ipiranga", "irish", "ismaili", "ist", "istanbul", "itau", "itv", "jaguar", "java", "jcb",
    "jeep", "jetzt", "jewelry", "jio", "jll", "jmp", "jnj", "jobs", "joburg", "jot", "joy",
    "jpmorgan", "jprs", "juegos", "juniper", "kaufen", "kddi", "kerryhotels", "kerrylogistics",
    "kerryproperties", "kfh", "kia", "kids", "kim", "kinder", "kindle", "kitchen", "kiwi",
    "koeln", "komatsu", "kosher", "kpmg", "kpn", "krd", "kred", "kuokgroup", "kyoto", "lacaixa",
    "lamborghini", "lamer", "lancaster", "lancia", "land", "landrover", "lanxess", "lasalle",
    "lat", "latino", "latrobe", "law", "lawyer", "lds", "lease", "leclerc", "lefrak", "legal",
    "lego", "lexus", "lgbt", "lidl", "life", "lifeinsurance", "lifestyle", "lighting", "like",
    "lilly", "limited", "limo", "lincoln", "linde", "link", "lipsy", "live", "living", "llc",
    "llp", "loan", "loans", "locker", "locus", "lol", "london", "lotte", "lotto", "love", "lpl",
    "lplfinancial", "ltd", "ltda", "lundbeck", "luxe", "luxury", "macys", "madrid", "maif",
    "maison", "makeup", "man", "management", "mango", "map", "market", "marketing", "markets",
    "marriott", "marshalls", "maserati", "mattel", "mba", "mckinsey", "med", "media", "meet",
    "melbourne", "meme", "memorial", "men", "menu", "merckmsd", "miami", "microsoft", "mil",
    "mini", "mint", "mit", "mitsubishi", "mlb", "mls", "mma", "mobi", "mobile", "moda", "moe",
    "moi", "mom", "monash", "money", "monster", "mormon", "mortgage", "moscow", "moto",
    "motorcycles", "mov", "movie", "msd", "mtn", "mtr", "museum", "music", "mutual", "nab",
    "nagoya", "name", "natura", "navy", "nba", "nec", "net", "netbank", "netflix", "network",
    "neustar", "new", "news", "next", "nextdirect", "nexus", "nfl", "ngo", "nhk", "nico", "nike",
    "nikon", "ninja", "nissan", "nissay", "nokia", "northwesternmutual", "norton", "now",
    "nowruz", "nowtv", "nra", "nrw", "ntt", "nyc", "obi", "observer", "office", "okinawa",
    "olayan", "olayangroup", "oldnavy", "ollo", "omega", "one", "ong", "onion", "onl", "online",
    "ooo", "open", "oracle", "orange", "org", "organic", "origins", "osaka", "otsuka", "ott",
    "ovh", "page", "panasonic", "paris", "pars", "partners", "parts", "party", "passagens", "pay",
    "pccw", "pet", "pfizer", "pharmacy", "phd", "philips", "phone", "photo", "photography",
    "photos", "physio", "pics", "pictet", "pictures", "pid", "pin", "ping", "pink", "pioneer",
    "pizza", "place", "play", "playstation", "plumbing", "plus", "pnc", "pohl", "poker",
    "politie", "porn", "post", "pramerica", "praxi", "press", "prime", "pro", "prod",
    "productions", "prof", "progressive", "promo", "properties", "property", "protection", "pru",
    "prudential", "pub", "pwc", "qpon", "quebec", "quest", "racing", "radio", "read",
    "realestate", "realtor", "realty", "recipes", "red", "redstone", "redumbrella", "rehab",
    "reise", "reisen", "reit", "reliance", "ren", "rent", "rentals", "repair", "report",
    "republican", "rest", "restaurant", "review", "reviews", "rexroth", "rich", "richardli",
    "ricoh", "ril", "rio", "rip", "rocher", "rocks", "rodeo", "rogers", "room", "rsvp", "rugby",
    "ruhr", "run", "rwe", "ryukyu", "saarland", "safe", "safety", "sakura", "sale", "salon",
    "samsclub", "samsung", "sandvik", "sandvikcoromant", "sanofi", "sap", "sarl", "sas", "save",
    "saxo", "sbi", "sbs", "sca", "scb", "schaeffler", "schmidt", "scholarships", "school",
    "schule", "schwarz", "science", "scot", "search", "seat", "secure", "security", "seek",
    "select", "sener", "services", "seven", "sew", "sex", "sexy", "sfr", "shangrila", "sharp",
    "shaw", "shell", "shia", "shiksha", "shoes", "shop", "shopping", "shouji", "show", "showtime",
    "silk", "sina", "singles", "site", "ski", "skin", "sky", "skype", "sling", "smart", "smile",
    "sncf", "soccer", "social", "softbank", "software", "sohu", "solar", "solutions", "song",
    "sony", "soy", "spa", "space", "sport", "spot", "srl", "stada", "staples", "star",
    "statebank", "statefarm", "stc", "stcgroup", "stockholm", "storage", "store", "stream",
    "studio", "study", "style", "sucks", "supplies", "supply", "support", "surf", "surgery",
    "suzuki", "swatch", "swiss", "sydney", "systems", "tab", "taipei", "talk", "taobao", "target",
    "tatamotors", "tatar", "tattoo", "tax", "taxi", "tci", "tdk", "team", "tech", "technology",
    "tel", "temasek", "tennis", "teva", "thd", "theater", "theatre", "tiaa", "tickets", "tienda",
    "tiffany", "tips", "tires", "tirol", "tjmaxx", "tjx", "tkmaxx", "tmall", "today", "tokyo",
    "tools", "top", "toray", "toshiba", "total", "tours", "town", "toyota", "toys", "trade",
    "trading", "training", "travel", "travelchannel", "travelers", "travelersinsurance", "trust",
    "trv", "tube", "tui", "tunes", "tushu", "tvs", "ubank", "ubs", "unicom", "university", "uno",
    "uol", "ups", "vacations", "vana", "vanguard", "vegas", "ventures", "verisign",
    "versicherung", "vet", "viajes", "video", "vig", "viking", "villas", "vin", "vip", "virgin",
    "visa", "vision", "viva", "vivo", "vlaanderen", "vodka", "volkswagen", "volvo", "vote",
    "voting", "voto", "voyage", "vuelos", "wales", "walmart", "walter", "wang", "wanggou",
    "watch", "watches", "weather", "weatherchannel", "webcam", "weber", "website", "wedding",
    "weibo", "weir", "whoswho", "wien", "wiki", "williamhill", "win", "windows", "wine",
    "winners", "wme", "wolterskluwer", "woodside", "work", "works", "world", "wow", "wtc", "wtf",
    "xbox", "xerox", "xfinity", "xihuan", "xin", "xxx", "xyz", "yachts", "yahoo", "yamaxun",
    "yandex", "yodobashi", "yoga", "yokohama", "you", "youtube", "yun", "zappos", "zara", "zero",
    "zip", "zone", "zuerich",
];

/// Extended_Pictographic ranges (Unicode emoji-data, as shipped in
/// unicode-segmentation's tables), sorted.
#[rustfmt::skip]
const EXTENDED_PICTOGRAPHIC: &[(u32, u32)] = &[
    (0xA9, 0xA9), (0xAE, 0xAE), (0x203C, 0x203C), (0x2049, 0x2049), (0x2122, 0x2122),
    (0x2139, 0x2139), (0x2194, 0x2199), (0x21A9, 0x21AA), (0x231A, 0x231B), (0x2328, 0x2328),
    (0x23CF, 0x23CF), (0x23E9, 0x23F3), (0x23F8, 0x23FA), (0x24C2, 0x24C2), (0x25AA, 0x25AB),
    (0x25B6, 0x25B6), (0x25C0, 0x25C0), (0x25FB, 0x25FE), (0x2600, 0x2604), (0x260E, 0x260E),
    (0x2611, 0x2611), (0x2614, 0x2615), (0x2618, 0x2618), (0x261D, 0x261D), (0x2620, 0x2620),
    (0x2622, 0x2623), (0x2626, 0x2626), (0x262A, 0x262A), (0x262E, 0x262F), (0x2638, 0x263A),
    (0x2640, 0x2640), (0x2642, 0x2642), (0x2648, 0x2653), (0x265F, 0x2660), (0x2663, 0x2663),
    (0x2665, 0x2666), (0x2668, 0x2668), (0x267B, 0x267B), (0x267E, 0x267F), (0x2692, 0x2697),
    (0x2699, 0x2699), (0x269B, 0x269C), (0x26A0, 0x26A1), (0x26A7, 0x26A7), (0x26AA, 0x26AB),
    (0x26B0, 0x26B1), (0x26BD, 0x26BE), (0x26C4, 0x26C5), (0x26C8, 0x26C8), (0x26CE, 0x26CF),
    (0x26D1, 0x26D1), (0x26D3, 0x26D4), (0x26E9, 0x26EA), (0x26F0, 0x26F5), (0x26F7, 0x26FA),
    (0x26FD, 0x26FD), (0x2702, 0x2702), (0x2705, 0x2705), (0x2708, 0x270D), (0x270F, 0x270F),
    (0x2712, 0x2712), (0x2714, 0x2714), (0x2716, 0x2716), (0x271D, 0x271D), (0x2721, 0x2721),
    (0x2728, 0x2728), (0x2733, 0x2734), (0x2744, 0x2744), (0x2747, 0x2747), (0x274C, 0x274C),
    (0x274E, 0x274E), (0x2753, 0x2755), (0x2757, 0x2757), (0x2763, 0x2764), (0x2795, 0x2797),
    (0x27A1, 0x27A1), (0x27B0, 0x27B0), (0x27BF, 0x27BF), (0x2934, 0x2935), (0x2B05, 0x2B07),
    (0x2B1B, 0x2B1C), (0x2B50, 0x2B50), (0x2B55, 0x2B55), (0x3030, 0x3030), (0x303D, 0x303D),
    (0x3297, 0x3297), (0x3299, 0x3299), (0x1F004, 0x1F004), (0x1F02C, 0x1F02F),
    (0x1F094, 0x1F09F), (0x1F0AF, 0x1F0B0), (0x1F0C0, 0x1F0C0), (0x1F0CF, 0x1F0D0),
    (0x1F0F6, 0x1F0FF), (0x1F170, 0x1F171), (0x1F17E, 0x1F17F), (0x1F18E, 0x1F18E),
    (0x1F191, 0x1F19A), (0x1F1AE, 0x1F1E5), (0x1F201, 0x1F20F), (0x1F21A, 0x1F21A),
    (0x1F22F, 0x1F22F), (0x1F232, 0x1F23A), (0x1F23C, 0x1F23F), (0x1F249, 0x1F25F),
    (0x1F266, 0x1F321), (0x1F324, 0x1F393), (0x1F396, 0x1F397), (0x1F399, 0x1F39B),
    (0x1F39E, 0x1F3F0), (0x1F3F3, 0x1F3F5), (0x1F3F7, 0x1F3FA), (0x1F400, 0x1F4FD),
    (0x1F4FF, 0x1F53D), (0x1F549, 0x1F54E), (0x1F550, 0x1F567), (0x1F56F, 0x1F570),
    (0x1F573, 0x1F57A), (0x1F587, 0x1F587), (0x1F58A, 0x1F58D), (0x1F590, 0x1F590),
    (0x1F595, 0x1F596), (0x1F5A4, 0x1F5A5), (0x1F5A8, 0x1F5A8), (0x1F5B1, 0x1F5B2),
    (0x1F5BC, 0x1F5BC), (0x1F5C2, 0x1F5C4), (0x1F5D1, 0x1F5D3), (0x1F5DC, 0x1F5DE),
    (0x1F5E1, 0x1F5E1), (0x1F5E3, 0x1F5E3), (0x1F5E8, 0x1F5E8), (0x1F5EF, 0x1F5EF),
    (0x1F5F3, 0x1F5F3), (0x1F5FA, 0x1F64F), (0x1F680, 0x1F6C5), (0x1F6CB, 0x1F6D2),
    (0x1F6D5, 0x1F6E5), (0x1F6E9, 0x1F6E9), (0x1F6EB, 0x1F6F0), (0x1F6F3, 0x1F6FF),
    (0x1F7DA, 0x1F7FF), (0x1F80C, 0x1F80F), (0x1F848, 0x1F84F), (0x1F85A, 0x1F85F),
    (0x1F888, 0x1F88F), (0x1F8AE, 0x1F8AF), (0x1F8BC, 0x1F8BF), (0x1F8C2, 0x1F8CF),
    (0x1F8D9, 0x1F8FF), (0x1F90C, 0x1F93A), (0x1F93C, 0x1F945), (0x1F947, 0x1F9FF),
    (0x1FA58, 0x1FA5F), (0x1FA6E, 0x1FAFF), (0x1FC00, 0x1FFFD),
];

/// Whether `label` (lower case) is a known top-level domain.
pub(crate) fn is_tld(label: &str) -> bool {
    COUNTRY_TLDS.binary_search(&label).is_ok() || GENERIC_TLDS.binary_search(&label).is_ok()
}
