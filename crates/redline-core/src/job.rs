//! Progress reporting and cancellation for long jobs (import, sample generation, later sync and
//! export). A job calls its [`Progress`] callback now and then and checks its [`Cancel`] token
//! between batches, so a cancelled job stops at a batch boundary with nothing half-written.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A cancellation token shared between the job and whoever may cancel it. Cloning shares it.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }

    /// Ask the job to stop at its next batch boundary.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Make the token usable for another job.
    pub fn reset(&self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// How far a job has come: `done` of `total` units of work (bytes of a file, say; `total` is
/// `None` when it is not known in advance) and `items` records handled so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Step {
    pub done: u64,
    pub total: Option<u64>,
    pub items: u64,
}

/// A progress callback; it must be cheap, as it is called once per batch.
pub type Progress<'a> = &'a mut dyn FnMut(Step);

/// A progress callback that ignores everything, for callers that do not show progress.
pub fn no_progress(_: Step) {}
