//! Secrets in memory: the Notion token, the LLM key, the Slack webhook, the SMTP password and an
//! export's passphrase travel as [`SecretString`]s (`secrecy`): a `{:?}` in a log or an error
//! shows `[REDACTED]`, the memory is zeroed when dropped, and reading one takes an explicit
//! `expose_secret()`. And where a secret may go: only over TLS or to this machine.

pub use secrecy::{ExposeSecret, SecretString};

/// The last four characters of a secret, the most a UI shows of a saved token.
pub fn last4(secret: &SecretString) -> String {
    let chars: Vec<char> = secret.expose_secret().chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// Whether a secret may be sent to `url`: over `https://`, or plain `http://` to this machine
/// (loopback: local test servers, a local model). Anything else would put the secret on the
/// network in clear text.
pub fn secure_transport(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url.trim()) else {
        return false;
    };
    match u.scheme() {
        "https" => true,
        "http" => match u.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// Where a URL points, without the parts that may be secret (user info, path, query,
/// fragment): `https://hooks.slack.com`. For error messages and the audit log.
pub fn url_origin(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(u) if u.has_host() => u.origin().ascii_serialization(),
        _ => "<a URL that could not be read>".to_string(),
    }
}

/// `text` with every occurrence of `secret`, and of the secret parts of it as a URL (its path
/// and query, which is where a webhook's secret lives), replaced by `<redacted>`. For errors
/// from libraries that quote the URL they were given.
pub fn scrub(text: &str, secret: &str) -> String {
    let secret = secret.trim();
    if secret.is_empty() {
        return text.to_string();
    }
    let mut out = text.replace(secret, "<redacted>");
    if let Ok(u) = url::Url::parse(secret) {
        let path = u.path();
        if path.len() > 1 {
            out = out.replace(path, "/<redacted>");
        }
        if let Some(q) = u.query() {
            out = out.replace(q, "<redacted>");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_travel_only_over_tls_or_to_this_machine() {
        assert!(secure_transport("https://api.notion.com"));
        assert!(secure_transport("http://127.0.0.1:8080"));
        assert!(secure_transport("http://localhost:11434/v1"));
        assert!(secure_transport("http://[::1]:9"));
        assert!(!secure_transport("http://api.notion.com"));
        assert!(!secure_transport("http://10.0.0.5"));
        assert!(!secure_transport("http://localhost.evil.example"));
        assert!(!secure_transport("ftp://x"));
        assert!(!secure_transport("not a url"));
    }

    #[test]
    fn urls_lose_their_secret_parts() {
        let hook = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX";
        assert_eq!(url_origin(hook), "https://hooks.slack.com");
        assert_eq!(
            url_origin("https://u:p@proxy:8443/x?k=1"),
            "https://proxy:8443"
        );
        let err = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX: Connection refused"
            .to_string();
        let clean = scrub(&err, hook);
        assert!(!clean.contains("XXXXsecretXXXX"), "{clean}");
        assert!(clean.contains("Connection refused"));
        // A library that quotes only the path is scrubbed too.
        let clean = scrub("POST /services/T000/B000/XXXXsecretXXXX failed", hook);
        assert!(!clean.contains("secret"), "{clean}");
    }

    #[test]
    fn never_printed() {
        let s = SecretString::from("secret_abcd1234".to_string());
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("abcd") && shown.contains("REDACTED"),
            "{shown}"
        );
        assert_eq!(last4(&s), "1234");
        assert_eq!(last4(&SecretString::from("ab".to_string())), "ab");
    }
}
