//! A [`Miner`] kept beside the store: the first run mines the scope in full; later runs read
//! the store's change log and re-analyse only the settlements added, changed or removed since,
//! plus those a moved date range takes in or leaves out.

use super::{build_store, filter, with_contexts};
use crate::job::{Cancel, Progress, Step};
use crate::patterns::{Change, Heap, Miner, Report, Scope, Updated};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

/// An update holds its settlements in memory; past this many, a full run (which streams them)
/// is used instead.
const AT_ONCE: usize = 10_000;

/// How a [`LiveMiner::mine`] went about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refresh {
    /// Every settlement in scope was read and analysed.
    Full,
    /// Only the changes were.
    Incremental(Updated),
}

/// The miners of the scopes mined most recently (one per agent and intent type), so that
/// going back to an agent seen a moment ago costs only what changed since.
pub struct Miners {
    /// Least recently used first.
    kept: Vec<LiveMiner>,
    keep: usize,
    bytes: usize,
    /// When a miner was last asked for.
    used: Option<std::time::Instant>,
}

impl Miners {
    /// Keep at most `keep` miners holding at most `bytes` of heap together (by
    /// [`LiveMiner::heap`]: each holds its settlements' words and its n-gram counts, ~4 KB
    /// and 10–20 KB per settlement for ~2 KB texts). A miner larger than `bytes` alone is not
    /// kept: its scope is mined afresh next time (from the stored analyses).
    pub fn new(keep: usize, bytes: usize) -> Miners {
        Miners {
            kept: Vec::new(),
            keep: keep.max(1),
            bytes,
            used: None,
        }
    }

    /// Forget every miner when none was asked for in the last `idle` (a laptop's memory back
    /// once the person has moved on); whether any was forgotten.
    pub fn release_if_idle(&mut self, idle: std::time::Duration) -> bool {
        let quiet = self.used.is_none_or(|t| t.elapsed() >= idle);
        if quiet && !self.kept.is_empty() {
            self.kept.clear();
            return true;
        }
        false
    }

    /// What the kept miners hold on the heap together (an estimate).
    pub fn heap(&self) -> usize {
        self.kept.iter().map(|l| l.heap().total()).sum()
    }

    /// [`LiveMiner::mine`] with the miner of `scope`'s agent and intent type, if kept.
    pub fn mine(
        &mut self,
        store: &Store,
        scope: &Scope,
        on_step: Progress<'_>,
        cancel: &Cancel,
    ) -> Result<Option<(Report, Refresh)>, StoreError> {
        self.used = Some(std::time::Instant::now());
        let mut slot = self
            .kept
            .iter()
            .position(|l| l.agent == scope.agent && l.intent_type == scope.intent_type)
            .map(|i| self.kept.remove(i));
        let mined = LiveMiner::mine(&mut slot, store, scope, on_step, cancel);
        if let Some(live) = slot {
            self.kept.push(live);
            while !self.kept.is_empty() && (self.kept.len() > self.keep || self.heap() > self.bytes)
            {
                self.kept.remove(0);
            }
        }
        mined
    }

    /// Forget every miner (their memory is given back).
    pub fn clear(&mut self) {
        self.kept.clear();
    }
}

/// The miner of one agent and intent type (any date range), and the point of the store's change
/// log it has caught up with.
pub struct LiveMiner {
    agent: Option<String>,
    intent_type: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    seq: u64,
    miner: Miner,
}

impl LiveMiner {
    /// What its miner holds on the heap (an estimate).
    pub fn heap(&self) -> Heap {
        self.miner.heap()
    }

    /// Mine `scope`, reusing the miner in `slot` when it mines the same agent and intent type
    /// (its date range may differ), else building one and keeping it there. `Ok(None)` if
    /// cancelled (a cancelled update is finished by the next call).
    pub fn mine(
        slot: &mut Option<LiveMiner>,
        store: &Store,
        scope: &Scope,
        on_step: Progress<'_>,
        cancel: &Cancel,
    ) -> Result<Option<(Report, Refresh)>, StoreError> {
        let reusable = slot.as_ref().is_some_and(|l| {
            l.agent == scope.agent && l.intent_type == scope.intent_type && !l.miner.worn()
        });
        if reusable {
            let live = slot.as_mut().expect("checked");
            let since = store.changes_since(live.seq)?;
            if let Some((list, seq)) = since
                .map(|c| live.changes(store, scope, c))
                .transpose()?
                .flatten()
            {
                let Some(updated) = live.miner.update(list, cancel) else {
                    return Ok(None);
                };
                (live.seq, live.from, live.to) = (seq, scope.from, scope.to);
                let report = live
                    .miner
                    .report()
                    .expect("an update that ends mines every group");
                let report = with_contexts(report, store)?;
                let n = report.settlements as u64;
                on_step(Step {
                    done: n,
                    total: Some(n),
                    items: n,
                });
                return Ok(Some((report, Refresh::Incremental(updated))));
            }
        }
        // Build afresh. Changes after `seq` may be in the build already: applying them again
        // next time finds their content unchanged.
        *slot = None;
        let seq = store.change_seq()?;
        let Some(miner) = build_store(store, scope, on_step, cancel)? else {
            return Ok(None);
        };
        let report = with_contexts(miner.report().expect("a build mines every group"), store)?;
        *slot = Some(LiveMiner {
            agent: scope.agent.clone(),
            intent_type: scope.intent_type.clone(),
            from: scope.from,
            to: scope.to,
            seq,
            miner,
        });
        Ok(Some((report, Refresh::Full)))
    }

    /// What to tell the miner: the settlements a new date range leaves out and those it takes
    /// in, then the changed records (in scope, or not any more). `None` when that would be
    /// more than [`AT_ONCE`] settlements to hold: a full run streams them instead.
    fn changes(
        &self,
        store: &Store,
        scope: &Scope,
        since: crate::store::Changes,
    ) -> Result<Option<(Vec<Change>, u64)>, StoreError> {
        if since.ids.len() > AT_ONCE {
            return Ok(None);
        }
        // The range first: a record's own change, after it, has the last word.
        let mut out = Vec::new();
        if (self.from, self.to) != (scope.from, scope.to) {
            let outside = |at: DateTime<Utc>| {
                scope.from.is_some_and(|f| at < f) || scope.to.is_some_and(|t| at > t)
            };
            for (id, at) in self.miner.times() {
                if outside(at) {
                    out.push(Change::Remove(id.to_owned()));
                }
            }
            // Settlements the new range takes in: before the old start, after the old end.
            let mut ranges = Vec::new();
            if let Some(old) = self.from {
                if scope.from.is_none_or(|f| f < old) {
                    ranges.push((scope.from, Some(old)));
                }
            }
            if let Some(old) = self.to {
                if scope.to.is_none_or(|t| t > old) {
                    ranges.push((Some(old), scope.to));
                }
            }
            let mut taken = 0;
            for &(from, to) in &ranges {
                taken += store.list(&filter(scope, from, to), 0, 1)?.total;
            }
            if taken + since.ids.len() as u64 > AT_ONCE as u64 {
                return Ok(None);
            }
            for (from, to) in ranges {
                store.scan(from, to, |s| {
                    if scope.holds(&s) {
                        out.push(Change::upsert(s));
                    }
                })?;
            }
        }
        let records = store.records_for_measuring(&since.ids)?;
        let mut present = std::collections::HashSet::new();
        for (s, _) in records {
            present.insert(s.id.as_str().to_owned());
            if scope.holds(&s) {
                out.push(Change::upsert(s));
            } else {
                out.push(Change::Remove(s.id.as_str().to_owned()));
            }
        }
        for id in since.ids {
            if !present.contains(&id) {
                out.push(Change::Remove(id));
            }
        }
        Ok(Some((out, since.seq)))
    }
}
