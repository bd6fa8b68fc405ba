//! Prompt registry, variant generation and A/B experiment commands. Every experiment change
//! is kept in the store first; when a DB_AB_Tests database is connected and a token is saved
//! it is then written to Notion in the background (`experiment-published` tells the window).

use crate::error::AppError;
use crate::state::AppState;
use redline_core::diff::Span;
use redline_core::experiments::{self, Experiment, ExperimentError, NewExperiment, Results};
use redline_core::job::Cancel;
use redline_core::notion::ApiVersion;
use redline_core::prompts::PromptError;
use redline_core::service;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};

impl From<PromptError> for AppError {
    fn from(e: PromptError) -> Self {
        match e {
            PromptError::Store(e) => e.into(),
            other => AppError::new("invalid", other.to_string()),
        }
    }
}

impl From<ExperimentError> for AppError {
    fn from(e: ExperimentError) -> Self {
        match e {
            ExperimentError::Store(e) => e.into(),
            ExperimentError::Prompt(e) => e.into(),
            ExperimentError::Unknown(_) => AppError::new("not_found", e.to_string()),
            other => AppError::new("invalid", other.to_string()),
        }
    }
}

#[derive(Clone, Serialize)]
struct Published {
    id: String,
    error: Option<String>,
}

/// Write the experiment to DB_AB_Tests in the background, if connected and a token is saved.
fn publish_soon(app: &AppHandle, id: &str) {
    let app = app.clone();
    let id = id.to_owned();
    std::thread::spawn(move || publish_now(&app, &id));
}

/// A client for DB_AB_Tests with the saved token: `None` when no database is connected (the
/// experiments stay local, and nothing is said), else the client or why there is none.
fn ab_tests_client(
    store: &redline_core::store::Store,
) -> Option<Result<redline_core::notion::Client, String>> {
    service::notion::ab_tests_client(store, || crate::notion::token().map(|(t, _)| t))
        .map_err(|e| e.message)
        .transpose()
}

fn tell(app: &AppHandle, id: &str, error: Option<String>) {
    let _ = app.emit(
        "experiment-published",
        Published {
            id: id.to_owned(),
            error,
        },
    );
}

/// Write one experiment to DB_AB_Tests now (on this thread) and tell the window.
fn publish_now(app: &AppHandle, id: &str) {
    let state: State<'_, AppState> = app.state();
    let Ok(store) = state.store() else { return };
    let Some(client) = ab_tests_client(&store) else {
        return;
    };
    let outcome = client.and_then(|client| {
        service::experiments::publish(&store, &client, id, chrono::Utc::now(), &Cancel::new())
            .map_err(|e| e.to_string())
    });
    tell(app, id, outcome.err());
}

/// After new settlements arrive, refresh the DB_AB_Tests rows of running experiments (their
/// counts and acceptance changed). Runs on the caller's (background) thread.
pub fn publish_running(app: &AppHandle) {
    let state: State<'_, AppState> = app.state();
    let Ok(store) = state.store() else { return };
    match ab_tests_client(&store) {
        None => {}
        // No token (or a locked keychain): each running experiment's row says why.
        Some(Err(why)) => {
            let running = experiments::list(&store).unwrap_or_default();
            for e in running
                .iter()
                .filter(|e| e.status == experiments::Status::Running)
            {
                tell(app, &e.id, Some(why.clone()));
            }
        }
        Some(Ok(client)) => {
            let written = service::experiments::publish_running(
                &store,
                &client,
                chrono::Utc::now(),
                &Cancel::new(),
            );
            for (id, outcome) in written.unwrap_or_default() {
                tell(app, &id, outcome.err().map(|e| e.to_string()));
            }
        }
    }
}

#[tauri::command]
pub async fn create_experiment(
    app: AppHandle,
    state: State<'_, AppState>,
    experiment: NewExperiment,
) -> Result<Experiment, AppError> {
    let e = experiments::create(&*state.store()?, &experiment, chrono::Utc::now())?;
    publish_soon(&app, &e.id);
    Ok(e)
}

#[tauri::command]
pub async fn list_experiments(state: State<'_, AppState>) -> Result<Vec<Experiment>, AppError> {
    Ok(experiments::list(&*state.store()?)?)
}

/// get_experiment_results: the figures and the verdict now.
#[tauri::command]
pub async fn experiment_results(
    state: State<'_, AppState>,
    id: String,
) -> Result<Results, AppError> {
    let store = state.store()?;
    tauri::async_runtime::spawn_blocking(move || {
        let e = experiments::get(&store, &id)?;
        Ok(experiments::results(&store, &e)?)
    })
    .await
    .map_err(crate::error::blocking)?
}

#[tauri::command]
pub async fn complete_experiment(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
) -> Result<Experiment, AppError> {
    let (e, _) = experiments::complete(&*state.store()?, &id, chrono::Utc::now())?;
    publish_soon(&app, &e.id);
    Ok(e)
}

#[tauri::command]
pub async fn deploy_experiment(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
) -> Result<Experiment, AppError> {
    let e = experiments::deploy(&*state.store()?, &id, chrono::Utc::now())?;
    publish_soon(&app, &e.id);
    Ok(e)
}

/// Connect the DB_AB_Tests database (its schema is checked) with the saved token.
#[tauri::command]
pub async fn connect_ab_tests(
    state: State<'_, AppState>,
    database: String,
) -> Result<redline_core::notion::writeback::Target, AppError> {
    let store = state.store()?;
    tauri::async_runtime::spawn_blocking(move || {
        let client = crate::notion::client(&store, ApiVersion::V2026)?;
        let target =
            redline_core::notion::writeback::connect_target(&client, &database, &Cancel::new())?;
        redline_core::notion::writeback::set_target(&store, Some(&target))?;
        Ok(target)
    })
    .await
    .map_err(crate::error::blocking)?
}

/// The connected DB_AB_Tests database, if any.
#[tauri::command]
pub async fn ab_tests_target(
    state: State<'_, AppState>,
) -> Result<Option<redline_core::notion::writeback::Target>, AppError> {
    Ok(redline_core::notion::writeback::target(&*state.store()?)?)
}

/// The word diff between two texts (a prompt and an edited variant of it).
#[tauri::command]
pub async fn diff_texts(old: String, new: String) -> Result<Vec<Span>, AppError> {
    Ok(redline_core::diff::word_diff(&old, &new))
}
