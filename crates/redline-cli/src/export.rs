//! `redline export`, `targets` and `validate`: fine-tuning data out, and checked.

use crate::{open_store, print};
use anyhow::Result;
use redline_core::analytics;
use redline_core::job::Cancel;
use redline_core::store::Filter;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(crate) struct ExportArgs {
    /// openai-chat, openai-dpo, bedrock, nova, trl-sft, trl-dpo, trl-kto, csv,
    /// hf-dataset (a Hugging Face dataset folder: Parquet splits and a dataset card; -o
    /// names the folder), or parquet (every selected settlement with its measures, and
    /// its edit operations, as two Parquet tables in the folder -o; docs/scale.md). Where
    /// each goes: `redline targets`. trl-kto writes each final as `true` and, for a
    /// settlement below the minimum acceptance, its draft as `false`.
    #[arg(long, default_value = "openai-chat")]
    pub(crate) format: String,
    /// hf-dataset: the licence id written in the dataset card (e.g. cc-by-4.0).
    #[arg(long, default_value = "other")]
    pub(crate) license: String,
    /// Only settlements with at least this acceptance (0..1; default: the saved acceptance
    /// threshold, what counts as accepted everywhere).
    #[arg(long)]
    pub(crate) min_acceptance: Option<f64>,
    /// Only these agents (repeat the option for several).
    #[arg(long)]
    pub(crate) agent: Vec<String>,
    #[arg(long)]
    pub(crate) intent_type: Vec<String>,
    /// Only these prompt versions / experiment variants.
    #[arg(long)]
    pub(crate) prompt_version: Vec<String>,
    /// First day (YYYY-MM-DD), included.
    #[arg(long)]
    pub(crate) from: Option<String>,
    /// Last day (YYYY-MM-DD), included.
    #[arg(long)]
    pub(crate) to: Option<String>,
    /// Keep settlements flagged as errors.
    #[arg(long)]
    pub(crate) include_errors: bool,
    /// Leave out outputs accepted without edits.
    #[arg(long)]
    pub(crate) only_edited: bool,
    /// Only settlements marked gold (`redline mark --gold`).
    #[arg(long)]
    pub(crate) only_gold: bool,
    /// Write personal data as it is (redaction is on by default).
    #[arg(long)]
    pub(crate) no_redact: bool,
    /// Keep duplicates and near duplicates.
    #[arg(long)]
    pub(crate) no_dedupe: bool,
    /// Encrypt the files with a passphrase (age format; decrypt with `age -d`), read from
    /// the REDLINE_EXPORT_PASSPHRASE environment variable.
    #[arg(long)]
    pub(crate) encrypt: bool,
    /// Share of examples for a validation file beside the output (e.g. 0.1).
    #[arg(long, default_value_t = 0.0)]
    pub(crate) validation_share: f64,
    #[arg(short, long)]
    pub(crate) out: PathBuf,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(clap::Args)]
pub(crate) struct TargetsArgs {
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(clap::Args)]
pub(crate) struct ValidateArgs {
    pub(crate) file: PathBuf,
    /// The target model's context window, in tokens.
    #[arg(long, default_value_t = 4096)]
    pub(crate) context_limit: usize,
    #[arg(long)]
    pub(crate) json: bool,
}

/// `redline export`.
pub(crate) fn run_export(db: Option<PathBuf>, args: ExportArgs) -> Result<ExitCode> {
    let ExportArgs {
        format,
        license,
        min_acceptance,
        agent,
        intent_type,
        prompt_version,
        from,
        to,
        include_errors,
        only_edited,
        only_gold,
        no_redact,
        no_dedupe,
        encrypt,
        validation_share,
        out,
        json,
    } = args;
    use redline_core::export;
    let day = |d: Option<String>, parse: fn(&str) -> Result<_, String>| {
        d.map(|d| parse(&d)).transpose().map_err(anyhow::Error::msg)
    };
    let store = open_store(db)?;
    let min_acceptance = match min_acceptance {
        Some(m) => m,
        None => analytics::threshold(&store)?,
    };
    let tables = format.trim() == "parquet";
    let options = export::Options {
        format: if tables {
            export::Format::Csv
        } else {
            export::Format::parse(&format)
                .map_err(|m| anyhow::anyhow!("{m}, or parquet (tables for analysis)"))?
        },
        license,
        min_acceptance,
        agents: agent,
        intent_types: intent_type,
        prompt_versions: prompt_version,
        from: day(from, Filter::day_start)?,
        to: day(to, Filter::day_end)?,
        exclude_errors: !include_errors,
        only_edited,
        only_gold,
        redact: !no_redact,
        dedupe: !no_dedupe,
        validation_share,
        passphrase: if encrypt {
            let p = std::env::var("REDLINE_EXPORT_PASSPHRASE").map_err(|_| {
                anyhow::anyhow!(
                    "--encrypt reads the passphrase from REDLINE_EXPORT_PASSPHRASE, which is not set"
                )
            })?;
            Some(redline_core::secret::SecretString::from(p))
        } else {
            None
        },
        ..Default::default()
    };
    let cancel = Cancel::new();
    let c = cancel.clone();
    let _ = ctrlc::set_handler(move || c.cancel());
    if tables {
        return match export::tables::export_tables(&store, &options, &out, &mut |_| {}, &cancel)? {
            None => {
                tell!("cancelled: nothing was written");
                Ok(ExitCode::from(1))
            }
            Some(t) if json => {
                print::json_out(&t)?;
                Ok(ExitCode::SUCCESS)
            }
            Some(t) => {
                say!(
                    "wrote {} settlements and {} edit operations (Parquet tables) to {}",
                    t.settlements,
                    t.operations,
                    t.folder.display()
                );
                Ok(ExitCode::SUCCESS)
            }
        };
    }
    let report = export::export(&store, &options, &out, &mut |_| {}, &cancel)?;
    match report {
        None => {
            tell!("cancelled: nothing was written");
            Ok(ExitCode::from(1))
        }
        Some(r) => {
            print::export_report(&r, json)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `redline targets`.
pub(crate) fn run_targets(args: TargetsArgs) -> Result<ExitCode> {
    let TargetsArgs { json } = args;
    print::targets(json)?;
    Ok(ExitCode::SUCCESS)
}

/// `redline validate`.
pub(crate) fn run_validate(args: ValidateArgs) -> Result<ExitCode> {
    let ValidateArgs {
        file,
        context_limit,
        json,
    } = args;
    let report = redline_core::validate::validate_file(
        &file,
        &redline_core::validate::Options { context_limit },
    )?;
    print::validation(&report, json)?;
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(5)
    })
}
