//! The prompt registry's commands: versions per agent, adding (typed or from a file the
//! person picks), diffs, the active version, adopting the prompts settlements carry, and
//! variants composed offline.

use crate::error::AppError;
use crate::state::AppState;
use redline_core::diff::Span;
use redline_core::experiments::variants;
use redline_core::prompts::{self, PromptVersion};
use serde::Serialize;
use std::collections::BTreeMap;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

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
        .map_err(crate::error::blocking)?
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
        .map_err(crate::error::blocking)?
}
