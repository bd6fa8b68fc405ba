//! The optional LLM's commands: its settings and key (in the OS keychain), consent, and the
//! variants and offline evaluation it makes.

use crate::error::AppError;
use crate::state::AppState;
use redline_core::experiments::variants;
use redline_core::service;
use serde::Serialize;
use tauri::{AppHandle, State};

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
        Ok(k) => (k.flatten().map(|k| redline_core::secret::last4(&k)), None),
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
