use super::*;
use crate::experiments::results::verdict;
use crate::model::{
    Acceptance, AgentName, IntentType, Settlement, SettlementId, Source, SourceKind,
};
use chrono::TimeZone;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    (dir, store)
}

fn at(day: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0).unwrap() + Duration::minutes(i64::from(minute))
}

fn settlement(
    id: &str,
    agent: &str,
    tag: &str,
    acceptance: f64,
    when: DateTime<Utc>,
) -> Settlement {
    Settlement {
        id: SettlementId::new(id).unwrap(),
        agent: AgentName::new(agent).unwrap(),
        intent_type: IntentType::new("operational"),
        intent: "Plan the week.".into(),
        system_prompt: None,
        ai_output: "Draft.".into(),
        final_output: "Final.".into(),
        created_at: when,
        acceptance_rate: Some(Acceptance::new(acceptance).unwrap()),
        prompt_version: Some(tag.into()),
        processing_ms: None,
        error: None,
        source: Source {
            kind: SourceKind::Import,
            id: "test".into(),
            last_edited: None,
        },
    }
}

fn two_versions(store: &Store, agent: &str) {
    prompts::add(store, agent, "You are the auditor.", "", "").unwrap();
    prompts::add(store, agent, "You are the auditor. Be brief.", "", "").unwrap();
}

#[test]
fn routing_matches_the_published_test_vectors() {
    // Computed independently (Python hashlib); the same table is in the README.
    let e = "EXP-20261125-the-auditor-1";
    let at_half = ["B", "A", "B", "B", "B", "B", "B", "A"];
    let at_fifth = ["A", "A", "A", "A", "A", "B", "B", "A"];
    for i in 0..8 {
        let intent = format!("intent-{}", i + 1);
        let name = |v: Variant| if v == Variant::VariantB { "B" } else { "A" };
        assert_eq!(
            name(route_to_variant(e, &intent, 0.5)),
            at_half[i],
            "{intent}"
        );
        assert_eq!(
            name(route_to_variant(e, &intent, 0.2)),
            at_fifth[i],
            "{intent}"
        );
    }
    assert_eq!(route_to_variant("exp", "42", 0.5), Variant::VariantB);
    // The edges: nothing to B at 0, everything at 1.
    assert_eq!(route_to_variant(e, "intent-7", 0.0), Variant::VariantA);
    assert_eq!(route_to_variant(e, "intent-8", 1.0), Variant::VariantB);
    assert_eq!(Variant::VariantA.name(), "variant_a");
}

#[test]
fn routing_splits_100k_ids_within_one_percent() {
    for split in [0.5, 0.2, 0.9] {
        let b = (0..100_000)
            .filter(|i| {
                route_to_variant("EXP-x", &format!("intent-{i}"), split) == Variant::VariantB
            })
            .count();
        let share = b as f64 / 100_000.0;
        assert!((share - split).abs() < 0.01, "{split}: {share}");
    }
}

#[test]
fn creation_checks_its_inputs_and_plans_the_sample() {
    let (_dir, store) = store();
    let now = at(1, 0);
    let new = |a, b| NewExperiment {
        agent: "The Auditor".into(),
        a,
        b,
        ..Default::default()
    };
    assert!(matches!(
        create(&store, &new(1, 2), now),
        Err(ExperimentError::Prompt(PromptError::Unknown { .. }))
    ));
    two_versions(&store, "The Auditor");
    assert!(matches!(
        create(&store, &new(1, 1), now),
        Err(ExperimentError::Same(1))
    ));
    assert!(matches!(
        create(
            &store,
            &NewExperiment {
                split: Some(1.0),
                ..new(1, 2)
            },
            now
        ),
        Err(ExperimentError::Split(_))
    ));
    assert!(matches!(
        create(
            &store,
            &NewExperiment {
                mde: Some(0.0),
                ..new(1, 2)
            },
            now
        ),
        Err(ExperimentError::Mde(_))
    ));
    // The same prompt on two models is a valid comparison.
    let e = create(
        &store,
        &NewExperiment {
            model_b: Some("ft:gpt-4o-mini:acme".into()),
            ..new(1, 1)
        },
        now,
    )
    .unwrap();
    assert_eq!(
        (e.a.tag.as_str(), e.b.tag.as_str()),
        ("v1", "v1+ft:gpt-4o-mini:acme")
    );
    assert_eq!(e.id, "EXP-20261101-the-auditor-1");
    // No history: sd 0.25. A fixed-horizon test would need (2.8016² · 0.0625 · 4 / 0.01) / 2
    // = 98.1 → 99 per arm; the always-valid test that decides needs more (its plan simulates
    // it), and showing "alike" needs (1.9600 + 1.2816)² · 0.0625 · 4 / 0.01 / 2 = 131.3 → 132.
    assert_eq!(
        ab::sample_size(0.1, 0.25, 0.5, ALPHA, POWER).unwrap(),
        (99, 99)
    );
    assert_eq!(e.planned, (186, 186));
    assert_eq!(e.planned_equivalence, Some((132, 132)));
    assert!(matches!(
        create(&store, &new(1, 2), now),
        Err(ExperimentError::AlreadyRunning { .. })
    ));
    complete(&store, &e.id, now).unwrap();
    let second = create(&store, &new(1, 2), now).unwrap();
    assert_eq!(second.id, "EXP-20261101-the-auditor-2");
    assert_eq!(list(&store).unwrap().len(), 2);
}

#[test]
fn a_clear_winner_is_found_completed_and_deployed() {
    let (_dir, store) = store();
    two_versions(&store, "The Auditor");
    let start = at(2, 0);
    let e = create(
        &store,
        &NewExperiment {
            agent: "The Auditor".into(),
            a: 1,
            b: 2,
            ..Default::default()
        },
        start,
    )
    .unwrap();
    let r = results(&store, &e).unwrap();
    assert_eq!((r.a.n, r.b.n), (0, 0));
    assert!(
        r.verdict.reason.contains("No settlements yet"),
        "{}",
        r.verdict.reason
    );
    // Before the start, another agent, an unknown tag: none of these count.
    let mut batch = vec![
        settlement(
            "early",
            "The Auditor",
            "v2",
            1.0,
            start - Duration::minutes(1),
        ),
        settlement(
            "other",
            "The Librarian",
            "v2",
            1.0,
            start + Duration::minutes(1),
        ),
        settlement(
            "stray",
            "The Auditor",
            "v7",
            1.0,
            start + Duration::minutes(1),
        ),
    ];
    // Routed by the real function: B is 25 points better.
    for i in 0..300u32 {
        let intent = format!("intent-{i}");
        let is_b = route_to_variant(&e.id, &intent, e.split) == Variant::VariantB;
        let wobble = f64::from(i % 7) * 0.05;
        let x = if is_b { 0.65 + wobble } else { 0.4 + wobble };
        let tag = if is_b { "v2" } else { "V1" };
        batch.push(settlement(
            &intent,
            "The Auditor",
            tag,
            x,
            start + Duration::minutes(i64::from(i) + 1),
        ));
    }
    store.upsert_batch(&batch).unwrap();
    let r = results(&store, &e).unwrap();
    assert_eq!(r.a.n + r.b.n, 300);
    assert!(r.a.n > 100 && r.b.n > 100, "{} {}", r.a.n, r.b.n);
    let d = r.difference.unwrap();
    assert!((d.value - 0.25).abs() < 0.03, "{d:?}");
    assert!(r.sequential.p_value <= ALPHA, "{:?}", r.sequential);
    assert!(r.welch.unwrap().2 < 1e-6);
    assert!(r.chance_b_beats_a > 0.99);
    assert!(r.srm_p.unwrap() > ab::SRM_ALPHA);
    assert_eq!(r.verdict.winner, Winner::VariantB);
    assert!(r.verdict.decided);
    assert!(
        r.verdict.reason.starts_with("Variant B wins"),
        "{}",
        r.verdict.reason
    );
    assert_eq!(r.running.len(), 300);
    // Deploying needs a completed experiment.
    assert!(matches!(
        deploy(&store, &e.id, start),
        Err(ExperimentError::State { .. })
    ));
    let (done, _) = complete(&store, &e.id, start + Duration::days(1)).unwrap();
    assert_eq!(
        (done.status, done.winner),
        (Status::Completed, Some(Winner::VariantB))
    );
    // After completion, later settlements no longer count.
    store
        .upsert_batch(&[settlement(
            "late",
            "The Auditor",
            "v1",
            0.0,
            start + Duration::days(2),
        )])
        .unwrap();
    assert_eq!(results(&store, &done).unwrap().a.n, r.a.n);
    assert!(matches!(
        complete(&store, &e.id, start),
        Err(ExperimentError::State { .. })
    ));
    assert_eq!(
        prompts::active(&store, "The Auditor")
            .unwrap()
            .unwrap()
            .version,
        1,
        "the candidate is not active before it is deployed"
    );
    let deployed = deploy(&store, &e.id, start + Duration::days(1)).unwrap();
    assert_eq!(deployed.status, Status::WinnerDeployed);
    assert_eq!(
        prompts::active(&store, "The Auditor")
            .unwrap()
            .unwrap()
            .version,
        2
    );
    assert_eq!(get(&store, &e.id).unwrap().status, Status::WinnerDeployed);
}

#[test]
fn inconclusive_results_say_how_much_more_data_is_needed_and_cannot_be_deployed() {
    let (_dir, store) = store();
    two_versions(&store, "A");
    let start = at(3, 0);
    let e = create(
        &store,
        &NewExperiment {
            agent: "A".into(),
            a: 1,
            b: 2,
            ..Default::default()
        },
        start,
    )
    .unwrap();
    let batch: Vec<Settlement> = (0..20u32)
        .map(|i| {
            let tag = if i % 2 == 0 { "v1" } else { "v2" };
            settlement(
                &format!("s{i}"),
                "A",
                tag,
                0.5 + f64::from(i % 5) * 0.1,
                start + Duration::minutes(i64::from(i)),
            )
        })
        .collect();
    store.upsert_batch(&batch).unwrap();
    let r = results(&store, &e).unwrap();
    assert_eq!(r.verdict.winner, Winner::Inconclusive);
    assert!(!r.verdict.decided);
    assert!(
        r.verdict
            .reason
            .starts_with("Not enough data yet: ~176 more settlements for A"),
        "{}",
        r.verdict.reason
    );
    let (done, _) = complete(&store, &e.id, start + Duration::hours(1)).unwrap();
    assert_eq!(done.winner, Some(Winner::Inconclusive));
    assert!(matches!(
        deploy(&store, &e.id, start),
        Err(ExperimentError::NoWinner(_))
    ));
}

#[test]
fn a_broken_split_is_flagged() {
    let (_dir, store) = store();
    two_versions(&store, "A");
    let start = at(4, 0);
    let e = create(
        &store,
        &NewExperiment {
            agent: "A".into(),
            a: 1,
            b: 2,
            ..Default::default()
        },
        start,
    )
    .unwrap();
    // 80 to A and 20 to B under a 50/50 plan.
    let batch: Vec<Settlement> = (0..100u32)
        .map(|i| {
            let tag = if i < 80 { "v1" } else { "v2" };
            settlement(
                &format!("s{i}"),
                "A",
                tag,
                0.7,
                start + Duration::minutes(i64::from(i)),
            )
        })
        .collect();
    store.upsert_batch(&batch).unwrap();
    let r = results(&store, &e).unwrap();
    assert!(r.srm_p.unwrap() < ab::SRM_ALPHA);
    assert!(
        r.verdict.reason.starts_with("The split looks broken"),
        "{}",
        r.verdict.reason
    );
}

#[test]
fn offline_variants_for_the_regressing_agent_cite_their_evidence_and_are_deterministic() {
    use crate::sample::{self, SampleSpec};
    let (_dir, store) = store();
    store
        .upsert_batch(&sample::generate(&SampleSpec {
            count: 1500,
            ..Default::default()
        }))
        .unwrap();
    prompts::adopt_from_settlements(&store).unwrap();
    let g = variants::generate(&store, "The Auditor", variants::DEFAULT_LAST).unwrap();
    assert_eq!(g.analysed, 30);
    assert_eq!(g.current.as_ref().unwrap().version, 1);
    assert!((3..=6).contains(&g.variants.len()), "{:#?}", g.variants);
    for v in &g.variants {
        assert!(
            v.prompt.starts_with(&g.current.as_ref().unwrap().text),
            "{}",
            v.prompt
        );
        assert!(!v.rules.is_empty() && !v.evidence.is_empty(), "{v:#?}");
        assert!(v.evidence.iter().any(|r| !r.examples.is_empty()), "{v:#?}");
    }
    let all: String = g.variants.iter().map(|v| v.prompt.as_str()).collect();
    assert!(all.contains("Leave out these phrases"), "{all}");
    // About 300 settlements: too few to replay, and the rationale says so.
    let cut = g
        .variants
        .iter()
        .find(|v| v.title == "Cut what people delete")
        .unwrap();
    assert!(
        cut.rationale.contains("Unvalidated: replay needs 400"),
        "{}",
        cut.rationale
    );
    assert!(all.to_lowercase().contains("hedge"), "{all}");
    let again = variants::generate(&store, "The Auditor", variants::DEFAULT_LAST).unwrap();
    assert_eq!(g.variants, again.variants);
    // No settlements: no variants, and a note that says why.
    let none = variants::generate(&store, "Nobody", 30).unwrap();
    assert!(none.variants.is_empty() && none.note.is_some());
}

#[test]
fn variants_take_deletions_and_replacements_from_the_replay_validated_list() {
    use crate::sample::{self, SampleSpec};
    let (_dir, store) = store();
    store
        .upsert_batch(&sample::generate(&SampleSpec {
            count: 3000,
            ..Default::default()
        }))
        .unwrap();
    prompts::adopt_from_settlements(&store).unwrap();
    let agent = "The Auditor";
    let check = variants::Check::of_agent(&store, agent).unwrap();
    let variants::Check::Replayed { validated, .. } = &check else {
        panic!("about 600 settlements: replayed, got {check:?}");
    };
    assert!(
        !validated.is_empty(),
        "the sample's planted deletions validate"
    );
    let g = variants::generate(&store, agent, variants::DEFAULT_LAST).unwrap();
    let cut = g
        .variants
        .iter()
        .find(|v| v.title == "Cut what people delete")
        .expect("a deletion variant");
    assert!(
        cut.rationale.contains("Replayed on the agent's later"),
        "{}",
        cut.rationale
    );
    // Every phrase the rule names was validated by replay, and none other.
    let rule = &cut.rules[0];
    let named: Vec<&str> = rule
        .split('“')
        .skip(1)
        .filter_map(|x| x.split('”').next())
        .collect();
    assert!(!named.is_empty(), "{rule}");
    for phrase in named {
        assert!(
            validated
                .iter()
                .any(|r| r.kind == "leave_out" && r.phrase == phrase),
            "{phrase} is not in the validated list {validated:#?}"
        );
    }
}

#[test]
fn the_ab_success_rate_counts_completed_experiments_the_candidate_won() {
    let (_dir, store) = store();
    assert_eq!(success_rate(&store).unwrap(), None);
    for (k, agent) in ["A", "B", "C"].iter().enumerate() {
        two_versions(&store, agent);
        let e = create(
            &store,
            &NewExperiment {
                agent: agent.to_string(),
                a: 1,
                b: 2,
                ..Default::default()
            },
            at(5, 0),
        )
        .unwrap();
        if k < 2 {
            complete(&store, &e.id, at(6, 0)).unwrap();
        }
        if k == 0 {
            let mut won = get(&store, &e.id).unwrap();
            won.winner = Some(Winner::VariantB);
            save(&store, &won, &[]).unwrap();
        }
    }
    // Two completed (one won by B, one inconclusive), one still running.
    assert_eq!(success_rate(&store).unwrap(), Some(0.5));
}

/// The decision rules by simulation (seeded): acceptances normal with sd 0.2 around each arm's
/// mean, clamped to [0, 1]; the plan made for a 10-point effect with that spread.
mod decisions {
    use super::*;
    use crate::rng::Rng;

    const RUNS: u64 = 1000;

    fn plan() -> Experiment {
        let (mde, sd, split) = (0.1, 0.2, 0.5);
        Experiment {
            id: "EXP-SIM".into(),
            agent: "A".into(),
            a: Arm::new(1, None),
            b: Arm::new(2, None),
            split,
            mde,
            sd,
            planned: ab::sequential_sample_size(mde, sd, split, ALPHA).unwrap(),
            planned_equivalence: ab::equivalence_sample_size(
                mde,
                sd,
                split,
                ab::EQUIVALENCE_ALPHA,
                POWER,
            ),
            status: Status::Running,
            winner: None,
            reason: None,
            created: at(1, 0),
            completed: None,
            deployed: None,
            note: String::new(),
            notion: NotionRow::default(),
        }
    }

    fn draw(rng: &mut Rng, mean: f64) -> f64 {
        let (u1, u2) = (rng.unit().max(1e-12), rng.unit());
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        (mean + 0.2 * z).clamp(0.0, 1.0)
    }

    fn arm(values: &[f64]) -> ArmResult {
        ArmResult {
            tag: String::new(),
            n: values.len(),
            acceptance: stats::mean_ci(values, 0.0, 1.0),
            accepted: None,
            accepted_count: 0,
            edit_cost: None,
            from_source: 0,
        }
    }

    /// One experiment fed until both arms hold `per_arm` (A, B) settlements, with the test read
    /// after every settlement: the verdict then.
    fn run(e: &Experiment, seed: u64, mean_a: f64, mean_b: f64, per_arm: (u64, u64)) -> Verdict {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xabcd);
        let mut test = ab::Sequential::new(e.split);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        while (a.len() as u64) < per_arm.0 || (b.len() as u64) < per_arm.1 {
            let is_b = rng.unit() < e.split;
            let x = draw(&mut rng, if is_b { mean_b } else { mean_a });
            test.push(x, is_b);
            if is_b {
                b.push(x)
            } else {
                a.push(x)
            }
        }
        let reached = a.len() as u64 >= e.planned.0 && b.len() as u64 >= e.planned.1;
        verdict(
            e,
            &arm(&a),
            &arm(&b),
            ab::difference(&a, &b).as_ref(),
            test.result(),
            None,
            reached,
            ab::equivalence(&a, &b, e.mde).as_ref(),
        )
    }

    fn tally(verdicts: &[Verdict]) -> (usize, usize, usize) {
        let count = |w: Winner, decided: bool| {
            verdicts
                .iter()
                .filter(|v| v.winner == w && v.decided == decided)
                .count()
        };
        (
            count(Winner::VariantB, true),
            count(Winner::VariantA, true),
            count(Winner::Inconclusive, true),
        )
    }

    #[test]
    fn at_the_planned_sample_a_true_mde_names_the_better_arm_at_least_80_percent() {
        let e = plan();
        let v: Vec<Verdict> = (0..RUNS)
            .map(|s| run(&e, s, 0.45, 0.55, e.planned))
            .collect();
        let (b, a, alike) = tally(&v);
        eprintln!(
            "true +10 points, planned {:?}: B {b}, A {a}, alike {alike} of {RUNS}",
            e.planned
        );
        assert!(b >= 800, "B named in {b} of {RUNS}");
        assert!(a <= 10, "the worse arm named in {a} of {RUNS}");
        // With a true difference of the planned size, "alike" is (almost) never said.
        assert!(alike <= 50, "alike in {alike} of {RUNS}");
    }

    #[test]
    fn a_a_experiments_read_after_every_settlement_name_a_winner_at_most_5_percent() {
        let e = plan();
        // Fed three times the plan, read after each settlement (the p-value kept is the smallest).
        let v: Vec<Verdict> = (0..RUNS)
            .map(|s| {
                run(
                    &e,
                    s + 50_000,
                    0.45,
                    0.45,
                    (3 * e.planned.0, 3 * e.planned.1),
                )
            })
            .collect();
        let (b, a, _) = tally(&v);
        eprintln!(
            "A/A, 3 × planned, read after every settlement: {} false winners of {RUNS}",
            a + b
        );
        assert!(a + b <= 50, "{} false winners", a + b);
    }

    #[test]
    fn with_no_difference_and_the_equivalence_sample_alike_is_said_at_least_80_percent() {
        let e = plan();
        let eq = e.planned_equivalence.unwrap();
        let per_arm = (eq.0.max(e.planned.0), eq.1.max(e.planned.1));
        let v: Vec<Verdict> = (0..RUNS)
            .map(|s| run(&e, s + 90_000, 0.45, 0.45, per_arm))
            .collect();
        let (b, a, alike) = tally(&v);
        eprintln!(
            "no difference, {per_arm:?} per arm (equivalence plan {eq:?}, difference plan {:?}): alike {alike}, winners {} of {RUNS}",
            e.planned,
            a + b
        );
        assert!(alike >= 800, "alike in {alike} of {RUNS}");
        // Otherwise it says how much more would settle it, never "alike" without the test.
        for x in v.iter().filter(|v| !v.decided) {
            assert!(x.reason.starts_with("Inconclusive:"), "{}", x.reason);
            assert!(x.reason.contains("more for A"), "{}", x.reason);
        }
    }

    #[test]
    fn a_true_difference_past_the_mde_is_never_called_alike() {
        let e = plan();
        let v: Vec<Verdict> = (0..RUNS)
            .map(|s| run(&e, s + 130_000, 0.45, 0.60, e.planned))
            .collect();
        let (b, _, alike) = tally(&v);
        assert!(alike <= 50 && b >= 900, "alike {alike}, B {b}");
    }
}

#[test]
fn a_variant_takes_the_shape_and_marks_people_edit_towards() {
    // People swap the em dash for a comma in two outputs of three.
    let list = crate::patterns::edited(
        "Writer",
        |i| format!("Order {i} ships on Monday — by truck. It arrives soon — we think."),
        |i| format!("Order {i} ships on Monday, by truck. It arrives soon, we think."),
    );
    let report = crate::patterns::mine_slice(&list);
    let check = variants::Check::Unchecked("too few".into());
    let (made, _) = variants::offline("You write replies.", &report.agents[0], &check);
    let shape = made
        .iter()
        .find(|v| v.title == "Shape and marks people edit towards")
        .expect("a variant of shape and marks");
    assert_eq!(
        shape.rules,
        ["Do not use em dashes (—). Write a comma instead."]
    );
    assert!(
        shape
            .prompt
            .contains("Do not use em dashes (—). Write a comma instead."),
        "{}",
        shape.prompt
    );
    assert!(
        shape.rationale.contains("em dash taken out"),
        "{}",
        shape.rationale
    );
    assert!(
        shape.evidence.len() == 1 && !shape.evidence[0].examples.is_empty(),
        "{:#?}",
        shape.evidence
    );
}
