//! `redline`: Redline's core from the shell. Every subcommand opens the store, calls one core
//! function and prints its result, as text for people or `--json` for scripts.
//!
//! Exit codes: 0 success; 1 an error (nothing half-written); 2 a usage error; 3 an import that
//! skipped bad lines (the good ones were imported); 4 `alerts` or `watch` found something that
//! needs attention; 5 `validate` found the dataset unfit for training.

#[macro_use]
mod term;
mod experiments;
mod notion;
mod print;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use redline_core::analytics;
use redline_core::import::{self, Format, ImportOptions};
use redline_core::job::{Cancel, Step};
use redline_core::model::{AgentName, IntentType, SettlementId};
use redline_core::sample::SampleSpec;
use redline_core::store::{self, Filter, Store};
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
    Report {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Post the summary to the Slack incoming webhook in REDLINE_SLACK_WEBHOOK.
        #[arg(long)]
        slack: bool,
        /// E-mail it with the saved SMTP settings (`redline email set`); the password comes
        /// from REDLINE_SMTP_PASSWORD.
        #[arg(long)]
        email: bool,
        #[arg(long)]
        json: bool,
    },
    /// The SMTP settings for e-mailing reports.
    Email {
        #[command(subcommand)]
        action: EmailAction,
    },
    /// Run every check once (drops, low bars, emerging patterns, rising rejections): exit 4
    /// when something needs attention (unacknowledged), 0 when not — for cron.
    Watch {
        #[arg(long)]
        json: bool,
    },
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
        #[arg(long, default_value_t = redline_core::experiments::assist::DEFAULT_REPLAY)]
        replay: usize,
        #[arg(long)]
        json: bool,
    },
    /// A/B experiments between prompt versions: create, route, results, complete, deploy.
    #[command(subcommand)]
    Experiment(experiments::ExperimentCommand),
    /// Import settlements from a JSONL or CSV file in the interchange format.
    Import {
        file: PathBuf,
        /// Import nothing if any line is bad.
        #[arg(long)]
        strict: bool,
        /// The file's format (default: from the extension, else from the content).
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// Print a line to stderr after each committed batch (for logs), instead of a bar.
        #[arg(long)]
        progress_lines: bool,
        #[arg(long)]
        json: bool,
    },
    /// Generate realistic sample settlements into the store (or, with --out, into a JSONL file).
    Sample {
        /// How many settlements.
        #[arg(long, short = 'n', default_value_t = 3000)]
        n: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The last day of the span, YYYY-MM-DD (default: today).
        #[arg(long)]
        end: Option<NaiveDate>,
        /// How many days the settlements span.
        #[arg(long, default_value_t = 180)]
        days: u32,
        /// Write interchange JSONL here instead of into the store.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Settlements per agent, intent type and month.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// List settlements, newest first.
    List {
        #[arg(long)]
        agent: Option<String>,
        #[arg(long)]
        intent_type: Option<String>,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD.
        #[arg(long)]
        to: Option<String>,
        /// Text the id, intent, AI output or final version contains (any case).
        #[arg(long)]
        search: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u64,
        #[arg(long, default_value_t = 0)]
        offset: u64,
        #[arg(long)]
        json: bool,
    },
    /// One settlement, with the word diff of the AI output against the final version.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// The edit operations of one settlement (deletions, insertions, replacements) with their
    /// character offsets in the AI output and the final version.
    Diff {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// What people delete, add, replace and re-tone in an agent's outputs (or every agent's).
    Patterns {
        /// One agent; without it, every agent and all agents together.
        #[arg(long)]
        agent: Option<String>,
        /// 7d, 30d, 90d, all, another number of days, or FROM..TO.
        #[arg(long, default_value = "all")]
        range: String,
        #[arg(long)]
        intent_type: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The prompt changes the edit patterns call for, each with its evidence and examples.
    Improvements {
        #[arg(long)]
        agent: Option<String>,
        #[arg(long, default_value = "all")]
        range: String,
        #[arg(long)]
        intent_type: Option<String>,
        /// Also replay the candidate changes: mine the range's earlier half, apply each change
        /// to the later half's outputs, and say how much editing it would have saved (95%
        /// bootstrap interval); per agent (docs/patterns.md, "Replay").
        #[arg(long)]
        validate: bool,
        #[arg(long)]
        json: bool,
    },
    /// Where the store is and what it holds.
    Info {
        #[arg(long)]
        json: bool,
    },
    /// Per-agent performance over a time range: acceptance with 95% intervals, share accepted,
    /// edit cost, week over week, best and worst intent types.
    Summary {
        /// 7d, 30d, 90d, all, another number of days, or dates FROM..TO (YYYY-MM-DD..YYYY-MM-DD).
        #[arg(long, default_value = "30d")]
        range: String,
        /// "Accepted" means an acceptance of at least this (default: the saved setting, 0.7).
        #[arg(long)]
        threshold: Option<f64>,
        /// End the range here instead of now: `newest` (the newest settlement: for a store
        /// that has not synced for a while) or a date YYYY-MM-DD.
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Two agents head to head: acceptance difference with a 95% interval, a Mann–Whitney test,
    /// the same per intent type, and edit-cost quartiles.
    Compare {
        agent_a: String,
        agent_b: String,
        #[arg(long, default_value = "30d")]
        range: String,
        #[arg(long)]
        json: bool,
    },
    /// Check now and list the incidents that hold, most severe first: one per agent (its drop,
    /// low bar, rising rewrites and new phrases inside it) and one when no new data arrives.
    /// Exit code 4 if any is unacknowledged.
    Alerts {
        #[command(subcommand)]
        action: Option<AlertAction>,
        /// Also list cleared alerts (with `--json`: `{"incidents": […], "cleared": […]}`).
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Export approved settlements as fine-tuning data (JSONL for a provider, or CSV),
    /// filtered, de-duplicated and redacted, written atomically.
    Export {
        /// openai-chat, openai-dpo, bedrock, nova, trl-sft, trl-dpo, trl-kto, csv,
        /// hf-dataset (a Hugging Face dataset folder: Parquet splits and a dataset card; -o
        /// names the folder), or parquet (every selected settlement with its measures, and
        /// its edit operations, as two Parquet tables in the folder -o; docs/scale.md). Where
        /// each goes: `redline targets`. trl-kto writes each final as `true` and, for a
        /// settlement below the minimum acceptance, its draft as `false`.
        #[arg(long, default_value = "openai-chat")]
        format: String,
        /// hf-dataset: the licence id written in the dataset card (e.g. cc-by-4.0).
        #[arg(long, default_value = "other")]
        license: String,
        /// Only settlements with at least this acceptance (0..1; default: the saved acceptance
        /// threshold, what counts as accepted everywhere).
        #[arg(long)]
        min_acceptance: Option<f64>,
        /// Only these agents (repeat the option for several).
        #[arg(long)]
        agent: Vec<String>,
        #[arg(long)]
        intent_type: Vec<String>,
        /// Only these prompt versions / experiment variants.
        #[arg(long)]
        prompt_version: Vec<String>,
        /// First day (YYYY-MM-DD), included.
        #[arg(long)]
        from: Option<String>,
        /// Last day (YYYY-MM-DD), included.
        #[arg(long)]
        to: Option<String>,
        /// Keep settlements flagged as errors.
        #[arg(long)]
        include_errors: bool,
        /// Leave out outputs accepted without edits.
        #[arg(long)]
        only_edited: bool,
        /// Only settlements marked gold (`redline mark --gold`).
        #[arg(long)]
        only_gold: bool,
        /// Write personal data as it is (redaction is on by default).
        #[arg(long)]
        no_redact: bool,
        /// Keep duplicates and near duplicates.
        #[arg(long)]
        no_dedupe: bool,
        /// Encrypt the files with a passphrase (age format; decrypt with `age -d`), read from
        /// the REDLINE_EXPORT_PASSPHRASE environment variable.
        #[arg(long)]
        encrypt: bool,
        /// Share of examples for a validation file beside the output (e.g. 0.1).
        #[arg(long, default_value_t = 0.0)]
        validation_share: f64,
        #[arg(short, long)]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Where each export format goes, and how those fine-tuning services stand (each row dated,
    /// with its source).
    Targets {
        #[arg(long)]
        json: bool,
    },
    /// Check a fine-tuning dataset (JSONL) before training: format errors by line, token
    /// statistics, context limit, duplicates, diversity, leftover personal data. Exit code 5
    /// when it fails.
    Validate {
        file: PathBuf,
        /// The target model's context window, in tokens.
        #[arg(long, default_value_t = 4096)]
        context_limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Curate before export: mark settlements "exclude from training" (with a reason) or
    /// "gold" (always exported), or clear their marks — by id, by filter, or every settlement
    /// whose final version still contains a phrase.
    Mark {
        /// Settlement ids (or use --all-matching / --phrase with filters).
        ids: Vec<String>,
        #[arg(long, conflicts_with_all = ["gold", "clear"])]
        exclude: bool,
        #[arg(long, conflicts_with = "clear")]
        gold: bool,
        #[arg(long)]
        clear: bool,
        #[arg(long)]
        reason: Option<String>,
        /// Every settlement matching --agent / --intent-type / --from / --to.
        #[arg(long)]
        all_matching: bool,
        /// Every settlement (within the filters) whose final version contains this phrase.
        #[arg(long)]
        phrase: Option<String>,
        #[arg(long)]
        agent: Option<String>,
        #[arg(long)]
        intent_type: Option<String>,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
    },
    /// The audit log: exports, token changes and syncs, newest first.
    Audit {
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Show or change settings kept in the store.
    Settings {
        /// The acceptance threshold ("accepted" and the alerts' bar), 0..1.
        #[arg(long)]
        threshold: Option<f64>,
        /// An agent's system prompt for exports, as AGENT=TEXT (empty TEXT removes it).
        #[arg(long)]
        system_prompt: Vec<String>,
    },
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
        Command::Email { action } => {
            let store = open_store(cli.db)?;
            match action {
                EmailAction::Set {
                    host,
                    port,
                    security,
                    username,
                    from,
                    to,
                } => {
                    let security = match security.as_str() {
                        "tls" => redline_core::learning::Security::Tls,
                        "starttls" => redline_core::learning::Security::Starttls,
                        _ => redline_core::learning::Security::None,
                    };
                    redline_core::learning::set_email_settings(
                        &store,
                        &redline_core::learning::EmailSettings {
                            host,
                            port,
                            security,
                            username,
                            from,
                            to,
                        },
                    )?;
                    say!("saved");
                }
                EmailAction::Status => match redline_core::learning::email_settings(&store)? {
                    Some(s) => println!("{}", serde_json::to_string_pretty(&s)?),
                    None => {
                        say!("no e-mail settings: `redline email set --host … --from … --to …`")
                    }
                },
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Report {
            out,
            slack,
            email,
            json,
        } => {
            let store = open_store(cli.db)?;
            let report = redline_core::learning::report::build(&store, chrono::Utc::now())?;
            let (html, md) = redline_core::learning::save(&report, &out)
                .with_context(|| format!("cannot write the report into {}", out.display()))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                say!("wrote {} and {}", html.display(), md.display());
                for a in &report.actions {
                    say!("- {a}");
                }
            }
            if slack {
                let url = std::env::var(redline_core::learning::SLACK_ENV).with_context(|| {
                    format!(
                        "set {} to the Slack incoming-webhook URL",
                        redline_core::learning::SLACK_ENV
                    )
                })?;
                redline_core::learning::post_to_slack(&report, &url)?;
                tell!("posted to Slack");
            }
            if email {
                let settings = redline_core::learning::email_settings(&store)?
                    .context("no e-mail settings: `redline email set --host … --from … --to …`")?;
                let password = std::env::var(redline_core::learning::SMTP_PASSWORD_ENV).ok();
                redline_core::learning::send_email(&report, &settings, password.as_deref())?;
                tell!("e-mailed to {}", settings.to.join(", "));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Watch { json } => {
            let store = open_store(cli.db)?;
            let w = redline_core::learning::incidents::watch(&store, chrono::Utc::now())?;
            // Acknowledged incidents stay quiet until something new comes with them.
            let open: Vec<_> = w.active.into_iter().filter(|i| i.open).collect();
            print::incidents(&open, json, "nothing needs attention")?;
            Ok(if open.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(4)
            })
        }
        Command::Evaluate {
            agent,
            candidate,
            replay,
            json,
        } => experiments::evaluate_run(open_store(cli.db)?, &agent, &candidate, replay, json),
        Command::Experiment(command) => experiments::experiment_run(open_store(cli.db)?, command),
        Command::Import {
            file,
            strict,
            format,
            progress_lines,
            json,
        } => {
            let store = open_store(cli.db)?;
            let options = ImportOptions {
                strict,
                format: format.map(|f| match f {
                    FormatArg::Jsonl => Format::Jsonl,
                    FormatArg::Csv => Format::Csv,
                }),
                ..Default::default()
            };
            let total = std::fs::metadata(&file).ok().map(|m| m.len());
            let bar = progress_bar(total, true);
            let mut on_step = |s: Step| {
                if progress_lines {
                    tell!(
                        "progress: {} records read, {} of {} bytes",
                        s.items,
                        s.done,
                        s.total.unwrap_or(0)
                    );
                } else {
                    bar.set_position(s.done);
                    bar.set_message(format!("{} records", s.items));
                }
            };
            let cancel = ctrl_c_cancel();
            let report = import::import_file(&store, &file, &options, &mut on_step, &cancel)?;
            bar.finish_and_clear();
            print::import_report(&report, json)?;
            Ok(if report.rejected {
                ExitCode::from(1)
            } else if report.bad_total > 0 {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Sample {
            n,
            seed,
            end,
            days,
            out,
        } => {
            let mut spec = SampleSpec {
                count: n,
                seed,
                days,
                ..Default::default()
            };
            if let Some(end) = end {
                spec.end = redline_core::sample::end_of_day(end);
            }
            if let Some(out) = out {
                let file = std::fs::File::create(&out)
                    .with_context(|| format!("cannot create {}", out.display()))?;
                import::write_sample_jsonl(&spec, &mut std::io::BufWriter::new(file))
                    .with_context(|| format!("cannot write {}", out.display()))?;
                say!("wrote {n} sample settlements to {}", out.display());
                return Ok(ExitCode::SUCCESS);
            }
            let store = open_store(cli.db)?;
            let bar = progress_bar(Some(n as u64), false);
            let mut on_step = |s: Step| bar.set_position(s.done);
            let written = import::load_sample(&store, &spec, &mut on_step, &ctrl_c_cancel())?;
            bar.finish_and_clear();
            say!(
                "sample data: {} new, {} updated, {} unchanged (seed {seed}) in {}",
                written.inserted,
                written.updated,
                written.unchanged,
                store.path().display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Stats { json } => {
            let store = open_store(cli.db)?;
            print::stats(&store.counts()?, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::List {
            agent,
            intent_type,
            from,
            to,
            search,
            limit,
            offset,
            json,
        } => {
            let filter = Filter {
                agent: agent.map(AgentName::new).transpose()?,
                intent_type: intent_type.as_deref().map(IntentType::new),
                from: from
                    .as_deref()
                    .map(Filter::day_start)
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                to: to
                    .as_deref()
                    .map(Filter::day_end)
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                text: search,
            };
            let store = open_store(cli.db)?;
            print::page(&store.list(&filter, offset, limit)?, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id, json } => {
            let store = open_store(cli.db)?;
            let id = SettlementId::new(id)?;
            let settlement = store
                .get(&id)?
                .with_context(|| format!("no settlement with id {id}"))?;
            print::settlement(settlement, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff { id, json } => {
            let store = open_store(cli.db)?;
            let id = SettlementId::new(id)?;
            let s = store
                .get(&id)?
                .with_context(|| format!("no settlement with id {id}"))?;
            let ops = redline_core::patterns::ops::edit_ops(&s.ai_output, &s.final_output);
            print::edit_ops(&ops, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Patterns {
            agent,
            range,
            intent_type,
            json,
        } => {
            let report = mine(cli.db, agent, &range, intent_type)?;
            print::patterns(&report, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Improvements {
            agent,
            range,
            intent_type,
            validate,
            json,
        } => {
            let report = mine(cli.db.clone(), agent, &range, intent_type.clone())?;
            if !validate {
                print::improvements(&report, json)?;
                return Ok(ExitCode::SUCCESS);
            }
            let store = open_store(cli.db)?;
            let (from, to) = analytics::Range::parse(&range)
                .map_err(anyhow::Error::msg)?
                .bounds(chrono::Utc::now());
            let mut replays = Vec::new();
            for a in &report.agents {
                if a.agent == redline_core::patterns::ALL_AGENTS {
                    continue;
                }
                let scope = redline_core::patterns::Scope {
                    agent: Some(a.agent.clone()),
                    intent_type: intent_type.clone(),
                    from,
                    to: Some(to),
                };
                let replay = redline_core::patterns::replay::replay_store(
                    &store,
                    &scope,
                    &mut redline_core::job::no_progress,
                    &redline_core::job::Cancel::new(),
                )?
                .expect("not cancelled");
                replays.push((a.agent.clone(), replay));
            }
            print::improvements_validated(&report, &replays, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Info { json } => {
            let store = open_store(cli.db)?;
            print::info(&store, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Notion(command) => notion::run(open_store(cli.db)?, command),
        Command::Compare {
            agent_a,
            agent_b,
            range,
            json,
        } => {
            let range =
                redline_core::analytics::Range::parse(&range).map_err(anyhow::Error::msg)?;
            let store = open_store(cli.db)?;
            let now = chrono::Utc::now();
            let (from, to) = range.bounds(now);
            let observations = analytics::observations(&store, from, Some(to))?;
            let c = redline_core::analytics::compare(&observations, &agent_a, &agent_b, range, now);
            print::comparison(&c, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Alerts { action, all, json } => {
            use redline_core::learning::incidents;
            let store = open_store(cli.db)?;
            let now = chrono::Utc::now();
            if let Some(AlertAction::Ack { key }) = action {
                let incident = incidents::acknowledge(&store, &key, now)?.with_context(|| {
                    format!("no incident or alert with key '{key}' (see `redline alerts`)")
                })?;
                say!("acknowledged: {}", incident.summary);
                return Ok(ExitCode::SUCCESS);
            }
            let active = incidents::watch(&store, now)?.active;
            let cleared: Vec<_> = if all {
                analytics::alert_records(&store)?
                    .into_iter()
                    .filter(|r| r.cleared.is_some())
                    .collect()
            } else {
                Vec::new()
            };
            if all && json {
                // One document: the incidents and the cleared records beside them.
                print::json_out(&serde_json::json!({ "incidents": active, "cleared": cleared }))?;
            } else {
                print::incidents(&active, json, "no alerts")?;
                if !cleared.is_empty() {
                    say!("\ncleared:");
                    print::alerts(&cleared, false)?;
                }
            }
            Ok(if active.iter().any(|i| i.open) {
                ExitCode::from(4)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Export {
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
        } => {
            use redline_core::export;
            let day = |d: Option<String>, parse: fn(&str) -> Result<_, String>| {
                d.map(|d| parse(&d)).transpose().map_err(anyhow::Error::msg)
            };
            let store = open_store(cli.db)?;
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
                    Some(redline_core::secret::Sensitive::new(p))
                } else {
                    None
                },
                ..Default::default()
            };
            let cancel = Cancel::new();
            let c = cancel.clone();
            let _ = ctrlc::set_handler(move || c.cancel());
            if tables {
                return match export::tables::export_tables(
                    &store,
                    &options,
                    &out,
                    &mut |_| {},
                    &cancel,
                )? {
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
        Command::Targets { json } => {
            print::targets(json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate {
            file,
            context_limit,
            json,
        } => {
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
        Command::Mark {
            ids,
            exclude,
            gold,
            clear,
            reason,
            all_matching,
            phrase,
            agent,
            intent_type,
            from,
            to,
        } => {
            use redline_core::curation::{self, MarkKind};
            let mark = match (exclude, gold, clear) {
                (true, _, _) => Some((MarkKind::Exclude, reason)),
                (_, true, _) => Some((MarkKind::Gold, reason)),
                (_, _, true) => None,
                _ => anyhow::bail!("say what to do: --exclude, --gold or --clear"),
            };
            let store = open_store(cli.db)?;
            let filter = Filter {
                agent: agent.map(AgentName::new).transpose()?,
                intent_type: intent_type.map(|k| IntentType::new(&k)),
                from: from
                    .map(|d| Filter::day_start(&d))
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                to: to
                    .map(|d| Filter::day_end(&d))
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                text: None,
            };
            let targets: Vec<String> = match (&phrase, all_matching, ids.is_empty()) {
                (Some(p), _, _) => curation::ids_with_phrase(&store, &filter, p)?,
                (None, true, _) => curation::ids_matching(&store, &filter)?,
                (None, false, false) => {
                    for id in &ids {
                        let id = SettlementId::new(id.clone())?;
                        store
                            .get(&id)?
                            .with_context(|| format!("no settlement with id {id}"))?;
                    }
                    ids
                }
                (None, false, true) => {
                    anyhow::bail!("name settlements by id, or use --all-matching or --phrase")
                }
            };
            let refs: Vec<&str> = targets.iter().map(String::as_str).collect();
            let n = curation::set(&store, &refs, mark)?;
            say!(
                "{n} settlements {}",
                if clear { "unmarked" } else { "marked" }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { limit, json } => {
            let store = open_store(cli.db)?;
            let entries = redline_core::audit::entries(&store, limit)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&entries)?);
            } else if entries.is_empty() {
                say!("nothing recorded yet");
            } else {
                for e in entries {
                    say!(
                        "{}  {:<14} {}",
                        e.at.format("%Y-%m-%d %H:%M:%S UTC"),
                        e.action,
                        e.detail
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Settings {
            threshold,
            system_prompt,
        } => {
            let store = open_store(cli.db)?;
            if let Some(t) = threshold {
                analytics::set_threshold(&store, t)?;
            }
            for entry in system_prompt {
                let (agent, text) = entry
                    .split_once('=')
                    .with_context(|| format!("'{entry}' is not AGENT=TEXT"))?;
                redline_core::export::set_system_prompt(&store, agent.trim(), text)?;
            }
            say!("threshold: {}", analytics::threshold(&store)?);
            for (agent, text) in redline_core::export::system_prompts(&store)? {
                say!("system prompt for {agent}: {text}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Summary {
            range,
            threshold,
            as_of,
            json,
        } => {
            let range =
                redline_core::analytics::Range::parse(&range).map_err(anyhow::Error::msg)?;
            let store = open_store(cli.db)?;
            let now = match as_of.as_deref().map(str::trim) {
                None => chrono::Utc::now(),
                Some("newest") => {
                    let all = analytics::observations(&store, None, None)?;
                    all.iter()
                        .map(|o| o.at)
                        .max()
                        .context("the store holds no settlements")?
                }
                Some(day) => NaiveDate::parse_from_str(day, "%Y-%m-%d")
                    .map(redline_core::sample::end_of_day)
                    .with_context(|| {
                        format!("--as-of takes `newest` or a date YYYY-MM-DD, not '{day}'")
                    })?,
            };
            let threshold = match threshold {
                Some(t) if (0.0..=1.0).contains(&t) => t,
                Some(t) => anyhow::bail!("the threshold must be between 0 and 1, not {t}"),
                None => analytics::threshold(&store)?,
            };
            let summary = analytics::summary_of_store(&store, range, now, threshold)?;
            print::summary(&summary, json)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Mine the edit patterns of the store's settlements in scope.
fn mine(
    db: Option<PathBuf>,
    agent: Option<String>,
    range: &str,
    intent_type: Option<String>,
) -> Result<redline_core::patterns::Report> {
    let range = analytics::Range::parse(range).map_err(anyhow::Error::msg)?;
    let store = open_store(db)?;
    let (from, to) = range.bounds(chrono::Utc::now());
    if let Some(a) = &agent {
        let known = store.facets()?.agents.iter().any(|(name, _)| name == a);
        anyhow::ensure!(
            known,
            "no settlements from an agent named '{a}' (see `redline stats`)"
        );
    }
    let scope = redline_core::patterns::Scope {
        agent,
        intent_type,
        from,
        to: Some(to),
    };
    Ok(redline_core::patterns::mine_store(&store, &scope)?)
}
