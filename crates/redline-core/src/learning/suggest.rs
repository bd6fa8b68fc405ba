//! suggest_experiments: concrete proposals from the data, each one click away from a prompt
//! version and an A/B test — the rule to add, the candidate prompt (the agent's active prompt
//! with the rule) and the evidence.
//!
//! Two sources:
//! - **A weak intent type**: over the last 30 days, an agent's mean acceptance on one intent
//!   type at least 10 points below its other types (each side ≥ 10 settlements, one-sided Welch
//!   p < 0.01). The rule comes from the offline variants mined from that intent type's
//!   settlements alone ("The Auditor shows 21 points lower acceptance on operational intents.
//!   Test adding …").
//! - **A finding** of [`super::detect`]: for a drop, a low agent or a rising rejection share,
//!   the agent's strongest offline variant over the last 30 days; for an emerging pattern, a
//!   rule against (or for) that phrase.

use super::detect::Finding;
use crate::analytics::{self, Observation};
use crate::experiments::variants;
use crate::patterns;
use crate::prompts;
use crate::stats;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The least gap between an intent type and the agent's others.
pub const INTENT_GAP: f64 = 0.10;
pub const MIN_N: usize = 10;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub agent: String,
    /// One sentence: what the data shows and what to test.
    pub title: String,
    /// The rules to add to the prompt.
    pub rules: Vec<String>,
    /// The active prompt with the rules, ready to become version B; `None` when the agent has
    /// no prompt in the registry yet.
    pub candidate: Option<String>,
    /// The active version the candidate builds on (variant A).
    pub base_version: Option<u32>,
    /// Evidence sentences.
    pub evidence: Vec<String>,
    pub examples: Vec<String>,
}

fn compose(current: Option<&prompts::PromptVersion>, rules: &[String]) -> Option<String> {
    Some(variants::compose(&current?.text, rules))
}

/// Suggestions made earlier, with their candidates rebuilt on each agent's active prompt now
/// (a prompt adopted or deployed since then is the one a test would start from).
pub fn on_current_prompts(store: &Store, suggestions: Vec<Suggestion>) -> Vec<Suggestion> {
    suggestions
        .into_iter()
        .map(|mut s| {
            let current = prompts::active(store, &s.agent).ok().flatten();
            s.candidate = compose(current.as_ref(), &s.rules);
            s.base_version = current.map(|c| c.version);
            s
        })
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Every suggestion as of `now`, given the current findings.
pub fn suggest_experiments(
    store: &Store,
    now: DateTime<Utc>,
    findings: &[Finding],
) -> Result<Vec<Suggestion>, StoreError> {
    let from = now - Duration::days(30);
    let observations: Vec<Observation> = analytics::observations(store, Some(from), Some(now))?;
    let mut by_agent: BTreeMap<&str, Vec<&Observation>> = BTreeMap::new();
    for o in &observations {
        by_agent.entry(o.agent.as_str()).or_default().push(o);
    }
    let mut out = Vec::new();
    let active = |agent: &str| prompts::active(store, agent).ok().flatten();
    for (agent, obs) in &by_agent {
        let mut kinds: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for o in obs {
            kinds
                .entry(o.intent_type.as_str())
                .or_default()
                .push(o.acceptance);
        }
        // The weakest intent type that clears the rule.
        let mut weakest: Option<(&str, f64, f64, f64)> = None;
        for (kind, values) in &kinds {
            if kind.is_empty() || values.len() < MIN_N {
                continue;
            }
            let others: Vec<f64> = obs
                .iter()
                .filter(|o| o.intent_type != *kind)
                .map(|o| o.acceptance)
                .collect();
            if others.len() < MIN_N {
                continue;
            }
            let gap = mean(&others) - mean(values);
            let p = stats::welch_greater(&others, values).unwrap_or(1.0);
            if gap >= INTENT_GAP && p < 0.01 && weakest.is_none_or(|w| gap > w.1) {
                weakest = Some((kind, gap, p, mean(values)));
            }
        }
        let Some((kind, gap, p, m)) = weakest else {
            continue;
        };
        let mut settlements = Vec::new();
        store.scan(Some(from), Some(now), |s| {
            if s.agent.as_str() == *agent && s.intent_type.as_str() == kind {
                settlements.push(s);
            }
        })?;
        let report = patterns::mine_slice(&settlements);
        let unreplayed = variants::Check::Unchecked(
            "a suggestion from the last 30 days; Experiments → variants replays its rules".into(),
        );
        let Some(group) = report.agents.iter().find(|a| a.agent == *agent) else {
            continue;
        };
        let (found, _) = variants::offline("", group, &unreplayed);
        let Some(first) = found.first() else {
            continue;
        };
        let current = active(agent);
        out.push(Suggestion {
            agent: agent.to_string(),
            title: format!(
                "{agent} shows {:.0} points lower acceptance on {kind} intents ({:.0}% against {:.0}% on its other intents). Test adding “{}” to the prompt.",
                gap * 100.0,
                m * 100.0,
                (m + gap) * 100.0,
                first.rules[0]
            ),
            rules: first.rules.clone(),
            candidate: compose(current.as_ref(), &first.rules),
            base_version: current.map(|c| c.version),
            evidence: std::iter::once(format!(
                "30 days, {kind}: n = {}, one-sided Welch {}",
                kinds[kind].len(),
                crate::experiments::p_text(p)
            ))
            .chain(first.evidence.iter().map(|e| e.text.clone()))
            .collect(),
            examples: first
                .evidence
                .iter()
                .flat_map(|e| e.examples.iter().cloned())
                .take(5)
                .collect(),
        });
    }
    // From the findings: one suggestion per agent and kind of finding.
    let mut seen = std::collections::BTreeSet::new();
    for f in findings {
        if !seen.insert((f.agent.clone(), f.kind)) {
            continue;
        }
        let (rules, evidence, examples) = if f.kind == "emerging_pattern" {
            let phrase = f.evidence["phrase"].as_str().unwrap_or_default();
            let rule = if f.evidence["edit"] == "deleted" {
                format!("Leave out “{phrase}”.")
            } else {
                format!("Where it fits the request, include “{phrase}”.")
            };
            (vec![rule], vec![f.message.clone()], f.examples.clone())
        } else {
            let mut recent = Vec::new();
            store.scan(Some(from), Some(now), |s| {
                if s.agent.as_str() == f.agent {
                    recent.push(s);
                }
            })?;
            let report = patterns::mine_slice(&recent);
            let unreplayed = variants::Check::Unchecked(
                "a suggestion from the last 30 days; Experiments → variants replays its rules"
                    .into(),
            );
            let Some(group) = report.agents.iter().find(|a| a.agent == f.agent) else {
                continue;
            };
            let (found, _) = variants::offline("", group, &unreplayed);
            let Some(first) = found.first() else {
                continue;
            };
            (
                first.rules.clone(),
                std::iter::once(f.message.clone())
                    .chain(first.evidence.iter().map(|e| e.text.clone()))
                    .collect(),
                first
                    .evidence
                    .iter()
                    .flat_map(|e| e.examples.iter().cloned())
                    .take(5)
                    .collect(),
            )
        };
        // One suggestion per agent and rule (a drop and a low bar lead to the same change).
        if out
            .iter()
            .any(|s: &Suggestion| s.agent == f.agent && s.rules.first() == rules.first())
        {
            continue;
        }
        let current = active(&f.agent);
        out.push(Suggestion {
            agent: f.agent.clone(),
            title: format!(
                "{}. Test adding “{}” to the prompt.",
                f.message.trim_end_matches('.'),
                rules[0]
            ),
            candidate: compose(current.as_ref(), &rules),
            base_version: current.map(|c| c.version),
            rules,
            evidence,
            examples,
        });
    }
    Ok(out)
}
