//! The emerging-pattern rule by simulation (docs/learning.md): with the time order destroyed
//! (each agent's dates shuffled among its own settlements, so the last 7 days and the 30
//! before come from one distribution) it raises almost nothing, across seeds; a phrase planted
//! into 40% of one agent's recent drafts, and deleted by people, is found in every run.

use chrono::{Duration, NaiveDate, Utc};
use redline_core::learning::auto_detect_regression;
use redline_core::model::Settlement;
use redline_core::sample::{self, end_of_day, SampleSpec};
use redline_core::store::Store;
use std::collections::BTreeMap;

/// SplitMix64: a seeded permutation without a dependency.
fn shuffle<T>(v: &mut [T], seed: u64) {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..v.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

/// Sample settlements over 40 days with each agent's dates shuffled among its settlements.
fn exchangeable(seed: u64, end: chrono::DateTime<Utc>) -> Vec<Settlement> {
    let mut all = sample::generate(&SampleSpec {
        count: 2500,
        seed,
        end,
        days: 40,
        ..Default::default()
    });
    let mut by_agent: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in all.iter().enumerate() {
        by_agent
            .entry(s.agent.as_str().to_owned())
            .or_default()
            .push(i);
    }
    for (k, idx) in by_agent.values().enumerate() {
        let mut dates: Vec<_> = idx.iter().map(|&i| all[i].created_at).collect();
        shuffle(&mut dates, seed * 31 + k as u64);
        for (&i, d) in idx.iter().zip(dates) {
            all[i].created_at = d;
        }
    }
    all
}

#[test]
fn emerging_patterns_hold_their_false_discovery_rate_and_find_a_planted_phrase() {
    let end = end_of_day(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
    let (mut false_patterns, mut found) = (0, 0);
    let runs = 4;
    for seed in 1..=runs {
        let mut all = exchangeable(seed, end);
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        store.upsert_batch(&all).unwrap();
        let emerging = |f: &redline_core::learning::Finding| f.kind == "emerging_pattern";
        let null: Vec<_> = auto_detect_regression(&store, end)
            .unwrap()
            .into_iter()
            .filter(emerging)
            .collect();
        for f in &null {
            eprintln!("seed {seed}, no change planted: {}", f.message);
        }
        false_patterns += null.len();
        // Plant: 40% of The Librarian's drafts of the last 7 days gain a sentence people delete.
        let mut planted = 0;
        for (i, s) in all.iter_mut().enumerate() {
            if s.agent.as_str() == "The Librarian"
                && s.created_at > end - Duration::days(7)
                && i % 5 < 2
            {
                s.ai_output
                    .push_str(" Please consult the archived appendix before deciding.");
                planted += 1;
            }
        }
        assert!(planted >= 10, "{planted}");
        store.upsert_batch(&all).unwrap();
        let hit = auto_detect_regression(&store, end)
            .unwrap()
            .into_iter()
            .filter(emerging)
            .any(|f| {
                f.agent == "The Librarian"
                    && f.evidence["phrase"]
                        .as_str()
                        .is_some_and(|p| p.contains("archived appendix"))
            });
        found += usize::from(hit);
    }
    eprintln!("{runs} runs: {false_patterns} false patterns, planted phrase found in {found}");
    assert!(
        false_patterns <= 1,
        "{false_patterns} false patterns in {runs} runs"
    );
    assert_eq!(found, runs as usize);
}
