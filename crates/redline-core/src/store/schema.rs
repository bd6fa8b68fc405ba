//! The store's tables, its schema version and the migrations between versions.
//!
//! Version 1:
//! - `meta`: `&str → u64` — `schema_version`.
//! - `settlements`: id `→` postcard-encoded [`Settlement`](crate::model::Settlement).
//! - `by_time`: `(created_at ms, id) →` postcard [`Summary`](super::Summary): the list index.
//! - `by_agent_time`: `(agent, created_at ms, id) →` the same summary: agent + range queries.
//! - `counts`: `(agent, intent type, "YYYY-MM") →` number of settlements, kept on every write.
//!
//! Version 2 adds:
//! - `sync`: source name (`"notion"`) `→` JSON of that source's sync state (cursor, mapping),
//!   written in the same transaction as the records it describes.
//!
//! Version 3 adds:
//! - `measures`: id `→` `(fingerprint of the record, postcard of its analytics measures)`, a
//!   derived cache filled on demand; a write that changes or removes a record drops its entry.
//!
//! Version 4 adds:
//! - `alerts`: alert key (`"drop:The Auditor"`) `→` JSON of its record (first raised, last
//!   seen, evidence, acknowledged, cleared), so acknowledged alerts stay quiet across runs.
//! - `settings`: name `→` JSON value (e.g. the acceptance threshold).
//!
//! Version 5 adds:
//! - `audit`: `(time ms, sequence) →` JSON of an audit entry (exports, token changes, syncs).
//! - `marks`: settlement id `→` JSON of its curation mark (exclude from training, or gold),
//!   kept apart from the records so that a re-sync or re-import never drops it.
//!
//! Version 6 adds:
//! - `prompts`: `(agent, version number) →` JSON of a prompt version (text, created, note,
//!   author); the agent's active version is the setting `active_prompt/<agent>`.
//! - `experiments`: experiment id `→` JSON of an A/B experiment (variants, split, planned
//!   sample, status, winner, Notion row).
//!
//! Version 7 adds:
//! - `changes`: sequence number `→` settlement id, one row per record inserted, changed or
//!   removed, written in the same transaction as the change. Readers that keep something
//!   derived from the records in memory (the pattern miner) ask what changed since the
//!   sequence number they saw. The oldest rows are dropped past [`CHANGE_LOG_ROWS`]; a reader
//!   that far behind starts over.
//!
//! Version 8 adds:
//! - `analyses`: id `→` `(the pattern miner's content hash, postcard of its analysis of the
//!   settlement)`: the diff, the words taken out and added, replacements, tone, shape and kinds
//!   of edit, computed once and read back by later runs (a derived cache: an entry whose hash
//!   no longer matches the record, or the analysis version, is ignored and rewritten; a write
//!   that changes or removes a record drops its entry).
//!
//! A migration takes an open write transaction of version N and leaves version N + 1; all of
//! them run in one transaction, so a crash mid-migration leaves the old version intact.

use redb::{TableDefinition, WriteTransaction};

pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
pub const SETTLEMENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("settlements");
pub const BY_TIME: TableDefinition<(i64, &str), &[u8]> = TableDefinition::new("by_time");
pub const BY_AGENT_TIME: TableDefinition<(&str, i64, &str), &[u8]> =
    TableDefinition::new("by_agent_time");
pub const COUNTS: TableDefinition<(&str, &str, &str), u64> = TableDefinition::new("counts");
pub const SYNC: TableDefinition<&str, &[u8]> = TableDefinition::new("sync");
pub const MEASURES: TableDefinition<&str, (u64, &[u8])> = TableDefinition::new("measures");

pub const ALERTS: TableDefinition<&str, &[u8]> = TableDefinition::new("alerts");
pub const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("settings");

pub const AUDIT: TableDefinition<(i64, u64), &[u8]> = TableDefinition::new("audit");
pub const MARKS: TableDefinition<&str, &[u8]> = TableDefinition::new("marks");

pub const PROMPTS: TableDefinition<(&str, u32), &[u8]> = TableDefinition::new("prompts");
pub const EXPERIMENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("experiments");
pub const CHANGES: TableDefinition<u64, &str> = TableDefinition::new("changes");
pub const ANALYSES: TableDefinition<&str, (u64, &[u8])> = TableDefinition::new("analyses");

pub const SCHEMA_VERSION_KEY: &str = "schema_version";

/// The schema version this build writes and reads.
pub const CURRENT_VERSION: u64 = 8;

/// The change log keeps at most this many rows.
pub const CHANGE_LOG_ROWS: u64 = 1_000_000;

/// A step from version `from` to `from + 1`.
pub struct Migration {
    pub from: u64,
    pub run: fn(&WriteTransaction) -> Result<(), redb::Error>,
}

/// Every migration, in order. A change to a table's layout adds one here and bumps
/// [`CURRENT_VERSION`].
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        from: 1,
        run: v1_to_v2,
    },
    Migration {
        from: 2,
        run: v2_to_v3,
    },
    Migration {
        from: 3,
        run: v3_to_v4,
    },
    Migration {
        from: 4,
        run: v4_to_v5,
    },
    Migration {
        from: 5,
        run: v5_to_v6,
    },
    Migration {
        from: 6,
        run: v6_to_v7,
    },
    Migration {
        from: 7,
        run: v7_to_v8,
    },
];

/// v8 adds the `analyses` cache (empty: the next mining fills it).
fn v7_to_v8(txn: &WriteTransaction) -> Result<(), redb::Error> {
    txn.open_table(ANALYSES)?;
    Ok(())
}

/// v7 adds the `changes` log (empty: readers of an older store start from a full read).
fn v6_to_v7(txn: &WriteTransaction) -> Result<(), redb::Error> {
    txn.open_table(CHANGES)?;
    Ok(())
}

/// v6 adds the `prompts` and `experiments` tables.
fn v5_to_v6(txn: &WriteTransaction) -> Result<(), redb::Error> {
    txn.open_table(PROMPTS)?;
    txn.open_table(EXPERIMENTS)?;
    Ok(())
}

/// v5 adds the `audit` and `marks` tables.
fn v4_to_v5(txn: &WriteTransaction) -> Result<(), redb::Error> {
    txn.open_table(AUDIT)?;
    txn.open_table(MARKS)?;
    txn.open_table(PROMPTS)?;
    txn.open_table(EXPERIMENTS)?;
    Ok(())
}

/// v4 adds the `alerts` and `settings` tables.
fn v3_to_v4(txn: &WriteTransaction) -> Result<(), redb::Error> {
    txn.open_table(ALERTS)?;
    txn.open_table(SETTINGS)?;
    Ok(())
}

/// v3 adds the `measures` cache (empty: it fills on demand).
fn v2_to_v3(txn: &WriteTransaction) -> Result<(), redb::Error> {
    txn.open_table(MEASURES)?;
    Ok(())
}

/// v2 adds the `sync` table.
fn v1_to_v2(txn: &WriteTransaction) -> Result<(), redb::Error> {
    txn.open_table(SYNC)?;
    txn.open_table(MEASURES)?;
    Ok(())
}

/// Create every table of the current version (a no-op for tables that exist).
pub fn create_tables(txn: &WriteTransaction) -> Result<(), redb::Error> {
    txn.open_table(META)?;
    txn.open_table(SETTLEMENTS)?;
    txn.open_table(BY_TIME)?;
    txn.open_table(BY_AGENT_TIME)?;
    txn.open_table(COUNTS)?;
    txn.open_table(SYNC)?;
    txn.open_table(MEASURES)?;
    txn.open_table(ALERTS)?;
    txn.open_table(SETTINGS)?;
    txn.open_table(AUDIT)?;
    txn.open_table(MARKS)?;
    txn.open_table(PROMPTS)?;
    txn.open_table(EXPERIMENTS)?;
    txn.open_table(CHANGES)?;
    txn.open_table(ANALYSES)?;
    Ok(())
}
