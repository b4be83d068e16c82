//! The HTTP core every network publisher shares: one reqwest client (rustls,
//! timeouts, user agent), the rule that endpoints are https (plain http only
//! on loopback, for tests and local relays), and the classification of
//! answers and transport failures into [`PublishError`], with the reset time
//! read from whichever rate-limit header the platform sends. Adapters only say
//! what their success looks like. Waiting for something a platform is still
//! preparing (an uploaded video or image) is [`poll_until`], bounded.

use super::PublishError;
use chrono::{DateTime, TimeDelta, Utc};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

/// How to wait for something a platform prepares after answering: check up
/// to `attempts` times, `interval` apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Poll {
    pub interval: Duration,
    pub attempts: u32,
}

/// Asks `check` until it answers `Ok(Some(_))`, waiting `poll.interval`
/// before each of at most `poll.attempts` checks (the first wait included:
/// the thing was just reported not ready). `Ok(None)` means "not ready yet";
/// an `Err` ends the wait with that error. When every check answered "not
/// ready", the result is [`PublishError::Retryable`] naming `what`: nothing
/// was published, and a later try may find it ready. The longest wait is
/// `interval × attempts` plus the checks' own time.
pub async fn poll_until<T, F, Fut>(poll: Poll, what: &str, mut check: F) -> Result<T, PublishError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, PublishError>>,
{
    for _ in 0..poll.attempts {
        tokio::time::sleep(poll.interval).await;
        if let Some(ready) = check().await? {
            return Ok(ready);
        }
    }
    Err(PublishError::Retryable(format!(
        "{what} was still not ready after {} checks {} ms apart",
        poll.attempts,
        poll.interval.as_millis()
    )))
}

#[derive(Debug, Clone)]
pub struct HttpCore {
    pub client: reqwest::Client,
}

impl HttpCore {
    pub fn new(timeout: Duration) -> Result<HttpCore, String> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("healthcast/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(timeout)
            .https_only(false)
            .build()
            .map_err(|e| format!("cannot create the HTTP client: {e}"))?;
        Ok(HttpCore { client })
    }
}

/// A platform's answer, read whole.
pub struct Answer {
    pub status: reqwest::StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

/// Sends `request` and reads the whole answer; a failure before the answer
/// is classified by [`classify_transport`].
pub async fn send(request: reqwest::RequestBuilder) -> Result<Answer, PublishError> {
    let response = request.send().await.map_err(|e| classify_transport(&e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.map_err(|e| classify_transport(&e))?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// An endpoint must be https, or http on a loopback address.
pub fn check_endpoint(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if parsed.host_str().is_some_and(is_loopback) => Ok(()),
        "http" => Err(format!(
            "`{url}` is plain http; use https (plain http is allowed only on loopback)"
        )),
        other => Err(format!("`{url}` has scheme `{other}`; use https")),
    }
}

/// `localhost` or a loopback address (`127.0.0.0/8`, `::1`, bracketed or not).
pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// What a non-success answer means. `message` is the platform's error text.
pub fn classify_status(
    status: StatusCode,
    headers: &HeaderMap,
    message: &str,
    now: DateTime<Utc>,
) -> PublishError {
    let what = format!("HTTP {}: {message}", status.as_u16());
    match status.as_u16() {
        401 | 403 if !message.to_lowercase().contains("duplicate") => PublishError::Auth(what),
        429 => PublishError::RateLimited {
            reset: rate_limit_reset(headers, now),
            message: what,
        },
        // A gateway that gave up waiting for the server, which may still
        // be working on the request.
        504 => PublishError::NoAnswer(what),
        408 | 500..=599 => PublishError::Retryable(what),
        _ => PublishError::Permanent(what),
    }
}

/// A failure before an answer arrived. A connection that was never made did
/// not post anything; a request that got no answer may have, and may still
/// be running on the server.
pub fn classify_transport(error: &reqwest::Error) -> PublishError {
    if error.is_connect() {
        PublishError::NotPosted(format!("could not connect: {}", without_url(error)))
    } else if error.is_timeout() {
        PublishError::NoAnswer(format!(
            "no answer in time (the post may have been created): {}",
            without_url(error)
        ))
    } else {
        PublishError::NoAnswer(format!(
            "the connection ended without an answer (the post may have been created): {}",
            without_url(error)
        ))
    }
}

/// reqwest's messages name the URL; URLs can carry credentials (webhooks).
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "<endpoint>");
    }
    text
}

/// When the platform says the rate limit resets: `Retry-After` (seconds or
/// an HTTP date), `X-RateLimit-Reset` (Mastodon: an ISO 8601 time),
/// `x-rate-limit-reset` (X: epoch seconds) or `RateLimit-Reset` (Bluesky).
pub fn rate_limit_reset(headers: &HeaderMap, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let value = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(v) = value("retry-after") {
        if let Ok(seconds) = v.parse::<i64>() {
            return Some(now + TimeDelta::seconds(seconds));
        }
        if let Ok(at) = DateTime::parse_from_rfc2822(v) {
            return Some(at.with_timezone(&Utc));
        }
    }
    for name in ["x-ratelimit-reset", "x-rate-limit-reset", "ratelimit-reset"] {
        let Some(v) = value(name) else { continue };
        if let Ok(at) = DateTime::parse_from_rfc3339(v) {
            return Some(at.with_timezone(&Utc));
        }
        if let Ok(n) = v.parse::<i64>() {
            // Large numbers are epoch seconds; small ones, seconds from now.
            return if n > 1_000_000_000 {
                DateTime::from_timestamp(n, 0)
            } else {
                Some(now + TimeDelta::seconds(n))
            };
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use reqwest::header::HeaderValue;

    #[test]
    fn endpoints_are_https_or_loopback_http() {
        assert!(check_endpoint("https://mastodon.example").is_ok());
        assert!(check_endpoint("http://127.0.0.1:8080").is_ok());
        assert!(check_endpoint("http://[::1]:8080").is_ok());
        assert!(check_endpoint("http://localhost:1").is_ok());
        assert!(
            check_endpoint("http://mastodon.example")
                .unwrap_err()
                .contains("plain http")
        );
        assert!(check_endpoint("ftp://x.example").is_err());
    }

    #[test]
    fn rate_limit_headers_of_each_platform_give_the_reset_time() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let headers = |name: &'static str, value: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(name, HeaderValue::from_static(value));
            h
        };
        let at = |s| Some(now + TimeDelta::seconds(s));
        assert_eq!(
            rate_limit_reset(&headers("retry-after", "120"), now),
            at(120)
        );
        assert_eq!(
            rate_limit_reset(
                &headers("x-ratelimit-reset", "2026-11-23T12:05:00.000Z"),
                now
            ),
            at(300)
        );
        assert_eq!(
            rate_limit_reset(&headers("x-rate-limit-reset", "1795435500"), now),
            DateTime::from_timestamp(1_795_435_500, 0)
        );
        assert_eq!(
            rate_limit_reset(&headers("ratelimit-reset", "60"), now),
            at(60)
        );
        assert_eq!(rate_limit_reset(&HeaderMap::new(), now), None);
    }

    #[tokio::test]
    async fn polling_stops_when_ready_on_an_error_or_after_the_last_attempt() {
        let poll = Poll {
            interval: Duration::from_millis(1),
            attempts: 4,
        };
        let mut checks = 0;
        let ready = poll_until(poll, "media", || {
            checks += 1;
            let answer = (checks == 3).then_some(checks);
            async move { Ok(answer) }
        })
        .await;
        assert_eq!(ready, Ok(3));

        let mut checks = 0;
        let never = poll_until::<(), _, _>(poll, "media 7", || {
            checks += 1;
            async { Ok(None) }
        })
        .await;
        assert_eq!(checks, 4, "exactly the bounded number of checks");
        assert!(
            matches!(&never, Err(PublishError::Retryable(m)) if m.contains("media 7") && m.contains("4 checks")),
            "{never:?}"
        );

        let mut checks = 0;
        let failed = poll_until::<(), _, _>(poll, "media", || {
            checks += 1;
            async { Err(PublishError::Auth("HTTP 401".into())) }
        })
        .await;
        assert_eq!(checks, 1);
        assert_eq!(failed, Err(PublishError::Auth("HTTP 401".into())));
    }

    #[test]
    fn statuses_are_classified() {
        let now = Utc::now();
        let h = HeaderMap::new();
        assert!(matches!(
            classify_status(StatusCode::UNAUTHORIZED, &h, "x", now),
            PublishError::Auth(_)
        ));
        assert!(matches!(
            classify_status(StatusCode::TOO_MANY_REQUESTS, &h, "x", now),
            PublishError::RateLimited { .. }
        ));
        assert!(matches!(
            classify_status(StatusCode::INTERNAL_SERVER_ERROR, &h, "x", now),
            PublishError::Retryable(_)
        ));
        assert!(matches!(
            classify_status(StatusCode::GATEWAY_TIMEOUT, &h, "x", now),
            PublishError::NoAnswer(_)
        ));
        assert!(matches!(
            classify_status(StatusCode::UNPROCESSABLE_ENTITY, &h, "x", now),
            PublishError::Permanent(_)
        ));
    }
}
