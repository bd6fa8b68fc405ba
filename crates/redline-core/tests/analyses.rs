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
    let (_, one) = store.analysis(list[1].id.as_str()).unwrap().unwrap();
    let all: Vec<(String, u64, Vec<u8>)> = list
        .iter()
        .map(|s| {
            let (key, _) = store.analysis(s.id.as_str()).unwrap().unwrap();
            (s.id.as_str().to_owned(), key, one.clone())
        })
        .collect();
    store.put_analyses(&all, true).unwrap();
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
