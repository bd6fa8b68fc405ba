//! The HTTP client for the Notion API: auth and version headers, a request pace under the
//! documented average rate, and retries — `Retry-After` on 429 / 529, exponential back-off with
//! jitter on 409, 5xx and network errors — bounded, then a clear failure.
//!
//! It speaks `2026-12-01` unless told otherwise. A server that rejects that version (an older
//! gateway, a proxy pinned to a version) is spoken to in `2025-09-03` from then on, once, and
//! the client keeps a notice saying so ([`Client::fell_back`]).

use super::NotionError;
use crate::http::{read_json, BodyError, Failure};
use crate::job::Cancel;
use crate::secret::{ExposeSecret, SecretString};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The Notion API versions Redline speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ApiVersion {
    /// Databases are queried directly: `POST /v1/databases/{id}/query`.
    #[serde(rename = "2022-06-28")]
    V2022,
    /// Databases hold data sources: `POST /v1/data_sources/{id}/query`.
    #[serde(rename = "2025-09-03")]
    V2025,
    /// As 2025-09-03, and (since 2026-03-11) pages say `in_trash`, not `archived`; Search and
    /// data-source queries return only each page's title unless `filter_properties` names the
    /// other properties. The default.
    #[serde(rename = "2026-12-01")]
    V2026,
}

impl ApiVersion {
    /// Every version, newest first (the CLI's and the app's choices).
    pub const ALL: [ApiVersion; 3] = [ApiVersion::V2026, ApiVersion::V2025, ApiVersion::V2022];
    /// What a server that rejects the newest version is spoken to in.
    pub const FALLBACK: ApiVersion = ApiVersion::V2025;

    pub fn header(self) -> &'static str {
        match self {
            ApiVersion::V2022 => "2022-06-28",
            ApiVersion::V2025 => "2025-09-03",
            ApiVersion::V2026 => "2026-12-01",
        }
    }

    /// The version a `Notion-Version` value names, if Redline speaks it.
    pub fn parse(header: &str) -> Option<ApiVersion> {
        ApiVersion::ALL
            .into_iter()
            .find(|v| v.header() == header.trim())
    }

    /// Whether databases are read through their data sources (2025-09-03 and later).
    pub fn data_sources(self) -> bool {
        self != ApiVersion::V2022
    }

    /// Whether lists carry only the title unless `filter_properties` names the rest.
    pub fn title_only_lists(self) -> bool {
        self == ApiVersion::V2026
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.header())
    }
}

/// How the client talks to Notion.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// `https://api.notion.com`, or a proxy, gateway or test server.
    pub base_url: String,
    pub version: ApiVersion,
    /// The pace of requests; Notion documents an average of 3 per second.
    pub requests_per_second: f64,
    /// Retries of one request before giving up.
    pub max_retries: u32,
    /// The first back-off wait on 5xx and network errors; it doubles with each retry.
    pub backoff_base: Duration,
    /// The longest back-off wait.
    pub backoff_max: Duration,
    pub timeout: Duration,
    /// The longest `Retry-After` obeyed; a server asking for more ends the sync with a clear
    /// message (what was fetched stays stored).
    pub max_retry_after: Duration,
    /// The most time one client may spend waiting on `Retry-After` in all.
    pub max_rate_limit_wait: Duration,
    /// The largest answer read; a longer one is refused, never read whole.
    pub max_body_bytes: u64,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            base_url: super::base_url_from_env(),
            version: ApiVersion::V2026,
            requests_per_second: 2.8,
            max_retries: 8,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            timeout: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(5 * 60),
            max_rate_limit_wait: Duration::from_secs(30 * 60),
            max_body_bytes: 64 << 20,
        }
    }
}

/// What the client has done so far, for progress and tests.
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub rate_limited: AtomicU64,
    /// Time spent waiting for Retry-After, in milliseconds.
    pub rate_limit_wait_ms: AtomicU64,
}

pub struct Client {
    http: crate::http::Lazy,
    config: ClientConfig,
    /// The version spoken now: the configured one, or [`ApiVersion::FALLBACK`] after the server
    /// rejected it.
    version: Mutex<ApiVersion>,
    /// Why the client fell back, once it has.
    fell_back: Mutex<Option<String>>,
    token: SecretString,
    next_slot: Mutex<Instant>,
    jitter: Mutex<u64>,
    pub counters: Counters,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.config.base_url)
            .field("version", &self.version())
            .field("token", &self.token)
            .finish()
    }
}

enum Attempt {
    Done(Value),
    /// Retry after this long (the reason; whether it was a rate limit).
    Retry(Duration, String, bool),
    /// The server could not be reached at all.
    Unreachable(String),
    Fail(NotionError),
}

/// Retries when the server cannot be reached at all: a laptop offline should hear so quickly.
const UNREACHABLE_RETRIES: u32 = 2;

impl Client {
    pub fn new(token: SecretString, config: ClientConfig) -> Client {
        let http = crate::http::Lazy::new(config.timeout, config.timeout);
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1;
        Client {
            http,
            version: Mutex::new(config.version),
            fell_back: Mutex::new(None),
            config,
            token,
            next_slot: Mutex::new(Instant::now()),
            jitter: Mutex::new(seed),
            counters: Counters::default(),
        }
    }

    /// The version spoken now (see [`Client::fell_back`]).
    pub fn version(&self) -> ApiVersion {
        *lock(&self.version)
    }

    /// Speak `version` from now on (a connection saved with another version, or a fallback the
    /// caller decided on).
    pub fn set_version(&self, version: ApiVersion) {
        *lock(&self.version) = version;
    }

    /// Why this client no longer speaks the version it was made with, if it does not: a
    /// sentence for the person ("the server rejected Notion-Version 2026-12-01 …").
    pub fn fell_back(&self) -> Option<String> {
        lock(&self.fell_back).clone()
    }

    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    /// Wait for this request's slot in the pace.
    fn pace(&self, cancel: &Cancel) -> Result<(), NotionError> {
        let interval = Duration::from_secs_f64(1.0 / self.config.requests_per_second.max(0.01));
        let wait = {
            let mut next = lock(&self.next_slot);
            let now = Instant::now();
            let at = (*next).max(now);
            *next = at + interval;
            at - now
        };
        sleep(wait, cancel)
    }

    /// A factor in 0.5..1.0 for "equal jitter" back-off.
    fn jitter(&self) -> f64 {
        let mut x = lock(&self.jitter);
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        0.5 + (*x >> 11) as f64 / (1u64 << 53) as f64 / 2.0
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .config
            .backoff_base
            .saturating_mul(1u32 << attempt.min(16));
        exp.min(self.config.backoff_max).mul_f64(self.jitter())
    }

    /// Send one request (`path` starts with `/v1/`) and return the JSON body of its answer.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        cancel: &Cancel,
    ) -> Result<Value, NotionError> {
        self.request_with(method, path, &[], body, cancel)
    }

    /// [`Client::request`] with query-string parameters (each pair percent-encoded; a name may
    /// repeat, as `filter_properties` does). A server that rejects the version spoken when it is
    /// the newest is asked again, once, in [`ApiVersion::FALLBACK`], which this client then
    /// keeps.
    pub fn request_with(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        cancel: &Cancel,
    ) -> Result<Value, NotionError> {
        match self.send(method, path, query, body, cancel) {
            Err(e) if self.version() == ApiVersion::V2026 && rejects_version(&e) => {
                let why = format!(
                    "the server rejected Notion-Version {} ({e}); Redline speaks {} to it instead",
                    ApiVersion::V2026,
                    ApiVersion::FALLBACK
                );
                self.set_version(ApiVersion::FALLBACK);
                match self.send(method, path, query, body, cancel) {
                    Ok(v) => {
                        *lock(&self.fell_back) = Some(why);
                        Ok(v)
                    }
                    // The older version fails too: the version was not the problem.
                    Err(_) => {
                        self.set_version(ApiVersion::V2026);
                        Err(e)
                    }
                }
            }
            other => other,
        }
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        cancel: &Cancel,
    ) -> Result<Value, NotionError> {
        if !crate::secret::secure_transport(&self.config.base_url) {
            return Err(NotionError::Insecure {
                base_url: crate::secret::url_origin(&self.config.base_url),
            });
        }
        let url = format!("{}{}", self.config.base_url.trim_end_matches('/'), path);
        let mut attempt = 0u32;
        let mut unreachable = 0u32;
        loop {
            if cancel.is_cancelled() {
                return Err(NotionError::Cancelled);
            }
            self.pace(cancel)?;
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            match self.attempt(method, &url, query, body, attempt) {
                Attempt::Done(v) => return Ok(v),
                Attempt::Fail(e) => return Err(e),
                Attempt::Unreachable(why) => {
                    if unreachable >= UNREACHABLE_RETRIES {
                        return Err(NotionError::Offline {
                            base_url: crate::secret::url_origin(&self.config.base_url),
                            detail: why,
                        });
                    }
                    unreachable += 1;
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                    sleep(self.backoff(unreachable - 1), cancel)?;
                }
                Attempt::Retry(wait, why, rate_limited) => {
                    if attempt >= self.config.max_retries {
                        return Err(NotionError::GaveUp {
                            attempts: attempt + 1,
                            last: why,
                        });
                    }
                    attempt += 1;
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                    if rate_limited {
                        if wait > self.config.max_retry_after {
                            return Err(NotionError::WaitTooLong {
                                asked_secs: wait.as_secs(),
                                limit_secs: self.config.max_retry_after.as_secs(),
                            });
                        }
                        let waited = Duration::from_millis(
                            self.counters.rate_limit_wait_ms.load(Ordering::Relaxed),
                        );
                        if waited + wait > self.config.max_rate_limit_wait {
                            return Err(NotionError::RateLimitedTooLong {
                                waited_secs: waited.as_secs(),
                            });
                        }
                        self.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
                        self.counters
                            .rate_limit_wait_ms
                            .fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
                        // Nothing may be sent before the server's wait is over.
                        let mut next = lock(&self.next_slot);
                        *next = (*next).max(Instant::now() + wait);
                    } else {
                        sleep(wait, cancel)?;
                    }
                }
            }
        }
    }

    fn attempt(
        &self,
        method: &str,
        url: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        attempt: u32,
    ) -> Attempt {
        let http = match self.http.get() {
            Ok(http) => http,
            Err(e) => return Attempt::Fail(NotionError::Setup(e)),
        };
        let mut url = match url::Url::parse(url) {
            Ok(u) => u,
            Err(e) => return Attempt::Fail(NotionError::Unexpected(format!("address {url}: {e}"))),
        };
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let method = match reqwest::Method::from_bytes(method.as_bytes()) {
            Ok(m) => m,
            Err(e) => return Attempt::Fail(NotionError::Unexpected(e.to_string())),
        };
        let mut request = http
            .request(method, url)
            .bearer_auth(self.token.expose_secret())
            .header("Notion-Version", self.version().header());
        if let Some(b) = body {
            request = request.json(b);
        }
        let response = match crate::http::send(request) {
            Ok(r) => r,
            Err(Failure::Unreachable(detail)) => return Attempt::Unreachable(detail),
            Err(Failure::Untrusted(detail)) => {
                return Attempt::Fail(NotionError::Untrusted {
                    base_url: self.config.base_url.clone(),
                    detail,
                })
            }
            Err(f) => {
                return Attempt::Retry(
                    self.backoff(attempt),
                    format!("network: {}", f.detail()),
                    false,
                )
            }
        };
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Attempt::Fail(NotionError::Redirected { status });
        }
        if response.status().is_success() {
            return match read_json(response, self.config.max_body_bytes) {
                Ok(v) => Attempt::Done(v),
                Err(BodyError::TooLarge) => Attempt::Fail(NotionError::TooLarge {
                    limit_mib: self.config.max_body_bytes >> 20,
                }),
                Err(BodyError::Unreadable(e)) => Attempt::Retry(
                    self.backoff(attempt),
                    format!("the answer was cut off: {e}"),
                    false,
                ),
            };
        }
        let retry_after = crate::http::header(&response, "Retry-After")
            .and_then(|v| v.trim().parse::<u64>().ok());
        // An error's body is only read for its code and message.
        let body: Value =
            read_json(response, crate::http::MAX_ERROR_BODY_BYTES).unwrap_or(Value::Null);
        let code = body["code"].as_str().unwrap_or("").to_owned();
        let message = body["message"].as_str().unwrap_or("").to_owned();
        match status {
            429 | 529 => Attempt::Retry(
                Duration::from_secs(retry_after.unwrap_or(1)),
                format!("{status} {code}: {message}"),
                true,
            ),
            409 | 500 | 502 | 503 | 504 => Attempt::Retry(
                self.backoff(attempt),
                format!("{status} {code}: {message}"),
                false,
            ),
            _ => Attempt::Fail(NotionError::from_status(status, &code, &message)),
        }
    }
}

/// Whether an error is a server's refusal of the `Notion-Version` header: a 400 whose message
/// names the header or the version (Notion's own says "Notion-Version header failed
/// validation").
pub(crate) fn rejects_version(e: &NotionError) -> bool {
    match e {
        NotionError::Rejected {
            status: 400,
            code,
            message,
        } => {
            let m = message.to_ascii_lowercase();
            code == "missing_version" || m.contains("notion-version") || m.contains("api version")
        }
        _ => false,
    }
}

/// A lock that a panic elsewhere did not spoil: the values behind it (a time slot, a seed) are
/// valid whatever happened while it was held.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Sleep in short slices so a cancel is noticed within 100 ms.
fn sleep(total: Duration, cancel: &Cancel) -> Result<(), NotionError> {
    let end = Instant::now() + total;
    loop {
        if cancel.is_cancelled() {
            return Err(NotionError::Cancelled);
        }
        let now = Instant::now();
        if now >= end {
            return Ok(());
        }
        std::thread::sleep((end - now).min(Duration::from_millis(100)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let c = Client::new(
            SecretString::from(String::from("t")),
            ClientConfig {
                base_url: "http://127.0.0.1:9".into(),
                ..Default::default()
            },
        );
        for attempt in 0..12 {
            let full = Duration::from_millis(500)
                .saturating_mul(1 << attempt)
                .min(Duration::from_secs(30));
            let got = c.backoff(attempt);
            assert!(got >= full / 2 && got <= full, "{attempt}: {got:?}");
        }
    }

    #[test]
    fn the_token_is_not_in_debug_output() {
        let c = Client::new(
            SecretString::from(String::from("secret_TOKEN")),
            ClientConfig::default(),
        );
        assert!(!format!("{c:?}").contains("secret_TOKEN"));
    }
}
