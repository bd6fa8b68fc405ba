//! Export commands: a dry-run preview, the save dialog, and the export itself — each a thin
//! wrapper over `redline_core::export`, the long ones as cancellable jobs with progress.

use crate::commands::progress;
use crate::destinations::{ask, Ask, Destination};
use crate::error::AppError;
use crate::state::{run_job, AppState};
use redline_core::export::tables::Tables;
use redline_core::export::{self, ExportError, Format, Options, Preview, Report};
use redline_core::store::Filter;
use serde::Deserialize;
use tauri::{AppHandle, State};

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
    /// A dataset folder's licence id; empty or absent = `other`.
    #[serde(default)]
    license: Option<String>,
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
                .map(redline_core::secret::SecretString::from),
            license: self
                .license
                .filter(|l| !l.trim().is_empty())
                .unwrap_or_else(|| "other".into()),
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

/// Ask where to save the export (a dialog on this side); `None` if the person cancels.
#[tauri::command]
pub async fn pick_export_path(
    app: AppHandle,
    state: State<'_, AppState>,
    format: String,
) -> Result<Option<Destination>, AppError> {
    let format = Format::parse(&format).map_err(|m| AppError::new("invalid", m))?;
    let ext = format.extension();
    let name = format!("redline-{}.{ext}", format.name());
    let title = "Export training data";
    let picked = if format == Format::HfDataset {
        ask(
            &app,
            Ask::Folder {
                title: "Export a Hugging Face dataset into a new, empty folder",
            },
        )
    } else {
        ask(
            &app,
            Ask::Save {
                title,
                name: &name,
                ext,
            },
        )
    };
    Ok(picked.map(|p| state.destinations.add(p)))
}

/// Where this format was exported to last, so the next export is one click.
#[tauri::command]
pub async fn export_destination(
    state: State<'_, AppState>,
    format: String,
) -> Result<Option<Destination>, AppError> {
    let format = Format::parse(&format).map_err(|m| AppError::new("invalid", m))?;
    let store = state.store()?;
    let path = export::last_destination(&store, &format)?;
    Ok(path.map(|p| state.destinations.add(p)))
}

/// Write the export to the chosen destination (and its validation file beside it); `None`
/// if cancelled. The destination is a handle from [`pick_export_path`], never a path.
#[tauri::command]
pub async fn run_export(
    app: AppHandle,
    state: State<'_, AppState>,
    options: ExportArgs,
    destination: String,
) -> Result<Option<Report>, AppError> {
    let options = options.parse()?;
    let path = state.destinations.path(&destination)?;
    let store = state.store()?;
    let format = options.format;
    let mut on_step = progress(&app, "export");
    let done = run_job(&state, {
        let path = path.clone();
        let store = store.clone();
        move |cancel| export::export(&store, &options, &path, &mut on_step, &cancel)
    })
    .await?;
    if done.is_some() {
        export::remember_destination(&store, &format, &path)?;
    }
    Ok(done)
}

/// Ask for a new or empty folder to write the Parquet tables into (a dialog on this side);
/// `None` if the person cancels.
#[tauri::command]
pub async fn pick_tables_folder(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<Option<Destination>, AppError> {
    let picked = ask(
        &app,
        Ask::Folder {
            title: "Export Parquet tables into a new, empty folder",
        },
    );
    Ok(picked.map(|p| state.destinations.add(p)))
}

/// Write the selected settlements with their measures, and their edit operations, as two
/// Parquet tables into the chosen folder (`export::tables`; docs/scale.md): the form's agents,
/// intent types, dates and redaction apply, the training formats' other filters do not.
/// `None` if cancelled (nothing is left behind). The folder is a handle from
/// [`pick_tables_folder`], never a path.
#[tauri::command]
pub async fn run_tables_export(
    app: AppHandle,
    state: State<'_, AppState>,
    mut options: ExportArgs,
    destination: String,
) -> Result<Option<Tables>, AppError> {
    // The tables have no training format; any valid one lets the filters be read.
    options.format = Format::Csv.name().into();
    let options = options.parse()?;
    let folder = state.destinations.path(&destination)?;
    let store = state.store()?;
    let mut on_step = progress(&app, "export-tables");
    run_job(&state, move |cancel| {
        export::tables::export_tables(&store, &options, &folder, &mut on_step, &cancel)
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

/// Where each export format goes and how those services stand, dated with sources
/// (`export::targets`): the export view shows it as data.
#[tauri::command]
pub async fn export_targets() -> Result<Vec<export::targets::Target>, AppError> {
    Ok(export::targets::TARGETS.to_vec())
}
