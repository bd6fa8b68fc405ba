//! Prompt registry, variant generation and A/B experiment commands. Every experiment change
//! is kept in the store first; when a DB_AB_Tests database is connected and a token is saved
//! it is then written to Notion in the background (`experiment-published` tells the window).

use crate::error::AppError;
use crate::state::AppState;
use redline_core::diff::Span;
use redline_core::experiments::{
    self, variants, Experiment, ExperimentError, NewExperiment, Results,
};
use redline_core::job::Cancel;
use redline_core::notion::ApiVersion;
use redline_core::prompts::{self, PromptError, PromptVersion};
use redline_core::service;
use serde::Serialize;
use std::collections::BTreeMap;
use tauri::{AppHandle, Emitter, Manager, State};
use tauri_plugin_dialog::DialogExt;

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

fn blocking_error(e: impl std::fmt::Display) -> AppError {
    AppError::new("internal", e.to_string())
}

#[derive(Serialize)]
pub struct AgentPrompts {
    active: Option<u32>,
    versions: Vec<PromptVersion>,
}

/// Every agent's prompt versions and its active one.
#[tauri::command]
pub async fn list_prompts(
    state: State<'_, AppState>,
) -> Result<BTreeMap<String, AgentPrompts>, AppError> {
    let store = state.store()?;
    let mut out = BTreeMap::new();
    for (agent, versions) in prompts::all(&store)? {
        let active = prompts::active(&store, &agent)?.map(|v| v.version);
        out.insert(agent, AgentPrompts { active, versions });
    }
    Ok(out)
}

#[tauri::command]
pub async fn add_prompt(
    state: State<'_, AppState>,
    agent: String,
    text: String,
    note: String,
    activate: bool,
) -> Result<PromptVersion, AppError> {
    let store = state.store()?;
    let v = prompts::add(&store, &agent, &text, &note, "")?;
    if activate {
        prompts::set_active(&store, &agent, v.version)?;
    }
    Ok(v)
}

/// Pick a text file and return its content for review before it is added (at most 1 MB).
#[tauri::command]
pub async fn pick_prompt_file(app: AppHandle) -> Result<Option<String>, AppError> {
    let Some(path) = app
        .dialog()
        .file()
        .set_title("Import a prompt")
        .add_filter("Text", &["txt", "md", "prompt"])
        .blocking_pick_file()
        .and_then(|f| f.into_path().ok())
    else {
        return Ok(None);
    };
    let size = std::fs::metadata(&path)
        .map_err(|e| AppError::new("io", format!("cannot read {}: {e}", path.display())))?
        .len();
    if size > 1 << 20 {
        return Err(AppError::new(
            "invalid",
            format!(
                "{} is {size} bytes; a prompt file may be at most 1 MB",
                path.display()
            ),
        ));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| {
        AppError::new(
            "io",
            format!("cannot read {} as UTF-8 text: {e}", path.display()),
        )
    })?;
    Ok(Some(text))
}

#[tauri::command]
pub async fn prompt_diff(
    state: State<'_, AppState>,
    agent: String,
    from: u32,
    to: u32,
) -> Result<Vec<Span>, AppError> {
    let store = state.store()?;
    let (a, b) = (
        prompts::get(&store, &agent, from)?,
        prompts::get(&store, &agent, to)?,
    );
    Ok(prompts::diff(&a, &b))
}

#[tauri::command]
pub async fn activate_prompt(
    state: State<'_, AppState>,
    agent: String,
    version: u32,
) -> Result<PromptVersion, AppError> {
    Ok(prompts::set_active(&*state.store()?, &agent, version)?)
}

/// Register the prompts settlements carry; returns the versions added.
#[tauri::command]
pub async fn adopt_prompts(state: State<'_, AppState>) -> Result<Vec<PromptVersion>, AppError> {
    let store = state.store()?;
    tauri::async_runtime::spawn_blocking(move || Ok(prompts::adopt_from_settlements(&store)?))
        .await
        .map_err(blocking_error)?
}

/// Compose variants offline from the agent's last `last` settlements (0 = all).
#[tauri::command]
pub async fn generate_variants(
    state: State<'_, AppState>,
    agent: String,
    last: usize,
) -> Result<variants::Generated, AppError> {
    let store = state.store()?;
    tauri::async_runtime::spawn_blocking(move || Ok(variants::generate(&store, &agent, last)?))
        .await
        .map_err(blocking_error)?
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

/// Write one experiment to DB_AB_Tests now (on this thread) and tell the window.
fn publish_now(app: &AppHandle, id: &str) {
    let state: State<'_, AppState> = app.state();
    let Ok(store) = state.store() else { return };
    // No DB_AB_Tests connected: the experiment stays local, and nothing is said.
    if !matches!(redline_core::notion::writeback::target(&store), Ok(Some(_))) {
        return;
    }
    let client = match crate::notion::token()
        .and_then(|(t, _)| Ok(service::notion::ab_tests_client(&store, t)?))
    {
        Ok(Some(client)) => Ok(client),
        Ok(None) => return,
        Err(e) => Err(e.message),
    };
    let outcome = client.and_then(|client| {
        service::experiments::publish(&store, &client, id, chrono::Utc::now(), &Cancel::new())
            .map_err(|e| e.to_string())
    });
    let _ = app.emit(
        "experiment-published",
        Published {
            id: id.to_owned(),
            error: outcome.err(),
        },
    );
}

/// After new settlements arrive, refresh the DB_AB_Tests rows of running experiments (their
/// counts and acceptance changed). Runs on the caller's (background) thread.
pub fn publish_running(app: &AppHandle) {
    let state: State<'_, AppState> = app.state();
    let Ok(store) = state.store() else { return };
    if !matches!(redline_core::notion::writeback::target(&store), Ok(Some(_))) {
        return;
    }
    let Ok(all) = experiments::list(&store) else {
        return;
    };
    for e in all
        .iter()
        .filter(|e| e.status == experiments::Status::Running)
    {
        publish_now(app, &e.id);
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
    .map_err(blocking_error)?
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
    .map_err(blocking_error)?
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

impl From<redline_core::llm::LlmError> for AppError {
    fn from(e: redline_core::llm::LlmError) -> Self {
        use redline_core::llm::LlmError;
        let kind = match &e {
            LlmError::Store(_) => "store",
            LlmError::NotConfigured => "llm_not_configured",
            LlmError::NoConsent { .. } => "llm_no_consent",
            LlmError::NoKey { .. } | LlmError::Unauthorized { .. } => "llm_key",
            LlmError::Cancelled => "cancelled",
            _ => "llm",
        };
        AppError::new(kind, e.to_string())
    }
}

#[derive(Serialize)]
pub struct LlmStatus {
    config: Option<redline_core::llm::Config>,
    consent: bool,
    /// The last four characters of the saved key, if one is saved.
    key_last4: Option<String>,
    keychain_error: Option<String>,
}

#[tauri::command]
pub async fn llm_status(state: State<'_, AppState>) -> Result<LlmStatus, AppError> {
    let store = state.store()?;
    let config = redline_core::llm::config(&store)?;
    let consent = match &config {
        Some(c) => redline_core::llm::consent(&store, c)?,
        None => false,
    };
    let (key_last4, keychain_error) = match config
        .as_ref()
        .map(|c| crate::keychain::llm_key(&c.key_binding()))
        .transpose()
    {
        Ok(k) => (k.flatten().map(|k| k.last4()), None),
        Err(e) => (None, Some(e.message)),
    };
    Ok(LlmStatus {
        config,
        consent,
        key_last4,
        keychain_error,
    })
}

/// Save the provider settings, and the key (into the keychain) when one is given.
#[tauri::command]
pub async fn llm_configure(
    state: State<'_, AppState>,
    config: redline_core::llm::Config,
    key: Option<String>,
) -> Result<LlmStatus, AppError> {
    let store = state.store()?;
    redline_core::llm::set_config(&store, &config)?;
    // The key is saved for the recipient as saved (base URL normalised).
    let saved =
        redline_core::llm::config(&store)?.ok_or(redline_core::llm::LlmError::NotConfigured)?;
    if let Some(k) = key.map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()) {
        crate::keychain::save_llm_key(&saved.key_binding(), &k)?;
    }
    llm_status(state).await
}

#[tauri::command]
pub async fn llm_remove_key(state: State<'_, AppState>) -> Result<LlmStatus, AppError> {
    if let Some(c) = redline_core::llm::config(&*state.store()?)? {
        crate::keychain::remove_llm_key(&c.key_binding())?;
    }
    llm_status(state).await
}

/// Give or withdraw consent to send settlement text to the configured provider.
#[tauri::command]
pub async fn llm_set_consent(
    state: State<'_, AppState>,
    given: bool,
) -> Result<LlmStatus, AppError> {
    let store = state.store()?;
    let config =
        redline_core::llm::config(&store)?.ok_or(redline_core::llm::LlmError::NotConfigured)?;
    redline_core::llm::set_consent(&store, &config, given)?;
    llm_status(state).await
}

fn llm_client(store: &redline_core::store::Store) -> Result<redline_core::llm::Client, AppError> {
    let config =
        redline_core::llm::config(store)?.ok_or(redline_core::llm::LlmError::NotConfigured)?;
    let key = crate::keychain::llm_key(&config.key_binding())?;
    Ok(redline_core::llm::Client::new(store, config, key)?)
}

/// Variants written by the configured LLM (a cancellable job).
#[tauri::command]
pub async fn generate_variants_llm(
    state: State<'_, AppState>,
    agent: String,
    last: usize,
    count: usize,
) -> Result<Option<variants::Generated>, AppError> {
    let store = state.store()?;
    let client = llm_client(&store)?;
    crate::state::run_job(
        &state,
        move |cancel| match service::assist::generate_with_llm(
            &store, &client, &agent, last, count, &cancel,
        ) {
            Err(redline_core::llm::LlmError::Cancelled) => Ok(None),
            other => other.map(Some),
        },
    )
    .await
}

/// evaluate_prompt_variant: replay recent intents with the active prompt and `candidate`, as a
/// cancellable job with `job-progress` events (`job: "evaluation"`).
#[tauri::command]
pub async fn evaluate_variant(
    app: AppHandle,
    state: State<'_, AppState>,
    agent: String,
    candidate: String,
    replay: usize,
) -> Result<Option<service::assist::Evaluation>, AppError> {
    let store = state.store()?;
    let client = llm_client(&store)?;
    let mut on_step = crate::commands::progress(&app, "evaluation");
    crate::state::run_job(&state, move |cancel| {
        service::assist::evaluate(
            &store,
            &client,
            &agent,
            &candidate,
            replay,
            &mut on_step,
            &cancel,
        )
    })
    .await
}
