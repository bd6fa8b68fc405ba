//! Connect a database, then sync it into the store: incrementally by `last_edited_time`, and a
//! reconcile that removes what Notion no longer has.
//!
//! The cursor is the latest `last_edited_time` stored. Notion rounds that time to the minute, so
//! an edit later in the cursor's minute carries the cursor's own time: an incremental sync asks
//! for pages edited *on or after* the cursor, re-reading the boundary minute, and relies on the
//! upsert (by page id, unchanged records skipped) to de-duplicate. Pages come sorted by `last_edited_time`
//! ascending, and each page of results (≤ 100 pages) is written together with the new cursor in
//! one store transaction: a sync stopped anywhere resumes from the last committed batch.
//!
//! Every query names the mapped properties in `filter_properties` (with API 2026-12-01 a
//! listing carries only each page's title without it; with any version the answers are
//! smaller). A server that rejects `filter_properties`, or the 2026-12-01 version, is asked
//! again once in 2025-09-03 without it; the connection keeps that choice and a notice saying
//! why. A listing whose pages all lack every mapped property is refused, never stored: read as
//! pages with missing properties, it would remove their cached copies.

use super::mapping::{self, Mapping, Property};
use super::page::{self, Skipped};
use super::{parse_database_ref, ApiVersion, Client, NotionError};
use crate::job::Cancel;
use crate::model::{Settlement, SettlementId, SourceKind};
use crate::store::{Batch, Store, UpsertReport};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::atomic::Ordering;

/// The key of Notion's sync state in the store.
pub const STATE_KEY: &str = "notion";

/// Skipped pages kept in the state for the UI; past this only the count goes on.
const MAX_SKIPPED: usize = 1000;

/// Queries one sync makes at most (a million pages at 100 a query): past this the listing is
/// taken to be endless.
const MAX_QUERIES: u64 = 10_000;

/// A reconcile removes at most this share of the cached Notion settlements unless forced: an
/// empty or truncated listing from a misbehaving server must not wipe the cache.
pub const RECONCILE_MAX_PERCENT: u32 = 20;

/// How far past the local clock a page's `last_edited_time` may move the cursor: a page dated
/// in the far future would otherwise pin it there and later edits would be missed.
const CURSOR_SLACK_MINUTES: i64 = 5;

/// A connected database.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub database_id: String,
    /// With API version 2025-09-03 and later: the data source that is queried.
    pub data_source_id: Option<String>,
    pub version: ApiVersion,
    /// Whether queries name the mapped properties in `filter_properties` (off only after a
    /// server rejected it).
    #[serde(default = "yes")]
    pub filter_properties: bool,
    /// Why the connection speaks an older version or lists without `filter_properties`, when
    /// Redline had to fall back: shown with the connection.
    #[serde(default)]
    pub notice: Option<String>,
    pub title: String,
    pub schema: Vec<Property>,
    pub mapping: Mapping,
}

fn yes() -> bool {
    true
}

/// What the store remembers about Notion between syncs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SyncState {
    pub connection: Option<Connection>,
    /// The API base URL chosen in Settings (a proxy or gateway); `REDLINE_NOTION_BASE_URL`
    /// overrides it, and without either the official API is used.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The latest `last_edited_time` stored.
    pub cursor: Option<DateTime<Utc>>,
    pub last_sync: Option<DateTime<Utc>>,
    pub last_reconcile: Option<DateTime<Utc>>,
    /// Pages the last sync skipped, with the reason.
    pub skipped: Vec<Skipped>,
    /// Automatic syncs while the app is open.
    #[serde(default)]
    pub auto: AutoSync,
}

/// When the app syncs by itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoSync {
    /// Sync when the app starts.
    pub on_launch: bool,
    /// Sync again whenever the last sync is this many minutes old.
    pub every_minutes: Option<u32>,
}

impl SyncState {
    pub fn load(store: &Store) -> Result<SyncState, NotionError> {
        match store.sync_state(STATE_KEY)? {
            None => Ok(SyncState::default()),
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                NotionError::Unexpected(format!("the saved Notion sync state is damaged: {e}"))
            }),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("sync state serialises")
    }

    /// Whether an automatic sync is due at `now`; `launched` is true on the app's first check.
    pub fn auto_sync_due(&self, now: DateTime<Utc>, launched: bool) -> bool {
        if self.connection.is_none() {
            return false;
        }
        if launched && self.auto.on_launch {
            return true;
        }
        match self.auto.every_minutes {
            Some(m) if m > 0 => self
                .last_sync
                .is_none_or(|t| now - t >= chrono::Duration::minutes(i64::from(m))),
            _ => false,
        }
    }

    /// Save the state alone (after connecting, or changing the mapping).
    pub fn save(&self, store: &Store) -> Result<(), NotionError> {
        let bytes = self.bytes();
        store.write(Batch {
            sync_state: Some((STATE_KEY, &bytes)),
            ..Default::default()
        })?;
        Ok(())
    }
}

fn title_of(object: &Value) -> String {
    object["title"]
        .as_array()
        .map(|parts| {
            parts
                .iter()
                .filter_map(|p| p["plain_text"].as_str())
                .collect::<String>()
        })
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "Untitled".to_string())
}

/// The schema object and data source id of a database, per the client's API version.
pub(crate) fn fetch_schema(
    client: &Client,
    database_id: &str,
    cancel: &Cancel,
) -> Result<(Value, Option<String>, String), NotionError> {
    let db = client.request("GET", &format!("/v1/databases/{database_id}"), None, cancel)?;
    let title = title_of(&db);
    match client.version().data_sources() {
        false => Ok((db, None, title)),
        true => {
            let ds = db["data_sources"]
                .as_array()
                .and_then(|a| a.first())
                .and_then(|d| d["id"].as_str())
                .ok_or_else(|| NotionError::Unexpected("the database lists no data source".into()))?
                .to_owned();
            let source = client.request("GET", &format!("/v1/data_sources/{ds}"), None, cancel)?;
            Ok((source, Some(ds), title))
        }
    }
}

/// Resolve a database link or id: discover its data source, read its schema and propose a
/// mapping. Nothing is saved until [`SyncState::save`].
pub fn connect(
    client: &Client,
    database_ref: &str,
    cancel: &Cancel,
) -> Result<Connection, NotionError> {
    let database_id = parse_database_ref(database_ref)?;
    let (object, data_source_id, title) = fetch_schema(client, &database_id, cancel)?;
    let schema = mapping::schema_from(&object);
    let mapping = mapping::propose(&schema);
    Ok(Connection {
        database_id,
        data_source_id,
        version: client.version(),
        filter_properties: true,
        notice: client.fell_back(),
        title,
        schema,
        mapping,
    })
}

/// Save a connection after checking its mapping against its schema. Connecting another
/// database starts its sync from scratch (the old cursor means nothing there).
pub fn save_connection(store: &Store, conn: Connection) -> Result<(), NotionError> {
    let problems = mapping::validate(&conn.mapping, &conn.schema);
    if !problems.is_empty() {
        return Err(NotionError::Rejected {
            status: 0,
            code: "mapping".into(),
            message: format!(
                "the property mapping does not fit the database: {}",
                problems.join("; ")
            ),
        });
    }
    let mut state = SyncState::load(store)?;
    if state
        .connection
        .as_ref()
        .is_some_and(|c| c.database_id != conn.database_id)
    {
        state = SyncState {
            base_url: state.base_url,
            ..SyncState::default()
        };
    }
    state.connection = Some(conn);
    state.save(store)
}

/// Change the automatic-sync settings.
pub fn set_auto_sync(store: &Store, auto: AutoSync) -> Result<(), NotionError> {
    let mut state = SyncState::load(store)?;
    state.auto = auto;
    state.save(store)
}

/// Set (or with `None`, clear) the API base URL setting.
/// The token is sent to this address: it must be `https://` (or `http://` to this machine), and
/// every change is recorded in the audit log (with the address's origin only).
pub fn set_base_url(store: &Store, base_url: Option<String>) -> Result<(), NotionError> {
    let mut state = SyncState::load(store)?;
    let next = base_url
        .map(|u| u.trim().trim_end_matches('/').to_string())
        .filter(|u| !u.is_empty());
    if let Some(u) = &next {
        if !crate::secret::secure_transport(u) {
            return Err(NotionError::Insecure {
                base_url: crate::secret::url_origin(u),
            });
        }
    }
    if next == state.base_url {
        return Ok(());
    }
    let shown = |u: &Option<String>| {
        u.as_deref().map_or_else(
            || super::DEFAULT_BASE_URL.to_string(),
            crate::secret::url_origin,
        )
    };
    let (before, after) = (shown(&state.base_url), shown(&next));
    state.base_url = next;
    state.save(store)?;
    crate::audit::record(
        store,
        "notion_base_url",
        format!("The Notion token is now sent to {after} (was {before})"),
        json!({"from": before, "to": after}),
    )?;
    Ok(())
}

/// Progress of a sync, sent after every page of results.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SyncProgress {
    pub pages: u64,
    pub written: UpsertReport,
    pub skipped: u64,
    pub requests: u64,
    pub rate_limited: u64,
    pub rate_limit_wait_ms: u64,
}

/// What a sync did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SyncReport {
    pub progress: SyncProgress,
    pub skipped: Vec<Skipped>,
    pub cursor: Option<DateTime<Utc>>,
    pub reconciled: bool,
    pub cancelled: bool,
    /// Said when this sync had to fall back (an older API version, or no `filter_properties`).
    pub notice: Option<String>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct SyncOptions {
    /// Also remove settlements whose page is gone from Notion (reads every page id).
    pub reconcile: bool,
    /// Let a reconcile remove more than [`RECONCILE_MAX_PERCENT`] of the cache (the person
    /// confirmed the count).
    pub force: bool,
}

fn query_path(conn: &Connection) -> String {
    match (conn.version.data_sources(), &conn.data_source_id) {
        (true, Some(ds)) => format!("/v1/data_sources/{ds}/query"),
        _ => format!("/v1/databases/{}/query", conn.database_id),
    }
}

/// Whether an error is a server's refusal of the `filter_properties` parameter (a 400 that
/// names it, or calls the URL invalid).
fn rejects_filter_properties(e: &NotionError) -> bool {
    matches!(e, NotionError::Rejected { status: 400, code, message }
        if message.contains("filter_properties") || code == "invalid_request_url")
}

/// Keep a fallback in the connection (saved with the next batch) and say it in the report.
fn fell_back(
    conn: &mut Connection,
    state: &mut SyncState,
    report: &mut SyncReport,
    version: ApiVersion,
    why: String,
) {
    conn.version = version;
    conn.notice = Some(why.clone());
    report.notice = Some(why);
    state.connection = Some(conn.clone());
}

fn snapshot(client: &Client, p: &mut SyncProgress) {
    let c = &client.counters;
    p.requests = c.requests.load(Ordering::Relaxed);
    p.rate_limited = c.rate_limited.load(Ordering::Relaxed);
    p.rate_limit_wait_ms = c.rate_limit_wait_ms.load(Ordering::Relaxed);
}

/// Sync the connected database into the store.
pub fn sync(
    store: &Store,
    client: &Client,
    options: SyncOptions,
    progress: &mut dyn FnMut(&SyncProgress),
    cancel: &Cancel,
) -> Result<SyncReport, NotionError> {
    let outcome = sync_inner(store, client, options, progress, cancel);
    // The audit log records every sync; a failure to record never hides the sync's outcome.
    let _ = match &outcome {
        Ok(r) => crate::audit::record(
            store,
            "sync",
            format!(
                "synced from Notion: {} new, {} updated, {} deleted, {} skipped{}",
                r.progress.written.inserted,
                r.progress.written.updated,
                r.progress.written.deleted,
                r.progress.skipped,
                if r.cancelled { " (cancelled)" } else { "" }
            ),
            serde_json::json!({
                "inserted": r.progress.written.inserted,
                "updated": r.progress.written.updated,
                "deleted": r.progress.written.deleted,
                "skipped": r.progress.skipped,
                "reconciled": r.reconciled,
                "cancelled": r.cancelled,
            }),
        ),
        Err(e) => crate::audit::record(
            store,
            "sync_failed",
            format!("sync from Notion failed: {e}"),
            serde_json::Value::Null,
        ),
    };
    outcome
}

fn sync_inner(
    store: &Store,
    client: &Client,
    options: SyncOptions,
    progress: &mut dyn FnMut(&SyncProgress),
    cancel: &Cancel,
) -> Result<SyncReport, NotionError> {
    let mut state = SyncState::load(store)?;
    let database_id = state
        .connection
        .as_ref()
        .map(|c| c.database_id.clone())
        .unwrap_or_default();
    // What a sync owns in the saved state; everything else (settings changed while it runs)
    // is read again inside each write and kept.
    let merge = |ours: &SyncState| {
        let ours = ours.clone();
        let database_id = database_id.clone();
        move |saved: Option<&[u8]>| -> Vec<u8> {
            let mut current: SyncState = saved
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or_default();
            let same = current
                .connection
                .as_ref()
                .is_some_and(|c| c.database_id == database_id);
            if same {
                // A fallback this sync made is the connection's from now on.
                if let (Some(c), Some(o)) = (current.connection.as_mut(), ours.connection.as_ref())
                {
                    c.version = o.version;
                    c.filter_properties = o.filter_properties;
                    c.notice.clone_from(&o.notice);
                }
                current.cursor = ours.cursor;
                current.last_sync = ours.last_sync;
                current.last_reconcile = ours.last_reconcile;
                current.skipped = ours.skipped.clone();
            }
            current.bytes()
        }
    };
    let mut conn = state
        .connection
        .clone()
        .ok_or_else(|| NotionError::Unexpected("no Notion database is connected yet".into()))?;
    client.set_version(conn.version);
    let mut report = SyncReport::default();
    // The mapping must still fit the live schema (one request: the data source, or with the
    // older API the database).
    let path = match (conn.version.data_sources(), &conn.data_source_id) {
        (true, Some(ds)) => format!("/v1/data_sources/{ds}"),
        _ => format!("/v1/databases/{}", conn.database_id),
    };
    let schema = mapping::schema_from(&client.request("GET", &path, None, cancel)?);
    if client.version() != conn.version {
        let why = client.fell_back().unwrap_or_default();
        fell_back(&mut conn, &mut state, &mut report, client.version(), why);
    }
    let problems = mapping::validate(&conn.mapping, &schema);
    if !problems.is_empty() {
        return Err(NotionError::Rejected {
            status: 0,
            code: "mapping".into(),
            message: format!(
                "the property mapping no longer fits the database: {}. Fix it in Settings → Notion",
                problems.join("; ")
            ),
        });
    }
    let mut skipped_keep: Vec<Skipped> = Vec::new();
    let path = query_path(&conn);
    let wanted = mapping::filter_properties(&conn.mapping, &schema);
    let filtered: Vec<(&str, &str)> = wanted
        .iter()
        .map(|id| ("filter_properties", id.as_str()))
        .collect();
    let mapped: Vec<String> = mapping::Field::ALL
        .iter()
        .filter_map(|f| conn.mapping.get(*f))
        .filter(|name| schema.iter().any(|p| p.name == *name && p.kind != "title"))
        .map(str::to_owned)
        .collect();
    let filter = state.cursor.map(|c| {
        json!({"timestamp": "last_edited_time",
               "last_edited_time": {"on_or_after": c.to_rfc3339()}})
    });
    let mut start_cursor: Option<String> = None;
    let mut cursors_seen: HashSet<String> = HashSet::new();
    let mut queries = 0u64;
    let latest_allowed = Utc::now() + chrono::Duration::minutes(CURSOR_SLACK_MINUTES);
    let mut seen: Option<HashSet<String>> = options.reconcile.then(HashSet::new);
    // A reconcile reads every page; an incremental sync only the recent ones.
    let filter = if options.reconcile { None } else { filter };
    loop {
        if cancel.is_cancelled() {
            report.cancelled = true;
            break;
        }
        let mut body = json!({"page_size": 100,
            "sorts": [{"timestamp": "last_edited_time", "direction": "ascending"}]});
        if let Some(f) = &filter {
            body["filter"] = f.clone();
        }
        if let Some(c) = &start_cursor {
            body["start_cursor"] = json!(c);
        }
        if queries >= MAX_QUERIES {
            return Err(NotionError::TooManyQueries { queries });
        }
        queries += 1;
        let query: &[(&str, &str)] = if conn.filter_properties {
            &filtered
        } else {
            &[]
        };
        let mut answer = client.request_with("POST", &path, query, Some(&body), cancel);
        if let Err(e) = &answer {
            if conn.filter_properties && rejects_filter_properties(e) {
                // Once: 2025-09-03 (or the older version spoken) without the parameter, which
                // every version answers with all properties.
                let plain = if conn.version.title_only_lists() {
                    ApiVersion::FALLBACK
                } else {
                    conn.version
                };
                let why = format!(
                    "the server rejected filter_properties ({e}); Redline lists the database with \
                     Notion-Version {plain} and all properties instead"
                );
                client.set_version(plain);
                answer = client.request_with("POST", &path, &[], Some(&body), cancel);
                if answer.is_ok() {
                    conn.filter_properties = false;
                    fell_back(&mut conn, &mut state, &mut report, plain, why);
                } else {
                    client.set_version(conn.version);
                }
            }
        }
        let answer = match answer {
            Err(NotionError::Cancelled) => {
                report.cancelled = true;
                break;
            }
            other => other?,
        };
        let results = answer["results"]
            .as_array()
            .ok_or_else(|| NotionError::Unexpected("a query answer without `results`".into()))?;
        let mut live = results.iter().filter(|raw| !page::is_gone(raw)).peekable();
        if !mapped.is_empty()
            && live.peek().is_some()
            && live.all(|raw| page::lacks_all(raw, &mapped))
        {
            return Err(NotionError::Unexpected(format!(
                "Notion listed pages without any of the mapped properties ({}), as a server \
                 speaking 2026-12-01 does when a query does not name them; nothing was changed",
                mapped.join(", ")
            )));
        }
        let mut upserts: Vec<Settlement> = Vec::with_capacity(results.len());
        let mut deletes: Vec<SettlementId> = Vec::new();
        for raw in results {
            let meta = page::meta(raw);
            report.progress.pages += 1;
            if let Some(l) = meta.last_edited.filter(|l| *l <= latest_allowed) {
                state.cursor = Some(state.cursor.map_or(l, |c| c.max(l)));
            }
            if let Some(seen) = seen.as_mut() {
                if !meta.gone {
                    seen.insert(meta.id.clone());
                }
            }
            if meta.gone {
                if let Ok(id) = SettlementId::new(meta.id.clone()) {
                    deletes.push(id);
                }
                continue;
            }
            match page::to_settlement(raw, &conn.mapping, &schema) {
                Ok(s) => upserts.push(s),
                Err(reason) => {
                    report.progress.skipped += 1;
                    let skipped = Skipped {
                        page_id: meta.id.clone(),
                        url: meta.url.clone(),
                        reason,
                    };
                    if skipped_keep.len() < MAX_SKIPPED {
                        skipped_keep.push(skipped);
                    }
                    // A page that no longer converts must not keep an outdated cached copy.
                    if let Ok(id) = SettlementId::new(meta.id) {
                        deletes.push(id);
                    }
                }
            }
        }
        let has_more = answer["has_more"].as_bool() == Some(true);
        start_cursor = answer["next_cursor"].as_str().map(str::to_owned);
        state.skipped = skipped_keep.clone();
        if !has_more {
            state.last_sync = Some(Utc::now());
        }
        let update = merge(&state);
        let written = store.write(Batch {
            upserts: &upserts,
            deletes: &deletes,
            deletes_from: Some(SourceKind::Notion),
            sync_update: Some((STATE_KEY, &update)),
            ..Default::default()
        })?;
        report.progress.written.add(written);
        snapshot(client, &mut report.progress);
        progress(&report.progress);
        match &start_cursor {
            Some(c) if has_more => {
                if !cursors_seen.insert(c.clone()) {
                    return Err(NotionError::PaginationLoop {
                        cursor: c.chars().take(64).collect(),
                        queries,
                    });
                }
            }
            _ => break,
        }
    }
    if let (Some(seen), false) = (seen, report.cancelled) {
        let cached = store.ids_from(SourceKind::Notion)?;
        let stale: Vec<SettlementId> = cached
            .iter()
            .filter(|id| !seen.contains(id.as_str()))
            .cloned()
            .collect();
        if !options.force && stale.len() * 100 > cached.len() * RECONCILE_MAX_PERCENT as usize {
            return Err(NotionError::ReconcileTooLarge {
                remove: stale.len(),
                cached: cached.len(),
                percent: RECONCILE_MAX_PERCENT,
            });
        }
        state.last_reconcile = Some(Utc::now());
        let update = merge(&state);
        let written = store.write(Batch {
            deletes: &stale,
            deletes_from: Some(SourceKind::Notion),
            sync_update: Some((STATE_KEY, &update)),
            ..Default::default()
        })?;
        report.progress.written.add(written);
        report.reconciled = true;
        progress(&report.progress);
    }
    report.skipped = skipped_keep;
    report.cursor = state.cursor;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connected(auto: AutoSync, last_sync: Option<DateTime<Utc>>) -> SyncState {
        SyncState {
            connection: Some(Connection {
                database_id: "d".into(),
                data_source_id: None,
                version: ApiVersion::V2025,
                filter_properties: true,
                notice: None,
                title: "T".into(),
                schema: Vec::new(),
                mapping: Mapping::default(),
            }),
            last_sync,
            auto,
            ..Default::default()
        }
    }

    #[test]
    fn automatic_sync_schedule() {
        let now = Utc::now();
        let hour_ago = Some(now - chrono::Duration::minutes(60));
        let off = AutoSync::default();
        assert!(!connected(off, None).auto_sync_due(now, true));
        let launch = AutoSync {
            on_launch: true,
            every_minutes: None,
        };
        assert!(connected(launch, hour_ago).auto_sync_due(now, true));
        assert!(!connected(launch, hour_ago).auto_sync_due(now, false));
        let every = AutoSync {
            on_launch: false,
            every_minutes: Some(30),
        };
        assert!(connected(every, hour_ago).auto_sync_due(now, false));
        assert!(connected(every, None).auto_sync_due(now, false));
        let recent = Some(now - chrono::Duration::minutes(10));
        assert!(!connected(every, recent).auto_sync_due(now, false));
        // Nothing is due without a connected database.
        let mut none = connected(launch, None);
        none.connection = None;
        assert!(!none.auto_sync_due(now, true));
    }
}
