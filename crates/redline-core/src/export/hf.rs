//! A Hugging Face dataset folder: `data/train-00000-of-00001.parquet` (and `validation-…` when
//! a validation share is asked for) and a `README.md` dataset card, which
//! `datasets.load_dataset("parquet", data_dir=…)` and the Hub read as they are.
//!
//! The export runs as every other (filters, redaction, de-duplication, the split by id), into
//! CSV files in a temporary folder beside the destination; those are converted to Parquet in
//! row groups of [`super::folder::ROW_GROUP`] rows (memory stays bounded), the card is written, and the folder
//! is renamed into place: it appears whole or not at all.

use super::folder::{Cell, Staged, Table};
use super::{ExportError, Options, Report};
use crate::job::{Cancel, Progress};
use crate::store::Store;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The version of the columns below; it changes when they do.
pub const SCHEMA_VERSION: u32 = 1;

/// The Parquet schema of both splits.
pub const SCHEMA: &str = "message redline_example {
  required binary id (STRING);
  required binary agent (STRING);
  required binary intent_type (STRING);
  required int64 created_at (TIMESTAMP(MILLIS,true));
  required double acceptance;
  required binary system (STRING);
  required binary prompt (STRING);
  required binary completion (STRING);
  required binary rejected (STRING);
}";

/// The columns with their `datasets` feature types and what they hold (for the card).
const FEATURES: [(&str, &str, &str); 9] = [
    (
        "id",
        "string",
        "the settlement's id (its Notion page id, or the import's)",
    ),
    ("agent", "string", "the agent that drafted the output"),
    (
        "intent_type",
        "string",
        "the intent type (strategic, operational, reference, …)",
    ),
    (
        "created_at",
        "timestamp[ms, tz=UTC]",
        "when the settlement was made",
    ),
    (
        "acceptance",
        "float64",
        "the share of the draft the person kept (0–1)",
    ),
    ("system", "string", "the system prompt"),
    ("prompt", "string", "the intent: what the agent was asked"),
    (
        "completion",
        "string",
        "the person's final version (the target; `chosen` for DPO)",
    ),
    (
        "rejected",
        "string",
        "the agent's draft (`rejected` for DPO; `false` for KTO when below the bar)",
    ),
];

/// The licence field's value: an SPDX-style id as the Hub takes it (`other` by default).
fn valid_license(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

/// Markdown table cells and lines from the data: one line, no table or HTML breakout.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Export a dataset folder to `folder` (which must not exist yet, or be empty), its card
/// stating `o.license`. `None` when cancelled (nothing is left behind). The report's `path` is
/// the folder.
pub fn export_dataset(
    store: &Store,
    o: &Options,
    folder: &Path,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<Report>, ExportError> {
    let license = o.license.trim();
    if o.passphrase.is_some() {
        return Err(ExportError::Invalid(
            "a dataset folder is written unencrypted (Parquet): export JSONL with a passphrase instead, or encrypt the folder yourself".into(),
        ));
    }
    if !valid_license(license) {
        return Err(ExportError::Invalid(format!(
            "'{license}' is not a licence id (letters, digits, '-', '.', '_'; e.g. cc-by-4.0, mit, other)"
        )));
    }
    let write_err = |p: &Path| {
        let p = p.to_owned();
        move |e: std::io::Error| ExportError::Write { path: p, cause: e }
    };
    let work = Staged::new(folder, "a dataset")?;
    let csv_path = work.path().join("train.csv");
    let csv_options = Options {
        format: super::Format::Csv,
        ..o.clone()
    };
    let Some(mut report) =
        super::export_unaudited(store, &csv_options, &csv_path, on_step, cancel)?
    else {
        return Ok(None);
    };
    let data = work.path().join("data");
    std::fs::create_dir(&data).map_err(write_err(&data))?;
    let mut splits = vec![("train", report.train)];
    to_parquet(
        &csv_path,
        &data.join("train-00000-of-00001.parquet"),
        cancel,
    )?;
    let valid_csv = super::validation_path(&csv_path);
    if report.validation > 0 {
        to_parquet(
            &valid_csv,
            &data.join("validation-00000-of-00001.parquet"),
            cancel,
        )?;
        splits.push(("validation", report.validation));
    }
    if cancel.is_cancelled() {
        return Ok(None);
    }
    for p in [&csv_path, &valid_csv] {
        if p.exists() {
            std::fs::remove_file(p).map_err(write_err(p))?;
        }
    }
    let card = work.path().join("README.md");
    std::fs::write(&card, dataset_card(&report, o, license, &splits)).map_err(write_err(&card))?;
    work.publish()?;
    report.format = "hf-dataset".into();
    report.path = Some(folder.to_owned());
    report.validation_path = None;
    report.bytes = dir_bytes(folder);
    crate::audit::record(
        store,
        "export",
        format!(
            "exported {} examples (Hugging Face dataset, Parquet) to {}",
            report.written,
            folder.display()
        ),
        serde_json::json!({
            "format": report.format,
            "written": report.written,
            "train": report.train,
            "validation": report.validation,
            "path": folder,
            "license": license,
            "filters": {
                "min_acceptance": o.min_acceptance,
                "agents": o.agents,
                "intent_types": o.intent_types,
                "from": o.from,
                "to": o.to,
                "redact": o.redact,
                "dedupe": o.dedupe,
            },
            "redactions": report.redactions,
        }),
    )?;
    Ok(Some(report))
}

fn dir_bytes(folder: &Path) -> u64 {
    let mut total = 0;
    let mut stack: Vec<PathBuf> = vec![folder.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => stack.push(e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

/// Convert one of the export's CSV files (`format::CSV_COLUMNS`) to Parquet ([`SCHEMA`]).
fn to_parquet(csv_path: &Path, out: &Path, cancel: &Cancel) -> Result<(), ExportError> {
    let bad = |what: String| ExportError::Invalid(format!("the export's own CSV: {what}"));
    let mut table = Table::create(out, SCHEMA, None)?;
    let mut reader = csv::Reader::from_path(csv_path).map_err(|e| bad(e.to_string()))?;
    for record in reader.records() {
        if cancel.is_cancelled() {
            return Ok(());
        }
        let r = record.map_err(|e| bad(e.to_string()))?;
        // id, agent, intent_type, created_at, acceptance, split, system, intent, ai_output,
        // final_output
        let field = |i: usize| r.get(i).unwrap_or("");
        let at = chrono::DateTime::parse_from_rfc3339(field(3))
            .map_err(|e| bad(format!("created_at '{}': {e}", field(3))))?;
        let acceptance: f64 = field(4)
            .parse()
            .map_err(|_| bad(format!("acceptance '{}'", field(4))))?;
        table.push(&[
            Cell::Text(field(0)),
            Cell::Text(field(1)),
            Cell::Text(field(2)),
            Cell::I64(at.timestamp_millis()),
            Cell::F64(acceptance),
            Cell::Text(field(6)),
            Cell::Text(field(7)),
            Cell::Text(field(9)),
            Cell::Text(field(8)),
        ])?;
    }
    table.close()
}

/// The `README.md` dataset card: the Hub's YAML header (licence, configs, features, splits),
/// then what it holds, how it was made and how to load it.
fn dataset_card(r: &Report, o: &Options, license: &str, splits: &[(&str, usize)]) -> String {
    let mut c = String::new();
    let _ = writeln!(
        c,
        "---\nlicense: {license}\nconfigs:\n- config_name: default\n  data_files:"
    );
    for (name, _) in splits {
        let _ = writeln!(c, "  - split: {name}\n    path: data/{name}-*");
    }
    let _ = writeln!(c, "dataset_info:\n  features:");
    for (name, dtype, _) in FEATURES {
        let _ = writeln!(c, "  - name: {name}\n    dtype: {dtype}");
    }
    let _ = writeln!(c, "  splits:");
    for (name, n) in splits {
        let _ = writeln!(c, "  - name: {name}\n    num_examples: {n}");
    }
    let _ = writeln!(c, "tags:\n- redline\n- human-edits\n---\n");
    let _ = writeln!(
        c,
        "# Human-edited agent outputs\n\nExported by Redline {} on {} (columns version {SCHEMA_VERSION}): {} examples from {} settlements read — {}.\n",
        env!("CARGO_PKG_VERSION"),
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        r.written,
        r.read,
        splits
            .iter()
            .map(|(name, n)| format!("{n} in {name}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(c, "## Columns\n\n| column | type | holds |\n|---|---|---|");
    for (name, dtype, what) in FEATURES {
        let _ = writeln!(c, "| `{name}` | {dtype} | {what} |");
    }
    let _ = writeln!(c, "\n## Per agent\n\n| agent | examples |\n|---|---:|");
    for (agent, n) in &r.per_agent {
        let _ = writeln!(c, "| {} | {n} |", cell(agent));
    }
    let _ = writeln!(
        c,
        "\n## How it was made\n\n- Settlements with an acceptance of at least {:.0}%{}{}.\n- Left out: {}.",
        o.min_acceptance * 100.0,
        if o.agents.is_empty() {
            String::new()
        } else {
            format!(", agents {}", cell(&o.agents.join(", ")))
        },
        if o.intent_types.is_empty() {
            String::new()
        } else {
            format!(", intent types {}", cell(&o.intent_types.join(", ")))
        },
        cell(&super::describe_skips(r))
    );
    let redactions = if !o.redact {
        "off: the texts are as the people wrote them".to_string()
    } else if r.redactions.is_empty() {
        "on; nothing was found".to_string()
    } else {
        format!(
            "on; replaced with placeholders: {}",
            r.redactions
                .iter()
                .map(|(k, n)| format!("{n} {}", k.placeholder().to_lowercase()))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let _ = writeln!(c, "- Redaction of personal data and secrets: {redactions}.");
    let _ = writeln!(
        c,
        "- Duplicates and near duplicates: {}.\n- The validation split holds the settlements whose id hashes into the first {:.0}% (the same every export).\n",
        if o.dedupe { "removed" } else { "kept" },
        o.validation_share * 100.0
    );
    let _ = writeln!(
        c,
        "## Use\n\n```python\nfrom datasets import load_dataset\nds = load_dataset(\"parquet\", data_dir=\"PATH/data\")  # or the folder pushed to the Hub\n```\n\n- SFT (TRL, prompt-completion): `prompt`, `completion` (`system` as the system message).\n- DPO: `ds.rename_column(\"completion\", \"chosen\")` gives `prompt`, `chosen`, `rejected`.\n- KTO: one row per `completion` with `label=True`, and one per `rejected` with `label=False` where `acceptance` is below your bar.\n\nLicence: `{license}` (set by whoever exported it)."
    );
    c
}
