//! What runs after every change of the data (import, sample, sync, a new threshold) and at
//! launch, on a background thread: the incident check (it measures new settlements, stores the
//! incidents and Home's suggestions, announces new incidents with a desktop notification and
//! tells the window), the running experiments' Notion rows, and the pattern analyses stored
//! ahead of a mining.

use crate::state::AppState;
use redline_core::learning::Incident;
use redline_core::service::{self, refresh::Checked};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};
use tauri_plugin_notification::NotificationExt;

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

/// Tell the views that say a check is running how far it has come: at most four times a
/// second, and always its last step.
pub(crate) fn check_progress(app: &AppHandle) -> impl FnMut(service::refresh::CheckStep) + '_ {
    let mut last = std::time::Instant::now() - std::time::Duration::from_secs(1);
    move |step| {
        let finished = step.done == step.total;
        if finished || last.elapsed() >= std::time::Duration::from_millis(250) {
            last = std::time::Instant::now();
            let _ = app.emit("check-progress", step);
        }
    }
}

/// Check for incidents in the background (measuring new settlements on the way) and store
/// them with Home's suggestions, so Home only reads (`service::refresh::after_change`); announce
/// the ones raised anew, one notification per incident; then refresh running experiments' rows
/// in Notion and store the pattern analyses not stored yet. Errors are logged, never shown as a
/// failure of what triggered the check.
pub fn after_change(app: &AppHandle) {
    let app = app.clone();
    let asked = chrono::Utc::now();
    std::thread::spawn(move || {
        let state: State<'_, AppState> = app.state();
        let Ok(store) = state.store() else { return };
        state.set_refreshing(true);
        let outcome = {
            let _one = state.measuring.lock().unwrap_or_else(|p| p.into_inner());
            let mut on_step = check_progress(&app);
            service::refresh::after_change(&store, asked, chrono::Utc::now(), &mut on_step)
        };
        state.set_refreshing(false);
        crate::state::give_back_memory();
        match outcome {
            // Skipped: the views waiting for this check hear that it ended, nothing new raised.
            Ok(Checked::Covered(active)) => {
                let _ = app.emit(
                    "alerts-changed",
                    AlertsChanged {
                        raised: Vec::new(),
                        active,
                    },
                );
            }
            Ok(Checked::Done(w)) => {
                announce(&app, &w.raised);
                let _ = app.emit(
                    "alerts-changed",
                    AlertsChanged {
                        raised: w.raised,
                        active: w.active,
                    },
                );
            }
            Err(e) => {
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

/// Minings the person asked for that are running, and when the last one ended.
static PERSON: std::sync::Mutex<(usize, Option<std::time::Instant>)> =
    std::sync::Mutex::new((0, None));

/// How long the person must leave mining alone before the background pass resumes.
const IDLE_BEFORE_RESUMING: std::time::Duration = std::time::Duration::from_secs(10);

/// A mining the person asked for, while it runs.
pub(crate) struct PersonMining;

impl PersonMining {
    pub(crate) fn start() -> PersonMining {
        PERSON.lock().unwrap_or_else(|p| p.into_inner()).0 += 1;
        PersonMining
    }
}

impl Drop for PersonMining {
    fn drop(&mut self) {
        let mut p = PERSON.lock().unwrap_or_else(|p| p.into_inner());
        p.0 -= 1;
        p.1 = Some(std::time::Instant::now());
    }
}

/// Wait until no mining the person asked for runs and the last ended
/// [`IDLE_BEFORE_RESUMING`] ago.
pub(crate) fn wait_until_idle() {
    loop {
        let quiet = {
            let p = PERSON.lock().unwrap_or_else(|p| p.into_inner());
            p.0 == 0 && p.1.is_none_or(|t| t.elapsed() >= IDLE_BEFORE_RESUMING)
        };
        if quiet {
            return;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

/// Store every settlement's pattern analysis not stored yet, so that the first mining of an
/// agent reads them back instead of diffing again. One such pass at a time (one started later
/// finds what this one did not reach); a mining the person asks for cancels it.
pub(crate) fn store_analyses(state: &AppState, store: &redline_core::store::Store) {
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
    let analyses_at = || state.analyses_at.lock().unwrap_or_else(|p| p.into_inner());
    let stored = if *analyses_at() == Some(seq) {
        Ok(Some(0))
    } else {
        let stored = redline_core::mining::store_analyses(
            store,
            &mut redline_core::job::no_progress,
            &cancel,
        );
        if let Ok(Some(_)) = stored {
            *analyses_at() = Some(seq);
        }
        stored
    };
    // Then each agent's all-time Improvements, mined from those analyses and kept, so that
    // opening the view reads them (`service::improvements`). The miners kept from the person's
    // minings are let go first, unless one was used in the last moments: this pass runs once
    // the person has left mining alone, and the two holding memory together made the app's
    // peak (docs/benchmarks.md). The person's all-time reports are kept as reports. The agent
    // being mined is named in `state.background_agent`: a person opening its Improvements
    // waits for this mining rather than starting another beside it.
    let kept = stored.and_then(|s| match s {
        Some(_) => {
            let agents = service::improvements::to_mine(store)?;
            if !agents.is_empty() {
                let released = state
                    .miners
                    .try_lock()
                    .is_ok_and(|mut m| m.release_if_idle(IDLE_BEFORE_RESUMING));
                if released {
                    crate::state::give_back_memory();
                }
            }
            let mined = service::improvements::precompute_agents(
                store,
                &agents,
                chrono::Utc::now(),
                &mut |step| {
                    state.set_background_agent(agents.get(step.done as usize).map(String::as_str))
                },
                &cancel,
            );
            state.set_background_agent(None);
            mined
        }
        None => Ok(None),
    });
    match kept {
        Ok(Some(_)) => *done() = Some(seq),
        Ok(None) => {}
        Err(e) => eprintln!("redline: storing pattern analyses failed: {e}"),
    }
    crate::state::give_back_memory();
}
