//! Notion: read the "Training Data" database into the store and keep it in step.
//!
//! - [`client`]: HTTP with the right headers, a pace under Notion's average rate limit, and
//!   bounded retries (`Retry-After` on 429 / 529, back-off with jitter on 5xx and network errors).
//! - [`mapping`]: which database property holds which settlement field — proposed from names
//!   and types (`AI_Raw_Output`, `Scenario_Options`, `Agent_Name`, …), corrected by the user,
//!   validated against the live schema.
//! - [`page`]: one page → one settlement, or a reason to skip it.
//! - [`sync`]: full and incremental sync (pages edited since the cursor, with a one-minute
//!   overlap because Notion rounds `last_edited_time` to the minute), and reconcile (removes
//!   pages archived or deleted in Notion). Each batch of pages and the cursor commit in one store
//!   transaction, so a sync killed at any point resumes without loss or duplicates.
//!
//! This module is the only part of the core that touches the network.

pub mod client;
pub mod mapping;
pub mod page;
pub mod sync;
pub mod writeback;

pub use client::{ApiVersion, Client, ClientConfig};

/// The official API.
pub const DEFAULT_BASE_URL: &str = "https://api.notion.com";
/// Overrides the API base URL (tests, proxies, self-hosted gateways).
pub const BASE_URL_ENV: &str = "REDLINE_NOTION_BASE_URL";
/// The token for headless and CLI use (the app keeps it in the OS keychain).
pub const TOKEN_ENV: &str = "REDLINE_NOTION_TOKEN";

/// The base URL: `REDLINE_NOTION_BASE_URL` if set, else the official API.
pub fn base_url_from_env() -> String {
    base_url(None)
}

/// The base URL to use: `REDLINE_NOTION_BASE_URL` if set, else the saved setting, else the
/// official API.
pub fn base_url(saved: Option<&str>) -> String {
    std::env::var(BASE_URL_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| saved.map(str::to_owned))
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_string())
}

/// What went wrong talking to Notion, worded for the person who can fix it.
#[derive(Debug, thiserror::Error)]
pub enum NotionError {
    #[error("Notion refused the token (401): check the integration token in Settings → Notion")]
    Unauthorized,
    #[error(
        "Notion cannot find {what} (404): open it in Notion → ••• → Connections and add your \
         integration, or check the link"
    )]
    NotFound { what: String },
    #[error("the integration may not read this (403 {code}): {message}")]
    Restricted { code: String, message: String },
    #[error("Notion rejected the request ({status} {code}): {message}")]
    Rejected {
        status: u16,
        code: String,
        message: String,
    },
    #[error("Notion did not answer after {attempts} attempts (last: {last}); try again later")]
    GaveUp { attempts: u32, last: String },
    #[error("cannot reach Notion at {base_url} ({detail}): you seem to be offline; Redline keeps working from its cache")]
    Offline { base_url: String, detail: String },
    #[error("Notion asked Redline to wait {asked_secs} s before the next request, longer than the {limit_secs} s Redline waits at a time; what was fetched is kept — sync again later")]
    WaitTooLong { asked_secs: u64, limit_secs: u64 },
    #[error("Notion kept rate-limiting the sync ({waited_secs} s of waiting in all); what was fetched is kept — sync again later to continue")]
    RateLimitedTooLong { waited_secs: u64 },
    #[error("Notion's answer is larger than {limit_mib} MiB and was not read; what was fetched before it is kept")]
    TooLarge { limit_mib: u64 },
    #[error("the server answered with a redirect ({status}); Redline does not follow redirects with the token — set the API address it redirects to in Settings → Notion")]
    Redirected { status: u16 },
    #[error("the token is sent only over https:// (or http:// to this machine), not to {base_url}: change the API address in Settings → Notion")]
    Insecure { base_url: String },
    #[error("Notion repeated the page cursor '{cursor}' after {queries} queries: the listing would never end, so the sync stopped; what was fetched is kept")]
    PaginationLoop { cursor: String, queries: u64 },
    #[error("the listing did not end after {queries} queries; the sync stopped and keeps what was fetched")]
    TooManyQueries { queries: u64 },
    #[error("reconcile would remove {remove} of the {cached} settlements cached from Notion (more than {percent}%), which looks like a listing that came back incomplete; nothing was removed. If the pages really are gone, reconcile again and confirm (CLI: --force)")]
    ReconcileTooLarge {
        remove: usize,
        cached: usize,
        percent: u32,
    },
    #[error("'{0}' is not a Notion database link or id (expected 32 hexadecimal digits)")]
    BadDatabaseRef(String),
    #[error("the server at {base_url} could not prove it is who it claims to be ({detail}); nothing was sent. Check the API address in Settings → Notion, or whether a proxy on this network intercepts secure connections")]
    Untrusted { base_url: String, detail: String },
    #[error("{0}")]
    Setup(String),
    #[error("Notion's answer was not what the API documents: {0}")]
    Unexpected(String),
    #[error("cancelled")]
    Cancelled,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl NotionError {
    fn from_status(status: u16, code: &str, message: &str) -> NotionError {
        match (status, code) {
            (401, _) => NotionError::Unauthorized,
            (404, _) => NotionError::NotFound {
                what: if message.is_empty() {
                    "the database".into()
                } else {
                    format!("the database ({message})")
                },
            },
            (403, _) => NotionError::Restricted {
                code: code.to_owned(),
                message: message.to_owned(),
            },
            _ => NotionError::Rejected {
                status,
                code: code.to_owned(),
                message: message.to_owned(),
            },
        }
    }
}

/// The database id in a Notion link or id, in the dashed UUID form the API uses.
///
/// ```
/// use redline_core::notion::parse_database_ref;
/// let id = parse_database_ref("https://www.notion.so/acme/Training-Data-0123456789abcdef0123456789abcdef?v=fedcba98765432100123456789abcdef").unwrap();
/// assert_eq!(id, "01234567-89ab-cdef-0123-456789abcdef");
/// ```
pub fn parse_database_ref(input: &str) -> Result<String, NotionError> {
    let trimmed = input.trim();
    // In a link, the id is the last 32 hex digits of the path (the query holds the view id).
    let path = trimmed.split(['?', '#']).next().unwrap_or("");
    let hex: String = path
        .chars()
        .filter(|c| c.is_ascii_hexdigit() || *c == '-')
        .collect();
    let candidates: Vec<String> = path
        .split(|c: char| !c.is_ascii_hexdigit() && c != '-')
        .map(|part| part.replace('-', ""))
        .filter(|part| part.len() >= 32)
        .collect();
    let raw = candidates
        .last()
        .map(|p| p[p.len() - 32..].to_string())
        .or_else(|| {
            let digits: String = hex.chars().filter(char::is_ascii_hexdigit).collect();
            (digits.len() == 32).then_some(digits)
        })
        .ok_or_else(|| NotionError::BadDatabaseRef(trimmed.to_owned()))?
        .to_ascii_lowercase();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &raw[0..8],
        &raw[8..12],
        &raw[12..16],
        &raw[16..20],
        &raw[20..32]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_refs() {
        let id = "01234567-89ab-cdef-0123-456789abcdef";
        assert_eq!(parse_database_ref(id).unwrap(), id);
        assert_eq!(
            parse_database_ref("0123456789ABCDEF0123456789abcdef").unwrap(),
            id
        );
        assert_eq!(
            parse_database_ref("https://notion.so/0123456789abcdef0123456789abcdef").unwrap(),
            id
        );
        assert!(parse_database_ref("https://notion.so/hello").is_err());
        assert!(parse_database_ref("").is_err());
    }
}
