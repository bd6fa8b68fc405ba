//! The commands the UI invokes. Each parses its arguments, calls one core function and maps the
//! error; long jobs run on a blocking thread, report `job-progress` events and can be cancelled.

use crate::error::AppError;
use crate::state::{run_job, AppState};
use redline_core::curation::{self, Mark, MarkKind};
use redline_core::diff::{self, Detail};
use redline_core::import::{self, ImportOptions, ImportReport};
use redline_core::job::Step;
use redline_core::model::{AgentName, IntentType, SettlementId};
use redline_core::sample::SampleSpec;
use redline_core::store::{Facets, Filter, Page, StoreInfo, UpsertReport};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_dialog::DialogExt;

/// The most list rows one call returns.
const MAX_PAGE: u64 = 500;

#[derive(Serialize)]
pub struct Status {
    version: &'static str,
    db_path: Option<PathBuf>,
    store: Option<StoreInfo>,
    error: Option<AppError>,
}

#[tauri::command]
pub async fn app_status(state: State<'_, AppState>) -> Result<Status, AppError> {
    let (store, error) = match state.store().and_then(|s| Ok(s.info()?)) {
        Ok(info) => (Some(info), None),
        Err(e) => (None, Some(e)),
    };
    Ok(Status {
        version: env!("CARGO_PKG_VERSION"),
        db_path: state.db_path.clone(),
        store,
        error,
    })
}

#[tauri::command]
pub async fn facets(state: State<'_, AppState>) -> Result<Facets, AppError> {
    Ok(state.store()?.facets()?)
}

/// The list filter as the UI sends it: empty strings mean "any"; dates are `YYYY-MM-DD`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FilterArgs {
    agent: String,
    intent_type: String,
    from: String,
    to: String,
    text: String,
}

impl FilterArgs {
    fn parse(self) -> Result<Filter, AppError> {
        let given = |s: String| Some(s).filter(|s| !s.trim().is_empty());
        let day = |s: String, parse: fn(&str) -> Result<_, String>| {
            given(s)
                .map(|d| parse(&d))
                .transpose()
                .map_err(|m| AppError::new("invalid", m))
        };
        Ok(Filter {
            agent: given(self.agent)
                .map(AgentName::new)
                .transpose()
                .map_err(|e| AppError::new("invalid", e.to_string()))?,
            intent_type: given(self.intent_type).map(|k| IntentType::new(&k)),
            from: day(self.from, Filter::day_start)?,
            to: day(self.to, Filter::day_end)?,
            text: given(self.text),
        })
    }
}

/// A page of the list with the curation marks of its settlements.
#[derive(Serialize)]
pub struct MarkedPage {
    #[serde(flatten)]
    page: Page,
    marks: HashMap<String, Mark>,
}

#[tauri::command]
pub async fn list_settlements(
    state: State<'_, AppState>,
    filter: FilterArgs,
    offset: u64,
    limit: u64,
) -> Result<MarkedPage, AppError> {
    let filter = filter.parse()?;
    let store = state.store()?;
    let page = store.list(&filter, offset, limit.clamp(1, MAX_PAGE))?;
    let ids: Vec<&str> = page.items.iter().map(|s| s.id.as_str()).collect();
    let marks = curation::of(&store, &ids)?;
    Ok(MarkedPage { page, marks })
}

fn mark_of(kind: &str, reason: String) -> Result<Option<(MarkKind, Option<String>)>, AppError> {
    let reason = Some(reason).filter(|r| !r.trim().is_empty());
    match kind {
        "exclude" => Ok(Some((MarkKind::Exclude, reason))),
        "gold" => Ok(Some((MarkKind::Gold, reason))),
        "clear" => Ok(None),
        other => Err(AppError::new("invalid", format!("'{other}' is not a mark"))),
    }
}

/// Mark (`exclude`, `gold`) or unmark (`clear`) settlements by id.
#[tauri::command]
pub async fn set_marks(
    state: State<'_, AppState>,
    ids: Vec<String>,
    kind: String,
    reason: String,
) -> Result<usize, AppError> {
    let mark = mark_of(&kind, reason)?;
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    Ok(curation::set(&*state.store()?, &refs, mark)?)
}

/// Mark every settlement the list's filter matches.
#[tauri::command]
pub async fn mark_matching(
    state: State<'_, AppState>,
    filter: FilterArgs,
    kind: String,
    reason: String,
) -> Result<usize, AppError> {
    let mark = mark_of(&kind, reason)?;
    let filter = filter.parse()?;
    let store = state.store()?;
    tauri::async_runtime::spawn_blocking(move || {
        // The list's own matching, text search included.
        let ids = curation::ids_matching(&store, &filter)?;
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        Ok(curation::set(&store, &refs, mark)?)
    })
    .await
    .map_err(|e| AppError::new("internal", e.to_string()))?
}

#[tauri::command]
pub async fn get_settlement(state: State<'_, AppState>, id: String) -> Result<Detail, AppError> {
    let id = SettlementId::new(id).map_err(|e| AppError::new("invalid", e.to_string()))?;
    let found = state.store()?.get(&id)?;
    found
        .map(diff::detail)
        .ok_or_else(|| AppError::new("not_found", format!("no settlement with id {id}")))
}

/// Ask for a file to import with the OS file dialog; `None` if the person cancels.
#[tauri::command]
pub async fn pick_import_file(app: AppHandle) -> Option<PathBuf> {
    app.dialog()
        .file()
        .set_title("Import settlements")
        .add_filter(
            "Settlements (JSONL, CSV)",
            &["jsonl", "ndjson", "json", "csv"],
        )
        .blocking_pick_file()
        .and_then(|f| f.into_path().ok())
}

#[derive(Clone, Serialize)]
struct Progress {
    job: &'static str,
    #[serde(flatten)]
    step: Step,
}

pub fn progress(app: &AppHandle, job: &'static str) -> impl FnMut(Step) {
    let app = app.clone();
    move |step| {
        // A window that is gone cannot be told; the job goes on regardless.
        let _ = app.emit("job-progress", Progress { job, step });
    }
}

#[tauri::command]
pub async fn import_file(
    app: AppHandle,
    state: State<'_, AppState>,
    path: String,
    strict: bool,
) -> Result<ImportReport, AppError> {
    let path = PathBuf::from(path.trim());
    if path.as_os_str().is_empty() {
        return Err(AppError::new("invalid", "choose a file to import"));
    }
    let store = state.store()?;
    let options = ImportOptions {
        strict,
        ..Default::default()
    };
    let mut on_step = progress(&app, "import");
    let report = run_job(&state, move |cancel| {
        import::import_file(&store, &path, &options, &mut on_step, &cancel)
    })
    .await?;
    crate::background::after_change(&app);
    Ok(report)
}

#[tauri::command]
pub async fn load_sample(
    app: AppHandle,
    state: State<'_, AppState>,
    count: usize,
    seed: u64,
) -> Result<UpsertReport, AppError> {
    let store = state.store()?;
    let spec = SampleSpec {
        count: count.clamp(1, 1_000_000),
        seed,
        ..Default::default()
    };
    let mut on_step = progress(&app, "sample");
    let report = run_job(&state, move |cancel| {
        import::load_sample(&store, &spec, &mut on_step, &cancel)
    })
    .await?;
    crate::background::after_change(&app);
    Ok(report)
}

/// The window has registered its event listeners.
#[tauri::command]
pub async fn ui_ready(state: State<'_, AppState>) -> Result<(), AppError> {
    state.mark_ui_ready();
    Ok(())
}

/// Cancel the running job, if any; it stops at its next batch boundary.
#[tauri::command]
pub async fn cancel_job(state: State<'_, AppState>) -> Result<bool, AppError> {
    Ok(state.cancel_job())
}
