//! Everything the admin configures, as one typed value with one owner: [`Settings`], read
//! whole with [`Settings::load`] and changed with [`Settings::update`] (read, change, write
//! back in one transaction). This module is the only reader and writer of the store's
//! `settings` table; the modules that check a value before it is saved (the threshold's range,
//! an LLM base URL, the e-mail server) call `update` once the value is good.
//!
//! Each field keeps the row it has had since it was introduced (`threshold`, `report`, …), so
//! a store written by an earlier Redline keeps its settings. The same table also holds a few
//! rows that are not settings; they are named here too ([`Row`]), so that one place knows every
//! row: the active prompt version of each agent, and figures derived from the records that are
//! kept to save work (the Dashboard's summaries, Home's suggestions, each agent's mined report).
//!
//! Secrets are never settings: tokens, keys, the Slack webhook and the SMTP password live in
//! the OS keychain or the environment.

use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// The acceptance threshold until one is set: a settlement counts as accepted when at least
/// this share of its AI output survived.
pub const DEFAULT_ACCEPT_THRESHOLD: f64 = 0.7;
/// The editing speed assumed until one is set (seconds per changed word).
pub const DEFAULT_SECONDS_PER_WORD: f64 = 3.0;

/// Every setting, with its default when none is saved.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// The acceptance threshold (0..=1).
    pub threshold: f64,
    /// Where and when weekly reports go.
    pub report: ReportSettings,
    /// Where reports are e-mailed (the password is not part of it).
    pub email: Option<EmailSettings>,
    /// The editing-time and return-on-investment figures.
    pub roi: RoiSettings,
    /// The optional LLM (provider, base URL, model).
    pub llm: Option<LlmConfig>,
    /// The recipients ([`LlmConfig::recipient`]) the admin agreed to send settlement text to.
    pub llm_consents: BTreeSet<String>,
    /// Each agent's system prompt for training exports.
    pub system_prompts: BTreeMap<String, String>,
    /// The connected DB_AB_Tests database.
    pub ab_tests: Option<AbTestsTarget>,
    /// The app's last destination per export format (the format's name → a path the admin
    /// chose in a dialog).
    pub export_destinations: BTreeMap<String, PathBuf>,
    /// When Home was last visited.
    pub last_visit: Option<DateTime<Utc>>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            threshold: DEFAULT_ACCEPT_THRESHOLD,
            report: ReportSettings::default(),
            email: None,
            roi: RoiSettings::default(),
            llm: None,
            llm_consents: BTreeSet::new(),
            system_prompts: BTreeMap::new(),
            ab_tests: None,
            export_destinations: BTreeMap::new(),
            last_visit: None,
        }
    }
}

/// Where and when weekly reports go.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportSettings {
    /// The folder reports are saved in.
    pub folder: Option<PathBuf>,
    /// Make one every week while the app runs (catching up after the laptop was off).
    #[serde(default)]
    pub weekly: bool,
    /// Also post the summary to the Slack webhook kept in the keychain.
    #[serde(default)]
    pub slack: bool,
    /// Also e-mail the report with the saved SMTP settings.
    #[serde(default)]
    pub email: bool,
    /// When the last report was made.
    #[serde(default)]
    pub last: Option<DateTime<Utc>>,
}

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// Implicit TLS (SMTPS), usually port 465.
    Tls,
    /// STARTTLS upgrade, usually port 587; the upgrade must succeed before anything is sent.
    #[default]
    Starttls,
    /// No encryption: only for a relay on this machine or in tests.
    None,
}

/// Where weekly reports are e-mailed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EmailSettings {
    pub host: String,
    pub port: u16,
    #[serde(default)]
    pub security: Security,
    /// The login, when the server needs one.
    #[serde(default)]
    pub username: Option<String>,
    pub from: String,
    pub to: Vec<String>,
}

/// What the admin enters for the editing-time figures (all optional but the editing speed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoiSettings {
    pub seconds_per_word: f64,
    /// The value of an hour of editing, in the admin's currency (0 = not set).
    #[serde(default)]
    pub hourly_rate: f64,
    /// One-off fine-tuning spend.
    #[serde(default)]
    pub fine_tuning_cost: f64,
    /// Extra monthly API spend the improvement costs (e.g. a fine-tuned model's higher price).
    #[serde(default)]
    pub monthly_api_cost: f64,
    /// Prices of Redline's own LLM calls, per million tokens.
    #[serde(default)]
    pub price_input_per_mtok: f64,
    #[serde(default)]
    pub price_output_per_mtok: f64,
}

impl Default for RoiSettings {
    fn default() -> Self {
        RoiSettings {
            seconds_per_word: DEFAULT_SECONDS_PER_WORD,
            hourly_rate: 0.0,
            fine_tuning_cost: 0.0,
            monthly_api_cost: 0.0,
            price_input_per_mtok: 0.0,
            price_output_per_mtok: 0.0,
        }
    }
}

/// The kind of LLM API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// `POST {base}/v1/messages`, `x-api-key` and `anthropic-version: 2023-06-01` headers.
    Anthropic,
    /// `POST {base}/chat/completions` with an optional bearer key; `base` usually ends in
    /// `/v1` (`http://localhost:11434/v1` for Ollama).
    Openai,
}

/// The LLM the admin configured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LlmConfig {
    pub provider: Provider,
    pub base_url: String,
    pub model: String,
    /// Seconds before a call gives up.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    #[serde(default = "default_max_tokens")]
    pub max_tokens: u32,
}

fn default_timeout() -> u64 {
    60
}
fn default_max_tokens() -> u32 {
    4096
}

impl LlmConfig {
    /// Who receives settlement text: the provider and the base URL (a local server and a cloud
    /// API of the same kind are different recipients). Consent is recorded per recipient.
    pub fn recipient(&self) -> String {
        format!(
            "{:?}:{}",
            self.provider,
            self.base_url.trim_end_matches('/')
        )
    }
}

/// Where experiment rows go: a database, and with API 2025-09-03 and later its data source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AbTestsTarget {
    pub database_id: String,
    pub data_source_id: Option<String>,
}

// The rows, one per field (names kept from the versions that introduced them).
const THRESHOLD: &str = "threshold";
const REPORT: &str = "report";
const EMAIL: &str = "email";
const ROI: &str = "roi";
const LLM: &str = "llm";
const CONSENT_PREFIX: &str = "llm_consent/";
const SYSTEM_PROMPTS: &str = "system_prompts";
const AB_TESTS: &str = "ab_tests_target";
const DESTINATION_PREFIX: &str = "export.destination.";
const LAST_VISIT: &str = "last_visit";

/// Whether a row holds a setting (the other rows are [`Row`]s).
fn is_setting(name: &str) -> bool {
    matches!(
        name,
        THRESHOLD | REPORT | EMAIL | ROI | LLM | SYSTEM_PROMPTS | AB_TESTS | LAST_VISIT
    ) || name.starts_with(CONSENT_PREFIX)
        || name.starts_with(DESTINATION_PREFIX)
}

/// A row's value, or `None` when it is missing or unreadable (a value an older or newer
/// Redline wrote in another shape falls back to the default rather than failing every view).
fn value<T: DeserializeOwned>(rows: &BTreeMap<String, Vec<u8>>, name: &str) -> Option<T> {
    rows.get(name)
        .and_then(|b| serde_json::from_slice::<Option<T>>(b).ok())
        .flatten()
}

fn json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("settings serialise")
}

impl Settings {
    /// The saved settings, with defaults for what was never set.
    pub fn load(store: &Store) -> Result<Settings, StoreError> {
        Ok(Settings::from_rows(&store.setting_rows(is_setting)?))
    }

    /// Change the settings with `change` and save what it changed, in one transaction; when
    /// `change` fails nothing is saved. Returns what `change` returned.
    pub fn update<T, E: From<StoreError>>(
        store: &Store,
        change: impl FnOnce(&mut Settings) -> Result<T, E>,
    ) -> Result<T, E> {
        store.update_setting_rows(is_setting, |rows| {
            let mut settings = Settings::from_rows(rows);
            let before = settings.clone();
            let out = change(&mut settings)?;
            if settings != before {
                settings.write_rows(&before, rows);
            }
            Ok(out)
        })
    }

    fn from_rows(rows: &BTreeMap<String, Vec<u8>>) -> Settings {
        let defaults = Settings::default();
        Settings {
            threshold: value::<f64>(rows, THRESHOLD)
                .filter(|t| (0.0..=1.0).contains(t))
                .unwrap_or(defaults.threshold),
            report: value(rows, REPORT).unwrap_or_default(),
            email: value(rows, EMAIL),
            roi: value(rows, ROI).unwrap_or_default(),
            llm: value(rows, LLM),
            llm_consents: rows
                .iter()
                .filter_map(|(k, v)| {
                    let recipient = k.strip_prefix(CONSENT_PREFIX)?;
                    (v.as_slice() == b"true").then(|| recipient.to_owned())
                })
                .collect(),
            system_prompts: value(rows, SYSTEM_PROMPTS).unwrap_or_default(),
            ab_tests: value(rows, AB_TESTS),
            // Saved as the path's text, not as JSON.
            export_destinations: rows
                .iter()
                .filter_map(|(k, v)| {
                    let format = k.strip_prefix(DESTINATION_PREFIX)?;
                    let path = std::str::from_utf8(v).ok()?;
                    Some((format.to_owned(), PathBuf::from(path)))
                })
                .collect(),
            last_visit: value(rows, LAST_VISIT),
        }
    }

    /// Put the fields that differ from `before` into `rows`.
    fn write_rows(&self, before: &Settings, rows: &mut BTreeMap<String, Vec<u8>>) {
        let fields = [
            (THRESHOLD, json(&self.threshold), json(&before.threshold)),
            (REPORT, json(&self.report), json(&before.report)),
            (EMAIL, json(&self.email), json(&before.email)),
            (ROI, json(&self.roi), json(&before.roi)),
            (LLM, json(&self.llm), json(&before.llm)),
            (
                SYSTEM_PROMPTS,
                json(&self.system_prompts),
                json(&before.system_prompts),
            ),
            (AB_TESTS, json(&self.ab_tests), json(&before.ab_tests)),
            (LAST_VISIT, json(&self.last_visit), json(&before.last_visit)),
        ];
        let mut put = |name: &str, bytes: Vec<u8>| {
            rows.insert(name.to_owned(), bytes);
        };
        for (name, now, was) in fields {
            if now != was {
                put(name, now);
            }
        }
        // A consent withdrawn is kept as `false`: the row says it was once given.
        for recipient in before.llm_consents.union(&self.llm_consents) {
            let given = self.llm_consents.contains(recipient);
            if given != before.llm_consents.contains(recipient) {
                let bytes: &[u8] = if given { b"true" } else { b"false" };
                put(&format!("{CONSENT_PREFIX}{recipient}"), bytes.to_vec());
            }
        }
        for (format, path) in &self.export_destinations {
            if before.export_destinations.get(format) != Some(path) {
                put(
                    &format!("{DESTINATION_PREFIX}{format}"),
                    path.to_string_lossy().as_bytes().to_vec(),
                );
            }
        }
        for format in before.export_destinations.keys() {
            if !self.export_destinations.contains_key(format) {
                rows.remove(&format!("{DESTINATION_PREFIX}{format}"));
            }
        }
    }
}

/// The rows of the settings table that are not settings.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Row<'a> {
    /// An agent's active prompt version (a JSON number), written with the prompt and
    /// experiment records it goes with.
    ActivePrompt(&'a str),
    /// The Dashboard's stored summaries.
    DashboardSummaries,
    /// Home's stored suggestions.
    HomeSuggestions,
    /// An agent's all-time mined report.
    Improvements(&'a str),
}

impl Row<'_> {
    pub(crate) fn name(&self) -> String {
        match self {
            Row::ActivePrompt(agent) => format!("active_prompt/{agent}"),
            Row::DashboardSummaries => "dashboard.summaries".into(),
            Row::HomeSuggestions => "home.suggestions".into(),
            Row::Improvements(agent) => format!("improvements/{agent}"),
        }
    }

    pub(crate) fn get(&self, store: &Store) -> Result<Option<Vec<u8>>, StoreError> {
        store.setting(&self.name())
    }

    pub(crate) fn put(&self, store: &Store, value: &[u8]) -> Result<(), StoreError> {
        store.set_setting(&self.name(), value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("redline.redb")).unwrap();
        (dir, store)
    }

    #[test]
    fn an_empty_store_has_the_defaults_and_every_field_round_trips() {
        let (_dir, store) = store();
        assert_eq!(Settings::load(&store).unwrap(), Settings::default());
        let mut all = Settings {
            threshold: 0.55,
            report: ReportSettings {
                folder: Some("/tmp/reports".into()),
                weekly: true,
                slack: true,
                email: false,
                last: Some(Utc::now()),
            },
            email: Some(EmailSettings {
                host: "smtp.example.org".into(),
                port: 587,
                security: Security::Starttls,
                username: Some("admin".into()),
                from: "a@example.org".into(),
                to: vec!["b@example.org".into()],
            }),
            roi: RoiSettings {
                hourly_rate: 40.0,
                ..RoiSettings::default()
            },
            llm: Some(LlmConfig {
                provider: Provider::Openai,
                base_url: "http://localhost:11434/v1".into(),
                model: "llama3".into(),
                timeout_secs: 30,
                max_tokens: 1000,
            }),
            llm_consents: ["Openai:http://localhost:11434/v1".to_owned()].into(),
            system_prompts: [("The Auditor".to_owned(), "Be brief.".to_owned())].into(),
            ab_tests: Some(AbTestsTarget {
                database_id: "d".repeat(32),
                data_source_id: None,
            }),
            export_destinations: [("openai".to_owned(), PathBuf::from("/tmp/x.jsonl"))].into(),
            last_visit: Some(Utc::now()),
        };
        let saved = all.clone();
        Settings::update(&store, |s| {
            *s = saved;
            Ok::<_, StoreError>(())
        })
        .unwrap();
        assert_eq!(Settings::load(&store).unwrap(), all);
        // Withdrawing consent and forgetting a destination are saved too.
        all.llm_consents.clear();
        all.export_destinations.clear();
        let saved = all.clone();
        Settings::update(&store, |s| {
            *s = saved;
            Ok::<_, StoreError>(())
        })
        .unwrap();
        assert_eq!(Settings::load(&store).unwrap(), all);
    }

    #[test]
    fn a_failed_change_saves_nothing_and_other_rows_are_untouched() {
        let (_dir, store) = store();
        Row::DashboardSummaries.put(&store, b"[1]").unwrap();
        #[derive(Debug)]
        struct Refused;
        impl From<StoreError> for Refused {
            fn from(_: StoreError) -> Refused {
                Refused
            }
        }
        let failed: Result<(), Refused> = Settings::update(&store, |s| {
            s.threshold = 0.2;
            Err(Refused)
        });
        assert!(failed.is_err());
        assert_eq!(
            Settings::load(&store).unwrap().threshold,
            DEFAULT_ACCEPT_THRESHOLD
        );
        Settings::update(&store, |s| {
            s.threshold = 0.2;
            Ok::<_, StoreError>(())
        })
        .unwrap();
        assert_eq!(Settings::load(&store).unwrap().threshold, 0.2);
        assert_eq!(
            Row::DashboardSummaries.get(&store).unwrap().as_deref(),
            Some(&b"[1]"[..])
        );
    }

    #[test]
    fn rows_an_earlier_redline_wrote_are_read() {
        let (_dir, store) = store();
        // Exactly what the releases before the typed settings wrote.
        store.set_setting("threshold", b"0.6").unwrap();
        store
            .set_setting("llm_consent/Anthropic:https://api.anthropic.com", b"true")
            .unwrap();
        store
            .set_setting("llm_consent/Openai:http://x", b"false")
            .unwrap();
        store
            .set_setting("export.destination.openai", b"/home/me/train.jsonl")
            .unwrap();
        store.set_setting("ab_tests_target", b"null").unwrap();
        store
            .set_setting("roi", b"{\"seconds_per_word\": 2.5}")
            .unwrap();
        // Out of range or unreadable: the default.
        store.set_setting("report", b"not json").unwrap();
        let s = Settings::load(&store).unwrap();
        assert_eq!(s.threshold, 0.6);
        assert_eq!(
            s.llm_consents,
            ["Anthropic:https://api.anthropic.com".to_owned()].into()
        );
        assert_eq!(
            s.export_destinations["openai"],
            PathBuf::from("/home/me/train.jsonl")
        );
        assert_eq!(s.ab_tests, None);
        assert_eq!(s.roi.seconds_per_word, 2.5);
        assert_eq!(s.report, ReportSettings::default());
        store.set_setting("threshold", b"7").unwrap();
        assert_eq!(
            Settings::load(&store).unwrap().threshold,
            DEFAULT_ACCEPT_THRESHOLD
        );
    }
}
