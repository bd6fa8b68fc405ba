//! The experiment lifecycle's use cases that cross the domain and an adapter: writing an
//! experiment to its DB_AB_Tests row in Notion, and starting a suggested experiment (a new
//! prompt version and the experiment that tests it, in one transaction).

use crate::experiments::{self, Arm, Experiment, ExperimentError, NewExperiment, Results};
use crate::job::Cancel;
use crate::notion::writeback::{self, AbTestRow};
use crate::notion::{Client, NotionError};
use crate::prompts;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Experiment(#[from] ExperimentError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Notion(#[from] NotionError),
    #[error("no DB_AB_Tests database is connected")]
    NoTarget,
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

/// Write the experiment's current state to its DB_AB_Tests row (created on first write,
/// updated by Experiment ID after). The outcome — page id or error — is kept on the experiment,
/// which stays valid locally whatever Notion says; the error is also returned.
pub fn publish(
    store: &Store,
    client: &Client,
    id: &str,
    now: DateTime<Utc>,
    cancel: &Cancel,
) -> Result<Experiment, PublishError> {
    let target = writeback::target(store)?.ok_or(PublishError::NoTarget)?;
    let e = experiments::get(store, id)?;
    let r = experiments::results(store, &e)?;
    let row = row(store, &e, &r)?;
    let outcome = writeback::upsert_experiment(client, &target, &row, cancel);
    let recorded = match &outcome {
        Ok(page) => Ok(page.as_str()),
        Err(err) => Err(err.to_string()),
    };
    let latest = experiments::record_notion_write(store, id, recorded, now)?;
    outcome?;
    Ok(latest)
}

/// One experiment's id and how writing it went.
pub type Written = (String, Result<Experiment, PublishError>);

/// Bring the DB_AB_Tests rows of every running experiment up to date (after new settlements
/// arrived, their counts and acceptance changed); each experiment's outcome, in order.
pub fn publish_running(
    store: &Store,
    client: &Client,
    now: DateTime<Utc>,
    cancel: &Cancel,
) -> Result<Vec<Written>, StoreError> {
    Ok(experiments::list(store)?
        .into_iter()
        .filter(|e| e.status == experiments::Status::Running)
        .map(|e| {
            let outcome = publish(store, client, &e.id, now, cancel);
            (e.id, outcome)
        })
        .collect())
}

/// One click from a suggestion to a test: `candidate` becomes the agent's next prompt version
/// (B) and an experiment starts against `base_version` (A), in one transaction — a failure
/// leaves neither behind.
pub fn start_suggested(
    store: &Store,
    agent: &str,
    candidate: &str,
    base_version: u32,
    title: &str,
    now: DateTime<Utc>,
) -> Result<(prompts::PromptVersion, Experiment), ExperimentError> {
    let note: String = title.chars().take(120).collect();
    experiments::create_with_new_version(
        store,
        &NewExperiment {
            agent: agent.to_owned(),
            a: base_version,
            note: note.clone(),
            ..Default::default()
        },
        candidate,
        &note,
        "redline (suggested)",
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with_prompt() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        prompts::add(&store, "The Auditor", "Be brief.", "", "admin").unwrap();
        (dir, store)
    }

    #[test]
    fn a_suggested_experiment_adds_its_version_and_starts_together() {
        let (_dir, store) = store_with_prompt();
        let now = Utc::now();
        let (v, e) = start_suggested(
            &store,
            "The Auditor",
            "Be brief. Cite the source.",
            1,
            "Cite",
            now,
        )
        .unwrap();
        assert_eq!(v.version, 2);
        assert_eq!((e.a.prompt_version, e.b.prompt_version), (1, 2));
        assert_eq!(experiments::get(&store, &e.id).unwrap(), e);
        assert_eq!(prompts::get(&store, "The Auditor", 2).unwrap(), v);
        // Adding a candidate never changes the prompt in use.
        assert_eq!(
            prompts::active(&store, "The Auditor")
                .unwrap()
                .unwrap()
                .version,
            1
        );
    }

    #[test]
    fn a_suggested_experiment_that_cannot_start_leaves_no_orphan_version() {
        let (_dir, store) = store_with_prompt();
        let now = Utc::now();
        start_suggested(&store, "The Auditor", "Be brief. Cite.", 1, "one", now).unwrap();
        // The agent has a running experiment now: the next suggestion is refused, whole.
        let err = start_suggested(&store, "The Auditor", "Be warm.", 1, "two", now).unwrap_err();
        assert!(
            matches!(err, ExperimentError::AlreadyRunning { .. }),
            "{err}"
        );
        // A base version that does not exist: refused, whole.
        let (_d2, other) = store_with_prompt();
        let err = start_suggested(&other, "The Auditor", "Be warm.", 7, "three", now).unwrap_err();
        assert!(matches!(err, ExperimentError::Prompt(_)), "{err}");
        assert_eq!(prompts::list(&store, "The Auditor").unwrap().len(), 2);
        assert_eq!(prompts::list(&other, "The Auditor").unwrap().len(), 1);
        assert!(experiments::list(&other).unwrap().is_empty());
    }
}
