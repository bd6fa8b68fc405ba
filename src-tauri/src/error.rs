//! Errors as the UI sees them: `{kind, message}`. The message is written for the person; the
//! kind is for the few places the UI reacts differently (a locked or damaged store).

use redline_core::import::ImportError;
use redline_core::store::StoreError;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct AppError {
    pub kind: &'static str,
    pub message: String,
}

impl AppError {
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        let kind = match &e {
            StoreError::Locked { .. } => "locked",
            StoreError::Corrupt { .. } | StoreError::Decode(_) => "corrupt",
            StoreError::NotRedline { .. } => "not_redline",
            StoreError::TooNew { .. } => "too_new",
            StoreError::DiskFull => "disk_full",
            StoreError::CreateDir { .. } | StoreError::CreateFile { .. } | StoreError::Db(_) => {
                "store"
            }
        };
        AppError::new(kind, e.to_string())
    }
}

impl From<ImportError> for AppError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Store(e) => e.into(),
            other => AppError::new("import", other.to_string()),
        }
    }
}

/// A blocking task that could not finish (it panicked, or the runtime is shutting down).
pub fn blocking(e: impl std::fmt::Display) -> AppError {
    AppError::new("internal", e.to_string())
}
