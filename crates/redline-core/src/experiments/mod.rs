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

pub mod variants;

use crate::analytics;
use crate::prompts::{self, PromptError};
use crate::stats::{self, ab, Estimate};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
mod results;
pub use results::{p_text, results, ArmResult, Results, Verdict};

/// Where an experiment stands (the `Status` select of DB_AB_Tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Running,
    Completed,
    #[serde(rename = "Winner_Deployed")]
    WinnerDeployed,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Running => "Running",
            Status::Completed => "Completed",
            Status::WinnerDeployed => "Winner_Deployed",
        }
    }
}

/// The arm an experiment chose (the `Winner` select of DB_AB_Tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Winner {
    VariantA,
    VariantB,
    Inconclusive,
}

impl Winner {
    pub fn name(self) -> &'static str {
        match self {
            Winner::VariantA => "Variant A",
            Winner::VariantB => "Variant B",
            Winner::Inconclusive => "Inconclusive",
        }
    }
}

/// The significance level of every test here.
pub const ALPHA: f64 = 0.05;
/// The power the planned sample size aims for.
pub const POWER: f64 = 0.8;
/// The minimum detectable effect when none is given: 10 points of mean acceptance.
pub const DEFAULT_MDE: f64 = 0.10;
/// The standard deviation of acceptance assumed when the agent has too little history.
pub const DEFAULT_SD: f64 = 0.25;

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
    let e = plan(store, new, now)?;
    prompts::get(store, &e.agent, new.b)?;
    save(store, &e, &[])?;
    Ok(e)
}

/// Create an experiment whose variant B is a new prompt version of `text` (checked as
/// [`prompts::add`] checks it), the version and the experiment written in one transaction.
pub fn create_with_new_version(
    store: &Store,
    new: &NewExperiment,
    text: &str,
    note: &str,
    author: &str,
    now: DateTime<Utc>,
) -> Result<(prompts::PromptVersion, Experiment), ExperimentError> {
    let version = prompts::check_new(store, &new.agent, text)?;
    // B's number is known only inside the transaction; until then B is planned as a version
    // that no existing one equals.
    let mut e = plan(
        store,
        &NewExperiment {
            b: u32::MAX,
            ..new.clone()
        },
        now,
    )?;
    let mut record = None;
    store.add_prompt_record(&version.agent, &version.pin, |n| {
        let v = version.record(n, note, author);
        let bytes = serde_json::to_vec(&v).expect("a prompt version serialises");
        record = Some(v);
        e.b = Arm::new(n, new.model_b.clone());
        let exp = serde_json::to_vec(&e).expect("an experiment serialises");
        (bytes, Some((e.id.clone(), exp)))
    })?;
    Ok((record.expect("the record was built"), e))
}

/// The experiment `new` describes, checked against the store (variant A's version exists, no
/// experiment of the agent runs), with its planned samples; not saved.
fn plan(
    store: &Store,
    new: &NewExperiment,
    now: DateTime<Utc>,
) -> Result<Experiment, ExperimentError> {
    let agent = new.agent.trim();
    if agent.is_empty() {
        return Err(PromptError::NoAgent.into());
    }
    prompts::get(store, agent, new.a)?;
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

/// Record how writing the experiment to Notion went — the page written, or why it failed —
/// on the experiment as it is now (it may have changed while Notion answered).
pub fn record_notion_write(
    store: &Store,
    id: &str,
    outcome: Result<&str, String>,
    now: DateTime<Utc>,
) -> Result<Experiment, ExperimentError> {
    let mut latest = get(store, id)?;
    match outcome {
        Ok(page) => {
            latest.notion = NotionRow {
                page_id: Some(page.to_owned()),
                written: Some(now),
                error: None,
            }
        }
        Err(why) => latest.notion.error = Some(why),
    }
    save(store, &latest, &[])?;
    Ok(latest)
}

#[cfg(test)]
mod tests;
