//! `redline patterns`, `improvements`, `compare`, `summary`, `alerts` and `watch`: what the settlements say.

use crate::{open_store, print, AlertAction};
use anyhow::{Context, Result};
use chrono::NaiveDate;
use redline_core::analytics;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(crate) struct WatchArgs {
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(clap::Args)]
pub(crate) struct PatternsArgs {
    /// One agent; without it, every agent and all agents together.
    #[arg(long)]
    pub(crate) agent: Option<String>,
    /// 7d, 30d, 90d, all, another number of days, or FROM..TO.
    #[arg(long, default_value = "all")]
    pub(crate) range: String,
    #[arg(long)]
    pub(crate) intent_type: Option<String>,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(clap::Args)]
pub(crate) struct ImprovementsArgs {
    #[arg(long)]
    pub(crate) agent: Option<String>,
    #[arg(long, default_value = "all")]
    pub(crate) range: String,
    #[arg(long)]
    pub(crate) intent_type: Option<String>,
    /// Also replay the candidate changes: mine the range's earlier half, apply each change
    /// to the later half's outputs, and say how much editing it would have saved (95%
    /// bootstrap interval); per agent (docs/patterns.md, "Replay").
    #[arg(long)]
    pub(crate) validate: bool,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(clap::Args)]
pub(crate) struct SummaryArgs {
    /// 7d, 30d, 90d, all, another number of days, or dates FROM..TO (YYYY-MM-DD..YYYY-MM-DD).
    #[arg(long, default_value = "30d")]
    pub(crate) range: String,
    /// "Accepted" means an acceptance of at least this (default: the saved setting, 0.7).
    #[arg(long)]
    pub(crate) threshold: Option<f64>,
    /// End the range here instead of now: `newest` (the newest settlement: for a store
    /// that has not synced for a while) or a date YYYY-MM-DD.
    #[arg(long)]
    pub(crate) as_of: Option<String>,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(clap::Args)]
pub(crate) struct CompareArgs {
    pub(crate) agent_a: String,
    pub(crate) agent_b: String,
    #[arg(long, default_value = "30d")]
    pub(crate) range: String,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(clap::Args)]
pub(crate) struct AlertsArgs {
    #[command(subcommand)]
    pub(crate) action: Option<AlertAction>,
    /// Also list cleared alerts (with `--json`: `{"incidents": […], "cleared": […]}`).
    #[arg(long)]
    pub(crate) all: bool,
    #[arg(long)]
    pub(crate) json: bool,
}

/// `redline watch`.
pub(crate) fn run_watch(db: Option<PathBuf>, args: WatchArgs) -> Result<ExitCode> {
    let WatchArgs { json } = args;
    let store = open_store(db)?;
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

/// `redline patterns`.
pub(crate) fn run_patterns(db: Option<PathBuf>, args: PatternsArgs) -> Result<ExitCode> {
    let PatternsArgs {
        agent,
        range,
        intent_type,
        json,
    } = args;
    let report = mine(db, agent, &range, intent_type)?;
    print::patterns(&report, json)?;
    Ok(ExitCode::SUCCESS)
}

/// `redline improvements`.
pub(crate) fn run_improvements(db: Option<PathBuf>, args: ImprovementsArgs) -> Result<ExitCode> {
    let ImprovementsArgs {
        agent,
        range,
        intent_type,
        validate,
        json,
    } = args;
    let report = mine(db.clone(), agent, &range, intent_type.clone())?;
    if !validate {
        print::improvements(&report, json)?;
        return Ok(ExitCode::SUCCESS);
    }
    let store = open_store(db)?;
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
        let replay = redline_core::mining::replay_store(
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

/// `redline compare`.
pub(crate) fn run_compare(db: Option<PathBuf>, args: CompareArgs) -> Result<ExitCode> {
    let CompareArgs {
        agent_a,
        agent_b,
        range,
        json,
    } = args;
    let range = redline_core::analytics::Range::parse(&range).map_err(anyhow::Error::msg)?;
    let store = open_store(db)?;
    let now = chrono::Utc::now();
    let (from, to) = range.bounds(now);
    let observations = analytics::observations(&store, from, Some(to))?;
    let c = redline_core::analytics::compare(&observations, &agent_a, &agent_b, range, now);
    print::comparison(&c, json)?;
    Ok(ExitCode::SUCCESS)
}

/// `redline alerts`.
pub(crate) fn run_alerts(db: Option<PathBuf>, args: AlertsArgs) -> Result<ExitCode> {
    let AlertsArgs { action, all, json } = args;
    use redline_core::learning::incidents;
    let store = open_store(db)?;
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

/// `redline summary`.
pub(crate) fn run_summary(db: Option<PathBuf>, args: SummaryArgs) -> Result<ExitCode> {
    let SummaryArgs {
        range,
        threshold,
        as_of,
        json,
    } = args;
    let range = redline_core::analytics::Range::parse(&range).map_err(anyhow::Error::msg)?;
    let store = open_store(db)?;
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
            .with_context(|| format!("--as-of takes `newest` or a date YYYY-MM-DD, not '{day}'"))?,
    };
    let threshold = match threshold {
        Some(t) if (0.0..=1.0).contains(&t) => t,
        Some(t) => anyhow::bail!("the threshold must be between 0 and 1, not {t}"),
        None => analytics::threshold(&store)?,
    };
    let summary = redline_core::service::summary::of_store(&store, range, now, threshold)?;
    print::summary(&summary, json)?;
    Ok(ExitCode::SUCCESS)
}

/// Mine the edit patterns of the store's settlements in scope.
pub(crate) fn mine(
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
    Ok(redline_core::mining::mine_store(&store, &scope)?)
}
