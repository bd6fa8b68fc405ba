//! The summary of the store for a range, as the Dashboard and `redline summary` show it (the
//! settlements' figures with the A/B success rate from the experiments), and the Dashboard's
//! standard ranges computed once after each change of the data and stored, so that a visit
//! reads them instead of computing.

use crate::analytics::{self, Range, Summary};
use crate::settings::Row;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The ranges the Dashboard offers with one click, computed ahead.
pub const PRECOMPUTED: [&str; 4] = ["7d", "30d", "90d", "all"];

/// The summary of the store's settlements for `range` as of `now` (everything is read:
/// readiness counts all the training data), with the A/B success rate from the experiments.
pub fn of_store(
    store: &Store,
    range: Range,
    now: DateTime<Utc>,
    threshold: f64,
) -> Result<Summary, StoreError> {
    let all = analytics::observations(store, None, None)?;
    let success = crate::experiments::success_rate(store)?;
    Ok(summarize(&all, range, now, threshold, success))
}

/// The summary of `all` for `range`, with the A/B success rate.
fn summarize(
    all: &[analytics::Observation],
    range: Range,
    now: DateTime<Utc>,
    threshold: f64,
    ab_success_rate: Option<f64>,
) -> Summary {
    let mut s = analytics::summarize(all, range, now, threshold);
    s.system.ab_success_rate = ab_success_rate;
    s
}

#[derive(Serialize, Deserialize)]
struct Stored {
    at: DateTime<Utc>,
    /// The store's change sequence the summaries were computed on.
    seq: u64,
    threshold: f64,
    /// Each precomputed range's summary, as the Dashboard receives it.
    summaries: BTreeMap<String, serde_json::Value>,
}

/// A stored summary and whether it still describes the store.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredSummary {
    /// The summary as JSON (what the Dashboard shows).
    pub summary: serde_json::Value,
    /// When it was computed.
    pub at: DateTime<Utc>,
    /// Whether it is current: computed on the store as it is, with today's threshold, on the
    /// same (UTC) day as `now` (the ranges are whole days).
    pub current: bool,
}

/// Compute the [`PRECOMPUTED`] ranges' summaries as of `now` (reading the measures once) and
/// store them; `on_range(k)` after the k-th.
pub fn precompute(
    store: &Store,
    now: DateTime<Utc>,
    on_range: &mut dyn FnMut(usize),
) -> Result<(), StoreError> {
    let seq = store.change_seq()?;
    let threshold = analytics::threshold(store)?;
    let all = analytics::observations(store, None, None)?;
    let success = crate::experiments::success_rate(store)?;
    let mut summaries = BTreeMap::new();
    for (k, label) in PRECOMPUTED.iter().enumerate() {
        let range = Range::parse(label).expect("the precomputed ranges parse");
        let s = summarize(&all, range, now, threshold, success);
        summaries.insert(
            (*label).to_owned(),
            serde_json::to_value(&s).expect("summaries serialise"),
        );
        on_range(k + 1);
    }
    let stored = Stored {
        at: now,
        seq,
        threshold,
        summaries,
    };
    Row::DashboardSummaries.put(
        store,
        &serde_json::to_vec(&stored).expect("summaries serialise"),
    )
}

/// The stored summary of `range` (one of [`PRECOMPUTED`]), if there is one.
pub fn stored(
    store: &Store,
    range: &str,
    now: DateTime<Utc>,
) -> Result<Option<StoredSummary>, StoreError> {
    let Some(s) = Row::DashboardSummaries
        .get(store)?
        .and_then(|b| serde_json::from_slice::<Stored>(&b).ok())
    else {
        return Ok(None);
    };
    let Some(summary) = s.summaries.get(range).cloned() else {
        return Ok(None);
    };
    let current = s.seq == store.change_seq()?
        && s.threshold == analytics::threshold(store)?
        && s.at.date_naive() == now.date_naive();
    Ok(Some(StoredSummary {
        summary,
        at: s.at,
        current,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_summaries_equal_computed_ones_until_the_store_the_threshold_or_the_day_changes() {
        let (_dir, store) = super::super::testing::sample_store(400, 3);
        let now = super::super::testing::now();
        assert_eq!(stored(&store, "30d", now).unwrap(), None);
        let mut ranges = Vec::new();
        precompute(&store, now, &mut |k| ranges.push(k)).unwrap();
        assert_eq!(ranges, [1, 2, 3, 4]);
        let threshold = analytics::threshold(&store).unwrap();
        for label in PRECOMPUTED {
            let s = stored(&store, label, now).unwrap().unwrap();
            assert!(s.current, "{label}");
            let range = Range::parse(label).unwrap();
            let computed = of_store(&store, range, now, threshold).unwrap();
            assert_eq!(
                s.summary,
                serde_json::to_value(&computed).unwrap(),
                "{label}"
            );
        }
        assert_eq!(stored(&store, "2026-01-01..2026-02-01", now).unwrap(), None);
        // The next day: not current.
        let tomorrow = now + chrono::Duration::days(1);
        assert!(!stored(&store, "7d", tomorrow).unwrap().unwrap().current);
        // A new threshold: not current.
        analytics::set_threshold(&store, 0.5).unwrap();
        assert!(!stored(&store, "7d", now).unwrap().unwrap().current);
        analytics::set_threshold(&store, threshold).unwrap();
        assert!(stored(&store, "7d", now).unwrap().unwrap().current);
        // New settlements: not current, but still there to show while a check runs.
        super::super::testing::add_sample(&store, 5, 4);
        let s = stored(&store, "7d", now).unwrap().unwrap();
        assert!(!s.current);
        assert_eq!(s.at, now);
    }
}
