//! Notion commands: the token (in the OS keychain; the UI sees only its last four characters),
//! connecting a database and correcting its mapping, and syncing with progress and cancel.

use crate::error::AppError;
use crate::keychain;
use crate::state::{run_job, AppState};
use redline_core::job::Cancel;
use redline_core::notion::mapping::Field;
use redline_core::notion::sync::{
    self, AutoSync, Connection, SyncOptions, SyncProgress, SyncReport, SyncState,
};
use redline_core::notion::{ApiVersion, Client, NotionError};
use redline_core::secret::SecretString;
use redline_core::service;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};

impl From<NotionError> for AppError {
    fn from(e: NotionError) -> Self {
        let kind = match &e {
            NotionError::Unauthorized => "unauthorized",
            NotionError::NotFound { .. } => "not_found",
            NotionError::Offline { .. } => "offline",
            NotionError::Cancelled => "cancelled",
            NotionError::ReconcileTooLarge { .. } => "reconcile_too_large",
            NotionError::Store(_) => "store",
            _ => "notion",
        };
        AppError::new(kind, e.to_string())
    }
}

/// The token: the keychain's, else `REDLINE_NOTION_TOKEN` (headless use).
pub(crate) fn token() -> Result<(SecretString, bool), AppError> {
    if let Some(t) = keychain::notion_token()? {
        return Ok((t, false));
    }
    service::notion::token_from_env()
        .map(|t| (t, true))
        .ok_or_else(|| AppError::new("no_token", "paste your Notion integration token first"))
}

/// A client speaking `version` with the saved token, to connect a database.
pub(crate) fn client(
    store: &redline_core::store::Store,
    version: ApiVersion,
) -> Result<Client, AppError> {
    Ok(service::notion::client(store, token()?.0, version)?)
}

#[derive(Serialize)]
pub struct FieldInfo {
    field: Field,
    label: &'static str,
    required: bool,
}

#[derive(Serialize)]
pub struct NotionStatus {
    /// The last four characters of the saved token, if one is saved.
    token_last4: Option<String>,
    token_from_env: bool,
    /// Why the keychain could not be read, if it could not.
    keychain_error: Option<String>,
    base_url: String,
    fields: Vec<FieldInfo>,
    state: SyncState,
}

#[tauri::command]
pub async fn notion_status(state: State<'_, AppState>) -> Result<NotionStatus, AppError> {
    let store = state.store()?;
    let (token_last4, token_from_env, keychain_error) = match token() {
        Ok((t, env)) => (Some(redline_core::secret::last4(&t)), env, None),
        Err(e) if e.kind == "no_token" => (None, false, None),
        Err(e) => (None, false, Some(e.message)),
    };
    let state = SyncState::load(&store)?;
    Ok(NotionStatus {
        token_last4,
        token_from_env,
        keychain_error,
        base_url: redline_core::notion::base_url(state.base_url.as_deref()),
        fields: Field::ALL
            .iter()
            .map(|&field| FieldInfo {
                field,
                label: field.label(),
                required: field.required(),
            })
            .collect(),
        state,
    })
}

/// Save the token in the keychain; answers its last four characters.
#[tauri::command]
pub async fn notion_save_token(
    state: State<'_, AppState>,
    token: String,
) -> Result<String, AppError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(AppError::new("invalid", "the token is empty"));
    }
    keychain::save_notion_token(token)?;
    let last4 = redline_core::secret::last4(&SecretString::from(token.to_string()));
    // The log says that the token changed, never what it is.
    redline_core::audit::record(
        &*state.store()?,
        "token_saved",
        format!("Notion token saved in the OS keychain (ending …{last4})"),
        serde_json::Value::Null,
    )?;
    Ok(last4)
}

#[tauri::command]
pub async fn notion_remove_token(state: State<'_, AppState>) -> Result<(), AppError> {
    keychain::remove_notion_token()?;
    redline_core::audit::record(
        &*state.store()?,
        "token_removed",
        "Notion token removed from the OS keychain",
        serde_json::Value::Null,
    )?;
    Ok(())
}

/// Read a database's schema and propose a mapping; nothing is saved yet.
#[tauri::command]
pub async fn notion_connect(
    state: State<'_, AppState>,
    database: String,
) -> Result<Connection, AppError> {
    let store = state.store()?;
    tauri::async_runtime::spawn_blocking(move || {
        let client = client(&store, ApiVersion::V2026)?;
        Ok(sync::connect(&client, &database, &Cancel::new())?)
    })
    .await
    .map_err(|e| AppError::new("internal", e.to_string()))?
}

#[tauri::command]
pub async fn notion_save_connection(
    state: State<'_, AppState>,
    connection: Connection,
) -> Result<(), AppError> {
    let store = state.store()?;
    Ok(sync::save_connection(&store, connection)?)
}

#[tauri::command]
pub async fn notion_set_auto_sync(
    state: State<'_, AppState>,
    on_launch: bool,
    every_minutes: Option<u32>,
) -> Result<(), AppError> {
    let store = state.store()?;
    Ok(sync::set_auto_sync(
        &store,
        AutoSync {
            on_launch,
            every_minutes: every_minutes.filter(|m| *m > 0),
        },
    )?)
}

/// What an automatic sync did, for a quiet notice in the window.
#[derive(Clone, Serialize)]
struct AutoSynced {
    ok: bool,
    message: String,
    report: Option<SyncReport>,
}

/// While the app runs, check every 30 s whether an automatic sync is due (on launch, or every
/// N minutes) and run it when no other job is running; the window hears `notion-synced`.
pub fn start_auto_sync(app: AppHandle) {
    std::thread::spawn(move || {
        // Let the window register its listeners first, so it hears about the launch sync.
        let state: State<'_, AppState> = app.state();
        state.wait_ui_ready(std::time::Duration::from_secs(20));
        // Catch up: measure what is new and announce alerts raised while Redline was closed.
        crate::background::after_change(&app);
        let mut launched = true;
        loop {
            auto_sync_once(&app, launched);
            launched = false;
            std::thread::sleep(std::time::Duration::from_secs(30));
        }
    });
}

fn auto_sync_once(app: &AppHandle, launched: bool) {
    let state: State<'_, AppState> = app.state();
    let Ok(store) = state.store() else { return };
    let Ok(saved) = SyncState::load(&store) else {
        return;
    };
    if !saved.auto_sync_due(chrono::Utc::now(), launched) {
        return;
    }
    // No database, no token yet, or the keychain is locked: nothing to do until the person
    // acts.
    let Ok(Some(client)) = service::notion::sync_client(&store, || token().map(|(t, _)| t)) else {
        return;
    };
    // Another job (an import, a manual sync) is running: try again at the next check.
    let Ok(job) = state.begin_job() else { return };
    let mut on_progress = |p: &SyncProgress| {
        let _ = app.emit("notion-progress", p);
    };
    let outcome = sync::sync(
        &store,
        &client,
        SyncOptions::default(),
        &mut on_progress,
        &job.cancel,
    );
    drop(job);
    if outcome.is_ok() {
        crate::background::after_change(app);
    }
    let notice = match outcome {
        Ok(report) => AutoSynced {
            ok: true,
            message: format!(
                "Synced from Notion: {} new, {} updated, {} skipped",
                report.progress.written.inserted,
                report.progress.written.updated,
                report.progress.skipped
            ),
            report: Some(report),
        },
        Err(e) => AutoSynced {
            ok: false,
            message: AppError::from(e).message,
            report: None,
        },
    };
    let _ = app.emit("notion-synced", notice);
}

/// Set the API base URL (empty: the official API).
#[tauri::command]
pub async fn notion_set_base_url(
    state: State<'_, AppState>,
    base_url: String,
) -> Result<(), AppError> {
    let store = state.store()?;
    Ok(sync::set_base_url(&store, Some(base_url))?)
}

#[tauri::command]
pub async fn notion_sync(
    app: AppHandle,
    state: State<'_, AppState>,
    reconcile: bool,
    force: Option<bool>,
) -> Result<SyncReport, AppError> {
    let store = state.store()?;
    let client = service::notion::sync_client(&store, || token().map(|(t, _)| t))?
        .ok_or_else(|| AppError::new("invalid", "connect a Notion database first"))?;
    let handle = app.clone();
    let report = run_job(&state, move |cancel| {
        let mut on_progress = |p: &SyncProgress| {
            let _ = handle.emit("notion-progress", p);
        };
        sync::sync(
            &store,
            &client,
            SyncOptions {
                reconcile,
                force: force.unwrap_or(false),
            },
            &mut on_progress,
            &cancel,
        )
    })
    .await?;
    crate::background::after_change(&app);
    Ok(report)
}
