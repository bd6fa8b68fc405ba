//! Analytics over sample data read back from a real store.

use chrono::{Duration, Utc};
use redline_core::analytics::{self, Range, DEFAULT_ACCEPT_THRESHOLD};
use redline_core::sample::{self, SampleSpec, REGRESSING_AGENT};
use redline_core::store::Store;

#[test]
fn the_planted_regression_shows_and_stable_agents_stay_put() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let now = Utc::now();
    let spec = SampleSpec {
        count: 6000,
        seed: 11,
        end: now,
        ..Default::default()
    };
    store.upsert_batch(&sample::generate(&spec)).unwrap();
    let mut observations = Vec::new();
    store
        .scan(None, Some(now), |s| {
            observations.push(analytics::observe(&s))
        })
        .unwrap();
    assert_eq!(observations.len(), 6000);
    // Oldest first, as stored.
    assert!(observations.windows(2).all(|w| w[0].at <= w[1].at));

    let recent = analytics::summarize(&observations, Range::Days(7), now, DEFAULT_ACCEPT_THRESHOLD);
    let baseline: Vec<_> = observations
        .iter()
        .filter(|o| o.at <= now - Duration::days(14))
        .cloned()
        .collect();
    let before = analytics::summarize(&baseline, Range::All, now, DEFAULT_ACCEPT_THRESHOLD);
    for agent in sample::AGENTS {
        let last = recent.agents.iter().find(|a| a.agent == agent).unwrap();
        let base = before.agents.iter().find(|a| a.agent == agent).unwrap();
        let drop = base.acceptance.value - last.acceptance.value;
        if agent == REGRESSING_AGENT {
            assert!(drop > 0.10, "{agent}: drop {drop:.3}");
            // Larger than noise: the intervals do not overlap.
            assert!(last.acceptance.high.unwrap() < base.acceptance.low.unwrap());
        } else {
            assert!(drop.abs() < 0.06 || drop < 0.0, "{agent}: drop {drop:.3}");
        }
    }
    // The alert rule flags the planted regression, and only that agent.
    let raised = analytics::alerts(&observations, now);
    assert!(
        raised.iter().any(
            |a| matches!(a, analytics::Alert::Drop { agent, .. } if agent == REGRESSING_AGENT)
        ),
        "{raised:?}"
    );
    assert!(
        raised.iter().all(|a| a.agent() == REGRESSING_AGENT),
        "{raised:?}"
    );

    // Every acceptance is in 0..1 and comes from the source or the texts.
    assert!(observations
        .iter()
        .all(|o| (0.0..=1.0).contains(&o.acceptance)));
    assert!(observations.iter().any(|o| !o.acceptance_from_source));
}

#[test]
fn scan_respects_its_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let now = Utc::now();
    let all = sample::generate(&SampleSpec {
        count: 500,
        seed: 3,
        end: now,
        ..Default::default()
    });
    store.upsert_batch(&all).unwrap();
    let from = now - Duration::days(30);
    let mut seen = 0;
    store
        .scan(Some(from), Some(now), |s| {
            assert!(s.created_at >= from && s.created_at <= now);
            seen += 1;
        })
        .unwrap();
    let expected = all.iter().filter(|s| s.created_at >= from).count();
    assert_eq!(seen, expected);
    let mut none = 0;
    store.scan(Some(now), Some(from), |_| none += 1).unwrap();
    assert_eq!(none, 0);
}

#[test]
fn cached_measures_match_and_follow_edits() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let now = Utc::now();
    let all = sample::generate(&SampleSpec {
        count: 2500,
        seed: 8,
        end: now,
        ..Default::default()
    });
    store.upsert_batch(&all).unwrap();
    let mut direct = Vec::new();
    store
        .scan(None, None, |s| direct.push(analytics::observe(&s)))
        .unwrap();
    let first = analytics::observations(&store, None, None).unwrap();
    let second = analytics::observations(&store, None, None).unwrap();
    let key = |v: &Vec<analytics::Observation>| {
        let mut v: Vec<String> = v.iter().map(|o| format!("{o:?}")).collect();
        v.sort();
        v
    };
    assert_eq!(key(&first), key(&direct));
    assert_eq!(key(&second), key(&direct));
    // Edit a settlement: its cached measures are dropped and measured again.
    let mut edited = all[10].clone();
    edited.final_output = String::new();
    edited.acceptance_rate = None;
    store.upsert_batch(std::slice::from_ref(&edited)).unwrap();
    let third = analytics::observations(&store, None, None).unwrap();
    let o = third.iter().find(|o| {
        o.at == edited.created_at && o.agent == edited.agent.as_str() && o.acceptance == 0.0
    });
    assert!(o.is_some(), "the edit was not measured again");
    // A range returns only its settlements.
    let week = analytics::observations(&store, Some(now - Duration::days(7)), Some(now)).unwrap();
    assert!(week.iter().all(|o| o.at > now - Duration::days(7)));
    assert_eq!(
        week.len(),
        all.iter()
            .filter(|s| s.created_at >= now - Duration::days(7))
            .count()
    );
}
