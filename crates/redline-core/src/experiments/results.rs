//! An experiment's figures and its verdict: each arm's acceptance with its interval, the
//! sequential test that decides, the equivalence test that may say "alike", and the wording.

use super::*;

/// One arm's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArmResult {
    pub tag: String,
    pub n: usize,
    /// Mean acceptance with its 95% interval.
    pub acceptance: Option<Estimate>,
    /// Share of settlements at or above the acceptance threshold, with its Wilson interval.
    pub accepted: Option<Estimate>,
    pub accepted_count: usize,
    /// Median normalised edit cost.
    pub edit_cost: Option<f64>,
    /// How many acceptance figures came from the source (the rest from the texts).
    pub from_source: usize,
}

/// The verdict, in words.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    pub winner: Winner,
    /// Whether the evidence is final: a significant sequential test, or the planned sample
    /// reached without one.
    pub decided: bool,
    pub reason: String,
}

/// Everything get_experiment_results reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Results {
    pub id: String,
    pub agent: String,
    pub status: Status,
    pub a: ArmResult,
    pub b: ArmResult,
    /// B − A in mean acceptance, with its Welch 95% interval.
    pub difference: Option<Estimate>,
    /// B − A adjusted for intent type (post-stratification), with how much it narrows the
    /// interval: a variance reduction shown beside the plain difference (the decision rests on
    /// the sequential test).
    pub stratified: Option<ab::Stratified>,
    /// Welch's t-test on acceptance, two-sided: (t, df, p). A fixed-horizon test: valid as a
    /// decision only once the planned sample is reached.
    pub welch: Option<(f64, f64, f64)>,
    /// The two-proportion z-test on the accepted share: (z, p); fixed-horizon as well.
    pub proportions: Option<(f64, f64)>,
    /// Bayesian chance that B's accepted share beats A's.
    pub chance_b_beats_a: f64,
    /// The always-valid sequential test, readable after every settlement.
    pub sequential: ab::SequentialResult,
    /// Sample-ratio-mismatch p-value (below 0.001: the split is broken).
    pub srm_p: Option<f64>,
    pub planned: (u64, u64),
    pub planned_reached: bool,
    /// The equivalence test (TOST at ±MDE) on B − A: read once the planned sample is in.
    pub equivalence: Option<ab::Equivalence>,
    /// Settlements per arm the equivalence test needs to show "alike" with 80% power.
    pub planned_equivalence: Option<(u64, u64)>,
    pub threshold: f64,
    pub verdict: Verdict,
    /// Cumulative mean acceptance per arm after each settlement, for a chart:
    /// (settlements so far, arm is B, running mean of that arm).
    pub running: Vec<(usize, bool, f64)>,
}

/// Read an experiment's results from the store (get_experiment_results).
pub fn results(store: &Store, e: &Experiment) -> Result<Results, StoreError> {
    let threshold = analytics::threshold(store)?;
    let mut arms: [(Vec<f64>, Vec<f64>, usize); 2] = Default::default();
    let mut test = ab::Sequential::new(e.split);
    let mut running = Vec::new();
    let mut sums = [0.0f64; 2];
    // Per intent type: each arm's acceptances, for the post-stratified difference.
    let mut by_intent: BTreeMap<String, [Vec<f64>; 2]> = BTreeMap::new();
    store.scan(Some(e.created), e.completed, |s| {
        if s.agent.as_str() != e.agent {
            return;
        }
        let Some(field) = s.prompt_version.as_deref() else {
            return;
        };
        let side = if e.a.matches(field) {
            0
        } else if e.b.matches(field) {
            1
        } else {
            return;
        };
        let o = analytics::observe(&s);
        by_intent.entry(s.intent_type.to_string()).or_default()[side].push(o.acceptance);
        test.push(o.acceptance, side == 1);
        let arm = &mut arms[side];
        arm.0.push(o.acceptance);
        arm.1.push(o.edit_cost_norm);
        arm.2 += usize::from(o.acceptance_from_source);
        sums[side] += o.acceptance;
        running.push((
            arms[0].0.len() + arms[1].0.len(),
            side == 1,
            sums[side] / arms[side].0.len() as f64,
        ));
    })?;
    let arm_result = |arm: &Arm, (values, costs, from_source): &(Vec<f64>, Vec<f64>, usize)| {
        let accepted_count = values.iter().filter(|v| **v >= threshold).count();
        ArmResult {
            tag: arm.tag.clone(),
            n: values.len(),
            acceptance: stats::mean_ci(values, 0.0, 1.0),
            accepted: stats::wilson(accepted_count, values.len()),
            accepted_count,
            edit_cost: stats::median(costs),
            from_source: *from_source,
        }
    };
    let (ra, rb) = (arm_result(&e.a, &arms[0]), arm_result(&e.b, &arms[1]));
    let difference = ab::difference(&arms[0].0, &arms[1].0);
    let strata: Vec<(&[f64], &[f64])> = by_intent
        .values()
        .map(|[a, b]| (a.as_slice(), b.as_slice()))
        .collect();
    let stratified = ab::stratified(&strata);
    let planned_reached = ra.n as u64 >= e.planned.0 && rb.n as u64 >= e.planned.1;
    let srm_p = ab::sample_ratio_p(ra.n, rb.n, e.split);
    let sequential = test.result();
    let equivalence = ab::equivalence(&arms[0].0, &arms[1].0, e.mde);
    let planned_equivalence = e.planned_equivalence.or_else(|| {
        ab::equivalence_sample_size(e.mde, e.sd, e.split, ab::EQUIVALENCE_ALPHA, POWER)
    });
    let verdict = verdict(
        e,
        &ra,
        &rb,
        difference.as_ref(),
        sequential,
        srm_p,
        planned_reached,
        equivalence.as_ref(),
    );
    Ok(Results {
        id: e.id.clone(),
        agent: e.agent.clone(),
        status: e.status,
        welch: ab::welch_two_sided(&arms[0].0, &arms[1].0),
        proportions: ab::two_proportion(ra.accepted_count, ra.n, rb.accepted_count, rb.n),
        chance_b_beats_a: ab::chance_to_beat(ra.accepted_count, ra.n, rb.accepted_count, rb.n),
        a: ra,
        b: rb,
        difference,
        stratified,
        sequential,
        srm_p,
        planned: e.planned,
        planned_reached,
        equivalence,
        planned_equivalence,
        threshold,
        verdict,
        running,
    })
}

/// A p-value as people read it: `p < 0.0001` rather than `p = 0.0000`.
pub fn p_text(p: f64) -> String {
    if p < 1e-4 {
        "p < 0.0001".to_owned()
    } else {
        format!("p = {p:.4}")
    }
}

pub(super) fn points(x: f64) -> String {
    format!("{:+.1} points", x * 100.0)
}

/// The decision, by one design (docs/experiments.md): a winner only when the always-valid
/// sequential test says so (it may be read after every settlement); "alike" only when, with
/// the planned sample in, the equivalence test shows the difference within ±MDE; otherwise
/// inconclusive, with how much more data would settle it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn verdict(
    e: &Experiment,
    a: &ArmResult,
    b: &ArmResult,
    difference: Option<&Estimate>,
    sequential: ab::SequentialResult,
    srm_p: Option<f64>,
    planned_reached: bool,
    equivalence: Option<&ab::Equivalence>,
) -> Verdict {
    let undecided = |reason: String| Verdict {
        winner: Winner::Inconclusive,
        decided: false,
        reason,
    };
    if a.n == 0 || b.n == 0 {
        return undecided(format!(
            "No settlements yet under {} (A: {}, B: {}). The backend routes each intent with route_to_variant and writes the arm's tag (`{}` or `{}`) in the prompt-version field.",
            if a.n == 0 && b.n == 0 { "either variant".to_owned() } else if a.n == 0 { "variant A".into() } else { "variant B".into() },
            a.n,
            b.n,
            e.a.tag,
            e.b.tag
        ));
    }
    if let Some(p) = srm_p.filter(|p| *p < ab::SRM_ALPHA) {
        return undecided(format!(
            "The split looks broken: {} A and {} B settlements where {:.0}% should go to B (sample-ratio mismatch, p = {p:.1e}). Check the routing before trusting any result.",
            a.n,
            b.n,
            e.split * 100.0
        ));
    }
    let (ma, mb) = (
        a.acceptance.map_or(0.0, |x| x.value),
        b.acceptance.map_or(0.0, |x| x.value),
    );
    let interval = difference
        .and_then(|d| {
            Some(format!(
                " (95% CI {} to {})",
                points(d.low?),
                points(d.high?)
            ))
        })
        .unwrap_or_default();
    if sequential.p_value <= ALPHA {
        let (winner, better, worse) = if mb > ma {
            (Winner::VariantB, "B", "A")
        } else {
            (Winner::VariantA, "A", "B")
        };
        return Verdict {
            winner,
            decided: true,
            reason: format!(
                "Variant {better} wins: mean acceptance {:.1}% against {:.1}% for {worse}, {}{interval}, over {} settlements. The always-valid test gives {}, so looking at the results as often as you like did not inflate this.",
                ma.max(mb) * 100.0,
                ma.min(mb) * 100.0,
                points((mb - ma).abs()),
                a.n + b.n,
                p_text(sequential.p_value)
            ),
        };
    }
    let margin = (e.mde * 100.0).round();
    if planned_reached {
        if let Some(eq) = equivalence.filter(|q| q.equivalent) {
            return Verdict {
                winner: Winner::Inconclusive,
                decided: true,
                reason: format!(
                    "No winner: the variants perform alike. With the planned {} + {} settlements in, B − A = {} (95% CI {} to {}) lies within ±{margin} points (equivalence test, TOST at 2.5% a side); the always-valid test found no difference (p = {:.2}).",
                    e.planned.0,
                    e.planned.1,
                    points(eq.difference.value),
                    points(eq.difference.low.unwrap_or(eq.difference.value)),
                    points(eq.difference.high.unwrap_or(eq.difference.value)),
                    sequential.p_value
                ),
            };
        }
        let (more_a, more_b) = more_for_equivalence(e, a.n as u64, b.n as u64, equivalence);
        return undecided(format!(
            "Inconclusive: the planned {} + {} settlements are in, and B − A = {}{interval} shows neither a difference (always-valid p = {:.2}) nor that the variants are alike within ±{margin} points. About {more_a} more for A and {more_b} for B would settle whether they are alike.",
            e.planned.0,
            e.planned.1,
            points(mb - ma),
            sequential.p_value,
        ));
    }
    let more_a = e.planned.0.saturating_sub(a.n as u64);
    let more_b = e.planned.1.saturating_sub(b.n as u64);
    undecided(format!(
        "Not enough data yet: ~{} more settlements for A and ~{} for B to detect a {}-point effect. So far B − A = {}{interval} (always-valid p = {:.2}).",
        more_a,
        more_b,
        margin,
        points(mb - ma),
        sequential.p_value
    ))
}

/// Settlements more per arm for the equivalence test to show "alike", if the difference is
/// what it is now: the interval's half-width shrinks as 1/√n, and must fit between the
/// difference and the margin; when the difference is at or past the margin, the equivalence
/// plan for a true difference of 0 (at least a quarter more).
pub(super) fn more_for_equivalence(
    e: &Experiment,
    na: u64,
    nb: u64,
    equivalence: Option<&ab::Equivalence>,
) -> (u64, u64) {
    let plan = e
        .planned_equivalence
        .or_else(|| ab::equivalence_sample_size(e.mde, e.sd, e.split, ab::EQUIVALENCE_ALPHA, POWER))
        .unwrap_or(e.planned);
    let fallback = (
        plan.0.saturating_sub(na).max(na.div_ceil(4)),
        plan.1.saturating_sub(nb).max(nb.div_ceil(4)),
    );
    let Some(eq) = equivalence else {
        return fallback;
    };
    let d = eq.difference;
    let (Some(low), Some(high)) = (d.low, d.high) else {
        return fallback;
    };
    let half = (high - low) / 2.0;
    let room = e.mde - d.value.abs();
    if room <= 0.0 || half <= 0.0 {
        return fallback;
    }
    let factor = (half / room).powi(2);
    let more = |n: u64| ((n as f64 * factor).ceil() as u64).saturating_sub(n).max(1);
    (more(na), more(nb))
}
