//! Settlements and their edit operations as Parquet tables, for engines that outgrow a laptop
//! store (DuckDB, Spark, BigQuery): `settlements.parquet` (one row per settlement, with its
//! measures) and `operations.parquet` (one row per edit operation), in a folder. The schema is
//! documented in docs/scale.md and versioned: each file's key-value metadata says
//! `redline.schema = settlements/1` or `operations/1`.
//!
//! Settlements are read in batches of [`BATCH`], measured and diffed on every core, and
//! written in row groups of [`super::folder::ROW_GROUP`]; memory stays bounded. The folder is
//! built beside the destination and renamed into place.

use super::folder::{Cell, Staged, Table};
use super::{listed, ExportError, Options};
use crate::analytics::Observation;
use crate::job::{Cancel, Progress, Step};
use crate::model::Settlement;
use crate::patterns::ops::{edit_ops, EditOp, OpKind};
use crate::store::Store;
use std::path::{Path, PathBuf};

/// Settlements measured and diffed per batch.
pub const BATCH: usize = 2000;

pub const SETTLEMENTS_SCHEMA: &str = "message redline_settlement {
  required binary id (STRING);
  required binary agent (STRING);
  required binary intent_type (STRING);
  required binary prompt_version (STRING);
  required int64 created_at (TIMESTAMP(MILLIS,true));
  required double acceptance;
  required boolean acceptance_from_source;
  required int64 edit_cost;
  required double edit_cost_norm;
}";

pub const OPERATIONS_SCHEMA: &str = "message redline_operation {
  required binary settlement_id (STRING);
  required binary agent (STRING);
  required int64 created_at (TIMESTAMP(MILLIS,true));
  required int32 position;
  required binary kind (STRING);
  required binary old_text (STRING);
  required binary new_text (STRING);
  required boolean moved;
}";

/// What was written.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Tables {
    pub settlements: usize,
    pub operations: usize,
    pub folder: PathBuf,
}

/// A settlement's measures (of its texts as written) and its edit operations (of its texts
/// redacted, when asked).
fn measured(s: &Settlement, redact: bool) -> (Observation, Vec<EditOp>) {
    let observation = crate::analytics::observe(s);
    let ops = if redact {
        let mut r = crate::redact::Redactor::new();
        edit_ops(&r.redact(&s.ai_output), &r.redact(&s.final_output))
    } else {
        edit_ops(&s.ai_output, &s.final_output)
    };
    (observation, ops)
}

/// Write the two tables of the settlements `o` selects (agents, intent types, dates) into
/// `folder` (new or empty). `None` when cancelled (nothing is left behind).
pub fn export_tables(
    store: &Store,
    o: &Options,
    folder: &Path,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<Tables>, ExportError> {
    let work = Staged::new(folder, "the tables")?;
    let sp = work.path().join("settlements.parquet");
    let op = work.path().join("operations.parquet");
    let mut settlements = Table::create(&sp, SETTLEMENTS_SCHEMA, Some("settlements/1"))?;
    let mut operations = Table::create(&op, OPERATIONS_SCHEMA, Some("operations/1"))?;
    let mut out = Tables::default();
    let mut read = 0u64;
    let mut batch: Vec<Settlement> = Vec::with_capacity(BATCH);
    let mut failure: Option<ExportError> = None;
    let mut write_batch = |batch: &[Settlement], out: &mut Tables| -> Result<(), ExportError> {
        let measured = crate::parallel::map(batch, |s| measured(s, o.redact));
        for (s, (m, ops)) in batch.iter().zip(measured) {
            let at = s.created_at.timestamp_millis();
            settlements.push(&[
                Cell::Text(s.id.as_str()),
                Cell::Text(s.agent.as_str()),
                Cell::Text(s.intent_type.as_str()),
                Cell::Text(s.prompt_version.as_deref().unwrap_or("")),
                Cell::I64(at),
                Cell::F64(m.acceptance),
                Cell::Bool(m.acceptance_from_source),
                Cell::I64(i64::from(m.edit_cost)),
                Cell::F64(m.edit_cost_norm),
            ])?;
            out.settlements += 1;
            for (i, e) in ops.iter().enumerate() {
                operations.push(&[
                    Cell::Text(s.id.as_str()),
                    Cell::Text(s.agent.as_str()),
                    Cell::I64(at),
                    Cell::I32(i32::try_from(i).unwrap_or(i32::MAX)),
                    Cell::Text(match e.kind {
                        OpKind::Delete => "delete",
                        OpKind::Insert => "insert",
                        OpKind::Replace => "replace",
                    }),
                    Cell::Text(&e.old_text),
                    Cell::Text(&e.new_text),
                    Cell::Bool(e.moved),
                ])?;
                out.operations += 1;
            }
        }
        Ok(())
    };
    store.scan(o.from, o.to, |s| {
        if failure.is_some() || cancel.is_cancelled() {
            return;
        }
        read += 1;
        if !listed(&o.agents, s.agent.as_str()) || !listed(&o.intent_types, s.intent_type.as_str())
        {
            return;
        }
        batch.push(s);
        if batch.len() == BATCH {
            if let Err(e) = write_batch(&batch, &mut out) {
                failure = Some(e);
            }
            batch.clear();
            on_step(Step {
                done: read,
                total: None,
                items: out.settlements as u64,
            });
        }
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    if cancel.is_cancelled() {
        return Ok(None);
    }
    write_batch(&batch, &mut out)?;
    if out.settlements == 0 {
        return Err(ExportError::Empty(
            "no settlement in the chosen agents, intent types and dates".into(),
        ));
    }
    settlements.close()?;
    operations.close()?;
    work.publish()?;
    out.folder = folder.to_owned();
    crate::audit::record(
        store,
        "export",
        format!(
            "exported {} settlements and {} edit operations (Parquet tables) to {}",
            out.settlements,
            out.operations,
            folder.display()
        ),
        serde_json::json!({"format": "parquet", "settlements": out.settlements,
            "operations": out.operations, "path": folder, "redact": o.redact}),
    )?;
    on_step(Step {
        done: read,
        total: Some(read),
        items: out.settlements as u64,
    });
    Ok(Some(out))
}
