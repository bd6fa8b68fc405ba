//! The Dashboard's commands: its figures, the incidents and their acknowledgement, the
//! threshold setting, two agents compared, the audit log. (The check after each change of the
//! data is `background.rs`; mining is `mining.rs`.)

use crate::error::AppError;
use crate::state::AppState;
use redline_core::analytics::{self, Range};
use redline_core::learning::{incidents, Incident};
use redline_core::service::summary;
use serde::Serialize;
use tauri::{AppHandle, State};

/// The dashboard's figures for a range (`7d`, `30d`, `90d`, `all`, `YYYY-MM-DD..YYYY-MM-DD`),
/// as the summary's JSON with `computed_at` (when the figures were computed) and `checking`
/// (a check of new data is running: these are the last stored figures, and the view updates
/// when the check ends). The standard ranges are read as the last check stored them; only
/// when none is stored, or it no longer describes the store, are they computed here.
#[tauri::command]
pub async fn dashboard(
    state: State<'_, AppState>,
    range: String,
    as_of_newest: Option<bool>,
) -> Result<serde_json::Value, AppError> {
    let parsed = Range::parse(&range).map_err(|m| AppError::new("invalid", m))?;
    let store = state.store()?;
    let measuring = state.measuring.clone();
    let as_of_newest = as_of_newest == Some(true);
    let label = range.trim().to_ascii_lowercase();
    let standard = !as_of_newest && summary::PRECOMPUTED.contains(&label.as_str());
    tauri::async_runtime::spawn_blocking(move || {
        let now = chrono::Utc::now();
        let with = |mut v: serde_json::Value, at: chrono::DateTime<chrono::Utc>, checking| {
            v["computed_at"] = serde_json::json!(at);
            v["checking"] = serde_json::json!(checking);
            v
        };
        if standard {
            let busy = measuring.try_lock().is_err();
            if let Some(s) = summary::stored(&store, &label, now)? {
                if s.current || busy {
                    return Ok(with(s.summary, s.at, busy && !s.current));
                }
            }
        }
        // Wait for a background measuring run instead of measuring the same settlements twice.
        let _one = measuring.lock().unwrap_or_else(|p| p.into_inner());
        let threshold = analytics::threshold(&store)?;
        // "As of the newest settlement": the range ends there (a store that has not synced).
        let now = match as_of_newest {
            true => analytics::newest(&store)?.unwrap_or(now),
            false => now,
        };
        let s = summary::of_store(&store, parsed, now, threshold)?;
        Ok(with(
            serde_json::to_value(&s).expect("summaries serialise"),
            chrono::Utc::now(),
            false,
        ))
    })
    .await
    .map_err(crate::error::blocking)?
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
    crate::background::after_change(&app);
    Ok(Settings { threshold })
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
    .map_err(crate::error::blocking)?
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
