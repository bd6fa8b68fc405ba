//! A/B experiments between two prompt variants of one agent (the design's ABTestManager):
//! create with a power calculation, route intents deterministically, read results with sound
//! statistics at any time, complete, and deploy the winner as the agent's active prompt.
//! Experiments live in the store; when a DB_AB_Tests database is connected every change is
//! also written there ([`publish`]).
//!
//! Settlements belong to a variant through their prompt-version field: an arm's **tag** is the
//! label of its prompt version (`v3`), or `v3+<model>` when the arm names a model, and the
//! backend writes that tag on each settlement it produced under the experiment. Only the
//! agent's settlements created after the experiment started (and before it completed) count.

pub mod assist;
pub mod variants;

use crate::analytics;
use crate::job::Cancel;
use crate::notion::writeback::{self, AbTestRow, Target};
use crate::notion::{Client, NotionError};
use crate::prompts::{self, PromptError};
use crate::stats::{self, ab, Estimate};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub use crate::notion::writeback::{Status, Winner};

/// The significance level of every test here.
pub const ALPHA: f64 = 0.05;
/// The power the planned sample size aims for.
pub const POWER: f64 = 0.8;
/// The minimum detectable effect when none is given: 10 points of mean acceptance.
pub const DEFAULT_MDE: f64 = 0.10;
/// The standard deviation of acceptance assumed when the agent has too little history.
pub const DEFAULT_SD: f64 = 0.25;
/// The settings key of the connected DB_AB_Tests database.
pub const TARGET_SETTING: &str = "ab_tests_target";

/// One side of an experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Arm {
    pub prompt_version: u32,
    /// A model to run this arm on (e.g. a fine-tuned model against its base), if not the
    /// agent's usual one.
    #[serde(default)]
    pub model: Option<String>,
    /// What settlements of this arm carry in their prompt-version field.
    pub tag: String,
}

impl Arm {
    fn new(prompt_version: u32, model: Option<String>) -> Arm {
        let model = model.map(|m| m.trim().to_owned()).filter(|m| !m.is_empty());
        let tag = match &model {
            Some(m) => format!("{}+{m}", prompts::label(prompt_version)),
            None => prompts::label(prompt_version),
        };
        Arm {
            prompt_version,
            model,
            tag,
        }
    }

    /// Whether a settlement's prompt-version field names this arm.
    pub fn matches(&self, field: &str) -> bool {
        let field = field.trim();
        field.eq_ignore_ascii_case(&self.tag)
            || (self.model.is_none() && prompts::parse_label(field) == Some(self.prompt_version))
    }
}

/// Where the experiment's row in Notion stands.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NotionRow {
    pub page_id: Option<String>,
    pub written: Option<DateTime<Utc>>,
    /// Why the last write failed (the experiment is kept locally either way).
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    pub id: String,
    pub agent: String,
    pub a: Arm,
    pub b: Arm,
    /// The share of intents routed to B.
    pub split: f64,
    /// The minimum detectable effect the sample was planned for (difference in mean
    /// acceptance, 0..1).
    pub mde: f64,
    /// The standard deviation of acceptance the plan assumed (from the agent's history).
    pub sd: f64,
    /// Settlements planned per arm (A, B) for the always-valid sequential test — the test
    /// that decides — to find a difference of `mde` with [`POWER`] at [`ALPHA`]
    /// ([`ab::sequential_sample_size`]). Experiments created before version 0.2 hold the
    /// smaller fixed-horizon plan here.
    pub planned: (u64, u64),
    /// Settlements per arm for the equivalence test (TOST at ±`mde`) to show "alike" with
    /// [`POWER`] when the variants truly do not differ ([`ab::equivalence_sample_size`]);
    /// absent in older experiments (then computed from `mde`, `sd` and `split`).
    #[serde(default)]
    pub planned_equivalence: Option<(u64, u64)>,
    pub status: Status,
    pub winner: Option<Winner>,
    /// The verdict in words, frozen when the experiment completed.
    pub reason: Option<String>,
    pub created: DateTime<Utc>,
    pub completed: Option<DateTime<Utc>>,
    pub deployed: Option<DateTime<Utc>>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub notion: NotionRow,
}

/// What to create.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NewExperiment {
    pub agent: String,
    pub a: u32,
    pub b: u32,
    #[serde(default)]
    pub model_a: Option<String>,
    #[serde(default)]
    pub model_b: Option<String>,
    /// Share routed to B; 0.5 when absent.
    #[serde(default)]
    pub split: Option<f64>,
    /// Minimum detectable effect; [`DEFAULT_MDE`] when absent.
    #[serde(default)]
    pub mde: Option<f64>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error(transparent)]
    Notion(#[from] NotionError),
    #[error("no experiment {0}")]
    Unknown(String),
    #[error("variant A and B are the same (prompt v{0}, same model): nothing to compare")]
    Same(u32),
    #[error("the traffic split is the share of intents routed to B and must be between 0 and 1 (exclusive), not {0}")]
    Split(f64),
    #[error(
        "the minimum detectable effect must be between 0 and 1 (e.g. 0.1 for 10 points), not {0}"
    )]
    Mde(f64),
    #[error("{agent} already has a running experiment, {id}; complete it first (settlements could not tell the two apart)")]
    AlreadyRunning { agent: String, id: String },
    #[error("{id} is {status}; only a {wanted} experiment can be {action}")]
    State {
        id: String,
        status: &'static str,
        wanted: &'static str,
        action: &'static str,
    },
    #[error("{0} has no winner to deploy (the result was inconclusive)")]
    NoWinner(String),
    #[error("no DB_AB_Tests database is connected")]
    NoTarget,
}

fn decode(bytes: &[u8]) -> Option<Experiment> {
    serde_json::from_slice(bytes).ok()
}

fn save(store: &Store, e: &Experiment, settings: &[(&str, &[u8])]) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(e).expect("an experiment serialises");
    store.put_experiment_record(&e.id, &bytes, settings)
}

/// Every experiment, newest first.
pub fn list(store: &Store) -> Result<Vec<Experiment>, StoreError> {
    let mut out: Vec<Experiment> = store
        .experiment_records()?
        .iter()
        .filter_map(|(_, b)| decode(b))
        .collect();
    out.sort_by(|x, y| y.created.cmp(&x.created).then(y.id.cmp(&x.id)));
    Ok(out)
}

pub fn get(store: &Store, id: &str) -> Result<Experiment, ExperimentError> {
    store
        .experiment_record(id.trim())?
        .and_then(|b| decode(&b))
        .ok_or_else(|| ExperimentError::Unknown(id.trim().to_owned()))
}

fn slug(agent: &str) -> String {
    let mut out = String::new();
    for c in agent.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// The standard deviation of the agent's acceptance over the 90 days before `now`, when it has
/// at least 10 settlements there; else [`DEFAULT_SD`].
fn history_sd(store: &Store, agent: &str, now: DateTime<Utc>) -> Result<f64, StoreError> {
    let mut values = Vec::new();
    store.scan(Some(now - Duration::days(90)), Some(now), |s| {
        if s.agent.as_str() == agent {
            values.push(analytics::observe(&s).acceptance);
        }
    })?;
    if values.len() < 10 {
        return Ok(DEFAULT_SD);
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64;
    Ok(var.sqrt().max(0.05))
}

/// Create a running experiment; it starts counting settlements now.
pub fn create(
    store: &Store,
    new: &NewExperiment,
    now: DateTime<Utc>,
) -> Result<Experiment, ExperimentError> {
    let agent = new.agent.trim();
    if agent.is_empty() {
        return Err(PromptError::NoAgent.into());
    }
    prompts::get(store, agent, new.a)?;
    prompts::get(store, agent, new.b)?;
    let (a, b) = (
        Arm::new(new.a, new.model_a.clone()),
        Arm::new(new.b, new.model_b.clone()),
    );
    if a.tag.eq_ignore_ascii_case(&b.tag) {
        return Err(ExperimentError::Same(new.a));
    }
    let split = new.split.unwrap_or(0.5);
    if !(split > 0.0 && split < 1.0) {
        return Err(ExperimentError::Split(split));
    }
    let mde = new.mde.unwrap_or(DEFAULT_MDE);
    if !(mde > 0.0 && mde <= 1.0) {
        return Err(ExperimentError::Mde(mde));
    }
    let existing = list(store)?;
    if let Some(running) = existing
        .iter()
        .find(|e| e.agent == agent && e.status == Status::Running)
    {
        return Err(ExperimentError::AlreadyRunning {
            agent: agent.to_owned(),
            id: running.id.clone(),
        });
    }
    let prefix = format!("EXP-{}-{}", now.format("%Y%m%d"), slug(agent));
    let k = existing
        .iter()
        .filter(|e| e.id.starts_with(&prefix))
        .count()
        + 1;
    let sd = history_sd(store, agent, now)?;
    let planned = ab::sequential_sample_size(mde, sd, split, ALPHA).expect("checked inputs");
    let planned_equivalence =
        ab::equivalence_sample_size(mde, sd, split, ab::EQUIVALENCE_ALPHA, POWER);
    let e = Experiment {
        id: format!("{prefix}-{k}"),
        agent: agent.to_owned(),
        a,
        b,
        split,
        mde,
        sd,
        planned,
        planned_equivalence,
        status: Status::Running,
        winner: None,
        reason: None,
        created: now,
        completed: None,
        deployed: None,
        note: new.note.trim().to_owned(),
        notion: NotionRow::default(),
    };
    save(store, &e, &[])?;
    Ok(e)
}

/// The A/B success rate: of the completed experiments (Completed or Winner_Deployed), the share
/// whose candidate, variant B, won; `None` before any has completed.
pub fn success_rate(store: &Store) -> Result<Option<f64>, StoreError> {
    let done: Vec<Experiment> = list(store)?
        .into_iter()
        .filter(|e| e.status != Status::Running)
        .collect();
    Ok((!done.is_empty()).then(|| {
        done.iter()
            .filter(|e| e.winner == Some(Winner::VariantB))
            .count() as f64
            / done.len() as f64
    }))
}

/// A routed variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    VariantA,
    VariantB,
}

impl Variant {
    pub fn name(self) -> &'static str {
        match self {
            Variant::VariantA => "variant_a",
            Variant::VariantB => "variant_b",
        }
    }
}

/// Route an intent (the design's route_to_variant): take SHA-256 of the UTF-8 bytes of
/// `"<experiment id>:<intent id>"`, read its first 8 bytes as a big-endian unsigned 64-bit
/// integer `h`, and send the intent to B when `h < floor(split × 2^64)` (the product in IEEE
/// double precision), else to A. Deterministic, stateless, and the same in any language; the
/// README lists test vectors.
pub fn route_to_variant(experiment_id: &str, intent_id: &str, split: f64) -> Variant {
    let digest = Sha256::digest(format!("{experiment_id}:{intent_id}").as_bytes());
    let h = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    let threshold = (split.clamp(0.0, 1.0) * 18_446_744_073_709_551_616.0) as u128;
    if u128::from(h) < threshold {
        Variant::VariantB
    } else {
        Variant::VariantA
    }
}

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

fn points(x: f64) -> String {
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
fn more_for_equivalence(
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

fn wrong_state(e: &Experiment, wanted: &'static str, action: &'static str) -> ExperimentError {
    ExperimentError::State {
        id: e.id.clone(),
        status: e.status.name(),
        wanted,
        action,
    }
}

/// Complete a running experiment: freeze its verdict (which may be Inconclusive when stopped
/// early) and stop counting settlements.
pub fn complete(
    store: &Store,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(Experiment, Results), ExperimentError> {
    let mut e = get(store, id)?;
    if e.status != Status::Running {
        return Err(wrong_state(&e, "Running", "completed"));
    }
    e.completed = Some(now);
    e.status = Status::Completed;
    let r = results(store, &e)?;
    e.winner = Some(r.verdict.winner);
    e.reason = Some(r.verdict.reason.clone());
    save(store, &e, &[])?;
    Ok((e, r))
}

/// Deploy a completed experiment's winner: its prompt version becomes the agent's active one,
/// in the same transaction as the status change.
pub fn deploy(store: &Store, id: &str, now: DateTime<Utc>) -> Result<Experiment, ExperimentError> {
    let mut e = get(store, id)?;
    if e.status != Status::Completed {
        return Err(wrong_state(&e, "Completed", "deployed"));
    }
    let arm = match e.winner {
        Some(Winner::VariantA) => e.a.clone(),
        Some(Winner::VariantB) => e.b.clone(),
        _ => return Err(ExperimentError::NoWinner(e.id.clone())),
    };
    prompts::get(store, &e.agent, arm.prompt_version)?;
    e.status = Status::WinnerDeployed;
    e.deployed = Some(now);
    let (key, value) = prompts::activation(&e.agent, arm.prompt_version);
    save(store, &e, &[(&key, &value)])?;
    Ok(e)
}

/// The experiment as a DB_AB_Tests row.
pub fn row(store: &Store, e: &Experiment, r: &Results) -> Result<AbTestRow, ExperimentError> {
    let text = |arm: &Arm| -> Result<String, ExperimentError> {
        let p = prompts::get(store, &e.agent, arm.prompt_version)?;
        Ok(match &arm.model {
            Some(m) => format!("[model: {m}]\n{}", p.text),
            None => p.text,
        })
    };
    Ok(AbTestRow {
        experiment_id: e.id.clone(),
        agent: e.agent.clone(),
        variant_a_prompt: text(&e.a)?,
        variant_b_prompt: text(&e.b)?,
        variant_a_settlements: r.a.n as u64,
        variant_b_settlements: r.b.n as u64,
        variant_a_acceptance: r.a.acceptance.map(|x| (x.value * 1e4).round() / 1e4),
        variant_b_acceptance: r.b.acceptance.map(|x| (x.value * 1e4).round() / 1e4),
        status: e.status,
        winner: e.winner,
        created: e.created.date_naive(),
        completed: e.completed.map(|d| d.date_naive()),
    })
}

/// The connected DB_AB_Tests database, if any.
pub fn target(store: &Store) -> Result<Option<Target>, StoreError> {
    Ok(store
        .setting(TARGET_SETTING)?
        .and_then(|b| serde_json::from_slice(&b).ok()))
}

/// Remember (or with `None`, forget) the DB_AB_Tests database.
pub fn set_target(store: &Store, target: Option<&Target>) -> Result<(), StoreError> {
    let bytes = match target {
        Some(t) => serde_json::to_vec(t).expect("a target serialises"),
        None => b"null".to_vec(),
    };
    store.set_setting(TARGET_SETTING, &bytes)
}

/// Write the experiment's current state to its DB_AB_Tests row (created on first write,
/// updated by Experiment ID after). The outcome — page id or error — is kept on the experiment,
/// which stays valid locally whatever Notion says; the error is also returned.
pub fn publish(
    store: &Store,
    client: &Client,
    id: &str,
    now: DateTime<Utc>,
    cancel: &Cancel,
) -> Result<Experiment, ExperimentError> {
    let target = target(store)?.ok_or(ExperimentError::NoTarget)?;
    let e = get(store, id)?;
    let r = results(store, &e)?;
    let row = row(store, &e, &r)?;
    let outcome = writeback::upsert_experiment(client, &target, &row, cancel);
    // Re-read: the experiment may have changed while Notion answered.
    let mut latest = get(store, id)?;
    match &outcome {
        Ok(page) => {
            latest.notion = NotionRow {
                page_id: Some(page.clone()),
                written: Some(now),
                error: None,
            }
        }
        Err(err) => latest.notion.error = Some(err.to_string()),
    }
    save(store, &latest, &[])?;
    outcome?;
    Ok(latest)
}

#[cfg(test)]
mod tests;
