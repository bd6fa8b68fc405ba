//! The domain model: a [`Settlement`] and the small types that give its fields meaning.
//!
//! Every text in a settlement comes from elsewhere (an agent, a person, Notion) and is untrusted:
//! the model stores it verbatim and never interprets it.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A settlement's id, unique within a store (for Notion records, the page id).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SettlementId(String);

impl SettlementId {
    /// An id is any non-empty text with no leading or trailing white space.
    pub fn new(id: impl Into<String>) -> Result<Self, ModelError> {
        let id = id.into();
        let trimmed = id.trim();
        if trimmed.is_empty() {
            return Err(ModelError::EmptyId);
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SettlementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name of the agent that drafted the output, e.g. "The Entrepreneur".
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AgentName(String);

impl AgentName {
    pub fn new(name: impl Into<String>) -> Result<Self, ModelError> {
        let name = name.into();
        let trimmed = name.trim();
        if trimmed.is_empty() {
            return Err(ModelError::EmptyAgent);
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AgentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kind of intent an output answered. The design names three (strategic, operational,
/// reference), but real workspaces have their own, so this is an open set: trimmed and
/// lower-cased so that "Strategic" and "strategic " are one type. Empty means unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IntentType(String);

impl IntentType {
    pub const STRATEGIC: &'static str = "strategic";
    pub const OPERATIONAL: &'static str = "operational";
    pub const REFERENCE: &'static str = "reference";

    pub fn new(kind: &str) -> Self {
        Self(kind.trim().to_lowercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_unknown(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for IntentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "unknown"
        } else {
            &self.0
        })
    }
}

/// An acceptance rate in `0.0..=1.0` (the share of the AI output the person kept).
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Acceptance(f64);

impl Acceptance {
    pub fn new(value: f64) -> Result<Self, ModelError> {
        if value.is_finite() && (0.0..=1.0).contains(&value) {
            Ok(Self(value))
        } else {
            Err(ModelError::AcceptanceOutOfRange(value))
        }
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Acceptance {
    type Error = ModelError;
    fn try_from(value: f64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Acceptance> for f64 {
    fn from(a: Acceptance) -> f64 {
        a.0
    }
}

/// Where a settlement came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A JSONL or CSV file in the interchange format.
    Import,
    /// A page of the Notion "Training Data" database.
    Notion,
    /// The built-in sample generator.
    Sample,
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceKind::Import => "import",
            SourceKind::Notion => "notion",
            SourceKind::Sample => "sample",
        })
    }
}

/// The provenance of a settlement: what kind of source, its id there (a file name, a Notion
/// page id) and when the source last changed it, if the source says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub kind: SourceKind,
    pub id: String,
    pub last_edited: Option<DateTime<Utc>>,
}

/// One AI output and the version a person finally used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settlement {
    pub id: SettlementId,
    pub agent: AgentName,
    pub intent_type: IntentType,
    /// The intent (the request) the agent answered.
    pub intent: String,
    pub system_prompt: Option<String>,
    /// What the agent drafted (Notion: `AI_Raw_Output`).
    pub ai_output: String,
    /// What the person finally used (Notion: `Scenario_Options`).
    pub final_output: String,
    pub created_at: DateTime<Utc>,
    /// The acceptance rate as the source gave it, if it did.
    pub acceptance_rate: Option<Acceptance>,
    /// The prompt version or experiment variant that produced the output.
    pub prompt_version: Option<String>,
    pub processing_ms: Option<u64>,
    pub error: Option<bool>,
    pub source: Source,
}

impl Settlement {
    /// Whether the person changed the AI output at all.
    pub fn is_edited(&self) -> bool {
        self.ai_output != self.final_output
    }
}

/// A field value the model refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error("the id is empty")]
    EmptyId,
    #[error("the agent name is empty")]
    EmptyAgent,
    #[error("acceptance rate {0} is outside 0..1")]
    AcceptanceOutOfRange(f64),
}

/// A settlement for unit tests: the given id, agent and texts, now, no optional fields.
/// Parse a timestamp: RFC 3339 (`2026-03-01T09:30:00Z`, any offset), or a naive
/// `YYYY-MM-DD HH:MM[:SS]` / `YYYY-MM-DDTHH:MM[:SS]` taken as UTC, or a date `YYYY-MM-DD` (midnight UTC).
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, format) {
            return Some(d.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

#[cfg(test)]
pub(crate) fn test_settlement(id: &str, agent: &str, ai: &str, fin: &str) -> Settlement {
    Settlement {
        id: SettlementId::new(id).unwrap(),
        agent: AgentName::new(agent).unwrap(),
        intent_type: IntentType::new("operational"),
        intent: String::new(),
        system_prompt: None,
        ai_output: ai.into(),
        final_output: fin.into(),
        created_at: chrono::Utc::now(),
        acceptance_rate: None,
        prompt_version: None,
        processing_ms: None,
        error: None,
        source: Source {
            kind: SourceKind::Import,
            id: "t".into(),
            last_edited: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_are_trimmed_and_never_empty() {
        assert_eq!(SettlementId::new("  a-1 ").unwrap().as_str(), "a-1");
        assert_eq!(SettlementId::new(" \t"), Err(ModelError::EmptyId));
        assert_eq!(AgentName::new("").unwrap_err(), ModelError::EmptyAgent);
    }

    #[test]
    fn intent_types_fold_case_and_space() {
        assert_eq!(IntentType::new(" Strategic "), IntentType::new("strategic"));
        assert_eq!(IntentType::new("").to_string(), "unknown");
    }

    #[test]
    fn acceptance_is_bounded() {
        assert!(Acceptance::new(0.0).is_ok());
        assert!(Acceptance::new(1.0).is_ok());
        assert!(Acceptance::new(1.01).is_err());
        assert!(Acceptance::new(-0.1).is_err());
        assert!(Acceptance::new(f64::NAN).is_err());
        let parsed: Result<Acceptance, _> = serde_json::from_str("85");
        assert!(parsed.is_err());
    }
}
