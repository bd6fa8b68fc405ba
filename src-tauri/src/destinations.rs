//! Where the app writes files. The web view never names a path to write to: the person picks
//! one in a dialog run on the Rust side, and the web view is handed an opaque handle for it
//! (a number, meaningless outside this process). A handle maps only to a path someone chose.
//!
//! End-to-end tests cannot click through a native dialog. Built with the `test-dialog`
//! feature (scripts/test builds the app so; release builds never are), the dialogs answer
//! from a file instead: `dialog-answer` beside the store, holding the path to answer with
//! (empty: the person cancels).

use crate::error::AppError;
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use tauri::AppHandle;
#[cfg(not(feature = "test-dialog"))]
use tauri_plugin_dialog::DialogExt;

/// A chosen destination as the web view sees it.
#[derive(Clone, Debug, Serialize)]
pub struct Destination {
    /// The opaque handle to pass back.
    pub handle: String,
    /// The path, for the person to read.
    pub shown: String,
}

#[derive(Default)]
pub struct Destinations {
    chosen: Mutex<HashMap<String, PathBuf>>,
}

impl Destinations {
    /// Register a path the person chose (or the one they chose before, remembered).
    pub fn add(&self, path: PathBuf) -> Destination {
        let mut chosen = self.chosen.lock().expect("destinations lock");
        let handle = match chosen.iter().find(|(_, p)| **p == path) {
            Some((h, _)) => h.clone(),
            None => {
                let h = format!("d{}", chosen.len() + 1);
                chosen.insert(h.clone(), path.clone());
                h
            }
        };
        Destination {
            handle,
            shown: path.display().to_string(),
        }
    }

    /// The path behind a handle; an unknown handle is refused.
    pub fn path(&self, handle: &str) -> Result<PathBuf, AppError> {
        self.chosen
            .lock()
            .expect("destinations lock")
            .get(handle)
            .cloned()
            .ok_or_else(|| AppError::new("invalid", "choose where to save first"))
    }
}

/// What a file dialog asks for.
#[cfg_attr(feature = "test-dialog", allow(dead_code))]
pub enum Ask<'a> {
    /// A file to save, with a suggested name and its extension for the filter.
    Save {
        title: &'a str,
        name: &'a str,
        ext: &'a str,
    },
    /// A folder.
    Folder { title: &'a str },
}

/// Show the dialog; `None` if the person cancels.
#[cfg(not(feature = "test-dialog"))]
pub fn ask(app: &AppHandle, what: Ask<'_>) -> Option<PathBuf> {
    let dialog = app.dialog().file();
    match what {
        Ask::Save { title, name, ext } => dialog
            .set_title(title)
            .set_file_name(name)
            .add_filter(ext.to_uppercase(), &[ext])
            .blocking_save_file(),
        Ask::Folder { title } => dialog.set_title(title).blocking_pick_folder(),
    }
    .and_then(|f| f.into_path().ok())
}

/// The test build's dialog: the answer written in `dialog-answer` beside the store.
#[cfg(feature = "test-dialog")]
pub fn ask(app: &AppHandle, _what: Ask<'_>) -> Option<PathBuf> {
    use tauri::Manager;
    let state = app.state::<crate::state::AppState>();
    let file = state.db_path.as_ref()?.parent()?.join("dialog-answer");
    let answer = std::fs::read_to_string(file).ok()?;
    let answer = answer.trim();
    (!answer.is_empty()).then(|| PathBuf::from(answer))
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
