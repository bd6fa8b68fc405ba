//! Alerts that persist: after every import or sync the findings raised now are reconciled
//! with the ones stored, so that the app can list them with their evidence, tell the person
//! once about each new one, and keep acknowledged ones quiet. The findings themselves (and
//! their grouping into incidents) come from `crate::learning`; this is their record keeping.
//!
//! One record per key (`"drop:The Auditor"`, `"emerging_pattern:The Operator:deleted:…"`):
//! - raised for the first time, or again after it had cleared → a new episode (unacknowledged,
//!   reported as raised, which is what a desktop notification announces);
//! - still raised → its evidence and `last_seen` are updated; acknowledgement stays;
//! - no longer raised → `cleared` is set; it leaves the open list.

use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The settings key of the acceptance threshold.

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertRecord {
    pub key: String,
    /// `stale`, `drop`, `below_bar`, `emerging_pattern` or `rejections_rising`.
    pub kind: String,
    /// Empty for a finding about the whole store (`stale`).
    pub agent: String,
    /// One sentence with the evidence.
    pub message: String,
    /// The alert's figures (means, intervals, n, p) as computed last.
    pub evidence: serde_json::Value,
    /// Example settlement ids.
    #[serde(default)]
    pub examples: Vec<String>,
    pub first_raised: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub acknowledged: Option<DateTime<Utc>>,
    pub cleared: Option<DateTime<Utc>>,
}

impl AlertRecord {
    /// Raised now and not acknowledged.
    pub fn is_open(&self) -> bool {
        self.cleared.is_none() && self.acknowledged.is_none()
    }
}

/// A finding raised now, to be reconciled with the stored records.
#[derive(Clone, Debug, PartialEq)]
pub struct Raised {
    pub key: String,
    pub kind: String,
    pub agent: String,
    pub message: String,
    pub evidence: serde_json::Value,
    pub examples: Vec<String>,
}

/// Merge the findings raised `now` into the stored records. Returns the records that changed
/// and the keys raised anew.
pub fn reconcile(
    stored: &BTreeMap<String, AlertRecord>,
    current: &[Raised],
    now: DateTime<Utc>,
) -> (Vec<AlertRecord>, Vec<String>) {
    let mut changed = Vec::new();
    let mut raised = Vec::new();
    let mut seen = Vec::new();
    for item in current {
        if seen.contains(&item.key) {
            continue;
        }
        let record = match stored.get(&item.key) {
            Some(old) if old.cleared.is_none() => AlertRecord {
                message: item.message.clone(),
                evidence: item.evidence.clone(),
                examples: item.examples.clone(),
                last_seen: now,
                ..old.clone()
            },
            _ => {
                raised.push(item.key.clone());
                AlertRecord {
                    key: item.key.clone(),
                    kind: item.kind.clone(),
                    agent: item.agent.clone(),
                    message: item.message.clone(),
                    evidence: item.evidence.clone(),
                    examples: item.examples.clone(),
                    first_raised: now,
                    last_seen: now,
                    acknowledged: None,
                    cleared: None,
                }
            }
        };
        seen.push(item.key.clone());
        changed.push(record);
    }
    for (key, old) in stored {
        if old.cleared.is_none() && !seen.contains(key) {
            changed.push(AlertRecord {
                cleared: Some(now),
                ..old.clone()
            });
        }
    }
    (changed, raised)
}

/// Every stored alert record: the active ones first, newest first.
pub fn alert_records(store: &Store) -> Result<Vec<AlertRecord>, StoreError> {
    let mut out: Vec<AlertRecord> = store
        .alert_records()?
        .into_iter()
        // A record this build cannot read is dropped from the list, not fatal.
        .filter_map(|(_, bytes)| serde_json::from_slice(&bytes).ok())
        .collect();
    out.sort_by(|a, b| {
        (a.cleared.is_some(), std::cmp::Reverse(a.last_seen))
            .cmp(&(b.cleared.is_some(), std::cmp::Reverse(b.last_seen)))
    });
    Ok(out)
}

/// Write these records (each under its key).
pub fn save_records(store: &Store, records: &[AlertRecord]) -> Result<(), StoreError> {
    let items: Vec<(String, Vec<u8>)> = records
        .iter()
        .map(|r| {
            (
                r.key.clone(),
                serde_json::to_vec(r).expect("records serialise"),
            )
        })
        .collect();
    store.put_alert_records(&items)
}

/// Acknowledge the records with these keys that are still raised: they stay listed but raise
/// nothing until they clear and come back. Returns the records acknowledged.
pub fn acknowledge(
    store: &Store,
    keys: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<AlertRecord>, StoreError> {
    let mut records: Vec<AlertRecord> = alert_records(store)?
        .into_iter()
        .filter(|r| r.cleared.is_none() && keys.contains(&r.key))
        .collect();
    for r in &mut records {
        r.acknowledged.get_or_insert(now);
    }
    save_records(store, &records)?;
    Ok(records)
}

/// The acceptance threshold: the saved setting, else [`DEFAULT_ACCEPT_THRESHOLD`].
pub fn threshold(store: &Store) -> Result<f64, StoreError> {
    Ok(crate::settings::Settings::load(store)?.threshold)
}

/// Why a threshold cannot be saved.
#[derive(Debug, thiserror::Error)]
pub enum ThresholdError {
    #[error("the threshold must be between 0 and 1 (e.g. 0.7 for 70%), not {0}")]
    OutOfRange(f64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Save the acceptance threshold (0..=1).
pub fn set_threshold(store: &Store, value: f64) -> Result<(), ThresholdError> {
    if !(0.0..=1.0).contains(&value) || value.is_nan() {
        return Err(ThresholdError::OutOfRange(value));
    }
    crate::settings::Settings::update(store, |s| {
        s.threshold = value;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn below(agent: &str, value: f64) -> Raised {
        Raised {
            key: format!("below_bar:{agent}"),
            kind: "below_bar".into(),
            agent: agent.into(),
            message: format!(
                "{agent}: 30-day acceptance {:.0}% is below the 70% bar.",
                value * 100.0
            ),
            evidence: serde_json::json!({"value": value}),
            examples: Vec::new(),
        }
    }

    fn by_key(records: Vec<AlertRecord>) -> BTreeMap<String, AlertRecord> {
        records.into_iter().map(|r| (r.key.clone(), r)).collect()
    }

    #[test]
    fn an_alert_is_raised_once_kept_quiet_when_acknowledged_and_raised_again_after_clearing() {
        let t0 = Utc::now();
        let t = |h: i64| t0 + Duration::hours(h);
        // First run: raised.
        let (changed, raised) = reconcile(&BTreeMap::new(), &[below("A", 0.5)], t(0));
        assert_eq!(raised, vec!["below_bar:A".to_string()]);
        let mut stored = by_key(changed);
        // Acknowledged; the next run still sees it: updated, not raised.
        stored.get_mut("below_bar:A").unwrap().acknowledged = Some(t(1));
        let (changed, raised) = reconcile(&stored, &[below("A", 0.52)], t(2));
        assert!(raised.is_empty());
        let rec = &changed[0];
        assert_eq!(
            (rec.acknowledged, rec.last_seen, rec.first_raised),
            (Some(t(1)), t(2), t(0))
        );
        assert!(rec.message.contains("52%"), "{}", rec.message);
        stored = by_key(changed);
        // It clears.
        let (changed, raised) = reconcile(&stored, &[], t(3));
        assert!(raised.is_empty());
        assert_eq!(changed[0].cleared, Some(t(3)));
        stored = by_key(changed);
        // A cleared alert that stays cleared changes nothing.
        assert!(reconcile(&stored, &[], t(4)).0.is_empty());
        // It comes back: a new, unacknowledged episode.
        let (changed, raised) = reconcile(&stored, &[below("A", 0.4)], t(5));
        assert_eq!(raised.len(), 1);
        assert!(changed[0].is_open());
        assert_eq!(changed[0].first_raised, t(5));
    }
}
