//! Export commands: a dry-run preview, the save dialog, and the export itself — each a thin
//! wrapper over `redline_core::export`, the long ones as cancellable jobs with progress.

use crate::commands::progress;
use crate::error::AppError;
use crate::state::{run_job, AppState};
use redline_core::export::{self, ExportError, Format, Options, Preview, Report};
use redline_core::store::Filter;
use serde::Deserialize;
use std::path::PathBuf;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

impl From<ExportError> for AppError {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::Store(e) => e.into(),
            ExportError::Empty(_) => AppError::new("empty", e.to_string()),
            ExportError::Invalid(_) => AppError::new("invalid", e.to_string()),
            ExportError::Write { .. } => AppError::new("io", e.to_string()),
        }
    }
}

/// The export form as the UI sends it: dates are `YYYY-MM-DD`, empty lists mean "all".
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportArgs {
    format: String,
    min_acceptance: f64,
    #[serde(default)]
    agents: Vec<String>,
    #[serde(default)]
    intent_types: Vec<String>,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    exclude_errors: bool,
    only_edited: bool,
    redact: bool,
    dedupe: bool,
    validation_share: f64,
    /// Encrypt with this passphrase (age format); empty or absent = not encrypted.
    #[serde(default)]
    passphrase: Option<String>,
}

impl ExportArgs {
    fn parse(self) -> Result<Options, AppError> {
        let invalid = |m: String| AppError::new("invalid", m);
        let day = |d: &str, parse: fn(&str) -> Result<_, String>| {
            Some(d.trim())
                .filter(|d| !d.is_empty())
                .map(parse)
                .transpose()
                .map_err(invalid)
        };
        Ok(Options {
            format: Format::parse(&self.format).map_err(invalid)?,
            min_acceptance: self.min_acceptance,
            agents: self.agents,
            intent_types: self.intent_types,
            from: day(&self.from, Filter::day_start)?,
            to: day(&self.to, Filter::day_end)?,
            exclude_errors: self.exclude_errors,
            only_edited: self.only_edited,
            redact: self.redact,
            dedupe: self.dedupe,
            validation_share: self.validation_share,
            passphrase: self
                .passphrase
                .filter(|p| !p.is_empty())
                .map(redline_core::secret::Sensitive::new),
            ..Default::default()
        })
    }
}

/// What the export would write. `None` if cancelled.
#[tauri::command]
pub async fn export_preview(
    app: AppHandle,
    state: State<'_, AppState>,
    options: ExportArgs,
) -> Result<Option<Preview>, AppError> {
    let options = options.parse()?;
    let store = state.store()?;
    let mut on_step = progress(&app, "export-preview");
    run_job(&state, move |cancel| {
        export::preview(&store, &options, 3, &mut on_step, &cancel)
    })
    .await
}

/// Ask where to save the export; `None` if the person cancels.
#[tauri::command]
pub async fn pick_export_path(app: AppHandle, format: String) -> Result<Option<PathBuf>, AppError> {
    let format = Format::parse(&format).map_err(|m| AppError::new("invalid", m))?;
    let ext = format.extension();
    Ok(app
        .dialog()
        .file()
        .set_title("Export training data")
        .set_file_name(format!("redline-{}.{ext}", format.name()))
        .add_filter(ext.to_uppercase(), &[ext])
        .blocking_save_file()
        .and_then(|f| f.into_path().ok()))
}

/// Write the export to `path` (and its validation file). `None` if cancelled.
#[tauri::command]
pub async fn run_export(
    app: AppHandle,
    state: State<'_, AppState>,
    options: ExportArgs,
    path: String,
) -> Result<Option<Report>, AppError> {
    let options = options.parse()?;
    let path = PathBuf::from(path.trim());
    if path.as_os_str().is_empty() {
        return Err(AppError::new("invalid", "choose where to save the export"));
    }
    let store = state.store()?;
    let mut on_step = progress(&app, "export");
    run_job(&state, move |cancel| {
        export::export(&store, &options, &path, &mut on_step, &cancel)
    })
    .await
}

/// The per-agent system prompts set for exports.
#[tauri::command]
pub async fn system_prompts(
    state: State<'_, AppState>,
) -> Result<std::collections::BTreeMap<String, String>, AppError> {
    Ok(export::system_prompts(&*state.store()?)?)
}

/// Set (or, with an empty text, remove) an agent's system prompt for exports.
#[tauri::command]
pub async fn set_system_prompt(
    state: State<'_, AppState>,
    agent: String,
    text: String,
) -> Result<(), AppError> {
    Ok(export::set_system_prompt(&*state.store()?, &agent, &text)?)
}
