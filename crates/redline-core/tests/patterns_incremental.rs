//! The incremental miner gives exactly what a full run gives: after new, changed and removed
//! settlements (in memory, in any order), and through a real store's change log, including a
//! moved date range, an agent that disappears, and an update that was cancelled.

use chrono::{Duration, NaiveDate};
use redline_core::job::{no_progress, Cancel};
use redline_core::mining::{LiveMiner, Miners, Refresh};
use redline_core::model::{AgentName, Settlement, SettlementId};
use redline_core::patterns::{self, Change, Miner, Scope};
use redline_core::sample::{self, SampleSpec};
use redline_core::store::{Batch, Store};

fn spec(count: usize) -> SampleSpec {
    SampleSpec {
        count,
        seed: 5,
        end: sample::end_of_day(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()),
        ..Default::default()
    }
}

fn build(settlements: &[Settlement]) -> Miner {
    Miner::build::<std::convert::Infallible>(
        |visit| {
            settlements.iter().cloned().for_each(visit);
            Ok(())
        },
        None,
        &mut no_progress,
        &Cancel::new(),
    )
    .unwrap()
    .unwrap()
}

/// A different final version: the person also cut the last sentence.
fn edited(s: &Settlement) -> Settlement {
    let mut s = s.clone();
    let cut = s.final_output.trim_end().rfind(". ").unwrap_or(0);
    s.final_output.truncate(cut);
    s.final_output.push_str(". Reviewed again by the team.");
    s
}

/// A deterministic shuffle (the miner's results must not depend on the order of arrival).
fn shuffled(mut v: Vec<Settlement>, seed: u64) -> Vec<Settlement> {
    let mut x = seed;
    for i in (1..v.len()).rev() {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        v.swap(i, (x >> 33) as usize % (i + 1));
    }
    v
}

#[test]
fn updates_in_memory_equal_a_full_run() {
    let all = sample::generate(&spec(4000));
    let (first, rest) = all.split_at(3000);
    let mut miner = build(first);
    assert_eq!(miner.report().unwrap(), patterns::mine_slice(first));

    // Round 1: 700 new (shuffled), 60 changed, 40 removed, 100 offered again unchanged.
    let mut now: Vec<Settlement> = first.to_vec();
    let mut changes: Vec<Change> = shuffled(rest[..700].to_vec(), 1)
        .into_iter()
        .map(Change::upsert)
        .collect();
    for k in (0..3000).step_by(50) {
        now[k] = edited(&now[k]);
        changes.push(Change::upsert(now[k].clone()));
    }
    for k in (7..3000).step_by(75) {
        changes.push(Change::Remove(now[k].id.as_str().to_owned()));
    }
    let untouched = (1000..3000).filter(|k| k % 50 != 0 && (k - 7) % 75 != 0);
    changes.extend(untouched.take(100).map(|k| Change::upsert(now[k].clone())));
    let removed: Vec<SettlementId> = (7..3000).step_by(75).map(|k| now[k].id.clone()).collect();
    now.retain(|s| !removed.contains(&s.id));
    now.extend_from_slice(&rest[..700]);
    let done = miner.update(changes, &Cancel::new()).unwrap();
    assert_eq!(done.analysed, 700 + 60, "{done:?}");
    assert_eq!(done.removed, 40);
    assert_eq!(done.unchanged, 100);
    assert_eq!(miner.len(), now.len());
    assert_eq!(miner.report().unwrap(), patterns::mine_slice(&now));

    // Round 2: the rest, plus one agent taken out altogether.
    let gone = now[0].agent.clone();
    let others: Vec<Settlement> = rest[700..]
        .iter()
        .filter(|s| s.agent != gone)
        .cloned()
        .collect();
    let mut changes: Vec<Change> = others.iter().cloned().map(Change::upsert).collect();
    changes.extend(
        now.iter()
            .filter(|s| s.agent == gone)
            .map(|s| Change::Remove(s.id.as_str().to_owned())),
    );
    now.retain(|s| s.agent != gone);
    now.extend(others);
    miner.update(changes, &Cancel::new()).unwrap();
    let report = miner.report().unwrap();
    assert!(report.agents.iter().all(|a| a.agent != gone.as_str()));
    assert_eq!(report, patterns::mine_slice(&now));

    // Round 3: the agent comes back, under a new name.
    let renamed: Vec<Settlement> = all
        .iter()
        .filter(|s| s.agent == gone)
        .map(|s| {
            let mut s = s.clone();
            s.agent = AgentName::new("The Returner").unwrap();
            s
        })
        .collect();
    miner.update(
        renamed.iter().cloned().map(Change::upsert).collect(),
        &Cancel::new(),
    );
    now.extend(renamed);
    assert_eq!(miner.report().unwrap(), patterns::mine_slice(&now));
}

#[test]
fn a_cancelled_update_is_finished_by_the_next() {
    let all = sample::generate(&spec(2500));
    let mut miner = build(&all[..2000]);
    let cancel = Cancel::new();
    cancel.cancel();
    let changes = all[2000..].iter().cloned().map(Change::upsert).collect();
    // Cancelled before the search for new phrases, or finished if there was none to do.
    if miner.update(changes, &cancel).is_none() {
        assert!(miner.report().is_none());
        miner.update(Vec::new(), &Cancel::new()).unwrap();
    }
    assert_eq!(miner.report().unwrap(), patterns::mine_slice(&all));
}

#[test]
fn a_live_miner_follows_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let all = sample::generate(&spec(3500));
    store.upsert_batch(&all[..3000]).unwrap();
    let end = spec(1).end;
    let scope = Scope {
        from: Some(end - Duration::days(120)),
        to: Some(end - Duration::days(10)),
        ..Default::default()
    };
    let mut slot = None;
    let mine = |slot: &mut Option<LiveMiner>, scope: &Scope| {
        LiveMiner::mine(slot, &store, scope, &mut no_progress, &Cancel::new())
            .unwrap()
            .unwrap()
    };
    let (report, how) = mine(&mut slot, &scope);
    assert_eq!(how, Refresh::Full);
    assert_eq!(
        report,
        redline_core::mining::mine_store(&store, &scope).unwrap()
    );

    // Nothing changed: nothing analysed.
    let (_, how) = mine(&mut slot, &scope);
    assert_eq!(how, Refresh::Incremental(Default::default()));

    // 500 new, 30 changed, 20 deleted, written as a sync would.
    let changed: Vec<Settlement> = all[..3000].iter().step_by(100).map(edited).collect();
    let deleted: Vec<SettlementId> = all[..3000]
        .iter()
        .skip(13)
        .step_by(150)
        .map(|s| s.id.clone())
        .collect();
    let mut upserts = all[3000..].to_vec();
    upserts.extend(changed);
    store
        .write(Batch {
            upserts: &upserts,
            deletes: &deleted,
            ..Default::default()
        })
        .unwrap();
    let (report, how) = mine(&mut slot, &scope);
    let Refresh::Incremental(done) = how else {
        panic!("{how:?}")
    };
    assert!(done.analysed > 0 && done.analysed < 600, "{done:?}");
    assert_eq!(
        report,
        redline_core::mining::mine_store(&store, &scope).unwrap()
    );

    // The range moves (a week later, and a longer look back): still incremental, still exact.
    let later = Scope {
        from: Some(end - Duration::days(200)),
        to: Some(end - Duration::days(3)),
        ..Default::default()
    };
    let (report, how) = mine(&mut slot, &later);
    assert!(matches!(how, Refresh::Incremental(_)), "{how:?}");
    assert_eq!(
        report,
        redline_core::mining::mine_store(&store, &later).unwrap()
    );
    let shorter = Scope {
        from: Some(end - Duration::days(30)),
        to: None,
        ..Default::default()
    };
    let (report, _) = mine(&mut slot, &shorter);
    assert_eq!(
        report,
        redline_core::mining::mine_store(&store, &shorter).unwrap()
    );

    // Another agent: a new miner.
    let one = Scope {
        agent: Some(all[0].agent.as_str().to_owned()),
        ..Default::default()
    };
    let (report, how) = mine(&mut slot, &one);
    assert_eq!(how, Refresh::Full);
    assert_eq!(
        report,
        redline_core::mining::mine_store(&store, &one).unwrap()
    );
}

#[test]
fn recently_mined_agents_keep_their_miners() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let all = sample::generate(&spec(2000));
    store.upsert_batch(&all[..1800]).unwrap();
    let agent = |name: &str| Scope {
        agent: Some(name.to_owned()),
        ..Default::default()
    };
    let mut agents: Vec<String> = all.iter().map(|s| s.agent.to_string()).collect();
    agents.sort();
    agents.dedup();
    let (a, b, c) = (agent(&agents[0]), agent(&agents[1]), agent(&agents[2]));
    let mut miners = Miners::new(2, usize::MAX);
    let mut how = |scope: &Scope| {
        let (report, how) = miners
            .mine(&store, scope, &mut no_progress, &Cancel::new())
            .unwrap()
            .unwrap();
        assert_eq!(
            report,
            redline_core::mining::mine_store(&store, scope).unwrap()
        );
        how
    };
    assert_eq!(how(&a), Refresh::Full);
    assert_eq!(how(&b), Refresh::Full);
    assert_eq!(how(&a), Refresh::Incremental(Default::default()));
    store.upsert_batch(&all[1800..]).unwrap();
    let Refresh::Incremental(done) = how(&b) else {
        panic!("b was kept")
    };
    assert_eq!(
        done.analysed,
        all[1800..]
            .iter()
            .filter(|s| s.agent.as_str() == agents[1])
            .count()
    );
    // A third agent: the least recently used one (a) goes.
    assert_eq!(how(&c), Refresh::Full);
    assert!(matches!(how(&b), Refresh::Incremental(_)));
    assert_eq!(how(&a), Refresh::Full);

    // A budget of memory: two miners that together hold more than it cannot both stay.
    let held = |s: &Scope| {
        let mut one = None;
        LiveMiner::mine(&mut one, &store, s, &mut no_progress, &Cancel::new()).unwrap();
        one.expect("kept").heap().total()
    };
    let mut miners = Miners::new(4, held(&a) + held(&b) - 1);
    let mut how = |scope: &Scope| {
        miners
            .mine(&store, scope, &mut no_progress, &Cancel::new())
            .unwrap()
            .unwrap()
            .1
    };
    assert_eq!(how(&a), Refresh::Full);
    assert_eq!(how(&b), Refresh::Full);
    assert!(matches!(how(&b), Refresh::Incremental(_)));
    assert_eq!(how(&a), Refresh::Full);

    // Miners asked for recently stay; once nobody has asked for a while, they go.
    let mut miners = Miners::new(4, usize::MAX);
    miners
        .mine(&store, &a, &mut no_progress, &Cancel::new())
        .unwrap()
        .unwrap();
    assert!(!miners.release_if_idle(std::time::Duration::from_secs(3600)));
    assert!(miners.heap() > 0);
    assert!(miners.release_if_idle(std::time::Duration::ZERO));
    assert_eq!(miners.heap(), 0);
    assert!(
        !miners.release_if_idle(std::time::Duration::ZERO),
        "nothing left"
    );

    // A miner larger than the whole budget is not kept at all.
    let mut miners = Miners::new(4, held(&a).min(held(&b)) - 1);
    for _ in 0..2 {
        for s in [&a, &b] {
            let (_, how) = miners
                .mine(&store, s, &mut no_progress, &Cancel::new())
                .unwrap()
                .unwrap();
            assert_eq!(how, Refresh::Full);
            assert_eq!(miners.heap(), 0);
        }
    }
}

#[test]
fn a_large_change_is_mined_in_full_rather_than_held_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    // A scope with nothing in it keeps each run cheap; what counts is how it is run.
    let scope = Scope {
        agent: Some("Nobody".into()),
        ..Default::default()
    };
    let mut slot = None;
    let mut how = || {
        LiveMiner::mine(&mut slot, &store, &scope, &mut no_progress, &Cancel::new())
            .unwrap()
            .unwrap()
            .1
    };
    assert_eq!(how(), Refresh::Full);
    store
        .upsert_batch(&sample::generate(&spec(10_000)))
        .unwrap();
    // 10,000 changed records: still an update (of nothing in scope here).
    assert_eq!(how(), Refresh::Incremental(Default::default()));
    let more = sample::generate(&SampleSpec {
        seed: 6,
        ..spec(10_001)
    });
    store.upsert_batch(&more).unwrap();
    assert_eq!(how(), Refresh::Full);
}

/// All agents' n-grams are the agents' added up: right with one agent, after more arrive,
/// and after the first leaves.
#[test]
fn a_second_agent_arriving_gives_all_agents_their_own_counts() {
    let all = sample::generate(&spec(3000));
    let first = all[0].agent.clone();
    let (one, others): (Vec<Settlement>, Vec<Settlement>) =
        all.iter().cloned().partition(|s| s.agent == first);
    let mut miner = build(&one);
    assert_eq!(miner.report().unwrap(), patterns::mine_slice(&one));
    let alone = miner.heap().grams;

    let mut now = one.clone();
    now.extend(others.iter().cloned());
    miner
        .update(
            others.into_iter().map(Change::upsert).collect(),
            &Cancel::new(),
        )
        .unwrap();
    assert_eq!(miner.report().unwrap(), patterns::mine_slice(&now));
    assert!(miner.heap().grams > alone, "the other agents counted");

    // Taking the first agent's settlements out again leaves the others' counts right.
    let gone: Vec<Change> = one
        .iter()
        .map(|s| Change::Remove(s.id.as_str().to_owned()))
        .collect();
    now.retain(|s| s.agent != first);
    miner.update(gone, &Cancel::new()).unwrap();
    assert_eq!(miner.report().unwrap(), patterns::mine_slice(&now));
}

/// The background pass stores every settlement's analysis once, redoes only changed ones, and a
/// mining then reads them back to the same report.
#[test]
fn stored_analyses_are_made_once_and_read_back_by_mining() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("a.redb")).unwrap();
    let mut all = sample::generate(&spec(1200));
    store.upsert_batch(&all).unwrap();
    let fresh = redline_core::mining::mine_store(&store, &Scope::default()).unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let store2 = Store::open(&dir2.path().join("b.redb")).unwrap();
    store2.upsert_batch(&all).unwrap();
    let mut steps = 0;
    let done =
        redline_core::mining::store_analyses(&store2, &mut |_| steps += 1, &Cancel::new()).unwrap();
    assert_eq!(done, Some(1200));
    assert!(steps >= 2);
    assert_eq!(store2.analyses_stored().unwrap().0, 1200);
    let again =
        redline_core::mining::store_analyses(&store2, &mut no_progress, &Cancel::new()).unwrap();
    assert_eq!(again, Some(0), "nothing left to analyse");
    assert_eq!(
        redline_core::mining::mine_store(&store2, &Scope::default()).unwrap(),
        fresh
    );
    // One changed settlement is analysed again, and only it.
    all[7] = edited(&all[7]);
    store2.upsert_batch(&all[7..8]).unwrap();
    let once =
        redline_core::mining::store_analyses(&store2, &mut no_progress, &Cancel::new()).unwrap();
    assert_eq!(once, Some(1));
    // Cancelled before it starts: nothing analysed, and it says so.
    let cancel = Cancel::new();
    cancel.cancel();
    all[9] = edited(&all[9]);
    store2.upsert_batch(&all[9..10]).unwrap();
    assert_eq!(
        redline_core::mining::store_analyses(&store2, &mut no_progress, &cancel).unwrap(),
        None
    );
}
