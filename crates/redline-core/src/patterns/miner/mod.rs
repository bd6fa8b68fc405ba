//! The miner's state, kept between runs: every settlement's analysis (the words of its AI
//! output and its added words, packed with which words were deleted, its replacements, tone
//! and category, but not its texts), each group's n-gram counts, and each group's candidate phrases with their
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
use crate::diff::WordEdits;
use crate::job::{Cancel, Progress, Step};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::btree_map;
use std::ops::ControlFlow;

mod analysis;
mod counts;
mod marks;
mod packed;
mod report;
mod shape;
mod tally;

pub use analysis::analyse_missing;
use analysis::*;
pub(crate) use analysis::{analyse_for_store, stored_edits};
use counts::*;
#[cfg(test)]
pub(crate) use marks::edited;
pub(crate) use marks::MARKS;
use marks::*;
use packed::*;
use shape::*;
use tally::*;

/// A group's candidates and their counts, as of the last update.
#[derive(Clone)]
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

/// The smallest number of settlements a phrase must be deleted (added) in: 5, or 0.2% of the
/// group's edited ones (those people changed at all: an output left as it was can hold no
/// deletion, so a store where most drafts are accepted as they are does not ask more of each
/// phrase). (It was 0.5% of all until 2026-12-06: on 3,000 real post-edits that asks 15 outputs
/// of a phrase, and with each phrase listed once the deleted lists of MLQE-PE's seven pairs
/// held 0–8 phrases; at 0.2%, 2–25. 0.1% listed a few more phrases but cost 17–50% more time
/// and 30% more memory on 20,000 long documents: docs/benchmarks.md. Of all, not of the edited,
/// until 2026-12-07: on the Django documentation's revisions, where 93% of the paragraphs stay
/// as they were, it asked 14 deletions of a phrase in 857 edited paragraphs and listed none.)
fn min_hits(c: &Counts) -> usize {
    MIN_HITS.max(c.edited() / 500)
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
    /// The numbers its entries' words are packed with.
    dict: Dict,
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
/// merged (up to ~5 batches in the pipeline): at 2,000 long documents they were a fifth of a
/// mining's peak memory, and at 500 still ~160 MB of the incident check's on 100k long
/// documents; 250 costs no time (docs/benchmarks.md).
const BATCH: usize = 250;

impl Miner {
    /// A miner with no settlements.
    pub fn new() -> Miner {
        Miner {
            names: vec![ALL_AGENTS.to_owned()],
            groups: vec![GroupState::default()],
            entries: Vec::new(),
            dict: Dict::default(),
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
            |visit| {
                scan(&mut |s| {
                    let _ = visit((s, None));
                })
            },
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
        mut scan: impl FnMut(&mut dyn FnMut(Item) -> ControlFlow<()>) -> Result<(), E>,
        settlements: Option<u64>,
        save: Option<&Save>,
        on_step: Progress<'_>,
        cancel: &Cancel,
    ) -> Result<Option<Miner>, E> {
        let total = settlements.map(|n| 2 * n);
        let memo = tone::SentimentMemo::new();
        let tables = GramTables::default();
        let mut miner = Miner::new();
        let mut done = 0u64;
        let read = std::thread::scope(|scope| -> Result<bool, E> {
            let (miner, memo, tables) = (&mut miner, &memo, &tables);
            // Dropped when this closure ends, however it ends: the analysing threads then stop.
            let mut to_analyse = crate::parallel::ordered(
                scope,
                |(base, batch): (u32, Vec<Item>)| {
                    analyse(&batch, base, memo, save.is_some(), tables)
                },
                |mut a: Analysed| {
                    if let Some(save) = save {
                        if !a.fresh.is_empty() {
                            save(std::mem::take(&mut a.fresh));
                        }
                    }
                    miner.merge(a, tables)
                },
            );
            let mut pending: Vec<Item> = Vec::with_capacity(BATCH);
            let mut send = |batch: Vec<Item>, done: u64| {
                to_analyse.send(((done - batch.len() as u64) as u32, batch));
            };
            scan(&mut |s| {
                if cancel.is_cancelled() {
                    return ControlFlow::Break(());
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
                ControlFlow::Continue(())
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
        let tables = GramTables::default();
        let fresh: Vec<Item> = fresh.into_iter().map(|s| (s, None)).collect();
        let analysed = crate::parallel::chunks(&fresh, |offset, part| {
            analyse(part, (first_new + offset) as u32, memo, false, &tables)
        });
        for a in analysed {
            self.merge(a, &tables);
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
    pub(crate) fn times(&self) -> impl Iterator<Item = (&str, DateTime<Utc>)> {
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

    /// Add an analysed batch (whose slots start at the current end); its n-gram tables go back
    /// to `tables`.
    fn merge(&mut self, a: Analysed, tables: &GramTables) {
        let global: Vec<u16> = a.agents.iter().map(|n| self.group_of(n)).collect();
        for (l, grams) in a.grams.into_iter().enumerate() {
            let g = global[l] as usize;
            for (side, from) in grams.into_iter().enumerate() {
                merge_grams(&mut self.groups[g].counts.grams[side], &from);
                tables.give(from);
            }
        }
        for (k, v) in a.words {
            self.vocab.entry(k).or_insert(v);
        }
        for ((mut e, words), pairs) in a.entries.into_iter().zip(a.unpacked).zip(a.pairs) {
            e.group = global[e.group as usize];
            e.words = self.dict.pack(&words);
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
        let mut words = Words::default();
        self.dict.unpack(&e.words, &mut words);
        for g in [e.group as usize, 0] {
            let c = &mut self.groups[g].counts;
            c.count(e, false);
            if g != 0 {
                c.uncount_grams(&words, scratch);
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
                .map(|e| e.id.len() + e.intent.len() + e.words.len() + vec(&e.pairs))
                .sum::<usize>();
        let grams = self
            .groups
            .iter()
            .map(|g| g.counts.grams.iter().map(map).sum::<usize>())
            .sum();
        let vocab = map(&self.vocab)
            + self.vocab.values().map(|w| w.len()).sum::<usize>()
            + self.dict.heap();
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
}
