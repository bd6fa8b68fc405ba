//! The use cases: each one function that owns its transaction, its audit entry and its
//! events, called alike by the desktop shell and the CLI (the drivers stay a few lines over
//! these). The service layer is the top of the crate: it may use every other module, and no
//! other module uses it (the tidy test, `tests/tidy.rs`, keeps it so).

pub mod assist;
pub mod experiments;
pub mod improvements;
pub mod notion;
pub mod refresh;
pub mod report;
pub mod summary;
