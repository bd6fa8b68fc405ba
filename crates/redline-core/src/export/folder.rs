//! What the folder exports — the dataset folder ([`super::hf`]) and the analysis tables
//! ([`super::tables`]) — share: a folder built beside its destination and moved into place
//! whole ([`Staged`]), and Parquet files written row by row in row groups of [`ROW_GROUP`]
//! rows, their column buffers made from their schema ([`Table`]).

use super::ExportError;
use parquet::basic::Type as Physical;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows per row group.
pub const ROW_GROUP: usize = 10_000;

/// A folder export built in a temporary folder beside its destination, then moved into place
/// whole ([`Staged::publish`]); dropped unpublished (failed or cancelled), it leaves nothing.
pub(super) struct Staged<'a> {
    work: tempfile::TempDir,
    folder: &'a Path,
}

impl<'a> Staged<'a> {
    /// Stage an export to `folder`, which must be new or empty (`what` names the export in the
    /// refusal: "a dataset", "the tables").
    pub(super) fn new(folder: &'a Path, what: &str) -> Result<Staged<'a>, ExportError> {
        let io = |p: &Path| {
            let p = p.to_owned();
            move |e: std::io::Error| ExportError::Write { path: p, cause: e }
        };
        if folder.exists()
            && std::fs::read_dir(folder)
                .map_err(io(folder))?
                .next()
                .is_some()
        {
            return Err(ExportError::Invalid(format!(
                "{} is not empty: {what} goes into a new or empty folder",
                folder.display()
            )));
        }
        let parent = folder
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let work = tempfile::Builder::new()
            .prefix(".redline-export-")
            .tempdir_in(parent)
            .map_err(io(parent))?;
        Ok(Staged { work, folder })
    }

    /// The folder being built.
    pub(super) fn path(&self) -> &Path {
        self.work.path()
    }

    /// Move the built folder into place (an empty destination folder is replaced by it).
    pub(super) fn publish(self) -> Result<(), ExportError> {
        let fail = |e: std::io::Error| ExportError::Write {
            path: self.folder.to_owned(),
            cause: e,
        };
        if self.folder.exists() {
            std::fs::remove_dir(self.folder).map_err(fail)?;
        }
        let done = self.work.keep();
        std::fs::rename(&done, self.folder).map_err(|e| {
            let _ = std::fs::remove_dir_all(&done);
            fail(e)
        })
    }
}

/// One value of a row, in the schema's column order.
pub(super) enum Cell<'a> {
    Text(&'a str),
    I64(i64),
    I32(i32),
    F64(f64),
    Bool(bool),
}

/// One column's values of the current row group.
enum Column {
    Text(Vec<ByteArray>),
    I64(Vec<i64>),
    I32(Vec<i32>),
    F64(Vec<f64>),
    Bool(Vec<bool>),
}

impl Column {
    fn of(physical: Physical) -> Column {
        match physical {
            Physical::BYTE_ARRAY => Column::Text(Vec::new()),
            Physical::INT64 => Column::I64(Vec::new()),
            Physical::INT32 => Column::I32(Vec::new()),
            Physical::DOUBLE => Column::F64(Vec::new()),
            Physical::BOOLEAN => Column::Bool(Vec::new()),
            other => unreachable!("no column of type {other} is written"),
        }
    }

    fn push(&mut self, cell: &Cell<'_>) {
        match (self, cell) {
            (Column::Text(v), Cell::Text(x)) => v.push(ByteArray::from(*x)),
            (Column::I64(v), Cell::I64(x)) => v.push(*x),
            (Column::I32(v), Cell::I32(x)) => v.push(*x),
            (Column::F64(v), Cell::F64(x)) => v.push(*x),
            (Column::Bool(v), Cell::Bool(x)) => v.push(*x),
            _ => unreachable!("a row's cells follow its schema"),
        }
    }

    fn clear(&mut self) {
        match self {
            Column::Text(v) => v.clear(),
            Column::I64(v) => v.clear(),
            Column::I32(v) => v.clear(),
            Column::F64(v) => v.clear(),
            Column::Bool(v) => v.clear(),
        }
    }
}

/// A Parquet file being written (Snappy; `redline.schema` in its key-value metadata when a
/// version is given).
pub(super) struct Table {
    path: PathBuf,
    writer: SerializedFileWriter<std::fs::File>,
    columns: Vec<Column>,
    rows: usize,
}

impl Table {
    pub(super) fn create(
        path: &Path,
        schema: &str,
        version: Option<&str>,
    ) -> Result<Table, ExportError> {
        let schema = Arc::new(
            parquet::schema::parser::parse_message_type(schema).expect("the schema parses"),
        );
        let columns = schema
            .get_fields()
            .iter()
            .map(|f| Column::of(f.get_physical_type()))
            .collect();
        let props = Arc::new(
            WriterProperties::builder()
                .set_compression(parquet::basic::Compression::SNAPPY)
                .set_created_by(concat!("redline ", env!("CARGO_PKG_VERSION")).to_owned())
                .set_key_value_metadata(version.map(|v| {
                    vec![parquet::file::metadata::KeyValue::new(
                        "redline.schema".to_owned(),
                        v.to_owned(),
                    )]
                }))
                .build(),
        );
        let file = std::fs::File::create(path).map_err(|e| ExportError::Write {
            path: path.to_owned(),
            cause: e,
        })?;
        let writer = SerializedFileWriter::new(file, schema, props).map_err(parquet_err(path))?;
        Ok(Table {
            path: path.to_owned(),
            writer,
            columns,
            rows: 0,
        })
    }

    /// Add a row (its cells in the schema's order); a full row group is written out.
    pub(super) fn push(&mut self, row: &[Cell<'_>]) -> Result<(), ExportError> {
        assert_eq!(
            row.len(),
            self.columns.len(),
            "a row's cells follow its schema"
        );
        for (column, cell) in self.columns.iter_mut().zip(row) {
            column.push(cell);
        }
        self.rows += 1;
        if self.rows == ROW_GROUP {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ExportError> {
        if self.rows == 0 {
            return Ok(());
        }
        let err = parquet_err(&self.path);
        let mut group = self.writer.next_row_group().map_err(&err)?;
        let mut i = 0;
        while let Some(mut col) = group.next_column().map_err(&err)? {
            match &self.columns[i] {
                Column::Text(v) => col.typed::<ByteArrayType>().write_batch(v, None, None),
                Column::I64(v) => col.typed::<Int64Type>().write_batch(v, None, None),
                Column::I32(v) => col.typed::<Int32Type>().write_batch(v, None, None),
                Column::F64(v) => col.typed::<DoubleType>().write_batch(v, None, None),
                Column::Bool(v) => col.typed::<BoolType>().write_batch(v, None, None),
            }
            .map_err(&err)?;
            col.close().map_err(&err)?;
            i += 1;
        }
        group.close().map_err(&err)?;
        self.columns.iter_mut().for_each(Column::clear);
        self.rows = 0;
        Ok(())
    }

    /// Write the last row group and the footer.
    pub(super) fn close(mut self) -> Result<(), ExportError> {
        self.flush()?;
        let err = parquet_err(&self.path);
        self.writer.close().map_err(err)?;
        Ok(())
    }
}

fn parquet_err(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> ExportError + '_ {
    move |e| ExportError::Write {
        path: path.to_owned(),
        cause: std::io::Error::other(e.to_string()),
    }
}
