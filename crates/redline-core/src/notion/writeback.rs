//! Write-back of A/B experiments to a second Notion database with the design's `DB_AB_Tests`
//! schema: Experiment ID (title), Agent Name (select), Variant A / B Prompt (text),
//! Variant A / B Settlements (number), Variant A / B Acceptance (number), Status (select:
//! Running, Completed, Winner_Deployed), Winner (select: Variant A, Variant B, Inconclusive),
//! Created Date and Completed Date (date).
//!
//! A row is created or updated idempotently by Experiment ID. Prompts longer than Notion's
//! 2,000 characters per rich-text object are split into chunks (at most 100 per property;
//! beyond that a clear error, before anything is sent).

use super::{ApiVersion, Client, NotionError};
pub use crate::experiments::{Status, Winner};
use crate::job::Cancel;
use crate::store::{Store, StoreError};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Notion's limit on one rich-text object's `text.content`.
pub const CHUNK_CHARS: usize = 2000;
/// Notion's limit on rich-text objects in one property value.
pub const MAX_CHUNKS: usize = 100;

/// One row of DB_AB_Tests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AbTestRow {
    pub experiment_id: String,
    pub agent: String,
    pub variant_a_prompt: String,
    pub variant_b_prompt: String,
    pub variant_a_settlements: u64,
    pub variant_b_settlements: u64,
    pub variant_a_acceptance: Option<f64>,
    pub variant_b_acceptance: Option<f64>,
    pub status: Status,
    pub winner: Option<Winner>,
    pub created: NaiveDate,
    pub completed: Option<NaiveDate>,
}

/// Where the rows go: a database, and with API 2025-09-03 and later its data source (a
/// setting).
pub use crate::settings::AbTestsTarget as Target;

impl Target {
    /// The version to write it with: the newest for a data source (a server that rejects it is
    /// spoken to in 2025-09-03, see [`Client::request_with`]), else 2022-06-28.
    pub fn version(&self) -> ApiVersion {
        if self.data_source_id.is_some() {
            ApiVersion::V2026
        } else {
            ApiVersion::V2022
        }
    }
}

/// The design's DB_AB_Tests properties and the Notion property type each must have.
pub const SCHEMA: [(&str, &str); 12] = [
    ("Experiment ID", "title"),
    ("Agent Name", "select"),
    ("Variant A Prompt", "rich_text"),
    ("Variant B Prompt", "rich_text"),
    ("Variant A Settlements", "number"),
    ("Variant B Settlements", "number"),
    ("Variant A Acceptance", "number"),
    ("Variant B Acceptance", "number"),
    ("Status", "select"),
    ("Winner", "select"),
    ("Created Date", "date"),
    ("Completed Date", "date"),
];

/// Resolve the DB_AB_Tests database (a link or id) and check that it has every property of
/// the design's schema with the right type; the error names each one missing or mistyped.
pub fn connect_target(
    client: &Client,
    database_ref: &str,
    cancel: &Cancel,
) -> Result<Target, NotionError> {
    let database_id = super::parse_database_ref(database_ref)?;
    let (object, data_source_id, _title) = super::sync::fetch_schema(client, &database_id, cancel)?;
    let problems: Vec<String> = SCHEMA
        .iter()
        .filter_map(
            |(name, kind)| match object["properties"][*name]["type"].as_str() {
                None => Some(format!("`{name}` is missing (a {kind} property)")),
                Some(found) if found != *kind => {
                    Some(format!("`{name}` is a {found} property, not {kind}"))
                }
                Some(_) => None,
            },
        )
        .collect();
    if !problems.is_empty() {
        return Err(NotionError::Rejected {
            status: 0,
            code: "schema".into(),
            message: format!(
                "this database does not have the DB_AB_Tests properties: {}",
                problems.join("; ")
            ),
        });
    }
    Ok(Target {
        database_id,
        data_source_id,
    })
}

/// A text as rich-text objects of at most [`CHUNK_CHARS`] characters each.
pub fn chunks(text: &str, property: &str) -> Result<Value, NotionError> {
    let chars: Vec<char> = text.chars().collect();
    let parts: Vec<Value> = chars
        .chunks(CHUNK_CHARS)
        .map(|c| json!({"type": "text", "text": {"content": c.iter().collect::<String>()}}))
        .collect();
    if parts.len() > MAX_CHUNKS {
        return Err(NotionError::Rejected {
            status: 0,
            code: "too_long".into(),
            message: format!(
                "`{property}` is {} characters; Notion takes at most {} ({} pieces of {})",
                chars.len(),
                CHUNK_CHARS * MAX_CHUNKS,
                MAX_CHUNKS,
                CHUNK_CHARS
            ),
        });
    }
    Ok(Value::Array(parts))
}

/// The row's properties in Notion's write shape.
pub fn properties(row: &AbTestRow) -> Result<Map<String, Value>, NotionError> {
    let mut p = Map::new();
    p.insert(
        "Experiment ID".into(),
        json!({"title": chunks(&row.experiment_id, "Experiment ID")?}),
    );
    p.insert("Agent Name".into(), json!({"select": {"name": row.agent}}));
    p.insert(
        "Variant A Prompt".into(),
        json!({"rich_text": chunks(&row.variant_a_prompt, "Variant A Prompt")?}),
    );
    p.insert(
        "Variant B Prompt".into(),
        json!({"rich_text": chunks(&row.variant_b_prompt, "Variant B Prompt")?}),
    );
    p.insert(
        "Variant A Settlements".into(),
        json!({"number": row.variant_a_settlements}),
    );
    p.insert(
        "Variant B Settlements".into(),
        json!({"number": row.variant_b_settlements}),
    );
    p.insert(
        "Variant A Acceptance".into(),
        json!({"number": row.variant_a_acceptance}),
    );
    p.insert(
        "Variant B Acceptance".into(),
        json!({"number": row.variant_b_acceptance}),
    );
    p.insert(
        "Status".into(),
        json!({"select": {"name": row.status.name()}}),
    );
    p.insert(
        "Winner".into(),
        json!({"select": row.winner.map(|w| json!({"name": w.name()}))}),
    );
    p.insert(
        "Created Date".into(),
        json!({"date": {"start": row.created.to_string()}}),
    );
    p.insert(
        "Completed Date".into(),
        json!({"date": row.completed.map(|d| json!({"start": d.to_string()}))}),
    );
    Ok(p)
}

fn query_path(client: &Client, target: &Target) -> String {
    match (client.version().data_sources(), &target.data_source_id) {
        (true, Some(ds)) => format!("/v1/data_sources/{ds}/query"),
        _ => format!("/v1/databases/{}/query", target.database_id),
    }
}

/// Create the experiment's row, or update it if a row with its Experiment ID exists; returns
/// the page id.
pub fn upsert_experiment(
    client: &Client,
    target: &Target,
    row: &AbTestRow,
    cancel: &Cancel,
) -> Result<String, NotionError> {
    let properties = properties(row)?;
    let query = json!({"page_size": 1,
        "filter": {"property": "Experiment ID", "title": {"equals": row.experiment_id}}});
    let found = client.request("POST", &query_path(client, target), Some(&query), cancel)?;
    if let Some(id) = found["results"][0]["id"].as_str() {
        client.request(
            "PATCH",
            &format!("/v1/pages/{id}"),
            Some(&json!({"properties": properties})),
            cancel,
        )?;
        return Ok(id.to_owned());
    }
    let parent = match (client.version().data_sources(), &target.data_source_id) {
        (true, Some(ds)) => json!({"type": "data_source_id", "data_source_id": ds}),
        _ => json!({"type": "database_id", "database_id": target.database_id}),
    };
    let created = client.request(
        "POST",
        "/v1/pages",
        Some(&json!({"parent": parent, "properties": properties})),
        cancel,
    )?;
    created["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| NotionError::Unexpected("a created page without an id".into()))
}

/// The connected DB_AB_Tests database, if any.
pub fn target(store: &Store) -> Result<Option<Target>, StoreError> {
    Ok(crate::settings::Settings::load(store)?.ab_tests)
}

/// Remember (or with `None`, forget) the DB_AB_Tests database.
pub fn set_target(store: &Store, target: Option<&Target>) -> Result<(), StoreError> {
    crate::settings::Settings::update(store, |s| {
        s.ab_tests = target.cloned();
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_respect_notions_limits() {
        let text = "é".repeat(4500);
        let v = chunks(&text, "P").unwrap();
        let parts = v.as_array().unwrap();
        assert_eq!(parts.len(), 3);
        assert!(parts
            .iter()
            .all(|p| p["text"]["content"].as_str().unwrap().chars().count() <= CHUNK_CHARS));
        let joined: String = parts
            .iter()
            .map(|p| p["text"]["content"].as_str().unwrap())
            .collect();
        assert_eq!(joined, text);
        assert!(chunks(&"x".repeat(CHUNK_CHARS * MAX_CHUNKS), "P").is_ok());
        let err = chunks(
            &"x".repeat(CHUNK_CHARS * MAX_CHUNKS + 1),
            "Variant A Prompt",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("`Variant A Prompt` is 200001 characters"),
            "{err}"
        );
    }
}
