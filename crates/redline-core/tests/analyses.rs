//! The pattern miner's per-settlement analyses are stored once and read back by later runs
//! (issue 13, item 8), in a real redb file: a later run finds the same patterns without
//! diffing again, a changed settlement is analysed again, and a damaged or outdated entry is
//! made again rather than trusted.

use chrono::NaiveDate;
use redline_core::patterns::Scope;
use redline_core::sample::{self, SampleSpec};
use redline_core::store::Store;

fn store_with(n: usize) -> (tempfile::TempDir, Store, Vec<redline_core::Settlement>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let list = sample::generate(&SampleSpec {
        count: n,
        seed: 8,
        end: sample::end_of_day(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()),
        ..Default::default()
    });
    store.upsert_batch(&list).unwrap();
    (dir, store, list)
}

/// Store `donor`'s analysis under every settlement's key (each keeps its own key, so each
/// reads as current); returns what was stored, `(id, key, bytes)`.
fn one_analysis_everywhere(
    store: &Store,
    list: &[redline_core::Settlement],
    donor: &redline_core::Settlement,
) -> Vec<(String, u64, Vec<u8>)> {
    let (_, one) = store.analysis(donor.id.as_str()).unwrap().unwrap();
    let all: Vec<(String, u64, Vec<u8>)> = list
        .iter()
        .map(|s| {
            let (key, _) = store.analysis(s.id.as_str()).unwrap().unwrap();
            (s.id.as_str().to_owned(), key, one.clone())
        })
        .collect();
    store.put_analyses(&all, true).unwrap();
    all
}

#[test]
fn a_later_run_reads_the_stored_analyses_and_finds_the_same_patterns() {
    let (_dir, store, list) = store_with(3_000);
    assert_eq!(store.analyses_stored().unwrap().0, 0);
    let first = redline_core::mining::mine_store(&store, &Scope::default()).unwrap();
    let (stored, bytes) = store.analyses_stored().unwrap();
    assert_eq!(stored, 3_000);
    assert!(bytes > 0);
    let second = redline_core::mining::mine_store(&store, &Scope::default()).unwrap();
    assert_eq!(first, second);
    // It is the stored analysis that a later run reads: one settlement's analysis, stored
    // under every settlement's key, makes every settlement look like that one.
    let all = one_analysis_everywhere(&store, &list, &list[1]);
    let swapped = redline_core::mining::mine_store(&store, &Scope::default()).unwrap();
    assert_ne!(first, swapped);
    // Put back as they were made.
    let redone: Vec<(String, u64, Vec<u8>)> =
        all.into_iter().map(|(id, _, b)| (id, 0, b)).collect();
    store.put_analyses(&redone, true).unwrap();
    assert_eq!(
        redline_core::mining::mine_store(&store, &Scope::default()).unwrap(),
        first
    );
    // A changed settlement drops its analysis; the next run makes it again.
    let mut changed = list[0].clone();
    changed.final_output.push_str(" Owner: Dana.");
    store.upsert_batch(&[changed]).unwrap();
    assert_eq!(store.analyses_stored().unwrap().0, 2_999);
    let third = redline_core::mining::mine_store(&store, &Scope::default()).unwrap();
    assert_eq!(store.analyses_stored().unwrap().0, 3_000);
    assert_eq!(third.settlements, 3_000);
}

#[test]
fn a_damaged_or_outdated_analysis_is_made_again() {
    let (_dir, store, list) = store_with(1_000);
    let fresh = redline_core::mining::mine_store(&store, &Scope::default()).unwrap();
    // Garbage under every key, and a wrong key (an older analysis version) for some.
    let damaged: Vec<(String, u64, Vec<u8>)> = list
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str().to_owned(), i as u64, vec![0xff; i % 7]))
        .collect();
    store.put_analyses(&damaged, true).unwrap();
    let again = redline_core::mining::mine_store(&store, &Scope::default()).unwrap();
    assert_eq!(fresh, again);
    // Analyses of settlements no longer in the store are not kept.
    let saved = store
        .put_analyses(&[("no-such-id".to_owned(), 1, vec![1, 2, 3])], true)
        .unwrap();
    assert_eq!(saved, 0);
}

/// Settlements of sample data and of real edits (the hand-labelled MLQE-PE edits, each put
/// back into its sentence), with and without a source acceptance rate.
fn mixed_store() -> (tempfile::TempDir, Store, Vec<redline_core::Settlement>) {
    let (dir, store, mut list) = store_with(600);
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
        .unwrap()
        .to_utc();
    for (i, line) in include_str!("data/edit-labels.jsonl").lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let part = |k: &str| v[k].as_str().unwrap_or("").to_owned();
        let (before, after) = (part("before"), part("after"));
        let mut s = list[i % 600].clone();
        s.id = redline_core::model::SettlementId::new(format!("real-{i}")).unwrap();
        s.agent = redline_core::model::AgentName::new("Real").unwrap();
        s.ai_output = format!("{before}{}{after}", part("old"));
        s.final_output = format!("{before}{}{after}", part("new"));
        s.acceptance_rate = None;
        s.created_at = start + chrono::Duration::minutes(i as i64);
        list.push(s);
    }
    store.upsert_batch(&list[600..]).unwrap();
    (dir, store, list)
}

/// Each settlement's measures, as a fresh diff makes them, in the order `observations` gives.
fn fresh_measures(list: &[redline_core::Settlement]) -> Vec<redline_core::analytics::Observation> {
    let mut out: Vec<_> = list.iter().map(redline_core::analytics::observe).collect();
    out.sort_by_key(|o| (o.at, o.content));
    out
}

fn sorted(
    mut v: Vec<redline_core::analytics::Observation>,
) -> Vec<redline_core::analytics::Observation> {
    v.sort_by_key(|o| (o.at, o.content));
    v
}

#[test]
fn measuring_stores_the_analysis_that_a_mining_then_reads_back() {
    let (_dir, store, list) = mixed_store();
    assert_eq!(store.analyses_stored().unwrap().0, 0);
    let measured = redline_core::analytics::observations(&store, None, None).unwrap();
    // One diff per settlement served both: the measures are those of a diff of their own, and
    // the pattern analysis made with them is stored.
    assert_eq!(sorted(measured), fresh_measures(&list));
    assert_eq!(store.analyses_stored().unwrap().0, list.len() as u64);
    // The mining reads those analyses back: the same report as a store mined from scratch.
    let mined = redline_core::mining::mine_store(&store, &Scope::default()).unwrap();
    let (_other_dir, other, _) = mixed_store();
    assert_eq!(
        mined,
        redline_core::mining::mine_store(&other, &Scope::default()).unwrap()
    );
}

#[test]
fn measures_come_from_a_stored_analysis_without_a_second_diff() {
    let (_dir, store, list) = mixed_store();
    redline_core::mining::mine_store(&store, &Scope::default()).unwrap();
    assert_eq!(store.analyses_stored().unwrap().0, list.len() as u64);
    let measured = redline_core::analytics::observations(&store, None, None).unwrap();
    assert_eq!(sorted(measured), fresh_measures(&list));

    // It is the stored analysis they come from: with one settlement's analysis stored under
    // every settlement's key (no measures kept yet), every settlement without a rate of its
    // own gets that one's edit cost.
    let (dir2, store2, list2) = mixed_store();
    redline_core::mining::mine_store(&store2, &Scope::default()).unwrap();
    let donor = list2.iter().find(|s| s.id.as_str() == "real-0").unwrap();
    one_analysis_everywhere(&store2, &list2, donor);
    let donor_cost = redline_core::analytics::observe(donor).edit_cost;
    let swapped = redline_core::analytics::observations(&store2, None, None).unwrap();
    assert!(swapped.iter().all(|o| o.edit_cost == donor_cost));
    assert_ne!(sorted(swapped), fresh_measures(&list2));
    drop(dir2);
}

/// A scan stops when its visitor says so, through the time index and through an agent's: a
/// cancelled mining (the app's background pass, when the person asks for one) does not go on
/// reading and decoding every remaining record.
#[test]
fn a_scan_stops_when_its_visitor_says_so() {
    use std::ops::ControlFlow;
    let (_dir, store, list) = store_with(500);
    for agent in [None, Some(list[0].agent.as_str())] {
        let mut seen = 0;
        store
            .scan_with_analyses(agent, None, None, |_, _| {
                seen += 1;
                if seen == 7 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
            .unwrap();
        assert_eq!(seen, 7, "{agent:?}");
        let mut all = 0;
        store
            .scan_with_analyses(agent, None, None, |_, _| {
                all += 1;
                ControlFlow::Continue(())
            })
            .unwrap();
        assert!(all > 7, "{agent:?}: {all}");
    }
}

/// A mining cancelled as its last step ends gives nothing (its examples' contexts are not read
/// from the store after the cancel): the app's background pass, cancelled when the person asks
/// for a mining, stops at once.
#[test]
fn a_mining_cancelled_as_it_ends_gives_nothing() {
    let (_dir, store, _) = store_with(600);
    let cancel = redline_core::job::Cancel::new();
    let trip = cancel.clone();
    let mut last = None;
    let got = redline_core::mining::mine_store_with(
        &store,
        &Scope::default(),
        &mut |s| {
            last = Some((s.done, s.total));
            if s.total == Some(s.done) {
                trip.cancel();
            }
        },
        &cancel,
    )
    .unwrap();
    assert_eq!(last.map(|(d, t)| Some(d) == t), Some(true), "{last:?}");
    assert!(got.is_none());
    // Not cancelled, the same mining gives its report.
    assert!(redline_core::mining::mine_store_with(
        &store,
        &Scope::default(),
        &mut |_| {},
        &redline_core::job::Cancel::new()
    )
    .unwrap()
    .is_some());
}
