//! A group's n-gram counts, moved by each settlement that comes in or goes out, and the
//! frequent n-grams that become candidate phrases.

use super::*;

/// A group's counts: everything but its candidates' figures.
#[derive(Default)]
pub(super) struct Counts {
    pub(super) settlements: usize,
    /// Per [`Side`]: n-gram → settlements. Empty for group 0 (all agents): its frequent
    /// n-grams are the agents' added up when needed ([`frequent_over`]).
    pub(super) grams: [IdMap<u64, Gram>; 3],
    /// Interned replacement pair → settlements.
    pub(super) replacements: BTreeMap<u32, usize>,
    pub(super) categories: BTreeMap<Category, usize>,
    pub(super) by_intent: BTreeMap<String, BTreeMap<Category, usize>>,
    pub(super) shape: ShapeCounts,
    pub(super) marks: MarkCounts,
    /// Per [`taxonomy::EditKind`]: edit operations, and settlements with at least one.
    pub(super) kinds: [usize; KINDS],
    pub(super) kind_outputs: [usize; KINDS],
}

impl Counts {
    /// The settlements people changed at all (all but those accepted as they were).
    pub(super) fn edited(&self) -> usize {
        let untouched = self.categories.get(&Category::AcceptedAsIs).copied();
        self.settlements - untouched.unwrap_or(0)
    }

    /// Count (or stop counting) everything of `e` but its n-grams.
    pub(super) fn count(&mut self, e: &Entry, add: bool) {
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
        self.marks.count(&e.marks, add);
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
    pub(super) fn uncount_grams(&mut self, w: &Words, grams: &mut Vec<(u64, u32, u8)>) {
        for (map, side) in self.grams.iter_mut().zip(Side::ALL) {
            entry_grams(w, side, grams);
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

/// A batch's n-gram tables, handed back once merged to be filled by a later batch. Batches'
/// tables grow to about the same size, and growing each one anew (rehashing, and touching
/// fresh pages where the app's allocator gives freed memory back at once) was a tenth of a
/// mining's time.
#[derive(Default)]
pub(super) struct GramTables(std::sync::Mutex<Vec<IdMap<u64, Gram>>>);

/// At most this many spare tables are kept (3 sides × a few agents × the batches in flight).
const SPARE_TABLES: usize = 48;

impl GramTables {
    /// An empty table, with room if a spare one is at hand.
    pub(super) fn take(&self) -> IdMap<u64, Gram> {
        let mut spare = self.0.lock().unwrap_or_else(|p| p.into_inner());
        spare.pop().unwrap_or_default()
    }

    /// Hand `table` back, emptied.
    pub(super) fn give(&self, mut table: IdMap<u64, Gram>) {
        table.clear();
        let mut spare = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if spare.len() < SPARE_TABLES {
            spare.push(table);
        }
    }
}

pub(super) fn merge_grams(into: &mut IdMap<u64, Gram>, from: &IdMap<u64, Gram>) {
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
pub(super) fn frequent_over(maps: &[&IdMap<u64, Gram>], min_hits: usize) -> IdMap<u64, Gram> {
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
pub(super) fn lone_function_words(
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
pub(super) const REPLACEMENT_WORDS: usize = 4;

/// The n-grams of runs of words (a run ends where `starts(i)` or where `keep` turns false),
/// each with its position.
pub(super) fn run_grams(
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
pub(super) enum Side {
    Deleted,
    Replaced,
    Added,
}

impl Side {
    pub(super) const ALL: [Side; 3] = [Side::Deleted, Side::Replaced, Side::Added];
}

/// The n-grams of an entry's runs of `side` words (`w`).
pub(super) fn entry_grams(w: &Words, side: Side, out: &mut Vec<(u64, u32, u8)>) {
    let run = |flag: u8, out: &mut Vec<(u64, u32, u8)>| {
        run_grams(
            &w.ai,
            |i| w.ai_flags[i] & flag != 0,
            |i| w.ai_flags[i] & START != 0,
            out,
        )
    };
    match side {
        Side::Deleted => run(DELETED, out),
        Side::Replaced => run(REPLACED, out),
        Side::Added => run_grams(&w.added, |_| true, |i| w.added_flags[i] & START != 0, out),
    }
}

/// Count each distinct n-gram of `grams` once, for the settlement in slot `at` (settlements
/// come in increasing slots). A counted n-gram points at its latest occurrence, so a second
/// occurrence in the same settlement finds its own slot there and is not counted again, without
/// sorting the settlement's n-grams first; any occurrence gives the n-gram's words.
pub(super) fn count_grams(map: &mut IdMap<u64, Gram>, grams: &mut Vec<(u64, u32, u8)>, at: u32) {
    for (h, start, n) in grams.drain(..) {
        match map.entry(h) {
            std::collections::hash_map::Entry::Occupied(mut o) => {
                let g = o.get_mut();
                if g.at != at {
                    *g = Gram {
                        count: g.count + 1,
                        at,
                        start,
                        n,
                    };
                }
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(Gram {
                    count: 1,
                    at,
                    start,
                    n,
                });
            }
        }
    }
}

/// Analyse one settlement: its entry (in local group `group`) and its replacements as text.
/// Enter the words phrases can be made of — the deleted ones of `a` (by `ai_flags`) and the
/// inserted ones of `f` — in `vocab`.
pub(super) fn enter_words(
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
