//! Import of settlements from files in the interchange format (JSONL or CSV; see the README).
//!
//! The file is streamed: one line (or CSV record) at a time, in batches of
//! [`ImportOptions::batch_size`] that each commit in one store transaction, so memory stays flat
//! for any file size and a crash or cancel leaves only whole batches behind. Records are upserted
//! by id, so importing the same file twice changes nothing.
//!
//! A bad line never aborts the import: it is reported with its line number and reason, and the
//! good lines are imported. With [`ImportOptions::strict`] the file is first checked in full
//! and nothing is imported if any line is bad.

mod record;

pub use crate::model::parse_timestamp;
pub use record::to_interchange;

use crate::job::{Cancel, Progress, Step};
use crate::model::{Settlement, Source, SourceKind};
use crate::store::{Store, StoreError, UpsertReport};
use record::{Fields, Raw};
use serde::Serialize;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The columns of the interchange format, in their documented order.
pub const COLUMNS: [&str; 12] = [
    "id",
    "agent",
    "intent_type",
    "intent",
    "system_prompt",
    "ai_output",
    "final_output",
    "created_at",
    "acceptance_rate",
    "prompt_version",
    "processing_ms",
    "error",
];

/// Columns a record must have.
pub const REQUIRED: [&str; 5] = ["id", "agent", "ai_output", "final_output", "created_at"];

/// A JSONL line longer than this is reported as bad rather than held in memory.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// Bad lines listed in a report; past this only the count goes on.
pub const MAX_LISTED_BAD: usize = 1000;

/// The file formats import reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Jsonl,
    Csv,
}

impl Format {
    /// Guess the format from the extension (`.jsonl`, `.ndjson`, `.json`, `.csv`), else from the
    /// first non-blank byte of the file (`{` means JSONL).
    pub fn detect(path: &Path) -> Result<Format, ImportError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("jsonl" | "ndjson" | "json") => return Ok(Format::Jsonl),
            Some("csv") => return Ok(Format::Csv),
            _ => {}
        }
        let mut head = [0u8; 512];
        let n = open(path)?
            .read(&mut head)
            .map_err(|source| ImportError::Read {
                path: path.to_owned(),
                source,
            })?;
        let first = head[..n]
            .iter()
            .copied()
            .find(|b| !b.is_ascii_whitespace() && !matches!(b, 0xEF | 0xBB | 0xBF));
        Ok(if first == Some(b'{') {
            Format::Jsonl
        } else {
            Format::Csv
        })
    }
}

#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Import nothing if any line is bad.
    pub strict: bool,
    /// The format; detected from the file when `None`.
    pub format: Option<Format>,
    /// Records per store transaction.
    pub batch_size: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            strict: false,
            format: None,
            batch_size: 2000,
        }
    }
}

/// A line that was not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BadLine {
    pub line: u64,
    pub reason: String,
}

/// Consecutive bad lines with one reason, `first` to `last`: a file whose every record lacks
/// one field says so once, not a thousand times.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BadRun {
    pub first: u64,
    pub last: u64,
    pub reason: String,
}

/// What an import did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportReport {
    pub path: PathBuf,
    pub format: Option<Format>,
    /// Records read (good and bad), not counting blank lines or the CSV header.
    pub records: u64,
    pub written: UpsertReport,
    /// The first [`MAX_LISTED_BAD`] bad lines.
    pub bad: Vec<BadLine>,
    /// The same lines as runs of consecutive lines with one reason.
    pub bad_runs: Vec<BadRun>,
    pub bad_total: u64,
    /// Strict mode found bad lines, so nothing was imported.
    pub rejected: bool,
    /// The import was cancelled; the batches before the cancel were imported.
    pub cancelled: bool,
}

impl ImportReport {
    fn bad_line(&mut self, line: u64, reason: String) {
        self.bad_total += 1;
        if self.bad.len() < MAX_LISTED_BAD {
            match self.bad_runs.last_mut() {
                Some(run) if run.last + 1 == line && run.reason == reason => run.last = line,
                _ => self.bad_runs.push(BadRun {
                    first: line,
                    last: line,
                    reason: reason.clone(),
                }),
            }
            self.bad.push(BadLine { line, reason });
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot open {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a file (a folder, a device or a pipe): choose a JSONL or CSV file of settlements")]
    NotAFile { path: PathBuf },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a settlements CSV: the header lacks the column(s) {missing}")]
    CsvHeader { path: PathBuf, missing: String },
    #[error("{path} changed while it was imported (line {line} was valid when checked and is not now); run the import again")]
    Changed { path: PathBuf, line: u64 },
    #[error("{path}: the CSV record from line {line} is larger than {} MiB (an unclosed quote?); the records before it were imported, none from it on", MAX_LINE_BYTES >> 20)]
    RecordTooLarge { path: PathBuf, line: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Open a file to import: only a regular file (checked before opening, since opening a named
/// pipe waits for a writer and a device never ends).
fn open(path: &Path) -> Result<File, ImportError> {
    let meta = std::fs::metadata(path).map_err(|source| ImportError::Open {
        path: path.to_owned(),
        source,
    })?;
    if !meta.is_file() {
        return Err(ImportError::NotAFile {
            path: path.to_owned(),
        });
    }
    File::open(path).map_err(|source| ImportError::Open {
        path: path.to_owned(),
        source,
    })
}

/// Import a JSONL or CSV file into `store`.
pub fn import_file(
    store: &Store,
    path: &Path,
    options: &ImportOptions,
    progress: Progress<'_>,
    cancel: &Cancel,
) -> Result<ImportReport, ImportError> {
    let format = match options.format {
        Some(f) => f,
        None => Format::detect(path)?,
    };
    let source = Source {
        kind: SourceKind::Import,
        id: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        last_edited: None,
    };
    let mut report = ImportReport {
        path: path.to_owned(),
        format: Some(format),
        ..Default::default()
    };
    if options.strict {
        // First pass: check every line, write nothing.
        let mut check = ImportReport::default();
        let mut sink = |_: &[Settlement]| Ok(UpsertReport::default());
        run(
            path,
            (format, &source, options),
            &mut check,
            &mut sink,
            &mut |_| {},
            cancel,
        )?;
        if check.bad_total > 0 || check.cancelled {
            report.records = check.records;
            report.bad = check.bad;
            report.bad_runs = check.bad_runs;
            report.bad_total = check.bad_total;
            report.rejected = check.bad_total > 0;
            report.cancelled = check.cancelled;
            return Ok(report);
        }
    }
    let mut write = |batch: &[Settlement]| store.upsert_batch(batch);
    run(
        path,
        (format, &source, options),
        &mut report,
        &mut write,
        progress,
        cancel,
    )?;
    if options.strict && report.bad_total > 0 {
        let line = report.bad[0].line;
        return Err(ImportError::Changed {
            path: path.to_owned(),
            line,
        });
    }
    Ok(report)
}

/// Generate sample data straight into `store`, in batches, with progress and cancel.
pub fn load_sample(
    store: &Store,
    spec: &crate::sample::SampleSpec,
    progress: Progress<'_>,
    cancel: &Cancel,
) -> Result<UpsertReport, StoreError> {
    let mut written = UpsertReport::default();
    let batch_size = 2000;
    let mut start = 0;
    while start < spec.count && !cancel.is_cancelled() {
        let end = (start + batch_size).min(spec.count);
        let batch: Vec<Settlement> = (start..end)
            .map(|i| crate::sample::generate_one(spec, i))
            .collect();
        written.add(store.upsert_batch(&batch)?);
        start = end;
        progress(Step {
            done: end as u64,
            total: Some(spec.count as u64),
            items: end as u64,
        });
    }
    Ok(written)
}

/// Write sample data as interchange JSONL, one record at a time.
pub fn write_sample_jsonl(
    spec: &crate::sample::SampleSpec,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    for i in 0..spec.count {
        serde_json::to_writer(
            &mut *out,
            &to_interchange(&crate::sample::generate_one(spec, i)),
        )?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

type Sink<'a> = dyn FnMut(&[Settlement]) -> Result<UpsertReport, StoreError> + 'a;

/// Read `path` record by record, validate, and hand whole batches to `sink` (see
/// [`run_reader`]).
fn run(
    path: &Path,
    how: (Format, &Source, &ImportOptions),
    report: &mut ImportReport,
    sink: &mut Sink<'_>,
    progress: Progress<'_>,
    cancel: &Cancel,
) -> Result<(), ImportError> {
    let file = open(path)?;
    let total = file.metadata().ok().map(|m| m.len());
    let input = BufReader::with_capacity(256 * 1024, file);
    let (format, source, options) = how;
    run_reader(
        path, input, total, format, source, options, report, sink, progress, cancel,
    )
}

/// Parse `data` as `format` with nothing written: the valid settlements and the report (bad
/// lines and all), as an import would have them. The fuzz targets' entry point.
pub fn parse_bytes(
    data: &[u8],
    format: Format,
) -> Result<(Vec<Settlement>, ImportReport), ImportError> {
    let source = Source {
        kind: SourceKind::Import,
        id: "bytes".into(),
        last_edited: None,
    };
    let mut report = ImportReport::default();
    let mut kept = Vec::new();
    let mut sink = |batch: &[Settlement]| {
        kept.extend_from_slice(batch);
        Ok(UpsertReport::default())
    };
    run_reader(
        Path::new("bytes"),
        data,
        Some(data.len() as u64),
        format,
        &source,
        &ImportOptions::default(),
        &mut report,
        &mut sink,
        &mut |_| {},
        &Cancel::new(),
    )?;
    Ok((kept, report))
}

/// [`run`] over any buffered input (`path` names it in messages).
#[allow(clippy::too_many_arguments)]
fn run_reader(
    path: &Path,
    input: impl BufRead,
    total: Option<u64>,
    format: Format,
    source: &Source,
    options: &ImportOptions,
    report: &mut ImportReport,
    sink: &mut Sink<'_>,
    progress: Progress<'_>,
    cancel: &Cancel,
) -> Result<(), ImportError> {
    let mut reader = CountingReader {
        inner: input,
        read: 0,
    };
    let batch_size = options.batch_size.max(1);
    let mut batch: Vec<Settlement> = Vec::with_capacity(batch_size);
    let mut flush = |batch: &mut Vec<Settlement>,
                     report: &mut ImportReport,
                     read: u64|
     -> Result<bool, ImportError> {
        if !batch.is_empty() {
            report.written.add(sink(batch)?);
            batch.clear();
        }
        progress(Step {
            done: read,
            total,
            items: report.records,
        });
        Ok(!cancel.is_cancelled())
    };
    let read_error = |source| ImportError::Read {
        path: path.to_owned(),
        source,
    };
    match format {
        Format::Jsonl => {
            let mut line_no = 0u64;
            let mut buf = Vec::with_capacity(16 * 1024);
            loop {
                buf.clear();
                let n = read_line(&mut reader, &mut buf).map_err(read_error)?;
                if n == LineRead::Eof {
                    break;
                }
                line_no += 1;
                let outcome = match n {
                    LineRead::TooLong => Some(Err(format!(
                        "the line is longer than {} MiB",
                        MAX_LINE_BYTES >> 20
                    ))),
                    _ => parse_json_line(&buf, line_no, source),
                };
                match outcome {
                    None => continue,
                    Some(Ok(s)) => batch.push(s),
                    Some(Err(reason)) => report.bad_line(line_no, reason),
                }
                report.records += 1;
                if batch.len() >= batch_size && !flush(&mut batch, report, reader.read)? {
                    report.cancelled = true;
                    return Ok(());
                }
            }
        }
        Format::Csv => {
            let record_start = std::rc::Rc::new(std::cell::Cell::new(0u64));
            let mut csv = csv::ReaderBuilder::new()
                .flexible(true)
                .has_headers(true)
                .from_reader(RecordCap {
                    inner: &mut reader,
                    read: 0,
                    start: record_start.clone(),
                    cap: MAX_LINE_BYTES as u64,
                });
            let headers = csv
                .headers()
                .map_err(|e| read_error(std::io::Error::other(e)))?
                .clone();
            let columns: HashMap<String, usize> = headers
                .iter()
                .enumerate()
                .map(|(i, h)| (h.trim().trim_start_matches('\u{feff}').to_owned(), i))
                .collect();
            let missing: Vec<&str> = REQUIRED
                .iter()
                .copied()
                .filter(|c| !columns.contains_key(*c))
                .collect();
            if !missing.is_empty() {
                return Err(ImportError::CsvHeader {
                    path: path.to_owned(),
                    missing: missing.join(", "),
                });
            }
            let mut row = csv::StringRecord::new();
            loop {
                let line_no = csv.position().line();
                record_start.set(csv.position().byte());
                match csv.read_record(&mut row) {
                    Ok(false) => break,
                    Ok(true) => {
                        let line_no = row.position().map_or(line_no, |p| p.line());
                        let fields = CsvRow {
                            columns: &columns,
                            row: &row,
                        };
                        match record::to_settlement(&fields, source) {
                            Ok(s) => batch.push(s),
                            Err(reason) => report.bad_line(line_no, reason),
                        }
                    }
                    Err(e) => match e.kind() {
                        csv::ErrorKind::Io(io) if RecordCap::<&[u8]>::tripped(io) => {
                            let read = csv.position().byte();
                            flush(&mut batch, report, read)?;
                            return Err(ImportError::RecordTooLarge {
                                path: path.to_owned(),
                                line: line_no,
                            });
                        }
                        csv::ErrorKind::Io(_) => {
                            return Err(read_error(std::io::Error::other(e.to_string())))
                        }
                        csv::ErrorKind::Utf8 { pos, .. } => report.bad_line(
                            pos.as_ref().map_or(line_no, |p| p.line()),
                            "the line is not valid UTF-8".into(),
                        ),
                        _ => report.bad_line(line_no, e.to_string()),
                    },
                }
                report.records += 1;
                let read = csv.position().byte();
                if batch.len() >= batch_size && !flush(&mut batch, report, read)? {
                    report.cancelled = true;
                    return Ok(());
                }
            }
        }
    }
    let read = reader.read;
    flush(&mut batch, report, read)?;
    Ok(())
}

/// Parse one JSONL line: `None` for a blank line.
fn parse_json_line(
    line: &[u8],
    line_no: u64,
    source: &Source,
) -> Option<Result<Settlement, String>> {
    let mut bytes = line;
    if line_no == 1 {
        bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) if e.is_syntax() || e.is_eof() => {
            let reason = if std::str::from_utf8(bytes).is_err() {
                "the line is not valid UTF-8".to_string()
            } else {
                format!(
                    "invalid JSON at column {}: {}",
                    e.column(),
                    strip_position(&e)
                )
            };
            return Some(Err(reason));
        }
        Err(e) => return Some(Err(format!("invalid JSON: {e}"))),
    };
    Some(match value.as_object() {
        Some(map) => record::to_settlement(map, source),
        None => Err("the line is not a JSON object".into()),
    })
}

/// serde_json's message without its trailing " at line L column C".
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.find(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum LineRead {
    Eof,
    Line,
    TooLong,
}

/// Read one line into `buf`, holding at most [`MAX_LINE_BYTES`] of it in memory.
fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<LineRead> {
    let n = reader
        .by_ref()
        .take(MAX_LINE_BYTES as u64 + 1)
        .read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(LineRead::Eof);
    }
    if buf.len() > MAX_LINE_BYTES && buf.last() != Some(&b'\n') {
        // Skip the rest of the over-long line without keeping it.
        buf.clear();
        loop {
            let chunk = reader.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            match chunk.iter().position(|b| *b == b'\n') {
                Some(i) => {
                    reader.consume(i + 1);
                    break;
                }
                None => {
                    let len = chunk.len();
                    reader.consume(len);
                }
            }
        }
        return Ok(LineRead::TooLong);
    }
    Ok(LineRead::Line)
}

/// A reader that counts the bytes read through it, for progress.
struct CountingReader<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for CountingReader<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amount: usize) {
        self.read += amount as u64;
        self.inner.consume(amount);
    }
}

/// The CSV reader's input, refusing to hand it more than `cap` bytes past the start of the
/// record being read (`start`, set before each record): the `csv` crate grows a record without
/// bound, so an unclosed quote in a large file would otherwise read the whole file into memory.
struct RecordCap<R> {
    inner: R,
    read: u64,
    start: std::rc::Rc<std::cell::Cell<u64>>,
    cap: u64,
}

/// The message of the error a [`RecordCap`] gives.
const RECORD_CAP_TRIPPED: &str = "redline: CSV record over the size cap";

impl<R> RecordCap<R> {
    fn tripped(e: &std::io::Error) -> bool {
        e.kind() == std::io::ErrorKind::Other && e.to_string() == RECORD_CAP_TRIPPED
    }
}

impl<R: Read> Read for RecordCap<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.read.saturating_sub(self.start.get()) > self.cap {
            return Err(std::io::Error::other(RECORD_CAP_TRIPPED));
        }
        let n = self.inner.read(out)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// One CSV record seen through the header's column names.
struct CsvRow<'a> {
    columns: &'a HashMap<String, usize>,
    row: &'a csv::StringRecord,
}

impl Fields for CsvRow<'_> {
    fn field(&self, name: &str) -> Option<Raw<'_>> {
        let i = *self.columns.get(name)?;
        Some(match self.row.get(i) {
            None => Raw::Null,
            Some("") => Raw::Null,
            Some(s) => Raw::Str(s),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_bad_lines_with_one_reason_are_one_run() {
        let mut r = ImportReport::default();
        for (line, reason) in [
            (1, "missing field `created_at`"),
            (2, "missing field `created_at`"),
            (3, "missing field `created_at`"),
            (5, "missing field `created_at`"),
            (6, "not JSON"),
            (7, "missing field `created_at`"),
        ] {
            r.bad_line(line, reason.to_owned());
        }
        let runs: Vec<(u64, u64, &str)> = r
            .bad_runs
            .iter()
            .map(|b| (b.first, b.last, b.reason.as_str()))
            .collect();
        assert_eq!(
            runs,
            vec![
                (1, 3, "missing field `created_at`"),
                (5, 5, "missing field `created_at`"),
                (6, 6, "not JSON"),
                (7, 7, "missing field `created_at`"),
            ]
        );
        assert_eq!((r.bad.len(), r.bad_total), (6, 6));
    }

    #[test]
    fn over_long_lines_are_skipped_without_losing_the_next() {
        let mut data = vec![b'x'; MAX_LINE_BYTES + 10];
        data.push(b'\n');
        data.extend_from_slice(b"next\n");
        let mut r = std::io::Cursor::new(data);
        let mut buf = Vec::new();
        assert_eq!(read_line(&mut r, &mut buf).unwrap(), LineRead::TooLong);
        buf.clear();
        assert_eq!(read_line(&mut r, &mut buf).unwrap(), LineRead::Line);
        assert_eq!(buf, b"next\n");
        buf.clear();
        assert_eq!(read_line(&mut r, &mut buf).unwrap(), LineRead::Eof);
    }

    #[test]
    fn a_csv_record_past_the_cap_stops_the_import_clearly_keeping_what_came_before() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        {
            use std::io::Write;
            let mut f = std::io::BufWriter::new(File::create(&path).unwrap());
            writeln!(f, "id,agent,ai_output,final_output,created_at").unwrap();
            writeln!(f, "a1,A,draft,final,2026-03-01").unwrap();
            // An unclosed quote: everything after it is one record.
            write!(f, "a2,A,\"").unwrap();
            let chunk = vec![b'x'; 1 << 20];
            for _ in 0..(MAX_LINE_BYTES >> 20) + 2 {
                f.write_all(&chunk).unwrap();
            }
            writeln!(f).unwrap();
            writeln!(f, "a3,A,draft,final,2026-03-01").unwrap();
        }
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        let err = import_file(
            &store,
            &path,
            &ImportOptions::default(),
            &mut crate::job::no_progress,
            &Cancel::new(),
        )
        .unwrap_err();
        assert!(
            matches!(err, ImportError::RecordTooLarge { line: 3, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("larger than 64 MiB"), "{err}");
        assert_eq!(store.count().unwrap(), 1, "the record before it is kept");
    }

    #[test]
    fn json_errors_give_the_column() {
        let src = Source {
            kind: SourceKind::Import,
            id: "x".into(),
            last_edited: None,
        };
        let err = parse_json_line(b"{\"id\": }", 3, &src)
            .unwrap()
            .unwrap_err();
        assert!(err.starts_with("invalid JSON at column 8"), "{err}");
        assert!(parse_json_line(b"   \n", 1, &src).is_none());
        assert_eq!(
            parse_json_line(b"[1,2]", 1, &src).unwrap().unwrap_err(),
            "the line is not a JSON object"
        );
        let err = parse_json_line(b"{\"id\": \"\xff\"}", 1, &src)
            .unwrap()
            .unwrap_err();
        assert_eq!(err, "the line is not valid UTF-8");
    }
}
