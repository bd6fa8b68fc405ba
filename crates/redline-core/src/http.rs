//! The one HTTP stack of the workspace (reqwest, blocking, rustls with the ring provider and
//! Mozilla's roots): every client that leaves the machine — Notion, the optional LLM, the Slack
//! webhook — is built here, with its timeouts, no redirects (a secret travels in each request:
//! a redirect could carry it to another host) and the size limits on what it reads back. SMTP
//! is the only other protocol (lettre, in `delivery`).
//!
//! The clients are blocking: call them from a plain thread (the CLI, a job thread or the
//! shell's `spawn_blocking`), never from inside an async task.

use serde_json::Value;
use std::io::Read;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub(crate) use reqwest::blocking::{Client, RequestBuilder, Response};

/// The `User-Agent` every request sends.
const USER_AGENT: &str = concat!("redline/", env!("CARGO_PKG_VERSION"));

/// The most of an error answer read, to quote it (a few hundred characters are shown).
pub(crate) const MAX_ERROR_BODY_BYTES: u64 = 1 << 20;

/// A client whose requests fail after `timeout` (connecting included, within at most
/// `connect`), never follow a redirect and say they are Redline. It speaks HTTP/1.1, over
/// TLS 1.2 or 1.3 checked against Mozilla's root certificates.
pub(crate) fn client(connect: Duration, timeout: Duration) -> Result<Client, String> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS could not be set up: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(connect.min(timeout))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .build()
        .map_err(|e| format!("the HTTP client could not be set up: {}", describe(&e)))
}

/// A client built on its first use, so an adapter may be made anywhere (even on an async
/// task, where a blocking client must not be built) and used on a blocking thread.
#[derive(Debug)]
pub(crate) struct Lazy {
    connect: Duration,
    timeout: Duration,
    client: OnceLock<Result<Client, String>>,
}

impl Lazy {
    pub(crate) fn new(connect: Duration, timeout: Duration) -> Lazy {
        Lazy {
            connect,
            timeout,
            client: OnceLock::new(),
        }
    }

    /// The client, or why it could not be set up.
    pub(crate) fn get(&self) -> Result<&Client, String> {
        self.client
            .get_or_init(|| client(self.connect, self.timeout))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// Why a request got no answer.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The host could not be resolved or would not take the connection.
    Unreachable(String),
    /// No (whole) answer within the time-out.
    TimedOut(String),
    /// The server could not prove who it is (a certificate no trusted authority signed, for
    /// another name, expired): nothing was sent.
    Untrusted(String),
    /// Anything else on the way (a reset connection, a malformed answer).
    Other(String),
}

impl Failure {
    pub(crate) fn detail(&self) -> &str {
        match self {
            Failure::Unreachable(d)
            | Failure::TimedOut(d)
            | Failure::Untrusted(d)
            | Failure::Other(d) => d,
        }
    }
}

/// Send a request: any answer (whatever its status) or why there was none.
pub(crate) fn send(request: RequestBuilder) -> Result<Response, Failure> {
    request.send().map_err(|e| {
        let detail = describe(&e);
        if e.is_timeout() {
            Failure::TimedOut(detail)
        } else if is_tls(&detail) {
            Failure::Untrusted(detail)
        } else if e.is_connect() {
            Failure::Unreachable(detail)
        } else {
            Failure::Other(detail)
        }
    })
}

/// Whether the TLS handshake failed, by rustls' own words (`rustls::Error`'s Display) in the
/// description of every cause: the error itself reaches here boxed inside the connector's, so
/// it cannot be recognised by its type.
fn is_tls(detail: &str) -> bool {
    [
        "invalid peer certificate",
        "received fatal alert",
        "peer is incompatible",
        "peer misbehaved",
        "peer sent no certificates",
    ]
    .iter()
    .any(|m| detail.contains(m))
}

/// An error with its causes, without the URL (a webhook's URL is its secret).
fn describe(e: &reqwest::Error) -> String {
    let mut text = String::new();
    let mut cause: Option<&dyn std::error::Error> = Some(e);
    while let Some(c) = cause {
        let part = match c.downcast_ref::<reqwest::Error>() {
            Some(r) if r.url().is_some() => {
                // reqwest's own Display names the URL; its kind alone is enough here.
                if r.is_timeout() {
                    "timed out".to_owned()
                } else if r.is_connect() {
                    "could not connect".to_owned()
                } else {
                    "the request failed".to_owned()
                }
            }
            _ => c.to_string(),
        };
        if !part.is_empty() && !text.ends_with(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
        cause = c.source();
    }
    text
}

pub(crate) enum BodyError {
    TooLarge,
    Unreadable(String),
}

/// Read a JSON answer of at most `limit` bytes; a longer one is not read further.
pub(crate) fn read_json(response: Response, limit: u64) -> Result<Value, BodyError> {
    let mut bytes = Vec::new();
    response
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| BodyError::Unreadable(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(BodyError::TooLarge);
    }
    serde_json::from_slice(&bytes).map_err(|e| BodyError::Unreadable(e.to_string()))
}

/// The start of an answer's body as text (at most `limit` bytes, lossy UTF-8), to quote it.
pub(crate) fn read_text(response: Response, limit: u64) -> String {
    let mut bytes = Vec::new();
    let _ = response.take(limit).read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The value of a header, when it is text.
pub(crate) fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    #[test]
    fn a_refused_connection_is_unreachable_and_the_error_never_names_the_url() {
        // A port nothing listens on: bind one, note it, close it.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let http = Lazy::new(Duration::from_secs(2), Duration::from_secs(5));
        let client = http.get().expect("the TLS set-up and the client build");
        for scheme in ["http", "https"] {
            let url = format!("{scheme}://127.0.0.1:{port}/services/T0/B0/secret-part");
            match send(client.get(&url)) {
                Err(Failure::Unreachable(detail)) => {
                    assert!(!detail.contains("secret-part"), "{detail}");
                    assert!(!detail.is_empty());
                }
                other => panic!("{scheme}: expected unreachable, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_server_that_never_answers_times_out_within_the_limit() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/slow", listener.local_addr().unwrap());
        let http = Lazy::new(Duration::from_secs(1), Duration::from_millis(400));
        let started = std::time::Instant::now();
        let outcome = send(http.get().unwrap().get(&url));
        assert!(matches!(outcome, Err(Failure::TimedOut(_))), "{outcome:?}");
        assert!(started.elapsed() < Duration::from_secs(3));
        drop(listener);
    }

    /// A server whose certificate no trusted authority signed (a self-signed one, as a
    /// machine in the middle would present) is refused before any request, with the token in
    /// it, is sent: the client really checks certificates.
    #[test]
    fn a_certificate_no_trusted_authority_signed_is_refused() {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tls");
        let cert = std::fs::read(format!("{dir}/self-signed-cert.pem")).unwrap();
        let key = std::fs::read(format!("{dir}/self-signed-key.pem")).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(&cert).unwrap()],
            PrivateKeyDer::from_pem_slice(&key).unwrap(),
        )
        .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut tcp, _) = listener.accept().unwrap();
            let mut tls = rustls::ServerConnection::new(Arc::new(config)).unwrap();
            // The handshake fails on the client's side; whatever arrives here is not a
            // request.
            let mut received = Vec::new();
            let mut stream = rustls::Stream::new(&mut tls, &mut tcp);
            let _ = stream.read_to_end(&mut received);
            received
        });
        let http = Lazy::new(Duration::from_secs(2), Duration::from_secs(5));
        let url = format!("https://localhost:{port}/v1/search");
        let outcome = send(
            http.get()
                .unwrap()
                .post(&url)
                .bearer_auth("secret_token_never_sent"),
        );
        match outcome {
            Err(Failure::Untrusted(detail)) => {
                let detail = detail.to_lowercase();
                assert!(detail.contains("unknownissuer"), "{detail}");
                assert!(!detail.contains("secret_token"), "{detail}");
            }
            Err(other) => panic!("expected an untrusted server, got {other:?}"),
            Ok(r) => panic!("a self-signed server was trusted: {}", r.status()),
        }
        let received = server.join().unwrap();
        assert!(
            received.is_empty(),
            "the server got {} bytes",
            received.len()
        );
    }
}
