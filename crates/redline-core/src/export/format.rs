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
    /// CSV for analysis: one row per example, both texts.
    Csv,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::OpenAiChat,
        Format::OpenAiDpo,
        Format::Bedrock,
        Format::TrlSft,
        Format::TrlDpo,
        Format::Csv,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::OpenAiChat => "openai-chat",
            Format::OpenAiDpo => "openai-dpo",
            Format::Bedrock => "bedrock",
            Format::TrlSft => "trl-sft",
            Format::TrlDpo => "trl-dpo",
            Format::Csv => "csv",
        }
    }

    pub fn parse(text: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == text.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                format!(
                    "'{text}' is not an export format: use {}",
                    Format::ALL.map(Format::name).join(", ")
                )
            })
    }

    /// Whether examples are preference pairs (the final version over the AI output).
    pub fn is_preference(self) -> bool {
        matches!(self, Format::OpenAiDpo | Format::TrlDpo)
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
struct TrlDpo<'a> {
    prompt: [Msg<'a>; 2],
    chosen: [Msg<'a>; 1],
    rejected: [Msg<'a>; 1],
}

/// Write one example; returns the bytes written.
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
        Format::Csv => return csv_row(e, validation, out),
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

/// A CSV cell, RFC 4180-quoted; a cell a spreadsheet would run as a formula gets a leading '.
fn cell(text: &str) -> String {
    let mut t = text.to_owned();
    if t.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        t.insert(0, '\'');
    }
    if t.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", t.replace('"', "\"\""))
    } else {
        t
    }
}

pub fn csv_header(out: &mut dyn Write) -> io::Result<u64> {
    let line = format!("{}\r\n", CSV_COLUMNS.join(","));
    out.write_all(line.as_bytes())?;
    Ok(line.len() as u64)
}

fn csv_row(e: &Example, validation: bool, out: &mut dyn Write) -> io::Result<u64> {
    let row = [
        cell(&e.id),
        cell(&e.agent),
        cell(&e.intent_type),
        e.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        format!("{:.4}", e.acceptance),
        (if validation { "validation" } else { "train" }).to_owned(),
        cell(&e.system),
        cell(&e.user),
        cell(&e.rejected),
        cell(&e.chosen),
    ]
    .join(",");
    let line = format!("{row}\r\n");
    out.write_all(line.as_bytes())?;
    Ok(line.len() as u64)
}
