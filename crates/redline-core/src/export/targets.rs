//! Where each export format goes, and how those services stand: one table the project keeps
//! up to date (the export view and `redline export --targets` show it as it is). Each row says
//! when it was checked and where.

use serde::Serialize;

/// How a fine-tuning service stands for someone starting now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Takes new fine-tuning jobs from new users.
    Open,
    /// Being wound down: existing users only, or an end date announced.
    Closing,
    /// The model or service that took this format has reached its end of life.
    Ended,
}

impl Standing {
    pub fn name(self) -> &'static str {
        match self {
            Standing::Open => "open",
            Standing::Closing => "closing",
            Standing::Ended => "ended",
        }
    }
}

/// One service and the export formats it takes.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Target {
    pub service: &'static str,
    /// [`super::Format::name`]s.
    pub formats: &'static [&'static str],
    pub standing: Standing,
    /// One sentence: what holds, with its dates.
    pub detail: &'static str,
    /// When the row was last checked (YYYY-MM-DD).
    pub checked: &'static str,
    /// Where it was checked.
    pub source: &'static str,
}

/// The table. Update a row (its `checked` date too) when a provider's page changes.
pub const TARGETS: &[Target] = &[
    Target {
        service: "OpenAI fine-tuning",
        formats: &["openai-chat", "openai-dpo"],
        standing: Standing::Closing,
        detail: "No new users since 2026-05-07; organisations inactive since then lost access on 2026-07-02; no new fine-tuning jobs from 2027-01-06 (as reported).",
        checked: "2026-12-01",
        source: "https://platform.openai.com/docs/deprecations",
    },
    Target {
        service: "Amazon Bedrock, Claude",
        formats: &["bedrock"],
        standing: Standing::Ended,
        detail: "Claude 3 Haiku, the only Claude model Bedrock fine-tunes, reached end of life on 2026-09-10 in most regions.",
        checked: "2026-12-01",
        source: "https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html",
    },
    Target {
        service: "Amazon Bedrock, Nova",
        formats: &["nova"],
        standing: Standing::Open,
        detail: "Nova models are customised on Bedrock from bedrock-conversation-2024 JSONL (user first, assistant last, alternating; some words are reserved).",
        checked: "2026-12-01",
        source: "https://docs.aws.amazon.com/nova/latest/userguide/fine-tune-prepare-data-understanding.html",
    },
    Target {
        service: "Hugging Face TRL",
        formats: &["trl-sft", "trl-dpo", "trl-kto"],
        standing: Standing::Open,
        detail: "TRL 1.0 (2026): SFT, DPO and the KTO trainer read these conversational formats; training runs on your own hardware.",
        checked: "2026-12-01",
        source: "https://huggingface.co/docs/trl/dataset_formats",
    },
    Target {
        service: "Hugging Face datasets and Hub",
        formats: &["hf-dataset"],
        standing: Standing::Open,
        detail: "A folder of Parquet splits with a dataset card loads with datasets.load_dataset(\"parquet\", data_dir=…) and pushes to the Hub as it is; TRL trains from it.",
        checked: "2026-12-01",
        source: "https://huggingface.co/docs/datasets/loading",
    },
    Target {
        service: "Together AI",
        formats: &["openai-chat", "openai-dpo"],
        standing: Standing::Open,
        detail: "Takes the OpenAI chat (`messages`) and preference (`input`, `preferred_output`, `non_preferred_output`) shapes as they are; files up to 100 GB.",
        checked: "2026-12-01",
        source: "https://docs.together.ai/docs/fine-tuning/preference-tuning",
    },
    Target {
        service: "Fireworks AI",
        formats: &["openai-chat", "openai-dpo"],
        standing: Standing::Open,
        detail: "Takes the OpenAI chat and DPO shapes as they are; a dataset holds 3 to 3,000,000 examples.",
        checked: "2026-12-01",
        source: "https://docs.fireworks.ai/fine-tuning/fine-tuning-models",
    },
];

/// The rows naming a format.
pub fn for_format(format: &str) -> impl Iterator<Item = &'static Target> + '_ {
    TARGETS.iter().filter(move |t| t.formats.contains(&format))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::Format;

    #[test]
    fn every_row_names_real_formats_and_a_date() {
        for t in TARGETS {
            assert!(!t.formats.is_empty(), "{}", t.service);
            for f in t.formats {
                assert!(Format::parse(f).is_ok(), "{}: {f}", t.service);
            }
            assert!(
                chrono::NaiveDate::parse_from_str(t.checked, "%Y-%m-%d").is_ok(),
                "{}",
                t.service
            );
            assert!(t.source.starts_with("https://"), "{}", t.service);
        }
        // Every training format has somewhere to go.
        for f in Format::ALL.into_iter().filter(|f| *f != Format::Csv) {
            assert!(for_format(f.name()).next().is_some(), "{f:?}");
        }
    }
}
