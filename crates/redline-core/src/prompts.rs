//! The prompt registry: per agent, numbered prompt versions (text, created, note, author) and
//! the active one. A settlement links to a version through its prompt-version field, which
//! names it as `v<N>` (the label [`label`] gives; `3` and `V3` are read the same way).
//!
//! Versions are never edited or deleted: a change is a new version, so every experiment and
//! every settlement keeps pointing at the text it was made with.

use crate::diff::{self, Span};
use crate::settings::Row;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One prompt version of one agent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PromptVersion {
    pub agent: String,
    pub version: u32,
    pub text: String,
    pub created: DateTime<Utc>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub author: String,
}

impl PromptVersion {
    /// The label settlements carry in their prompt-version field: `v3`.
    pub fn label(&self) -> String {
        label(self.version)
    }
}

/// `v3` for version 3.
pub fn label(version: u32) -> String {
    format!("v{version}")
}

/// The version number a prompt-version field names: `v3`, `V3` and `3` all give 3.
pub fn parse_label(text: &str) -> Option<u32> {
    let t = text.trim();
    let digits = t
        .strip_prefix('v')
        .or_else(|| t.strip_prefix('V'))
        .unwrap_or(t);
    digits.parse().ok().filter(|n| *n > 0)
}

#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the prompt is empty")]
    Empty,
    #[error("an agent name is needed")]
    NoAgent,
    #[error("this text is the same as {agent}'s current version v{version}; nothing to add")]
    Unchanged { agent: String, version: u32 },
    #[error("{agent} has no prompt version v{version}")]
    Unknown { agent: String, version: u32 },
    #[error("{agent} has no prompt versions yet: add one (paste or import a file)")]
    NoVersions { agent: String },
}

/// The row of an agent's active version.
fn active_key(agent: &str) -> String {
    Row::ActivePrompt(agent).name()
}

fn decode(bytes: &[u8]) -> Option<PromptVersion> {
    serde_json::from_slice(bytes).ok()
}

/// Every version of one agent, oldest first.
pub fn list(store: &Store, agent: &str) -> Result<Vec<PromptVersion>, PromptError> {
    Ok(store
        .prompt_records(Some(agent))?
        .iter()
        .filter_map(|b| decode(b))
        .collect())
}

/// Every agent's versions, by agent.
pub fn all(store: &Store) -> Result<BTreeMap<String, Vec<PromptVersion>>, PromptError> {
    let mut out: BTreeMap<String, Vec<PromptVersion>> = BTreeMap::new();
    for v in store.prompt_records(None)?.iter().filter_map(|b| decode(b)) {
        out.entry(v.agent.clone()).or_default().push(v);
    }
    Ok(out)
}

/// One version.
pub fn get(store: &Store, agent: &str, version: u32) -> Result<PromptVersion, PromptError> {
    list(store, agent)?
        .into_iter()
        .find(|v| v.version == version)
        .ok_or_else(|| PromptError::Unknown {
            agent: agent.to_owned(),
            version,
        })
}

/// The active version: the one last activated (by hand or by deploying an experiment's
/// winner); the first version added (or the newest adopted from settlements) until then.
/// Adding a version never changes it. `None` when the agent has no versions.
pub fn active(store: &Store, agent: &str) -> Result<Option<PromptVersion>, PromptError> {
    let versions = list(store, agent)?;
    let chosen = Row::ActivePrompt(agent)
        .get(store)?
        .and_then(|b| serde_json::from_slice::<u32>(&b).ok());
    Ok(chosen
        .and_then(|n| versions.iter().find(|v| v.version == n).cloned())
        .or_else(|| versions.last().cloned()))
}

/// The settings entry that makes `version` the agent's active one (to save on its own, or in
/// the same transaction as an experiment's deployment).
pub fn activation(agent: &str, version: u32) -> (String, Vec<u8>) {
    (
        active_key(agent),
        serde_json::to_vec(&version).expect("a number serialises"),
    )
}

/// Make `version` the agent's active prompt.
pub fn set_active(store: &Store, agent: &str, version: u32) -> Result<PromptVersion, PromptError> {
    let v = get(store, agent, version)?;
    let (_, value) = activation(agent, version);
    Row::ActivePrompt(agent).put(store, &value)?;
    Ok(v)
}

/// A new version checked and ready to be written: its agent and text, and the setting that
/// pins the version in use (when only implied so far), written in the same transaction.
pub(crate) struct NewVersion {
    pub agent: String,
    pub text: String,
    pub pin: Vec<(String, Vec<u8>)>,
}

/// Check a new version of `agent`'s prompt: line endings normalised and surrounding blank space
/// trimmed; an empty text or one equal to the newest version is refused. A new version is a
/// candidate, not the prompt in use: the one in use (if only implied so far) is pinned, so
/// that adding never changes which prompt is active.
pub(crate) fn check_new(store: &Store, agent: &str, text: &str) -> Result<NewVersion, PromptError> {
    let agent = agent.trim();
    if agent.is_empty() {
        return Err(PromptError::NoAgent);
    }
    let text = text.replace("\r\n", "\n").trim().to_owned();
    if text.is_empty() {
        return Err(PromptError::Empty);
    }
    if let Some(last) = list(store, agent)?.last() {
        if last.text == text {
            return Err(PromptError::Unchanged {
                agent: agent.to_owned(),
                version: last.version,
            });
        }
    }
    let mut pin = Vec::new();
    if let Some(current) = active(store, agent)? {
        if Row::ActivePrompt(agent).get(store)?.is_none() {
            pin.push(activation(agent, current.version));
        }
    }
    Ok(NewVersion {
        agent: agent.to_owned(),
        text,
        pin,
    })
}

impl NewVersion {
    /// The record of this version under `number`.
    pub(crate) fn record(&self, number: u32, note: &str, author: &str) -> PromptVersion {
        PromptVersion {
            agent: self.agent.clone(),
            version: number,
            text: self.text.clone(),
            created: Utc::now(),
            note: note.trim().to_owned(),
            author: author.trim().to_owned(),
        }
    }
}

/// Add a new version (numbered one past the agent's highest); the active version stays as it
/// was (the first version of an agent becomes active). See [`check_new`] for what is refused.
pub fn add(
    store: &Store,
    agent: &str,
    text: &str,
    note: &str,
    author: &str,
) -> Result<PromptVersion, PromptError> {
    let new = check_new(store, agent, text)?;
    let mut record = None;
    store.add_prompt_record(&new.agent, &new.pin, |n| {
        let v = new.record(n, note, author);
        let bytes = serde_json::to_vec(&v).expect("a prompt version serialises");
        record = Some(v);
        (bytes, None)
    })?;
    Ok(record.expect("the record was built"))
}

/// The word-level diff from version `a` to version `b`.
pub fn diff(old: &PromptVersion, new: &PromptVersion) -> Vec<Span> {
    diff::word_diff(&old.text, &new.text)
}

/// Adopt the prompts that settlements carry: for each agent and each prompt-version label
/// `v<N>` seen with a system prompt, register that text as version N if the agent has no
/// version N yet (earliest settlement wins). Returns the versions added. Lets a store filled by
/// sync or import start with the prompts its agents actually ran.
pub fn adopt_from_settlements(store: &Store) -> Result<Vec<PromptVersion>, PromptError> {
    let mut seen: BTreeMap<(String, u32), (String, DateTime<Utc>)> = BTreeMap::new();
    store.scan(None, None, |s| {
        let (Some(label), Some(text)) = (s.prompt_version.as_deref(), s.system_prompt.as_deref())
        else {
            return;
        };
        let (Some(n), text) = (parse_label(label), text.trim()) else {
            return;
        };
        if !text.is_empty() {
            seen.entry((s.agent.as_str().to_owned(), n))
                .or_insert_with(|| (text.to_owned(), s.created_at));
        }
    })?;
    let mut added = Vec::new();
    for ((agent, n), (text, first_seen)) in seen {
        let v = PromptVersion {
            agent: agent.clone(),
            version: n,
            text,
            created: first_seen,
            note: "found in settlements".into(),
            author: String::new(),
        };
        let bytes = serde_json::to_vec(&v).expect("a prompt version serialises");
        if store.put_prompt_record_if_absent(&agent, n, &bytes)? {
            added.push(v);
        }
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::SpanKind;
    use crate::sample::{self, SampleSpec};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        (dir, store)
    }

    #[test]
    fn labels_read_back() {
        assert_eq!(label(3), "v3");
        assert_eq!(parse_label("v3"), Some(3));
        assert_eq!(parse_label(" V12 "), Some(12));
        assert_eq!(parse_label("7"), Some(7));
        assert_eq!(parse_label("v0"), None);
        assert_eq!(parse_label("beta"), None);
    }

    #[test]
    fn versions_number_up_activate_and_diff() {
        let (_dir, store) = store();
        assert!(active(&store, "A").unwrap().is_none());
        let v1 = add(&store, "A", "You are helpful.\r\n", "first", "me").unwrap();
        assert_eq!((v1.version, v1.text.as_str()), (1, "You are helpful."));
        assert!(matches!(
            add(&store, "A", " You are helpful. ", "", ""),
            Err(PromptError::Unchanged { version: 1, .. })
        ));
        assert!(matches!(
            add(&store, "A", "  ", "", ""),
            Err(PromptError::Empty)
        ));
        assert_eq!(active(&store, "A").unwrap().unwrap().version, 1);
        let v2 = add(&store, "A", "You are brief and helpful.", "", "").unwrap();
        assert_eq!(v2.version, 2);
        // Another agent counts on its own.
        assert_eq!(add(&store, "B", "Hi.", "", "").unwrap().version, 1);
        // A new version is a candidate: v1 stays active until v2 is activated.
        assert_eq!(active(&store, "A").unwrap().unwrap().version, 1);
        set_active(&store, "A", 2).unwrap();
        assert_eq!(active(&store, "A").unwrap().unwrap().version, 2);
        add(&store, "A", "Third.", "", "").unwrap();
        assert_eq!(active(&store, "A").unwrap().unwrap().version, 2);
        assert!(matches!(
            set_active(&store, "A", 9),
            Err(PromptError::Unknown { version: 9, .. })
        ));
        let d = diff(&v1, &v2);
        let inserted: String = d
            .iter()
            .filter(|s| s.kind == SpanKind::Insert)
            .map(|s| s.text.as_str())
            .collect();
        assert!(inserted.contains("brief"), "{d:?}");
        assert_eq!(all(&store).unwrap().len(), 2);
    }

    #[test]
    fn settlements_prompts_are_adopted_once_without_overwriting() {
        let (_dir, store) = store();
        add(&store, "The Entrepreneur", "My own v1.", "", "").unwrap();
        let settlements = sample::generate(&SampleSpec {
            count: 300,
            ..Default::default()
        });
        store.upsert_batch(&settlements).unwrap();
        let added = adopt_from_settlements(&store).unwrap();
        // v2 of The Entrepreneur and v1 of the four others; The Entrepreneur's v1 was taken.
        assert_eq!(added.len(), 5, "{added:?}");
        assert_eq!(
            get(&store, "The Entrepreneur", 1).unwrap().text,
            "My own v1."
        );
        assert!(get(&store, "The Entrepreneur", 2)
            .unwrap()
            .text
            .contains("Prompt v2"));
        assert!(adopt_from_settlements(&store).unwrap().is_empty());
    }
}
