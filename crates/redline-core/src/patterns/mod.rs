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

mod live;
mod miner;
pub mod ops;
pub mod replay;
pub mod taxonomy;
pub(crate) mod tokens;
pub mod tone;

use crate::job::{Cancel, Progress};
use crate::model::Settlement;
use crate::stats::{wilson, Estimate};
pub use live::{LiveMiner, Miners, Refresh};
pub use miner::{store_analyses, Change, Heap, Miner, Updated};
use ops::{EditOp, OpKind};
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

/// What kind of edit a settlement received, by the first rule that holds (docs/patterns.md).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// No edit at all.
    AcceptedAsIs,
    /// Normalised edit cost ≤ 0.1.
    LightPolish,
    /// Mostly removal: added words ≤ ¼ of deleted words.
    Trimmed,
    /// Mostly addition: deleted words ≤ ¼ of added words.
    Expanded,
    /// The same words (≥ 80% overlap as a bag of words) in another order.
    Restructured,
    /// Mostly word-for-word replacements with the length kept (±15%).
    Reworded,
    /// More than 60% of the draft's words deleted or replaced: the draft was largely discarded.
    Rewritten,
    /// None of the above.
    Mixed,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::AcceptedAsIs,
        Category::LightPolish,
        Category::Trimmed,
        Category::Expanded,
        Category::Restructured,
        Category::Reworded,
        Category::Rewritten,
        Category::Mixed,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Category::AcceptedAsIs => "accepted as-is",
            Category::LightPolish => "light polish",
            Category::Trimmed => "trimmed",
            Category::Expanded => "expanded",
            Category::Restructured => "restructured",
            Category::Reworded => "reworded",
            Category::Rewritten => "rewritten / rejected",
            Category::Mixed => "mixed edits",
        }
    }
}

/// Word counts of one edit, from the flags of [`Edit`].
struct EditCounts {
    old_words: usize,
    new_words: usize,
    deleted: usize,
    inserted: usize,
    replaced: usize,
    cost: usize,
}

/// The category of one edit.
pub fn categorise(ai: &str, fin: &str, ops: &[EditOp]) -> Category {
    let (a, f) = (Tokens::of(ai), Tokens::of(fin));
    let e = Edit::of(&a, &f, ops);
    category_of(&a, &f, ops, &e.counts)
}

fn category_of(a: &Tokens, f: &Tokens, ops: &[EditOp], c: &EditCounts) -> Category {
    if ops.is_empty() {
        return Category::AcceptedAsIs;
    }
    let norm = c.cost as f64 / c.old_words.max(c.new_words).max(1) as f64;
    if c.deleted as f64 > 0.6 * c.old_words as f64 {
        return Category::Rewritten;
    }
    if norm <= 0.1 {
        return Category::LightPolish;
    }
    // Words shared as a bag (multiset): sorted hashes, merged.
    let (mut x, mut y) = (a.hashes.clone(), f.hashes.clone());
    x.sort_unstable();
    y.sort_unstable();
    let shared = crate::diff::align::shared(&x, &y);
    if shared as f64 >= 0.8 * c.old_words.max(c.new_words).max(1) as f64 && norm > 0.3 {
        return Category::Restructured;
    }
    if c.inserted * 4 <= c.deleted {
        return Category::Trimmed;
    }
    if c.deleted * 4 <= c.inserted {
        return Category::Expanded;
    }
    let length_kept = (c.new_words as f64 - c.old_words as f64).abs() <= 0.15 * c.old_words as f64;
    if c.replaced * 2 >= c.deleted && length_kept {
        return Category::Reworded;
    }
    Category::Mixed
}

/// Which words of each text an edit touched.
struct Edit {
    /// Per AI-output word: deleted (or replaced).
    deleted: Vec<bool>,
    /// Per AI-output word: replaced (part of a replacement's old side, within sentences).
    replaced: Vec<bool>,
    /// Per final-version word: inserted (or a replacement).
    inserted: Vec<bool>,
    counts: EditCounts,
}

impl Edit {
    fn of(a: &Tokens, f: &Tokens, ops: &[EditOp]) -> Edit {
        // Per op: words deleted and inserted, by sweeping the sorted words and ops together.
        let mut d_op = vec![0usize; ops.len()];
        let mut i_op = vec![0usize; ops.len()];
        let mut deleted = vec![false; a.len()];
        let mut replaced = vec![false; a.len()];
        let mut inserted = vec![false; f.len()];
        // Per op: its first and last AI-output word.
        let mut old_words: Vec<Option<(usize, usize)>> = vec![None; ops.len()];
        let mut new_words: Vec<Option<(usize, usize)>> = vec![None; ops.len()];
        let mut j = 0;
        for (w, span) in a.spans.iter().enumerate() {
            // A moved sentence's words were kept: neither taken out nor added.
            while j < ops.len()
                && (ops[j].kind == OpKind::Insert || ops[j].moved || ops[j].old_bytes.1 <= span.0)
            {
                j += 1;
            }
            if j < ops.len() && ops[j].old_bytes.0 <= span.0 && span.1 <= ops[j].old_bytes.1 {
                deleted[w] = true;
                d_op[j] += 1;
                let range = old_words[j].get_or_insert((w, w));
                range.1 = w;
            }
        }
        let mut j = 0;
        for (w, span) in f.spans.iter().enumerate() {
            while j < ops.len()
                && (ops[j].kind == OpKind::Delete || ops[j].moved || ops[j].new_bytes.1 <= span.0)
            {
                j += 1;
            }
            if j < ops.len() && ops[j].new_bytes.0 <= span.0 && span.1 <= ops[j].new_bytes.1 {
                inserted[w] = true;
                i_op[j] += 1;
                let range = new_words[j].get_or_insert((w, w));
                range.1 = w;
            }
        }
        // A replacement changes words. One that takes out whole sentences and puts in their
        // place words that share none with them ("I hope this helps." → "Next step: Dana owns
        // it.") deletes those sentences and inserts others.
        let starts = |w: usize| w == 0 || a.sentence_of[w] != a.sentence_of[w - 1];
        let ends = |w: usize| w + 1 == a.len() || a.sentence_of[w] != a.sentence_of[w + 1];
        for ((op, old), new) in ops.iter().zip(&old_words).zip(&new_words) {
            if let (OpKind::Replace, Some((first, last))) = (op.kind, *old) {
                let old_hashes = &a.hashes[first..=last];
                let shares_a_word = new
                    .is_some_and(|(i, j)| f.hashes[i..=j].iter().any(|h| old_hashes.contains(h)));
                if shares_a_word || !(starts(first) && ends(last)) {
                    replaced[first..=last].fill(true);
                }
            }
        }
        let counts = EditCounts {
            old_words: a.len(),
            new_words: f.len(),
            deleted: d_op.iter().sum(),
            inserted: i_op.iter().sum(),
            replaced: ops
                .iter()
                .zip(&d_op)
                .filter(|(o, _)| o.kind == OpKind::Replace)
                .map(|(_, d)| d)
                .sum(),
            cost: d_op.iter().zip(&i_op).map(|(d, i)| *d.max(i)).sum(),
        };
        Edit {
            deleted,
            replaced,
            inserted,
            counts,
        }
    }
}

/// Where an n-gram was first seen: its count, and a settlement and word position to read its
/// words from (in the AI output for deleted n-grams, in the added words for added ones).
#[derive(Clone, Copy)]
struct Gram {
    count: u32,
    at: u32,
    start: u32,
    n: u8,
}

/// Word flags: taken out of an AI output (deleted, or replaced by other words), starts a
/// sentence or a run of added words, replaced (taken out and other words put in its place).
const DELETED: u8 = 1;
const START: u8 = 2;
const REPLACED: u8 = 4;

/// The function-word policy of the phrase lists, one rule: a word or phrase is listed only on
/// evidence of its own. Taken out or replaced, any word — "the" as much as "utilize" — must be
/// changed more often than an average word of the same outputs (so function words changed at
/// the usual rate never show, and an article or pronoun people keep correcting does). An added
/// phrase has no such rate to be tested against, so a lone function word ("the", "is") is
/// never an added phrase; a run of two or more is ("will be", "by the"). Advice is stricter:
/// see `recommend`.
pub(crate) fn only_function_word<T>(words: &[T], is_stop: impl Fn(&T) -> bool) -> bool {
    words.len() == 1 && is_stop(&words[0])
}

/// Whether `inner` occurs in `outer` as a contiguous run of words.
fn contains(outer: &[u32], inner: &[u32]) -> bool {
    inner.len() <= outer.len() && outer.windows(inner.len()).any(|w| w == inner)
}

/// Frequent n-grams → maximal phrases: an n-gram that occurs almost only (≥ 90%) inside one
/// longer kept phrase is dropped; overlapping phrases with similar counts (within 10%) are
/// merged into one; a phrase that only fills a slot after a shorter one (the shorter one is at
/// least twice as frequent and three or more kept phrases extend it) is dropped in favour of
/// the general one.
fn maximal(
    counts: &IdMap<u64, Gram>,
    words_of: impl Fn(&Gram) -> Vec<u32>,
    min_hits: usize,
    stop: &HashSet<u32>,
) -> Vec<Vec<u32>> {
    let mut frequent: Vec<(Vec<u32>, usize)> = counts
        .values()
        .filter(|g| g.count as usize >= min_hits)
        .map(|g| (words_of(g), g.count as usize))
        .filter(|(w, _)| !only_function_word(w, |w| stop.contains(w)))
        .collect();
    // The most frequent first, at most a bounded number, then longest first.
    frequent.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(b.0.len().cmp(&a.0.len()))
            .then(a.0.cmp(&b.0))
    });
    frequent.truncate(MAX_CANDIDATES);
    frequent.sort_by(|a, b| {
        b.0.len()
            .cmp(&a.0.len())
            .then(b.1.cmp(&a.1))
            .then(a.0.cmp(&b.0))
    });
    let mut kept: Vec<(Vec<u32>, usize)> = Vec::new();
    // The kept phrases holding each word: a phrase can only lie inside one holding its first
    // word, so only those are compared (the same answer as comparing with all of them).
    let mut holding: IdMap<u32, Vec<usize>> = IdMap::default();
    for (words, hits) in frequent {
        // Explained by one longer phrase (it occurs almost only inside it)?
        let covered = holding
            .get(&words[0])
            .into_iter()
            .flatten()
            .map(|&i| &kept[i])
            .filter(|(k, _)| contains(k, &words))
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0);
        if covered as f64 >= 0.9 * hits as f64 {
            continue;
        }
        let at = kept.len();
        let mut seen: Vec<u32> = words.clone();
        seen.sort_unstable();
        seen.dedup();
        for w in seen {
            holding.entry(w).or_default().push(at);
        }
        kept.push((words, hits));
    }
    // Merge overlapping phrases (a's tail is b's head) with similar counts.
    loop {
        let mut merged = None;
        // The kept phrases by their first word: b can follow a only if b's first word is in
        // a's tail, so for each a only those b are tried, in the same order as before.
        let mut by_first: IdMap<u32, Vec<usize>> = IdMap::default();
        for (j, (b, _)) in kept.iter().enumerate() {
            by_first.entry(b[0]).or_default().push(j);
        }
        'search: for i in 0..kept.len() {
            let a = &kept[i].0;
            let mut candidates: Vec<usize> = a[1..]
                .iter()
                .filter_map(|w| by_first.get(w))
                .flatten()
                .copied()
                .collect();
            candidates.sort_unstable();
            candidates.dedup();
            for j in candidates {
                if i == j {
                    continue;
                }
                let (a, na) = &kept[i];
                let (b, nb) = &kept[j];
                let similar = (*na.min(nb) as f64) >= 0.9 * (*na.max(nb) as f64);
                if !similar {
                    continue;
                }
                let longest = a.len().min(b.len()) - 1;
                for k in (1..=longest).rev() {
                    if a[a.len() - k..] == b[..k] && k * 2 >= a.len().min(b.len()) {
                        let mut words = a.clone();
                        words.extend_from_slice(&b[k..]);
                        merged = Some((i, j, words, *na.min(nb)));
                        break 'search;
                    }
                }
            }
        }
        let Some((i, j, words, hits)) = merged else {
            break;
        };
        let (hi, lo) = (i.max(j), i.min(j));
        kept.remove(hi);
        kept.remove(lo);
        // Parts of the merged phrase that occur (almost) only inside it go with it.
        kept.retain(|(k, nk)| !(contains(&words, k) && (*nk as f64) * 0.9 <= hits as f64));
        kept.push((words, hits));
    }
    // A slot shows as three or more kept phrases around the same shorter one.
    let variants = |q: &[u32]| {
        kept.iter()
            .filter(|(p, _)| p.len() > q.len() && contains(p, q))
            .count()
    };
    let general: Vec<bool> = kept
        .iter()
        .map(|(p, np)| {
            !kept.iter().any(|(q, nq)| {
                q.len() < p.len() && contains(p, q) && *nq >= 2 * np && variants(q) >= 3
            })
        })
        .collect();
    kept.into_iter()
        .zip(general)
        .filter(|(_, g)| *g)
        .map(|((w, _), _)| w)
        .collect()
}

/// Candidate phrases by their first word.
struct Matcher {
    phrases: Vec<Vec<u32>>,
    by_first: IdMap<u32, Vec<usize>>,
    /// A bit per value of a first word's low 16 bits: most words start no phrase, and one bit
    /// test says so without a map lookup.
    firsts: Vec<u64>,
}

impl Matcher {
    fn new(phrases: Vec<Vec<u32>>) -> Matcher {
        let mut by_first: IdMap<u32, Vec<usize>> = IdMap::default();
        let mut firsts = vec![0u64; 1 << 10];
        for (i, p) in phrases.iter().enumerate() {
            by_first.entry(p[0]).or_default().push(i);
            let low = (p[0] & 0xffff) as usize;
            firsts[low >> 6] |= 1 << (low & 63);
        }
        Matcher {
            phrases,
            by_first,
            firsts,
        }
    }

    fn may_start(&self, word: u32) -> bool {
        let low = (word & 0xffff) as usize;
        self.firsts[low >> 6] & (1 << (low & 63)) != 0
    }

    /// Call `found(phrase, start)` for each phrase found in `words`, within runs (a run
    /// starts where `flags[i] & START`).
    fn scan(&self, words: &[u32], flags: &[u8], mut found: impl FnMut(usize, usize)) {
        if self.phrases.is_empty() {
            return;
        }
        for i in 0..words.len() {
            if !self.may_start(words[i]) {
                continue;
            }
            let Some(cands) = self.by_first.get(&words[i]) else {
                continue;
            };
            for &c in cands {
                let p = &self.phrases[c];
                let end = i + p.len();
                if end <= words.len()
                    && words[i..end] == p[..]
                    && flags[i + 1..end].iter().all(|f| f & START == 0)
                {
                    found(c, i);
                }
            }
        }
    }
}

/// A group's candidates between the passes.
struct Pass2 {
    deleted: Matcher,
    /// Replacement sources (phrases people replaced), to look for in AI outputs.
    from: Matcher,
    added: Matcher,
}

impl Pass2 {
    fn of(deleted: Vec<Vec<u32>>, from: Vec<Vec<u32>>, added: Vec<Vec<u32>>) -> Pass2 {
        Pass2 {
            deleted: Matcher::new(deleted),
            from: Matcher::new(from),
            added: Matcher::new(added),
        }
    }
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
    /// One-sided two-proportion test that it is more common in rejected outputs.
    pub p_value: f64,
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

/// Whether `changed` of `occurrences` is more than the `base` rate: the lower end of the
/// Wilson interval above it (occurrences taken as independent trials, which the repeats of a
/// word in one output are not quite; the interval is then a little narrow).
fn above_base(changed: usize, occurrences: usize, base: f64) -> bool {
    wilson(changed, occurrences)
        .and_then(|e| e.low)
        .is_some_and(|low| low > base)
}

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
/// outputs"), or a change of shape people often make (a heading removed, a list turned into
/// prose or back, a sentence split, merged or moved).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StructurePattern {
    /// `opening_sentence_cut`, `closing_sentence_cut`, or one of `restating_sentence_cut`,
    /// `heading_removed`, `list_to_prose`, `prose_to_list`, `sentence_split`,
    /// `sentences_merged`, `sentence_moved`.
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
    /// The store filter of this scope's agent and intent type over `from..=to`.
    fn filter(
        &self,
        from: Option<chrono::DateTime<chrono::Utc>>,
        to: Option<chrono::DateTime<chrono::Utc>>,
    ) -> crate::store::Filter {
        crate::store::Filter {
            agent: self
                .agent
                .as_deref()
                .and_then(|a| crate::model::AgentName::new(a).ok()),
            intent_type: self
                .intent_type
                .as_deref()
                .map(crate::model::IntentType::new),
            from,
            to,
            text: None,
        }
    }

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

/// Mine the store's settlements in `scope`, streamed from disk once (never all at once).
pub fn mine_store(
    store: &crate::store::Store,
    scope: &Scope,
) -> Result<Report, crate::store::StoreError> {
    mine_store_with(store, scope, &mut crate::job::no_progress, &Cancel::new())
        .map(|r| r.expect("not cancelled"))
}

/// [`mine_store`] with progress and cancellation (`Ok(None)` when cancelled).
pub fn mine_store_with(
    store: &crate::store::Store,
    scope: &Scope,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<Report>, crate::store::StoreError> {
    let report = build_store(store, scope, on_step, cancel)?.and_then(|m| m.report());
    report.map(|r| with_contexts(r, store)).transpose()
}

/// A [`Miner`] of the store's settlements in `scope` (`Ok(None)` when cancelled).
fn build_store(
    store: &crate::store::Store,
    scope: &Scope,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<Miner>, crate::store::StoreError> {
    let count = store.list(&scope.filter(scope.from, scope.to), 0, 1)?.total;
    // Analyses made now are kept for later runs, written by a thread of their own without
    // waiting for the disk (one durable commit at the end). A derived cache: a failure to
    // write, a full disk say, costs only the next run's time.
    std::thread::scope(|threads| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(String, u64, Vec<u8>)>>(4);
        let writer = threads.spawn(move || {
            for items in rx {
                let _ = store.put_analyses(&items, false);
            }
            let _ = store.put_analyses(&[], true);
        });
        let save = move |items: Vec<(String, u64, Vec<u8>)>| {
            let _ = tx.send(items);
        };
        let mined = Miner::build_stored(
            |visit| {
                store.scan_with_analyses(scope.from, scope.to, |s, stored| {
                    if scope.holds(&s) {
                        visit((s, stored))
                    }
                })
            },
            Some(count),
            Some(&save),
            on_step,
            cancel,
        );
        drop(save);
        let _ = writer.join();
        mined
    })
}

/// Words kept on each side of a phrase in its context.
const CONTEXT_WORDS: usize = 5;

/// `phrase` (lower-case words, as listed) with up to [`CONTEXT_WORDS`] words on each side, as
/// it stands in `text` — "… we can ship it, **in order to** reach the north depot …" without
/// the marks; `None` when the phrase is not there.
pub fn context_in(text: &str, phrase: &str) -> Option<String> {
    let words: Vec<String> = phrase.split(' ').map(str::to_lowercase).collect();
    if words.is_empty() {
        return None;
    }
    let t = tokens::Tokens::of(text);
    let n = words.len();
    let at = (0..(t.len() + 1).saturating_sub(n))
        .find(|&i| (0..n).all(|k| t.word(i + k).to_lowercase() == words[k]))?;
    let first = at.saturating_sub(CONTEXT_WORDS);
    let last = (at + n + CONTEXT_WORDS).min(t.len()) - 1;
    // Whole at an end of the text (its closing punctuation with it), cut at words elsewhere.
    let start = if first == 0 { 0 } else { t.spans[first].0 };
    let end = if last + 1 == t.len() {
        text.len()
    } else {
        t.spans[last].1
    };
    let mut out = String::new();
    if first > 0 {
        out.push_str("… ");
    }
    out.push_str(
        &text[start..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    );
    if last + 1 < t.len() {
        out.push_str(" …");
    }
    Some(out)
}

/// Fill in each listed phrase's and replacement's typical context from the store: the newest
/// example settlement's AI output (deleted phrases, replacement sources) or final version
/// (added phrases).
pub fn with_contexts(
    mut report: Report,
    store: &crate::store::Store,
) -> Result<Report, crate::store::StoreError> {
    let mut cache: HashMap<String, Option<Settlement>> = HashMap::new();
    let mut load = |id: &str| -> Result<Option<Settlement>, crate::store::StoreError> {
        if let Some(s) = cache.get(id) {
            return Ok(s.clone());
        }
        let s = match crate::model::SettlementId::new(id) {
            Ok(sid) => store.get(&sid)?,
            Err(_) => None,
        };
        cache.insert(id.to_owned(), s.clone());
        Ok(s)
    };
    for a in &mut report.agents {
        for (list, in_final) in [(&mut a.deleted, false), (&mut a.added, true)] {
            for p in list.iter_mut() {
                if let Some(s) = p.examples.first().map(|id| load(id)).transpose()?.flatten() {
                    let text = if in_final {
                        &s.final_output
                    } else {
                        &s.ai_output
                    };
                    p.context = context_in(text, &p.text);
                }
            }
        }
        for r in &mut a.replacements {
            if let Some(s) = r.examples.first().map(|id| load(id)).transpose()?.flatten() {
                r.context = context_in(&s.ai_output, &r.from);
            }
        }
        for k in &mut a.edit_kinds {
            if let Some(s) = k.examples.first().map(|id| load(id)).transpose()?.flatten() {
                k.example = kind_example(&s, k.kind);
            }
        }
    }
    Ok(report)
}

/// The first edit of `kind` in `s`, each side on one line (spaces and line breaks as one
/// space) and cut to [`EXAMPLE_CHARS`] characters.
fn kind_example(s: &Settlement, kind: taxonomy::EditKind) -> Option<KindExample> {
    let ops = ops::edit_ops(&s.ai_output, &s.final_output);
    let kinds = taxonomy::classify(&s.ai_output, &ops);
    let cut = |t: &str| {
        let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
        if t.chars().count() > EXAMPLE_CHARS {
            let head: String = t.chars().take(EXAMPLE_CHARS).collect();
            format!("{head}…")
        } else {
            t.to_owned()
        }
    };
    ops.iter()
        .zip(kinds)
        .find(|(_, k)| *k == kind)
        .map(|(o, _)| KindExample {
            old: cut(&o.old_text),
            new: cut(&o.new_text),
        })
}

/// The most characters of either side an edit example shows.
const EXAMPLE_CHARS: usize = 160;

/// Mine settlements held in memory.
pub fn mine_slice(settlements: &[Settlement]) -> Report {
    mine::<std::convert::Infallible>(|visit| {
        for s in settlements {
            visit(s.clone());
        }
        Ok(())
    })
    .expect("infallible")
}

/// Stronger evidence first: the higher lower end of the interval, then more hits.
fn by_evidence(a: (&Estimate, usize), b: (&Estimate, usize)) -> std::cmp::Ordering {
    let low = |e: &Estimate| e.low.unwrap_or(0.0);
    low(b.0).total_cmp(&low(a.0)).then(b.1.cmp(&a.1))
}

/// The editing a pattern accounts for at the least: the lower end of its share's interval ×
/// its support × its words.
fn effort(share: &Estimate, support: usize, words: usize) -> f64 {
    share.low.unwrap_or(0.0) * support as f64 * words as f64
}

/// More editing accounted for first (see [`effort`]), then the stronger evidence.
fn by_effort(a: (f64, &Estimate, usize), b: (f64, &Estimate, usize)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0)
        .then_with(|| by_evidence((a.1, a.2), (b.1, b.2)))
}

/// Which of a list's candidates carry evidence of their own, and how much of their editing is
/// theirs. Each candidate: its words, its occurrences in the AI outputs, and how many of those
/// people wholly changed. Longest first, a candidate is kept when its changed occurrences, less
/// those of the kept phrases that contain it, are still more than `base` of its occurrences
/// less those (by [`above_base`]): "would" is listed beside "would be" only when people change
/// "would" outside "would be" more often than an average word. `listed`: phrases of another
/// list, kept already, that explain a candidate's changes the same way. Per candidate: the share of its
/// changed occurrences that are its own, or `None` (explained by longer phrases, or changed no
/// more often than an average word).
fn own_evidence(
    cands: &[(&[u32], usize, usize)],
    listed: &[(&[u32], usize, usize)],
    base: f64,
) -> Vec<Option<f64>> {
    let mut order: Vec<usize> = (0..cands.len()).collect();
    order.sort_by(|a, b| cands[*b].0.len().cmp(&cands[*a].0.len()).then(a.cmp(b)));
    let mut out = vec![None; cands.len()];
    let mut kept: Vec<(&[u32], usize, usize)> = listed.to_vec();
    for i in order {
        let (words, occurrences, changed) = cands[i];
        let (mut o, mut c) = (occurrences, changed);
        // Each changed occurrence of a longer phrase changed this one too: those are its
        // explanation, taken out of both counts. (Where the longer phrase stayed, this one
        // still had its own chance to change.)
        for &(outer, _, kc) in &kept {
            if outer.len() > words.len() && contains(outer, words) {
                o = o.saturating_sub(kc);
                c = c.saturating_sub(kc);
            }
        }
        if c > 0 && above_base(c.min(o), o, base) {
            out[i] = Some(c as f64 / changed as f64);
            kept.push(cands[i]);
        }
    }
    out
}

/// Whether two phrases are pieces of one longer phrase: one's end is the other's start over
/// at least half the shorter. (A phrase inside another is judged by [`own_evidence`].)
fn overlapping(a: &[u32], b: &[u32]) -> bool {
    let shorter = a.len().min(b.len());
    (shorter.div_ceil(2)..shorter).any(|k| a[a.len() - k..] == b[..k] || b[b.len() - k..] == a[..k])
}

/// The [`TOP`] phrases by the editing they account for, then by evidence, then by text; a
/// phrase that overlaps one ranked above it (the n-grams of a sentence longer than [`MAX_N`]
/// words that the merge left apart) is not listed again.
fn rank_phrases(mut list: Vec<(Phrase, Vec<u32>)>) -> Vec<(Phrase, Vec<u32>)> {
    list.sort_by(|(a, _), (b, _)| {
        by_effort((a.effort, &a.share, a.hits), (b.effort, &b.share, b.hits))
            .then(a.text.cmp(&b.text))
    });
    top_apart(list)
}

/// The first [`TOP`] of a ranked list (items with their words), skipping any that overlaps
/// one kept before it.
fn top_apart<T>(ranked: Vec<(T, Vec<u32>)>) -> Vec<(T, Vec<u32>)> {
    let mut kept: Vec<(T, Vec<u32>)> = Vec::with_capacity(TOP);
    for (p, w) in ranked {
        if kept.len() == TOP {
            break;
        }
        if !kept.iter().any(|(_, k)| overlapping(k, &w)) {
            kept.push((p, w));
        }
    }
    kept
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// The settlements whose `feature` moved most in the direction of the shift (`pairs` and
/// `ids` oldest first; ties go to the older).
fn tone_examples(
    pairs: &[(Features, Features)],
    ids: &[&str],
    feature: usize,
    rising: bool,
) -> Vec<String> {
    let change = |i: usize| pairs[i].1[feature] - pairs[i].0[feature];
    let order = |a: &usize, b: &usize| {
        let (x, y) = (change(*a), change(*b));
        let by_change = if rising {
            y.total_cmp(&x)
        } else {
            x.total_cmp(&y)
        };
        by_change.then(a.cmp(b))
    };
    let mut idx: Vec<usize> = (0..pairs.len()).collect();
    if idx.len() > EXAMPLES {
        idx.select_nth_unstable_by(EXAMPLES, order);
        idx.truncate(EXAMPLES);
    }
    idx.sort_by(order);
    idx.into_iter().map(|i| ids[i].to_owned()).collect()
}

/// What one group's recommendations are drawn from.
#[derive(Clone, Copy)]
struct Evidence<'a> {
    settlements: usize,
    rewritten: usize,
    deleted: &'a [Phrase],
    added: &'a [Phrase],
    replacements: &'a [Replacement],
    structure: &'a [StructurePattern],
    tone: &'a [ToneShift],
}

/// The prompt changes the evidence calls for; `tone_examples(feature, rising)` names the
/// settlements behind a tone shift.
fn recommend(
    evidence: &Evidence<'_>,
    tone_examples: &dyn Fn(usize, bool) -> Vec<String>,
) -> Vec<Recommendation> {
    let Evidence {
        settlements,
        rewritten,
        deleted,
        added,
        replacements,
        structure,
        tone,
    } = *evidence;
    let mut out = Vec::new();
    // A replacement is advice when one target is what people chose in ≥ 40% of the outputs
    // that use the source.
    let chosen = |r: &Replacement| {
        r.targets
            .first()
            .map_or(0.0, |t| t.hits as f64 / r.support.max(1) as f64)
    };
    // A lone function word is listed as what people replace, but is no advice on its own
    // ("Say “we'll” instead of “we”"): advice is stricter than the lists (see `advisable`).
    let lone_function_word = |r: &Replacement| is_function_word(&r.from);
    let advised: Vec<&Replacement> = replacements
        .iter()
        .filter(|r| chosen(r) >= 0.4 && !lone_function_word(r))
        .take(5)
        .collect();
    // A phrase people take out is advice to leave it out, unless what they write instead is
    // one thing (then the replacement below says so).
    // A lone function word ("a", "it") that people rewrite rather than cut is a symptom of
    // the sentences around it, not something to leave out; one they cut ("just") is.
    let advisable =
        |p: &Phrase| !is_function_word(&p.text) || p.cut_share.is_some_and(|c| c >= 0.5);
    for p in deleted
        .iter()
        .filter(|p| {
            p.share.value >= 0.5 && advisable(p) && !advised.iter().any(|r| r.from == p.text)
        })
        .take(5)
    {
        let ci = format!(
            "95% CI {}–{}",
            pct(p.share.low.unwrap_or(p.share.value)),
            pct(p.share.high.unwrap_or(p.share.value))
        );
        let (share, support) = (pct(p.share.value), p.support);
        // Cut outright, it is to be left out; rewritten, it is to be said otherwise.
        let text = match p.cut_share {
            Some(c) if c >= 0.8 => format!(
                "Leave out “{}”: people cut it from {share} of the {support} outputs that contain it ({ci}).",
                p.text
            ),
            Some(c) if c <= 0.2 => format!(
                "Avoid “{}”: people rewrite it in {share} of the {support} outputs that contain it ({ci}).",
                p.text
            ),
            Some(c) => format!(
                "Avoid “{}”: people take it out of {share} of the {support} outputs that contain it ({ci}; cut in {} of those, rewritten in the rest).",
                p.text,
                pct(c)
            ),
            None => format!(
                "Avoid “{}”: people take it out of {share} of the {support} outputs that contain it ({ci}).",
                p.text
            ),
        };
        out.push(Recommendation {
            kind: "remove",
            text,
            examples: p.examples.clone(),
        });
    }
    for r in advised {
        out.push(Recommendation {
            kind: "replace",
            text: format!(
                "Say “{}” instead of “{}”: people make that replacement in {} of the {} outputs that use it.",
                r.to,
                r.from,
                pct(chosen(r)),
                r.support
            ),
            examples: r.examples.clone(),
        });
    }
    for p in added
        .iter()
        .filter(|p| p.share.value >= 0.15 && p.words >= 2)
        .take(3)
    {
        out.push(Recommendation {
            kind: "add",
            text: format!(
                "Include “{}”: people add it to {} of outputs ({} of {}).",
                p.text,
                pct(p.share.value),
                p.hits,
                p.support
            ),
            examples: p.examples.clone(),
        });
    }
    for p in structure.iter().filter(|p| p.share.value >= 0.5) {
        let advice = match p.kind {
            "opening_sentence_cut" => "Start with the substance",
            "closing_sentence_cut" => "End when the content ends",
            "restating_sentence_cut" => "Say each point once",
            "heading_removed" => "Leave out headings",
            "list_to_prose" => "Write prose, not lists",
            "prose_to_list" => "Put several points in a list",
            "sentence_split" => "Write shorter sentences",
            "sentences_merged" => "Join short sentences that belong together",
            // A move says the order is wrong, not which order is right.
            _ => continue,
        };
        let finding = p.text.strip_prefix("People ").unwrap_or(&p.text);
        out.push(Recommendation {
            kind: "structure",
            text: format!("{advice}: people {finding}"),
            examples: p.examples.clone(),
        });
    }
    let shift = |name: &str| tone.iter().position(|t| t.feature == name && t.significant);
    if let Some(k) = shift("contractions").filter(|k| tone[*k].mean_change > 0.0) {
        out.push(Recommendation {
            kind: "tone",
            text: format!(
                "Write less formally: people add contractions ({:+.1} per 100 words, effect d = {:.2}, p = {:.1e}).",
                tone[k].mean_change, tone[k].effect_size, tone[k].p_value
            ),
            examples: tone_examples(k, true),
        });
    }
    if let Some(k) = shift("first_person").filter(|k| tone[*k].mean_change > 0.0) {
        out.push(Recommendation {
            kind: "tone",
            text: format!(
                "Write in the first person: people add first-person pronouns ({:+.1} per 100 words, d = {:.2}).",
                tone[k].mean_change, tone[k].effect_size
            ),
            examples: tone_examples(k, true),
        });
    }
    if let Some(k) = shift("formal_words").filter(|k| tone[*k].mean_change < 0.0) {
        out.push(Recommendation {
            kind: "tone",
            text: format!(
                "Use plainer words: people take out formal words and connectives, {:.1} per 100 words (d = {:.2}).",
                -tone[k].mean_change, tone[k].effect_size
            ),
            examples: tone_examples(k, false),
        });
    }
    if let Some(k) = shift("hedges").filter(|k| tone[*k].mean_change < 0.0) {
        out.push(Recommendation {
            kind: "tone",
            text: format!(
                "Hedge less: people cut {:.1} hedging words per 100 words (d = {:.2}).",
                -tone[k].mean_change, tone[k].effect_size
            ),
            examples: tone_examples(k, false),
        });
    }
    if let Some(k) = shift("words") {
        let t = &tone[k];
        let rel = t.mean_change / t.mean_ai.max(1.0);
        if rel <= -0.1 {
            out.push(Recommendation {
                kind: "length",
                text: format!(
                    "Be shorter: people cut {} of the words ({:.0} → {:.0} words on average).",
                    pct(-rel),
                    t.mean_ai,
                    t.mean_final
                ),
                examples: tone_examples(k, false),
            });
        } else if rel >= 0.1 {
            out.push(Recommendation {
                kind: "length",
                text: format!(
                    "Give more: people add {} to the length ({:.0} → {:.0} words on average).",
                    pct(rel),
                    t.mean_ai,
                    t.mean_final
                ),
                examples: tone_examples(k, true),
            });
        }
    }
    if settlements > 0 && rewritten as f64 >= 0.2 * settlements as f64 {
        out.push(Recommendation {
            kind: "rewrite",
            text: format!(
                "{} of outputs are rewritten or rejected ({} of {}): compare the prompt's task with what people write instead.",
                pct(rewritten as f64 / settlements as f64),
                rewritten,
                settlements
            ),
            examples: Vec::new(),
        });
    }
    out
}

#[cfg(test)]
mod tests;
