//! `redline`: Redline's core from the shell. Every subcommand opens the store, calls one core
//! function and prints its result, as text for people or `--json` for scripts.
//!
//! Exit codes: 0 success; 1 an error (nothing half-written); 2 a usage error; 3 an import that
//! skipped bad lines (the good ones were imported); 4 `alerts` or `watch` found something that
//! needs attention; 5 `validate` found the dataset unfit for training.

#[macro_use]
mod term;
mod analysis;
mod data;
mod experiments;
mod export;
mod notion;
mod print;
mod report;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use redline_core::job::Cancel;
use redline_core::store::{self, Store};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "redline",
    version,
    about = "Turn human edits of AI agents' output into better agents."
)]
struct Cli {
    /// The store file (default: $REDLINE_DB, else the OS data directory).
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum EmailAction {
    /// Save the SMTP server and the addresses.
    Set {
        #[arg(long)]
        host: String,
        #[arg(long, default_value_t = 587)]
        port: u16,
        /// tls (usually port 465), starttls (587) or none (a local relay only).
        #[arg(long, default_value = "starttls", value_parser = ["tls", "starttls", "none"])]
        security: String,
        #[arg(long)]
        username: Option<String>,
        #[arg(long)]
        from: String,
        /// A recipient; repeat for more.
        #[arg(long, required = true)]
        to: Vec<String>,
    },
    /// The saved settings.
    Status,
}

#[derive(Subcommand)]
enum Command {
    /// The prompt registry: versions per agent, the active one, diffs.
    #[command(subcommand)]
    Prompts(experiments::PromptsCommand),
    /// Prompt variants composed offline from an agent's edit patterns, for review.
    Variants {
        #[arg(long)]
        agent: String,
        /// Analyse the agent's last N settlements (0 = all), as the design's workflow does.
        #[arg(long, default_value_t = redline_core::experiments::variants::DEFAULT_LAST)]
        last: usize,
        /// Ask the configured LLM for N variants instead (needs consent; see `redline llm`).
        #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "3")]
        llm: Option<usize>,
        /// Add (offline) variant N as a new prompt version of the agent.
        #[arg(long, value_name = "N")]
        accept: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// The weekly report (agent trends, detected issues, experiments, suggestions, editing
    /// time) as HTML and Markdown in DIR; --slack also posts its summary.
    Report(report::ReportArgs),
    /// The SMTP settings for e-mailing reports.
    Email(report::EmailArgs),
    /// Run every check once (drops, low bars, emerging patterns, rising rejections): exit 4
    /// when something needs attention (unacknowledged), 0 when not — for cron.
    Watch(analysis::WatchArgs),
    /// The optional LLM for variants and offline evaluation: set, consent, status.
    #[command(subcommand)]
    Llm(experiments::LlmCommand),
    /// Replay the agent's recent intents with its active prompt and a candidate (a version
    /// such as v3, or a file) through the LLM, and compare the outputs with what people used.
    Evaluate {
        #[arg(long)]
        agent: String,
        #[arg(long)]
        candidate: String,
        /// How many recent intents to replay (two calls each).
        #[arg(long, default_value_t = redline_core::service::assist::DEFAULT_REPLAY)]
        replay: usize,
        #[arg(long)]
        json: bool,
    },
    /// A/B experiments between prompt versions: create, route, results, complete, deploy.
    #[command(subcommand)]
    Experiment(experiments::ExperimentCommand),
    /// Import settlements from a JSONL or CSV file in the interchange format.
    Import(data::ImportArgs),
    /// Generate realistic sample settlements into the store (or, with --out, into a JSONL file).
    Sample(data::SampleArgs),
    /// Settlements per agent, intent type and month.
    Stats(data::StatsArgs),
    /// List settlements, newest first.
    List(data::ListArgs),
    /// One settlement, with the word diff of the AI output against the final version.
    Show(data::ShowArgs),
    /// The edit operations of one settlement (deletions, insertions, replacements) with their
    /// character offsets in the AI output and the final version.
    Diff(data::DiffArgs),
    /// What people delete, add, replace and re-tone in an agent's outputs (or every agent's).
    Patterns(analysis::PatternsArgs),
    /// The prompt changes the edit patterns call for, each with its evidence and examples.
    Improvements(analysis::ImprovementsArgs),
    /// Where the store is and what it holds.
    Info(data::InfoArgs),
    /// Per-agent performance over a time range: acceptance with 95% intervals, share accepted,
    /// edit cost, week over week, best and worst intent types.
    Summary(analysis::SummaryArgs),
    /// Two agents head to head: acceptance difference with a 95% interval, a Mann–Whitney test,
    /// the same per intent type, and edit-cost quartiles.
    Compare(analysis::CompareArgs),
    /// Check now and list the incidents that hold, most severe first: one per agent (its drop,
    /// low bar, rising rewrites and new phrases inside it) and one when no new data arrives.
    /// Exit code 4 if any is unacknowledged.
    Alerts(analysis::AlertsArgs),
    /// Export approved settlements as fine-tuning data (JSONL for a provider, or CSV),
    /// filtered, de-duplicated and redacted, written atomically.
    Export(export::ExportArgs),
    /// Where each export format goes, and how those fine-tuning services stand (each row dated,
    /// with its source).
    Targets(export::TargetsArgs),
    /// Check a fine-tuning dataset (JSONL) before training: format errors by line, token
    /// statistics, context limit, duplicates, diversity, leftover personal data. Exit code 5
    /// when it fails.
    Validate(export::ValidateArgs),
    /// Curate before export: mark settlements "exclude from training" (with a reason) or
    /// "gold" (always exported), or clear their marks — by id, by filter, or every settlement
    /// whose final version still contains a phrase.
    Mark(data::MarkArgs),
    /// The audit log: exports, token changes and syncs, newest first.
    Audit(data::AuditArgs),
    /// Show or change settings kept in the store.
    Settings(data::SettingsArgs),
    /// Sync from the Notion "Training Data" database (token in REDLINE_NOTION_TOKEN).
    #[command(subcommand)]
    Notion(notion::NotionCommand),
}

#[derive(clap::Subcommand)]
enum AlertAction {
    /// Acknowledge an incident by its key (e.g. "agent:The Auditor", with every part it
    /// holds) or one part by its own ("drop:The Auditor"): it stays quiet until something
    /// new comes with it.
    Ack { key: String },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    Jsonl,
    Csv,
}

/// mimalloc, not the system allocator: it gives freed memory back to the OS soon after a
/// large job (glibc's per-thread arenas kept a mining's peak for the life of the process) and
/// is faster under the miner's many short-lived vectors (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Like other Unix tools, stop quietly when the reader of our output goes away
    // (`redline summary | head`) instead of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to the default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            tell!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn open_store(db: Option<PathBuf>) -> Result<Store> {
    let path = store::resolve_db_path(db)
        .context("no data directory for this user: pass --db PATH or set REDLINE_DB")?;
    Ok(Store::open(&path)?)
}

/// A cancel token that Ctrl-C trips, so a long job stops at a batch boundary.
pub(crate) fn ctrl_c_cancel() -> Cancel {
    let cancel = Cancel::new();
    let handler = cancel.clone();
    // Ignore the error of a second handler (only in tests that call this twice).
    let _ = ctrlc::set_handler(move || handler.cancel());
    cancel
}

fn progress_bar(total: Option<u64>, bytes: bool) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        total,
        indicatif::ProgressDrawTarget::stderr_with_hz(5),
    );
    let template = if bytes {
        "{bar:40} {bytes}/{total_bytes} {msg} ({eta})"
    } else {
        "{bar:40} {pos}/{len} {msg} ({eta})"
    };
    bar.set_style(indicatif::ProgressStyle::with_template(template).expect("valid template"));
    bar
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Prompts(command) => experiments::prompts_run(open_store(cli.db)?, command),
        Command::Variants {
            agent,
            last,
            llm,
            accept,
            json,
        } => experiments::variants_run(open_store(cli.db)?, &agent, last, llm, accept, json),
        Command::Llm(command) => experiments::llm_run(open_store(cli.db)?, command),
        Command::Email(args) => report::run_email(cli.db, args),
        Command::Report(args) => report::run_report(cli.db, args),
        Command::Watch(args) => analysis::run_watch(cli.db, args),
        Command::Evaluate {
            agent,
            candidate,
            replay,
            json,
        } => experiments::evaluate_run(open_store(cli.db)?, &agent, &candidate, replay, json),
        Command::Experiment(command) => experiments::experiment_run(open_store(cli.db)?, command),
        Command::Import(args) => data::run_import(cli.db, args),
        Command::Sample(args) => data::run_sample(cli.db, args),
        Command::Stats(args) => data::run_stats(cli.db, args),
        Command::List(args) => data::run_list(cli.db, args),
        Command::Show(args) => data::run_show(cli.db, args),
        Command::Diff(args) => data::run_diff(cli.db, args),
        Command::Patterns(args) => analysis::run_patterns(cli.db, args),
        Command::Improvements(args) => analysis::run_improvements(cli.db, args),
        Command::Info(args) => data::run_info(cli.db, args),
        Command::Notion(command) => notion::run(open_store(cli.db)?, command),
        Command::Compare(args) => analysis::run_compare(cli.db, args),
        Command::Alerts(args) => analysis::run_alerts(cli.db, args),
        Command::Export(args) => export::run_export(cli.db, args),
        Command::Targets(args) => export::run_targets(args),
        Command::Validate(args) => export::run_validate(args),
        Command::Mark(args) => data::run_mark(cli.db, args),
        Command::Audit(args) => data::run_audit(cli.db, args),
        Command::Settings(args) => data::run_settings(cli.db, args),
        Command::Summary(args) => analysis::run_summary(cli.db, args),
    }
}
