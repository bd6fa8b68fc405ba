//! The check after every change of the data (an import, a sample, a sync, a new threshold) and
//! at launch: measure the new settlements, raise and store the incidents and Home's
//! suggestions. The app runs it on a background thread after each change; `redline watch` runs
//! the check itself ([`crate::learning::incidents::watch`]) on demand.

use crate::learning::{self, incidents};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

/// How a check asked for at some moment went.
#[derive(Debug)]
pub enum Checked {
    /// Checked now: what was raised anew and every active incident.
    Done(incidents::Watch),
    /// A check that started after this one was asked for, or one made on the store as it is
    /// now less than [`learning::REFRESH_FRESH_MINUTES`] ago, already saw what this one would:
    /// the incidents it stored.
    Covered(Vec<learning::Incident>),
}

/// Check for incidents as asked at `asked`, unless a later or equivalent check covered it.
/// The caller holds its measuring lock, so two checks never measure the same settlements.
pub fn after_change(
    store: &Store,
    asked: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Checked, StoreError> {
    let covered = match learning::last_refresh(store)? {
        Some(last) => last.covers(asked, store.change_seq()?, now),
        None => false,
    };
    if covered {
        return Ok(Checked::Covered(incidents::stored(store)?));
    }
    Ok(Checked::Done(learning::refresh(store, now)?.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_covered_by_a_later_one_is_skipped_and_a_change_brings_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        let now: DateTime<Utc> = "2026-11-20T12:00:00Z".parse().unwrap();
        store
            .upsert_batch(&crate::sample::generate(&crate::sample::SampleSpec {
                count: 300,
                seed: 5,
                end: now,
                ..Default::default()
            }))
            .unwrap();
        let asked = now - chrono::Duration::seconds(5);
        assert!(matches!(
            after_change(&store, asked, now).unwrap(),
            Checked::Done(_)
        ));
        // Asked before that check ran: covered.
        let later = now + chrono::Duration::seconds(30);
        assert!(matches!(
            after_change(&store, asked, later).unwrap(),
            Checked::Covered(_)
        ));
        // The store changed since: checked again.
        store
            .upsert_batch(&crate::sample::generate(&crate::sample::SampleSpec {
                count: 10,
                seed: 6,
                end: now,
                ..Default::default()
            }))
            .unwrap();
        assert!(matches!(
            after_change(&store, later, later).unwrap(),
            Checked::Done(_)
        ));
    }
}
