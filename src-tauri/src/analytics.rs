//! Dashboard, alerts and settings commands, and the watch that runs after every change of the
//! data (import, sample, sync) and at launch: it measures new settlements in the background,
//! stores the alerts, announces new ones with a desktop notification and tells the window.

use crate::destinations::{ask, Ask};
use crate::error::AppError;
use crate::state::AppState;
use redline_core::analytics::{self, Range, Summary};
use redline_core::learning::{incidents, Incident};
use serde::Serialize;
use std::path::PathBuf;
use tauri::{AppHandle, Emitter, Manager, State};
use tauri_plugin_notification::NotificationExt;

fn blocking_error(e: impl std::fmt::Display) -> AppError {
    AppError::new("internal", e.to_string())
}

/// The dashboard's figures for a range (`7d`, `30d`, `90d`, `all`, `YYYY-MM-DD..YYYY-MM-DD`).
#[tauri::command]
pub async fn dashboard(
    state: State<'_, AppState>,
    range: String,
    as_of_newest: Option<bool>,
) -> Result<Summary, AppError> {
    let range = Range::parse(&range).map_err(|m| AppError::new("invalid", m))?;
    let store = state.store()?;
    let measuring = state.measuring.clone();
    tauri::async_runtime::spawn_blocking(move || {
        // Wait for a background measuring run instead of measuring the same settlements twice.
        let _one = measuring.lock().unwrap_or_else(|p| p.into_inner());
        let threshold = analytics::threshold(&store)?;
        // "As of the newest settlement": the range ends there (a store that has not synced).
        let now = match as_of_newest {
            Some(true) => analytics::newest(&store)?.unwrap_or_else(chrono::Utc::now),
            _ => chrono::Utc::now(),
        };
        Ok(redline_core::service::summary::of_store(
            &store, range, now, threshold,
        )?)
    })
    .await
    .map_err(blocking_error)?
}

/// The incidents the last check stored, most severe first (nothing is computed here).
#[tauri::command]
pub async fn list_alerts(state: State<'_, AppState>) -> Result<Vec<Incident>, AppError> {
    Ok(incidents::stored(&*state.store()?)?)
}

/// Acknowledge an incident with all its parts (or one part by its own key).
#[tauri::command]
pub async fn acknowledge_alert(
    state: State<'_, AppState>,
    key: String,
) -> Result<Incident, AppError> {
    incidents::acknowledge(&*state.store()?, &key, chrono::Utc::now())?
        .ok_or_else(|| AppError::new("not_found", format!("no incident with key {key}")))
}

#[derive(Serialize)]
pub struct Settings {
    threshold: f64,
}

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Result<Settings, AppError> {
    Ok(Settings {
        threshold: analytics::threshold(&*state.store()?)?,
    })
}

#[tauri::command]
pub async fn set_threshold(
    app: AppHandle,
    state: State<'_, AppState>,
    threshold: f64,
) -> Result<Settings, AppError> {
    analytics::set_threshold(&*state.store()?, threshold).map_err(|e| match e {
        analytics::ThresholdError::Store(e) => e.into(),
        other => AppError::new("invalid", other.to_string()),
    })?;
    // The alerts' bar moved: check again.
    after_change(&app);
    Ok(Settings { threshold })
}

/// Save a chart (SVG text or PNG bytes) or a table (CSV) where the person chooses; `None` if
/// they cancel. The file is written to a temporary name beside it and renamed into place.
#[tauri::command]
pub async fn save_file(
    app: AppHandle,
    name: String,
    text: Option<String>,
    bytes: Option<Vec<u8>>,
) -> Result<Option<PathBuf>, AppError> {
    let ext = std::path::Path::new(&name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_owned();
    let Some(path) = ask(
        &app,
        Ask::Save {
            title: "Save",
            name: &name,
            ext: &ext,
        },
    ) else {
        return Ok(None);
    };
    let data = match (text, bytes) {
        (Some(t), None) => t.into_bytes(),
        (None, Some(b)) => b,
        _ => {
            return Err(AppError::new(
                "invalid",
                "give either text or bytes to save",
            ))
        }
    };
    redline_core::fsutil::write_atomic(&path, &data)
        .map_err(|e| AppError::new("io", format!("cannot write {}: {e}", path.display())))?;
    Ok(Some(path))
}

#[derive(Clone, Serialize)]
struct AlertsChanged {
    raised: Vec<Incident>,
    active: Vec<Incident>,
}

/// One desktop notification per incident raised anew (by the background check, or by Home's).
pub fn announce(app: &AppHandle, raised: &[Incident]) {
    for r in raised.iter().filter(|i| i.raised && i.open) {
        let shown = app
            .notification()
            .builder()
            .title(if r.agent.is_empty() {
                "Redline: no new data".to_owned()
            } else {
                format!("Redline: {} needs attention", r.agent)
            })
            .body(&r.summary)
            .show();
        if let Err(e) = shown {
            eprintln!("redline: could not show a desktop notification: {e}");
        }
    }
}

/// Check for incidents in the background (measuring new settlements on the way) and store
/// them with Home's suggestions, so Home only reads; announce the ones raised anew, one
/// notification per incident; then refresh running experiments' rows in Notion. Errors are
/// logged, never shown as a failure of what triggered the check.
pub fn after_change(app: &AppHandle) {
    let app = app.clone();
    let asked = chrono::Utc::now();
    std::thread::spawn(move || {
        let state: State<'_, AppState> = app.state();
        let Ok(store) = state.store() else { return };
        state.set_refreshing(true);
        let outcome = {
            let _one = state.measuring.lock().unwrap_or_else(|p| p.into_inner());
            // A check that started after this one was asked for, or one just made on the store
            // as it is (Home's own on a store never checked), already saw what this one would.
            let now = chrono::Utc::now();
            let covered = match (
                redline_core::learning::last_refresh(&store),
                store.change_seq(),
            ) {
                (Ok(Some(last)), Ok(seq)) => last.covers(asked, seq, now),
                _ => false,
            };
            (!covered).then(|| redline_core::learning::refresh(&store, now).map(|(w, _)| w))
        };
        state.set_refreshing(false);
        crate::state::give_back_memory();
        match outcome {
            // Skipped: the views waiting for this check hear that it ended, nothing new raised.
            None => {
                if let Ok(active) = redline_core::learning::incidents::stored(&store) {
                    let _ = app.emit(
                        "alerts-changed",
                        AlertsChanged {
                            raised: Vec::new(),
                            active,
                        },
                    );
                }
            }
            Some(Ok(w)) => {
                announce(&app, &w.raised);
                let _ = app.emit(
                    "alerts-changed",
                    AlertsChanged {
                        raised: w.raised,
                        active: w.active,
                    },
                );
            }
            Some(Err(e)) => {
                eprintln!("redline: checking alerts failed: {e}");
                // The views that said "checking again" stop saying it, and say why.
                let _ = app.emit(
                    "alerts-check-failed",
                    serde_json::json!({"message": format!("checking for incidents failed: {e}")}),
                );
            }
        }
        // Running experiments' counts changed: bring their Notion rows up to date.
        crate::experiments::publish_running(&app);
        store_analyses(&state, &store);
    });
}

/// Store every settlement's pattern analysis not stored yet, so that the first mining of an
/// agent reads them back instead of diffing again. One such pass at a time (one started later
/// finds what this one did not reach); a mining the person asks for cancels it.
fn store_analyses(state: &AppState, store: &redline_core::store::Store) {
    static ANALYSING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let Ok(_one) = ANALYSING.try_lock() else {
        return;
    };
    // Read before the pass: a change made while it runs moves it, and the next pass looks.
    let seq = match store.change_seq() {
        Ok(seq) => seq,
        Err(e) => {
            eprintln!("redline: storing pattern analyses failed: {e}");
            return;
        }
    };
    let done = || state.analysed_at.lock().unwrap_or_else(|p| p.into_inner());
    if *done() == Some(seq) {
        return;
    }
    let cancel = redline_core::job::Cancel::new();
    *state.background.lock().unwrap_or_else(|p| p.into_inner()) = cancel.clone();
    let stored =
        redline_core::patterns::store_analyses(store, &mut redline_core::job::no_progress, &cancel);
    match stored {
        Ok(Some(_)) => *done() = Some(seq),
        Ok(None) => {}
        Err(e) => eprintln!("redline: storing pattern analyses failed: {e}"),
    }
    crate::state::give_back_memory();
}

/// Mine the edit patterns of one agent (or all) over a range, as a cancellable job with
/// `job-progress` events (`job: "patterns"`). `None` if cancelled. Miners are kept: mining a
/// recent agent and intent type again analyses only what changed in the store since.
#[tauri::command]
pub async fn mine_patterns(
    app: AppHandle,
    state: State<'_, AppState>,
    agent: String,
    range: String,
    intent_type: String,
) -> Result<Option<redline_core::patterns::Report>, AppError> {
    let range = Range::parse(&range).map_err(|m| AppError::new("invalid", m))?;
    let (from, to) = range.bounds(chrono::Utc::now());
    let given = |s: String| Some(s).filter(|s| !s.trim().is_empty());
    let scope = redline_core::patterns::Scope {
        agent: given(agent),
        intent_type: given(intent_type),
        from,
        to: Some(to),
    };
    let store = state.store()?;
    let miners = state.miners.clone();
    let mut on_step = crate::commands::progress(&app, "patterns");
    // The person's mining goes first: the background pass stops (this mining stores the
    // analyses it makes) and starts again once it is done.
    state
        .background
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .cancel();
    let resume = {
        let (app, store) = (app.clone(), store.clone());
        move || {
            std::thread::spawn(move || store_analyses(&app.state::<AppState>(), &store));
        }
    };
    let mined = crate::state::run_job(&state, move |cancel| {
        // Miners whose update panicked half-way are not trusted: they start over.
        let mut miners = miners.lock().unwrap_or_else(|poisoned| {
            let mut miners = poisoned.into_inner();
            miners.clear();
            miners
        });
        let mined = miners.mine(&store, &scope, &mut on_step, &cancel)?;
        Ok::<_, redline_core::store::StoreError>(mined.map(|(report, _)| report))
    })
    .await;
    resume();
    mined
}

/// Replay one agent's candidate changes (`patterns::replay`): mined on the range's earlier
/// half, applied to the later half, as a cancellable job with `job-progress` events
/// (`job: "replay"`, one step per change). `None` if cancelled.
#[tauri::command]
pub async fn replay_patterns(
    app: AppHandle,
    state: State<'_, AppState>,
    agent: String,
    range: String,
    intent_type: String,
) -> Result<Option<redline_core::patterns::replay::Replay>, AppError> {
    let range = Range::parse(&range).map_err(|m| AppError::new("invalid", m))?;
    let (from, to) = range.bounds(chrono::Utc::now());
    if agent.trim().is_empty() {
        return Err(AppError::new("invalid", "choose an agent to replay"));
    }
    let scope = redline_core::patterns::Scope {
        agent: Some(agent),
        intent_type: Some(intent_type).filter(|s| !s.trim().is_empty()),
        from,
        to: Some(to),
    };
    let store = state.store()?;
    let mut on_step = crate::commands::progress(&app, "replay");
    crate::state::run_job(&state, move |cancel| {
        redline_core::patterns::replay::replay_store(&store, &scope, &mut on_step, &cancel)
    })
    .await
}

/// Two agents head to head over a range (`compare_agents`).
#[tauri::command]
pub async fn compare_agents(
    state: State<'_, AppState>,
    agent_a: String,
    agent_b: String,
    range: String,
) -> Result<analytics::Comparison, AppError> {
    let range = Range::parse(&range).map_err(|m| AppError::new("invalid", m))?;
    if agent_a == agent_b {
        return Err(AppError::new("invalid", "choose two different agents"));
    }
    let store = state.store()?;
    let measuring = state.measuring.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let _one = measuring.lock().unwrap_or_else(|p| p.into_inner());
        let now = chrono::Utc::now();
        let (from, to) = range.bounds(now);
        let obs = analytics::observations(&store, from, Some(to))?;
        Ok(analytics::compare(&obs, &agent_a, &agent_b, range, now))
    })
    .await
    .map_err(blocking_error)?
}

/// The newest audit entries (exports, token changes, syncs), newest first.
#[tauri::command]
pub async fn audit_log(
    state: State<'_, AppState>,
    limit: usize,
) -> Result<Vec<redline_core::audit::Entry>, AppError> {
    Ok(redline_core::audit::entries(
        &*state.store()?,
        limit.clamp(1, 1000),
    )?)
}
