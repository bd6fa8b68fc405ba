//! The embedded store: one redb file that holds every cached settlement and works offline.
//!
//! Guarantees:
//! - **All or nothing.** [`Store::upsert_batch`] writes a batch in one write transaction: after a
//!   crash or a full disk either the whole batch is there or none of it.
//! - **Never overwritten.** An existing file that is not a Redline store, is corrupt, or was
//!   written by a newer Redline is refused with a specific [`StoreError`] and left untouched.
//! - **One process at a time.** redb locks the file; a second process gets
//!   [`StoreError::Locked`], which names the path.
//!
//! Queries never decode a settlement's texts unless they search them: list pages come from
//! small [`Summary`] rows kept in two indexes (by time, and by agent then time).

mod changes;
mod location;
mod measures;
mod query;
mod records;
pub mod schema;
use changes::ChangeLog;
pub use changes::Changes;

pub use location::{default_db_path, resolve_db_path, DB_ENV, DB_FILE};
pub use query::{CountRow, Facets, Filter, Page, Summary};

use crate::model::{Settlement, SettlementId};
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableHandle};
use schema::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// What can go wrong with the store, worded for the person who has to act on it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the store {path} is open in another Redline process (the app or a `redline` command); \
         close it, or use another store with --db"
    )]
    Locked { path: PathBuf },
    #[error(
        "the store {path} is damaged and cannot be read ({detail}); it was left untouched: \
         move it aside and re-import, or restore a backup"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "{path} is not a Redline store (it holds other data); it was left untouched: \
         choose another path with --db"
    )]
    NotRedline { path: PathBuf },
    #[error(
        "the store {path} was written by a newer Redline (schema version {found}; this build \
         reads up to {supported}); it was left untouched: update Redline"
    )]
    TooNew {
        path: PathBuf,
        found: u64,
        supported: u64,
    },
    #[error("cannot create the folder for the store {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create the store {path}: {source}")]
    CreateFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the disk is full: nothing of this batch was written; free some space and try again")]
    DiskFull,
    #[error("the store failed: {0}")]
    Db(#[from] redb::Error),
    #[error("a stored record could not be decoded ({0}); the store may be damaged")]
    Decode(String),
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                classify(e.into())
            }
        }
    )*};
}
from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// Turn a redb error into a store error, singling out a full disk.
fn classify(e: redb::Error) -> StoreError {
    if let redb::Error::Io(io) = &e {
        if io.kind() == std::io::ErrorKind::StorageFull || io.raw_os_error() == Some(28) {
            return StoreError::DiskFull;
        }
    }
    StoreError::Db(e)
}

/// redb's page cache. Its default (1 GiB) would let an import of a large file grow the process
/// to that size; 64 MiB keeps an import under 200 MB of memory and list queries fast (see
/// docs/benchmarks.md).
const CACHE_BYTES: usize = 64 << 20;

/// How a batch changed the store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct UpsertReport {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Records removed (a write with deletions; absent ids are not counted).
    pub deleted: u64,
}

impl UpsertReport {
    pub fn add(&mut self, other: UpsertReport) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.deleted += other.deleted;
    }
}

/// One all-or-nothing write: records to insert or replace, ids to remove, and the sync state
/// of a source to save with them.
#[derive(Default)]
pub struct Batch<'a> {
    pub upserts: &'a [Settlement],
    pub deletes: &'a [SettlementId],
    /// When set, `deletes` remove only records that came from this kind of source (a Notion
    /// page that is gone never removes an imported record that shares its id).
    pub deletes_from: Option<crate::model::SourceKind>,
    /// `(source, state)`: saved in the `sync` table under `source`.
    pub sync_state: Option<(&'a str, &'a [u8])>,
    /// `(source, update)`: the state saved under `source` becomes `update(saved state)`, read
    /// and written in this transaction, so a setting changed meanwhile is not reverted.
    pub sync_update: Option<(&'a str, StateUpdate<'a>)>,
}

/// A read-modify-write of a saved sync state, inside the write transaction.
pub type StateUpdate<'a> = &'a dyn Fn(Option<&[u8]>) -> Vec<u8>;

/// Where a store is and what it holds.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StoreInfo {
    pub path: PathBuf,
    pub schema_version: u64,
    pub settlements: u64,
    pub file_bytes: u64,
}

/// An open store.
pub struct Store {
    db: Database,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Open the store at `path`, creating it (and its folder) if there is no file there yet.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_owned(),
                source,
            })?;
            // Both drivers open the store at start: the temporary files of writes killed
            // beside it (reports, exports in the data folder) go now.
            crate::fsutil::remove_stale_parts_in(dir);
        }
        let exists = std::fs::metadata(path)
            .map(|m| m.len() > 0)
            .unwrap_or(false);
        if exists {
            // Look before writing: a read-only open changes nothing, so a file that is not ours,
            // or is newer than this build, is refused untouched.
            match catch_unwind(AssertUnwindSafe(|| {
                Database::builder().open_read_only(path)
            })) {
                Ok(Ok(ro)) => {
                    check_version(&ro, path)?;
                }
                // An unclean shutdown needs redb's repair, which the read-write open does.
                Ok(Err(redb::DatabaseError::RepairAborted)) => {}
                Ok(Err(e)) => return Err(open_error(e, path)),
                Err(panic) => return Err(corrupt(path, panic_message(&panic))),
            }
        }
        // A new store is private from the start (0600): it holds people's text and the audit log.
        if !exists && !path.exists() {
            crate::fsutil::create_private(path).map_err(|source| StoreError::CreateFile {
                path: path.to_owned(),
                source,
            })?;
        }
        // `Database::open` never initialises a file; only a missing or empty one is created.
        // redb may panic on a file damaged outside redb: that is a corrupt store, not a crash.
        let opened = catch_unwind(AssertUnwindSafe(|| {
            let mut builder = Database::builder();
            builder.set_cache_size(CACHE_BYTES);
            if exists {
                builder.open(path)
            } else {
                builder.create(path)
            }
        }))
        .map_err(|panic| corrupt(path, panic_message(&panic)))?;
        let db = opened.map_err(|e| open_error(e, path))?;
        let store = Store {
            db,
            path: path.to_owned(),
        };
        store.prepare_schema()?;
        Ok(store)
    }

    /// Open a store on a custom redb storage backend (in memory, or a file wrapped to simulate
    /// faults in tests). `label` names it in errors.
    pub fn with_backend(
        backend: impl redb::StorageBackend,
        label: &Path,
    ) -> Result<Store, StoreError> {
        let db = Database::builder()
            .create_with_backend(backend)
            .map_err(|e| classify(e.into()))?;
        let store = Store {
            db,
            path: label.to_owned(),
        };
        store.prepare_schema()?;
        Ok(store)
    }

    /// The path of the store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Check the schema version: initialise a new file, migrate an older one, refuse a newer one.
    fn prepare_schema(&self) -> Result<(), StoreError> {
        let version = check_version(&self.db, &self.path)?;
        if version == CURRENT_VERSION {
            return Ok(());
        }
        let txn = self.db.begin_write()?;
        if version == 0 {
            create_tables(&txn)?;
        } else {
            for m in MIGRATIONS.iter().filter(|m| m.from >= version) {
                (m.run)(&txn)?;
            }
        }
        txn.open_table(META)?
            .insert(SCHEMA_VERSION_KEY, CURRENT_VERSION)?;
        txn.commit()?;
        Ok(())
    }

    /// The schema version of the open store.
    pub fn schema_version(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        let v = meta.get(SCHEMA_VERSION_KEY)?.map(|v| v.value());
        Ok(v.unwrap_or(0))
    }

    /// Insert or replace settlements by id, all in one transaction.
    pub fn upsert_batch(&self, batch: &[Settlement]) -> Result<UpsertReport, StoreError> {
        self.write(Batch {
            upserts: batch,
            ..Default::default()
        })
    }

    /// Apply a [`Batch`] in one write transaction: all of it or, on any error, none of it.
    pub fn write(&self, batch: Batch<'_>) -> Result<UpsertReport, StoreError> {
        let mut report = UpsertReport::default();
        let txn = self.db.begin_write()?;
        {
            let mut records = txn.open_table(SETTLEMENTS)?;
            let mut by_time = txn.open_table(BY_TIME)?;
            let mut by_agent = txn.open_table(BY_AGENT_TIME)?;
            let mut counts = txn.open_table(COUNTS)?;
            let mut measures = txn.open_table(MEASURES)?;
            let mut analyses = txn.open_table(ANALYSES)?;
            let mut changes = ChangeLog::open(&txn)?;
            let unindex = |old: &[u8],
                           by_time: &mut redb::Table<(i64, &str), &[u8]>,
                           by_agent: &mut redb::Table<(&str, i64, &str), &[u8]>,
                           counts: &mut redb::Table<(&str, &str, &str), u64>|
             -> Result<(), StoreError> {
                let old: Settlement = decode(old)?;
                let key = IndexKey::of(&old);
                by_time.remove((key.ms, key.id))?;
                by_agent.remove((key.agent, key.ms, key.id))?;
                bump(counts, &old, -1)
            };
            let mut buf = Vec::with_capacity(8 * 1024);
            for s in batch.upserts {
                buf.clear();
                buf = postcard::to_extend(s, buf).map_err(|e| StoreError::Decode(e.to_string()))?;
                let old = records
                    .insert(s.id.as_str(), buf.as_slice())?
                    .map(|old| old.value().to_vec());
                if let Some(old) = old {
                    if old == buf {
                        report.unchanged += 1;
                        continue;
                    }
                    unindex(&old, &mut by_time, &mut by_agent, &mut counts)?;
                    measures.remove(s.id.as_str())?;
                    analyses.remove(s.id.as_str())?;
                    report.updated += 1;
                } else {
                    report.inserted += 1;
                }
                changes.record(s.id.as_str())?;
                let summary = postcard::to_stdvec(&Summary::of(s))
                    .map_err(|e| StoreError::Decode(e.to_string()))?;
                let key = IndexKey::of(s);
                by_time.insert((key.ms, key.id), summary.as_slice())?;
                by_agent.insert((key.agent, key.ms, key.id), summary.as_slice())?;
                bump(&mut counts, s, 1)?;
            }
            for id in batch.deletes {
                if let Some(kind) = batch.deletes_from {
                    let other = match records.get(id.as_str())? {
                        Some(old) => decode::<Settlement>(old.value())?.source.kind != kind,
                        None => true,
                    };
                    if other {
                        continue;
                    }
                }
                let old = records.remove(id.as_str())?.map(|old| old.value().to_vec());
                if let Some(old) = old {
                    unindex(&old, &mut by_time, &mut by_agent, &mut counts)?;
                    measures.remove(id.as_str())?;
                    analyses.remove(id.as_str())?;
                    changes.record(id.as_str())?;
                    report.deleted += 1;
                }
            }
            changes.prune()?;
            if let Some((source, state)) = batch.sync_state {
                txn.open_table(SYNC)?.insert(source, state)?;
            }
            if let Some((source, update)) = batch.sync_update {
                let mut table = txn.open_table(SYNC)?;
                let saved = table.get(source)?.map(|v| v.value().to_vec());
                let next = update(saved.as_deref());
                table.insert(source, next.as_slice())?;
            }
        }
        txn.commit()?;
        Ok(report)
    }

    /// The saved sync state of a source, if any.
    pub fn sync_state(&self, source: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(SYNC)?;
        let found = table.get(source)?.map(|v| v.value().to_vec());
        Ok(found)
    }

    /// The ids of every settlement that came from `kind` of source (a full scan).
    pub fn ids_from(
        &self,
        kind: crate::model::SourceKind,
    ) -> Result<Vec<SettlementId>, StoreError> {
        let txn = self.db.begin_read()?;
        let records = txn.open_table(SETTLEMENTS)?;
        let mut ids = Vec::new();
        for entry in records.iter()? {
            let (_, value) = entry?;
            let s: Settlement = decode(value.value())?;
            if s.source.kind == kind {
                ids.push(s.id);
            }
        }
        Ok(ids)
    }

    /// One settlement by id.
    pub fn get(&self, id: &SettlementId) -> Result<Option<Settlement>, StoreError> {
        let txn = self.db.begin_read()?;
        let records = txn.open_table(SETTLEMENTS)?;
        let found = records.get(id.as_str())?;
        found.map(|v| decode(v.value())).transpose()
    }

    /// How many settlements the store holds.
    pub fn count(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read()?;
        let records = txn.open_table(SETTLEMENTS)?;
        Ok(records.len()?)
    }

    /// Where the store is and what it holds.
    pub fn info(&self) -> Result<StoreInfo, StoreError> {
        Ok(StoreInfo {
            path: self.path.clone(),
            schema_version: self.schema_version()?,
            settlements: self.count()?,
            file_bytes: std::fs::metadata(&self.path).map_or(0, |m| m.len()),
        })
    }

    /// Names of the tables in the file, for diagnostics.
    pub fn table_names(&self) -> Result<Vec<String>, StoreError> {
        let txn = self.db.begin_read()?;
        let names = txn.list_tables()?.map(|t| t.name().to_owned()).collect();
        Ok(names)
    }
}

/// The schema version of an open file (0 for a new, empty one); an error for a file that is
/// not a Redline store or is newer than this build.
fn check_version(db: &impl ReadableDatabase, path: &Path) -> Result<u64, StoreError> {
    let not_ours = || StoreError::NotRedline {
        path: path.to_owned(),
    };
    let txn = db.begin_read()?;
    let has_tables = txn.list_tables()?.next().is_some();
    let version = match txn.open_table(META) {
        Ok(meta) => meta
            .get(SCHEMA_VERSION_KEY)?
            .map(|v| v.value())
            .ok_or_else(not_ours)?,
        Err(redb::TableError::TableDoesNotExist(_)) if !has_tables => 0,
        Err(redb::TableError::TableDoesNotExist(_)) => return Err(not_ours()),
        Err(e) => return Err(e.into()),
    };
    if version > CURRENT_VERSION {
        return Err(StoreError::TooNew {
            path: path.to_owned(),
            found: version,
            supported: CURRENT_VERSION,
        });
    }
    Ok(version)
}

fn corrupt(path: &Path, detail: String) -> StoreError {
    StoreError::Corrupt {
        path: path.to_owned(),
        detail,
    }
}

/// Map an error from opening a file to what the person needs to know.
fn open_error(e: redb::DatabaseError, path: &Path) -> StoreError {
    match e {
        redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Locked {
            path: path.to_owned(),
        },
        redb::DatabaseError::Storage(redb::StorageError::Corrupted(detail)) => {
            corrupt(path, detail)
        }
        redb::DatabaseError::Storage(redb::StorageError::Io(io))
            if io.kind() == std::io::ErrorKind::InvalidData =>
        {
            corrupt(path, io.to_string())
        }
        redb::DatabaseError::UpgradeRequired(v) => {
            corrupt(path, format!("unsupported redb file format {v}"))
        }
        other => classify(other.into()),
    }
}

/// The parts of a settlement its index keys are made of.
struct IndexKey<'a> {
    ms: i64,
    id: &'a str,
    agent: &'a str,
}

impl<'a> IndexKey<'a> {
    fn of(s: &'a Settlement) -> Self {
        IndexKey {
            ms: s.created_at.timestamp_millis(),
            id: s.id.as_str(),
            agent: s.agent.as_str(),
        }
    }
}

fn month_of(s: &Settlement) -> String {
    s.created_at.format("%Y-%m").to_string()
}

fn bump(
    counts: &mut redb::Table<(&str, &str, &str), u64>,
    s: &Settlement,
    delta: i64,
) -> Result<(), StoreError> {
    let month = month_of(s);
    let key = (s.agent.as_str(), s.intent_type.as_str(), month.as_str());
    let current = counts.get(key)?.map(|v| v.value()).unwrap_or(0);
    let next = current.saturating_add_signed(delta);
    if next == 0 {
        counts.remove(key)?;
    } else {
        counts.insert(key, next)?;
    }
    Ok(())
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    postcard::from_bytes(bytes).map_err(|e| StoreError::Decode(e.to_string()))
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "the file could not be read".into())
}
