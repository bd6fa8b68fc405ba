//! Edit pattern mining (the design's EditPatternAnalyzer and identify_improvement_opportunities):
//! what people systematically delete, add, replace and re-tone in an agent's outputs, and the
//! prompt changes that follow from it. Definitions and thresholds: docs/patterns.md.
//!
//! The settlements are read once, streamed in batches and spread over the cores:
//! 1. per settlement: the edit operations ([`ops::edit_ops`]), one Unicode segmentation of each
//!    text ([`tokens`]) shared by every measure, the word n-grams (1–8 words, never across a
//!    sentence boundary) of what was deleted and added, short replacements, tone features of
//!    both texts and a failure category — counted per agent and overall — and a compact copy
//!    of the AI output's words (hashes, with which were deleted) and of the added words;
//! 2. the frequent n-grams are merged into maximal phrases, then every compact AI output is
//!    searched for each phrase, to learn how often it appeared and in how many of those
//!    settlements people removed it (the design's "85% of edits remove this").
//!
//! [`Miner`] keeps that state, so settlements can later be taken in and out without mining
//! everything again; [`LiveMiner`] keeps a miner up to date with the store's change log.

mod category;
mod contexts;
mod miner;
pub mod ops;
mod phrases;
mod recommend;
pub mod replay;
pub mod taxonomy;
pub(crate) mod tokens;
pub mod tone;

use crate::job::{Cancel, Progress};
use crate::model::Settlement;
use crate::stats::{wilson, Estimate};
use category::*;
pub use category::{categorise, Category};
pub use contexts::{context_in, mine_slice, with_contexts};
#[cfg(test)]
pub(crate) use miner::edited;
pub(crate) use miner::{analyse_for_store, stored_edits};
pub use miner::{analyse_missing, Change, Heap, Miner, Updated};
use ops::{EditOp, OpKind};
use phrases::*;
pub(crate) use recommend::structure_advice;
use recommend::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use tokens::{IdMap, Tokens};
use tone::Features;
pub use tone::ToneShift;

/// The longest n-gram counted (longer phrases are found by merging overlapping ones).
pub const MAX_N: usize = 8;
/// Edit kinds of the taxonomy.
const KINDS: usize = taxonomy::EditKind::ALL.len();
/// A phrase must have been deleted (or added) in at least this many settlements.
pub const MIN_HITS: usize = 5;
/// Phrases kept per list.
pub const TOP: usize = 25;
/// The most frequent n-grams considered per list (the rest are rarer than all of these).
const MAX_CANDIDATES: usize = 2000;
/// Example settlements kept per pattern.
pub const EXAMPLES: usize = 5;
/// The label of the all-agents group.
pub const ALL_AGENTS: &str = "All agents";
/// An n-gram table that grows past this many entries drops its n-grams seen only once (lossy
/// counting): they only nominate candidates, whose figures the second pass counts exactly.
const PRUNE_AT: usize = 1 << 21;

/// Function words that say nothing on their own: one alone is never a deleted or added phrase
/// (see [`only_function_word`]). English, then German (articles in every case, pronouns,
/// prepositions, conjunctions, auxiliaries), then French and Spanish articles and
/// prepositions; a lone Han character is ruled out by [`crate::text::is_single_han`].
const STOPWORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "if", "then", "so", "of", "to", "in", "on", "at", "by",
    "for", "with", "from", "as", "is", "are", "was", "were", "be", "been", "being", "it", "its",
    "this", "that", "these", "those", "there", "here", "i", "me", "my", "we", "us", "our", "you",
    "your", "he", "she", "they", "them", "their", "his", "her", "not", "no", "do", "does", "did",
    "have", "has", "had", "will", "would", "can", "could", "should", "may", "might", "must",
    "shall", "what", "which", "who", "whom", "when", "where", "why", "how", "all", "any", "each",
    "some", "more", "most", "other", "such", "than", "too", "very", "just", "also", "only", "own",
    "same", "into", "over", "up", "out", "about", // German
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines",
    "und", "oder", "aber", "wenn", "dass", "als", "wie", "zu", "zum", "zur", "im", "ins", "am",
    "auf", "aus", "bei", "mit", "nach", "von", "vom", "vor", "für", "über", "unter", "durch",
    "gegen", "um", "ist", "sind", "war", "waren", "sein", "hat", "haben", "hatte", "wird",
    "werden", "wurde", "wurden", "kann", "können", "es", "er", "sie", "wir", "ich", "du", "ihr",
    "sich", "nicht", "kein", "keine", "auch", "noch", "nur", "sehr", "dies", "diese", "dieser",
    "dieses", // French and Spanish
    "le", "la", "les", "un", "une", "du", "de", "et", "ou", "est", "el", "los", "las", "una", "y",
    "en", "que", "por", "para", "con",
];

/// Whether the lower-cased `w` is one of [`STOPWORDS`] (one hash lookup).
pub(crate) fn is_function_word(w: &str) -> bool {
    static SET: std::sync::OnceLock<HashSet<&'static str>> = std::sync::OnceLock::new();
    SET.get_or_init(|| STOPWORDS.iter().copied().collect())
        .contains(w)
}

/// Mine the settlements that `scan` visits.
pub fn mine<E>(scan: impl FnMut(&mut dyn FnMut(Settlement)) -> Result<(), E>) -> Result<Report, E> {
    mine_with(scan, None, &mut crate::job::no_progress, &Cancel::new())
        .map(|r| r.expect("not cancelled"))
}

/// [`mine`] with progress (`done` counts settlements over both passes, so `total` is twice
/// the settlements when known) and cancellation between batches (`Ok(None)`).
pub fn mine_with<E>(
    scan: impl FnMut(&mut dyn FnMut(Settlement)) -> Result<(), E>,
    settlements: Option<u64>,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<Report>, E> {
    Ok(Miner::build(scan, settlements, on_step, cancel)?.and_then(|m| m.report()))
}

/// A phrase people delete (share of the settlements whose AI output contained it) or add
/// (share of all the group's settlements).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Phrase {
    pub text: String,
    pub words: usize,
    /// Settlements in which people deleted (added) it.
    pub hits: usize,
    /// Settlements it could have been deleted from (whose AI output contained it), or all the
    /// group's settlements for an added phrase.
    pub support: usize,
    /// hits ÷ support with its 95% Wilson interval.
    pub share: Estimate,
    /// The editing it accounts for, at the least: the interval's lower end × support × words
    /// (the words people removed or added with it, by a 95% lower bound). Lists are ranked by it.
    pub effort: f64,
    pub examples: Vec<String>,
    /// The share in the earlier and the later half of the time span (split at the median
    /// settlement's day), when both halves have settlements.
    pub trend: Option<PhraseTrend>,
    /// A typical context: the phrase with the words around it in its newest example (filled
    /// when mining from a store; see [`with_contexts`]).
    pub context: Option<String>,
    /// For a phrase people take out: the share of its taken-out occurrences that were cut
    /// outright, the rest having been rewritten (replaced by other words). `None` for an
    /// added phrase.
    pub cut_share: Option<f64>,
}

/// A phrase typical of rejected outputs: the AI output contains it far more often when people
/// rewrite or reject the draft than when they keep it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RejectionPattern {
    pub text: String,
    /// Share of the rejected outputs that contain it (with its Wilson interval).
    pub in_rejected: Estimate,
    /// Share of the other outputs that contain it.
    pub elsewhere: Estimate,
    /// in_rejected ÷ elsewhere.
    pub lift: f64,
    /// Fisher's exact test, one-sided, that it is more common in rejected outputs.
    pub p_value: f64,
    /// Its Benjamini–Hochberg q-value across every deleted-phrase candidate tested (listed
    /// only under [`LIST_FDR`]).
    pub q_value: f64,
}

/// How a phrase's share moved between the two halves of the span.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhraseTrend {
    /// The first day of the later half.
    pub split: chrono::NaiveDate,
    /// Share in the earlier half (`None` when the phrase never had a chance there: new).
    pub early: Option<Estimate>,
    pub late: Option<Estimate>,
    /// Two-sided two-proportion test of early against late.
    pub p_value: Option<f64>,
    /// `p_value` adjusted for every phrase of the group whose trend was tested
    /// (Benjamini–Hochberg): the false discovery rate at which this one would be called.
    pub q_value: Option<f64>,
    /// `new`, `gone`, `rising`, `falling` (q < [`TREND_FDR`]) or `steady`.
    pub direction: &'static str,
}

/// The false discovery rate of "rising" and "falling" across a group's phrases.
pub const TREND_FDR: f64 = 0.01;

/// The false discovery rate the deleted phrases and replacement sources are listed at: of the
/// phrases listed as changed more often than the words around them, at most this share are
/// expected to be so by chance (Benjamini–Hochberg over every candidate tested).
pub const LIST_FDR: f64 = 0.05;

/// Benjamini–Hochberg q-values of `p` (same order): `q₍ᵢ₎ = min over j ≥ i of p₍ⱼ₎ · m / j`,
/// capped at 1.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|a, b| p[*a].total_cmp(&p[*b]));
    let mut q = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        q[i] = running.min(1.0);
    }
    q
}

/// Call "rising" or "falling" only where the false discovery rate across `trends` (one
/// group's tested phrases) stays under [`TREND_FDR`]; the others that had two halves are
/// "steady".
fn control_trend_fdr(mut trends: Vec<&mut PhraseTrend>) {
    let tested: Vec<usize> = (0..trends.len())
        .filter(|i| {
            trends[*i].early.is_some() && trends[*i].late.is_some() && trends[*i].p_value.is_some()
        })
        .collect();
    let p: Vec<f64> = tested
        .iter()
        .map(|i| trends[*i].p_value.unwrap_or(1.0))
        .collect();
    for (k, q) in tested.into_iter().zip(benjamini_hochberg(&p)) {
        let t = &mut trends[k];
        t.q_value = Some(q);
        let (e, l) = (
            t.early.map_or(0.0, |e| e.value),
            t.late.map_or(0.0, |l| l.value),
        );
        t.direction = match () {
            _ if q >= TREND_FDR => "steady",
            _ if l > e => "rising",
            _ => "falling",
        };
    }
}

impl PhraseTrend {
    fn of(split: i32, early: (usize, usize), late: (usize, usize)) -> Option<PhraseTrend> {
        let day = chrono::DateTime::from_timestamp(i64::from(split) * 86_400, 0)?.date_naive();
        let (e, l) = (wilson(early.0, early.1), wilson(late.0, late.1));
        let p_value =
            crate::stats::ab::two_proportion(early.0, early.1, late.0, late.1).map(|x| x.1);
        let direction = match (&e, &l, p_value) {
            (None, Some(_), _) => "new",
            (Some(_), None, _) => "gone",
            (Some(e), Some(l), Some(p)) if p < 0.01 => {
                if l.value > e.value {
                    "rising"
                } else {
                    "falling"
                }
            }
            _ => "steady",
        };
        (e.is_some() || l.is_some()).then_some(PhraseTrend {
            split: day,
            early: e,
            late: l,
            p_value,
            q_value: None,
            direction,
        })
    }
}

/// A systematic substitution: `from` in the AI output became `to`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Replacement {
    /// What people replaced (up to four words).
    pub from: String,
    /// What they most often put instead (the first of `targets`).
    pub to: String,
    /// Settlements in which people replaced `from`, by anything (each counted once).
    pub hits: usize,
    /// Settlements whose AI output contained `from` (never fewer than `hits`, never more than
    /// the group's settlements).
    pub support: usize,
    pub share: Estimate,
    /// As for [`Phrase::effort`], with the words of `from`.
    pub effort: f64,
    /// What people put instead, most common first (at most [`TARGETS`]).
    pub targets: Vec<Target>,
    pub examples: Vec<String>,
    /// As for [`Phrase::context`], in the AI output.
    pub context: Option<String>,
}

/// One thing people put in place of a [`Replacement`]'s `from`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Target {
    pub to: String,
    /// Settlements in which people made this replacement (each counted once).
    pub hits: usize,
}

/// Targets kept per replacement.
pub const TARGETS: usize = 3;

/// A concrete prompt change, with the evidence behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommendation {
    /// `remove`, `replace`, `add`, `tone`, `length`, `rewrite`.
    pub kind: &'static str,
    pub text: String,
    pub examples: Vec<String>,
}

/// Everything mined for one agent (or for all agents together).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AgentPatterns {
    pub agent: String,
    pub settlements: usize,
    /// The fewest outputs a phrase must be taken out (replaced, added) in to be listed:
    /// `max(5, edited / 500)`, where edited leaves out the outputs accepted as they were.
    pub min_hits: usize,
    pub recommendations: Vec<Recommendation>,
    pub deleted: Vec<Phrase>,
    pub added: Vec<Phrase>,
    pub replacements: Vec<Replacement>,
    pub tone: Vec<ToneShift>,
    /// Settlements per category.
    pub categories: BTreeMap<Category, usize>,
    /// Settlements per intent type and category.
    pub categories_by_intent: BTreeMap<String, BTreeMap<Category, usize>>,
    /// Common rejection patterns: phrases typical of the outputs people rewrite or reject.
    pub rejection_patterns: Vec<RejectionPattern>,
    /// Structure: opening or closing sentences people take out more often than the others.
    pub structure: Vec<StructurePattern>,
    /// The mix of edit kinds (the taxonomy), most edits first.
    pub edit_kinds: Vec<KindShare>,
}

/// How many of an agent's edit operations are of one kind ([`taxonomy::EditKind`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KindShare {
    pub kind: taxonomy::EditKind,
    /// What a person reads ("word choice").
    pub label: &'static str,
    /// Edit operations of this kind.
    pub edits: usize,
    /// Settlements with at least one.
    pub outputs: usize,
    /// Its share of all the agent's edit operations.
    pub share: f64,
    /// The newest settlements with one (ids).
    pub examples: Vec<String>,
    /// One such edit of the newest example, when mined from a store ([`with_contexts`]).
    pub example: Option<KindExample>,
}

/// One edit of a kind: what the AI wrote and what the person made of it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KindExample {
    pub old: String,
    pub new: String,
}

/// A structure pattern: a sentence position (or a restating sentence) people take out whole
/// more often than an ordinary sentence ("people delete the closing sentence in 62% of
/// outputs"), a change of shape people often make (a heading removed, a list turned into
/// prose or back, a sentence split, merged or moved), or a mark people take out (the em dash).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StructurePattern {
    /// `opening_sentence_cut`, `closing_sentence_cut`, or one of `restating_sentence_cut`,
    /// `heading_removed`, `list_to_prose`, `prose_to_list`, `sentence_split`,
    /// `sentences_merged`, `sentence_moved`, or a mark taken out: `em_dash_removed`,
    /// `semicolon_removed`, `exclamation_removed`, `ellipsis_removed`, `emoji_removed`,
    /// `bold_removed`.
    pub kind: &'static str,
    /// What it is called ("Closing sentence cut").
    pub label: &'static str,
    /// The finding in one sentence, with its figures.
    pub text: String,
    /// Outputs that showed it.
    pub hits: usize,
    /// Outputs that could show it (of three sentences or more, with a heading, with a list, …).
    pub support: usize,
    pub share: Estimate,
    /// For the sentence cuts: the share of middle sentences taken out, what an ordinary
    /// sentence gets.
    pub middle_share: Option<f64>,
    /// For a mark taken out: what to write instead, when people put one thing in its place
    /// half the time or more ("Write a comma instead").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instead: Option<&'static str>,
    pub examples: Vec<String>,
}

/// "62% (95% CI 58–66%)".
fn share_with_ci(e: &Estimate) -> String {
    format!(
        "{} (95% CI {}–{})",
        pct(e.value),
        pct(e.low.unwrap_or(e.value)),
        pct(e.high.unwrap_or(e.value))
    )
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub settlements: usize,
    /// One entry per agent, then [`ALL_AGENTS`] when there is more than one agent.
    pub agents: Vec<AgentPatterns>,
}

/// Which settlements to mine.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// One agent (and not the all-agents group), or every agent.
    pub agent: Option<String>,
    pub intent_type: Option<String>,
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

impl Scope {
    /// Whether `s` is one of the settlements to mine.
    pub fn holds(&self, s: &Settlement) -> bool {
        self.agent.as_deref().is_none_or(|a| a == s.agent.as_str())
            && self
                .intent_type
                .as_deref()
                .is_none_or(|k| crate::model::IntentType::new(k) == s.intent_type)
            && self.from.is_none_or(|f| s.created_at >= f)
            && self.to.is_none_or(|t| s.created_at <= t)
    }
}

#[cfg(test)]
mod tests;
