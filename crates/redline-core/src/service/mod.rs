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

/// The secret in the environment variable `name`, trimmed; `None` when it is unset or blank
/// (the CLI's source of secrets, and the app's fallback for the Notion token).
pub fn secret_from_env(name: &str) -> Option<crate::secret::SecretString> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .map(crate::secret::SecretString::from)
}

/// A store in a temporary folder and sample settlements for the use cases' tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::store::Store;
    use chrono::{DateTime, Utc};

    /// The time the tests' sample data ends at.
    pub(crate) fn now() -> DateTime<Utc> {
        "2026-11-20T12:00:00Z".parse().unwrap()
    }

    /// `count` sample settlements (seed `seed`) ending at [`now`], added to `store`.
    pub(crate) fn add_sample(store: &Store, count: usize, seed: u64) {
        let spec = crate::sample::SampleSpec {
            count,
            seed,
            end: now(),
            ..Default::default()
        };
        store.upsert_batch(&crate::sample::generate(&spec)).unwrap();
    }

    /// A new store in a temporary folder holding `count` sample settlements.
    pub(crate) fn sample_store(count: usize, seed: u64) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        add_sample(&store, count, seed);
        (dir, store)
    }
}
