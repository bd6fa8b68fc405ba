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

pub mod ops;
pub(crate) mod tokens;
pub mod tone;

use crate::job::{Cancel, Progress, Step};
use crate::model::Settlement;
use crate::stats::{wilson, Estimate};
use ops::{EditOp, OpKind};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use tokens::{fold, word_hash, IdMap, Tokens, GRAM_SEED};
use tone::Features;
pub use tone::ToneShift;

/// The longest n-gram counted (longer phrases are found by merging overlapping ones).
pub const MAX_N: usize = 8;
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

/// Words that say nothing on their own: a phrase made only of these is dropped.
const STOPWORDS: [&str; 95] = [
    "a", "an", "the", "and", "or", "but", "if", "then", "so", "of", "to", "in", "on", "at", "by",
    "for", "with", "from", "as", "is", "are", "was", "were", "be", "been", "being", "it", "its",
    "this", "that", "these", "those", "there", "here", "i", "me", "my", "we", "us", "our", "you",
    "your", "he", "she", "they", "them", "their", "his", "her", "not", "no", "do", "does", "did",
    "have", "has", "had", "will", "would", "can", "could", "should", "may", "might", "must",
    "shall", "what", "which", "who", "whom", "when", "where", "why", "how", "all", "any", "each",
    "some", "more", "most", "other", "such", "than", "too", "very", "just", "also", "only", "own",
    "same", "into", "over", "up", "out", "about",
];

/// What kind of edit a settlement received, by the first rule that holds (docs/patterns.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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
    ToneChange,
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
        Category::ToneChange,
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
            Category::ToneChange => "tone change",
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
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < x.len() && j < y.len() {
        match x[i].cmp(&y[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
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
        return Category::ToneChange;
    }
    Category::Mixed
}

/// Which words of each text an edit touched.
struct Edit {
    /// Per AI-output word: deleted (or replaced).
    deleted: Vec<bool>,
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
        let mut inserted = vec![false; f.len()];
        let mut j = 0;
        for (w, span) in a.spans.iter().enumerate() {
            while j < ops.len() && (ops[j].kind == OpKind::Insert || ops[j].old_bytes.1 <= span.0) {
                j += 1;
            }
            if j < ops.len() && ops[j].old_bytes.0 <= span.0 && span.1 <= ops[j].old_bytes.1 {
                deleted[w] = true;
                d_op[j] += 1;
            }
        }
        let mut j = 0;
        for (w, span) in f.spans.iter().enumerate() {
            while j < ops.len() && (ops[j].kind == OpKind::Delete || ops[j].new_bytes.1 <= span.0) {
                j += 1;
            }
            if j < ops.len() && ops[j].new_bytes.0 <= span.0 && span.1 <= ops[j].new_bytes.1 {
                inserted[w] = true;
                i_op[j] += 1;
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
            inserted,
            counts,
        }
    }
}

/// Where an n-gram was first seen: its count, and a settlement and word position to read its
/// words from (in the compact AI output for deleted n-grams, in the added words for added ones).
#[derive(Clone, Copy)]
struct Gram {
    count: u32,
    at: u32,
    start: u32,
    n: u8,
}

/// What the second pass needs of a settlement, kept in memory between the passes.
struct Compact {
    group: u16,
    /// Days since 1970 of the settlement, for each phrase's trend.
    day: i32,
    /// Rewritten or rejected ([`Category::Rewritten`]).
    rejected: bool,
    /// Word hashes of the AI output.
    ai: Vec<u32>,
    /// Per AI word: bit 0 = deleted, bit 1 = starts a sentence.
    ai_flags: Vec<u8>,
    /// Word hashes of the added words, run after run.
    added: Vec<u32>,
    /// Per added word: bit 1 = starts a run (a new sentence or a new insertion).
    added_flags: Vec<u8>,
}

const DELETED: u8 = 1;
const START: u8 = 2;

/// Counts of one group after the first pass.
#[derive(Default)]
struct Group {
    settlements: usize,
    deleted: IdMap<u64, Gram>,
    added: IdMap<u64, Gram>,
    replacements: HashMap<(String, String), (usize, Vec<u32>)>,
    tone: Vec<(Features, Features)>,
    tone_idx: Vec<u32>,
    categories: BTreeMap<Category, usize>,
    by_intent: BTreeMap<String, BTreeMap<Category, usize>>,
}

fn merge_grams(into: &mut IdMap<u64, Gram>, from: &IdMap<u64, Gram>) {
    for (k, g) in from {
        into.entry(*k)
            .and_modify(|e| e.count += g.count)
            .or_insert(*g);
    }
    if into.len() > PRUNE_AT {
        into.retain(|_, g| g.count > 1);
    }
}

impl Group {
    fn merge(&mut self, other: &Group) {
        self.settlements += other.settlements;
        merge_grams(&mut self.deleted, &other.deleted);
        merge_grams(&mut self.added, &other.added);
        for (k, (n, ids)) in &other.replacements {
            let e = self.replacements.entry(k.clone()).or_default();
            e.0 += n;
            e.1.extend(ids);
            e.1.truncate(EXAMPLES);
        }
        self.tone.extend_from_slice(&other.tone);
        self.tone_idx.extend_from_slice(&other.tone_idx);
        for (c, n) in &other.categories {
            *self.categories.entry(*c).or_default() += n;
        }
        for (k, m) in &other.by_intent {
            let e = self.by_intent.entry(k.clone()).or_default();
            for (c, n) in m {
                *e.entry(*c).or_default() += n;
            }
        }
    }
}

/// Short replacements only: up to this many words on each side.
const REPLACEMENT_WORDS: usize = 4;

/// Count the distinct n-grams of runs of words (a run ends where `starts(i)` or where `keep`
/// turns false), each with its position.
fn run_grams(
    hashes: &[u32],
    keep: impl Fn(usize) -> bool,
    starts: impl Fn(usize) -> bool,
    out: &mut Vec<(u64, u32, u8)>,
) {
    let len = hashes.len();
    let mut i = 0;
    while i < len {
        if !keep(i) {
            i += 1;
            continue;
        }
        let mut end = i + 1;
        while end < len && keep(end) && !starts(end) {
            end += 1;
        }
        for s in i..end {
            let mut h = GRAM_SEED;
            for n in 1..=MAX_N.min(end - s) {
                h = fold(h, hashes[s + n - 1]);
                out.push((h, s as u32, n as u8));
            }
        }
        i = end;
    }
}

fn count_grams(map: &mut IdMap<u64, Gram>, grams: &mut Vec<(u64, u32, u8)>, at: u32) {
    grams.sort_unstable_by_key(|g| g.0);
    grams.dedup_by_key(|g| g.0);
    for (h, start, n) in grams.drain(..) {
        map.entry(h).and_modify(|g| g.count += 1).or_insert(Gram {
            count: 1,
            at,
            start,
            n,
        });
    }
}

/// The first pass over one settlement (number `at` in reading order).
fn first_pass(
    s: &Settlement,
    at: u32,
    group_index: u16,
    group: &mut Group,
    vocab: &mut IdMap<u32, Box<str>>,
    memo: &tone::SentimentMemo,
) -> Compact {
    let (a, f) = (Tokens::of(&s.ai_output), Tokens::of(&s.final_output));
    let ops = ops::edit_ops_tokens(&s.ai_output, &s.final_output, &a.all, &f.all);
    let edit = Edit::of(&a, &f, &ops);
    group.settlements += 1;
    // The words phrases can be made of: deleted and added ones.
    for (t, marked) in [(&a, &edit.deleted), (&f, &edit.inserted)] {
        for (i, h) in t.hashes.iter().enumerate() {
            if marked[i] {
                vocab
                    .entry(*h)
                    .or_insert_with(|| t.word(i).to_lowercase().into_boxed_str());
            }
        }
    }
    // The compact AI output and added words.
    let ai_flags: Vec<u8> = (0..a.len())
        .map(|i| {
            let start = i == 0 || a.sentence_of[i] != a.sentence_of[i - 1];
            (u8::from(edit.deleted[i]) * DELETED) | (u8::from(start) * START)
        })
        .collect();
    let mut added = Vec::new();
    let mut added_flags = Vec::new();
    for i in 0..f.len() {
        if edit.inserted[i] {
            let start = i == 0 || !edit.inserted[i - 1] || f.sentence_of[i] != f.sentence_of[i - 1];
            added.push(f.hashes[i]);
            added_flags.push(u8::from(start) * START);
        }
    }
    let mut grams = Vec::new();
    run_grams(
        &a.hashes,
        |i| ai_flags[i] & DELETED != 0,
        |i| ai_flags[i] & START != 0,
        &mut grams,
    );
    count_grams(&mut group.deleted, &mut grams, at);
    run_grams(
        &added,
        |_| true,
        |i| added_flags[i] & START != 0,
        &mut grams,
    );
    count_grams(&mut group.added, &mut grams, at);
    for op in ops.iter().filter(|o| o.kind == OpKind::Replace) {
        let from: Vec<String> = crate::text::words(&op.old_text)
            .map(str::to_lowercase)
            .collect();
        let to: Vec<String> = crate::text::words(&op.new_text)
            .map(str::to_lowercase)
            .collect();
        if !from.is_empty()
            && !to.is_empty()
            && from.len() <= REPLACEMENT_WORDS
            && to.len() <= REPLACEMENT_WORDS
            && from != to
        {
            let e = group
                .replacements
                .entry((from.join(" "), to.join(" ")))
                .or_default();
            e.0 += 1;
            if e.1.len() < EXAMPLES {
                e.1.push(at);
            }
        }
    }
    group.tone.push(tone::features_pair(&a, &f, memo));
    group.tone_idx.push(at);
    let c = category_of(&a, &f, &ops, &edit.counts);
    *group.categories.entry(c).or_default() += 1;
    *group
        .by_intent
        .entry(s.intent_type.to_string())
        .or_default()
        .entry(c)
        .or_default() += 1;
    Compact {
        group: group_index,
        day: (s.created_at.timestamp().div_euclid(86_400)) as i32,
        rejected: c == Category::Rewritten,
        ai: a.hashes,
        ai_flags,
        added,
        added_flags,
    }
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
        .filter(|(w, _)| !w.iter().all(|w| stop.contains(w)))
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
    for (words, hits) in frequent {
        // Explained by one longer phrase (it occurs almost only inside it)?
        let covered = kept
            .iter()
            .filter(|(k, _)| contains(k, &words))
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0);
        if covered as f64 >= 0.9 * hits as f64 {
            continue;
        }
        kept.push((words, hits));
    }
    // Merge overlapping phrases (a's tail is b's head) with similar counts.
    loop {
        let mut merged = None;
        'search: for i in 0..kept.len() {
            for j in 0..kept.len() {
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
    /// Replacement `from` phrases, to look for in AI outputs.
    from: Matcher,
    from_text: Vec<String>,
    added: Matcher,
}

#[derive(Clone)]
struct Tally {
    appeared: Vec<usize>,
    hits: Vec<usize>,
    examples: Vec<Vec<u32>>,
    from_appeared: Vec<usize>,
    added_hits: Vec<usize>,
    added_examples: Vec<Vec<u32>>,
    /// The same counts for the later half of the group's time span, and its settlements.
    appeared_late: Vec<usize>,
    hits_late: Vec<usize>,
    added_hits_late: Vec<usize>,
    late: usize,
    /// Rejected settlements whose AI output contains each deleted candidate, and their count.
    appeared_rejected: Vec<usize>,
    rejected: usize,
}

impl Tally {
    fn new(p: &Pass2) -> Tally {
        let n = p.deleted.phrases.len();
        let a = p.added.phrases.len();
        Tally {
            appeared: vec![0; n],
            hits: vec![0; n],
            examples: vec![Vec::new(); n],
            from_appeared: vec![0; p.from.phrases.len()],
            added_hits: vec![0; a],
            added_examples: vec![Vec::new(); a],
            appeared_late: vec![0; n],
            hits_late: vec![0; n],
            added_hits_late: vec![0; a],
            late: 0,
            appeared_rejected: vec![0; n],
            rejected: 0,
        }
    }

    fn merge(&mut self, other: Tally) {
        let add =
            |a: &mut Vec<usize>, b: Vec<usize>| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        add(&mut self.appeared, other.appeared);
        add(&mut self.hits, other.hits);
        add(&mut self.from_appeared, other.from_appeared);
        add(&mut self.added_hits, other.added_hits);
        add(&mut self.appeared_late, other.appeared_late);
        add(&mut self.hits_late, other.hits_late);
        add(&mut self.added_hits_late, other.added_hits_late);
        self.late += other.late;
        add(&mut self.appeared_rejected, other.appeared_rejected);
        self.rejected += other.rejected;
        for (a, b) in self.examples.iter_mut().zip(other.examples) {
            a.extend(b);
            a.truncate(EXAMPLES);
        }
        for (a, b) in self.added_examples.iter_mut().zip(other.added_examples) {
            a.extend(b);
            a.truncate(EXAMPLES);
        }
    }
}

/// The second pass over one settlement: which candidate phrases its AI output contains, and
/// whether one of their occurrences lies wholly inside deleted text; which added phrases its
/// added words hold.
fn second_pass(c: &Compact, at: u32, late: bool, p: &Pass2, t: &mut Tally, seen: &mut Vec<usize>) {
    seen.clear();
    t.late += usize::from(late);
    t.rejected += usize::from(c.rejected);
    let mut hit: Vec<usize> = Vec::new();
    p.deleted.scan(&c.ai, &c.ai_flags, |k, i| {
        seen.push(k);
        let n = p.deleted.phrases[k].len();
        if c.ai_flags[i..i + n].iter().all(|f| f & DELETED != 0) {
            hit.push(k);
        }
    });
    seen.sort_unstable();
    seen.dedup();
    for k in seen.iter() {
        t.appeared[*k] += 1;
        t.appeared_late[*k] += usize::from(late);
        t.appeared_rejected[*k] += usize::from(c.rejected);
    }
    hit.sort_unstable();
    hit.dedup();
    for k in hit {
        t.hits[k] += 1;
        t.hits_late[k] += usize::from(late);
        if t.examples[k].len() < EXAMPLES {
            t.examples[k].push(at);
        }
    }
    seen.clear();
    p.from.scan(&c.ai, &c.ai_flags, |k, _| seen.push(k));
    seen.sort_unstable();
    seen.dedup();
    for k in seen.iter() {
        t.from_appeared[*k] += 1;
    }
    seen.clear();
    p.added.scan(&c.added, &c.added_flags, |k, _| seen.push(k));
    seen.sort_unstable();
    seen.dedup();
    for k in seen.iter() {
        t.added_hits[*k] += 1;
        t.added_hits_late[*k] += usize::from(late);
        if t.added_examples[*k].len() < EXAMPLES {
            t.added_examples[*k].push(at);
        }
    }
}

const BATCH: usize = 2000;

/// What the first pass has gathered so far.
#[derive(Default)]
struct Pass1 {
    names: Vec<String>,
    groups: Vec<Group>,
    vocab: IdMap<u32, Box<str>>,
    ids: Vec<String>,
    compact: Vec<Compact>,
}

/// One batch after its first pass, with its own agent numbering.
struct Analysed {
    names: Vec<String>,
    groups: Vec<Group>,
    words: IdMap<u32, Box<str>>,
    compact: Vec<Compact>,
    ids: Vec<String>,
}

/// The first pass over a batch whose first settlement is number `base` in reading order.
fn analyse(batch: &[Settlement], base: u32, memo: &tone::SentimentMemo) -> Analysed {
    let mut names: Vec<String> = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut words: IdMap<u32, Box<str>> = IdMap::default();
    let compact = batch
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let g = match names.iter().position(|n| n == s.agent.as_str()) {
                Some(g) => g,
                None => {
                    names.push(s.agent.as_str().to_owned());
                    groups.push(Group::default());
                    names.len() - 1
                }
            };
            first_pass(
                s,
                base + k as u32,
                g as u16,
                &mut groups[g],
                &mut words,
                memo,
            )
        })
        .collect();
    Analysed {
        names,
        groups,
        words,
        compact,
        ids: batch.iter().map(|s| s.id.as_str().to_owned()).collect(),
    }
}

impl Pass1 {
    /// Merge the next batch (in reading order).
    fn merge(&mut self, a: Analysed) {
        let global: Vec<usize> = a
            .names
            .iter()
            .map(|n| match self.names.iter().position(|m| m == n) {
                Some(g) => g,
                None => {
                    self.names.push(n.clone());
                    self.groups.push(Group::default());
                    self.names.len() - 1
                }
            })
            .collect();
        for (l, g) in a.groups.iter().enumerate() {
            self.groups[global[l]].merge(g);
        }
        for (k, v) in a.words {
            self.vocab.entry(k).or_insert(v);
        }
        self.compact.extend(a.compact.into_iter().map(|mut c| {
            c.group = global[c.group as usize] as u16;
            c
        }));
        self.ids.extend(a.ids);
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
    mut scan: impl FnMut(&mut dyn FnMut(Settlement)) -> Result<(), E>,
    settlements: Option<u64>,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<Report>, E> {
    // Pass 1, streamed: this thread reads settlements; one thread per core analyses whole
    // batches; a merging thread adds them up in reading order.
    let total = settlements.map(|n| 2 * n);
    let memo = tone::SentimentMemo::new();
    let mut pass1 = Pass1::default();
    let mut done = 0u64;
    let read = std::thread::scope(|scope| -> Result<bool, E> {
        let (pass1, memo) = (&mut pass1, &memo);
        // Dropped when this closure ends, however it ends: the analysing threads then stop.
        let mut to_analyse = crate::parallel::ordered(
            scope,
            |(base, batch): (u32, Vec<Settlement>)| analyse(&batch, base, memo),
            |a| pass1.merge(a),
        );
        let mut pending: Vec<Settlement> = Vec::with_capacity(BATCH);
        let mut send = |batch: Vec<Settlement>, done: u64| {
            to_analyse.send(((done - batch.len() as u64) as u32, batch));
        };
        scan(&mut |s| {
            if cancel.is_cancelled() {
                return;
            }
            pending.push(s);
            if pending.len() >= BATCH {
                done += pending.len() as u64;
                send(
                    std::mem::replace(&mut pending, Vec::with_capacity(BATCH)),
                    done,
                );
                on_step(Step {
                    done,
                    total,
                    items: done,
                });
            }
        })?;
        if cancel.is_cancelled() {
            return Ok(false);
        }
        done += pending.len() as u64;
        send(pending, done);
        Ok(true)
    })?;
    if !read {
        return Ok(None);
    }
    on_step(Step {
        done,
        total,
        items: done,
    });
    let Pass1 {
        mut names,
        mut groups,
        vocab,
        ids,
        compact,
    } = pass1;

    // Agents by name, then all agents together.
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|a, b| names[*a].cmp(&names[*b]));
    let overall = names.len() > 1;
    if overall {
        let mut all = Group::default();
        for g in &groups {
            all.merge(g);
        }
        names.push(ALL_AGENTS.to_owned());
        groups.push(all);
        order.push(groups.len() - 1);
    }
    let all_index = overall.then(|| groups.len() - 1);

    // Between the passes: candidates per group, as word hashes.
    let stop: HashSet<u32> = STOPWORDS.iter().map(|w| word_hash(w)).collect();
    let plans: Vec<Pass2> = groups
        .iter()
        .map(|g| {
            let min_hits = MIN_HITS.max(g.settlements / 200);
            let deleted = maximal(
                &g.deleted,
                |gr| {
                    let c = &compact[gr.at as usize];
                    c.ai[gr.start as usize..gr.start as usize + gr.n as usize].to_vec()
                },
                min_hits,
                &stop,
            );
            let added = maximal(
                &g.added,
                |gr| {
                    let c = &compact[gr.at as usize];
                    c.added[gr.start as usize..gr.start as usize + gr.n as usize].to_vec()
                },
                min_hits,
                &stop,
            );
            let from_text: Vec<String> = g
                .replacements
                .iter()
                .filter(|(_, (n, _))| *n >= min_hits)
                .map(|((from, _), _)| from.clone())
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            let from = from_text
                .iter()
                .map(|t| t.split(' ').map(word_hash).collect())
                .collect();
            Pass2 {
                deleted: Matcher::new(deleted),
                from: Matcher::new(from),
                from_text,
                added: Matcher::new(added),
            }
        })
        .collect();

    // Each group's time span splits at its median day: phrases' trends compare the halves.
    let mut days: Vec<Vec<i32>> = vec![Vec::new(); groups.len()];
    for c in &compact {
        days[c.group as usize].push(c.day);
        if let Some(all) = all_index {
            days[all].push(c.day);
        }
    }
    let split: Vec<i32> = days
        .iter_mut()
        .map(|d| {
            if d.is_empty() {
                return i32::MAX;
            }
            let mid = d.len() / 2;
            *d.select_nth_unstable(mid).1
        })
        .collect();
    drop(days);

    // Pass 2, in memory.
    let mut tallies: Vec<Tally> = plans.iter().map(Tally::new).collect();
    const CHUNK: usize = BATCH * 4;
    for (ci, chunk) in compact.chunks(CHUNK).enumerate() {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        let base = ci * CHUNK;
        let partials = crate::parallel::chunks(chunk, |offset, part| {
            let mut local: Vec<Tally> = plans.iter().map(Tally::new).collect();
            let mut seen = Vec::new();
            for (k, c) in part.iter().enumerate() {
                let at = (base + offset + k) as u32;
                let g = c.group as usize;
                second_pass(
                    c,
                    at,
                    c.day >= split[g],
                    &plans[g],
                    &mut local[g],
                    &mut seen,
                );
                if let Some(all) = all_index {
                    let late = c.day >= split[all];
                    second_pass(c, at, late, &plans[all], &mut local[all], &mut seen);
                }
            }
            local
        });
        for local in partials {
            for (t, l) in tallies.iter_mut().zip(local) {
                t.merge(l);
            }
        }
        done += chunk.len() as u64;
        on_step(Step {
            done,
            total,
            items: done,
        });
    }

    let text = |words: &[u32]| -> String {
        words
            .iter()
            .map(|w| vocab.get(w).map_or("?", |s| &**s))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let count = ids.len();
    let mut tallies: Vec<Option<Tally>> = tallies.into_iter().map(Some).collect();
    let mut groups: Vec<Option<Group>> = groups.into_iter().map(Some).collect();
    let agents = order
        .into_iter()
        .map(|g| {
            summarise(
                names[g].clone(),
                groups[g].take().expect("once"),
                split[g],
                &plans[g],
                &tallies[g].take().expect("once"),
                &ids,
                &text,
            )
        })
        .collect();
    Ok(Some(Report {
        settlements: count,
        agents,
    }))
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
    /// hits ÷ support with its 95% Wilson interval; phrases are ranked by the interval's lower end.
    pub share: Estimate,
    pub examples: Vec<String>,
    /// The share in the earlier and the later half of the time span (split at the median
    /// settlement's day), when both halves have settlements.
    pub trend: Option<PhraseTrend>,
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
    /// `new`, `gone`, `rising`, `falling` (p < 0.01) or `steady`.
    pub direction: &'static str,
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
            direction,
        })
    }
}

/// A systematic substitution: `from` in the AI output became `to`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Replacement {
    pub from: String,
    pub to: String,
    pub hits: usize,
    /// Settlements whose AI output contained `from`.
    pub support: usize,
    pub share: Estimate,
    pub examples: Vec<String>,
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

/// Mine the store's settlements in `scope`, reading them from disk once per pass (never all
/// at once).
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
    let kind = scope
        .intent_type
        .as_deref()
        .map(crate::model::IntentType::new);
    let filter = crate::store::Filter {
        agent: scope
            .agent
            .as_deref()
            .and_then(|a| crate::model::AgentName::new(a).ok()),
        intent_type: kind.clone(),
        from: scope.from,
        to: scope.to,
        text: None,
    };
    let count = store.list(&filter, 0, 1)?.total;
    mine_with(
        |visit| {
            store.scan(scope.from, scope.to, |s| {
                if scope
                    .agent
                    .as_deref()
                    .is_some_and(|a| a != s.agent.as_str())
                {
                    return;
                }
                if kind.as_ref().is_some_and(|k| *k != s.intent_type) {
                    return;
                }
                visit(s)
            })
        },
        Some(count),
        on_step,
        cancel,
    )
}

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

fn rank_phrases(mut list: Vec<Phrase>) -> Vec<Phrase> {
    list.sort_by(|a, b| {
        b.share
            .low
            .unwrap_or(0.0)
            .total_cmp(&a.share.low.unwrap_or(0.0))
            .then(b.hits.cmp(&a.hits))
            .then(a.text.cmp(&b.text))
    });
    list.truncate(TOP);
    list
}

fn summarise(
    agent: String,
    g: Group,
    split: i32,
    p: &Pass2,
    t: &Tally,
    ids: &[String],
    text: &dyn Fn(&[u32]) -> String,
) -> AgentPatterns {
    let min_hits = MIN_HITS.max(g.settlements / 200);
    let names = |v: &[u32]| {
        v.iter()
            .map(|i| ids[*i as usize].clone())
            .collect::<Vec<_>>()
    };
    let deleted = rank_phrases(
        p.deleted
            .phrases
            .iter()
            .enumerate()
            .filter(|(i, _)| t.hits[*i] >= min_hits)
            .filter_map(|(i, w)| {
                Some(Phrase {
                    text: text(w),
                    words: w.len(),
                    hits: t.hits[i],
                    support: t.appeared[i],
                    share: wilson(t.hits[i], t.appeared[i])?,
                    examples: names(&t.examples[i]),
                    trend: PhraseTrend::of(
                        split,
                        (
                            t.hits[i] - t.hits_late[i],
                            t.appeared[i] - t.appeared_late[i],
                        ),
                        (t.hits_late[i], t.appeared_late[i]),
                    ),
                })
            })
            .collect(),
    );
    let added = rank_phrases(
        p.added
            .phrases
            .iter()
            .enumerate()
            .filter(|(i, _)| t.added_hits[*i] >= min_hits)
            .filter_map(|(i, w)| {
                Some(Phrase {
                    text: text(w),
                    words: w.len(),
                    hits: t.added_hits[i],
                    support: g.settlements,
                    share: wilson(t.added_hits[i], g.settlements)?,
                    examples: names(&t.added_examples[i]),
                    trend: PhraseTrend::of(
                        split,
                        (
                            t.added_hits[i] - t.added_hits_late[i],
                            g.settlements - t.late,
                        ),
                        (t.added_hits_late[i], t.late),
                    ),
                })
            })
            .collect(),
    );
    let from_index: HashMap<&str, usize> = p
        .from_text
        .iter()
        .enumerate()
        .map(|(i, w)| (w.as_str(), i))
        .collect();
    let mut replacements: Vec<Replacement> = g
        .replacements
        .iter()
        .filter(|(_, (n, _))| *n >= min_hits)
        .filter_map(|((from, to), (n, at))| {
            let support = t.from_appeared[*from_index.get(from.as_str())?].max(*n);
            Some(Replacement {
                from: from.clone(),
                to: to.clone(),
                hits: *n,
                support,
                share: wilson(*n, support)?,
                examples: names(at),
            })
        })
        .collect();
    replacements.sort_by(|a, b| {
        b.share
            .low
            .unwrap_or(0.0)
            .total_cmp(&a.share.low.unwrap_or(0.0))
            .then(b.hits.cmp(&a.hits))
            .then(a.from.cmp(&b.from))
    });
    replacements.truncate(TOP);
    let rejection_patterns = rejection_patterns(p, t, g.settlements, &text);
    let tone = tone::shifts(&g.tone);
    let recommendations = recommend(&g, ids, &deleted, &added, &replacements, &tone);
    AgentPatterns {
        agent,
        settlements: g.settlements,
        recommendations,
        deleted,
        added,
        replacements,
        tone,
        categories: g.categories,
        categories_by_intent: g.by_intent,
        rejection_patterns,
    }
}

/// Deleted-phrase candidates at least twice as common in rejected outputs as in the others,
/// in ≥ 20% of the rejected ones and ≥ 5 of them, one-sided two-proportion p < 0.01; the 10
/// with the highest share in rejected outputs.
fn rejection_patterns(
    p: &Pass2,
    t: &Tally,
    settlements: usize,
    text: &dyn Fn(&[u32]) -> String,
) -> Vec<RejectionPattern> {
    let others = settlements.saturating_sub(t.rejected);
    if t.rejected < MIN_HITS || others == 0 {
        return Vec::new();
    }
    let mut out: Vec<RejectionPattern> = p
        .deleted
        .phrases
        .iter()
        .enumerate()
        .filter_map(|(i, w)| {
            let k_r = t.appeared_rejected[i];
            let k_o = t.appeared[i] - k_r;
            let (in_rejected, elsewhere) = (wilson(k_r, t.rejected)?, wilson(k_o, others)?);
            let lift = in_rejected.value / elsewhere.value.max(1.0 / others as f64);
            let (z, p2) = crate::stats::ab::two_proportion(k_o, others, k_r, t.rejected)?;
            let p_value = if z > 0.0 { p2 / 2.0 } else { 1.0 - p2 / 2.0 };
            (k_r >= MIN_HITS && in_rejected.value >= 0.2 && lift >= 2.0 && p_value < 0.01).then(
                || RejectionPattern {
                    text: text(w),
                    in_rejected,
                    elsewhere,
                    lift,
                    p_value,
                },
            )
        })
        .collect();
    out.sort_by(|a, b| {
        b.in_rejected
            .value
            .total_cmp(&a.in_rejected.value)
            .then(a.text.cmp(&b.text))
    });
    // Keep maximal phrases only: drop one contained in a phrase already listed.
    let mut kept: Vec<RejectionPattern> = Vec::new();
    for r in out {
        if !kept.iter().any(|k| k.text.contains(&r.text)) {
            kept.push(r);
        }
    }
    kept.truncate(10);
    kept
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// The settlements whose `feature` moved most in the direction of the shift.
fn tone_examples(g: &Group, ids: &[String], feature: usize, rising: bool) -> Vec<String> {
    let mut idx: Vec<usize> = (0..g.tone.len()).collect();
    let change = |i: usize| g.tone[i].1[feature] - g.tone[i].0[feature];
    idx.sort_by(|a, b| {
        let (x, y) = (change(*a), change(*b));
        if rising {
            y.total_cmp(&x)
        } else {
            x.total_cmp(&y)
        }
    });
    idx.into_iter()
        .take(EXAMPLES)
        .map(|i| ids[g.tone_idx[i] as usize].clone())
        .collect()
}

fn recommend(
    g: &Group,
    ids: &[String],
    deleted: &[Phrase],
    added: &[Phrase],
    replacements: &[Replacement],
    tone: &[ToneShift],
) -> Vec<Recommendation> {
    let mut out = Vec::new();
    for p in deleted.iter().filter(|p| p.share.value >= 0.5).take(5) {
        out.push(Recommendation {
            kind: "remove",
            text: format!(
                "Remove “{}”: people delete it in {} of the {} outputs that contain it (95% CI {}–{}).",
                p.text,
                pct(p.share.value),
                p.support,
                pct(p.share.low.unwrap_or(p.share.value)),
                pct(p.share.high.unwrap_or(p.share.value)),
            ),
            examples: p.examples.clone(),
        });
    }
    for r in replacements.iter().filter(|r| r.share.value >= 0.4).take(5) {
        out.push(Recommendation {
            kind: "replace",
            text: format!(
                "Say “{}” instead of “{}”: people replace it in {} of the {} outputs that use it.",
                r.to,
                r.from,
                pct(r.share.value),
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
    let shift = |name: &str| tone.iter().position(|t| t.feature == name && t.significant);
    if let Some(k) = shift("contractions").filter(|k| tone[*k].mean_change > 0.0) {
        out.push(Recommendation {
            kind: "tone",
            text: format!(
                "Write less formally: people add contractions ({:+.1} per 100 words, effect d = {:.2}, p = {:.1e}).",
                tone[k].mean_change, tone[k].effect_size, tone[k].p_value
            ),
            examples: tone_examples(g, ids, k, true),
        });
    }
    if let Some(k) = shift("first_person").filter(|k| tone[*k].mean_change > 0.0) {
        out.push(Recommendation {
            kind: "tone",
            text: format!(
                "Speak as the team (“we recommend”, not “it is recommended”): people add first-person pronouns ({:+.1} per 100 words, d = {:.2}).",
                tone[k].mean_change, tone[k].effect_size
            ),
            examples: tone_examples(g, ids, k, true),
        });
    }
    if let Some(k) = shift("formal_words").filter(|k| tone[*k].mean_change < 0.0) {
        out.push(Recommendation {
            kind: "tone",
            text: format!(
                "Avoid formal words and connectives (“utilize”, “however”, “therefore”): people remove {:.1} per 100 words (d = {:.2}).",
                -tone[k].mean_change, tone[k].effect_size
            ),
            examples: tone_examples(g, ids, k, false),
        });
    }
    if let Some(k) = shift("hedges").filter(|k| tone[*k].mean_change < 0.0) {
        out.push(Recommendation {
            kind: "tone",
            text: format!(
                "Hedge less (“may”, “might”, “potentially”): people cut {:.1} hedges per 100 words (d = {:.2}).",
                -tone[k].mean_change, tone[k].effect_size
            ),
            examples: tone_examples(g, ids, k, false),
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
                examples: tone_examples(g, ids, k, false),
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
                examples: tone_examples(g, ids, k, true),
            });
        }
    }
    let rewritten = g.categories.get(&Category::Rewritten).copied().unwrap_or(0);
    if g.settlements > 0 && rewritten as f64 >= 0.2 * g.settlements as f64 {
        out.push(Recommendation {
            kind: "rewrite",
            text: format!(
                "{} of outputs are rewritten or rejected ({} of {}): compare the prompt's task with what people write instead.",
                pct(rewritten as f64 / g.settlements as f64),
                rewritten,
                g.settlements
            ),
            examples: Vec::new(),
        });
    }
    out
}

#[cfg(test)]
mod tests;
