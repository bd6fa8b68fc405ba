//! The `changes` log: which settlements a write inserted, changed or removed, numbered in
//! order, so that something kept in memory beside the store (the pattern miner) can catch up
//! by reading only those records.

use super::schema::*;
use super::{Store, StoreError};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};

/// The log inside one write transaction.
pub(super) struct ChangeLog<'txn> {
    table: redb::Table<'txn, u64, &'static str>,
    next: u64,
}

impl<'txn> ChangeLog<'txn> {
    pub(super) fn open(txn: &'txn redb::WriteTransaction) -> Result<Self, StoreError> {
        let table = txn.open_table(CHANGES)?;
        let next = table.last()?.map_or(1, |(k, _)| k.value() + 1);
        Ok(ChangeLog { table, next })
    }

    /// Note that the record `id` was inserted, changed or removed.
    pub(super) fn record(&mut self, id: &str) -> Result<(), StoreError> {
        self.table.insert(self.next, id)?;
        self.next += 1;
        Ok(())
    }

    /// Drop the oldest rows past [`CHANGE_LOG_ROWS`].
    pub(super) fn prune(&mut self) -> Result<(), StoreError> {
        self.prune_to(CHANGE_LOG_ROWS)
    }

    fn prune_to(&mut self, rows: u64) -> Result<(), StoreError> {
        let mut len = self.table.len()?;
        while len > rows {
            self.table.pop_first()?;
            len -= 1;
        }
        Ok(())
    }
}

/// What changed after a given point of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changes {
    /// Each changed settlement's id once, in the order of its latest change.
    pub ids: Vec<String>,
    /// The newest change's sequence number (the point to ask from next time).
    pub seq: u64,
}

impl Store {
    /// The newest change's sequence number (0 before the first change).
    pub fn change_seq(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(CHANGES)?;
        let last = table.last()?.map_or(0, |(k, _)| k.value());
        Ok(last)
    }

    /// The settlements inserted, changed or removed after change number `seq`; `None` when the
    /// log no longer reaches back that far (its oldest rows were dropped) or never got there.
    pub fn changes_since(&self, seq: u64) -> Result<Option<Changes>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(CHANGES)?;
        let last = table.last()?.map_or(0, |(k, _)| k.value());
        let first = table.first()?.map_or(last + 1, |(k, _)| k.value());
        if seq > last || seq + 1 < first {
            return Ok(None);
        }
        let mut ids: Vec<String> = Vec::new();
        let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for entry in table.range(seq + 1..)? {
            let (_, id) = entry?;
            let id = id.value();
            if let Some(i) = at.remove(id) {
                ids[i].clear();
            }
            at.insert(id.to_owned(), ids.len());
            ids.push(id.to_owned());
        }
        ids.retain(|id| !id.is_empty());
        Ok(Some(Changes { ids, seq: last }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_behind_the_pruned_log_is_told_to_start_over() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        let txn = store.db.begin_write().unwrap();
        {
            let mut log = ChangeLog::open(&txn).unwrap();
            for i in 0..10 {
                log.record(&format!("s{i}")).unwrap();
            }
            log.prune_to(4).unwrap();
        }
        txn.commit().unwrap();
        // Rows 7..=10 are left: a reader at 6 or later can catch up, one at 5 cannot.
        assert_eq!(store.change_seq().unwrap(), 10);
        assert_eq!(store.changes_since(6).unwrap().unwrap().ids.len(), 4);
        assert_eq!(store.changes_since(5).unwrap(), None);
        assert_eq!(store.changes_since(0).unwrap(), None);
    }
}
