//! The summary of the store for a range, as the Dashboard and `redline summary` show it: the
//! settlements' figures with the A/B success rate from the experiments.

use crate::analytics::{self, Range, Summary};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

/// The summary of the store's settlements for `range` as of `now` (everything is read:
/// readiness counts all the training data), with the A/B success rate from the experiments.
pub fn of_store(
    store: &Store,
    range: Range,
    now: DateTime<Utc>,
    threshold: f64,
) -> Result<Summary, StoreError> {
    let all = analytics::observations(store, None, None)?;
    let mut s = analytics::summarize(&all, range, now, threshold);
    s.system.ab_success_rate = crate::experiments::success_rate(store)?;
    Ok(s)
}
