//! The Home view and the weekly report: what changed, what needs attention, what to test next;
//! reports made on demand and every week while the app runs (catching up after the laptop was
//! off), saved in a folder the user picks and optionally posted to Slack (the webhook URL is
//! kept in the OS keychain).

use crate::destinations::{ask, Ask};
use crate::error::AppError;
use crate::state::AppState;
use redline_core::experiments::Experiment;
use redline_core::learning::{self, Overview, ReportSettings};
use redline_core::service::{
    self,
    report::{Delivery, ReportError, ReportMade},
};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};
use tauri_plugin_notification::NotificationExt;

#[tauri::command]
pub async fn home_overview(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> Result<Overview, AppError> {
    let store = state.store()?;
    let measuring = state.measuring.clone();
    let progress_to = app.clone();
    let mut o: Overview = tauri::async_runtime::spawn_blocking(move || {
        let now = chrono::Utc::now();
        // While a background check measures and mines, Home shows what the last one stored
        // (at once, not after it); only with nothing stored yet does it wait for it.
        if measuring.try_lock().is_err() {
            if let Some(o) = learning::overview_while_busy(&store, now)? {
                return Ok(o);
            }
        }
        let _one = measuring.lock().unwrap_or_else(|p| p.into_inner());
        // On a store never checked Home makes the first check itself, measuring every
        // settlement first: it says how far it has come as the background check does.
        let mut progress = crate::background::check_progress(&progress_to);
        let o = learning::overview_measuring(&store, now, &mut |s| {
            progress(redline_core::service::refresh::CheckStep::measuring(s))
        });
        // On a store never checked, that was the whole check.
        crate::state::give_back_memory();
        o
    })
    .await
    .map_err(crate::error::blocking)??;
    o.refreshing = state.refreshing_since();
    // Home's check stored the incidents: what it raised anew is announced as the background
    // check would have.
    crate::background::announce(&app, &o.incidents);
    Ok(o)
}

/// One click from a suggestion to a test: the candidate becomes a new prompt version (B) and
/// an experiment starts against the version it builds on (A), in one transaction.
#[tauri::command]
pub async fn start_suggested(
    state: State<'_, AppState>,
    agent: String,
    candidate: String,
    base_version: u32,
    title: String,
) -> Result<Experiment, AppError> {
    let store = state.store()?;
    let (_, e) = service::experiments::start_suggested(
        &store,
        &agent,
        &candidate,
        base_version,
        &title,
        chrono::Utc::now(),
    )?;
    Ok(e)
}

/// Make a report now with what Settings asks for (Slack, e-mail; their secrets from the OS
/// keychain).
fn make_report(
    store: &redline_core::store::Store,
    folder: &std::path::Path,
) -> Result<ReportMade, AppError> {
    let settings = learning::report_settings(store)?;
    let delivery = Delivery {
        slack: settings
            .slack
            .then(|| match crate::keychain::slack_webhook() {
                Ok(Some(url)) => Ok(url),
                Ok(None) => Err("no Slack webhook is saved".into()),
                Err(e) => Err(e.message),
            }),
        email: settings
            .email
            .then(|| crate::keychain::smtp_password().ok().flatten()),
    };
    service::report::make(store, folder, &delivery, chrono::Utc::now()).map_err(|e| match e {
        ReportError::Store(e) => e.into(),
        save => AppError::new("io", save.to_string()),
    })
}

/// Make a report now, into the saved folder or (when `choose` or none is saved) one the user
/// picks; `None` if they cancel the dialog.
#[tauri::command]
pub async fn generate_report(
    app: AppHandle,
    state: State<'_, AppState>,
    choose: bool,
) -> Result<Option<ReportMade>, AppError> {
    let store = state.store()?;
    let saved = learning::report_settings(&store)?.folder;
    let folder = match saved {
        Some(f) if !choose => f,
        _ => {
            let Some(picked) = ask(
                &app,
                Ask::Folder {
                    title: "Folder for weekly reports",
                },
            ) else {
                return Ok(None);
            };
            picked
        }
    };
    tauri::async_runtime::spawn_blocking(move || make_report(&store, &folder).map(Some))
        .await
        .map_err(crate::error::blocking)?
}

#[derive(Serialize)]
pub struct ReportStatus {
    settings: ReportSettings,
    slack_saved: bool,
    email: Option<redline_core::delivery::EmailSettings>,
    smtp_password_saved: bool,
}

#[tauri::command]
pub async fn report_status(state: State<'_, AppState>) -> Result<ReportStatus, AppError> {
    let store = state.store()?;
    Ok(ReportStatus {
        settings: learning::report_settings(&store)?,
        slack_saved: crate::keychain::slack_webhook().ok().flatten().is_some(),
        email: redline_core::delivery::email_settings(&store)?,
        smtp_password_saved: crate::keychain::smtp_password().ok().flatten().is_some(),
    })
}

/// Save the editing-time and ROI figures the admin enters.
#[tauri::command]
pub async fn set_roi_settings(
    state: State<'_, AppState>,
    settings: learning::roi::RoiSettings,
) -> Result<learning::roi::RoiSettings, AppError> {
    learning::roi::set_settings(&*state.store()?, &settings)
        .map_err(|m| AppError::new("invalid", m))?;
    Ok(settings)
}

/// Save the SMTP settings (checked), and the password into the keychain when one is given.
#[tauri::command]
pub async fn save_email_settings(
    state: State<'_, AppState>,
    settings: redline_core::delivery::EmailSettings,
    password: Option<String>,
) -> Result<ReportStatus, AppError> {
    redline_core::delivery::set_email_settings(&*state.store()?, &settings)
        .map_err(|e| AppError::new("invalid", e.to_string()))?;
    if let Some(p) = password.filter(|p| !p.is_empty()) {
        crate::keychain::save_smtp_password(&p)?;
    }
    report_status(state).await
}

#[tauri::command]
pub async fn set_report_schedule(
    state: State<'_, AppState>,
    weekly: bool,
    slack: bool,
    email: bool,
) -> Result<ReportStatus, AppError> {
    let store = state.store()?;
    let mut s = learning::report_settings(&store)?;
    s.weekly = weekly;
    s.slack = slack;
    s.email = email;
    learning::set_report_settings(&store, &s)?;
    report_status(state).await
}

/// Save (or with an empty URL, remove) the Slack webhook in the keychain.
#[tauri::command]
pub async fn save_slack_webhook(
    state: State<'_, AppState>,
    url: String,
) -> Result<ReportStatus, AppError> {
    let url = url.trim();
    if url.is_empty() {
        crate::keychain::remove_slack_webhook()?;
    } else if !url.starts_with("https://") && !url.starts_with("http://") {
        return Err(AppError::new(
            "invalid",
            "a Slack incoming-webhook URL starts with https://hooks.slack.com/",
        ));
    } else {
        crate::keychain::save_slack_webhook(url)?;
    }
    report_status(state).await
}

/// Every 10 minutes while the app runs (and shortly after launch): make the weekly report
/// when one is due, so a laptop that was off catches up on its next start.
pub fn schedule(app: &AppHandle) {
    let app = app.clone();
    std::thread::spawn(move || loop {
        std::thread::sleep(std::time::Duration::from_secs(30));
        let state: State<'_, AppState> = app.state();
        if let Ok(store) = state.store() {
            if let Ok(s) = learning::report_settings(&store) {
                if let (true, Some(folder)) = (s.weekly, &s.folder) {
                    if learning::report_due(s.last, chrono::Utc::now()) {
                        match make_report(&store, folder) {
                            Ok(made) => {
                                let _ = app
                                    .notification()
                                    .builder()
                                    .title("Redline: your weekly report is ready")
                                    .body(made.html.display().to_string())
                                    .show();
                                let _ = app.emit("report-made", made);
                            }
                            Err(e) => eprintln!("redline: the weekly report failed: {}", e.message),
                        }
                    }
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_secs(570));
    });
}
