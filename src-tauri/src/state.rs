//! What the shell holds while it runs: the open store (or why it could not be opened) and the
//! cancel token of the one long job that may be running.

use crate::error::AppError;
use redline_core::job::Cancel;
use redline_core::store::{self, Store};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The heap the kept pattern miners may hold together: the app is a guest on a laptop
/// (issue 13: under 400 MB idle). A scope whose miner is larger (all agents of a large store)
/// is mined afresh each time, from the analyses stored.
pub const KEPT_MINER_BYTES: usize = 256 << 20;

/// Kept pattern miners are forgotten when no mining asked for one for this long: going back to
/// an agent seen a moment ago stays quick, and an idle app gives their memory back.
pub const KEPT_MINER_IDLE: std::time::Duration = std::time::Duration::from_secs(120);

/// Return the memory freed since the last time to the OS now. mimalloc keeps freed pages for
/// reuse, and blocks freed on another thread than the one that allocated them (a miner built on
/// a job thread, dropped on another) until that thread allocates again: after a mining of 14k
/// long documents, RSS stayed at 244 MB for a heap of 47 MB, and fell to 44 MB once collected
/// (docs/benchmarks.md). Called when a job or a check ends, and when kept miners are let go.
pub fn give_back_memory() {
    // SAFETY: `mi_collect` takes no pointers and may be called from any thread; mimalloc is
    // the global allocator (main.rs), so every block it looks at is its own.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

/// mimalloc's `mi_option_purge_delay` (the v3 that libmimalloc-sys builds by default; the crate
/// does not name it): how long, in milliseconds, freed memory waits before it goes back to the
/// OS (1,000 by default).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Give freed memory back to the OS as it is freed, not after mimalloc's delay. A delayed
/// give-back happens only when the thread that freed the memory calls the allocator again, and
/// a mining's threads end or go quiet: with the delay, the app idled at 613 MB on 100k long
/// documents, mimalloc's arenas holding 438 MB of it; without, 359–385 MB, with the same step
/// times (docs/benchmarks.md). The CLI keeps the default: it exits when done.
pub fn purge_at_once() {
    // SAFETY: plain integer calls; done at start-up, before the threads that allocate begin.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) };
}

/// No transparent huge pages for this process. mimalloc asks for them on its arenas
/// (`madvise(MADV_HUGEPAGE)`), and the kernel's khugepaged then fills each 2 MiB stretch of
/// an arena where a single 4 KiB page is still in use back into a whole huge page — undoing
/// what mimalloc gave back after a mining. On 100k long documents the idle app grew from 348
/// to 486 MB in four minutes without using any CPU, 288 MB of it huge pages in mimalloc's arena
/// (docs/benchmarks.md). Set at start-up, before the miners' memory is touched; Linux only
/// (elsewhere a no-op).
pub fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with integer arguments only; it changes a flag of this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Every 15 s, forget the kept miners if they have been idle for [`KEPT_MINER_IDLE`] (skipped
/// while a mining holds them).
pub fn release_idle_miners(miners: Arc<Mutex<redline_core::mining::Miners>>) {
    std::thread::spawn(move || loop {
        std::thread::sleep(std::time::Duration::from_secs(15));
        let released = miners
            .try_lock()
            .is_ok_and(|mut miners| miners.release_if_idle(KEPT_MINER_IDLE));
        if released {
            give_back_memory();
        }
    });
}

pub struct AppState {
    pub db_path: Option<PathBuf>,
    pub store: Result<Arc<Store>, AppError>,
    /// The running job's cancel token; `None` when no job runs.
    pub job: Mutex<Option<Cancel>>,
    /// Held while settlements are measured, so the dashboard waits for a background run
    /// instead of measuring the same settlements again.
    pub measuring: Arc<Mutex<()>>,
    /// The token of the background pass that stores pattern analyses: a mining the person asked
    /// for cancels it (it analyses what it needs itself) and starts it again when done.
    pub background: Mutex<Cancel>,
    /// The store's change number when that pass last went through every settlement: until it
    /// moves, another pass would read the whole store to find nothing to do.
    pub analysed_at: Mutex<Option<u64>>,
    /// The store's change number when the pass last stored every settlement's analysis (the
    /// first half of the pass): a pass resumed after the person's mining with no change since
    /// goes straight to the agents' reports instead of reading the whole store again.
    pub analyses_at: Mutex<Option<u64>>,
    /// The agent whose all-time Improvements the background pass is mining now, if any.
    pub background_agent: Arc<Mutex<Option<String>>>,
    /// The background checks running after imports and syncs: how many, and when the first
    /// of them started (Home says it is checking again, and since when).
    pub refreshing: Mutex<(usize, Option<chrono::DateTime<chrono::Utc>>)>,
    /// Set once the window listens for events (see `ui_ready`).
    pub ui_ready: (Mutex<bool>, std::sync::Condvar),
    /// The pattern miners of the four scopes (agent and intent type) mined last, holding at
    /// most [`KEPT_MINER_BYTES`] together, kept so that mining one of them again only
    /// analyses what changed in the store since.
    pub miners: Arc<Mutex<redline_core::mining::Miners>>,
    /// The files and folders the person chose to write to, by handle.
    pub destinations: crate::destinations::Destinations,
}

impl AppState {
    pub fn open(explicit: Option<PathBuf>) -> AppState {
        let db_path = store::resolve_db_path(explicit);
        let store = match &db_path {
            Some(path) => Store::open(path).map(Arc::new).map_err(AppError::from),
            None => Err(AppError::new(
                "store",
                "this user has no data directory: start Redline with --db PATH or set REDLINE_DB",
            )),
        };
        AppState {
            db_path,
            store,
            job: Mutex::new(None),
            measuring: Arc::new(Mutex::new(())),
            background: Mutex::new(Cancel::new()),
            analysed_at: Mutex::new(None),
            analyses_at: Mutex::new(None),
            background_agent: Arc::new(Mutex::new(None)),
            refreshing: Mutex::new((0, None)),
            ui_ready: (Mutex::new(false), std::sync::Condvar::new()),
            miners: Arc::new(Mutex::new(redline_core::mining::Miners::new(
                4,
                KEPT_MINER_BYTES,
            ))),
            destinations: Default::default(),
        }
    }

    pub fn store(&self) -> Result<Arc<Store>, AppError> {
        self.store.clone()
    }

    /// The background pass starts mining `agent`'s all-time Improvements (`None`: it is done).
    pub fn set_background_agent(&self, agent: Option<&str>) {
        *self
            .background_agent
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = agent.map(str::to_owned);
    }

    /// A background check starts (`true`) or ends (`false`).
    pub fn set_refreshing(&self, starts: bool) {
        let mut r = self.refreshing.lock().unwrap_or_else(|p| p.into_inner());
        if starts {
            r.0 += 1;
            r.1.get_or_insert_with(chrono::Utc::now);
        } else {
            r.0 = r.0.saturating_sub(1);
            if r.0 == 0 {
                r.1 = None;
            }
        }
    }

    /// When the running background check started, if one runs.
    pub fn refreshing_since(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.refreshing.lock().unwrap_or_else(|p| p.into_inner()).1
    }

    /// Start a job: refused while another runs.
    pub fn begin_job(&self) -> Result<JobGuard<'_>, AppError> {
        let mut job = self.job.lock().expect("job lock");
        if job.is_some() {
            return Err(AppError::new(
                "busy",
                "another job (an import or a sync) is still running: wait for it or cancel it",
            ));
        }
        let cancel = Cancel::new();
        *job = Some(cancel.clone());
        Ok(JobGuard {
            state: self,
            cancel,
        })
    }

    /// The window is listening: background work may start telling it things.
    pub fn mark_ui_ready(&self) {
        *self.ui_ready.0.lock().expect("ready lock") = true;
        self.ui_ready.1.notify_all();
    }

    /// Wait until the window is listening, at most `limit`.
    pub fn wait_ui_ready(&self, limit: std::time::Duration) {
        let ready = self.ui_ready.0.lock().expect("ready lock");
        let _ = self
            .ui_ready
            .1
            .wait_timeout_while(ready, limit, |ready| !*ready);
    }

    pub fn cancel_job(&self) -> bool {
        match &*self.job.lock().expect("job lock") {
            Some(cancel) => {
                cancel.cancel();
                true
            }
            None => false,
        }
    }
}

/// Run a long job on a blocking thread while holding the job slot (one job at a time); the job
/// gets the cancel token that `cancel_job` trips.
pub async fn run_job<T, E>(
    state: &AppState,
    work: impl FnOnce(Cancel) -> Result<T, E> + Send + 'static,
) -> Result<T, AppError>
where
    T: Send + 'static,
    E: Into<AppError> + Send + 'static,
{
    let job = state.begin_job()?;
    let cancel = job.cancel.clone();
    let outcome = tauri::async_runtime::spawn_blocking(move || {
        let outcome = work(cancel);
        give_back_memory();
        outcome
    })
    .await
    .map_err(|e| AppError::new("internal", e.to_string()))?;
    drop(job);
    outcome.map_err(Into::into)
}

/// A running job; dropping it frees the slot.
pub struct JobGuard<'a> {
    state: &'a AppState,
    pub cancel: Cancel,
}

impl Drop for JobGuard<'_> {
    fn drop(&mut self) {
        *self.state.job.lock().expect("job lock") = None;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_purge_delay_option_is_mimallocs() {
        // mimalloc's purge delay is 1,000 ms unless set: the index names that option.
        // SAFETY: plain integer calls.
        assert_eq!(
            unsafe { libmimalloc_sys::mi_option_get(super::PURGE_DELAY) },
            1000
        );
        super::purge_at_once();
        assert_eq!(
            unsafe { libmimalloc_sys::mi_option_get(super::PURGE_DELAY) },
            0
        );
    }

    /// The kernel says the process has transparent huge pages off once asked (the flag is the
    /// process's: this test binary's, here).
    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_are_off_once_asked() {
        let thp = || {
            std::fs::read_to_string("/proc/self/status")
                .unwrap()
                .lines()
                .find_map(|l| l.strip_prefix("THP_enabled:").map(|v| v.trim().to_owned()))
        };
        // Older kernels do not print the line: prctl's own answer is checked either way.
        super::no_huge_pages();
        // SAFETY: a read of the process's flag, integer arguments only.
        assert_eq!(
            unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) },
            1
        );
        if let Some(v) = thp() {
            assert_eq!(v, "0");
        }
    }
}
