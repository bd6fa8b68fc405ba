//! The check after every change of the data (an import, a sample, a sync, a new threshold) and
//! at launch: measure the new settlements, raise and store the incidents and Home's
//! suggestions, and compute the Dashboard's standard ranges — so that Home and the Dashboard
//! only read. The app runs it on a background thread after each change, showing its progress;
//! `redline watch` runs the incident check itself ([`crate::learning::incidents::watch`]).

use crate::job::{Cancel, Step};
use crate::learning::{self, incidents};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What the check is doing: measuring new settlements (`done` of `total`), checking for
/// incidents and suggestions, computing the Dashboard's ranges (`done` of `total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Measuring,
    Incidents,
    Dashboard,
}

/// The check's progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CheckStep {
    pub stage: Stage,
    pub done: u64,
    pub total: u64,
}

impl CheckStep {
    /// A step of the measuring stage (the first of a check, and of Home's own first check).
    pub fn measuring(s: Step) -> CheckStep {
        CheckStep {
            stage: Stage::Measuring,
            done: s.done,
            total: s.total.unwrap_or(s.done),
        }
    }
}

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
    on_step: &mut dyn FnMut(CheckStep),
) -> Result<Checked, StoreError> {
    let covered = match learning::last_refresh(store)? {
        Some(last) => last.covers(asked, store.change_seq()?, now),
        None => false,
    };
    let ranges = super::summary::PRECOMPUTED.len() as u64;
    let dashboard = |on_step: &mut dyn FnMut(CheckStep)| {
        on_step(CheckStep {
            stage: Stage::Dashboard,
            done: 0,
            total: ranges,
        });
        super::summary::precompute(store, now, &mut |k| {
            on_step(CheckStep {
                stage: Stage::Dashboard,
                done: k as u64,
                total: ranges,
            })
        })
    };
    if covered {
        // The incidents are those of a check as good as this one (Home's own, say), which may
        // not have computed the Dashboard's figures: those are brought up to date here.
        let label = super::summary::PRECOMPUTED[0];
        if !super::summary::stored(store, label, now)?.is_some_and(|s| s.current) {
            dashboard(on_step)?;
        }
        return Ok(Checked::Covered(incidents::stored(store)?));
    }
    let mut measuring = |s: Step| on_step(CheckStep::measuring(s));
    crate::analytics::measure_missing(store, &mut measuring, &Cancel::new())?;
    on_step(CheckStep {
        stage: Stage::Incidents,
        done: 0,
        total: 1,
    });
    let (watch, _) = learning::refresh(store, now)?;
    dashboard(on_step)?;
    Ok(Checked::Done(watch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_covered_by_a_later_one_is_skipped_and_a_change_brings_it_back() {
        let (_dir, store) = super::super::testing::sample_store(300, 5);
        let now = super::super::testing::now();
        let asked = now - chrono::Duration::seconds(5);
        let mut steps = Vec::new();
        let checked = after_change(&store, asked, now, &mut |s| steps.push(s)).unwrap();
        assert!(matches!(checked, Checked::Done(_)));
        // Progress: every settlement measured, then the incidents, then the Dashboard's ranges;
        // and the Dashboard's figures are stored.
        let measured = steps
            .iter()
            .rev()
            .find(|s| s.stage == Stage::Measuring)
            .unwrap();
        assert_eq!((measured.done, measured.total), (300, 300));
        assert_eq!(
            steps.last(),
            Some(&CheckStep {
                stage: Stage::Dashboard,
                done: 4,
                total: 4
            })
        );
        let dashboard = super::super::summary::stored(&store, "30d", now).unwrap();
        assert!(dashboard.unwrap().current);
        // Asked before that check ran: covered.
        let later = now + chrono::Duration::seconds(30);
        // A check that only Home made (no Dashboard figures stored): covered, and the
        // Dashboard's figures are computed.
        let (_d2, other) = super::super::testing::sample_store(200, 5);
        learning::overview(&other, now).unwrap();
        let checked = after_change(&other, asked, later, &mut |_| {}).unwrap();
        assert!(matches!(checked, Checked::Covered(_)));
        let stored = super::super::summary::stored(&other, "7d", later).unwrap();
        assert!(stored.unwrap().current);
        assert!(matches!(
            after_change(&store, asked, later, &mut |_| {}).unwrap(),
            Checked::Covered(_)
        ));
        // The store changed since: checked again.
        super::super::testing::add_sample(&store, 10, 6);
        assert!(matches!(
            after_change(&store, later, later, &mut |_| {}).unwrap(),
            Checked::Done(_)
        ));
    }
}
