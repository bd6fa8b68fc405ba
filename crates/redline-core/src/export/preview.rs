//! The dry run: what an export would write, counted and sampled without writing anything.

use super::*;

/// What an export would write, before writing it: the counts (per agent, left out and why,
/// redactions), the first examples as they would be written, and their token total.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Preview {
    pub report: Report,
    /// The first lines (JSONL) or rows (CSV) of the training file.
    pub first: Vec<String>,
    /// Tokens of all examples (cl100k_base; the cookbook's estimate, as `validate` counts).
    pub tokens: u64,
}

/// Collects the first lines and counts tokens of a stream of JSONL lines, one at a time.
pub(super) struct PreviewSink {
    pub(super) line: Vec<u8>,
    pub(super) first: Vec<String>,
    pub(super) keep: usize,
    pub(super) tokens: u64,
    pub(super) csv: bool,
}

impl Write for PreviewSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            if b == b'\n' {
                let line = String::from_utf8_lossy(&self.line).into_owned();
                if !self.csv {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                        self.tokens += crate::validate::example_tokens(&v) as u64;
                    }
                }
                if self.first.len() < self.keep {
                    self.first.push(line.trim_end().to_owned());
                }
                self.line.clear();
            } else {
                self.line.push(b);
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A dry run of [`export`]: nothing is written. `None` when cancelled.
pub fn preview(
    store: &Store,
    o: &Options,
    keep: usize,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<Preview>, ExportError> {
    // A dataset folder holds the CSV rows' columns: its preview shows those.
    let csv = Options {
        format: Format::Csv,
        ..o.clone()
    };
    let o = if o.format == Format::HfDataset {
        &csv
    } else {
        o
    };
    let mut sink = PreviewSink {
        line: Vec::new(),
        first: Vec::new(),
        keep: keep + usize::from(o.format == Format::Csv),
        tokens: 0,
        csv: o.format == Format::Csv,
    };
    let (from, to) = (o.from, o.to);
    // The validation share does not change what is written, only where: preview it all.
    let o = Options {
        validation_share: 0.0,
        ..with_saved_prompts(store, o)?
    };
    let marks = crate::curation::all(store)?;
    let report = export_to(
        &mut |visit| super::scan_store(store, from, to, visit),
        &o,
        &marks,
        &mut sink,
        None,
        on_step,
        cancel,
    )?;
    Ok(report.map(|report| Preview {
        report,
        first: sink.first,
        tokens: sink.tokens,
    }))
}
