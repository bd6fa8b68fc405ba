//! The `measures` cache: per-settlement analytics measures kept beside the records, so the
//! dashboard reads small rows instead of diffing every settlement again. Each entry carries a
//! fingerprint of the record it was computed from; an entry is only saved if the record is
//! still the same, and any write that changes or removes a record drops its entry.

use super::schema::*;
use super::{decode, Store, StoreError};
use crate::model::Settlement;
use chrono::{DateTime, Utc};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};
use std::ops::ControlFlow;

/// FNV-1a over a record's stored bytes: cheap, stable across builds.
fn fingerprint(bytes: &[u8]) -> u64 {
    crate::hash::fnv1a(crate::hash::FNV_SEED, bytes)
}

impl Store {
    /// Visit every settlement in `from..=to`, oldest first, with its cached measures if any.
    pub fn scan_measures(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        mut visit: impl FnMut(&str, Option<&[u8]>),
    ) -> Result<(), StoreError> {
        let Some(keys) = super::query::time_keys(from, to) else {
            return Ok(());
        };
        let txn = self.db.begin_read()?;
        let by_time = txn.open_table(BY_TIME)?;
        let measures = txn.open_table(MEASURES)?;
        for entry in by_time.range(keys)? {
            let (key, _) = entry?;
            let id = key.value().1;
            match measures.get(id)? {
                Some(m) => visit(id, Some(m.value().1)),
                None => visit(id, None),
            }
        }
        Ok(())
    }

    /// Every cached measure, in id order (not time order), if the cache covers every
    /// settlement; `None` if some settlement has no entry yet. A sequential read: much faster
    /// than one lookup per settlement.
    pub fn all_measures_if_complete(
        &self,
        mut visit: impl FnMut(&[u8]),
    ) -> Result<Option<()>, StoreError> {
        let txn = self.db.begin_read()?;
        let records = txn.open_table(SETTLEMENTS)?;
        let measures = txn.open_table(MEASURES)?;
        if measures.len()? != records.len()? {
            return Ok(None);
        }
        for entry in measures.iter()? {
            let (_, value) = entry?;
            visit(value.value().1);
        }
        Ok(Some(()))
    }

    /// The records with these ids, each with the fingerprint to hand back to [`Store::put_measures`].
    pub fn records_for_measuring(
        &self,
        ids: &[String],
    ) -> Result<Vec<(Settlement, u64)>, StoreError> {
        let records = self.read_for_measuring(ids, false)?;
        Ok(records
            .into_iter()
            .map(|(s, print, _)| (s, print))
            .collect())
    }

    /// [`Store::records_for_measuring`], each record with its stored pattern analysis `(key,
    /// bytes)` if it has one: a measure can come from the analysis instead of a diff.
    #[allow(clippy::type_complexity)]
    pub fn records_to_measure(
        &self,
        ids: &[String],
    ) -> Result<Vec<(Settlement, u64, Option<(u64, Vec<u8>)>)>, StoreError> {
        self.read_for_measuring(ids, true)
    }

    /// The records with these ids and their fingerprints, and (`with_analyses`) their stored
    /// pattern analyses, in one read transaction.
    #[allow(clippy::type_complexity)]
    fn read_for_measuring(
        &self,
        ids: &[String],
        with_analyses: bool,
    ) -> Result<Vec<(Settlement, u64, Option<(u64, Vec<u8>)>)>, StoreError> {
        let txn = self.db.begin_read()?;
        let records = txn.open_table(SETTLEMENTS)?;
        let analyses = txn.open_table(ANALYSES)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(r) = records.get(id.as_str())? {
                let analysis = if with_analyses {
                    analyses.get(id.as_str())?.map(|a| {
                        let (key, bytes) = a.value();
                        (key, bytes.to_vec())
                    })
                } else {
                    None
                };
                out.push((decode(r.value())?, fingerprint(r.value()), analysis));
            }
        }
        Ok(out)
    }

    /// Save measures `(id, fingerprint, bytes)` and, in the same transaction, the pattern
    /// analyses `(id, content hash, bytes)` made with them; a measure whose record changed
    /// since it was read is skipped, as is an analysis whose record is gone. Returns how many
    /// measures were saved.
    pub fn put_measures(
        &self,
        items: &[(String, u64, Vec<u8>)],
        analyses: &[(String, u64, Vec<u8>)],
    ) -> Result<usize, StoreError> {
        let txn = self.db.begin_write()?;
        let mut saved = 0;
        {
            let records = txn.open_table(SETTLEMENTS)?;
            let mut measures = txn.open_table(MEASURES)?;
            for (id, print, bytes) in items {
                let current = records.get(id.as_str())?.map(|r| fingerprint(r.value()));
                if current == Some(*print) {
                    measures.insert(id.as_str(), (*print, bytes.as_slice()))?;
                    saved += 1;
                }
            }
            insert_analyses(&records, &mut txn.open_table(ANALYSES)?, analyses)?;
        }
        txn.commit()?;
        Ok(saved)
    }
}

impl Store {
    /// Visit every settlement created in `from..=to`, oldest first, with its cached measures
    /// (the encoded observation) if there are any: one pass reads both.
    pub fn scan_with_measures(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        mut visit: impl FnMut(Settlement, Option<&[u8]>),
    ) -> Result<(), StoreError> {
        self.scan_with_cached(MEASURES, None, from, to, |s, cached| {
            visit(s, cached.map(|(_, bytes)| bytes));
            ControlFlow::Continue(())
        })
    }

    /// Visit every settlement created in `from..=to` (of `agent` alone, if given), oldest
    /// first, with its stored pattern analysis `(content hash, bytes)` if there is one (the
    /// caller checks the hash). The scan stops when `visit` says so (a cancelled mining does not
    /// read the rest of the store).
    pub fn scan_with_analyses(
        &self,
        agent: Option<&str>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        mut visit: impl FnMut(Settlement, Option<(u64, Vec<u8>)>) -> ControlFlow<()>,
    ) -> Result<(), StoreError> {
        self.scan_with_cached(ANALYSES, agent, from, to, |s, stored| {
            visit(s, stored.map(|(hash, bytes)| (hash, bytes.to_vec())))
        })
    }

    /// Settlements in `from..=to` (of `agent` alone, if given: read through the agent's index,
    /// so that mining one agent reads neither the others' records nor their rows), oldest
    /// first, each with its row of `cache` (a derived table keyed by id: fingerprint or hash,
    /// and bytes) if it has one.
    fn scan_with_cached(
        &self,
        cache: redb::TableDefinition<&str, (u64, &[u8])>,
        agent: Option<&str>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        mut visit: impl FnMut(Settlement, Option<(u64, &[u8])>) -> ControlFlow<()>,
    ) -> Result<(), StoreError> {
        let Some(keys) = super::query::time_keys(from, to) else {
            return Ok(());
        };
        let txn = self.db.begin_read()?;
        let records = txn.open_table(SETTLEMENTS)?;
        let cache = txn.open_table(cache)?;
        // Whether to go on.
        let mut read = |id: &str| -> Result<bool, StoreError> {
            if let Some(record) = records.get(id)? {
                let row = cache.get(id)?;
                let on = visit(decode(record.value())?, row.as_ref().map(|r| r.value()));
                return Ok(on.is_continue());
            }
            Ok(true)
        };
        match agent {
            Some(a) => {
                let by_agent = txn.open_table(BY_AGENT_TIME)?;
                let (from, to) = (keys.start(), keys.end());
                for entry in by_agent.range((a, from.0, from.1)..=(a, to.0, to.1))? {
                    if !read(entry?.0.value().2)? {
                        break;
                    }
                }
            }
            None => {
                let by_time = txn.open_table(BY_TIME)?;
                for entry in by_time.range(keys)? {
                    if !read(entry?.0.value().1)? {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// Save pattern analyses `(id, content hash, bytes)` of settlements still in the store
    /// (one transaction); returns how many were saved. Not `durable`: the commit may be lost
    /// in a crash (they are a cache) until a durable one follows.
    pub fn put_analyses(
        &self,
        items: &[(String, u64, Vec<u8>)],
        durable: bool,
    ) -> Result<usize, StoreError> {
        let mut txn = self.db.begin_write()?;
        if !durable {
            txn.set_durability(redb::Durability::None)
                .map_err(|e| StoreError::Db(e.into()))?;
        }
        let saved = insert_analyses(
            &txn.open_table(SETTLEMENTS)?,
            &mut txn.open_table(ANALYSES)?,
            items,
        )?;
        txn.commit()?;
        Ok(saved)
    }

    /// The stored pattern analysis `(key, bytes)` of one settlement.
    pub fn analysis(&self, id: &str) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let txn = self.db.begin_read()?;
        let analyses = txn.open_table(ANALYSES)?;
        Ok(analyses.get(id)?.map(|a| {
            let (key, bytes) = a.value();
            (key, bytes.to_vec())
        }))
    }

    /// Stored pattern analyses, and their size in bytes.
    pub fn analyses_stored(&self) -> Result<(u64, u64), StoreError> {
        let txn = self.db.begin_read()?;
        let analyses = txn.open_table(ANALYSES)?;
        let mut bytes = 0u64;
        for entry in analyses.iter()? {
            let (_, v) = entry?;
            bytes += v.value().1.len() as u64;
        }
        Ok((analyses.len()?, bytes))
    }
}

/// Write pattern analyses `(id, content hash, bytes)` of the settlements still in `records`;
/// returns how many were written.
fn insert_analyses(
    records: &redb::Table<&str, &[u8]>,
    analyses: &mut redb::Table<&str, (u64, &[u8])>,
    items: &[(String, u64, Vec<u8>)],
) -> Result<usize, StoreError> {
    let mut saved = 0;
    for (id, hash, bytes) in items {
        if records.get(id.as_str())?.is_some() {
            analyses.insert(id.as_str(), (*hash, bytes.as_slice()))?;
            saved += 1;
        }
    }
    Ok(saved)
}
