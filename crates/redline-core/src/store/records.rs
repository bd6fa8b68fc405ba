//! Small keyed records beside the settlements: alert records and settings, each a JSON value
//! under a name. The domain decides what they mean; the store only keeps them atomically.

use super::schema::*;
use super::{Store, StoreError};
use redb::{ReadableDatabase, ReadableTable};
use std::collections::BTreeMap;

impl Store {
    /// Every alert record, by key order.
    pub fn alert_records(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(ALERTS)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (k, v) = entry?;
            out.push((k.value().to_owned(), v.value().to_vec()));
        }
        Ok(out)
    }

    /// Insert or replace alert records, all in one transaction.
    pub fn put_alert_records(&self, items: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(ALERTS)?;
            for (key, value) in items {
                table.insert(key.as_str(), value.as_slice())?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Append an audit entry (JSON) at `at_ms`.
    pub fn append_audit(&self, at_ms: i64, entry: &[u8]) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(AUDIT)?;
            // Entries in the same millisecond keep their order.
            let seq = table
                .range((at_ms, 0)..=(at_ms, u64::MAX))?
                .next_back()
                .transpose()?
                .map_or(0, |(k, _)| k.value().1 + 1);
            table.insert((at_ms, seq), entry)?;
        }
        txn.commit()?;
        Ok(())
    }

    /// The newest `limit` audit entries, newest first.
    pub fn audit_entries(&self, limit: usize) -> Result<Vec<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(AUDIT)?;
        let mut out = Vec::new();
        for entry in table.iter()?.rev().take(limit) {
            out.push(entry?.1.value().to_vec());
        }
        Ok(out)
    }

    /// Set (`Some`) or clear (`None`) the mark of each id, in one transaction.
    pub fn put_marks(&self, items: &[(&str, Option<&[u8]>)]) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(MARKS)?;
            for (id, mark) in items {
                match mark {
                    Some(m) => {
                        table.insert(*id, *m)?;
                    }
                    None => {
                        table.remove(*id)?;
                    }
                }
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Every mark, by id.
    pub fn all_marks(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(MARKS)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (k, v) = entry?;
            out.push((k.value().to_owned(), v.value().to_vec()));
        }
        Ok(out)
    }

    /// The marks of these ids (those that have one).
    pub fn marks_of(&self, ids: &[&str]) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(MARKS)?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(v) = table.get(*id)? {
                out.push(((*id).to_owned(), v.value().to_vec()));
            }
        }
        Ok(out)
    }

    /// A row of the `settings` table (read through [`crate::settings`], its one owner).
    pub(crate) fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(SETTINGS)?;
        let found = table.get(name)?.map(|v| v.value().to_vec());
        Ok(found)
    }

    /// Write a row of the `settings` table (through [`crate::settings`]).
    pub(crate) fn set_setting(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        txn.open_table(SETTINGS)?.insert(name, value)?;
        txn.commit()?;
        Ok(())
    }

    /// Every row of the `settings` table whose name passes `keep`.
    pub(crate) fn setting_rows(
        &self,
        keep: impl Fn(&str) -> bool,
    ) -> Result<BTreeMap<String, Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(SETTINGS)?;
        let mut rows = BTreeMap::new();
        for entry in table.iter()? {
            let (k, v) = entry?;
            if keep(k.value()) {
                rows.insert(k.value().to_owned(), v.value().to_vec());
            }
        }
        Ok(rows)
    }

    /// Read the rows `keep` passes, let `change` edit them, and write back what it changed
    /// (a row it removed is deleted), all in one transaction: two writers never lose each
    /// other's changes. Nothing is written when `change` fails.
    pub(crate) fn update_setting_rows<T, E: From<StoreError>>(
        &self,
        keep: impl Fn(&str) -> bool,
        change: impl FnOnce(&mut BTreeMap<String, Vec<u8>>) -> Result<T, E>,
    ) -> Result<T, E> {
        let txn = self.db.begin_write().map_err(StoreError::from)?;
        let out;
        {
            let mut table = txn.open_table(SETTINGS).map_err(StoreError::from)?;
            let mut before = BTreeMap::new();
            for entry in table.iter().map_err(StoreError::from)? {
                let (k, v) = entry.map_err(StoreError::from)?;
                if keep(k.value()) {
                    before.insert(k.value().to_owned(), v.value().to_vec());
                }
            }
            let mut after = before.clone();
            out = change(&mut after)?;
            for name in before.keys().filter(|k| !after.contains_key(*k)) {
                table.remove(name.as_str()).map_err(StoreError::from)?;
            }
            for (name, value) in after.iter().filter(|(k, v)| before.get(*k) != Some(*v)) {
                table
                    .insert(name.as_str(), value.as_slice())
                    .map_err(StoreError::from)?;
            }
        }
        txn.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    /// Every prompt version of one agent (or of every agent), ordered by agent then version.
    pub fn prompt_records(&self, agent: Option<&str>) -> Result<Vec<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(PROMPTS)?;
        let mut out = Vec::new();
        let rows = match agent {
            Some(a) => table.range((a, 0)..=(a, u32::MAX))?,
            None => table.iter()?,
        };
        for entry in rows {
            out.push(entry?.1.value().to_vec());
        }
        Ok(out)
    }

    /// Add a prompt version numbered one past the agent's highest, in one transaction (so two
    /// writers never get the same number) with `settings`; `make` builds the record from the
    /// number, and optionally an experiment record (id, bytes) saved in the same transaction.
    pub fn add_prompt_record(
        &self,
        agent: &str,
        settings: &[(String, Vec<u8>)],
        make: impl FnOnce(u32) -> (Vec<u8>, Option<(String, Vec<u8>)>),
    ) -> Result<u32, StoreError> {
        let txn = self.db.begin_write()?;
        let number;
        {
            let mut table = txn.open_table(PROMPTS)?;
            let last = table
                .range((agent, 0)..=(agent, u32::MAX))?
                .next_back()
                .transpose()?
                .map(|(k, _)| k.value().1);
            number = last.map_or(1, |n| n + 1);
            let (record, experiment) = make(number);
            table.insert((agent, number), record.as_slice())?;
            if let Some((id, bytes)) = experiment {
                txn.open_table(EXPERIMENTS)?
                    .insert(id.as_str(), bytes.as_slice())?;
            }
            let mut table = txn.open_table(SETTINGS)?;
            for (name, value) in settings {
                table.insert(name.as_str(), value.as_slice())?;
            }
        }
        txn.commit()?;
        Ok(number)
    }

    /// Write a prompt version under a given number (used when adopting the versions that
    /// settlements name); `false` if that number is taken.
    pub fn put_prompt_record_if_absent(
        &self,
        agent: &str,
        number: u32,
        record: &[u8],
    ) -> Result<bool, StoreError> {
        let txn = self.db.begin_write()?;
        let added;
        {
            let mut table = txn.open_table(PROMPTS)?;
            added = table.get((agent, number))?.is_none();
            if added {
                table.insert((agent, number), record)?;
            }
        }
        txn.commit()?;
        Ok(added)
    }

    /// Every experiment record, by id.
    pub fn experiment_records(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(EXPERIMENTS)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (k, v) = entry?;
            out.push((k.value().to_owned(), v.value().to_vec()));
        }
        Ok(out)
    }

    /// One experiment record.
    pub fn experiment_record(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(EXPERIMENTS)?;
        let found = table.get(id)?.map(|v| v.value().to_vec());
        Ok(found)
    }

    /// Save an experiment record, and with it (in the same transaction) optional settings, so
    /// that deploying a winner and activating its prompt version happen together or not at all.
    pub fn put_experiment_record(
        &self,
        id: &str,
        record: &[u8],
        settings: &[(&str, &[u8])],
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        txn.open_table(EXPERIMENTS)?.insert(id, record)?;
        {
            let mut table = txn.open_table(SETTINGS)?;
            for (name, value) in settings {
                table.insert(*name, *value)?;
            }
        }
        txn.commit()?;
        Ok(())
    }
}
