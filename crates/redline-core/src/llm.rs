//! An optional LLM for generating prompt variants and evaluating them offline: the Anthropic
//! Messages API, or any OpenAI-compatible chat-completions endpoint (which covers a local
//! Ollama or llama.cpp server). Provider, base URL and model are settings in the store; the API
//! key is passed in by the caller (the app keeps it in the OS keychain, the CLI reads
//! `REDLINE_LLM_API_KEY`) and never stored or logged.
//!
//! Settlement text (intents, mined phrases) is sent only with the user's explicit consent for
//! that provider and base URL ([`consent`]); without it a call fails before any request. Every
//! call is recorded in the audit log with its token usage, never its text.

use crate::audit;
use crate::http::Failure;
use crate::job::Cancel;
use crate::secret::{ExposeSecret, SecretString};
use crate::store::{Store, StoreError};
use serde::Serialize;
use serde_json::{json, Value};
use std::time::Duration;

/// The environment variable the CLI reads the API key from.
pub const KEY_ENV: &str = "REDLINE_LLM_API_KEY";
use crate::settings::Settings;
pub use crate::settings::{LlmConfig as Config, Provider};

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::Anthropic => "Anthropic",
            Provider::Openai => "OpenAI-compatible",
        }
    }

    pub fn parse(text: &str) -> Option<Provider> {
        match text.trim().to_ascii_lowercase().as_str() {
            "anthropic" => Some(Provider::Anthropic),
            "openai" | "openai-compatible" | "ollama" | "llama.cpp" => Some(Provider::Openai),
            _ => None,
        }
    }
}

impl Config {
    /// The recipient an API key belongs to: the provider and the base URL. A key saved for one
    /// recipient is never sent to another (the app keeps one keychain entry per recipient).
    pub fn key_binding(&self) -> String {
        format!(
            "{:?} {}",
            self.provider,
            self.base_url.trim().trim_end_matches('/')
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no LLM is configured: choose a provider, base URL and model in Settings (or `redline llm set`)")]
    NotConfigured,
    #[error("{0}")]
    Invalid(String),
    #[error("sending settlement text to {provider} at {base_url} needs your consent first (Settings → LLM, or `redline llm consent --yes`)")]
    NoConsent {
        provider: &'static str,
        base_url: String,
    },
    #[error("{provider} needs an API key (Settings → LLM, or set REDLINE_LLM_API_KEY)")]
    NoKey { provider: &'static str },
    #[error("{provider} refused the API key ({status}): check it in Settings → LLM")]
    Unauthorized { provider: &'static str, status: u16 },
    #[error("{provider} answered {status}: {message}")]
    Rejected {
        provider: &'static str,
        status: u16,
        message: String,
    },
    #[error("{provider} did not answer within {secs} s ({detail}); is the server at {base_url} running?")]
    Timeout {
        provider: &'static str,
        secs: u64,
        base_url: String,
        detail: String,
    },
    #[error("cannot reach {provider} at {base_url}: {detail}")]
    Unreachable {
        provider: &'static str,
        base_url: String,
        detail: String,
    },
    #[error("{provider}'s reply was not what was asked for, twice: {detail}")]
    Malformed {
        provider: &'static str,
        detail: String,
    },
    #[error("the API key is sent only over https:// (or http:// to this machine), not to {base_url}: change the base URL in Settings → LLM")]
    Insecure { base_url: String },
    #[error("{provider} answered with a redirect ({status}); Redline does not follow redirects with the API key — set the address it redirects to as the base URL")]
    Redirected { provider: &'static str, status: u16 },
    #[error("cancelled")]
    Cancelled,
}

/// The saved configuration, if any.
pub fn config(store: &Store) -> Result<Option<Config>, StoreError> {
    Ok(Settings::load(store)?.llm)
}

/// Check and save the configuration.
pub fn set_config(store: &Store, config: &Config) -> Result<(), LlmError> {
    let base = config.base_url.trim();
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(LlmError::Invalid(format!(
            "the base URL must start with http:// or https://, not '{base}'"
        )));
    }
    if config.model.trim().is_empty() {
        return Err(LlmError::Invalid("a model name is needed".into()));
    }
    if !(1..=600).contains(&config.timeout_secs) {
        return Err(LlmError::Invalid(
            "the timeout must be between 1 and 600 seconds".into(),
        ));
    }
    let clean = Config {
        base_url: base.trim_end_matches('/').to_owned(),
        model: config.model.trim().to_owned(),
        ..config.clone()
    };
    Settings::update(store, |s| {
        s.llm = Some(clean);
        Ok::<_, StoreError>(())
    })?;
    Ok(())
}

/// Whether the user agreed to send settlement text to this provider and base URL.
pub fn consent(store: &Store, config: &Config) -> Result<bool, StoreError> {
    Ok(Settings::load(store)?
        .llm_consents
        .contains(&config.recipient()))
}

/// Give or withdraw consent for this provider and base URL (recorded in the audit log).
pub fn set_consent(store: &Store, config: &Config, given: bool) -> Result<(), StoreError> {
    Settings::update(store, |s| {
        if given {
            s.llm_consents.insert(config.recipient());
        } else {
            s.llm_consents.remove(&config.recipient());
        }
        Ok::<_, StoreError>(())
    })?;
    audit::record(
        store,
        if given {
            "llm_consent_given"
        } else {
            "llm_consent_withdrawn"
        },
        format!(
            "{} settlement text to {} at {}",
            if given {
                "Allowed sending"
            } else {
                "Stopped sending"
            },
            config.provider.name(),
            config.base_url
        ),
        json!({"provider": config.provider, "base_url": config.base_url}),
    )
}

/// One reply with its token usage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Completion {
    pub text: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// A configured client. Build it with [`Client::new`] after checking consent.
pub struct Client {
    config: Config,
    key: Option<SecretString>,
    http: crate::http::Lazy,
}

/// A chat turn.
#[derive(Clone, Debug)]
pub struct Turn {
    pub assistant: bool,
    pub text: String,
}

impl Client {
    /// A client for `config`; fails without consent to send settlement text there, or without
    /// a key for Anthropic (a local OpenAI-compatible server may need none).
    pub fn new(
        store: &Store,
        config: Config,
        key: Option<SecretString>,
    ) -> Result<Client, LlmError> {
        if !consent(store, &config)? {
            return Err(LlmError::NoConsent {
                provider: config.provider.name(),
                base_url: config.base_url.clone(),
            });
        }
        let key = key.filter(|k| !k.expose_secret().trim().is_empty());
        if config.provider == Provider::Anthropic && key.is_none() {
            return Err(LlmError::NoKey {
                provider: config.provider.name(),
            });
        }
        if key.is_some() && !crate::secret::secure_transport(&config.base_url) {
            return Err(LlmError::Insecure {
                base_url: crate::secret::url_origin(&config.base_url),
            });
        }
        let http = crate::http::Lazy::new(
            Duration::from_secs(10),
            Duration::from_secs(config.timeout_secs),
        );
        Ok(Client { config, key, http })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// One chat completion: a system prompt and the conversation so far.
    pub fn complete(
        &self,
        system: &str,
        turns: &[Turn],
        cancel: &Cancel,
    ) -> Result<Completion, LlmError> {
        if cancel.is_cancelled() {
            return Err(LlmError::Cancelled);
        }
        let c = &self.config;
        let provider = c.provider.name();
        let messages: Vec<Value> = turns
            .iter()
            .map(|t| json!({"role": if t.assistant { "assistant" } else { "user" }, "content": t.text}))
            .collect();
        let (url, body) = match c.provider {
            Provider::Anthropic => (
                format!("{}/v1/messages", c.base_url),
                json!({"model": c.model, "max_tokens": c.max_tokens, "system": system, "messages": messages}),
            ),
            Provider::Openai => {
                let mut all = vec![json!({"role": "system", "content": system})];
                all.extend(messages);
                (
                    format!("{}/chat/completions", c.base_url),
                    json!({"model": c.model, "max_tokens": c.max_tokens, "messages": all}),
                )
            }
        };
        let mut request = self
            .http
            .get()
            .map_err(LlmError::Invalid)?
            .post(&url)
            .json(&body);
        match (c.provider, &self.key) {
            (Provider::Anthropic, Some(k)) => {
                request = request
                    .header("x-api-key", k.expose_secret())
                    .header("anthropic-version", "2023-06-01");
            }
            (Provider::Openai, Some(k)) => {
                request = request.bearer_auth(k.expose_secret());
            }
            _ => {}
        }
        let timed_out = |detail: String| LlmError::Timeout {
            provider,
            secs: c.timeout_secs,
            base_url: c.base_url.clone(),
            detail,
        };
        let answer = match crate::http::send(request) {
            Ok(r) => r,
            Err(Failure::TimedOut(detail)) => return Err(timed_out(detail)),
            Err(f) => {
                return Err(LlmError::Unreachable {
                    provider,
                    base_url: c.base_url.clone(),
                    detail: f.detail().to_owned(),
                })
            }
        };
        let status = answer.status().as_u16();
        if (300..400).contains(&status) {
            return Err(LlmError::Redirected { provider, status });
        }
        if !answer.status().is_success() {
            let text = crate::http::read_text(answer, crate::http::MAX_ERROR_BODY_BYTES);
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
                .unwrap_or_else(|| text.chars().take(300).collect());
            return Err(if status == 401 || status == 403 {
                LlmError::Unauthorized { provider, status }
            } else {
                LlmError::Rejected {
                    provider,
                    status,
                    message,
                }
            });
        }
        let v: Value = read_json(answer, MAX_REPLY_BYTES).map_err(|e| match e {
            ReplyError::TimedOut(detail) => timed_out(detail),
            ReplyError::Other(detail) => LlmError::Rejected {
                provider,
                status: 200,
                message: format!("the reply is not JSON: {detail}"),
            },
        })?;
        let (text, input, output) = match c.provider {
            Provider::Anthropic => (
                v["content"].as_array().map(|blocks| {
                    blocks
                        .iter()
                        .filter(|b| b["type"] == "text")
                        .filter_map(|b| b["text"].as_str())
                        .collect::<String>()
                }),
                v["usage"]["input_tokens"].as_u64(),
                v["usage"]["output_tokens"].as_u64(),
            ),
            Provider::Openai => (
                v["choices"][0]["message"]["content"]
                    .as_str()
                    .map(str::to_owned),
                v["usage"]["prompt_tokens"].as_u64(),
                v["usage"]["completion_tokens"].as_u64(),
            ),
        };
        let text = text.ok_or_else(|| LlmError::Rejected {
            provider,
            status: 200,
            message: "the reply has no text content".into(),
        })?;
        Ok(Completion {
            text,
            input_tokens: input.unwrap_or(0),
            output_tokens: output.unwrap_or(0),
        })
    }
}

/// The largest reply read (a chat completion is a few kilobytes).
const MAX_REPLY_BYTES: u64 = 16 << 20;

enum ReplyError {
    TimedOut(String),
    Other(String),
}

/// A JSON reply of at most `limit` bytes; a read that ran out of time is told apart.
fn read_json(answer: crate::http::Response, limit: u64) -> Result<Value, ReplyError> {
    use crate::http::{read_json, BodyError};
    read_json(answer, limit).map_err(|e| match e {
        BodyError::TooLarge => {
            ReplyError::Other(format!("the reply is larger than {} MiB", limit >> 20))
        }
        BodyError::Unreadable(e) => {
            let lower = e.to_lowercase();
            if lower.contains("timed out") || lower.contains("timeout") {
                ReplyError::TimedOut(e)
            } else {
                ReplyError::Other(e)
            }
        }
    })
}

/// Record an LLM call's usage (never its text) in the audit log.
pub fn record_usage(
    store: &Store,
    config: &Config,
    purpose: &str,
    calls: u64,
    input_tokens: u64,
    output_tokens: u64,
) -> Result<(), StoreError> {
    audit::record(
        store,
        "llm",
        format!(
            "{purpose}: {calls} call{} to {} ({}), {input_tokens} input and {output_tokens} output tokens",
            if calls == 1 { "" } else { "s" },
            config.provider.name(),
            config.model
        ),
        json!({"purpose": purpose, "provider": config.provider, "model": config.model,
            "base_url": config.base_url, "calls": calls,
            "input_tokens": input_tokens, "output_tokens": output_tokens}),
    )
}

/// The JSON value in a reply: the whole text, or the first fenced or braced block in it.
pub fn extract_json(text: &str) -> Option<Value> {
    let t = text.trim();
    if let Ok(v) = serde_json::from_str(t) {
        return Some(v);
    }
    if let Some(start) = t.find("```") {
        let rest = &t[start + 3..];
        let rest = rest.strip_prefix("json").unwrap_or(rest);
        if let Some(end) = rest.find("```") {
            if let Ok(v) = serde_json::from_str(rest[..end].trim()) {
                return Some(v);
            }
        }
    }
    let (start, end) = (t.find('{')?, t.rfind('}')?);
    serde_json::from_str(t.get(start..=end)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_found_in_plain_fenced_and_chatty_replies() {
        assert_eq!(extract_json(r#"{"a": 1}"#), Some(json!({"a": 1})));
        assert_eq!(
            extract_json("Here you go:\n```json\n{\"a\": [1, 2]}\n```\nEnjoy."),
            Some(json!({"a": [1, 2]}))
        );
        assert_eq!(
            extract_json("Sure! {\"a\": {\"b\": 2}} Hope it helps"),
            Some(json!({"a": {"b": 2}}))
        );
        assert_eq!(extract_json("no json here"), None);
        assert_eq!(extract_json("{broken"), None);
    }

    #[test]
    fn settings_are_checked_and_consent_is_per_provider_and_url() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        let mut c = Config {
            provider: Provider::Openai,
            base_url: "localhost:11434".into(),
            model: "llama3".into(),
            timeout_secs: 30,
            max_tokens: 1000,
        };
        assert!(matches!(set_config(&store, &c), Err(LlmError::Invalid(_))));
        c.base_url = "http://localhost:11434/v1/".into();
        set_config(&store, &c).unwrap();
        let saved = config(&store).unwrap().unwrap();
        assert_eq!(saved.base_url, "http://localhost:11434/v1");
        assert!(!consent(&store, &saved).unwrap());
        assert!(matches!(
            Client::new(&store, saved.clone(), None),
            Err(LlmError::NoConsent { .. })
        ));
        set_consent(&store, &saved, true).unwrap();
        assert!(Client::new(&store, saved.clone(), None).is_ok());
        // Another URL is another recipient.
        let cloud = Config {
            base_url: "https://api.openai.com/v1".into(),
            ..saved.clone()
        };
        assert!(!consent(&store, &cloud).unwrap());
        // Anthropic needs a key.
        let anthropic = Config {
            provider: Provider::Anthropic,
            base_url: "https://api.anthropic.com".into(),
            ..saved
        };
        set_consent(&store, &anthropic, true).unwrap();
        assert!(matches!(
            Client::new(&store, anthropic, None),
            Err(LlmError::NoKey { .. })
        ));
        let log = audit::entries(&store, 10).unwrap();
        assert_eq!(log[0].action, "llm_consent_given");
    }
}
