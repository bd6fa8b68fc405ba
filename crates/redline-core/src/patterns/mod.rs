//! Edit pattern mining (the design's EditPatternAnalyzer and identify_improvement_opportunities):
//! what people systematically delete, add, replace and re-tone in an agent's outputs, and the
//! prompt changes that follow from it. Definitions and thresholds: docs/patterns.md.
//!
//! Two passes over the settlements, both streamed and spread over the cores:
//! 1. per settlement: the edit operations ([`ops::edit_ops`]), the word n-grams (1–8 words,
//!    never across a sentence boundary) of what was deleted and added, short replacements,
//!    tone features of both texts and a failure category; counted per agent and overall;
//! 2. the frequent n-grams are merged into maximal phrases, then every AI output is searched
//!    for each phrase, to learn how often it appeared and in how many of those settlements
//!    people removed it (the design's "85% of edits remove this").

pub mod ops;
pub mod tone;

use crate::job::{Cancel, Progress, Step};
use crate::model::Settlement;
use crate::stats::{wilson, Estimate};
use ops::{edit_ops, sentences, EditOp, OpKind};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use tone::{features, Features, ToneShift};
use unicode_segmentation::UnicodeSegmentation;

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

fn is_stopword(w: &str) -> bool {
    STOPWORDS.contains(&w)
}

/// Lower-cased words of a text, per sentence.
fn sentence_words(text: &str) -> Vec<Vec<String>> {
    sentences(text)
        .map(|s| s.unicode_words().map(str::to_lowercase).collect::<Vec<_>>())
        .filter(|w| !w.is_empty())
        .collect()
}

fn hash_words(words: &[String]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for w in words {
        for b in w.bytes().chain([b' ']) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The distinct n-grams (1..=MAX_N words) of some sentences, hashed, with their words.
fn grams(sentences: &[Vec<String>]) -> HashMap<u64, Vec<String>> {
    let mut out = HashMap::new();
    for s in sentences {
        for i in 0..s.len() {
            for n in 1..=MAX_N.min(s.len() - i) {
                let g = &s[i..i + n];
                out.entry(hash_words(g)).or_insert_with(|| g.to_vec());
            }
        }
    }
    out
}

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

fn word_count(text: &str) -> usize {
    text.unicode_words().count()
}

/// The category of one edit.
pub fn categorise(ai: &str, fin: &str, ops: &[EditOp]) -> Category {
    if ops.is_empty() {
        return Category::AcceptedAsIs;
    }
    let (mut deleted, mut inserted, mut replaced, mut cost) = (0, 0, 0, 0);
    for op in ops {
        let (d, i) = (word_count(&op.old_text), word_count(&op.new_text));
        deleted += d;
        inserted += i;
        if op.kind == OpKind::Replace {
            replaced += d;
        }
        cost += d.max(i);
    }
    let (old_words, new_words) = (word_count(ai), word_count(fin));
    let norm = cost as f64 / old_words.max(new_words).max(1) as f64;
    if deleted as f64 > 0.6 * old_words as f64 {
        return Category::Rewritten;
    }
    if norm <= 0.1 {
        return Category::LightPolish;
    }
    let bag = |t: &str| {
        let mut m: HashMap<String, usize> = HashMap::new();
        for w in t.unicode_words() {
            *m.entry(w.to_lowercase()).or_default() += 1;
        }
        m
    };
    let (a, b) = (bag(ai), bag(fin));
    let shared: usize = a
        .iter()
        .map(|(w, n)| (*n).min(b.get(w).copied().unwrap_or(0)))
        .sum();
    if shared as f64 >= 0.8 * old_words.max(new_words).max(1) as f64 && norm > 0.3 {
        return Category::Restructured;
    }
    if inserted * 4 <= deleted {
        return Category::Trimmed;
    }
    if deleted * 4 <= inserted {
        return Category::Expanded;
    }
    let length_kept = (new_words as f64 - old_words as f64).abs() <= 0.15 * old_words as f64;
    if replaced * 2 >= deleted && length_kept {
        return Category::ToneChange;
    }
    Category::Mixed
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
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub settlements: usize,
    /// One entry per agent, then [`ALL_AGENTS`] when there is more than one agent.
    pub agents: Vec<AgentPatterns>,
}

/// Counts of one group after the first pass.
#[derive(Default)]
struct Group {
    settlements: usize,
    deleted: HashMap<u64, (usize, Vec<String>)>,
    added: HashMap<u64, (usize, Vec<String>)>,
    replacements: HashMap<(String, String), (usize, Vec<String>)>,
    tone: Vec<(Features, Features)>,
    tone_ids: Vec<String>,
    categories: BTreeMap<Category, usize>,
    by_intent: BTreeMap<String, BTreeMap<Category, usize>>,
}

impl Group {
    fn merge(&mut self, other: Group) {
        self.settlements += other.settlements;
        for (k, (n, w)) in other.deleted {
            self.deleted.entry(k).or_insert((0, w)).0 += n;
        }
        for (k, (n, w)) in other.added {
            self.added.entry(k).or_insert((0, w)).0 += n;
        }
        for (k, (n, ids)) in other.replacements {
            let e = self.replacements.entry(k).or_default();
            e.0 += n;
            e.1.extend(ids);
            e.1.truncate(EXAMPLES);
        }
        self.tone.extend(other.tone);
        self.tone_ids.extend(other.tone_ids);
        for (c, n) in other.categories {
            *self.categories.entry(c).or_default() += n;
        }
        for (k, m) in other.by_intent {
            let e = self.by_intent.entry(k).or_default();
            for (c, n) in m {
                *e.entry(c).or_default() += n;
            }
        }
    }
}

/// Short replacements only: up to this many words on each side.
const REPLACEMENT_WORDS: usize = 4;

/// What pass 1 learns from one settlement, added to a group.
fn first_pass(s: &Settlement, ops: &[EditOp], group: &mut Group) {
    group.settlements += 1;
    let mut deleted_sentences = Vec::new();
    let mut added_sentences = Vec::new();
    for op in ops {
        if op.kind == OpKind::Replace {
            let from: Vec<String> = op.old_text.unicode_words().map(str::to_lowercase).collect();
            let to: Vec<String> = op.new_text.unicode_words().map(str::to_lowercase).collect();
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
                    e.1.push(s.id.as_str().to_owned());
                }
            }
        }
        deleted_sentences.extend(sentence_words(&op.old_text));
        added_sentences.extend(sentence_words(&op.new_text));
    }
    for (h, words) in grams(&deleted_sentences) {
        group.deleted.entry(h).or_insert((0, words)).0 += 1;
    }
    for (h, words) in grams(&added_sentences) {
        group.added.entry(h).or_insert((0, words)).0 += 1;
    }
    group
        .tone
        .push((features(&s.ai_output), features(&s.final_output)));
    group.tone_ids.push(s.id.as_str().to_owned());
    let c = categorise(&s.ai_output, &s.final_output, ops);
    *group.categories.entry(c).or_default() += 1;
    *group
        .by_intent
        .entry(s.intent_type.to_string())
        .or_default()
        .entry(c)
        .or_default() += 1;
}

/// Whether `inner` occurs in `outer` as a contiguous run of words.
fn contains(outer: &[String], inner: &[String]) -> bool {
    inner.len() <= outer.len() && outer.windows(inner.len()).any(|w| w == inner)
}

/// Frequent n-grams → maximal phrases: an n-gram that occurs almost only (≥ 90%) inside one
/// longer kept phrase is dropped; overlapping phrases with similar counts (within 10%) are
/// merged into one; a phrase that only fills a slot after a shorter one (the shorter one is at
/// least twice as frequent and three or more kept phrases extend it) is dropped in favour of
/// the general one.
fn maximal(counts: &HashMap<u64, (usize, Vec<String>)>, min_hits: usize) -> Vec<Vec<String>> {
    let mut frequent: Vec<(&Vec<String>, usize)> = counts
        .values()
        .filter(|(n, w)| *n >= min_hits && !w.iter().all(|w| is_stopword(w)))
        .map(|(n, w)| (w, *n))
        .collect();
    // The most frequent first, at most a bounded number, then longest first.
    frequent.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(b.0.len().cmp(&a.0.len()))
            .then(a.0.cmp(b.0))
    });
    frequent.truncate(MAX_CANDIDATES);
    frequent.sort_by(|a, b| {
        b.0.len()
            .cmp(&a.0.len())
            .then(b.1.cmp(&a.1))
            .then(a.0.cmp(b.0))
    });
    let mut kept: Vec<(Vec<String>, usize)> = Vec::new();
    for (words, hits) in frequent {
        // Explained by one longer phrase (it occurs almost only inside it)?
        let covered = kept
            .iter()
            .filter(|(k, _)| contains(k, words))
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0);
        if covered as f64 >= 0.9 * hits as f64 {
            continue;
        }
        kept.push((words.clone(), hits));
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
    // A long phrase that only specialises a much more frequent shorter one ("next step: Dana
    // owns" inside "next step") is the same pattern with a filled-in slot: keep the general one.
    // A slot shows as three or more kept phrases around the same shorter one.
    let variants = |q: &[String]| {
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

/// Where phrase matching starts: candidates by their first word.
struct Matcher {
    phrases: Vec<Vec<String>>,
    by_first: HashMap<String, Vec<usize>>,
}

impl Matcher {
    fn new(phrases: Vec<Vec<String>>) -> Matcher {
        let mut by_first: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in phrases.iter().enumerate() {
            by_first.entry(p[0].clone()).or_default().push(i);
        }
        Matcher { phrases, by_first }
    }

    /// For each phrase found in `words` (one sentence), call `found(phrase, start)`.
    fn scan(&self, words: &[String], mut found: impl FnMut(usize, usize)) {
        for i in 0..words.len() {
            if let Some(cands) = self.by_first.get(&words[i]) {
                for &c in cands {
                    let p = &self.phrases[c];
                    if words.len() - i >= p.len() && words[i..i + p.len()] == p[..] {
                        found(c, i);
                    }
                }
            }
        }
    }
}

/// A group's candidates between the passes, and what pass 2 counts for them.
struct Pass2 {
    deleted: Matcher,
    /// Replacement `from` phrases, as phrases to look for in AI outputs.
    from: Matcher,
    added: Matcher,
}

#[derive(Default, Clone)]
struct Tally {
    appeared: Vec<usize>,
    hits: Vec<usize>,
    examples: Vec<Vec<String>>,
    from_appeared: Vec<usize>,
    added_hits: Vec<usize>,
    added_examples: Vec<Vec<String>>,
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
        }
    }

    fn merge(&mut self, other: Tally) {
        let add =
            |a: &mut Vec<usize>, b: Vec<usize>| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        add(&mut self.appeared, other.appeared);
        add(&mut self.hits, other.hits);
        add(&mut self.from_appeared, other.from_appeared);
        add(&mut self.added_hits, other.added_hits);
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

/// Pass 2 for one settlement: which candidate phrases its AI output contains, and whether one
/// of their occurrences lies wholly inside deleted text; which added phrases its insertions hold.
fn second_pass(s: &Settlement, ops: &[EditOp], p: &Pass2, t: &mut Tally) {
    // Deleted character ranges of the AI output.
    let deleted: Vec<(usize, usize)> = ops
        .iter()
        .filter(|o| o.kind != OpKind::Insert)
        .map(|o| (o.old_start, o.old_end))
        .collect();
    let mut seen = HashSet::new();
    let mut hit = HashSet::new();
    let mut from_seen = HashSet::new();
    // Byte → char offsets as we go.
    let mut char_at = 0usize;
    let mut byte_at = 0usize;
    let mut to_char = |byte: usize, text: &str| {
        char_at += text[byte_at..byte].chars().count();
        byte_at = byte;
        char_at
    };
    for (start, sentence) in s.ai_output.split_sentence_bound_indices() {
        let mut words = Vec::new();
        let mut spans = Vec::new();
        for (off, w) in sentence.unicode_word_indices() {
            let b = start + off;
            let c0 = to_char(b, &s.ai_output);
            words.push(w.to_lowercase());
            spans.push((c0, c0 + w.chars().count()));
        }
        let inside = |c: (usize, usize)| deleted.iter().any(|d| d.0 <= c.0 && c.1 <= d.1);
        p.deleted.scan(&words, |c, i| {
            seen.insert(c);
            let n = p.deleted.phrases[c].len();
            if spans[i..i + n].iter().all(|sp| inside(*sp)) {
                hit.insert(c);
            }
        });
        p.from.scan(&words, |c, _| {
            from_seen.insert(c);
        });
    }
    for c in seen {
        t.appeared[c] += 1;
    }
    for c in hit {
        t.hits[c] += 1;
        if t.examples[c].len() < EXAMPLES {
            t.examples[c].push(s.id.as_str().to_owned());
        }
    }
    for c in from_seen {
        t.from_appeared[c] += 1;
    }
    let mut added = HashSet::new();
    for op in ops {
        for words in sentence_words(&op.new_text) {
            p.added.scan(&words, |c, _| {
                added.insert(c);
            });
        }
    }
    for c in added {
        t.added_hits[c] += 1;
        if t.added_examples[c].len() < EXAMPLES {
            t.added_examples[c].push(s.id.as_str().to_owned());
        }
    }
}

/// Work on a batch with every core; `work(part) -> partial`, one partial per core.
fn parallel<I: Sync, T: Send>(batch: &[I], work: impl Fn(&[I]) -> T + Sync) -> Vec<T> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = batch.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = batch
            .chunks(per)
            .map(|part| scope.spawn(|| work(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("mining does not panic"))
            .collect()
    })
}

const BATCH: usize = 2000;

/// Mine the settlements that `scan` visits (it is called twice: once per pass).
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
    let total = settlements.map(|n| 2 * n);
    let mut done = 0u64;
    // Pass 1.
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let mut pending: Vec<Settlement> = Vec::new();
    let mut ops_of: HashMap<String, Vec<EditOp>> = HashMap::new();
    let flush1 = |pending: &mut Vec<Settlement>,
                  groups: &mut BTreeMap<String, Group>,
                  ops_of: &mut HashMap<String, Vec<EditOp>>| {
        let partials = parallel(pending, |part| {
            let mut local: BTreeMap<String, Group> = BTreeMap::new();
            let mut ops = Vec::with_capacity(part.len());
            for s in part {
                let o = edit_ops(&s.ai_output, &s.final_output);
                first_pass(s, &o, local.entry(s.agent.as_str().to_owned()).or_default());
                ops.push((s.id.as_str().to_owned(), o));
            }
            (local, ops)
        });
        for (local, ops) in partials {
            for (agent, g) in local {
                groups.entry(agent).or_default().merge(g);
            }
            ops_of.extend(ops);
        }
        pending.clear();
    };
    scan(&mut |s| {
        if cancel.is_cancelled() {
            return;
        }
        pending.push(s);
        if pending.len() >= BATCH {
            done += pending.len() as u64;
            flush1(&mut pending, &mut groups, &mut ops_of);
            on_step(Step {
                done,
                total,
                items: done,
            });
        }
    })?;
    if cancel.is_cancelled() {
        return Ok(None);
    }
    done += pending.len() as u64;
    flush1(&mut pending, &mut groups, &mut ops_of);
    on_step(Step {
        done,
        total,
        items: done,
    });
    let count: usize = groups.values().map(|g| g.settlements).sum();
    if groups.len() > 1 {
        let mut all = Group::default();
        for g in groups.values() {
            // Cheap enough: the maps hold only n-grams of edited text.
            all.merge(Group {
                settlements: g.settlements,
                deleted: g.deleted.clone(),
                added: g.added.clone(),
                replacements: g.replacements.clone(),
                tone: g.tone.clone(),
                tone_ids: g.tone_ids.clone(),
                categories: g.categories.clone(),
                by_intent: g.by_intent.clone(),
            });
        }
        groups.insert(ALL_AGENTS.to_owned(), all);
    }

    // Between the passes: candidates per group.
    let mut candidates: BTreeMap<String, Pass2> = BTreeMap::new();
    for (name, g) in &groups {
        let min_hits = MIN_HITS.max(g.settlements / 200);
        let froms: Vec<Vec<String>> = g
            .replacements
            .iter()
            .filter(|(_, (n, _))| *n >= min_hits)
            .map(|((from, _), _)| from.split(' ').map(str::to_owned).collect())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        candidates.insert(
            name.clone(),
            Pass2 {
                deleted: Matcher::new(maximal(&g.deleted, min_hits)),
                from: Matcher::new(froms),
                added: Matcher::new(maximal(&g.added, min_hits)),
            },
        );
    }

    // Pass 2.
    let mut pending: Vec<(Settlement, Vec<EditOp>)> = Vec::new();
    let mut tallies: BTreeMap<String, Tally> = candidates
        .iter()
        .map(|(k, p)| (k.clone(), Tally::new(p)))
        .collect();
    let overall = groups.contains_key(ALL_AGENTS);
    let flush2 = |pending: &mut Vec<(Settlement, Vec<EditOp>)>,
                  tallies: &mut BTreeMap<String, Tally>| {
        let partials = parallel(pending, |part| {
            let mut local: BTreeMap<String, Tally> = BTreeMap::new();
            for (s, ops) in part {
                let mut names = vec![s.agent.as_str()];
                if overall {
                    names.push(ALL_AGENTS);
                }
                for name in names {
                    let Some(p) = candidates.get(name) else {
                        continue;
                    };
                    let t = local
                        .entry(name.to_owned())
                        .or_insert_with(|| Tally::new(p));
                    second_pass(s, ops, p, t);
                }
            }
            local
        });
        for local in partials {
            for (k, t) in local {
                tallies.get_mut(&k).expect("a tally per group").merge(t);
            }
        }
        pending.clear();
    };
    scan(&mut |s| {
        if cancel.is_cancelled() {
            return;
        }
        let ops = ops_of
            .remove(s.id.as_str())
            .unwrap_or_else(|| edit_ops(&s.ai_output, &s.final_output));
        pending.push((s, ops));
        if pending.len() >= BATCH {
            done += pending.len() as u64;
            flush2(&mut pending, &mut tallies);
            on_step(Step {
                done,
                total,
                items: done,
            });
        }
    })?;
    if cancel.is_cancelled() {
        return Ok(None);
    }
    done += pending.len() as u64;
    flush2(&mut pending, &mut tallies);
    on_step(Step {
        done,
        total,
        items: done,
    });

    let mut agents = Vec::new();
    for (name, g) in groups {
        let p = &candidates[&name];
        let t = &tallies[&name];
        agents.push(summarise(name, g, p, t));
    }
    // The all-agents group goes last.
    agents.sort_by_key(|a| a.agent == ALL_AGENTS);
    Ok(Some(Report {
        settlements: count,
        agents,
    }))
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

fn summarise(agent: String, g: Group, p: &Pass2, t: &Tally) -> AgentPatterns {
    let min_hits = MIN_HITS.max(g.settlements / 200);
    let deleted = rank_phrases(
        p.deleted
            .phrases
            .iter()
            .enumerate()
            .filter(|(i, _)| t.hits[*i] >= min_hits)
            .filter_map(|(i, w)| {
                Some(Phrase {
                    text: w.join(" "),
                    words: w.len(),
                    hits: t.hits[i],
                    support: t.appeared[i],
                    share: wilson(t.hits[i], t.appeared[i])?,
                    examples: t.examples[i].clone(),
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
                    text: w.join(" "),
                    words: w.len(),
                    hits: t.added_hits[i],
                    support: g.settlements,
                    share: wilson(t.added_hits[i], g.settlements)?,
                    examples: t.added_examples[i].clone(),
                })
            })
            .collect(),
    );
    let from_index: HashMap<String, usize> = p
        .from
        .phrases
        .iter()
        .enumerate()
        .map(|(i, w)| (w.join(" "), i))
        .collect();
    let mut replacements: Vec<Replacement> = g
        .replacements
        .iter()
        .filter(|(_, (n, _))| *n >= min_hits)
        .filter_map(|((from, to), (n, ids))| {
            let support = t.from_appeared[*from_index.get(from)?].max(*n);
            Some(Replacement {
                from: from.clone(),
                to: to.clone(),
                hits: *n,
                support,
                share: wilson(*n, support)?,
                examples: ids.clone(),
            })
        })
        .collect();
    replacements.sort_by(|a, b| {
        b.share
            .low
            .unwrap_or(0.0)
            .total_cmp(&a.share.low.unwrap_or(0.0))
            .then(b.hits.cmp(&a.hits))
    });
    replacements.truncate(TOP);
    let tone = tone::shifts(&g.tone);
    let recommendations = recommend(&g, &deleted, &added, &replacements, &tone);
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
    }
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// The settlements whose `feature` moved most in the direction of the shift.
fn tone_examples(g: &Group, feature: usize, rising: bool) -> Vec<String> {
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
        .map(|i| g.tone_ids[i].clone())
        .collect()
}

fn recommend(
    g: &Group,
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
            examples: tone_examples(g, k, true),
        });
    }
    if let Some(k) = shift("first_person").filter(|k| tone[*k].mean_change > 0.0) {
        out.push(Recommendation {
            kind: "tone",
            text: format!(
                "Speak as the team (“we recommend”, not “it is recommended”): people add first-person pronouns ({:+.1} per 100 words, d = {:.2}).",
                tone[k].mean_change, tone[k].effect_size
            ),
            examples: tone_examples(g, k, true),
        });
    }
    if let Some(k) = shift("formal_words").filter(|k| tone[*k].mean_change < 0.0) {
        out.push(Recommendation {
            kind: "tone",
            text: format!(
                "Avoid formal words and connectives (“utilize”, “however”, “therefore”): people remove {:.1} per 100 words (d = {:.2}).",
                -tone[k].mean_change, tone[k].effect_size
            ),
            examples: tone_examples(g, k, false),
        });
    }
    if let Some(k) = shift("hedges").filter(|k| tone[*k].mean_change < 0.0) {
        out.push(Recommendation {
            kind: "tone",
            text: format!(
                "Hedge less (“may”, “might”, “potentially”): people cut {:.1} hedges per 100 words (d = {:.2}).",
                -tone[k].mean_change, tone[k].effect_size
            ),
            examples: tone_examples(g, k, false),
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
                examples: tone_examples(g, k, false),
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
                examples: tone_examples(g, k, true),
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
