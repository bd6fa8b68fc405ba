//! Alerts that persist: after every import or sync the current [`alerts`](super::alerts) are
//! reconciled with the ones stored, so that the app can list them with their evidence, tell
//! the person once about each new one, and keep acknowledged ones quiet.
//!
//! One record per alert key (`"drop:The Auditor"`, `"below_bar:The Auditor"`):
//! - raised for the first time, or again after it had cleared → a new episode (unacknowledged,
//!   reported as `raised`, which is what a desktop notification announces);
//! - still raised → its evidence and `last_seen` are updated; acknowledgement stays;
//! - no longer raised → `cleared` is set; it leaves the open list.

use super::{alerts, observations, Alert, DEFAULT_ACCEPT_THRESHOLD};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The settings key of the acceptance threshold.
pub const THRESHOLD_SETTING: &str = "threshold";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertRecord {
    pub key: String,
    /// `drop` or `below_bar`.
    pub kind: String,
    pub agent: String,
    /// One sentence with the evidence.
    pub message: String,
    /// The alert's figures (means, intervals, n, p) as computed last.
    pub evidence: serde_json::Value,
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

fn key_of(alert: &Alert) -> (String, &'static str) {
    let kind = match alert {
        Alert::Drop { .. } => "drop",
        Alert::BelowBar { .. } => "below_bar",
    };
    (format!("{kind}:{}", alert.agent()), kind)
}

/// Merge the alerts raised `now` into the stored records. Returns the records that changed
/// and the keys raised anew.
pub fn reconcile(
    stored: &BTreeMap<String, AlertRecord>,
    current: &[Alert],
    now: DateTime<Utc>,
) -> (Vec<AlertRecord>, Vec<String>) {
    let mut changed = Vec::new();
    let mut raised = Vec::new();
    let mut seen = Vec::new();
    for alert in current {
        let (key, kind) = key_of(alert);
        let evidence = serde_json::to_value(alert).expect("alerts serialise");
        let record = match stored.get(&key) {
            Some(old) if old.cleared.is_none() => AlertRecord {
                message: alert.describe(),
                evidence,
                last_seen: now,
                ..old.clone()
            },
            _ => {
                raised.push(key.clone());
                AlertRecord {
                    key: key.clone(),
                    kind: kind.into(),
                    agent: alert.agent().to_owned(),
                    message: alert.describe(),
                    evidence,
                    first_raised: now,
                    last_seen: now,
                    acknowledged: None,
                    cleared: None,
                }
            }
        };
        seen.push(key);
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

/// What a watch run found.
#[derive(Clone, Debug, Serialize)]
pub struct Watch {
    /// Alerts raised by this run (new, or back after clearing): announce these.
    pub raised: Vec<AlertRecord>,
    /// Every alert that holds now, acknowledged or not.
    pub active: Vec<AlertRecord>,
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

fn save(store: &Store, records: &[AlertRecord]) -> Result<(), StoreError> {
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

/// Evaluate the alerts at `now` (measuring what is not measured yet) and store the outcome.
pub fn watch(store: &Store, now: DateTime<Utc>) -> Result<Watch, StoreError> {
    let bar = threshold(store)?;
    // The alert windows reach 37 days back (7 recent + 30 baseline).
    let obs = observations(store, Some(now - Duration::days(38)), Some(now))?;
    let current = alerts(&obs, now, bar);
    let stored: BTreeMap<String, AlertRecord> = alert_records(store)?
        .into_iter()
        .map(|r| (r.key.clone(), r))
        .collect();
    let (changed, raised) = reconcile(&stored, &current, now);
    save(store, &changed)?;
    let active: Vec<AlertRecord> = alert_records(store)?
        .into_iter()
        .filter(|r| r.cleared.is_none())
        .collect();
    let raised = active
        .iter()
        .filter(|r| raised.contains(&r.key))
        .cloned()
        .collect();
    Ok(Watch { raised, active })
}

/// Acknowledge an alert: it stays listed but raises nothing until it clears and comes back.
/// `None` if there is no alert with that key.
pub fn acknowledge(
    store: &Store,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<AlertRecord>, StoreError> {
    let Some(mut record) = alert_records(store)?.into_iter().find(|r| r.key == key) else {
        return Ok(None);
    };
    record.acknowledged.get_or_insert(now);
    save(store, std::slice::from_ref(&record))?;
    Ok(Some(record))
}

/// The acceptance threshold: the saved setting, else [`DEFAULT_ACCEPT_THRESHOLD`].
pub fn threshold(store: &Store) -> Result<f64, StoreError> {
    Ok(store
        .setting(THRESHOLD_SETTING)?
        .and_then(|b| serde_json::from_slice::<f64>(&b).ok())
        .filter(|t| (0.0..=1.0).contains(t))
        .unwrap_or(DEFAULT_ACCEPT_THRESHOLD))
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
    store.set_setting(
        THRESHOLD_SETTING,
        &serde_json::to_vec(&value).expect("numbers serialise"),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Estimate;

    fn below(agent: &str, value: f64) -> Alert {
        Alert::BelowBar {
            agent: agent.into(),
            acceptance_30d: Estimate {
                value,
                low: Some(value - 0.05),
                high: Some(value + 0.05),
                n: 40,
            },
            bar: 0.7,
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
