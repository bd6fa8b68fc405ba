//! Analytics over sample data read back from a real store.

use chrono::{Duration, Utc};
use redline_core::analytics::{self, Range, DEFAULT_ACCEPT_THRESHOLD};
use redline_core::sample::{self, SampleSpec, REGRESSING_AGENT};
use redline_core::store::Store;

#[test]
fn the_planted_regression_shows_and_stable_agents_stay_put() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    // A fixed Friday evening: how many of the last 7 days' settlements an agent has depends
    // on the weekday and hour the sample ends (it moves weekend days to the Friday before), and
    // the stable agents' noise with it (with `Utc::now()` this failed on Sunday mornings).
    let now = sample::end_of_day(chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
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
    let raised = analytics::alerts(&observations, now, analytics::DEFAULT_ACCEPT_THRESHOLD);
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

#[test]
fn watch_stores_one_incident_per_agent_once_and_an_acknowledged_one_stays_quiet() {
    use redline_core::learning::incidents;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    // A fixed Friday evening, as above: with `Utc::now()` a Monday afternoon's sample put an
    // emerging phrase at its test's edge, found by the check 5 minutes later and not by the
    // first (2026-12-07).
    let now = sample::end_of_day(chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
    let key = format!("agent:{REGRESSING_AGENT}");
    {
        let store = Store::open(&path).unwrap();
        store
            .upsert_batch(&sample::generate(&SampleSpec {
                count: 4000,
                seed: 5,
                end: now,
                ..Default::default()
            }))
            .unwrap();
        let first = incidents::watch(&store, now).unwrap();
        let regressing: Vec<_> = first
            .active
            .iter()
            .filter(|i| i.agent == REGRESSING_AGENT)
            .collect();
        // One regressing agent is one incident, led by its drop, with its other findings inside.
        assert_eq!(regressing.len(), 1, "{:#?}", first.active);
        assert_eq!(regressing[0].key, key);
        assert_eq!(regressing[0].kind, "drop");
        assert!(regressing[0].parts.len() > 1, "{:#?}", regressing[0].parts);
        assert!(first.raised.iter().any(|i| i.key == key));
        // The same data again: nothing new to announce.
        let again = incidents::watch(&store, now + Duration::minutes(5)).unwrap();
        assert!(again.raised.is_empty(), "{:?}", again.raised);
        let acked = incidents::acknowledge(&store, &key, now).unwrap().unwrap();
        assert!(!acked.open && acked.parts.iter().all(|p| p.acknowledged.is_some()));
        assert!(incidents::acknowledge(&store, "agent:Nobody", now)
            .unwrap()
            .is_none());
    }
    // Reopened (as after a restart): the acknowledgement survived and stays quiet.
    let store = Store::open(&path).unwrap();
    let later = incidents::watch(&store, now + Duration::minutes(10)).unwrap();
    assert!(
        later.raised.iter().all(|i| i.key != key),
        "{:?}",
        later.raised
    );
    let stored = incidents::stored(&store).unwrap();
    let incident = stored.iter().find(|i| i.key == key).unwrap();
    assert!(!incident.open);
    let drop = &incident.parts[0];
    assert!(drop.acknowledged.is_some() && drop.cleared.is_none());
    assert!(drop.evidence["p_value"].as_f64().unwrap() < 0.01);
}

#[test]
fn the_threshold_is_a_saved_setting_checked_on_the_way_in() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    assert_eq!(
        analytics::threshold(&store).unwrap(),
        DEFAULT_ACCEPT_THRESHOLD
    );
    analytics::set_threshold(&store, 0.8).unwrap();
    assert_eq!(analytics::threshold(&store).unwrap(), 0.8);
    let err = analytics::set_threshold(&store, 1.5).unwrap_err();
    assert!(err.to_string().contains("between 0 and 1"), "{err}");
    assert!(analytics::set_threshold(&store, f64::NAN).is_err());
    assert_eq!(analytics::threshold(&store).unwrap(), 0.8);
}

#[test]
fn a_custom_range_covers_whole_days_and_system_figures_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let now = Utc::now();
    store
        .upsert_batch(&sample::generate(&SampleSpec {
            count: 3000,
            seed: 8,
            end: now,
            ..Default::default()
        }))
        .unwrap();
    let all = analytics::observations(&store, None, None).unwrap();
    let day = |d: i64| (now - Duration::days(d)).date_naive();
    let range = Range::parse(&format!("{}..{}", day(40), day(20))).unwrap();
    let s = analytics::summarize(&all, range, now, DEFAULT_ACCEPT_THRESHOLD);
    let by_hand = all
        .iter()
        .filter(|o| o.at.date_naive() >= day(40) && o.at.date_naive() <= day(20))
        .count();
    assert!(by_hand > 100);
    assert_eq!(s.settlements, by_hand);
    assert_eq!(s.system.intents_processed, by_hand);
    // The sample data is clean: no duplicates, missing fields or empty texts.
    let q = &s.system.data_quality;
    assert_eq!(
        (q.duplicates, q.missing_fields, q.empty_texts),
        (0, 0, 0),
        "{q:?}"
    );
    assert!(q.score.unwrap() > 90.0, "{q:?}");
    // Readiness counts everything, not just the range.
    let above = all.iter().filter(|o| o.acceptance > 0.7).count();
    assert_eq!(s.system.readiness.above_bar, above);
    assert!(s.system.readiness.ready);
    // Six months of data: a weekly cycle can be tested for every agent.
    let whole = analytics::summarize(&all, Range::All, now, DEFAULT_ACCEPT_THRESHOLD);
    assert!(whole.agents.iter().all(|a| a.seasonality.is_some()));
    for a in &whole.agents {
        assert_eq!(a.edit_cost_histogram.iter().sum::<usize>(), a.settlements);
        assert!((0.0..=100.0).contains(&a.satisfaction));
    }
}
