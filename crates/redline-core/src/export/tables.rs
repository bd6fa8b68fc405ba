//! Settlements and their edit operations as Parquet tables, for engines that outgrow a laptop
//! store (DuckDB, Spark, BigQuery): `settlements.parquet` (one row per settlement, with its
//! measures) and `operations.parquet` (one row per edit operation), in a folder. The schema is
//! documented in docs/scale.md and versioned: each file's key-value metadata says
//! `redline.schema = settlements/1` or `operations/1`.
//!
//! Settlements are read in batches of [`BATCH`], measured and diffed on every core, and
//! written in row groups of [`super::hf::ROW_GROUP`]; memory stays bounded. The folder is
//! built beside the destination and renamed into place.

use super::{ExportError, Options};
use crate::job::{Cancel, Progress, Step};
use crate::model::Settlement;
use crate::patterns::ops::{edit_ops, OpKind};
use crate::store::Store;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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

/// One column's values of the current row group.
enum Column {
    Text(Vec<ByteArray>),
    Int64(Vec<i64>),
    Int32(Vec<i32>),
    Double(Vec<f64>),
    Bool(Vec<bool>),
}

/// A Parquet file written in row groups.
struct Table {
    writer: SerializedFileWriter<std::fs::File>,
    columns: Vec<Column>,
    rows: usize,
}

fn parquet_err(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> ExportError + '_ {
    move |e| ExportError::Write {
        path: path.to_owned(),
        cause: std::io::Error::other(e.to_string()),
    }
}

impl Table {
    fn create(
        path: &Path,
        schema: &str,
        version: &str,
        columns: Vec<Column>,
    ) -> Result<Table, ExportError> {
        let schema = Arc::new(
            parquet::schema::parser::parse_message_type(schema).expect("the schema parses"),
        );
        let props = Arc::new(
            WriterProperties::builder()
                .set_compression(parquet::basic::Compression::SNAPPY)
                .set_created_by(concat!("redline ", env!("CARGO_PKG_VERSION")).to_owned())
                .set_key_value_metadata(Some(vec![parquet::file::metadata::KeyValue::new(
                    "redline.schema".to_owned(),
                    version.to_owned(),
                )]))
                .build(),
        );
        let file = std::fs::File::create(path).map_err(|e| ExportError::Write {
            path: path.to_owned(),
            cause: e,
        })?;
        let writer = SerializedFileWriter::new(file, schema, props).map_err(parquet_err(path))?;
        Ok(Table {
            writer,
            columns,
            rows: 0,
        })
    }

    fn flush(&mut self, path: &Path) -> Result<(), ExportError> {
        if self.rows == 0 {
            return Ok(());
        }
        let err = parquet_err(path);
        let mut group = self.writer.next_row_group().map_err(&err)?;
        let mut i = 0;
        while let Some(mut col) = group.next_column().map_err(&err)? {
            match &mut self.columns[i] {
                Column::Text(v) => col.typed::<ByteArrayType>().write_batch(v, None, None),
                Column::Int64(v) => col.typed::<Int64Type>().write_batch(v, None, None),
                Column::Int32(v) => col.typed::<Int32Type>().write_batch(v, None, None),
                Column::Double(v) => col.typed::<DoubleType>().write_batch(v, None, None),
                Column::Bool(v) => col.typed::<BoolType>().write_batch(v, None, None),
            }
            .map_err(&err)?;
            col.close().map_err(&err)?;
            i += 1;
        }
        group.close().map_err(&err)?;
        for c in &mut self.columns {
            match c {
                Column::Text(v) => v.clear(),
                Column::Int64(v) => v.clear(),
                Column::Int32(v) => v.clear(),
                Column::Double(v) => v.clear(),
                Column::Bool(v) => v.clear(),
            }
        }
        self.rows = 0;
        Ok(())
    }

    fn close(mut self, path: &Path) -> Result<(), ExportError> {
        self.flush(path)?;
        self.writer.close().map_err(parquet_err(path))?;
        Ok(())
    }
}

fn text(c: &mut Column, v: &str) {
    if let Column::Text(x) = c {
        x.push(ByteArray::from(v));
    }
}

/// A settlement's row and its operations' rows, redacted when asked.
struct Rows {
    settlement: Settlement,
    observation: crate::analytics::Observation,
    ops: Vec<crate::patterns::ops::EditOp>,
}

fn rows_of(s: &Settlement, redact: bool) -> Rows {
    let observation = crate::analytics::observe(s);
    let mut s = s.clone();
    if redact {
        let mut r = crate::redact::Redactor::new();
        s.ai_output = r.redact(&s.ai_output);
        s.final_output = r.redact(&s.final_output);
    }
    let ops = edit_ops(&s.ai_output, &s.final_output);
    Rows {
        settlement: s,
        observation,
        ops,
    }
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
    let work = super::hf::Staged::new(folder, "the tables")?;
    let sp = work.path().join("settlements.parquet");
    let op = work.path().join("operations.parquet");
    let mut settlements = Table::create(
        &sp,
        SETTLEMENTS_SCHEMA,
        "settlements/1",
        vec![
            Column::Text(Vec::new()),
            Column::Text(Vec::new()),
            Column::Text(Vec::new()),
            Column::Text(Vec::new()),
            Column::Int64(Vec::new()),
            Column::Double(Vec::new()),
            Column::Bool(Vec::new()),
            Column::Int64(Vec::new()),
            Column::Double(Vec::new()),
        ],
    )?;
    let mut operations = Table::create(
        &op,
        OPERATIONS_SCHEMA,
        "operations/1",
        vec![
            Column::Text(Vec::new()),
            Column::Text(Vec::new()),
            Column::Int64(Vec::new()),
            Column::Int32(Vec::new()),
            Column::Text(Vec::new()),
            Column::Text(Vec::new()),
            Column::Text(Vec::new()),
            Column::Bool(Vec::new()),
        ],
    )?;
    let listed = |list: &[String], v: &str| list.is_empty() || list.iter().any(|x| x == v);
    let mut out = Tables::default();
    let mut read = 0u64;
    let mut batch: Vec<Settlement> = Vec::with_capacity(BATCH);
    let mut failure: Option<ExportError> = None;
    let mut write_batch = |batch: &[Settlement], out: &mut Tables| -> Result<(), ExportError> {
        for r in crate::parallel::map(batch, |s| rows_of(s, o.redact)) {
            let s = &r.settlement;
            let at = s.created_at.timestamp_millis();
            let c = &mut settlements.columns;
            text(&mut c[0], s.id.as_str());
            text(&mut c[1], s.agent.as_str());
            text(&mut c[2], s.intent_type.as_str());
            text(&mut c[3], s.prompt_version.as_deref().unwrap_or(""));
            if let Column::Int64(v) = &mut c[4] {
                v.push(at);
            }
            if let Column::Double(v) = &mut c[5] {
                v.push(r.observation.acceptance);
            }
            if let Column::Bool(v) = &mut c[6] {
                v.push(r.observation.acceptance_from_source);
            }
            if let Column::Int64(v) = &mut c[7] {
                v.push(i64::from(r.observation.edit_cost));
            }
            if let Column::Double(v) = &mut c[8] {
                v.push(r.observation.edit_cost_norm);
            }
            settlements.rows += 1;
            out.settlements += 1;
            for (i, e) in r.ops.iter().enumerate() {
                let c = &mut operations.columns;
                text(&mut c[0], s.id.as_str());
                text(&mut c[1], s.agent.as_str());
                if let Column::Int64(v) = &mut c[2] {
                    v.push(at);
                }
                if let Column::Int32(v) = &mut c[3] {
                    v.push(i32::try_from(i).unwrap_or(i32::MAX));
                }
                text(
                    &mut c[4],
                    match e.kind {
                        OpKind::Delete => "delete",
                        OpKind::Insert => "insert",
                        OpKind::Replace => "replace",
                    },
                );
                text(&mut c[5], &e.old_text);
                text(&mut c[6], &e.new_text);
                if let Column::Bool(v) = &mut c[7] {
                    v.push(e.moved);
                }
                operations.rows += 1;
                out.operations += 1;
                if operations.rows >= super::hf::ROW_GROUP {
                    operations.flush(&op)?;
                }
            }
            if settlements.rows >= super::hf::ROW_GROUP {
                settlements.flush(&sp)?;
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
    settlements.close(&sp)?;
    operations.close(&op)?;
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
