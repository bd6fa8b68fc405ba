//! Agent performance: per-settlement measures ([`observe`]) and per-agent summaries over a
//! time range ([`summarize`]). Pure: settlements in, report out. The definitions, with
//! formulas, are in docs/metrics.md.
//!
//! Status: the acceptance and edit-cost measures and the per-agent summary (means with 95%
//! intervals, share accepted, median edit cost, week over week, best and worst intent types,
//! processing time, error rate) and the regression alerts (see [`alerts`](alerts::alerts)
//! for the rule). Trends with significance, agent comparison and the dashboard come next.

mod alerts;
mod cache;
mod compare;
mod summary;

pub use alerts::{alerts, Alert};
pub use cache::observations;
pub use compare::{compare, quartiles, Comparison, Contrast, Quartiles};

pub use summary::{
    summarize, AgentSummary, DayStat, GroupTest, IntentStat, Range, Summary, Trend, WeekOverWeek,
    WeekPoint,
};

use crate::diff::{self, SpanKind};
use crate::model::Settlement;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// "Accepted" means an acceptance of at least this (the design's 70% bar).
pub const DEFAULT_ACCEPT_THRESHOLD: f64 = 0.7;

/// What one settlement contributes to the statistics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub agent: String,
    pub intent_type: String,
    pub at: DateTime<Utc>,
    /// The source's acceptance rate when it gave one, else the share of AI words kept.
    pub acceptance: f64,
    /// Whether `acceptance` is the source's rate (true) or computed from the texts (false).
    pub acceptance_from_source: bool,
    /// Word-level edit distance between the AI output and the final version.
    pub edit_cost: u32,
    /// `edit_cost` divided by the longer text's word count (0 = untouched, 1 = all changed).
    pub edit_cost_norm: f64,
    pub processing_ms: Option<u64>,
    pub error: Option<bool>,
}

/// Measure one settlement.
pub fn observe(s: &Settlement) -> Observation {
    let spans = diff::word_diff(&s.ai_output, &s.final_output);
    let counts = diff::counts_of(&spans);
    let words = |t: &str| {
        diff::tokens(t)
            .into_iter()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .count()
    };
    // Each run of changes (a deletion and/or an insertion) costs as many word edits as its
    // longer side: substitutions first, then plain deletions or insertions.
    let mut cost = 0usize;
    let mut i = 0;
    while i < spans.len() {
        match spans[i].kind {
            SpanKind::Equal => i += 1,
            SpanKind::Delete => {
                let deleted = words(&spans[i].text);
                let inserted = match spans.get(i + 1) {
                    Some(next) if next.kind == SpanKind::Insert => {
                        i += 1;
                        words(&next.text)
                    }
                    _ => 0,
                };
                cost += deleted.max(inserted);
                i += 1;
            }
            SpanKind::Insert => {
                cost += words(&spans[i].text);
                i += 1;
            }
        }
    }
    let longer = counts.old_words.max(counts.new_words).max(1);
    let (acceptance, from_source) = match s.acceptance_rate {
        Some(a) => (a.get(), true),
        None => (counts.kept_share(), false),
    };
    Observation {
        agent: s.agent.as_str().to_owned(),
        intent_type: s.intent_type.to_string(),
        at: s.created_at,
        acceptance,
        acceptance_from_source: from_source,
        edit_cost: cost as u32,
        edit_cost_norm: (cost as f64 / longer as f64).min(1.0),
        processing_ms: s.processing_ms,
        error: s.error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    pub(crate) fn settlement(ai: &str, fin: &str, rate: Option<f64>) -> Settlement {
        Settlement {
            id: SettlementId::new("x").unwrap(),
            agent: AgentName::new("A").unwrap(),
            intent_type: IntentType::new("strategic"),
            intent: String::new(),
            system_prompt: None,
            ai_output: ai.into(),
            final_output: fin.into(),
            created_at: chrono::Utc::now(),
            acceptance_rate: rate.map(|r| Acceptance::new(r).unwrap()),
            prompt_version: None,
            processing_ms: None,
            error: None,
            source: Source {
                kind: SourceKind::Import,
                id: "t".into(),
                last_edited: None,
            },
        }
    }

    #[test]
    fn edit_cost_by_hand() {
        // "utilize" → "use" is one substitution; "Let me help." deleted is 3 words.
        let o = observe(&settlement(
            "Let me help. We utilize the tool.",
            "We use the tool.",
            None,
        ));
        assert_eq!(o.edit_cost, 4);
        // 7 AI words, 3 kept ("We", "the", "tool").
        assert!((o.acceptance - 3.0 / 7.0).abs() < 1e-9);
        assert!(!o.acceptance_from_source);
        assert!((o.edit_cost_norm - 4.0 / 7.0).abs() < 1e-9);
        let same = observe(&settlement("Same words.", "Same words.", Some(0.9)));
        assert_eq!((same.edit_cost, same.edit_cost_norm), (0, 0.0));
        assert_eq!(same.acceptance, 0.9);
        assert!(same.acceptance_from_source);
        let added = observe(&settlement("", "Three new words", None));
        assert_eq!((added.edit_cost, added.acceptance), (3, 0.0));
    }
}
