//! Agent performance: per-settlement measures ([`observe`]) and per-agent summaries over a
//! time range ([`summarize`]: means with 95% intervals, share accepted, edit cost, week over
//! week, trends, intent types, weekday patterns, freshness), system figures (`kpi`), agent
//! comparison (`compare`), regression alerts ([`alerts`](alerts::alerts)) and the stored
//! records of what needs attention (`watch`). The computations are pure (observations in,
//! report out); the measures cache (`cache`: [`observations`]) and `watch` read and write the
//! store. The definitions,
//! with formulas, are in docs/metrics.md.

mod alerts;
mod cache;
mod compare;
mod kpi;
mod summary;
mod watch;

pub use alerts::{alerts, Alert, ALPHA, BAR, DROP, MIN_N};
pub use cache::{measure_missing, measured_only, observations};
pub use compare::{compare, quartiles, Comparison, Contrast, Quartiles};
pub use kpi::{satisfaction, DataQuality, Goal, Readiness, System, GOALS, READY_MIN};
pub use watch::{
    acknowledge, alert_records, reconcile, save_records, set_threshold, threshold, AlertRecord,
    Raised, ThresholdError,
};

/// The time of the newest settlement in the store (for a range "as of the newest").
pub fn newest(
    store: &crate::store::Store,
) -> Result<Option<DateTime<Utc>>, crate::store::StoreError> {
    Ok(observations(store, None, None)?.iter().map(|o| o.at).max())
}

pub use summary::{
    freshness, summarize, AgentSummary, DayStat, Freshness, GroupTest, IntentStat, Range,
    Seasonality, Summary, Trend, WeekOverWeek, WeekPoint, STALE_DAYS,
};

use crate::diff;
use crate::model::Settlement;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// "Accepted" means an acceptance of at least this (the design's 70% bar).
pub use crate::settings::DEFAULT_ACCEPT_THRESHOLD;

/// What one settlement contributes to the statistics.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
    /// Data-quality problems of the record ([`quality`] flags, OR-ed).
    pub quality: u8,
    /// A hash of agent, AI output and final version: equal hashes are duplicate records.
    pub content: u64,
}

/// Data-quality flags of one settlement (see docs/metrics.md, "Data quality").
pub mod quality {
    /// No intent type.
    pub const MISSING_FIELD: u8 = 1;
    /// The AI output or the final version is empty (blank).
    pub const EMPTY_TEXT: u8 = 2;
    /// The source's acceptance rate and the share of words kept differ by more than
    /// [`IMPLAUSIBLE_GAP`].
    pub const IMPLAUSIBLE_RATE: u8 = 4;
    /// How far a source rate may be from the words kept before it is implausible.
    pub const IMPLAUSIBLE_GAP: f64 = 0.5;
}

/// Measure one settlement (one diff of its texts).
pub fn observe(s: &Settlement) -> Observation {
    observation(
        s,
        &diff::word_edits(&diff::word_diff(&s.ai_output, &s.final_output)),
    )
}

/// The measures of settlement `s` whose diff gave `edits` (from a diff made now, or from its
/// stored analysis: [`crate::patterns::stored_edits`]).
pub fn observation(s: &Settlement, edits: &diff::WordEdits) -> Observation {
    let (counts, cost) = (edits.counts, edits.cost);
    let longer = counts.old_words.max(counts.new_words).max(1);
    let (acceptance, from_source) = match s.acceptance_rate {
        Some(a) => (a.get(), true),
        None => (counts.kept_share(), false),
    };
    let mut flags = 0;
    if s.intent_type.is_unknown() {
        flags |= quality::MISSING_FIELD;
    }
    if s.ai_output.trim().is_empty() || s.final_output.trim().is_empty() {
        flags |= quality::EMPTY_TEXT;
    }
    if from_source && (acceptance - counts.kept_share()).abs() > quality::IMPLAUSIBLE_GAP {
        flags |= quality::IMPLAUSIBLE_RATE;
    }
    Observation {
        agent: s.agent.as_str().to_owned(),
        intent_type: s.intent_type.to_string(),
        at: s.created_at,
        acceptance,
        acceptance_from_source: from_source,
        edit_cost: cost,
        edit_cost_norm: (f64::from(cost) / longer as f64).min(1.0),
        processing_ms: s.processing_ms,
        error: s.error,
        quality: flags,
        content: crate::hash::fnv1a_parts(
            [s.agent.as_str(), &s.ai_output, &s.final_output].map(str::as_bytes),
        ),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::*;

    pub(crate) fn settlement(ai: &str, fin: &str, rate: Option<f64>) -> Settlement {
        Settlement {
            intent_type: IntentType::new("strategic"),
            acceptance_rate: rate.map(|r| Acceptance::new(r).unwrap()),
            ..test_settlement("x", "A", ai, fin)
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

#[cfg(test)]
mod quality_tests {
    use super::tests::settlement;
    use super::*;
    use crate::model::IntentType;

    #[test]
    fn quality_flags_by_hand() {
        let clean = observe(&settlement("We use it.", "We use it.", Some(1.0)));
        assert_eq!(clean.quality, 0);
        let empty = observe(&settlement("Draft text.", "  ", None));
        assert_eq!(empty.quality, quality::EMPTY_TEXT);
        // A rate of 95% while nothing of the draft was kept is implausible.
        let odd = observe(&settlement("One two three.", "Four five six.", Some(0.95)));
        assert_eq!(odd.quality, quality::IMPLAUSIBLE_RATE);
        let mut s = settlement("Same.", "Same.", None);
        s.intent_type = IntentType::new("");
        assert_eq!(observe(&s).quality, quality::MISSING_FIELD);
        // Same agent and texts: same content hash; the texts' boundary matters.
        let a = observe(&settlement("ab", "c", None));
        let b = observe(&settlement("a", "bc", None));
        assert_ne!(a.content, b.content);
        assert_eq!(
            a.content,
            observe(&settlement("ab", "c", Some(0.1))).content
        );
    }
}
