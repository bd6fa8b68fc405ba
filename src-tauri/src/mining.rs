//! Mining: one agent's (or every agent's) edit patterns over a range with the kept miners,
//! and the replay that validates its candidate changes, each a cancellable job with progress.

use crate::error::AppError;
use crate::state::AppState;
use redline_core::analytics::Range;
use redline_core::service;
use tauri::{AppHandle, Manager, State};

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
) -> Result<Option<serde_json::Value>, AppError> {
    let store = state.store()?;
    // An agent's all-time patterns, kept by the background pass (or an earlier mining here)
    // since the last change: read, not mined.
    let kept_scope = service::improvements::kept_scope(&agent, &range, &intent_type);
    let keep_as = kept_scope.then(|| agent.clone());
    if kept_scope {
        // The background pass may be mining this very report: waiting for it comes sooner than
        // starting again beside it (the two would share the cores). A cancellable job: the
        // view's Cancel stops the wait.
        let mining_now = state.background_agent.clone();
        let this = agent.clone();
        let mines_this = move || {
            mining_now
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_deref()
                == Some(this.as_str())
        };
        if mines_this() {
            let waited = crate::state::run_job(&state, move |cancel| {
                while mines_this() {
                    if cancel.is_cancelled() {
                        return Ok::<_, AppError>(false);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Ok(true)
            })
            .await?;
            if !waited {
                return Ok(None);
            }
        }
        let kept_store = store.clone();
        let name = agent.clone();
        let kept = tauri::async_runtime::spawn_blocking(move || {
            service::improvements::kept(&kept_store, &name)
        })
        .await
        .map_err(crate::error::blocking)??;
        if let Some(k) = kept {
            let mut report = k.report;
            report["computed_at"] = serde_json::json!(k.at);
            return Ok(Some(report));
        }
    }
    let range = Range::parse(&range).map_err(|m| AppError::new("invalid", m))?;
    let (from, to) = range.bounds(chrono::Utc::now());
    let given = |s: String| Some(s).filter(|s| !s.trim().is_empty());
    let scope = redline_core::patterns::Scope {
        agent: given(agent),
        intent_type: given(intent_type),
        from,
        to: Some(to),
    };
    let miners = state.miners.clone();
    let mut on_step = crate::commands::progress(&app, "patterns");
    // The person's mining goes first: the background pass stops (this mining stores the
    // analyses it makes) and starts again once the person has left mining alone for a while
    // (a person going from agent to agent would otherwise share the cores with it).
    let _busy = crate::background::PersonMining::start();
    state
        .background
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .cancel();
    let resume = {
        let (app, store) = (app.clone(), store.clone());
        move || {
            std::thread::spawn(move || {
                crate::background::wait_until_idle();
                crate::background::store_analyses(&app.state::<AppState>(), &store)
            });
        }
    };
    let mined = crate::state::run_job(&state, move |cancel| {
        // Miners whose update panicked half-way are not trusted: they start over.
        let mut miners = miners.lock().unwrap_or_else(|poisoned| {
            let mut miners = poisoned.into_inner();
            miners.clear();
            miners
        });
        let seq = store.change_seq()?;
        let mined = miners.mine(&store, &scope, &mut on_step, &cancel)?;
        let now = chrono::Utc::now();
        if let (Some(agent), Some((report, _))) = (&keep_as, &mined) {
            // Kept like the background pass's, which then skips this agent. A cache: failing
            // to write it costs only a later mining.
            if let Err(e) = service::improvements::keep(&store, agent, seq, now, report) {
                eprintln!("redline: keeping {agent}'s Improvements failed: {e}");
            }
        }
        Ok::<_, redline_core::store::StoreError>(mined.map(|(report, _)| {
            let mut v = serde_json::to_value(&report).expect("reports serialise");
            v["computed_at"] = serde_json::json!(now);
            v
        }))
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
        redline_core::mining::replay_store(&store, &scope, &mut on_step, &cancel)
    })
    .await
}
