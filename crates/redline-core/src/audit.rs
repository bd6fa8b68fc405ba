//! The audit log: what was done with the data and its secrets — every export (when, filters,
//! how many examples, where, encrypted or not), every change of the Notion token, every sync.
//! Kept in the store; never holds a secret or a settlement's text.

use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub at: DateTime<Utc>,
    /// `export`, `token_saved`, `token_removed`, `sync`, `sync_failed`.
    pub action: String,
    /// One sentence for people.
    pub detail: String,
    /// The figures behind it (filters, counts, path).
    #[serde(default)]
    pub data: serde_json::Value,
}

/// Record an entry now.
pub fn record(
    store: &Store,
    action: &str,
    detail: impl Into<String>,
    data: serde_json::Value,
) -> Result<(), StoreError> {
    let entry = Entry {
        at: Utc::now(),
        action: action.to_owned(),
        detail: detail.into(),
        data,
    };
    let bytes = serde_json::to_vec(&entry).expect("entries serialise");
    store.append_audit(entry.at.timestamp_millis(), &bytes)
}

/// The newest `limit` entries, newest first (entries this build cannot read are skipped).
pub fn entries(store: &Store, limit: usize) -> Result<Vec<Entry>, StoreError> {
    Ok(store
        .audit_entries(limit)?
        .into_iter()
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_back_newest_first_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        {
            let store = Store::open(&path).unwrap();
            for i in 0..3 {
                record(
                    &store,
                    "sync",
                    format!("sync {i}"),
                    serde_json::json!({"n": i}),
                )
                .unwrap();
            }
        }
        let store = Store::open(&path).unwrap();
        let all = entries(&store, 10).unwrap();
        let details: Vec<&str> = all.iter().map(|e| e.detail.as_str()).collect();
        assert_eq!(details, vec!["sync 2", "sync 1", "sync 0"]);
        assert_eq!(entries(&store, 1).unwrap().len(), 1);
        assert_eq!(all[0].data["n"], 2);
    }
}
