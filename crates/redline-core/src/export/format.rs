//! The export formats: one JSON object per line (or CSV rows), built with serde_json so that
//! every string is escaped correctly.

use super::Example;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// OpenAI chat fine-tuning (supervised): `{"messages": [system, user, assistant]}`.
    OpenAiChat,
    /// OpenAI preference fine-tuning (DPO): `input`, `preferred_output`, `non_preferred_output`.
    OpenAiDpo,
    /// Amazon Bedrock, Claude: `{"system": …, "messages": [user, assistant]}`.
    Bedrock,
    /// Hugging Face TRL conversational SFT: `{"messages": […]}`.
    TrlSft,
    /// Hugging Face TRL conversational preference: `prompt`, `chosen`, `rejected`.
    TrlDpo,
    /// Hugging Face TRL unpaired preference (KTO): `prompt`, `completion`, `label` — the final
    /// version labelled `true`, and a draft below the export's acceptance bar `false`.
    TrlKto,
    /// Amazon Nova on Bedrock (`bedrock-conversation-2024`): `schemaVersion`, `system` and
    /// `messages` with content blocks.
    Nova,
    /// CSV for analysis: one row per example, both texts.
    Csv,
    /// A Hugging Face dataset folder (Parquet splits and a dataset card; [`super::hf`]). Not
    /// in [`Format::ALL`], the formats of one file of lines.
    HfDataset,
}

impl Format {
    pub const ALL: [Format; 8] = [
        Format::OpenAiChat,
        Format::OpenAiDpo,
        Format::Bedrock,
        Format::Nova,
        Format::TrlSft,
        Format::TrlDpo,
        Format::TrlKto,
        Format::Csv,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::OpenAiChat => "openai-chat",
            Format::OpenAiDpo => "openai-dpo",
            Format::Bedrock => "bedrock",
            Format::TrlSft => "trl-sft",
            Format::TrlDpo => "trl-dpo",
            Format::TrlKto => "trl-kto",
            Format::Nova => "nova",
            Format::Csv => "csv",
            Format::HfDataset => "hf-dataset",
        }
    }

    pub fn parse(text: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .chain([Format::HfDataset])
            .find(|f| f.name() == text.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                format!(
                    "'{text}' is not an export format: use {} or hf-dataset (a Hugging Face dataset folder)",
                    Format::ALL.map(Format::name).join(", ")
                )
            })
    }

    /// Whether examples are preference pairs (the final version over the AI output).
    pub fn is_preference(self) -> bool {
        matches!(self, Format::OpenAiDpo | Format::TrlDpo)
    }

    /// Whether the AI output is written too (as the rejected side, a `false` example, or a
    /// column).
    pub fn uses_ai_output(self) -> bool {
        self.is_preference() || matches!(self, Format::TrlKto | Format::Csv | Format::HfDataset)
    }

    pub fn extension(self) -> &'static str {
        if self == Format::Csv {
            "csv"
        } else {
            "jsonl"
        }
    }
}

#[derive(Serialize)]
struct Msg<'a> {
    role: &'static str,
    content: &'a str,
}

fn msg<'a>(role: &'static str, content: &'a str) -> Msg<'a> {
    Msg { role, content }
}

#[derive(Serialize)]
struct Chat<'a> {
    messages: [Msg<'a>; 3],
}

#[derive(Serialize)]
struct DpoInput<'a> {
    messages: [Msg<'a>; 2],
}

#[derive(Serialize)]
struct OpenAiDpo<'a> {
    input: DpoInput<'a>,
    preferred_output: [Msg<'a>; 1],
    non_preferred_output: [Msg<'a>; 1],
}

#[derive(Serialize)]
struct Bedrock<'a> {
    system: &'a str,
    messages: [Msg<'a>; 2],
}

#[derive(Serialize)]
struct Kto<'a> {
    prompt: [Msg<'a>; 2],
    completion: [Msg<'a>; 1],
    label: bool,
}

/// A content block of Amazon Nova's conversation schema.
#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
struct NovaMsg<'a> {
    role: &'static str,
    content: [Text<'a>; 1],
}

#[derive(Serialize)]
struct Nova<'a> {
    #[serde(rename = "schemaVersion")]
    schema_version: &'static str,
    system: [Text<'a>; 1],
    messages: [NovaMsg<'a>; 2],
}

/// The `schemaVersion` Amazon Nova's customisation documents.
pub const NOVA_SCHEMA: &str = "bedrock-conversation-2024";

#[derive(Serialize)]
struct TrlDpo<'a> {
    prompt: [Msg<'a>; 2],
    chosen: [Msg<'a>; 1],
    rejected: [Msg<'a>; 1],
}

/// Write one example (with [`Format::TrlKto`], a second line for a draft below the bar);
/// returns the bytes written.
pub fn write(
    format: Format,
    e: &Example,
    validation: bool,
    out: &mut dyn Write,
) -> io::Result<u64> {
    let line = match format {
        Format::OpenAiChat | Format::TrlSft => serde_json::to_vec(&Chat {
            messages: [
                msg("system", &e.system),
                msg("user", &e.user),
                msg("assistant", &e.chosen),
            ],
        }),
        Format::OpenAiDpo => serde_json::to_vec(&OpenAiDpo {
            input: DpoInput {
                messages: [msg("system", &e.system), msg("user", &e.user)],
            },
            preferred_output: [msg("assistant", &e.chosen)],
            non_preferred_output: [msg("assistant", &e.rejected)],
        }),
        Format::Bedrock => serde_json::to_vec(&Bedrock {
            system: &e.system,
            messages: [msg("user", &e.user), msg("assistant", &e.chosen)],
        }),
        Format::TrlDpo => serde_json::to_vec(&TrlDpo {
            prompt: [msg("system", &e.system), msg("user", &e.user)],
            chosen: [msg("assistant", &e.chosen)],
            rejected: [msg("assistant", &e.rejected)],
        }),
        Format::TrlKto => {
            let line = |completion: &str, label: bool| {
                serde_json::to_vec(&Kto {
                    prompt: [msg("system", &e.system), msg("user", &e.user)],
                    completion: [msg("assistant", completion)],
                    label,
                })
            };
            let mut lines = line(&e.chosen, true).map_err(io::Error::other)?;
            lines.push(b'\n');
            if e.draft_below_bar && e.rejected != e.chosen {
                lines.extend(line(&e.rejected, false).map_err(io::Error::other)?);
                lines.push(b'\n');
            }
            out.write_all(&lines)?;
            return Ok(lines.len() as u64);
        }
        Format::Nova => serde_json::to_vec(&Nova {
            schema_version: NOVA_SCHEMA,
            system: [Text { text: &e.system }],
            messages: [
                NovaMsg {
                    role: "user",
                    content: [Text { text: &e.user }],
                },
                NovaMsg {
                    role: "assistant",
                    content: [Text { text: &e.chosen }],
                },
            ],
        }),
        // A dataset folder is made from the CSV rows (see `hf`).
        Format::Csv | Format::HfDataset => return csv_row(e, validation, out),
    };
    let mut line = line.map_err(io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line)?;
    Ok(line.len() as u64)
}

const CSV_COLUMNS: [&str; 10] = [
    "id",
    "agent",
    "intent_type",
    "created_at",
    "acceptance",
    "split",
    "system",
    "intent",
    "ai_output",
    "final_output",
];

/// One CSV record (RFC 4180, CRLF), by the `csv` crate; the bytes written.
fn csv_record(fields: &[&str], out: &mut dyn Write) -> io::Result<u64> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(fields).map_err(io::Error::other)?;
    let bytes = w
        .into_inner()
        .map_err(|e| io::Error::other(e.to_string()))?;
    out.write_all(&bytes)?;
    Ok(bytes.len() as u64)
}

pub fn csv_header(out: &mut dyn Write) -> io::Result<u64> {
    csv_record(&CSV_COLUMNS, out)
}

/// A training example as a CSV row. Its texts are training data, written exactly: no
/// spreadsheet formula guard (a bullet list starting with "-" stays as it is); the CSVs meant
/// for spreadsheets are the app's tables (ui/charts.js `csv`), which have one.
fn csv_row(e: &Example, validation: bool, out: &mut dyn Write) -> io::Result<u64> {
    let at = e
        .created_at
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let acceptance = format!("{:.4}", e.acceptance);
    csv_record(
        &[
            &e.id,
            &e.agent,
            &e.intent_type,
            &at,
            &acceptance,
            if validation { "validation" } else { "train" },
            &e.system,
            &e.user,
            &e.rejected,
            &e.chosen,
        ],
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_csv_keeps_the_text_exactly() {
        let e = Example {
            id: "s,1".into(),
            agent: "A".into(),
            intent_type: "ops".into(),
            created_at: chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap(),
            acceptance: 0.5,
            system: "=SUM(A1) is no formula here".into(),
            user: "Say \"hi\"\nthen stop".into(),
            chosen: "- first point\n- second point".into(),
            rejected: "@mention +1".into(),
            draft_below_bar: false,
        };
        let mut out = Vec::new();
        let n = csv_header(&mut out).unwrap() + csv_row(&e, true, &mut out).unwrap();
        assert_eq!(n as usize, out.len());
        let mut r = csv::Reader::from_reader(out.as_slice());
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(&row[0], "s,1");
        assert_eq!(&row[5], "validation");
        assert_eq!(&row[6], e.system);
        assert_eq!(&row[7], e.user);
        assert_eq!(&row[8], e.rejected);
        assert_eq!(&row[9], e.chosen);
    }
}
