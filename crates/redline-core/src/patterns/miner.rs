//! The miner's state, kept between runs: every settlement's analysis (word hashes of its AI
//! output and added words, which words were deleted, its replacements, tone and category, but
//! not its texts), each group's n-gram counts, and each group's candidate phrases with their
//! exact counts. [`Miner::update`] takes settlements in and out: a settlement whose content
//! (agent, intent type, time, both texts) is unchanged is not analysed again; counts move by
//! what the new and removed settlements contribute; the time split of each group's trends moves
//! by re-counting the settlements it crossed; only candidate phrases that are new to a group
//! are searched for in every settlement. The result equals a full run over the same
//! settlements (tests/patterns_incremental.rs checks it), except that an n-gram table past
//! [`PRUNE_AT`] entries forgets its singletons, as a full run does, at different moments.

use super::ops::{self, OpKind};
use super::tokens::{fold, word_hash, IdMap, Tokens, GRAM_SEED};
use super::*;
use crate::job::{Cancel, Progress, Step};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::btree_map;

/// One settlement as the miner keeps it.
struct Entry {
    id: Box<str>,
    at: DateTime<Utc>,
    /// A hash of what the analysis depends on: agent, intent type, time and both texts.
    content: u64,
    /// Its agent's group (never 0, the all-agents group).
    group: u16,
    intent: Box<str>,
    category: Category,
    /// Days since 1970, for each phrase's trend.
    day: i32,
    /// Still counted; a removed entry stays (without counts) until the miner is rebuilt, since
    /// n-grams may read their words from it.
    live: bool,
    /// Word hashes of the AI output.
    ai: Vec<u32>,
    /// Per AI word: [`DELETED`], [`REPLACED`], [`START`] (of a sentence).
    ai_flags: Vec<u8>,
    /// Word hashes of the added words, run after run.
    added: Vec<u32>,
    /// Per added word: bit 1 = starts a run (a new sentence or a new insertion).
    added_flags: Vec<u8>,
    /// Its short replacements (interned `(from, to)` pairs), each once.
    pairs: Vec<u32>,
    tone: (Features, Features),
    /// Which of its AI output's sentences people took out.
    shape: Shape,
    /// Its edit operations per [`taxonomy::EditKind`] (saturating).
    kinds: [u16; KINDS],
    /// A bit per word of the AI output and of the added words (Bloom filters): a phrase
    /// with a word whose bit is clear is not there, without reading the words.
    ai_bloom: Bloom<16>,
    added_bloom: Bloom<4>,
}

/// A set of word hashes that may say yes wrongly, never no wrongly: `W` × 64 bits.
#[derive(Clone, Copy)]
struct Bloom<const W: usize>([u64; W]);

impl<const W: usize> Bloom<W> {
    fn bit(word: u32) -> usize {
        (word.wrapping_mul(0x9e37_79b9) as usize) % (W * 64)
    }

    fn of(words: &[u32]) -> Self {
        let mut b = [0u64; W];
        for w in words {
            let i = Self::bit(*w);
            b[i / 64] |= 1 << (i % 64);
        }
        Bloom(b)
    }

    fn may_hold(&self, phrase: &[u32]) -> bool {
        phrase.iter().all(|w| {
            let i = Self::bit(*w);
            self.0[i / 64] & (1 << (i % 64)) != 0
        })
    }
}

impl Entry {
    fn rejected(&self) -> bool {
        self.category == Category::Rewritten
    }

    /// Whether the `n` AI-output words from `i` were all taken out ([`DELETED`]: deleted or
    /// replaced) or all replaced ([`REPLACED`]), as `flag` says.
    fn edited_at(&self, i: usize, n: usize, flag: u8) -> bool {
        self.ai_flags[i..i + n].iter().all(|f| f & flag != 0)
    }

    /// The words n-grams of `side` are read in: the AI output, or the added words.
    fn words(&self, side: Side) -> &[u32] {
        match side {
            Side::Deleted | Side::Replaced => &self.ai,
            Side::Added => &self.added,
        }
    }
}

/// The hash of everything an entry's analysis depends on.
fn content_of(s: &Settlement) -> u64 {
    crate::hash::fnv1a_parts([
        s.agent.as_str().as_bytes(),
        s.intent_type.to_string().as_bytes(),
        &s.created_at.timestamp_micros().to_le_bytes(),
        s.ai_output.as_bytes(),
        s.final_output.as_bytes(),
    ])
}

/// A group's counts: everything but its candidates' figures.
#[derive(Default)]
struct Counts {
    settlements: usize,
    /// Per [`Side`]: n-gram → settlements. Empty for group 0 (all agents): its frequent
    /// n-grams are the agents' added up when needed ([`frequent_over`]).
    grams: [IdMap<u64, Gram>; 3],
    /// Interned replacement pair → settlements.
    replacements: BTreeMap<u32, usize>,
    categories: BTreeMap<Category, usize>,
    by_intent: BTreeMap<String, BTreeMap<Category, usize>>,
    shape: ShapeCounts,
    /// Per [`taxonomy::EditKind`]: edit operations, and settlements with at least one.
    kinds: [usize; KINDS],
    kind_outputs: [usize; KINDS],
}

/// The sentences of one AI output that people took out whole, and which structure events
/// ([`EVENTS`]) it could show and showed.
#[derive(Clone, Copy, Default, Serialize, Deserialize)]
struct Shape {
    /// Sentences with words (up to 65,535).
    sentences: u16,
    /// Of them, taken out whole (every word deleted or replaced by something sharing none).
    cut: u16,
    opening_cut: bool,
    closing_cut: bool,
    /// Bit `i`: the output could show event `EVENTS[i]` (it has a heading, a list, …).
    eligible: u8,
    /// Bit `i`: it did.
    hits: u8,
}

/// Structure events, by bit: kind (as [`StructurePattern::kind`]) and what it is called.
pub(crate) const EVENTS: [(&str, &str); 7] = [
    ("restating_sentence_cut", "Restating sentence cut"),
    ("heading_removed", "Heading removed"),
    ("list_to_prose", "List turned into prose"),
    ("prose_to_list", "Prose turned into a list"),
    ("sentence_split", "Sentence split"),
    ("sentences_merged", "Sentences merged"),
    ("sentence_moved", "Sentence moved"),
];
const RESTATING: usize = 0;
const HEADING: usize = 1;
const LIST_TO_PROSE: usize = 2;
const PROSE_TO_LIST: usize = 3;
const SPLIT: usize = 4;
const MERGED: usize = 5;
const MOVED: usize = 6;

/// The least share (Dice) of its content words a sentence must share with an earlier sentence
/// of the same output to restate it.
pub const RESTATE_MIN: f64 = 0.6;
/// The fewest content words a restating sentence has.
const RESTATE_WORDS: usize = 4;
/// Outputs with more sentences are not searched for restatements (the search is quadratic).
const RESTATE_MAX_SENTENCES: usize = 80;

/// Headings and list items of a text, line by line: a Markdown heading (`# `…), a line that is
/// bold alone (`**Summary**`), a bullet (`- `, `* `, `+ `, `• `) or a numbered item (`1. `,
/// `2) `).
pub(crate) fn layout(text: &str) -> (usize, usize) {
    let (mut headings, mut items) = (0, 0);
    for line in text.lines() {
        let t = line.trim();
        let hashes = t.len() - t.trim_start_matches('#').len();
        let bold_alone = t.len() > 4
            && t.starts_with("**")
            && t.ends_with("**")
            && !t[2..t.len() - 2].contains("**");
        if (1..=6).contains(&hashes) && t[hashes..].starts_with(' ') || bold_alone {
            headings += 1;
        } else if ["- ", "* ", "+ ", "• "].iter().any(|m| t.starts_with(m)) {
            items += 1;
        } else {
            let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if (1..=3).contains(&digits)
                && (t[digits..].starts_with(". ") || t[digits..].starts_with(") "))
            {
                items += 1;
            }
        }
    }
    (headings, items)
}

/// Function words, by [`word_hash`].
fn function_word_hashes() -> &'static HashSet<u32> {
    static SET: std::sync::OnceLock<HashSet<u32>> = std::sync::OnceLock::new();
    SET.get_or_init(|| STOPWORDS.iter().map(|w| word_hash(w)).collect())
}

impl Shape {
    /// The shape of an AI output (word hashes `ai`, flags `ai_flags`) and its final version,
    /// with what the sentence alignment found.
    fn of(
        ai: &[u32],
        ai_flags: &[u8],
        texts: (&str, &str),
        aligned: &crate::diff::SentenceCounts,
    ) -> Shape {
        let mut s = Shape::default();
        let mut sentences: Vec<(usize, usize, bool)> = Vec::new();
        let mut i = 0;
        while i < ai_flags.len() {
            let mut end = i + 1;
            while end < ai_flags.len() && ai_flags[end] & START == 0 {
                end += 1;
            }
            let cut = ai_flags[i..end].iter().all(|f| f & DELETED != 0);
            if s.sentences == 0 {
                s.opening_cut = cut;
            }
            s.closing_cut = cut;
            s.sentences = s.sentences.saturating_add(1);
            s.cut = s.cut.saturating_add(u16::from(cut));
            sentences.push((i, end, cut));
            i = end;
        }
        let mut event = |bit: usize, eligible: bool, hit: bool| {
            if eligible {
                s.eligible |= 1 << bit;
                if hit {
                    s.hits |= 1 << bit;
                }
            }
        };
        // A sentence that restates an earlier one, and whether one such was taken out.
        if sentences.len() <= RESTATE_MAX_SENTENCES {
            let stop = function_word_hashes();
            let content: Vec<Vec<u32>> = sentences
                .iter()
                .map(|&(a, b, _)| {
                    let mut w: Vec<u32> = ai[a..b]
                        .iter()
                        .copied()
                        .filter(|h| !stop.contains(h))
                        .collect();
                    w.sort_unstable();
                    w.dedup();
                    w
                })
                .collect();
            let (mut restating, mut restating_cut) = (false, false);
            for k in 1..content.len() {
                if content[k].len() < RESTATE_WORDS {
                    continue;
                }
                let restates = content[..k].iter().any(|earlier| {
                    let shared = content[k]
                        .iter()
                        .filter(|h| earlier.binary_search(h).is_ok())
                        .count();
                    2.0 * shared as f64 / (content[k].len() + earlier.len()) as f64 >= RESTATE_MIN
                });
                if restates {
                    restating = true;
                    restating_cut |= sentences[k].2;
                }
            }
            event(RESTATING, restating, restating_cut);
        }
        let (ai_headings, ai_items) = layout(texts.0);
        let (final_headings, final_items) = layout(texts.1);
        let n = sentences.len();
        event(HEADING, ai_headings > 0, final_headings < ai_headings);
        event(
            LIST_TO_PROSE,
            ai_items >= 2,
            final_items == 0 && !texts.1.trim().is_empty(),
        );
        event(PROSE_TO_LIST, ai_items == 0 && n >= 3, final_items >= 2);
        event(SPLIT, n >= 1, aligned.split > 0);
        event(MERGED, n >= 2, aligned.merged > 0);
        event(MOVED, n >= 2, aligned.moved > 0);
        s
    }

    /// An output of [`STRUCTURE_MIN_SENTENCES`] sentences or more has an opening, a middle and
    /// a closing.
    fn counted(&self) -> bool {
        usize::from(self.sentences) >= STRUCTURE_MIN_SENTENCES
    }
}

/// The least share of the outputs that could show a structure event (a heading removed, a
/// list turned into prose, …) in which people must make it to be listed (the interval's lower
/// end): one in ten.
pub const EVENT_FLOOR: f64 = 0.10;

/// Outputs with fewer sentences have no structure to speak of.
const STRUCTURE_MIN_SENTENCES: usize = 3;

/// A group's sentence counts, over its outputs of [`STRUCTURE_MIN_SENTENCES`] or more.
#[derive(Clone, Copy, Default)]
struct ShapeCounts {
    outputs: usize,
    opening_cut: usize,
    closing_cut: usize,
    /// Middle sentences (neither first nor last), and those taken out whole.
    middle: usize,
    middle_cut: usize,
    /// Per event of [`EVENTS`], over every output: outputs that could show it, and that did.
    eligible: [usize; EVENTS.len()],
    hits: [usize; EVENTS.len()],
}

impl ShapeCounts {
    fn count(&mut self, s: &Shape, add: bool) {
        for bit in 0..EVENTS.len() {
            let (e, h) = (s.eligible >> bit & 1, s.hits >> bit & 1);
            if add {
                self.eligible[bit] += usize::from(e);
                self.hits[bit] += usize::from(h);
            } else {
                self.eligible[bit] -= usize::from(e);
                self.hits[bit] -= usize::from(h);
            }
        }
        if !s.counted() {
            return;
        }
        let ends = usize::from(s.opening_cut) + usize::from(s.closing_cut);
        let middle = usize::from(s.sentences) - 2;
        let middle_cut = usize::from(s.cut) - ends;
        let f = |x: &mut usize, v: usize| {
            if add {
                *x += v
            } else {
                *x -= v
            }
        };
        f(&mut self.outputs, 1);
        f(&mut self.opening_cut, usize::from(s.opening_cut));
        f(&mut self.closing_cut, usize::from(s.closing_cut));
        f(&mut self.middle, middle);
        f(&mut self.middle_cut, middle_cut);
    }
}

/// Add one to (or take one from) `m[k]`; a count that reaches 0 leaves the map.
fn step<K: Ord>(m: &mut BTreeMap<K, usize>, k: K, add: bool) {
    match m.entry(k) {
        btree_map::Entry::Vacant(v) if add => {
            v.insert(1);
        }
        btree_map::Entry::Vacant(_) => {}
        btree_map::Entry::Occupied(mut o) => {
            if add {
                *o.get_mut() += 1;
            } else if *o.get() <= 1 {
                o.remove();
            } else {
                *o.get_mut() -= 1;
            }
        }
    }
}

impl Counts {
    /// Count (or stop counting) everything of `e` but its n-grams.
    fn count(&mut self, e: &Entry, add: bool) {
        if add {
            self.settlements += 1;
        } else {
            self.settlements -= 1;
        }
        for p in &e.pairs {
            step(&mut self.replacements, *p, add);
        }
        step(&mut self.categories, e.category, add);
        self.shape.count(&e.shape, add);
        for (k, n) in e.kinds.iter().enumerate() {
            let n = usize::from(*n);
            if add {
                self.kinds[k] += n;
                self.kind_outputs[k] += usize::from(n > 0);
            } else {
                self.kinds[k] -= n;
                self.kind_outputs[k] -= usize::from(n > 0);
            }
        }
        if add {
            step(
                self.by_intent.entry(e.intent.to_string()).or_default(),
                e.category,
                true,
            );
        } else if let Some(m) = self.by_intent.get_mut(&*e.intent) {
            step(m, e.category, false);
            if m.is_empty() {
                self.by_intent.remove(&*e.intent);
            }
        }
    }

    /// Stop counting the n-grams of `e` (an n-gram forgotten by pruning stays forgotten).
    fn uncount_grams(&mut self, e: &Entry, grams: &mut Vec<(u64, u32, u8)>) {
        for (map, side) in self.grams.iter_mut().zip(Side::ALL) {
            entry_grams(e, side, grams);
            grams.sort_unstable_by_key(|g| g.0);
            grams.dedup_by_key(|g| g.0);
            for (h, _, _) in grams.drain(..) {
                if let Some(g) = map.get_mut(&h) {
                    g.count -= 1;
                    if g.count == 0 {
                        map.remove(&h);
                    }
                }
            }
        }
    }
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

/// The n-grams whose counts over `maps` (one per agent) add up to at least `min_hits`. A sum
/// that large has a part of at least ⌈`min_hits` / agents⌉, so only the n-grams counted that
/// often by some agent are summed: all agents' counts are never kept as a table of their own
/// (it was as large as the agents' tables together).
fn frequent_over(maps: &[&IdMap<u64, Gram>], min_hits: usize) -> IdMap<u64, Gram> {
    let floor = min_hits.div_ceil(maps.len().max(1)).max(1) as u32;
    let mut sums: IdMap<u64, Gram> = IdMap::default();
    for m in maps {
        for (h, g) in m.iter().filter(|(_, g)| g.count >= floor) {
            sums.entry(*h).or_insert(Gram { count: 0, ..*g });
        }
    }
    for m in maps {
        for (h, g) in m.iter() {
            if let Some(s) = sums.get_mut(h) {
                s.count += g.count;
            }
        }
    }
    sums.retain(|_, g| g.count as usize >= min_hits);
    sums
}

/// The lone function words taken out in at least `min_hits` settlements, most frequent first
/// (at most [`MAX_CANDIDATES`]): candidates judged, like any phrase, by their own evidence.
fn lone_function_words(
    counts: &IdMap<u64, Gram>,
    min_hits: usize,
    stop: &HashSet<u32>,
) -> Vec<Vec<u32>> {
    let mut lone: Vec<(u32, u32)> = stop
        .iter()
        .filter_map(|w| {
            let g = counts.get(&fold(GRAM_SEED, *w))?;
            (g.count as usize >= min_hits).then_some((*w, g.count))
        })
        .collect();
    lone.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    lone.truncate(MAX_CANDIDATES);
    lone.into_iter().map(|(w, _)| vec![w]).collect()
}

/// Short replacements only: up to this many words on each side.
const REPLACEMENT_WORDS: usize = 4;

/// The n-grams of runs of words (a run ends where `starts(i)` or where `keep` turns false),
/// each with its position.
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

/// What n-grams are made of: runs of deleted, of replaced, or of added words.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Deleted,
    Replaced,
    Added,
}

impl Side {
    const ALL: [Side; 3] = [Side::Deleted, Side::Replaced, Side::Added];
}

/// The n-grams of an entry's runs of `side` words.
fn entry_grams(e: &Entry, side: Side, out: &mut Vec<(u64, u32, u8)>) {
    let run = |flag: u8, out: &mut Vec<(u64, u32, u8)>| {
        run_grams(
            &e.ai,
            |i| e.ai_flags[i] & flag != 0,
            |i| e.ai_flags[i] & START != 0,
            out,
        )
    };
    match side {
        Side::Deleted => run(DELETED, out),
        Side::Replaced => run(REPLACED, out),
        Side::Added => run_grams(&e.added, |_| true, |i| e.added_flags[i] & START != 0, out),
    }
}

/// Count each distinct n-gram of `grams` once, for the settlement in slot `at`.
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

/// Analyse one settlement: its entry (in local group `group`) and its replacements as text.
/// Enter the words phrases can be made of — the deleted ones of `a` (by `ai_flags`) and the
/// inserted ones of `f` — in `vocab`.
fn enter_words(
    a: &Tokens,
    f: &Tokens,
    ai_flags: &[u8],
    inserted: &[bool],
    vocab: &mut IdMap<u32, Box<str>>,
) {
    for (i, h) in a.hashes.iter().enumerate() {
        if ai_flags[i] & DELETED != 0 {
            vocab
                .entry(*h)
                .or_insert_with(|| a.word(i).to_lowercase().into_boxed_str());
        }
    }
    for (i, h) in f.hashes.iter().enumerate() {
        if inserted[i] {
            vocab
                .entry(*h)
                .or_insert_with(|| f.word(i).to_lowercase().into_boxed_str());
        }
    }
}

/// The added words of `f` (`inserted`), run after run, with their [`START`] flags.
fn added_of(f: &Tokens, inserted: &[bool]) -> (Vec<u32>, Vec<u8>) {
    let n = inserted.iter().filter(|&&i| i).count();
    let mut added = Vec::with_capacity(n);
    let mut added_flags = Vec::with_capacity(n);
    for i in 0..f.len() {
        if inserted[i] {
            let start = i == 0 || !inserted[i - 1] || f.sentence_of[i] != f.sentence_of[i - 1];
            added.push(f.hashes[i]);
            added_flags.push(u8::from(start) * START);
        }
    }
    (added, added_flags)
}

/// What an analysis found about one settlement beyond which words were edited.
struct Found {
    category: Category,
    tone: (Features, Features),
    shape: Shape,
    kinds: [u16; KINDS],
}

impl Entry {
    /// The entry of settlement `s` (in local group `group`): `found`, its AI output's words
    /// `a` with their flags, and the words `inserted` into its final version `f`; the words
    /// its phrases can be made of go into `vocab`.
    #[allow(clippy::too_many_arguments)]
    fn of(
        s: &Settlement,
        group: u16,
        found: Found,
        a: Tokens,
        f: &Tokens,
        ai_flags: Vec<u8>,
        inserted: &[bool],
        (added, added_flags): (Vec<u32>, Vec<u8>),
        vocab: &mut IdMap<u32, Box<str>>,
    ) -> Entry {
        enter_words(&a, f, &ai_flags, inserted, vocab);
        // Kept for the miner's life: no spare capacity (Tokens grows its vector as it goes).
        let mut ai = a.hashes;
        ai.shrink_to_fit();
        Entry {
            id: s.id.as_str().into(),
            at: s.created_at,
            content: content_of(s),
            group,
            intent: s.intent_type.to_string().into_boxed_str(),
            category: found.category,
            day: (s.created_at.timestamp().div_euclid(86_400)) as i32,
            live: true,
            tone: found.tone,
            shape: found.shape,
            kinds: found.kinds,
            ai_bloom: Bloom::of(&ai),
            added_bloom: Bloom::of(&added),
            ai,
            ai_flags,
            added,
            added_flags,
            pairs: Vec::new(),
        }
    }
}

/// Analyse one settlement: its entry, its replacements, and which words of its final version
/// were inserted.
fn analyse_one(
    s: &Settlement,
    group: u16,
    vocab: &mut IdMap<u32, Box<str>>,
    memo: &tone::SentimentMemo,
) -> (Entry, Vec<(String, String)>, Vec<bool>) {
    let (a, f) = (Tokens::of(&s.ai_output), Tokens::of(&s.final_output));
    let (ops, sentences) = ops::edit_ops_tokens(&s.ai_output, &s.final_output, &a.all, &f.all);
    let edit = Edit::of(&a, &f, &ops);
    let mut kinds = [0u16; KINDS];
    for k in taxonomy::classify(&s.ai_output, &ops) {
        kinds[k.index()] = kinds[k.index()].saturating_add(1);
    }
    let ai_flags: Vec<u8> = (0..a.len())
        .map(|i| {
            let start = i == 0 || a.sentence_of[i] != a.sentence_of[i - 1];
            // A replaced word is a taken-out word too.
            (u8::from(edit.deleted[i]) * DELETED)
                | (u8::from(edit.replaced[i]) * REPLACED)
                | (u8::from(start) * START)
        })
        .collect();
    let mut pairs = Vec::new();
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
            pairs.push((from.join(" "), to.join(" ")));
        }
    }
    // Counted per settlement, as everything else: a replacement made twice in one output is
    // one settlement's evidence.
    pairs.sort_unstable();
    pairs.dedup();
    let found = Found {
        category: category_of(&a, &f, &ops, &edit.counts),
        tone: tone::features_pair(&a, &f, memo),
        shape: Shape::of(
            &a.hashes,
            &ai_flags,
            (&s.ai_output, &s.final_output),
            &sentences,
        ),
        kinds,
    };
    let added = added_of(&f, &edit.inserted);
    let entry = Entry::of(
        s,
        group,
        found,
        a,
        &f,
        ai_flags,
        &edit.inserted,
        added,
        vocab,
    );
    (entry, pairs, edit.inserted)
}

/// A batch after analysis, with its own agent numbering.
struct Analysed {
    agents: Vec<String>,
    /// Per local agent and [`Side`]: n-grams, positioned in slots from the batch's base.
    grams: Vec<[IdMap<u64, Gram>; 3]>,
    entries: Vec<Entry>,
    pairs: Vec<Vec<(String, String)>>,
    words: IdMap<u32, Box<str>>,
    /// The analyses made (not read back) in this batch, to store: `(id, key, bytes)`.
    fresh: Vec<(String, u64, Vec<u8>)>,
}

/// Where new analyses go, a batch at a time: `(id, key, bytes)`.
pub(crate) type Save = dyn Fn(Vec<(String, u64, Vec<u8>)>) + Sync;

/// A settlement to analyse, with its stored analysis `(key, bytes)` if the store has one.
pub(crate) type Item = (Settlement, Option<(u64, Vec<u8>)>);

/// The version of [`Stored`] and of what [`analyse_one`] computes: bumped when either changes,
/// so that analyses stored by an earlier build are made again.
const ANALYSIS_VERSION: u64 = 2;

/// The key a stored analysis is kept under: the settlement's content hash and
/// [`ANALYSIS_VERSION`].
fn stored_key(s: &Settlement) -> u64 {
    crate::hash::fnv1a(content_of(s), &ANALYSIS_VERSION.to_le_bytes())
}

/// One settlement's analysis as the store keeps it (postcard): what its diff, alignment, tone
/// and taxonomy found, but not what splitting its texts into words gives again cheaply (the
/// words and their hashes).
#[derive(Serialize, Deserialize)]
struct Stored {
    category: Category,
    /// Per AI-output word: [`DELETED`], [`REPLACED`], [`START`].
    ai_flags: Vec<u8>,
    /// A bit per final-version word: inserted.
    inserted: Vec<u8>,
    /// A bit per added (inserted) word: it starts a run ([`START`]). Kept so that reading an
    /// analysis back needs the texts' words only, not their sentences.
    added_starts: Vec<u8>,
    tone: (Features, Features),
    shape: Shape,
    kinds: [u16; KINDS],
    pairs: Vec<(String, String)>,
}

impl Stored {
    fn of(e: &Entry, pairs: &[(String, String)], inserted: &[bool]) -> Stored {
        Stored {
            category: e.category,
            ai_flags: e.ai_flags.clone(),
            inserted: to_bits(inserted.iter().copied()),
            added_starts: to_bits(e.added_flags.iter().map(|f| f & START != 0)),
            tone: e.tone,
            shape: e.shape,
            kinds: e.kinds,
            pairs: pairs.to_vec(),
        }
    }

    /// The entry of settlement `s` in local group `group`, its replacements, its words into
    /// `vocab`. `None` if the bytes do not decode or do not fit the texts (a damaged entry is
    /// made again).
    fn entry(
        bytes: &[u8],
        s: &Settlement,
        group: u16,
        vocab: &mut IdMap<u32, Box<str>>,
    ) -> Option<(Entry, Vec<(String, String)>)> {
        let st: Stored = postcard::from_bytes(bytes).ok()?;
        // The words alone: where sentences start is in the stored flags.
        let (a, f) = (Tokens::words(&s.ai_output), Tokens::words(&s.final_output));
        if a.len() != st.ai_flags.len() || f.len().div_ceil(8) != st.inserted.len() {
            return None;
        }
        let inserted: Vec<bool> = (0..f.len()).map(|i| bit(&st.inserted, i)).collect();
        let added: Vec<u32> = (0..f.len())
            .filter(|&i| inserted[i])
            .map(|i| f.hashes[i])
            .collect();
        if added.len().div_ceil(8) != st.added_starts.len() {
            return None;
        }
        let added_flags: Vec<u8> = (0..added.len())
            .map(|i| u8::from(bit(&st.added_starts, i)) * START)
            .collect();
        let found = Found {
            category: st.category,
            tone: st.tone,
            shape: st.shape,
            kinds: st.kinds,
        };
        let entry = Entry::of(
            s,
            group,
            found,
            a,
            &f,
            st.ai_flags,
            &inserted,
            (added, added_flags),
            vocab,
        );
        Some((entry, st.pairs))
    }
}

/// One bit per item, eight to a byte, the first in the lowest bit.
fn to_bits(set: impl ExactSizeIterator<Item = bool>) -> Vec<u8> {
    let mut out = vec![0u8; set.len().div_ceil(8)];
    for (i, _) in set.enumerate().filter(|(_, x)| *x) {
        out[i / 8] |= 1 << (i % 8);
    }
    out
}

/// Bit `i` of [`to_bits`]'s output.
fn bit(bits: &[u8], i: usize) -> bool {
    bits[i / 8] >> (i % 8) & 1 == 1
}

/// What the store keeps of one settlement's analysis: `(id, key, bytes)`.
fn to_store(
    s: &Settlement,
    key: u64,
    entry: &Entry,
    pairs: &[(String, String)],
    inserted: &[bool],
) -> Option<(String, u64, Vec<u8>)> {
    let bytes = postcard::to_stdvec(&Stored::of(entry, pairs, inserted)).ok()?;
    Some((s.id.as_str().to_owned(), key, bytes))
}

/// Analyse a batch whose first settlement goes to slot `base`: read back the stored analyses
/// whose key still fits, analyse the others (and keep their analyses to store if `keep`).
fn analyse(batch: &[Item], base: u32, memo: &tone::SentimentMemo, keep: bool) -> Analysed {
    let mut out = Analysed {
        agents: Vec::new(),
        grams: Vec::new(),
        entries: Vec::with_capacity(batch.len()),
        pairs: Vec::with_capacity(batch.len()),
        words: IdMap::default(),
        fresh: Vec::new(),
    };
    let mut grams = Vec::new();
    for (k, (s, stored)) in batch.iter().enumerate() {
        let g = match out.agents.iter().position(|n| n == s.agent.as_str()) {
            Some(g) => g,
            None => {
                out.agents.push(s.agent.as_str().to_owned());
                out.grams.push(Default::default());
                out.agents.len() - 1
            }
        };
        let key = stored_key(s);
        let read = stored
            .as_ref()
            .filter(|(k, _)| *k == key)
            .and_then(|(_, bytes)| Stored::entry(bytes, s, g as u16, &mut out.words));
        let (entry, pairs) = match read {
            Some(read) => read,
            None => {
                let (entry, pairs, inserted) = analyse_one(s, g as u16, &mut out.words, memo);
                if keep {
                    out.fresh
                        .extend(to_store(s, key, &entry, &pairs, &inserted));
                }
                (entry, pairs)
            }
        };
        let at = base + k as u32;
        for (map, side) in out.grams[g].iter_mut().zip(Side::ALL) {
            entry_grams(&entry, side, &mut grams);
            count_grams(map, &mut grams, at);
        }
        out.entries.push(entry);
        out.pairs.push(pairs);
    }
    out
}

/// Exact counts of a group's candidate phrases.
#[derive(Clone)]
struct Tally {
    appeared: Vec<usize>,
    hits: Vec<usize>,
    appeared_late: Vec<usize>,
    hits_late: Vec<usize>,
    /// Rejected settlements whose AI output contains each deleted candidate.
    appeared_rejected: Vec<usize>,
    /// Occurrences of each deleted candidate in AI outputs, and those wholly deleted (or
    /// replaced): the per-occurrence rate its evidence is tested with.
    occurrences: Vec<usize>,
    changed: Vec<usize>,
    /// Of `changed`: the occurrences deleted outright (no word of them replaced).
    cut: Vec<usize>,
    from_appeared: Vec<usize>,
    /// Settlements in which an occurrence of each source was wholly replaced.
    from_hits: Vec<usize>,
    /// As `occurrences` and `changed`, for the replacement sources.
    from_occurrences: Vec<usize>,
    from_changed: Vec<usize>,
    added_hits: Vec<usize>,
    added_hits_late: Vec<usize>,
    /// Settlements in the later half of the group's time span, and rejected ones.
    late: usize,
    rejected: usize,
}

impl Tally {
    fn new(p: &Pass2) -> Tally {
        let (n, f, a) = (
            p.deleted.phrases.len(),
            p.from.phrases.len(),
            p.added.phrases.len(),
        );
        Tally {
            appeared: vec![0; n],
            hits: vec![0; n],
            appeared_late: vec![0; n],
            hits_late: vec![0; n],
            appeared_rejected: vec![0; n],
            occurrences: vec![0; n],
            changed: vec![0; n],
            cut: vec![0; n],
            from_appeared: vec![0; f],
            from_hits: vec![0; f],
            from_occurrences: vec![0; f],
            from_changed: vec![0; f],
            added_hits: vec![0; a],
            added_hits_late: vec![0; a],
            late: 0,
            rejected: 0,
        }
    }

    /// Apply `f` to each count of `self` and the matching one of `other`.
    fn combine(&mut self, other: &Tally, f: impl Fn(&mut usize, usize)) {
        for (a, b) in [
            (&mut self.appeared, &other.appeared),
            (&mut self.hits, &other.hits),
            (&mut self.appeared_late, &other.appeared_late),
            (&mut self.hits_late, &other.hits_late),
            (&mut self.appeared_rejected, &other.appeared_rejected),
            (&mut self.occurrences, &other.occurrences),
            (&mut self.changed, &other.changed),
            (&mut self.cut, &other.cut),
            (&mut self.from_appeared, &other.from_appeared),
            (&mut self.from_hits, &other.from_hits),
            (&mut self.from_occurrences, &other.from_occurrences),
            (&mut self.from_changed, &other.from_changed),
            (&mut self.added_hits, &other.added_hits),
            (&mut self.added_hits_late, &other.added_hits_late),
        ] {
            a.iter_mut().zip(b).for_each(|(x, y)| f(x, *y));
        }
        f(&mut self.late, other.late);
        f(&mut self.rejected, other.rejected);
    }
}

/// Count one settlement: which candidate phrases its AI output contains, and whether one of
/// their occurrences lies wholly inside deleted text; which added phrases its added words hold.
fn second_pass(e: &Entry, late: bool, p: &Pass2, t: &mut Tally, seen: &mut Vec<usize>) {
    seen.clear();
    t.late += usize::from(late);
    t.rejected += usize::from(e.rejected());
    let mut hit: Vec<usize> = Vec::new();
    p.deleted.scan(&e.ai, &e.ai_flags, |k, i| {
        seen.push(k);
        let n = p.deleted.phrases[k].len();
        t.occurrences[k] += 1;
        if e.edited_at(i, n, DELETED) {
            hit.push(k);
            t.changed[k] += 1;
            if e.ai_flags[i..i + n].iter().all(|f| f & REPLACED == 0) {
                t.cut[k] += 1;
            }
        }
    });
    seen.sort_unstable();
    seen.dedup();
    for k in seen.iter() {
        t.appeared[*k] += 1;
        t.appeared_late[*k] += usize::from(late);
        t.appeared_rejected[*k] += usize::from(e.rejected());
    }
    hit.sort_unstable();
    hit.dedup();
    for k in hit.drain(..) {
        t.hits[k] += 1;
        t.hits_late[k] += usize::from(late);
    }
    seen.clear();
    p.from.scan(&e.ai, &e.ai_flags, |k, i| {
        seen.push(k);
        t.from_occurrences[k] += 1;
        if e.edited_at(i, p.from.phrases[k].len(), REPLACED) {
            t.from_changed[k] += 1;
            hit.push(k);
        }
    });
    seen.sort_unstable();
    seen.dedup();
    for k in seen.iter() {
        t.from_appeared[*k] += 1;
    }
    hit.sort_unstable();
    hit.dedup();
    for k in hit.drain(..) {
        t.from_hits[k] += 1;
    }
    seen.clear();
    p.added.scan(&e.added, &e.added_flags, |k, _| seen.push(k));
    seen.sort_unstable();
    seen.dedup();
    for k in seen.iter() {
        t.added_hits[*k] += 1;
        t.added_hits_late[*k] += usize::from(late);
    }
}

/// The phrases of a new plan that have no counts yet, and where their counts go.
struct Backfill {
    plan: Pass2,
    deleted: Vec<usize>,
    from: Vec<usize>,
    added: Vec<usize>,
    /// Nothing was counted before: the group-wide figures come from the backfill too.
    fresh: bool,
}

impl Backfill {
    /// Whether `e` may hold one of the phrases (always, for a fresh count: it also counts the
    /// group's settlements).
    fn may_hold(&self, e: &Entry) -> bool {
        self.fresh
            || self
                .plan
                .deleted
                .phrases
                .iter()
                .any(|p| e.ai_bloom.may_hold(p))
            || self
                .plan
                .from
                .phrases
                .iter()
                .any(|p| e.ai_bloom.may_hold(p))
            || self
                .plan
                .added
                .phrases
                .iter()
                .any(|p| e.added_bloom.may_hold(p))
    }

    fn is_empty(&self) -> bool {
        !self.fresh && self.deleted.is_empty() && self.from.is_empty() && self.added.is_empty()
    }

    /// Every phrase of `plan`.
    fn all(plan: &Pass2) -> Backfill {
        Backfill {
            plan: Pass2::of(
                plan.deleted.phrases.clone(),
                plan.from.phrases.clone(),
                plan.added.phrases.clone(),
            ),
            deleted: (0..plan.deleted.phrases.len()).collect(),
            from: (0..plan.from.phrases.len()).collect(),
            added: (0..plan.added.phrases.len()).collect(),
            fresh: true,
        }
    }

    /// Carry counts over to `new` from `sources` (the last plan, then the phrases retired
    /// before it); what none of them has is left to fill. Also returns what the sources have
    /// and `new` lacks (retired now, the most recently retired first, at most [`RETIRED`] per
    /// list), with its counts.
    fn carry(sources: [(&Pass2, &Tally); 2], new: &Pass2) -> (Tally, Backfill, Pass2, Tally) {
        let mut t = Tally::new(new);
        t.late = sources[0].1.late;
        t.rejected = sources[0].1.rejected;
        let mut missing: [(Vec<Vec<u32>>, Vec<usize>); 3] = Default::default();
        let mut retired: [Vec<(usize, usize)>; 3] = Default::default();
        for (l, list) in List::ALL.into_iter().enumerate() {
            let wanted: HashMap<&[u32], usize> = list
                .of(new)
                .iter()
                .enumerate()
                .map(|(i, p)| (p.as_slice(), i))
                .collect();
            let mut found = vec![false; wanted.len()];
            for (k, (plan, tally)) in sources.iter().enumerate() {
                for (i, p) in list.of(plan).iter().enumerate() {
                    match wanted.get(p.as_slice()) {
                        Some(&j) if !found[j] => {
                            found[j] = true;
                            t.copy(list, j, tally, i);
                        }
                        Some(_) => {}
                        None => {
                            if retired[l].len() < RETIRED {
                                retired[l].push((k, i));
                            }
                        }
                    }
                }
            }
            for (j, f) in found.iter().enumerate() {
                if !f {
                    missing[l].0.push(list.of(new)[j].clone());
                    missing[l].1.push(j);
                }
            }
        }
        // The retired phrases (a phrase is in one source at most: the retired are never in
        // the plan they were retired from).
        let [rd, rf, ra] = retired;
        let phrases = |list: List, picks: &[(usize, usize)]| -> Vec<Vec<u32>> {
            picks
                .iter()
                .map(|&(k, i)| list.of(sources[k].0)[i].clone())
                .collect()
        };
        let old = Pass2::of(
            phrases(List::Deleted, &rd),
            phrases(List::From, &rf),
            phrases(List::Added, &ra),
        );
        let mut old_t = Tally::new(&old);
        old_t.late = t.late;
        old_t.rejected = t.rejected;
        for (list, picks) in [(List::Deleted, &rd), (List::From, &rf), (List::Added, &ra)] {
            for (j, &(k, i)) in picks.iter().enumerate() {
                old_t.copy(list, j, sources[k].1, i);
            }
        }
        let [(dm, di), (fm, fi), (am, ai)] = missing;
        let backfill = Backfill {
            plan: Pass2::of(dm, fm, am),
            deleted: di,
            from: fi,
            added: ai,
            fresh: false,
        };
        (t, backfill, old, old_t)
    }

    /// Put the counts `got` (for this backfill's plan) in their places in `t`.
    fn fill(&self, t: &mut Tally, got: &Tally) {
        for (list, places) in [
            (List::Deleted, &self.deleted),
            (List::From, &self.from),
            (List::Added, &self.added),
        ] {
            for (k, &i) in places.iter().enumerate() {
                t.copy(list, i, got, k);
            }
        }
        if self.fresh {
            t.late = got.late;
            t.rejected = got.rejected;
        }
    }
}

/// Retired phrases whose counts are kept up to date per list, in case they come back.
const RETIRED: usize = 1000;

/// The three lists of candidate phrases.
#[derive(Clone, Copy)]
enum List {
    Deleted,
    From,
    Added,
}

impl List {
    const ALL: [List; 3] = [List::Deleted, List::From, List::Added];

    fn of(self, p: &Pass2) -> &[Vec<u32>] {
        match self {
            List::Deleted => &p.deleted.phrases,
            List::From => &p.from.phrases,
            List::Added => &p.added.phrases,
        }
    }
}

impl Tally {
    /// Copy the counts of phrase `i` of `list` in `src` to phrase `j` here.
    fn copy(&mut self, list: List, j: usize, src: &Tally, i: usize) {
        match list {
            List::Deleted => {
                self.appeared[j] = src.appeared[i];
                self.hits[j] = src.hits[i];
                self.appeared_late[j] = src.appeared_late[i];
                self.hits_late[j] = src.hits_late[i];
                self.appeared_rejected[j] = src.appeared_rejected[i];
                self.occurrences[j] = src.occurrences[i];
                self.changed[j] = src.changed[i];
                self.cut[j] = src.cut[i];
            }
            List::From => {
                self.from_appeared[j] = src.from_appeared[i];
                self.from_hits[j] = src.from_hits[i];
                self.from_occurrences[j] = src.from_occurrences[i];
                self.from_changed[j] = src.from_changed[i];
            }
            List::Added => {
                self.added_hits[j] = src.added_hits[i];
                self.added_hits_late[j] = src.added_hits_late[i];
            }
        }
    }
}

/// A group's candidates and their counts, as of the last update.
struct Mined {
    plan: Pass2,
    /// The first day of the later half of the group's time span.
    split: i32,
    tally: Tally,
    /// Phrases that were candidates before, kept counted in case they come back (near a
    /// threshold, a phrase may leave and return from one update to the next).
    retired: Pass2,
    retired_tally: Tally,
}

#[derive(Default)]
struct GroupState {
    counts: Counts,
    mined: Option<Mined>,
}

/// The smallest number of settlements a phrase must be deleted (added) in.
fn min_hits(settlements: usize) -> usize {
    MIN_HITS.max(settlements / 200)
}

/// A change to the settlements a [`Miner`] mines.
#[derive(Clone, Debug)]
pub enum Change {
    /// A settlement that is new, or may have changed.
    Upsert(Box<Settlement>),
    /// A settlement to leave out from now on (by id).
    Remove(String),
}

impl Change {
    pub fn upsert(s: Settlement) -> Change {
        Change::Upsert(Box::new(s))
    }
}

/// What an update did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Updated {
    /// Settlements analysed: new ones and changed ones.
    pub analysed: usize,
    /// Settlements taken out.
    pub removed: usize,
    /// Settlements offered again with the same content (nothing to do).
    pub unchanged: usize,
}

/// What a [`Miner`] holds on the heap, in bytes (an estimate: [`Miner::heap`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Heap {
    /// Each settlement's words, flags and replacements.
    pub entries: usize,
    /// Every group's n-gram counts.
    pub grams: usize,
    /// The words seen, by hash.
    pub vocab: usize,
    /// Ids, replacement pairs and the tone memo.
    pub other: usize,
}

impl Heap {
    pub fn total(&self) -> usize {
        self.entries + self.grams + self.vocab + self.other
    }
}

/// The pattern miner with its state (see the module's documentation).
pub struct Miner {
    /// Group 0 is all agents together; group g ≥ 1 is the agent `names[g]`.
    names: Vec<String>,
    groups: Vec<GroupState>,
    /// Every settlement analysed, by slot; removed ones stay, not live.
    entries: Vec<Entry>,
    /// The slot of each live settlement's id.
    slots: HashMap<Box<str>, u32>,
    dead: usize,
    vocab: IdMap<u32, Box<str>>,
    pairs: Vec<(String, String)>,
    pair_ids: HashMap<(String, String), u32>,
    memo: tone::SentimentMemo,
}

impl Default for Miner {
    fn default() -> Self {
        Miner::new()
    }
}

/// Settlements per batch of analysis. Each batch in flight holds its own n-gram tables until
/// merged (up to ~7 batches in the pipeline): at 2,000 long documents they were a fifth of a
/// mining's peak memory; 500 cost no time (docs/benchmarks.md).
const BATCH: usize = 500;

impl Miner {
    /// A miner with no settlements.
    pub fn new() -> Miner {
        Miner {
            names: vec![ALL_AGENTS.to_owned()],
            groups: vec![GroupState::default()],
            entries: Vec::new(),
            slots: HashMap::new(),
            dead: 0,
            vocab: IdMap::default(),
            pairs: Vec::new(),
            pair_ids: HashMap::new(),
            memo: tone::SentimentMemo::new(),
        }
    }

    /// Settlements mined.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Removed settlements still held (their words may be read by n-grams); once there are
    /// many, building the miner again gives the memory back.
    pub fn worn(&self) -> bool {
        self.dead > 10_000 && self.dead > self.slots.len() / 2
    }

    /// Mine the settlements that `scan` visits (streamed: this thread reads, one thread per
    /// core analyses whole batches, a merging thread adds them up in reading order). Progress
    /// counts settlements over both passes (so `total` is twice `settlements` when known);
    /// `Ok(None)` if cancelled.
    pub fn build<E>(
        mut scan: impl FnMut(&mut dyn FnMut(Settlement)) -> Result<(), E>,
        settlements: Option<u64>,
        on_step: Progress<'_>,
        cancel: &Cancel,
    ) -> Result<Option<Miner>, E> {
        Miner::build_stored(
            |visit| scan(&mut |s| visit((s, None))),
            settlements,
            None,
            on_step,
            cancel,
        )
    }

    /// [`Miner::build`] over settlements with their stored analyses (as
    /// `Store::scan_with_analyses` gives them): an analysis whose key still fits the
    /// settlement is read back instead of made again; the ones made are handed to `save`, a
    /// batch at a time, as `(id, key, bytes)` for `Store::put_analyses`.
    pub(crate) fn build_stored<E>(
        mut scan: impl FnMut(&mut dyn FnMut(Item)) -> Result<(), E>,
        settlements: Option<u64>,
        save: Option<&Save>,
        on_step: Progress<'_>,
        cancel: &Cancel,
    ) -> Result<Option<Miner>, E> {
        let total = settlements.map(|n| 2 * n);
        let memo = tone::SentimentMemo::new();
        let mut miner = Miner::new();
        let mut done = 0u64;
        let read = std::thread::scope(|scope| -> Result<bool, E> {
            let (miner, memo) = (&mut miner, &memo);
            // Dropped when this closure ends, however it ends: the analysing threads then stop.
            let mut to_analyse = crate::parallel::ordered(
                scope,
                |(base, batch): (u32, Vec<Item>)| analyse(&batch, base, memo, save.is_some()),
                |mut a: Analysed| {
                    if let Some(save) = save {
                        if !a.fresh.is_empty() {
                            save(std::mem::take(&mut a.fresh));
                        }
                    }
                    miner.merge(a)
                },
            );
            let mut pending: Vec<Item> = Vec::with_capacity(BATCH);
            let mut send = |batch: Vec<Item>, done: u64| {
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
        miner.memo = memo;
        let mut progress = |k: u64| {
            on_step(Step {
                done: done + k,
                total,
                items: done + k,
            })
        };
        if !miner.mine(0, &[], &mut progress, cancel) {
            return Ok(None);
        }
        Ok(Some(miner))
    }

    /// Take settlements in and out, and bring every figure up to date. `None` if cancelled:
    /// the next update (possibly with no changes) then finishes the work.
    pub fn update(&mut self, changes: Vec<Change>, cancel: &Cancel) -> Option<Updated> {
        let mut stats = Updated::default();
        // The last change of each id counts.
        let mut last: HashMap<String, usize> = HashMap::new();
        for (i, c) in changes.iter().enumerate() {
            let id = match c {
                Change::Upsert(s) => s.id.as_str().to_owned(),
                Change::Remove(id) => id.clone(),
            };
            last.insert(id, i);
        }
        let mut removed: Vec<u32> = Vec::new();
        let mut fresh: Vec<Settlement> = Vec::new();
        let mut scratch = Vec::new();
        for (i, c) in changes.into_iter().enumerate() {
            match c {
                Change::Remove(id) => {
                    if last.get(&id) != Some(&i) {
                        continue;
                    }
                    if let Some(slot) = self.slots.remove(id.as_str()) {
                        self.kill(slot, &mut scratch);
                        removed.push(slot);
                        stats.removed += 1;
                    }
                }
                Change::Upsert(s) => {
                    if last.get(s.id.as_str()) != Some(&i) {
                        continue;
                    }
                    match self.slots.get(s.id.as_str()).copied() {
                        Some(slot) if self.entries[slot as usize].content == content_of(&s) => {
                            stats.unchanged += 1;
                            continue;
                        }
                        Some(slot) => {
                            self.slots.remove(s.id.as_str());
                            self.kill(slot, &mut scratch);
                            removed.push(slot);
                        }
                        None => {}
                    }
                    fresh.push(*s);
                }
            }
        }
        let first_new = self.entries.len();
        let memo = &self.memo;
        let fresh: Vec<Item> = fresh.into_iter().map(|s| (s, None)).collect();
        let analysed = crate::parallel::chunks(&fresh, |offset, part| {
            analyse(part, (first_new + offset) as u32, memo, false)
        });
        for a in analysed {
            self.merge(a);
        }
        stats.analysed = fresh.len();
        self.mine(first_new, &removed, &mut |_| {}, cancel)
            .then_some(stats)
    }

    /// The report on every group, or `None` while a cancelled update is unfinished.
    pub fn report(&self) -> Option<Report> {
        if self.groups.iter().any(|g| g.mined.is_none()) {
            return None;
        }
        let mut order: Vec<u32> = (0..self.entries.len() as u32)
            .filter(|s| self.entries[*s as usize].live)
            .collect();
        order.sort_by(|a, b| {
            let (x, y) = (&self.entries[*a as usize], &self.entries[*b as usize]);
            x.at.cmp(&y.at).then_with(|| x.id.cmp(&y.id))
        });
        let mut groups: Vec<usize> = (1..self.groups.len())
            .filter(|g| self.groups[*g].counts.settlements > 0)
            .collect();
        groups.sort_by(|a, b| self.names[*a].cmp(&self.names[*b]));
        if groups.len() > 1 {
            groups.push(0);
        }
        let agents = crate::parallel::map(&groups, |g| self.summarise(*g, &order));
        Some(Report {
            settlements: order.len(),
            agents,
        })
    }

    /// The ids and times of the live settlements.
    pub(super) fn times(&self) -> impl Iterator<Item = (&str, DateTime<Utc>)> {
        self.entries
            .iter()
            .filter(|e| e.live)
            .map(|e| (&*e.id, e.at))
    }

    fn group_of(&mut self, name: &str) -> u16 {
        match self.names.iter().skip(1).position(|n| n == name) {
            Some(g) => (g + 1) as u16,
            None => {
                self.names.push(name.to_owned());
                self.groups.push(GroupState::default());
                (self.names.len() - 1) as u16
            }
        }
    }

    /// Add an analysed batch (whose slots start at the current end).
    fn merge(&mut self, a: Analysed) {
        let global: Vec<u16> = a.agents.iter().map(|n| self.group_of(n)).collect();
        for (l, grams) in a.grams.iter().enumerate() {
            let g = global[l] as usize;
            for (side, from) in grams.iter().enumerate() {
                merge_grams(&mut self.groups[g].counts.grams[side], from);
            }
        }
        for (k, v) in a.words {
            self.vocab.entry(k).or_insert(v);
        }
        for (mut e, pairs) in a.entries.into_iter().zip(a.pairs) {
            e.group = global[e.group as usize];
            e.pairs = pairs
                .into_iter()
                .map(|p| {
                    let next = self.pairs.len() as u32;
                    *self.pair_ids.entry(p.clone()).or_insert_with(|| {
                        self.pairs.push(p);
                        next
                    })
                })
                .collect();
            self.groups[e.group as usize].counts.count(&e, true);
            self.groups[0].counts.count(&e, true);
            self.slots.insert(e.id.clone(), self.entries.len() as u32);
            self.entries.push(e);
        }
    }

    /// Stop counting the settlement in `slot` (its words stay for the n-grams that read them).
    fn kill(&mut self, slot: u32, scratch: &mut Vec<(u64, u32, u8)>) {
        let e = &mut self.entries[slot as usize];
        e.live = false;
        let e = &self.entries[slot as usize];
        for g in [e.group as usize, 0] {
            let c = &mut self.groups[g].counts;
            c.count(e, false);
            if g != 0 {
                c.uncount_grams(e, scratch);
            }
        }
        self.dead += 1;
    }

    /// An estimate of the heap this miner holds, by part (from the capacities of its vectors
    /// and maps; the allocator's own overhead is not counted).
    pub fn heap(&self) -> Heap {
        fn map<K, V, S>(m: &HashMap<K, V, S>) -> usize {
            // hashbrown: a slot per bucket plus a control byte, buckets ≈ capacity × 8/7.
            m.capacity() * 8 / 7 * (std::mem::size_of::<(K, V)>() + 1)
        }
        fn vec<T>(v: &Vec<T>) -> usize {
            v.capacity() * std::mem::size_of::<T>()
        }
        let entries = vec(&self.entries)
            + self
                .entries
                .iter()
                .map(|e| {
                    e.id.len()
                        + e.intent.len()
                        + vec(&e.ai)
                        + vec(&e.ai_flags)
                        + vec(&e.added)
                        + vec(&e.added_flags)
                        + vec(&e.pairs)
                })
                .sum::<usize>();
        let grams = self
            .groups
            .iter()
            .map(|g| g.counts.grams.iter().map(map).sum::<usize>())
            .sum();
        let vocab = map(&self.vocab) + self.vocab.values().map(|w| w.len()).sum::<usize>();
        let other = map(&self.slots)
            + self.slots.keys().map(|k| k.len()).sum::<usize>()
            + map(&self.pair_ids)
            + 2 * self
                .pairs
                .iter()
                .map(|(a, b)| a.capacity() + b.capacity() + 48)
                .sum::<usize>()
            + self.memo.heap();
        Heap {
            entries,
            grams,
            vocab,
            other,
        }
    }

    /// Each group's split day: the median live settlement's day.
    fn splits(&self) -> Vec<i32> {
        let mut days: Vec<Vec<i32>> = vec![Vec::new(); self.groups.len()];
        for e in self.entries.iter().filter(|e| e.live) {
            days[e.group as usize].push(e.day);
            days[0].push(e.day);
        }
        days.iter_mut()
            .map(|d| {
                if d.is_empty() {
                    return i32::MAX;
                }
                let mid = d.len() / 2;
                *d.select_nth_unstable(mid).1
            })
            .collect()
    }

    /// Between the passes and the second pass: each group's candidates from its counts, and
    /// their exact figures. Entries from slot `first_new` on are new; `removed` were taken out
    /// since the last time. `false` if cancelled (every group is then counted afresh next time).
    fn mine(
        &mut self,
        first_new: usize,
        removed: &[u32],
        progress: &mut dyn FnMut(u64),
        cancel: &Cancel,
    ) -> bool {
        let stop = function_word_hashes();
        let splits = self.splits();
        // Each group's candidates, and its counts carried over from its last plan (in parallel).
        let olds: Vec<Option<Mined>> = self.groups.iter_mut().map(|g| g.mined.take()).collect();
        let indices: Vec<usize> = (0..self.groups.len()).collect();
        let this = &*self;
        let planned = crate::parallel::map(&indices, |&g| {
            let plan = this.plan_of(g, stop);
            let (tally, backfill, retired, retired_tally) = match &olds[g] {
                None => {
                    let none = Pass2::of(Vec::new(), Vec::new(), Vec::new());
                    let t = Tally::new(&none);
                    (Tally::new(&plan), Backfill::all(&plan), none, t)
                }
                Some(m) => {
                    let [t, r] = this.delta(g, m, splits[g], first_new, removed);
                    Backfill::carry([(&m.plan, &t), (&m.retired, &r)], &plan)
                }
            };
            let mined = Mined {
                plan,
                split: splits[g],
                tally,
                retired,
                retired_tally,
            };
            (mined, (!backfill.is_empty()).then_some(backfill))
        });
        let mut backfills: Vec<Option<Backfill>> = Vec::with_capacity(planned.len());
        for (g, (mined, backfill)) in planned.into_iter().enumerate() {
            self.groups[g].mined = Some(mined);
            backfills.push(backfill);
        }
        if backfills.iter().all(Option::is_none) {
            return true;
        }
        // One pass over every settlement for the phrases that have no counts yet.
        let new = |b: &Option<Backfill>| b.as_ref().map(|b| Tally::new(&b.plan));
        let mut got: Vec<Option<Tally>> = backfills.iter().map(new).collect();
        const CHUNK: usize = BATCH * 4;
        let mut done = 0u64;
        for chunk in self.entries.chunks(CHUNK) {
            if cancel.is_cancelled() {
                for g in &mut self.groups {
                    g.mined = None;
                }
                return false;
            }
            let partials = crate::parallel::chunks(chunk, |_, part| {
                let mut local: Vec<Option<Tally>> = backfills.iter().map(new).collect();
                let mut seen = Vec::new();
                for e in part.iter().filter(|e| e.live) {
                    for g in [e.group as usize, 0] {
                        if let (Some(b), Some(t)) = (&backfills[g], &mut local[g]) {
                            if b.may_hold(e) {
                                second_pass(e, e.day >= splits[g], &b.plan, t, &mut seen);
                            }
                        }
                    }
                }
                local
            });
            for local in partials {
                for (t, l) in got.iter_mut().zip(local) {
                    if let (Some(t), Some(l)) = (t, l) {
                        t.combine(&l, |x, y| *x += y);
                    }
                }
            }
            done += chunk.len() as u64;
            progress(done);
        }
        for (g, (b, t)) in backfills.iter().zip(got).enumerate() {
            if let (Some(b), Some(t), Some(m)) = (b, t, self.groups[g].mined.as_mut()) {
                b.fill(&mut m.tally, &t);
            }
        }
        true
    }

    /// Group `g`'s candidates, from its counts.
    fn plan_of(&self, g: usize, stop: &HashSet<u32>) -> Pass2 {
        let c = &self.groups[g].counts;
        let min_hits = min_hits(c.settlements);
        // An n-gram's words, read where it was first seen.
        let words_of = |side: Side| {
            move |gr: &Gram| {
                let words = self.entries[gr.at as usize].words(side);
                words[gr.start as usize..][..gr.n as usize].to_vec()
            }
        };
        let derived: [IdMap<u64, Gram>; 3];
        let [deleted, replaced, added] = if g == 0 {
            let agents = &self.groups[1..];
            derived = std::array::from_fn(|side| {
                let maps: Vec<_> = agents.iter().map(|a| &a.counts.grams[side]).collect();
                frequent_over(&maps, min_hits)
            });
            &derived
        } else {
            &c.grams
        };
        // A lone function word is never an added phrase: there is no ordinary rate to test it
        // against (see `only_function_word`). Taken out or replaced, it is tested like any
        // other word against the rate of an average word (an article, a tense, a pronoun).
        Pass2::of(
            {
                // Phrases take their shape from what they say: lone function words join the
                // candidates only after the maximal phrases are chosen, so that "you" is never
                // the "general" phrase that "let me know if you have any questions" fills.
                let mut phrases = maximal(deleted, words_of(Side::Deleted), min_hits, stop);
                phrases.extend(lone_function_words(deleted, min_hits, stop));
                phrases
            },
            maximal(
                replaced,
                words_of(Side::Replaced),
                min_hits,
                &HashSet::new(),
            ),
            maximal(added, words_of(Side::Added), min_hits, stop),
        )
    }

    /// Group `g`'s counts for its last plan and its retired phrases (`m`), brought up to
    /// date in one pass: the removed settlements taken away, those whose half changed with the
    /// split moved over, the new ones added.
    fn delta(
        &self,
        g: usize,
        m: &Mined,
        split: i32,
        first_new: usize,
        removed: &[u32],
    ) -> [Tally; 2] {
        let plans = [&m.plan, &m.retired];
        let seen = &mut Vec::new();
        let member = |e: &Entry| g == 0 || e.group as usize == g;
        let mut plus = plans.map(Tally::new);
        let mut minus = plans.map(Tally::new);
        let mut count = |e: &Entry, late: bool, into: &mut [Tally; 2]| {
            for (p, t) in plans.iter().zip(into.iter_mut()) {
                second_pass(e, late, p, t, seen);
            }
        };
        for &s in removed {
            let e = &self.entries[s as usize];
            if member(e) {
                count(e, e.day >= m.split, &mut minus);
            }
        }
        if split != m.split {
            let moved = split.min(m.split)..split.max(m.split);
            for e in self.entries[..first_new]
                .iter()
                .filter(|e| e.live && member(e) && moved.contains(&e.day))
            {
                count(e, e.day >= m.split, &mut minus);
                count(e, e.day >= split, &mut plus);
            }
        }
        for e in self.entries[first_new..]
            .iter()
            .filter(|e| e.live && member(e))
        {
            count(e, e.day >= split, &mut plus);
        }
        let mut out = [m.tally.clone(), m.retired_tally.clone()];
        for ((t, p), n) in out.iter_mut().zip(&plus).zip(&minus) {
            t.combine(p, |x, y| *x += y);
            t.combine(n, |x, y| *x -= y);
        }
        out
    }

    /// Everything mined for group `g`; `order` = the live slots, oldest first.
    fn summarise(&self, g: usize, order: &[u32]) -> AgentPatterns {
        let c = &self.groups[g].counts;
        let m = self.groups[g]
            .mined
            .as_ref()
            .expect("mined before a report");
        let (p, t) = (&m.plan, &m.tally);
        let min_hits = min_hits(c.settlements);
        let text = |words: &[u32]| -> String {
            words
                .iter()
                .map(|w| self.vocab.get(w).map_or("?", |s| &**s))
                .collect::<Vec<_>>()
                .join(" ")
        };
        // A phrase with `hits` of `support`, `late` of them in the later half.
        let phrase = |w: &[u32],
                      hits: usize,
                      support: usize,
                      late: (usize, usize),
                      cut_share: Option<f64>| {
            let words = text(w);
            if lone_han(w, &words) {
                return None;
            }
            let share = wilson(hits, support)?;
            let p = Phrase {
                text: words,
                words: w.len(),
                hits,
                support,
                effort: super::effort(&share, support, w.len()),
                share,
                examples: Vec::new(),
                trend: PhraseTrend::of(m.split, (hits - late.0, support - late.1), late),
                context: None,
                cut_share,
            };
            Some((p, w.to_vec()))
        };
        // A deleted phrase (a replacement source) is a pattern only when people remove (or
        // replace) its occurrences more often than they do an average word of these outputs:
        // frequent words edited at the usual rate say nothing about the agent.
        let (base, replaced_base) = self.edited_word_shares(g, order);
        // Candidates for `own_evidence`: those taken out (replaced) in too few settlements
        // count as never changed. A phrase people take out is one whether they cut it or
        // rewrite it: either way the draft should not have said it (its cut share says how).
        let deleted_cands = candidates(
            &p.deleted.phrases,
            &t.occurrences,
            &t.changed,
            &t.hits,
            min_hits,
        );
        let own = own_evidence(&deleted_cands, &[], base);
        // Per replacement source, the settlements in which people put a named target (one
        // chosen MIN_HITS times or more) in its place.
        let mut named: HashMap<&str, usize> = HashMap::new();
        for (pair, n) in &c.replacements {
            if *n >= MIN_HITS {
                *named
                    .entry(self.pairs[*pair as usize].0.as_str())
                    .or_default() += n;
            }
        }
        let mut deleted: Vec<(Phrase, Vec<u32>)> = p
            .deleted
            .phrases
            .iter()
            .enumerate()
            .filter_map(|(i, w)| {
                let own = own[i]?;
                // Mostly swapped for named words: a replacement pattern, listed there.
                let swapped = named.get(text(w).as_str()).copied().unwrap_or(0);
                if swapped * 2 >= t.hits[i] {
                    return None;
                }
                let late = (t.hits_late[i], t.appeared_late[i]);
                let cut = t.cut[i] as f64 / t.changed[i].max(1) as f64;
                let (mut p, w) = phrase(w, t.hits[i], t.appeared[i], late, Some(cut))?;
                p.effort *= own;
                Some((p, w))
            })
            .collect();
        let mut added: Vec<(Phrase, Vec<u32>)> = p
            .added
            .phrases
            .iter()
            .enumerate()
            .filter(|(i, _)| t.added_hits[*i] >= min_hits)
            .filter_map(|(i, w)| {
                phrase(
                    w,
                    t.added_hits[i],
                    c.settlements,
                    (t.added_hits_late[i], t.late),
                    None,
                )
            })
            .collect();
        // One family: every phrase whose trend was tested, deleted and added alike.
        control_trend_fdr(
            deleted
                .iter_mut()
                .chain(added.iter_mut())
                .filter_map(|(p, _)| p.trend.as_mut())
                .collect(),
        );
        let (deleted, added) = (rank_phrases(deleted), rank_phrases(added));
        // What each source was replaced with, most common first.
        let mut targets: HashMap<&str, Vec<Target>> = HashMap::new();
        for (pair, n) in &c.replacements {
            let (from, to) = &self.pairs[*pair as usize];
            targets.entry(from.as_str()).or_default().push(Target {
                to: to.clone(),
                hits: *n,
            });
        }
        // The deleted phrases listed explain the changes of the words inside them.
        let listed: Vec<(&[u32], usize, usize)> = deleted
            .iter()
            .filter_map(|(_, w)| deleted_cands.iter().find(|c| c.0 == w.as_slice()).copied())
            .collect();
        let from_cands = candidates(
            &p.from.phrases,
            &t.from_occurrences,
            &t.from_changed,
            &t.from_hits,
            min_hits,
        );
        let own = own_evidence(&from_cands, &listed, replaced_base);
        let mut replacements: Vec<(Replacement, Vec<u32>)> = p
            .from
            .phrases
            .iter()
            .enumerate()
            .filter_map(|(k, w)| {
                let own = own[k]?;
                let from = text(w);
                if lone_han(w, &from) {
                    return None;
                }
                let (hits, support) = (t.from_hits[k], t.from_appeared[k]);
                let share = wilson(hits, support)?;
                let mut to = targets.remove(from.as_str()).unwrap_or_default();
                // A target is named when people chose it in MIN_HITS outputs or more: a
                // word replaced inside longer rewrites has many one-off "targets" that are
                // pieces of those rewrites, not what people put instead of it.
                to.retain(|t| t.hits >= MIN_HITS);
                to.sort_by(|a, b| b.hits.cmp(&a.hits).then(a.to.cmp(&b.to)));
                to.truncate(TARGETS);
                let r = Replacement {
                    to: to.first().map(|t| t.to.clone()).unwrap_or_default(),
                    from,
                    hits,
                    support,
                    effort: super::effort(&share, support, w.len()) * own,
                    share,
                    targets: to,
                    examples: Vec::new(),
                    context: None,
                };
                Some((r, w.clone()))
            })
            .collect();
        replacements.sort_by(|(a, _), (b, _)| {
            super::by_effort((a.effort, &a.share, a.hits), (b.effort, &b.share, b.hits))
                .then(a.from.cmp(&b.from))
        });
        let replacements = top_apart(replacements);

        // Examples: the newest settlements behind each listed pattern.
        let members: Vec<u32> = order
            .iter()
            .copied()
            .filter(|s| g == 0 || self.entries[*s as usize].group as usize == g)
            .collect();
        let (deleted, added, replacements) = self.examples(&members, deleted, added, replacements);

        let rejection_patterns = rejection_patterns(p, t, c.settlements, &text);
        let pairs: Vec<(Features, Features)> = members
            .iter()
            .map(|s| self.entries[*s as usize].tone)
            .collect();
        let tone = tone::shifts(&pairs);
        let ids: Vec<&str> = members
            .iter()
            .map(|s| &*self.entries[*s as usize].id)
            .collect();
        let examples_of =
            |feature: usize, rising: bool| tone_examples(&pairs, &ids, feature, rising);
        let structure = self.structure(&members, &c.shape, min_hits);
        let edit_kinds = self.edit_kinds(&members, c);
        let rewritten = c.categories.get(&Category::Rewritten).copied().unwrap_or(0);
        let recommendations = recommend(
            &Evidence {
                settlements: c.settlements,
                rewritten,
                deleted: &deleted,
                added: &added,
                replacements: &replacements,
                structure: &structure,
                tone: &tone,
            },
            &examples_of,
        );
        AgentPatterns {
            agent: self.names[g].clone(),
            settlements: c.settlements,
            recommendations,
            deleted,
            added,
            replacements,
            tone,
            categories: c.categories.clone(),
            edit_kinds,
            categories_by_intent: c.by_intent.clone(),
            rejection_patterns,
            structure,
        }
    }

    /// The mix of edit kinds ([`taxonomy`]), most edits first, each with the newest of
    /// `members` (oldest first) that holds one.
    fn edit_kinds(&self, members: &[u32], c: &Counts) -> Vec<KindShare> {
        let total: usize = c.kinds.iter().sum();
        let mut out: Vec<KindShare> = taxonomy::EditKind::ALL
            .into_iter()
            .filter(|k| c.kinds[k.index()] > 0)
            .map(|kind| {
                let i = kind.index();
                let examples = members
                    .iter()
                    .rev()
                    .map(|s| &self.entries[*s as usize])
                    .filter(|e| e.kinds[i] > 0)
                    .take(EXAMPLES)
                    .map(|e| e.id.to_string())
                    .collect();
                KindShare {
                    kind,
                    label: kind.label(),
                    edits: c.kinds[i],
                    outputs: c.kind_outputs[i],
                    share: c.kinds[i] as f64 / total as f64,
                    examples,
                    example: None,
                }
            })
            .collect();
        out.sort_by(|a, b| b.edits.cmp(&a.edits).then(a.kind.cmp(&b.kind)));
        out
    }

    /// The opening and closing sentences (and sentences restating an earlier one) people take
    /// out whole more often than an ordinary (middle) sentence: the interval's lower end above
    /// the middle sentences' rate; and the other structure events of [`EVENTS`] people make in
    /// at least [`EVENT_FLOOR`] of the outputs that could show them (the interval's lower end).
    /// Each in at least `min_hits` outputs; examples are the newest of `members` (oldest first).
    fn structure(
        &self,
        members: &[u32],
        c: &ShapeCounts,
        min_hits: usize,
    ) -> Vec<StructurePattern> {
        let middle_share = c.middle_cut as f64 / c.middle.max(1) as f64;
        let mut out = Vec::new();
        let newest = |hit: &dyn Fn(&Shape) -> bool| -> Vec<String> {
            members
                .iter()
                .rev()
                .map(|s| &self.entries[*s as usize])
                .filter(|e| hit(&e.shape))
                .take(EXAMPLES)
                .map(|e| e.id.to_string())
                .collect()
        };
        for (opening, hits) in [(true, c.opening_cut), (false, c.closing_cut)] {
            let Some(share) = wilson(hits, c.outputs) else {
                continue;
            };
            if hits < min_hits || share.low.is_none_or(|low| low <= middle_share) {
                continue;
            }
            let (kind, label, what) = if opening {
                ("opening_sentence_cut", "Opening sentence cut", "opening")
            } else {
                ("closing_sentence_cut", "Closing sentence cut", "closing")
            };
            out.push(StructurePattern {
                kind,
                label,
                text: format!(
                    "People delete the {what} sentence in {} of the {} outputs of three or more sentences, against {} of their middle sentences.",
                    share_with_ci(&share),
                    c.outputs,
                    pct(middle_share)
                ),
                hits,
                support: c.outputs,
                share,
                middle_share: Some(middle_share),
                examples: newest(&|sh: &Shape| {
                    sh.counted() && if opening { sh.opening_cut } else { sh.closing_cut }
                }),
            });
        }
        for (bit, (kind, label)) in EVENTS.iter().enumerate() {
            let (hits, support) = (c.hits[bit], c.eligible[bit]);
            let Some(share) = wilson(hits, support) else {
                continue;
            };
            let baseline = (bit == RESTATING).then_some(middle_share);
            let floor = baseline.unwrap_or(EVENT_FLOOR);
            if hits < min_hits || share.low.is_none_or(|low| low <= floor) {
                continue;
            }
            let of =
                |what: &str| format!("{} of the {support} outputs {what}", share_with_ci(&share));
            let text = match bit {
                RESTATING => format!(
                    "People delete a sentence that restates an earlier one in {}, against {} of ordinary middle sentences.",
                    of("that have one"),
                    pct(middle_share)
                ),
                HEADING => format!("People remove a heading in {}.", of("with headings")),
                LIST_TO_PROSE => format!("People turn the list into prose in {}.", of("with a list")),
                PROSE_TO_LIST => format!(
                    "People turn prose into a list in {}.",
                    of("of three or more sentences without one")
                ),
                SPLIT => format!("People split a sentence in two in {}.", of("with a sentence")),
                MERGED => format!(
                    "People merge two sentences into one in {}.",
                    of("of two or more sentences")
                ),
                _ => format!(
                    "People move a sentence elsewhere, unchanged, in {}.",
                    of("of two or more sentences")
                ),
            };
            out.push(StructurePattern {
                kind,
                label,
                text,
                hits,
                support,
                share,
                middle_share: baseline,
                examples: newest(&|sh: &Shape| sh.hits >> bit & 1 == 1),
            });
        }
        out
    }

    /// The shares of the AI outputs' words that people took out ([`DELETED`]) and replaced
    /// ([`REPLACED`]), over group `g`'s live settlements (`order`), in one pass: the rates an
    /// ordinary word is removed and replaced at.
    fn edited_word_shares(&self, g: usize, order: &[u32]) -> (f64, f64) {
        let (mut deleted, mut replaced, mut words) = (0usize, 0usize, 0usize);
        for &s in order {
            let e = &self.entries[s as usize];
            if g == 0 || e.group as usize == g {
                words += e.ai_flags.len();
                for f in &e.ai_flags {
                    deleted += usize::from(f & DELETED != 0);
                    replaced += usize::from(f & REPLACED != 0);
                }
            }
        }
        let share = |n: usize| {
            if words == 0 {
                0.0
            } else {
                n as f64 / words as f64
            }
        };
        (share(deleted), share(replaced))
    }

    /// Fill in each listed pattern's examples: the [`EXAMPLES`] newest of `members` (oldest
    /// first) in which the phrase was deleted, the phrase was added, the replacement was made.
    fn examples(
        &self,
        members: &[u32],
        deleted: Vec<(Phrase, Vec<u32>)>,
        added: Vec<(Phrase, Vec<u32>)>,
        replacements: Vec<(Replacement, Vec<u32>)>,
    ) -> (Vec<Phrase>, Vec<Phrase>, Vec<Replacement>) {
        let (mut deleted, d_words): (Vec<Phrase>, Vec<Vec<u32>>) = deleted.into_iter().unzip();
        let (mut added, a_words): (Vec<Phrase>, Vec<Vec<u32>>) = added.into_iter().unzip();
        let (mut replacements, r_words): (Vec<Replacement>, Vec<Vec<u32>>) =
            replacements.into_iter().unzip();
        let (dm, am) = (Matcher::new(d_words), Matcher::new(a_words));
        let rm = Matcher::new(r_words);
        let mut missing = EXAMPLES * (deleted.len() + added.len() + replacements.len());
        let mut found: Vec<usize> = Vec::new();
        for &s in members.iter().rev() {
            if missing == 0 {
                break;
            }
            let e = &self.entries[s as usize];
            let give = |list: &mut Vec<String>, missing: &mut usize| {
                if list.len() < EXAMPLES {
                    list.push(e.id.to_string());
                    *missing -= 1;
                }
            };
            found.clear();
            dm.scan(&e.ai, &e.ai_flags, |k, i| {
                let n = dm.phrases[k].len();
                if e.edited_at(i, n, DELETED) {
                    found.push(k);
                }
            });
            found.sort_unstable();
            found.dedup();
            for k in &found {
                give(&mut deleted[*k].examples, &mut missing);
            }
            found.clear();
            am.scan(&e.added, &e.added_flags, |k, _| found.push(k));
            found.sort_unstable();
            found.dedup();
            for k in &found {
                give(&mut added[*k].examples, &mut missing);
            }
            found.clear();
            rm.scan(&e.ai, &e.ai_flags, |k, i| {
                if e.edited_at(i, rm.phrases[k].len(), REPLACED) {
                    found.push(k);
                }
            });
            found.sort_unstable();
            found.dedup();
            for k in &found {
                give(&mut replacements[*k].examples, &mut missing);
            }
        }
        (deleted, added, replacements)
    }
}

/// A phrase that is one Han character (`words`, read as `text`): like a lone English
/// function word, no pattern.
fn lone_han(words: &[u32], text: &str) -> bool {
    words.len() == 1 && crate::text::is_single_han(text)
}

/// Candidates for [`own_evidence`]: words, occurrences, changed occurrences. Those changed in
/// fewer than `min_hits` settlements count as never changed.
fn candidates<'a>(
    phrases: &'a [Vec<u32>],
    occurrences: &[usize],
    changed: &[usize],
    hits: &[usize],
    min_hits: usize,
) -> Vec<(&'a [u32], usize, usize)> {
    phrases
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let listed = hits[i] >= min_hits;
            (
                w.as_slice(),
                occurrences[i],
                if listed { changed[i] } else { 0 },
            )
        })
        .collect()
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

/// Analyse and store, without mining, every settlement of `store` whose pattern analysis is
/// missing or stale (the app runs it in the background after an import, a sync or a launch, so
/// that the first mining of an agent reads its analyses back instead of diffing again). Streamed
/// in batches on every core, in bounded memory; each batch's analyses are written as it is done,
/// with one durable commit at the end. Progress counts the settlements looked at. Returns how
/// many were analysed; `Ok(None)` if cancelled (what was written stays: it is a cache).
pub fn store_analyses(
    store: &crate::store::Store,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<usize>, crate::store::StoreError> {
    let total = store.count()?;
    let memo = tone::SentimentMemo::new();
    let (mut seen, mut analysed) = (0u64, 0usize);
    let mut written: Result<(), crate::store::StoreError> = Ok(());
    std::thread::scope(|scope| -> Result<(), crate::store::StoreError> {
        let written = &mut written;
        let mut feed = crate::parallel::ordered(
            scope,
            // Only what is stored: no entries kept, no n-grams counted.
            |batch: Vec<(Settlement, u64)>| {
                let mut words = IdMap::default();
                batch
                    .iter()
                    .filter_map(|(s, key)| {
                        let (entry, pairs, inserted) = analyse_one(s, 0, &mut words, &memo);
                        to_store(s, *key, &entry, &pairs, &inserted)
                    })
                    .collect::<Vec<_>>()
            },
            |fresh: Vec<(String, u64, Vec<u8>)>| {
                if written.is_ok() {
                    *written = store.put_analyses(&fresh, false).map(|_| ());
                }
            },
        );
        let mut pending: Vec<(Settlement, u64)> = Vec::with_capacity(BATCH);
        store.scan_with_analyses(None, None, |s, stored| {
            if cancel.is_cancelled() {
                return;
            }
            seen += 1;
            let key = stored_key(&s);
            if stored.is_none_or(|(k, _)| k != key) {
                pending.push((s, key));
                if pending.len() >= BATCH {
                    analysed += pending.len();
                    feed.send(std::mem::replace(&mut pending, Vec::with_capacity(BATCH)));
                }
            }
            if seen % BATCH as u64 == 0 {
                on_step(Step {
                    done: seen,
                    total: Some(total),
                    items: seen,
                });
            }
        })?;
        if !pending.is_empty() && !cancel.is_cancelled() {
            analysed += pending.len();
            feed.send(pending);
        }
        Ok(())
    })?;
    written?;
    store.put_analyses(&[], true)?;
    on_step(Step {
        done: seen,
        total: Some(total),
        items: seen,
    });
    Ok((!cancel.is_cancelled()).then_some(analysed))
}
