//! A fake Mastodon and a fake X on loopback, written against the platforms'
//! contracts (`/work/shared/specs/`), that can fail the way real servers and
//! networks fail, and that keep their own log of what they received and
//! what they committed.
//!
//! They are raw HTTP/1.1 servers on a `tokio::net::TcpListener`, one request
//! per connection (`Connection: close`), because the faults that matter for
//! "exactly once" cannot be said in a mock library: a connection dropped
//! before the post is created, one dropped after it was created, a request
//! held past the client's timeout, and one held past the client's timeout
//! and committed after the client has gone.
//!
//! What each fake does, as the platform does:
//!
//! - Mastodon: `POST /api/v1/statuses` (JSON; `Idempotency-Key`: the same key
//!   returns the status created first, however late the first request
//!   commits), `GET /api/v1/accounts/verify_credentials`,
//!   `GET /api/v1/accounts/:id/statuses` (newest first, `limit` at most 40,
//!   `max_id`/`since_id`/`min_id`, a `Link` header), `GET /api/v2/instance`.
//!   A status's `content` is HTML as Mastodon makes it: paragraphs, `<br />`,
//!   entities, links and hashtags as anchors. Errors are `{"error": …}`; a
//!   429 carries `X-RateLimit-*` and, for half of them, `Retry-After`.
//! - X: `POST /2/tweets` (201 `{"data":{"id","text","edit_history_post_ids"}}`;
//!   no idempotency; 403 "duplicate content" for a text identical to one of
//!   the account's [`X_RECENT`] latest posts, checked when the request
//!   arrives), `GET /2/users/me`, `GET /2/users/:id/tweets` (`start_time`,
//!   `end_time`, `since_id`, `until_id`, `max_results` 5–100, `exclude`,
//!   `pagination_token`; an unknown parameter is a 400, as X refuses them).
//!   Stored text has every link rewritten to `https://t.co/…` and `&`, `<`,
//!   `>` escaped, as X answers it. Errors are problem JSON; a 429 carries
//!   `x-rate-limit-limit/-remaining/-reset` (epoch seconds).
//!
//! Every request is checked for the bearer token; a wrong one is a 401.

#![allow(dead_code)]

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How many of the account's latest posts X compares a new text with before
/// it answers 403 "duplicate content". X documents no number; it refuses an
/// identical text among *recent* posts, so an old text can be posted again.
pub const X_RECENT: usize = 30;

/// The longest any request is held by the fakes: a hang ends (without
/// committing) after this long; a late commit lands before it. A real
/// server, too, ends a request within a bounded time.
pub const LONGEST_HOLD: Duration = Duration::from_secs(12);

/// The latest a late commit lands after its request arrived.
pub const LATEST_COMMIT: Duration = Duration::from_secs(10);

pub const MASTODON_ACCOUNT: &str = "109";
pub const X_USER: &str = "2244994945";

/// splitmix64: the fault mix's and the kills' only source of chance, so a
/// seed gives the same faults to the same requests.
pub fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A number decided by the seed, a name and a counter, not by timing.
pub fn mix(seed: u64, salt: &str, n: u64) -> u64 {
    let mut h = splitmix(seed);
    for b in salt.bytes() {
        h = splitmix(h ^ u64::from(b));
    }
    splitmix(h ^ n)
}

/// A seeded sequence (kill delays, signals).
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = splitmix(self.0);
        self.0 % n
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Mastodon,
    X,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Mastodon => "mastodon",
            Kind::X => "x",
        }
    }
}

/// What happens to one create request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateFault {
    /// Committed and answered.
    None,
    /// 401: the token is refused; nothing is created.
    Unauthorized,
    /// 429 with the reset this many seconds ahead (on Mastodon also in
    /// `Retry-After` when `retry_after`); nothing is created.
    RateLimited { secs: u64, retry_after: bool },
    /// 500 before anything is created.
    ServerError,
    /// Held this long without an answer, never committed, then closed.
    Hang { secs: u64 },
    /// The connection is closed before the post is created.
    DropBefore,
    /// The post is created, then the connection is closed without an answer.
    DropAfter,
    /// Held without an answer; committed this long after arrival (after
    /// the client's timeout); the answer goes to a client that has gone.
    CommitLate { secs: u64 },
}

impl CreateFault {
    pub fn name(self) -> &'static str {
        match self {
            CreateFault::None => "ok",
            CreateFault::Unauthorized => "401",
            CreateFault::RateLimited { .. } => "429",
            CreateFault::ServerError => "500",
            CreateFault::Hang { .. } => "hang",
            CreateFault::DropBefore => "drop-before-commit",
            CreateFault::DropAfter => "drop-after-commit",
            CreateFault::CommitLate { .. } => "hang-then-commit-late",
        }
    }
}

/// The random mix on create requests, in percent (the rest is answered).
pub const CREATE_MIX: [(u64, &str); 7] = [
    (2, "401"),
    (8, "429"),
    (8, "500"),
    (3, "hang"),
    (4, "drop-before-commit"),
    (8, "drop-after-commit"),
    (3, "hang-then-commit-late"),
];

/// The random mix on read-backs (`verify_credentials`, the account's
/// statuses, `users/me`, the user's posts), in percent.
pub const READ_MIX: [(u64, &str); 2] = [(10, "500"), (5, "429")];

/// What the client could know from the answer to a create request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not decided yet (a request still held).
    Pending,
    /// A new post, this index in `posts`.
    Created(usize),
    /// Mastodon: the key was known; the first status was returned.
    Existing(usize),
    /// X: 403 duplicate content; nothing new.
    Duplicate,
    /// 401 or 429: nothing was created, and the answer said so.
    Refused,
    /// Nothing was created, but the client cannot know it (500, dropped,
    /// hung): the request may have created a post, from where it stands.
    NotCommitted,
}

impl Outcome {
    /// Whether, from the client's side, this request may have created a
    /// post (or found one there).
    pub fn may_have_posted(&self) -> bool {
        !matches!(self, Outcome::Refused)
    }
}

/// One create request, as the server saw it.
#[derive(Debug, Clone)]
pub struct CreateRecord {
    pub seq: usize,
    pub at: DateTime<Utc>,
    pub marker: String,
    pub key: Option<String>,
    pub fault: CreateFault,
    pub outcome: Outcome,
    /// When the outcome was settled (the commit, for a late one).
    pub settled_at: Option<DateTime<Utc>>,
}

/// One read-back request.
#[derive(Debug, Clone)]
pub struct ReadRecord {
    pub at: DateTime<Utc>,
    pub path: String,
    pub query: String,
    pub status: u16,
    /// The post ids in the answer.
    pub ids: Vec<String>,
}

/// A post that exists on the platform.
#[derive(Debug, Clone)]
pub struct Post {
    pub id: String,
    pub marker: String,
    /// The text as it was sent.
    pub sent: String,
    /// As the platform shows it back (HTML on Mastodon, t.co links on X).
    pub shown: String,
    pub created_at: DateTime<Utc>,
    pub key: Option<String>,
    /// The create request that made it.
    pub request: usize,
}

#[derive(Default)]
pub struct State {
    pub posts: Vec<Post>,
    pub by_key: HashMap<String, usize>,
    pub creates: Vec<CreateRecord>,
    pub reads: Vec<ReadRecord>,
    /// Faults injected, by kind of request and fault name.
    pub injected: BTreeMap<String, usize>,
    per_marker: HashMap<String, u64>,
    read_count: u64,
}

pub struct Fake {
    pub kind: Kind,
    pub addr: SocketAddr,
    pub token: String,
    seed: u64,
    random: AtomicBool,
    script: Mutex<VecDeque<CreateFault>>,
    read_script: Mutex<VecDeque<u16>>,
    pub state: Mutex<State>,
    in_flight: AtomicUsize,
}

/// Starts a fake on a free loopback port; it serves until the process ends.
pub async fn start(kind: Kind, seed: u64, token: &str) -> Arc<Fake> {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let fake = Arc::new(Fake {
        kind,
        addr: listener.local_addr().expect("address"),
        token: token.to_string(),
        seed,
        random: AtomicBool::new(false),
        script: Mutex::new(VecDeque::new()),
        read_script: Mutex::new(VecDeque::new()),
        state: Mutex::new(State::default()),
        in_flight: AtomicUsize::new(0),
    });
    let server = fake.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let fake = server.clone();
            fake.in_flight.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                fake.clone().serve(socket).await;
                fake.in_flight.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    fake
}

/// An HTTP request, read whole.
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub raw_query: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(status: u16, body: &Value) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    fn bytes(&self) -> Vec<u8> {
        let reason = match self.status {
            200 => "OK",
            201 => "Created",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            429 => "Too Many Requests",
            500 => "Internal Server Error",
            _ => "Status",
        };
        let mut head = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.status,
            self.body.len()
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match text
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            {
                Some(b) => {
                    out.push(b);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn read_request(socket: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 1 << 20 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let (path, raw_query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target.clone(), String::new()),
    };
    let query = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect();
    Some(Request {
        method,
        path,
        query,
        raw_query,
        headers,
        body,
    })
}

fn iso_millis(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A status's `content` as Mastodon renders a plain-text status: paragraphs
/// at blank lines, `<br />` at line breaks, entities, and links and
/// hashtags as anchors.
pub fn mastodon_html(text: &str) -> String {
    let token = regex::Regex::new(r"(https?://\S+)|#(\w+)").expect("pattern");
    let mut out = String::new();
    for paragraph in text.split("\n\n") {
        out.push_str("<p>");
        let lines: Vec<String> = paragraph
            .split('\n')
            .map(|line| {
                let mut html = String::new();
                let mut at = 0;
                for m in token.captures_iter(line) {
                    let whole = m.get(0).expect("match");
                    html.push_str(&html_escape(&line[at..whole.start()]));
                    if let Some(url) = m.get(1) {
                        let url = url.as_str();
                        let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
                        let (shown, hidden) = rest.split_at(rest.len().min(30));
                        html.push_str(&format!(
                            "<a href=\"{}\" target=\"_blank\" rel=\"nofollow noopener\" translate=\"no\"><span class=\"invisible\">{scheme}://</span><span class=\"\">{}</span><span class=\"invisible\">{}</span></a>",
                            html_escape(url),
                            html_escape(shown),
                            html_escape(hidden)
                        ));
                    } else if let Some(tag) = m.get(2) {
                        html.push_str(&format!(
                            "<a href=\"https://mastodon.example/tags/{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
                            tag.as_str().to_lowercase(),
                            tag.as_str()
                        ));
                    }
                    at = whole.end();
                }
                html.push_str(&html_escape(&line[at..]));
                html
            })
            .collect();
        out.push_str(&lines.join("<br />"));
        out.push_str("</p>");
    }
    out
}

/// A text as X stores and answers it: links as `t.co` links, `&`, `<` and
/// `>` escaped.
pub fn x_shown(text: &str, n: usize) -> String {
    let url = regex::Regex::new(r"https?://\S+").expect("pattern");
    let mut k = 0;
    let linked = url.replace_all(text, |_: &regex::Captures| {
        k += 1;
        let code: String = format!("{:010x}", splitmix((n * 16 + k) as u64))
            .chars()
            .take(10)
            .collect();
        format!("https://t.co/{code}")
    });
    linked
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The tip a text belongs to: `Tip t017: …` gives `t017`.
pub fn marker_of(text: &str) -> String {
    let re = regex::Regex::new(r"Tip (t\d{3}):").expect("pattern");
    re.captures(text)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "?".to_string())
}

fn pick(roll: u64, mix: &[(u64, &'static str)]) -> Option<&'static str> {
    let mut limit = 0;
    for (percent, name) in mix {
        limit += percent;
        if roll < limit {
            return Some(name);
        }
    }
    None
}

impl Fake {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Turns the random fault mix on or off.
    pub fn set_random(&self, on: bool) {
        self.random.store(on, Ordering::SeqCst);
    }

    /// Faults for the next create requests, in order (then: answered).
    pub fn script(&self, faults: &[CreateFault]) {
        self.script.lock().unwrap().extend(faults.iter().copied());
    }

    /// Statuses (500, 429) for the next read-back requests, in order.
    pub fn script_reads(&self, statuses: &[u16]) {
        self.read_script
            .lock()
            .unwrap()
            .extend(statuses.iter().copied());
    }

    /// Requests still being answered (or held).
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    pub fn posts(&self) -> Vec<Post> {
        self.state.lock().unwrap().posts.clone()
    }

    pub fn creates(&self) -> Vec<CreateRecord> {
        self.state.lock().unwrap().creates.clone()
    }

    pub fn reads(&self) -> Vec<ReadRecord> {
        self.state.lock().unwrap().reads.clone()
    }

    pub fn injected(&self) -> BTreeMap<String, usize> {
        self.state.lock().unwrap().injected.clone()
    }

    async fn serve(self: Arc<Self>, mut socket: TcpStream) {
        let Some(request) = read_request(&mut socket).await else {
            return;
        };
        if let Some(response) = self.clone().route(request).await {
            let _ = socket.write_all(&response.bytes()).await;
            let _ = socket.shutdown().await;
        }
        // None: the connection is dropped without an answer.
    }

    async fn route(self: Arc<Self>, request: Request) -> Option<Response> {
        let bearer = request
            .headers
            .get("authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if bearer != self.token {
            return Some(self.unauthorized());
        }
        let path = request.path.as_str();
        let method = request.method.as_str();
        match (self.kind, method, path) {
            (Kind::Mastodon, "POST", "/api/v1/statuses") | (Kind::X, "POST", "/2/tweets") => {
                self.create(request).await
            }
            (Kind::Mastodon, "GET", "/api/v2/instance") => Some(Response::json(
                200,
                &json!({
                    "domain": "mastodon.example",
                    "title": "Mastodon",
                    "version": "4.5.0",
                    "configuration": {
                        "urls": {"streaming": "wss://mastodon.example"},
                        "accounts": {"max_featured_tags": 10},
                        "statuses": {"max_characters": 500, "max_media_attachments": 4,
                                     "characters_reserved_per_url": 23},
                        "media_attachments": {},
                        "polls": {},
                        "translation": {"enabled": false}
                    }
                }),
            )),
            (Kind::Mastodon, "GET", "/api/v1/accounts/verify_credentials") => {
                Some(self.read(&request, |_, _| {
                    Response::json(200, &json!(mastodon_account()))
                }))
            }
            (Kind::Mastodon, "GET", p) if p == format!("/api/v1/accounts/{MASTODON_ACCOUNT}/statuses") => {
                Some(self.read(&request, Fake::mastodon_statuses))
            }
            (Kind::X, "GET", "/2/users/me") => Some(self.read(&request, |_, _| {
                Response::json(
                    200,
                    &json!({"data": {"id": X_USER, "name": "Example Hospital", "username": "examplehospital"}}),
                )
            })),
            (Kind::X, "GET", p) if p == format!("/2/users/{X_USER}/tweets") => {
                Some(self.read(&request, Fake::x_timeline))
            }
            _ => Some(match self.kind {
                Kind::Mastodon => Response::json(404, &json!({"error": "Record not found"})),
                Kind::X => Response::json(
                    404,
                    &json!({"title": "Not Found Error", "detail": "Not Found", "type": "about:blank", "status": 404}),
                ),
            }),
        }
    }

    fn unauthorized(&self) -> Response {
        match self.kind {
            Kind::Mastodon => Response::json(401, &json!({"error": "The access token is invalid"}))
                .header(
                    "WWW-Authenticate",
                    "Bearer realm=\"Doorkeeper\", error=\"invalid_token\", error_description=\"The access token is invalid\"",
                ),
            Kind::X => Response::json(
                401,
                &json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}),
            ),
        }
    }

    fn rate_limited(&self, secs: u64, with_retry_after: bool) -> Response {
        let reset = Utc::now() + TimeDelta::seconds(secs as i64);
        match self.kind {
            Kind::Mastodon => {
                let r = Response::json(429, &json!({"error": "Too many requests"}))
                    .header("X-RateLimit-Limit", "300")
                    .header("X-RateLimit-Remaining", "0")
                    .header("X-RateLimit-Reset", iso_millis(reset));
                if with_retry_after {
                    r.header("Retry-After", secs.to_string())
                } else {
                    r
                }
            }
            Kind::X => Response::json(
                429,
                &json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}),
            )
            .header("x-rate-limit-limit", "100")
            .header("x-rate-limit-remaining", "0")
            // Epoch seconds, rounded up: never before the real reset.
            .header("x-rate-limit-reset", (reset.timestamp() + 1).to_string()),
        }
    }

    fn server_error(&self) -> Response {
        match self.kind {
            Kind::Mastodon => Response::json(
                500,
                &json!({"error": "We're sorry, but something went wrong on our end."}),
            ),
            Kind::X => Response::json(
                500,
                &json!({"title": "Internal Server Error", "detail": "Internal Server Error", "type": "about:blank", "status": 500}),
            ),
        }
    }

    /// The fault for the next create request of `marker`: the script
    /// first, then (when on) the seeded mix, by how many create requests
    /// this text has had, so timing does not change which fault it gets.
    fn next_fault(&self, marker: &str, state: &mut State) -> CreateFault {
        let n = {
            let count = state.per_marker.entry(marker.to_string()).or_default();
            *count += 1;
            *count - 1
        };
        if let Some(fault) = self.script.lock().unwrap().pop_front() {
            return fault;
        }
        if !self.random.load(Ordering::SeqCst) {
            return CreateFault::None;
        }
        let salt = format!("{}/create/{marker}", self.kind.name());
        let roll = mix(self.seed, &salt, n);
        let detail = mix(self.seed, &salt, n + 1_000_000);
        match pick(roll % 100, &CREATE_MIX) {
            Some("401") => CreateFault::Unauthorized,
            Some("429") => CreateFault::RateLimited {
                secs: 1 + detail % 3,
                retry_after: (detail >> 8) & 1 == 1,
            },
            Some("500") => CreateFault::ServerError,
            Some("hang") => CreateFault::Hang {
                secs: LONGEST_HOLD.as_secs(),
            },
            Some("drop-before-commit") => CreateFault::DropBefore,
            Some("drop-after-commit") => CreateFault::DropAfter,
            Some("hang-then-commit-late") => CreateFault::CommitLate {
                secs: 3 + detail % (LATEST_COMMIT.as_secs() - 2),
            },
            _ => CreateFault::None,
        }
    }

    async fn create(self: Arc<Self>, request: Request) -> Option<Response> {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let field = match self.kind {
            Kind::Mastodon => "status",
            Kind::X => "text",
        };
        let Some(text) = body[field].as_str().map(str::to_string) else {
            return Some(match self.kind {
                Kind::Mastodon => Response::json(
                    422,
                    &json!({"error": "Validation failed: Text can't be blank"}),
                ),
                Kind::X => Response::json(
                    400,
                    &json!({"title": "Invalid Request", "detail": "One or more parameters to your request was invalid.", "type": "https://api.x.com/2/problems/invalid-request", "status": 400}),
                ),
            });
        };
        let marker = marker_of(&text);
        let key = request.headers.get("idempotency-key").cloned();
        let (seq, fault, duplicate_at_arrival) = {
            let mut state = self.state.lock().unwrap();
            let fault = self.next_fault(&marker, &mut state);
            let seq = state.creates.len();
            state.creates.push(CreateRecord {
                seq,
                at: Utc::now(),
                marker: marker.clone(),
                key: key.clone(),
                fault,
                outcome: Outcome::Pending,
                settled_at: None,
            });
            if fault != CreateFault::None {
                *state
                    .injected
                    .entry(format!("create {}", fault.name()))
                    .or_default() += 1;
            }
            // X checks for duplicate content when the request arrives.
            let duplicate = self.kind == Kind::X
                && state
                    .posts
                    .iter()
                    .rev()
                    .take(X_RECENT)
                    .any(|p| p.sent == text);
            (seq, fault, duplicate)
        };
        let settle = |outcome: Outcome| {
            let mut state = self.state.lock().unwrap();
            state.creates[seq].outcome = outcome;
            state.creates[seq].settled_at = Some(Utc::now());
        };
        match fault {
            CreateFault::Unauthorized => {
                settle(Outcome::Refused);
                Some(self.unauthorized())
            }
            CreateFault::RateLimited { secs, retry_after } => {
                settle(Outcome::Refused);
                Some(self.rate_limited(secs, retry_after))
            }
            CreateFault::ServerError => {
                settle(Outcome::NotCommitted);
                Some(self.server_error())
            }
            CreateFault::DropBefore => {
                settle(Outcome::NotCommitted);
                None
            }
            CreateFault::Hang { secs } => {
                settle(Outcome::NotCommitted);
                tokio::time::sleep(Duration::from_secs(secs)).await;
                None
            }
            CreateFault::DropAfter => {
                self.commit(seq, &text, key.as_deref(), duplicate_at_arrival);
                None
            }
            CreateFault::CommitLate { secs } => {
                tokio::time::sleep(Duration::from_secs(secs)).await;
                Some(self.commit(seq, &text, key.as_deref(), duplicate_at_arrival))
            }
            CreateFault::None => {
                Some(self.commit(seq, &text, key.as_deref(), duplicate_at_arrival))
            }
        }
    }

    /// Creates the post (or finds the first one for its key, or refuses a
    /// duplicate); records the outcome; the answer.
    fn commit(&self, seq: usize, text: &str, key: Option<&str>, duplicate: bool) -> Response {
        let mut state = self.state.lock().unwrap();
        let now = Utc::now();
        if self.kind == Kind::Mastodon
            && let Some(&first) = key.and_then(|k| state.by_key.get(k))
        {
            state.creates[seq].outcome = Outcome::Existing(first);
            state.creates[seq].settled_at = Some(now);
            return Response::json(200, &mastodon_status(&state.posts[first]));
        }
        if duplicate {
            state.creates[seq].outcome = Outcome::Duplicate;
            state.creates[seq].settled_at = Some(now);
            return Response::json(
                403,
                &json!({"detail": "You are not allowed to create a Tweet with duplicate content.", "type": "about:blank", "title": "Forbidden", "status": 403}),
            );
        }
        let n = state.posts.len();
        let (id, shown) = match self.kind {
            Kind::Mastodon => (
                format!("{}", 113_500_000_000_000_001u64 + n as u64),
                mastodon_html(text),
            ),
            Kind::X => (
                format!("{}", 1_860_000_000_000_000_001u64 + n as u64),
                x_shown(text, n),
            ),
        };
        state.posts.push(Post {
            id,
            marker: marker_of(text),
            sent: text.to_string(),
            shown,
            created_at: now,
            key: key.map(str::to_string),
            request: seq,
        });
        if let Some(key) = key {
            state.by_key.insert(key.to_string(), n);
        }
        state.creates[seq].outcome = Outcome::Created(n);
        state.creates[seq].settled_at = Some(now);
        let post = &state.posts[n];
        match self.kind {
            Kind::Mastodon => Response::json(200, &mastodon_status(post)),
            Kind::X => Response::json(
                201,
                &json!({"data": {"id": post.id, "text": post.shown, "edit_history_post_ids": [post.id]}}),
            ),
        }
    }

    /// A read-back: the scripted or seeded fault, else `answer`; logged.
    fn read(&self, request: &Request, answer: fn(&Fake, &Request) -> Response) -> Response {
        let fault = {
            let mut state = self.state.lock().unwrap();
            let n = state.read_count;
            state.read_count += 1;
            let scripted = self.read_script.lock().unwrap().pop_front();
            let fault = scripted.or_else(|| {
                if !self.random.load(Ordering::SeqCst) {
                    return None;
                }
                let salt = format!("{}/read", self.kind.name());
                match pick(mix(self.seed, &salt, n) % 100, &READ_MIX) {
                    Some("500") => Some(500),
                    Some("429") => Some(429),
                    _ => None,
                }
            });
            if let Some(status) = fault {
                *state.injected.entry(format!("read {status}")).or_default() += 1;
            }
            fault
        };
        let response = match fault {
            Some(429) => self.rate_limited(1, true),
            Some(_) => self.server_error(),
            None => answer(self, request),
        };
        let ids = serde_json::from_slice::<Value>(&response.body)
            .ok()
            .map(|v| {
                let list = if v.is_array() { v } else { v["data"].clone() };
                list.as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|p| p["id"].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        self.state.lock().unwrap().reads.push(ReadRecord {
            at: Utc::now(),
            path: request.path.clone(),
            query: request.raw_query.clone(),
            status: response.status,
            ids,
        });
        response
    }

    /// `GET /api/v1/accounts/:id/statuses`, newest first.
    fn mastodon_statuses(&self, request: &Request) -> Response {
        let param = |name: &str| {
            request
                .query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let limit: usize = param("limit")
            .and_then(|v| v.parse().ok())
            .unwrap_or(20)
            .clamp(1, 40);
        let id_of = |v: Option<String>| v.and_then(|v| v.parse::<u64>().ok());
        let max_id = id_of(param("max_id"));
        let since_id = id_of(param("since_id")).or(id_of(param("min_id")));
        let state = self.state.lock().unwrap();
        let page: Vec<Value> = state
            .posts
            .iter()
            .rev()
            .filter(|p| {
                let id: u64 = p.id.parse().unwrap_or(0);
                max_id.is_none_or(|m| id < m) && since_id.is_none_or(|s| id > s)
            })
            .take(limit)
            .map(mastodon_status)
            .collect();
        let mut response = Response::json(200, &Value::Array(page.clone()));
        if let Some(last) = page.last().and_then(|p| p["id"].as_str()) {
            response = response.header(
                "Link",
                format!(
                    "<{}/api/v1/accounts/{MASTODON_ACCOUNT}/statuses?limit={limit}&max_id={last}>; rel=\"next\"",
                    self.base_url()
                ),
            );
        }
        response
    }

    /// `GET /2/users/:id/tweets`, newest first, with X's parameters.
    fn x_timeline(&self, request: &Request) -> Response {
        const KNOWN: [&str; 13] = [
            "max_results",
            "pagination_token",
            "start_time",
            "end_time",
            "since_id",
            "until_id",
            "exclude",
            "tweet.fields",
            "expansions",
            "media.fields",
            "poll.fields",
            "place.fields",
            "user.fields",
        ];
        let invalid = |message: String| {
            Response::json(
                400,
                &json!({"errors": [{"message": message}], "title": "Invalid Request",
                        "detail": "One or more parameters to your request was invalid.",
                        "type": "https://api.x.com/2/problems/invalid-request"}),
            )
        };
        for (name, _) in &request.query {
            if !KNOWN.contains(&name.as_str()) {
                return invalid(format!(
                    "The query parameter [{name}] is not one of [{}]",
                    KNOWN.join(",")
                ));
            }
        }
        let param = |name: &str| {
            request
                .query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let max_results: usize = match param("max_results").map(|v| v.parse::<usize>()) {
            None => 10,
            Some(Ok(n)) if (5..=100).contains(&n) => n,
            Some(_) => {
                return invalid(
                    "The `max_results` query parameter value is not between 5 and 100".into(),
                );
            }
        };
        let time = |name: &str| -> Result<Option<DateTime<Utc>>, Response> {
            match param(name) {
                None => Ok(None),
                Some(v) => DateTime::parse_from_rfc3339(&v)
                    .map(|t| Some(t.with_timezone(&Utc)))
                    .map_err(|_| invalid(format!("Invalid `{name}`: {v}"))),
            }
        };
        let start_time = match time("start_time") {
            Ok(t) => t,
            Err(r) => return r,
        };
        let end_time = match time("end_time") {
            Ok(t) => t,
            Err(r) => return r,
        };
        if let Some(exclude) = param("exclude")
            && exclude
                .split(',')
                .any(|e| e != "replies" && e != "retweets")
        {
            return invalid(format!("Invalid `exclude`: {exclude}"));
        }
        let id_of = |v: Option<String>| v.and_then(|v| v.parse::<u64>().ok());
        let since_id = id_of(param("since_id"));
        let until_id = id_of(param("until_id"));
        let offset: usize = match param("pagination_token") {
            None => 0,
            Some(token) => match token
                .strip_prefix("7140dibdnow9c7btw")
                .and_then(|n| usize::from_str_radix(n, 32).ok())
            {
                Some(n) => n,
                None => return invalid(format!("Invalid `pagination_token`: {token}")),
            },
        };
        let state = self.state.lock().unwrap();
        let all: Vec<&Post> = state
            .posts
            .iter()
            .rev()
            .filter(|p| {
                let id: u64 = p.id.parse().unwrap_or(0);
                start_time.is_none_or(|t| p.created_at >= t)
                    && end_time.is_none_or(|t| p.created_at <= t)
                    && since_id.is_none_or(|s| id > s)
                    && until_id.is_none_or(|u| id < u)
            })
            .collect();
        let page: Vec<&Post> = all.iter().skip(offset).take(max_results).copied().collect();
        if page.is_empty() {
            return Response::json(200, &json!({"meta": {"result_count": 0}}));
        }
        let mut meta = json!({
            "result_count": page.len(),
            "newest_id": page[0].id,
            "oldest_id": page[page.len() - 1].id,
        });
        if offset + page.len() < all.len() {
            meta["next_token"] = json!(format!(
                "7140dibdnow9c7btw{}",
                to_base32(offset + page.len())
            ));
        }
        Response::json(
            200,
            &json!({
                "data": page.iter().map(|p| json!({"id": p.id, "text": p.shown, "edit_history_post_ids": [p.id]})).collect::<Vec<_>>(),
                "meta": meta,
            }),
        )
    }
}

fn to_base32(mut n: usize) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuv";
    if n == 0 {
        return "0".to_string();
    }
    let mut out = Vec::new();
    while n > 0 {
        out.push(DIGITS[n % 32]);
        n /= 32;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn mastodon_account() -> Value {
    json!({
        "id": MASTODON_ACCOUNT, "username": "hospital", "acct": "hospital",
        "display_name": "Example Hospital", "locked": false, "bot": false,
        "created_at": "2020-01-01T00:00:00.000Z", "note": "", "url": "https://mastodon.example/@hospital",
        "avatar": "", "header": "", "followers_count": 0, "following_count": 0, "statuses_count": 0,
        "emojis": [], "fields": []
    })
}

fn mastodon_status(post: &Post) -> Value {
    json!({
        "id": post.id,
        "created_at": iso_millis(post.created_at),
        "in_reply_to_id": null,
        "in_reply_to_account_id": null,
        "sensitive": false,
        "spoiler_text": "",
        "visibility": "public",
        "language": "en",
        "uri": format!("https://mastodon.example/users/hospital/statuses/{}", post.id),
        "url": format!("https://mastodon.example/@hospital/{}", post.id),
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "edited_at": null,
        "content": post.shown,
        "reblog": null,
        "account": mastodon_account(),
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": null,
        "poll": null
    })
}
