//! auto_detect_regression: the design's three triggers, each with its evidence.
//!
//! - **Drop / below the bar** — the analytics alerts ([`crate::analytics::alerts`]): the last 7
//!   days more than 10 points below the 30 before (one-sided Welch p < 0.01), or the 30-day
//!   mean below the bar with its whole interval.
//! - **Emerging failure pattern** — a phrase of two words or more people deleted (or added) in at least 20% of the
//!   agent's settlements of the last 7 days (and at least 5 times), against its rate in the
//!   30 days before: the rise must be at least 20 points with a one-sided two-proportion test
//!   p < 0.01. "Deleted" in the earlier window means the AI output contained the phrase and the
//!   final version did not (for an added phrase, the reverse).
//! - **Complaints increase** — the share of settlements rewritten or rejected
//!   ([`crate::patterns::Category::Rewritten`]) in the last 7 days at least 10 points above the
//!   30 before, with a one-sided two-proportion test p < 0.01 and at least 10 recent settlements.

use crate::analytics;
use crate::curation::contains_phrase;
use crate::model::Settlement;
use crate::patterns::{self, AgentPatterns, Category};
use crate::stats::ab;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

/// The significance level of the pattern and rejection rules.
pub const ALPHA: f64 = 0.01;
/// The least rise of a phrase's rate, and its least recent rate.
pub const PATTERN_RISE: f64 = 0.20;
pub const PATTERN_MIN_HITS: usize = 5;
/// The least rise of the rewritten-or-rejected share.
pub const REJECTION_RISE: f64 = 0.10;
pub const MIN_RECENT: usize = 10;

/// One thing that needs attention.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// `stale` (no new data: for all agents, `agent` empty), `drop`, `below_bar`,
    /// `emerging_pattern` or `rejections_rising`.
    pub kind: &'static str,
    pub agent: String,
    /// One sentence with the evidence.
    pub message: String,
    pub evidence: serde_json::Value,
    /// Example settlement ids.
    pub examples: Vec<String>,
}

fn one_sided(k_recent: usize, n_recent: usize, k_base: usize, n_base: usize) -> f64 {
    match ab::two_proportion(k_base, n_base, k_recent, n_recent) {
        Some((z, p)) if z > 0.0 => p / 2.0,
        Some((_, p)) => 1.0 - p / 2.0,
        None => 1.0,
    }
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn p_text(p: f64) -> String {
    crate::experiments::p_text(p)
}

/// The settlements of the last 7 days and of the 30 before them, by agent.
type Windows = BTreeMap<String, (Vec<Settlement>, Vec<Settlement>)>;

fn windows(store: &Store, now: DateTime<Utc>) -> Result<Windows, StoreError> {
    let split = now - Duration::days(7);
    let mut out: Windows = BTreeMap::new();
    store.scan(Some(now - Duration::days(37)), Some(now), |s| {
        let w = out.entry(s.agent.as_str().to_owned()).or_default();
        if s.created_at > split {
            w.0.push(s);
        } else {
            w.1.push(s);
        }
    })?;
    Ok(out)
}

fn group<'a>(report: &'a patterns::Report, agent: &str) -> Option<&'a AgentPatterns> {
    report.agents.iter().find(|a| a.agent == agent)
}

/// Phrases whose rate rose sharply in the last 7 days.
fn emerging(
    agent: &str,
    recent: &[Settlement],
    base: &[Settlement],
    p: &AgentPatterns,
) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    let lists = [("deleted", &p.deleted), ("added", &p.added)];
    for (what, phrases) in lists {
        for phrase in phrases.iter().take(30) {
            let rate = phrase.hits as f64 / recent.len() as f64;
            if phrase.words < 2 || phrase.hits < PATTERN_MIN_HITS || rate < PATTERN_RISE {
                continue;
            }
            if out.iter().any(|f| {
                let t = f.evidence["phrase"].as_str().unwrap_or("");
                t.contains(phrase.text.as_str()) || phrase.text.contains(t)
            }) {
                continue;
            }
            let base_hits = base
                .iter()
                .filter(|s| {
                    let (from, to) = if what == "deleted" {
                        (&s.ai_output, &s.final_output)
                    } else {
                        (&s.final_output, &s.ai_output)
                    };
                    contains_phrase(from, &phrase.text) && !contains_phrase(to, &phrase.text)
                })
                .count();
            let base_rate = if base.is_empty() {
                0.0
            } else {
                base_hits as f64 / base.len() as f64
            };
            let p_value = one_sided(phrase.hits, recent.len(), base_hits, base.len());
            if rate - base_rate < PATTERN_RISE || p_value >= ALPHA {
                continue;
            }
            out.push(Finding {
                kind: "emerging_pattern",
                agent: agent.to_owned(),
                message: format!(
                    "{agent}: a new pattern — people {what} “{}” in {} of the last 7 days' settlements ({} of {}), against {} in the 30 days before ({} of {}); {}.",
                    phrase.text,
                    pct(rate),
                    phrase.hits,
                    recent.len(),
                    pct(base_rate),
                    base_hits,
                    base.len(),
                    p_text(p_value)
                ),
                evidence: json!({"phrase": phrase.text, "edit": what, "recent_hits": phrase.hits,
                    "recent_n": recent.len(), "baseline_hits": base_hits, "baseline_n": base.len(),
                    "p_value": p_value}),
                examples: phrase.examples.clone(),
            });
        }
    }
    out
}

fn rejections(
    agent: &str,
    recent: &AgentPatterns,
    base: Option<&AgentPatterns>,
) -> Option<Finding> {
    let count = |g: &AgentPatterns| g.categories.get(&Category::Rewritten).copied().unwrap_or(0);
    let (k_r, n_r) = (count(recent), recent.settlements);
    let (k_b, n_b) = base.map_or((0, 0), |b| (count(b), b.settlements));
    if n_r < MIN_RECENT || n_b == 0 {
        return None;
    }
    let (r, b) = (k_r as f64 / n_r as f64, k_b as f64 / n_b as f64);
    let p_value = one_sided(k_r, n_r, k_b, n_b);
    (r - b >= REJECTION_RISE && p_value < ALPHA).then(|| Finding {
        kind: "rejections_rising",
        agent: agent.to_owned(),
        message: format!(
            "{agent}: more drafts are rewritten or rejected — {} of the last 7 days' settlements ({k_r} of {n_r}) against {} in the 30 days before ({k_b} of {n_b}); {}.",
            pct(r),
            pct(b),
            p_text(p_value)
        ),
        evidence: json!({"recent": k_r, "recent_n": n_r, "baseline": k_b, "baseline_n": n_b, "p_value": p_value}),
        examples: Vec::new(),
    })
}

/// Run every trigger for every agent as of `now`.
/// A stopped diff logger (or a laptop offline) is itself a failure: with no new settlement
/// for [`analytics::STALE_DAYS`] days, one finding says so, since every recent window is then
/// empty and would otherwise say "nothing needs attention".
fn stale(store: &Store, now: DateTime<Utc>) -> Result<Option<Finding>, StoreError> {
    let all = analytics::observations(store, None, Some(now))?;
    let f = analytics::freshness(&all, None, now, now);
    Ok(match (f.newest, f.days_old) {
        (Some(newest), Some(days)) if f.stale => Some(Finding {
            kind: "stale",
            agent: String::new(),
            message: format!(
                "No new settlements for {days} days (the newest is from {}): is the diff logger running, and has the store synced? The recent windows are empty for want of data; `redline summary --as-of newest` shows the figures up to the newest settlement.",
                newest.format("%Y-%m-%d")
            ),
            evidence: serde_json::json!({"newest": newest, "days_old": days}),
            examples: Vec::new(),
        }),
        _ => None,
    })
}

pub fn auto_detect_regression(
    store: &Store,
    now: DateTime<Utc>,
) -> Result<Vec<Finding>, StoreError> {
    let bar = analytics::threshold(store)?;
    let mut out: Vec<Finding> = stale(store, now)?.into_iter().collect();
    let observations = analytics::observations(store, Some(now - Duration::days(37)), Some(now))?;
    out.extend(
        analytics::alerts(&observations, now, bar)
            .into_iter()
            .map(|a| Finding {
                kind: match a {
                    analytics::Alert::Drop { .. } => "drop",
                    analytics::Alert::BelowBar { .. } => "below_bar",
                },
                agent: a.agent().to_owned(),
                message: a.describe(),
                evidence: serde_json::to_value(&a).unwrap_or_default(),
                examples: Vec::new(),
            }),
    );
    let windows = windows(store, now)?;
    let recent: Vec<Settlement> = windows.values().flat_map(|w| w.0.iter().cloned()).collect();
    let base: Vec<Settlement> = windows.values().flat_map(|w| w.1.iter().cloned()).collect();
    let (recent_report, base_report) = (patterns::mine_slice(&recent), patterns::mine_slice(&base));
    for (agent, (r, b)) in &windows {
        if r.len() < MIN_RECENT {
            continue;
        }
        let Some(rp) = group(&recent_report, agent) else {
            continue;
        };
        out.extend(emerging(agent, r, b, rp));
        out.extend(rejections(agent, rp, group(&base_report, agent)));
    }
    Ok(out)
}
