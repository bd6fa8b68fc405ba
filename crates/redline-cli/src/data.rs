//! `redline import`, `sample`, `stats`, `list`, `show`, `diff`, `info`, `mark`, `audit` and `settings`: the store and its settlements.

use crate::{ctrl_c_cancel, open_store, print, progress_bar, FormatArg};
use anyhow::{Context, Result};
use chrono::NaiveDate;
use redline_core::analytics;
use redline_core::import::{self, Format, ImportOptions};
use redline_core::job::Step;
use redline_core::model::{AgentName, IntentType, SettlementId};
use redline_core::sample::SampleSpec;
use redline_core::store::Filter;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(crate) struct ImportArgs {
    pub(crate) file: PathBuf,
    /// Import nothing if any line is bad.
    #[arg(long)]
    pub(crate) strict: bool,
    /// The file's format (default: from the extension, else from the content).
    #[arg(long, value_enum)]
    pub(crate) format: Option<FormatArg>,
    /// Print a line to stderr after each committed batch (for logs), instead of a bar.
    #[arg(long)]
    pub(crate) progress_lines: bool,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(clap::Args)]
pub(crate) struct SampleArgs {
    /// How many settlements.
    #[arg(long, short = 'n', default_value_t = 3000)]
    pub(crate) n: usize,
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// The last day of the span, YYYY-MM-DD (default: today).
    #[arg(long)]
    pub(crate) end: Option<NaiveDate>,
    /// How many days the settlements span.
    #[arg(long, default_value_t = 180)]
    pub(crate) days: u32,
    /// Write interchange JSONL here instead of into the store.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

#[derive(clap::Args)]
pub(crate) struct StatsArgs {
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(clap::Args)]
pub(crate) struct ListArgs {
    #[arg(long)]
    pub(crate) agent: Option<String>,
    #[arg(long)]
    pub(crate) intent_type: Option<String>,
    /// First day, YYYY-MM-DD.
    #[arg(long)]
    pub(crate) from: Option<String>,
    /// Last day, YYYY-MM-DD.
    #[arg(long)]
    pub(crate) to: Option<String>,
    /// Text the id, intent, AI output or final version contains (any case).
    #[arg(long)]
    pub(crate) search: Option<String>,
    #[arg(long, default_value_t = 50)]
    pub(crate) limit: u64,
    #[arg(long, default_value_t = 0)]
    pub(crate) offset: u64,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(clap::Args)]
pub(crate) struct ShowArgs {
    pub(crate) id: String,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(clap::Args)]
pub(crate) struct DiffArgs {
    pub(crate) id: String,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(clap::Args)]
pub(crate) struct InfoArgs {
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(clap::Args)]
pub(crate) struct MarkArgs {
    /// Settlement ids (or use --all-matching / --phrase with filters).
    pub(crate) ids: Vec<String>,
    #[arg(long, conflicts_with_all = ["gold", "clear"])]
    pub(crate) exclude: bool,
    #[arg(long, conflicts_with = "clear")]
    pub(crate) gold: bool,
    #[arg(long)]
    pub(crate) clear: bool,
    #[arg(long)]
    pub(crate) reason: Option<String>,
    /// Every settlement matching --agent / --intent-type / --from / --to.
    #[arg(long)]
    pub(crate) all_matching: bool,
    /// Every settlement (within the filters) whose final version contains this phrase.
    #[arg(long)]
    pub(crate) phrase: Option<String>,
    #[arg(long)]
    pub(crate) agent: Option<String>,
    #[arg(long)]
    pub(crate) intent_type: Option<String>,
    #[arg(long)]
    pub(crate) from: Option<String>,
    #[arg(long)]
    pub(crate) to: Option<String>,
}

#[derive(clap::Args)]
pub(crate) struct AuditArgs {
    #[arg(long, default_value_t = 50)]
    pub(crate) limit: usize,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(clap::Args)]
pub(crate) struct SettingsArgs {
    /// The acceptance threshold ("accepted" and the alerts' bar), 0..1.
    #[arg(long)]
    pub(crate) threshold: Option<f64>,
    /// An agent's system prompt for exports, as AGENT=TEXT (empty TEXT removes it).
    #[arg(long)]
    pub(crate) system_prompt: Vec<String>,
}

/// `redline import`.
pub(crate) fn run_import(db: Option<PathBuf>, args: ImportArgs) -> Result<ExitCode> {
    let ImportArgs {
        file,
        strict,
        format,
        progress_lines,
        json,
    } = args;
    let store = open_store(db)?;
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

/// `redline sample`.
pub(crate) fn run_sample(db: Option<PathBuf>, args: SampleArgs) -> Result<ExitCode> {
    let SampleArgs {
        n,
        seed,
        end,
        days,
        out,
    } = args;
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
    let store = open_store(db)?;
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

/// `redline stats`.
pub(crate) fn run_stats(db: Option<PathBuf>, args: StatsArgs) -> Result<ExitCode> {
    let StatsArgs { json } = args;
    let store = open_store(db)?;
    print::stats(&store.counts()?, json)?;
    Ok(ExitCode::SUCCESS)
}

/// `redline list`.
pub(crate) fn run_list(db: Option<PathBuf>, args: ListArgs) -> Result<ExitCode> {
    let ListArgs {
        agent,
        intent_type,
        from,
        to,
        search,
        limit,
        offset,
        json,
    } = args;
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
    let store = open_store(db)?;
    print::page(&store.list(&filter, offset, limit)?, json)?;
    Ok(ExitCode::SUCCESS)
}

/// `redline show`.
pub(crate) fn run_show(db: Option<PathBuf>, args: ShowArgs) -> Result<ExitCode> {
    let ShowArgs { id, json } = args;
    let store = open_store(db)?;
    let id = SettlementId::new(id)?;
    let settlement = store
        .get(&id)?
        .with_context(|| format!("no settlement with id {id}"))?;
    print::settlement(settlement, json)?;
    Ok(ExitCode::SUCCESS)
}

/// `redline diff`.
pub(crate) fn run_diff(db: Option<PathBuf>, args: DiffArgs) -> Result<ExitCode> {
    let DiffArgs { id, json } = args;
    let store = open_store(db)?;
    let id = SettlementId::new(id)?;
    let s = store
        .get(&id)?
        .with_context(|| format!("no settlement with id {id}"))?;
    let ops = redline_core::patterns::ops::edit_ops(&s.ai_output, &s.final_output);
    print::edit_ops(&ops, json)?;
    Ok(ExitCode::SUCCESS)
}

/// `redline info`.
pub(crate) fn run_info(db: Option<PathBuf>, args: InfoArgs) -> Result<ExitCode> {
    let InfoArgs { json } = args;
    let store = open_store(db)?;
    print::info(&store, json)?;
    Ok(ExitCode::SUCCESS)
}

/// `redline mark`.
pub(crate) fn run_mark(db: Option<PathBuf>, args: MarkArgs) -> Result<ExitCode> {
    let MarkArgs {
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
    } = args;
    use redline_core::curation::{self, MarkKind};
    let mark = match (exclude, gold, clear) {
        (true, _, _) => Some((MarkKind::Exclude, reason)),
        (_, true, _) => Some((MarkKind::Gold, reason)),
        (_, _, true) => None,
        _ => anyhow::bail!("say what to do: --exclude, --gold or --clear"),
    };
    let store = open_store(db)?;
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

/// `redline audit`.
pub(crate) fn run_audit(db: Option<PathBuf>, args: AuditArgs) -> Result<ExitCode> {
    let AuditArgs { limit, json } = args;
    let store = open_store(db)?;
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

/// `redline settings`.
pub(crate) fn run_settings(db: Option<PathBuf>, args: SettingsArgs) -> Result<ExitCode> {
    let SettingsArgs {
        threshold,
        system_prompt,
    } = args;
    let store = open_store(db)?;
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
