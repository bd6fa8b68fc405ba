//! auto_detect_regression: the design's three triggers, each with its evidence.
//!
//! - **Drop / below the bar** — the analytics alerts ([`crate::analytics::alerts`]): the last 7
//!   days more than 10 points below the 30 before (one-sided Welch p < 0.01), or the 30-day
//!   mean below the bar with its whole interval.
//! - **Emerging failure pattern** — the last 7 days are split in two halves by a hash of the
//!   settlement id. Phrases of two words or more are *found* on one half (mined; deleted or
//!   added in at least 20% of it) and *tested* on the other against the 30 days before, with
//!   one measure in both windows: "deleted" means the AI output contains the phrase and the
//!   final version does not (for an added phrase, the reverse). A phrase holds when the test
//!   half shows it at least 5 times, at least 20 points above the baseline, with a one-sided
//!   two-proportion test whose Benjamini–Hochberg q-value across every phrase tested (all
//!   agents) is under 1%.
//! - **Complaints increase** — the share of settlements rewritten or rejected
//!   ([`crate::patterns::Category::Rewritten`]) in the last 7 days at least 10 points above the
//!   30 before, with a one-sided two-proportion test p < 0.01 and at least 10 recent settlements.

use crate::analytics;
use crate::curation::{holds_phrase, lower_words};
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
/// The false discovery rate of emerging patterns across every phrase tested.
pub const PATTERN_FDR: f64 = 0.01;
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

/// The lower-cased words of a settlement's two sides, computed once for every phrase tested.
struct Sides {
    ai: Vec<String>,
    fin: Vec<String>,
}

impl Sides {
    fn of(s: &Settlement) -> Sides {
        Sides {
            ai: lower_words(&s.ai_output),
            fin: lower_words(&s.final_output),
        }
    }

    /// The edit the emerging-pattern rule counts, the same in every window: for a deleted
    /// phrase, the AI output holds it and the final version does not (the reverse for an added
    /// one).
    fn shows(&self, what: &str, phrase: &[String]) -> bool {
        let (from, to) = if what == "deleted" {
            (&self.ai, &self.fin)
        } else {
            (&self.fin, &self.ai)
        };
        holds_phrase(from, phrase) && !holds_phrase(to, phrase)
    }
}

/// Which half of the recent window a settlement falls in: the phrases are found on one half
/// and tested on the other, so the test does not reuse the data that chose them.
fn in_selection_half(s: &Settlement) -> bool {
    crate::hash::mix(crate::hash::fnv1a_parts([s.id.as_str().as_bytes()])) & 1 == 0
}

/// One phrase found on an agent's selection half and measured on its test half and baseline.
struct Candidate {
    agent: String,
    what: &'static str,
    text: String,
    examples: Vec<String>,
    test_hits: usize,
    test_n: usize,
    base_hits: usize,
    base_n: usize,
    p_value: f64,
}

/// The phrases each agent's selection half suggests (up to 30 deleted and 30 added phrases of
/// two words or more, deleted in at least [`PATTERN_RISE`] of that half), each measured on the
/// test half and in the baseline with the same rule ([`Sides::shows`]).
fn emerging_candidates(
    agent: &str,
    test: &[&Settlement],
    base: &[Settlement],
    selection: &AgentPatterns,
) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let lists = [("deleted", &selection.deleted), ("added", &selection.added)];
    let chosen: Vec<(&'static str, &patterns::Phrase)> = lists
        .into_iter()
        .flat_map(|(what, phrases)| phrases.iter().take(30).map(move |p| (what, p)))
        .filter(|(_, p)| {
            p.words >= 2
                && p.hits * 2 >= PATTERN_MIN_HITS
                && p.hits as f64 >= PATTERN_RISE * selection.settlements as f64
        })
        .collect();
    if chosen.is_empty() || test.is_empty() {
        return out;
    }
    let (test_sides, base_sides): (Vec<Sides>, Vec<Sides>) = (
        test.iter().map(|s| Sides::of(s)).collect(),
        base.iter().map(Sides::of).collect(),
    );
    for (what, phrase) in chosen {
        if out.iter().any(|c| {
            c.what == what
                && (c.text.contains(phrase.text.as_str()) || phrase.text.contains(&c.text))
        }) {
            continue;
        }
        let words = lower_words(&phrase.text);
        let count = |sides: &[Sides]| sides.iter().filter(|s| s.shows(what, &words)).count();
        let (test_hits, base_hits) = (count(&test_sides), count(&base_sides));
        out.push(Candidate {
            agent: agent.to_owned(),
            what,
            text: phrase.text.clone(),
            examples: phrase.examples.clone(),
            test_hits,
            test_n: test.len(),
            base_hits,
            base_n: base.len(),
            p_value: one_sided(test_hits, test.len(), base_hits, base.len()),
        });
    }
    out
}

/// The candidates that hold: a rise of at least [`PATTERN_RISE`] on the test half, at least
/// [`PATTERN_MIN_HITS`] there, and a Benjamini–Hochberg q-value under [`PATTERN_FDR`] across
/// every phrase tested for every agent.
fn emerging(candidates: Vec<Candidate>) -> Vec<Finding> {
    let tested = candidates.len();
    let q = patterns::benjamini_hochberg(&candidates.iter().map(|c| c.p_value).collect::<Vec<_>>());
    candidates
        .into_iter()
        .zip(q)
        .filter_map(|(c, q)| {
            let rate = c.test_hits as f64 / c.test_n.max(1) as f64;
            let base_rate = c.base_hits as f64 / c.base_n.max(1) as f64;
            if c.test_hits < PATTERN_MIN_HITS || rate - base_rate < PATTERN_RISE || q >= PATTERN_FDR {
                return None;
            }
            let Candidate { agent, what, text, examples, test_hits, test_n, base_hits, base_n, p_value } = c;
            Some(Finding {
                kind: "emerging_pattern",
                message: format!(
                    "{agent}: a new pattern — people {what} “{text}” in {} of the last 7 days' settlements ({test_hits} of {test_n}, the half not used to find it), against {} in the 30 days before ({base_hits} of {base_n}); q {} over {tested} phrases tested.",
                    pct(rate),
                    pct(base_rate),
                    if q < 1e-4 { "< 0.0001".to_owned() } else { format!("= {q:.4}") },
                ),
                evidence: json!({"phrase": text, "edit": what, "recent_hits": test_hits,
                    "recent_n": test_n, "baseline_hits": base_hits, "baseline_n": base_n,
                    "p_value": p_value, "q_value": q, "tested": tested}),
                examples,
                agent,
            })
        })
        .collect()
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
    let selection: Vec<Settlement> = windows
        .values()
        .flat_map(|w| w.0.iter().filter(|s| in_selection_half(s)).cloned())
        .collect();
    // The two windows are mined from the store, so each settlement's stored analysis is read
    // back instead of diffing it again on every check (the selection half is not a time range,
    // and is small). One agent at a time: a miner holds its settlements' n-gram counts, and
    // all agents' at once were most of the launch check's memory (~460 MB of heap on 100k long
    // documents, docs/benchmarks.md); an agent's report is the same mined alone.
    let split = now - Duration::days(7);
    let window = |agent: &str, from: DateTime<Utc>, to: DateTime<Utc>| {
        crate::mining::mine_store(
            store,
            &patterns::Scope {
                agent: Some(agent.to_owned()),
                from: Some(from),
                to: Some(to),
                ..Default::default()
            },
        )
    };
    let selection_report = patterns::mine_slice(&selection);
    let mut candidates = Vec::new();
    for (agent, (r, b)) in &windows {
        if r.len() < MIN_RECENT {
            continue;
        }
        if let Some(sp) = group(&selection_report, agent) {
            let test: Vec<&Settlement> = r.iter().filter(|s| !in_selection_half(s)).collect();
            candidates.extend(emerging_candidates(agent, &test, b, sp));
        }
        let recent_report = window(agent, split + Duration::nanoseconds(1), now)?;
        if let Some(rp) = group(&recent_report, agent) {
            let base_report = window(agent, now - Duration::days(37), split)?;
            out.extend(rejections(agent, rp, group(&base_report, agent)));
        }
    }
    out.extend(emerging(candidates));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(text: &str, p_value: f64) -> Candidate {
        Candidate {
            agent: "A".into(),
            what: "deleted",
            text: text.into(),
            examples: Vec::new(),
            test_hits: 10,
            test_n: 20,
            base_hits: 2,
            base_n: 40,
            p_value,
        }
    }

    #[test]
    fn chance_p_values_among_many_phrases_do_not_pass_but_a_strong_one_does() {
        // 200 phrases tested: two at p = 0.005 (under 1% alone) are what chance gives among so
        // many; one at p = 1e-6 is not.
        let mut all = vec![candidate("strong one", 1e-6)];
        all.push(candidate("chance one", 0.005));
        all.push(candidate("chance two", 0.005));
        all.extend((0..197).map(|i| candidate(&format!("noise {i}"), 0.5)));
        let found = emerging(all);
        let phrases: Vec<&str> = found
            .iter()
            .filter_map(|f| f.evidence["phrase"].as_str())
            .collect();
        assert_eq!(phrases, ["strong one"]);
        assert_eq!(found[0].evidence["tested"], 200);
        assert!(
            found[0].message.contains("over 200 phrases tested"),
            "{}",
            found[0].message
        );
        // Alone, the same p = 0.005 passes.
        assert_eq!(emerging(vec![candidate("alone", 0.005)]).len(), 1);
    }
}
