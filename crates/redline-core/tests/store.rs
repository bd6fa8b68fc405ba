//! The store against real redb files on disk: upserts, queries, and every way a file can be bad.

use chrono::{NaiveDate, TimeZone, Utc};
use redline_core::model::{AgentName, IntentType, SettlementId};
use redline_core::sample::{self, SampleSpec};
use redline_core::store::{Filter, Store, StoreError};
use redline_core::Settlement;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

fn spec(count: usize) -> SampleSpec {
    SampleSpec {
        count,
        seed: 9,
        end: sample::end_of_day(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()),
        ..Default::default()
    }
}

fn fresh() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("nested/dir/redline.redb")).unwrap();
    (dir, store)
}

#[test]
fn upsert_is_idempotent_and_updates_move_the_indexes() {
    let (_dir, store) = fresh();
    let batch = sample::generate(&spec(500));
    let first = store.upsert_batch(&batch).unwrap();
    assert_eq!(
        (first.inserted, first.updated, first.unchanged),
        (500, 0, 0)
    );
    let again = store.upsert_batch(&batch).unwrap();
    assert_eq!(
        (again.inserted, again.updated, again.unchanged),
        (0, 0, 500)
    );
    assert_eq!(store.count().unwrap(), 500);

    // Move one settlement to another agent and month: the old index rows must go.
    let mut moved = batch[0].clone();
    moved.agent = AgentName::new("A New Agent").unwrap();
    moved.created_at = Utc.with_ymd_and_hms(2020, 1, 5, 12, 0, 0).unwrap();
    let r = store.upsert_batch(std::slice::from_ref(&moved)).unwrap();
    assert_eq!(r.updated, 1);
    assert_eq!(store.get(&moved.id).unwrap().unwrap(), moved);
    let all = store.list(&Filter::default(), 0, 1000).unwrap();
    assert_eq!(all.total, 500);
    assert_eq!(all.items.iter().filter(|s| s.id == moved.id).count(), 1);
    let old_agent = Filter {
        agent: Some(batch[0].agent.clone()),
        ..Default::default()
    };
    let listed = store.list(&old_agent, 0, 1000).unwrap();
    assert!(listed.items.iter().all(|s| s.id != moved.id));
    let facets = store.facets().unwrap();
    assert_eq!(facets.total, 500);
    assert!(facets
        .agents
        .iter()
        .any(|(a, n)| a == "A New Agent" && *n == 1));
    assert_eq!(
        facets.first.unwrap(),
        Utc.with_ymd_and_hms(2020, 1, 5, 12, 0, 0).unwrap()
    );
}

#[test]
fn list_filters_paginate_newest_first() {
    let (_dir, store) = fresh();
    let all = sample::generate(&spec(2000));
    store.upsert_batch(&all).unwrap();
    let agent = AgentName::new("The Operator").unwrap();
    let kind = IntentType::new("operational");
    let from = Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2026, 10, 31, 23, 59, 59).unwrap();
    let filter = Filter {
        agent: Some(agent.clone()),
        intent_type: Some(kind.clone()),
        from: Some(from),
        to: Some(to),
        text: None,
    };
    let expected: Vec<&Settlement> = all
        .iter()
        .filter(|s| {
            s.agent == agent && s.intent_type == kind && s.created_at >= from && s.created_at <= to
        })
        .collect();
    let page = store.list(&filter, 0, 25).unwrap();
    assert_eq!(page.total as usize, expected.len());
    assert_eq!(page.items.len(), 25);
    assert!(page
        .items
        .windows(2)
        .all(|w| w[0].created_at >= w[1].created_at));
    let second = store.list(&filter, 25, 25).unwrap();
    assert!(second.items[0].created_at <= page.items[24].created_at);
    assert_ne!(second.items[0].id, page.items[24].id);

    // The same filter without an agent, checked by hand.
    let no_agent = Filter {
        agent: None,
        ..filter.clone()
    };
    let n = all
        .iter()
        .filter(|s| s.intent_type == kind && s.created_at >= from && s.created_at <= to)
        .count();
    assert_eq!(store.list(&no_agent, 0, 10).unwrap().total as usize, n);

    // Text search is case-insensitive and looks into the texts.
    let text = Filter {
        text: Some("NEXT STEP:".into()),
        ..Default::default()
    };
    let n = all
        .iter()
        .filter(|s| s.final_output.contains("Next step:") || s.ai_output.contains("Next step:"))
        .count();
    assert!(n > 0);
    assert_eq!(store.list(&text, 0, 10).unwrap().total as usize, n);

    // An empty range and a page past the end.
    let empty = Filter {
        from: Some(to),
        to: Some(from),
        ..Default::default()
    };
    assert_eq!(store.list(&empty, 0, 10).unwrap().total, 0);
    let past = store.list(&Filter::default(), 5000, 10).unwrap();
    assert!(past.items.is_empty());
    assert_eq!(past.total, 2000);
}

#[test]
fn counts_by_agent_kind_and_month_add_up() {
    let (_dir, store) = fresh();
    let all = sample::generate(&spec(1000));
    store.upsert_batch(&all).unwrap();
    let rows = store.counts().unwrap();
    assert_eq!(rows.iter().map(|r| r.count).sum::<u64>(), 1000);
    let month = "2026-10";
    let by_hand = all
        .iter()
        .filter(|s| {
            s.agent.as_str() == "The Librarian" && s.created_at.format("%Y-%m").to_string() == month
        })
        .count() as u64;
    let stored: u64 = rows
        .iter()
        .filter(|r| r.agent == "The Librarian" && r.month == month)
        .map(|r| r.count)
        .sum();
    assert_eq!(stored, by_hand);
}

#[test]
fn reopening_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("redline.redb");
    let all = sample::generate(&spec(300));
    {
        let store = Store::open(&path).unwrap();
        store.upsert_batch(&all).unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.count().unwrap(), 300);
    assert_eq!(
        store.schema_version().unwrap(),
        redline_core::store::schema::CURRENT_VERSION
    );
    let id = SettlementId::new("sample-9-000123").unwrap();
    assert_eq!(store.get(&id).unwrap().unwrap(), all[123]);
}

#[test]
fn a_second_open_is_refused_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("redline.redb");
    let _held = Store::open(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(err.to_string().contains(&path.display().to_string()));
}

fn assert_untouched(path: &Path, before: &[u8]) {
    let now = std::fs::read(path).unwrap();
    assert!(
        now == before,
        "the file was modified ({} bytes, was {})",
        now.len(),
        before.len()
    );
}

#[test]
fn garbage_file_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("redline.redb");
    let garbage: Vec<u8> = (0..64 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("left untouched"));
    assert_untouched(&path, &garbage);
}

#[test]
fn truncated_store_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("redline.redb");
    {
        let store = Store::open(&path).unwrap();
        store.upsert_batch(&sample::generate(&spec(400))).unwrap();
    }
    let full = std::fs::read(&path).unwrap();
    let cut = &full[..full.len() / 3];
    std::fs::write(&path, cut).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt { .. } | StoreError::Db(_)),
        "{err:?}"
    );
    assert_untouched(&path, cut);
}

#[test]
fn newer_schema_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("redline.redb");
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(redline_core::store::schema::META)
            .unwrap()
            .insert("schema_version", 99)
            .unwrap();
        txn.commit().unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    match &err {
        StoreError::TooNew {
            found, supported, ..
        } => assert_eq!(
            (*found, *supported),
            (99, redline_core::store::schema::CURRENT_VERSION)
        ),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("update Redline"));
    assert_untouched(&path, &before);
}

#[test]
fn another_programs_redb_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.redb");
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        let def: redb::TableDefinition<u64, u64> = redb::TableDefinition::new("theirs");
        txn.open_table(def).unwrap().insert(1, 2).unwrap();
        txn.commit().unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NotRedline { .. }), "{err:?}");
}

/// A real file whose disk "fills up" once a quota is reached: growing it fails with ENOSPC.
#[derive(Debug)]
struct QuotaFile {
    inner: redb::backends::FileBackend,
    quota: Arc<AtomicU64>,
}

impl redb::StorageBackend for QuotaFile {
    fn len(&self) -> Result<u64, std::io::Error> {
        self.inner.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), std::io::Error> {
        self.inner.read(offset, out)
    }
    fn set_len(&self, len: u64) -> Result<(), std::io::Error> {
        if len > self.quota.load(Ordering::SeqCst) {
            return Err(std::io::Error::from_raw_os_error(28));
        }
        self.inner.set_len(len)
    }
    fn sync_data(&self) -> Result<(), std::io::Error> {
        self.inner.sync_data()
    }
    fn write(&self, offset: u64, data: &[u8]) -> Result<(), std::io::Error> {
        if offset + data.len() as u64 > self.quota.load(Ordering::SeqCst) {
            return Err(std::io::Error::from_raw_os_error(28));
        }
        self.inner.write(offset, data)
    }
}

#[test]
fn a_full_disk_loses_nothing_already_stored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("redline.redb");
    let quota = Arc::new(AtomicU64::new(u64::MAX));
    let first = sample::generate(&spec(200));
    {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .unwrap();
        let backend = QuotaFile {
            inner: redb::backends::FileBackend::new(file).unwrap(),
            quota: quota.clone(),
        };
        let store = Store::with_backend(backend, &path).unwrap();
        store.upsert_batch(&first).unwrap();
        // The disk is now full: a big batch of long texts cannot fit.
        let size = std::fs::metadata(&path).unwrap().len();
        quota.store(size, Ordering::SeqCst);
        let big = sample::generate(&SampleSpec {
            seed: 10,
            body_scale: 40,
            ..spec(2000)
        });
        let err = store.upsert_batch(&big).unwrap_err();
        assert!(matches!(err, StoreError::DiskFull), "{err:?}");
        assert!(err
            .to_string()
            .contains("nothing of this batch was written"));
        // Still usable for reads, with the first batch only.
        assert_eq!(store.count().unwrap(), 200);
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.count().unwrap(), 200);
    assert_eq!(store.list(&Filter::default(), 0, 1).unwrap().total, 200);
    assert_eq!(store.get(&first[17].id).unwrap().unwrap(), first[17]);
}

#[test]
fn a_file_written_half_way_by_another_tool_is_not_a_store() {
    // A zero-length file (a crash before redb wrote anything) is simply initialised.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("redline.redb");
    std::fs::File::create(&path).unwrap().flush().unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.count().unwrap(), 0);
}

#[test]
fn a_v1_store_is_migrated_to_the_current_schema_with_its_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("redline.redb");
    let all = sample::generate(&spec(100));
    {
        let store = Store::open(&path).unwrap();
        store.upsert_batch(&all).unwrap();
    }
    // Turn the file back into what Redline v1 wrote: no `sync` or `measures` table, version 1.
    {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.delete_table(redline_core::store::schema::SYNC).unwrap();
        txn.delete_table(redline_core::store::schema::MEASURES)
            .unwrap();
        txn.delete_table(redline_core::store::schema::ALERTS)
            .unwrap();
        txn.delete_table(redline_core::store::schema::SETTINGS)
            .unwrap();
        txn.delete_table(redline_core::store::schema::AUDIT)
            .unwrap();
        txn.delete_table(redline_core::store::schema::MARKS)
            .unwrap();
        txn.delete_table(redline_core::store::schema::PROMPTS)
            .unwrap();
        txn.delete_table(redline_core::store::schema::EXPERIMENTS)
            .unwrap();
        txn.open_table(redline_core::store::schema::META)
            .unwrap()
            .insert("schema_version", 1)
            .unwrap();
        txn.commit().unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 8);
    assert_eq!(store.count().unwrap(), 100);
    assert_eq!(store.sync_state("notion").unwrap(), None);
    let tables = store.table_names().unwrap();
    for table in [
        "sync",
        "measures",
        "alerts",
        "settings",
        "audit",
        "marks",
        "prompts",
        "experiments",
        "changes",
    ] {
        assert!(tables.contains(&table.to_string()), "{table} in {tables:?}");
    }
    assert_eq!(
        redline_core::settings::Settings::load(&store).unwrap(),
        redline_core::settings::Settings::default()
    );
    assert!(store.alert_records().unwrap().is_empty());
}

#[test]
fn a_batch_writes_records_deletions_and_state_together() {
    let (_dir, store) = fresh();
    let all = sample::generate(&spec(50));
    store.upsert_batch(&all).unwrap();
    let gone: Vec<SettlementId> = all[..10].iter().map(|s| s.id.clone()).collect();
    let report = store
        .write(redline_core::store::Batch {
            upserts: &[],
            deletes: &gone,
            sync_state: Some(("notion", b"{\"cursor\":1}")),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(report.deleted, 10);
    assert_eq!(store.count().unwrap(), 40);
    assert_eq!(store.list(&Filter::default(), 0, 100).unwrap().total, 40);
    assert_eq!(
        store.counts().unwrap().iter().map(|r| r.count).sum::<u64>(),
        40
    );
    assert_eq!(
        store.sync_state("notion").unwrap().as_deref(),
        Some(&b"{\"cursor\":1}"[..])
    );
}

#[test]
fn the_change_log_names_what_each_write_changed() {
    let (_dir, store) = fresh();
    assert_eq!(store.change_seq().unwrap(), 0);
    let all = sample::generate(&spec(30));
    store.upsert_batch(&all[..20]).unwrap();
    let first = store.change_seq().unwrap();
    assert_eq!(first, 20);
    let since = store.changes_since(0).unwrap().unwrap();
    assert_eq!(since.ids.len(), 20);
    assert_eq!(since.seq, 20);
    // The same records again: nothing changed, nothing logged.
    store.upsert_batch(&all[..20]).unwrap();
    assert_eq!(store.change_seq().unwrap(), first);
    // New, changed (twice) and deleted records; each id once, in the order of its last change.
    let mut changed = all[3].clone();
    changed.final_output.push_str(" Edited.");
    store.upsert_batch(&all[20..]).unwrap();
    store.upsert_batch(std::slice::from_ref(&changed)).unwrap();
    changed.final_output.push_str(" Again.");
    store.upsert_batch(std::slice::from_ref(&changed)).unwrap();
    store
        .write(redline_core::store::Batch {
            upserts: &[],
            deletes: &[all[5].id.clone(), SettlementId::new("never-there").unwrap()],
            ..Default::default()
        })
        .unwrap();
    let since = store.changes_since(first).unwrap().unwrap();
    let mut expected: Vec<String> = all[20..].iter().map(|s| s.id.to_string()).collect();
    expected.push(all[3].id.to_string());
    expected.push(all[5].id.to_string());
    assert_eq!(since.ids, expected);
    assert_eq!(since.seq, first + 13);
    assert_eq!(
        store.changes_since(since.seq).unwrap().unwrap().ids.len(),
        0
    );
    // A point the log never reached is refused (the reader must start over).
    assert_eq!(store.changes_since(since.seq + 1).unwrap(), None);
}

#[cfg(unix)]
#[test]
fn a_new_store_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.redb");
    drop(Store::open(&path).unwrap());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    // And it opens again as a store (the empty file was initialised, not refused).
    drop(Store::open(&path).unwrap());
}

#[test]
fn opening_the_store_removes_the_parts_of_writes_killed_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let killed = dir.path().join(".train.jsonl.Ab12Cd.part");
    let recent = dir.path().join(".report.html.Zz99Yy.part");
    let mine = dir.path().join("notes.part");
    for p in [&killed, &recent, &mine] {
        std::fs::write(p, "plaintext").unwrap();
    }
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    for p in [&killed, &mine] {
        std::fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();
    }
    Store::open(&dir.path().join("store.redb")).unwrap();
    assert!(
        !killed.exists(),
        "a killed write's part is removed at start"
    );
    assert!(
        recent.exists(),
        "a part written just now may be a running write's: kept"
    );
    assert!(
        mine.exists(),
        "a file that is not a temporary file of Redline's is not touched"
    );
}
