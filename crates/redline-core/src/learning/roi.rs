//! Time saved and the fine-tuning ROI (the design's "Cost estimates" and "Fine-Tuning ROI").
//!
//! Editing effort of a settlement = its word-level edit cost × the seconds a person spends per
//! changed word (a setting; default [`DEFAULT_SECONDS_PER_WORD`] — reading the draft, deciding
//! and typing, about twice plain typing speed at 40 words a minute). Per agent: minutes per week
//! over the last 12 weeks and the trend; after each deployed experiment, the effort per
//! settlement in the 28 days before and after deployment. The break-even compares the spend the
//! admin enters (fine-tuning, monthly API costs) with the time saved, valued at an hourly rate.
//! Redline's own LLM calls (variant generation, offline evaluation) are read from the audit log
//! with their token usage and priced at the per-million-token prices entered.

use crate::analytics::{self, Observation};
use crate::audit;
use crate::experiments::{self, Status};
use crate::stats;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

use crate::settings::Settings;
pub use crate::settings::{RoiSettings, DEFAULT_SECONDS_PER_WORD};

pub fn settings(store: &Store) -> Result<RoiSettings, StoreError> {
    Ok(Settings::load(store)?.roi)
}

pub fn set_settings(store: &Store, s: &RoiSettings) -> Result<(), String> {
    let fields = [
        s.seconds_per_word,
        s.hourly_rate,
        s.fine_tuning_cost,
        s.monthly_api_cost,
        s.price_input_per_mtok,
        s.price_output_per_mtok,
    ];
    if fields.iter().any(|v| !v.is_finite() || *v < 0.0) {
        return Err("every figure must be a number of zero or more".into());
    }
    if !(0.1..=600.0).contains(&s.seconds_per_word) {
        return Err("seconds per changed word must be between 0.1 and 600".into());
    }
    Settings::update(store, |all| {
        all.roi = s.clone();
        Ok::<_, StoreError>(())
    })
    .map_err(|e| e.to_string())
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AgentEffort {
    pub agent: String,
    /// Editing minutes per week, oldest first, for the 12 weeks before now.
    pub weekly_minutes: Vec<f64>,
    /// Least-squares slope in minutes per week per week, with its p-value.
    pub trend: Option<(f64, f64)>,
    /// Mean editing seconds per settlement over the last 4 weeks.
    pub seconds_per_settlement: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Deployment {
    pub experiment: String,
    pub agent: String,
    pub deployed: DateTime<Utc>,
    /// Mean editing seconds per settlement in the 28 days before and after.
    pub before: Option<f64>,
    pub after: Option<f64>,
    pub n_before: usize,
    pub n_after: usize,
    /// Welch one-sided p that effort fell.
    pub p_value: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Roi {
    pub settings: RoiSettings,
    pub agents: Vec<AgentEffort>,
    /// Editing hours in the last 7 days, and in the 7 before.
    pub hours_last_week: f64,
    pub hours_week_before: f64,
    pub deployments: Vec<Deployment>,
    /// Hours saved per week by deployed winners (effort drop × the agent's weekly volume).
    pub hours_saved_per_week: f64,
    /// Weeks until the entered spend is paid back by the time saved, when both are known.
    pub break_even_weeks: Option<f64>,
    /// Redline's own LLM usage from the audit log.
    pub llm_calls: u64,
    pub llm_input_tokens: u64,
    pub llm_output_tokens: u64,
    pub llm_cost: f64,
}

fn seconds(o: &Observation, per_word: f64) -> f64 {
    f64::from(o.edit_cost) * per_word
}

/// The estimate as of `now` (measuring what is not measured yet).
pub fn estimate(store: &Store, now: DateTime<Utc>) -> Result<Roi, StoreError> {
    let obs = analytics::observations(store, Some(window_start(now)), Some(now))?;
    estimate_from(store, now, &obs)
}

/// The estimate from the settlements measured already, and how many it had to leave out
/// (while another thread measures them).
pub fn estimate_measured(store: &Store, now: DateTime<Utc>) -> Result<(Roi, usize), StoreError> {
    let (obs, unmeasured) = analytics::measured_only(store, Some(window_start(now)), Some(now))?;
    Ok((estimate_from(store, now, &obs)?, unmeasured))
}

/// The earliest settlement an estimate reads: 12 weeks and the 28 days before them.
fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::weeks(12) - Duration::days(28)
}

fn estimate_from(
    store: &Store,
    now: DateTime<Utc>,
    obs: &[Observation],
) -> Result<Roi, StoreError> {
    let cfg = settings(store)?;
    let start = now - Duration::weeks(12);
    let per_word = cfg.seconds_per_word;
    let mut by_agent: BTreeMap<&str, Vec<&Observation>> = BTreeMap::new();
    for o in obs {
        by_agent.entry(o.agent.as_str()).or_default().push(o);
    }
    let week_of = |at: DateTime<Utc>| ((at - start).num_seconds() as f64 / 604_800.0).floor();
    let mut agents = Vec::new();
    for (agent, list) in &by_agent {
        let mut weekly = vec![0.0; 12];
        for o in list.iter().filter(|o| o.at > start) {
            let w = week_of(o.at) as usize;
            if w < 12 {
                weekly[w] += seconds(o, per_word) / 60.0;
            }
        }
        let xs: Vec<f64> = (0..12).map(f64::from).collect();
        let recent: Vec<f64> = list
            .iter()
            .filter(|o| o.at > now - Duration::days(28))
            .map(|o| seconds(o, per_word))
            .collect();
        agents.push(AgentEffort {
            agent: agent.to_string(),
            trend: stats::ols_slope(&xs, &weekly),
            weekly_minutes: weekly,
            seconds_per_settlement: (!recent.is_empty())
                .then(|| recent.iter().sum::<f64>() / recent.len() as f64),
        });
    }
    let hours = |from: DateTime<Utc>, to: DateTime<Utc>| {
        obs.iter()
            .filter(|o| o.at > from && o.at <= to)
            .map(|o| seconds(o, per_word))
            .sum::<f64>()
            / 3600.0
    };
    let mut deployments = Vec::new();
    let mut saved = 0.0;
    for e in experiments::list(store)?
        .into_iter()
        .filter(|e| e.status == Status::WinnerDeployed)
    {
        let Some(at) = e.deployed else { continue };
        let mut before = Vec::new();
        let mut after = Vec::new();
        store.scan(
            Some(at - Duration::days(28)),
            Some(at + Duration::days(28)),
            |s| {
                if s.agent.as_str() == e.agent {
                    let o = analytics::observe(&s);
                    if s.created_at <= at {
                        before.push(seconds(&o, per_word));
                    } else {
                        after.push(seconds(&o, per_word));
                    }
                }
            },
        )?;
        let m = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        if let (Some(b), Some(a)) = (m(&before), m(&after)) {
            // Settlements per week after deployment × seconds saved each.
            let days_after = (now.min(at + Duration::days(28)) - at).num_days().max(1) as f64;
            saved += ((b - a) * after.len() as f64 * 7.0 / days_after / 3600.0).max(0.0);
        }
        deployments.push(Deployment {
            experiment: e.id.clone(),
            agent: e.agent.clone(),
            deployed: at,
            before: m(&before),
            after: m(&after),
            n_before: before.len(),
            n_after: after.len(),
            p_value: stats::welch_greater(&before, &after),
        });
    }
    // The one-off spend is paid back by the value of the hours saved, net of the extra
    // recurring API spend (a month is 52/12 weeks).
    let net_per_week = saved * cfg.hourly_rate - cfg.monthly_api_cost * 12.0 / 52.0;
    let break_even_weeks =
        (cfg.fine_tuning_cost > 0.0 && cfg.hourly_rate > 0.0 && net_per_week > 0.0)
            .then(|| cfg.fine_tuning_cost / net_per_week);
    let (mut calls, mut input, mut output) = (0, 0, 0);
    for entry in audit::entries(store, 100_000)?
        .iter()
        .filter(|e| e.action == "llm")
    {
        calls += entry.data["calls"].as_u64().unwrap_or(0);
        input += entry.data["input_tokens"].as_u64().unwrap_or(0);
        output += entry.data["output_tokens"].as_u64().unwrap_or(0);
    }
    Ok(Roi {
        hours_last_week: hours(now - Duration::days(7), now),
        hours_week_before: hours(now - Duration::days(14), now - Duration::days(7)),
        agents,
        deployments,
        hours_saved_per_week: saved,
        break_even_weeks,
        llm_calls: calls,
        llm_input_tokens: input,
        llm_output_tokens: output,
        llm_cost: input as f64 / 1e6 * cfg.price_input_per_mtok
            + output as f64 / 1e6 * cfg.price_output_per_mtok,
        settings: cfg,
    })
}
