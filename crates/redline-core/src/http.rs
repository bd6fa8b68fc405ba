//! The one HTTP stack of the crate (ureq, blocking, rustls): every client that leaves the
//! machine — Notion, the optional LLM, the Slack webhook — is built here, with its timeouts,
//! no redirects (a secret travels in each request: a redirect could carry it to another
//! host) and the size limits on what it reads back. SMTP is the only other protocol
//! (lettre, in `learning`).

use serde_json::Value;
use std::time::Duration;

/// The `User-Agent` every request sends.
const USER_AGENT: &str = concat!("redline/", env!("CARGO_PKG_VERSION"));

/// The most of an error answer read, to quote it (a few hundred characters are shown).
pub(crate) const MAX_ERROR_BODY_BYTES: u64 = 1 << 20;

/// An agent whose requests fail after `timeout` (connecting included, within at most
/// `connect`), never follow a redirect and say they are Redline.
pub(crate) fn agent(connect: Duration, timeout: Duration) -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(connect.min(timeout))
        .timeout(timeout)
        .redirects(0)
        .user_agent(USER_AGENT)
        .build()
}

pub(crate) enum BodyError {
    TooLarge,
    Unreadable(String),
}

/// Read a JSON answer of at most `limit` bytes; a longer one is not read further.
pub(crate) fn read_json(response: ureq::Response, limit: u64) -> Result<Value, BodyError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    response
        .into_reader()
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| BodyError::Unreadable(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(BodyError::TooLarge);
    }
    serde_json::from_slice(&bytes).map_err(|e| BodyError::Unreadable(e.to_string()))
}

/// The start of an answer's body as text (at most `limit` bytes, lossy UTF-8), to quote it.
pub(crate) fn read_text(response: ureq::Response, limit: u64) -> String {
    use std::io::Read;
    let mut bytes = Vec::new();
    let _ = response.into_reader().take(limit).read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}
