//! Each agent's Improvements as the view first shows them (all time, every intent type),
//! mined once after each change of the data — in the background, after the analyses are
//! stored — and kept, so that opening the view reads them instead of mining.

use crate::job::{Cancel, Progress, Step};
use crate::patterns::Scope;
use crate::settings::Row;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Kept {
    at: DateTime<Utc>,
    /// The store's change sequence the report was mined on.
    seq: u64,
    report: serde_json::Value,
}

/// A kept report: its JSON (what the Improvements view shows) and when it was mined.
#[derive(Clone, Debug, PartialEq)]
pub struct KeptReport {
    pub report: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// Whether `scope` is one that is kept: one agent, all time, every intent type.
pub fn kept_scope(agent: &str, range: &str, intent_type: &str) -> bool {
    !agent.trim().is_empty() && range.trim().eq_ignore_ascii_case("all") && intent_type.is_empty()
}

/// Mine the all-time patterns as of `now` of each agent whose kept report is not current
/// ([`to_mine`]) and keep them: [`precompute_agents`] of those.
pub fn precompute(
    store: &Store,
    now: DateTime<Utc>,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<usize>, StoreError> {
    precompute_agents(store, &to_mine(store)?, now, on_step, cancel)
}

/// Mine the all-time patterns as of `now` of each of `agents` and keep them. Progress counts
/// agents: step `k` is reported as the mining of `agents[k]` begins (the app names that agent,
/// so that a person opening it waits for this mining), the last once all are kept. Returns how
/// many were mined; `Ok(None)` if cancelled (what was kept stays).
pub fn precompute_agents(
    store: &Store,
    agents: &[String],
    now: DateTime<Utc>,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<usize>, StoreError> {
    let total = agents.len() as u64;
    for (k, agent) in agents.iter().enumerate() {
        on_step(Step {
            done: k as u64,
            total: Some(total),
            items: k as u64,
        });
        let seq = store.change_seq()?;
        let scope = Scope {
            agent: Some(agent.clone()),
            intent_type: None,
            from: None,
            to: Some(now),
        };
        let Some(report) = crate::mining::mine_store_with(store, &scope, &mut |_| {}, cancel)?
        else {
            return Ok(None);
        };
        keep(store, agent, seq, now, &report)?;
    }
    on_step(Step {
        done: total,
        total: Some(total),
        items: total,
    });
    Ok(Some(agents.len()))
}

/// The agents whose all-time report is not kept for the store as it is now: what
/// [`precompute`] would mine.
pub fn to_mine(store: &Store) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for (agent, _) in store.facets()?.agents {
        if kept(store, &agent)?.is_none() {
            out.push(agent);
        }
    }
    Ok(out)
}

/// Keep `report` as `agent`'s all-time report, mined at `at` on the store as it was at change
/// `seq` (read before the mining began: a change made during it leaves the report stale). The
/// background pass keeps its own; a mining the person asked for in the kept scope
/// ([`kept_scope`]) is kept too, so the pass does not mine that agent again.
pub fn keep(
    store: &Store,
    agent: &str,
    seq: u64,
    at: DateTime<Utc>,
    report: &crate::patterns::Report,
) -> Result<(), StoreError> {
    let kept = Kept {
        at,
        seq,
        report: serde_json::to_value(report).expect("reports serialise"),
    };
    Row::Improvements(agent).put(
        store,
        &serde_json::to_vec(&kept).expect("reports serialise"),
    )
}

/// `agent`'s kept all-time report, if it was mined on the store as it is now.
pub fn kept(store: &Store, agent: &str) -> Result<Option<KeptReport>, StoreError> {
    let Some(k) = Row::Improvements(agent)
        .get(store)?
        .and_then(|b| serde_json::from_slice::<Kept>(&b).ok())
    else {
        return Ok(None);
    };
    Ok((k.seq == store.change_seq()?).then_some(KeptReport {
        report: k.report,
        at: k.at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_reports_equal_a_mining_until_the_store_changes() {
        let (_dir, store) = super::super::testing::sample_store(600, 3);
        let now = super::super::testing::now();
        assert_eq!(kept(&store, "The Auditor").unwrap(), None);
        let mut steps = Vec::new();
        let mined = precompute(&store, now, &mut |s| steps.push(s.done), &Cancel::new()).unwrap();
        assert_eq!(mined, Some(5));
        assert_eq!(steps.last(), Some(&5));
        let k = kept(&store, "The Auditor").unwrap().unwrap();
        let scope = Scope {
            agent: Some("The Auditor".into()),
            to: Some(now),
            ..Default::default()
        };
        let fresh = crate::mining::mine_store(&store, &scope).unwrap();
        assert_eq!(k.report, serde_json::to_value(&fresh).unwrap());
        // Nothing changed: nothing is mined again.
        let again = precompute(&store, now, &mut |_| {}, &Cancel::new()).unwrap();
        assert_eq!(again, Some(0));
        assert!(to_mine(&store).unwrap().is_empty());
        // New settlements: no kept report until the next pass.
        super::super::testing::add_sample(&store, 5, 4);
        assert_eq!(kept(&store, "The Auditor").unwrap(), None);
        // A cancelled pass keeps what it had and says so.
        let cancel = Cancel::new();
        cancel.cancel();
        assert_eq!(precompute(&store, now, &mut |_| {}, &cancel).unwrap(), None);
        // A report kept from another mining (the person's, in the kept scope) is read back
        // while the store stays as it was mined, and the pass leaves that agent alone.
        let seq = store.change_seq().unwrap();
        let report = crate::mining::mine_store(&store, &scope).unwrap();
        keep(&store, "The Auditor", seq, now, &report).unwrap();
        let k = kept(&store, "The Auditor").unwrap().unwrap();
        assert_eq!(k.report, serde_json::to_value(&report).unwrap());
        assert_eq!(k.at, now);
        assert_eq!(to_mine(&store).unwrap().len(), 4);
        assert_eq!(
            precompute(&store, now, &mut |_| {}, &Cancel::new()).unwrap(),
            Some(4)
        );
        // Kept at an older change, it is stale.
        keep(&store, "The Auditor", seq - 1, now, &report).unwrap();
        assert_eq!(kept(&store, "The Auditor").unwrap(), None);
        assert!(kept_scope("The Auditor", "all", ""));
        assert!(!kept_scope("The Auditor", "30d", ""));
        assert!(!kept_scope("", "all", ""));
    }
}
