//! Mining the store: the pattern miner (`patterns`, pure: it never sees the store) fed with the
//! store's settlements in one streamed pass, its per-settlement analyses kept in the store's
//! cache, the examples' contexts read back, and the replay of recommendations over a scope;
//! `live` keeps miners between visits and brings them up to date from the change log.

use crate::job::{Cancel, Progress};
use crate::model::{AgentName, IntentType, Settlement, SettlementId};
use crate::patterns::replay::{replay, Replay};
use crate::patterns::{Miner, Report, Scope};
use crate::store::{Filter, Store, StoreError};
use chrono::{DateTime, Utc};

mod live;

pub use live::{LiveMiner, Miners, Refresh};

/// Mine the store's settlements in `scope`, streamed from disk once (never all at once).
pub fn mine_store(store: &Store, scope: &Scope) -> Result<Report, StoreError> {
    mine_store_with(store, scope, &mut crate::job::no_progress, &Cancel::new())
        .map(|r| r.expect("not cancelled"))
}

/// [`mine_store`] with progress and cancellation (`Ok(None)` when cancelled).
pub fn mine_store_with(
    store: &Store,
    scope: &Scope,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<Report>, StoreError> {
    let report = build_store(store, scope, on_step, cancel)?.and_then(|m| m.report());
    // Cancelled as the mining ended: the examples' contexts are not read either.
    if cancel.is_cancelled() {
        return Ok(None);
    }
    report.map(|r| with_contexts(r, store)).transpose()
}

/// The report with each phrase's typical context, its examples read from the store.
pub(super) fn with_contexts(report: Report, store: &Store) -> Result<Report, StoreError> {
    crate::patterns::with_contexts(report, |id| match SettlementId::new(id) {
        Ok(sid) => store.get(&sid),
        Err(_) => Ok(None),
    })
}

/// The store filter of `scope`'s agent and intent type over `from..=to`.
pub(super) fn filter(
    scope: &Scope,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Filter {
    Filter {
        agent: scope.agent.as_deref().and_then(|a| AgentName::new(a).ok()),
        intent_type: scope.intent_type.as_deref().map(IntentType::new),
        from,
        to,
        text: None,
    }
}

/// A [`Miner`] of the store's settlements in `scope` (`Ok(None)` when cancelled).
pub(super) fn build_store(
    store: &Store,
    scope: &Scope,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<Miner>, StoreError> {
    let count = store
        .list(&filter(scope, scope.from, scope.to), 0, 1)?
        .total;
    // Analyses made now are kept for later runs, written by a thread of their own without
    // waiting for the disk (one durable commit at the end). A derived cache: a failure to
    // write, a full disk say, costs only the next run's time.
    std::thread::scope(|threads| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(String, u64, Vec<u8>)>>(4);
        let writer = threads.spawn(move || {
            for items in rx {
                let _ = store.put_analyses(&items, false);
            }
            let _ = store.put_analyses(&[], true);
        });
        let save = move |items: Vec<(String, u64, Vec<u8>)>| {
            let _ = tx.send(items);
        };
        let mined = Miner::build_stored(
            |visit| {
                store.scan_with_analyses(
                    scope.agent.as_deref(),
                    scope.from,
                    scope.to,
                    |s, stored| {
                        if scope.holds(&s) {
                            visit((s, stored))
                        } else {
                            std::ops::ControlFlow::Continue(())
                        }
                    },
                )
            },
            Some(count),
            Some(&save),
            on_step,
            cancel,
        );
        drop(save);
        let _ = writer.join();
        mined
    })
}

/// Analyse and keep, without mining, every settlement of `store` whose pattern analysis is
/// missing or stale (the app runs it in the background after an import, a sync or a launch, so
/// that the first mining of an agent reads its analyses back instead of diffing again). Each
/// batch is written as it is done, with one durable commit at the end. Progress counts the
/// settlements looked at. Returns how many were analysed; `Ok(None)` if cancelled (what was
/// written stays: it is a cache).
pub fn store_analyses(
    store: &Store,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<usize>, StoreError> {
    let analysed = crate::patterns::analyse_missing(
        |visit| store.scan_with_analyses(None, None, None, visit),
        store.count()?,
        |fresh| store.put_analyses(&fresh, false).map(|_| ()),
        on_step,
        cancel,
    )?;
    store.put_analyses(&[], true)?;
    Ok(analysed)
}

/// [`replay`] over the store's settlements in `scope`. They are read into memory, both
/// halves (the split is by count, in time order); the earlier half goes from there into the
/// miner one settlement at a time, and only the later half's newest
/// [`MAX_REPLAYED`](crate::patterns::replay::MAX_REPLAYED) are replayed.
pub fn replay_store(
    store: &Store,
    scope: &Scope,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<Replay>, StoreError> {
    let mut list: Vec<Settlement> = Vec::new();
    store.scan(scope.from, scope.to, |s| {
        if scope.holds(&s) {
            list.push(s);
        }
    })?;
    Ok(replay(&list, on_step, cancel))
}
