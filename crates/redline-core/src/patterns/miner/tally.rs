//! Exact counts of each group's candidate phrases (the second pass over the settlements),
//! kept up to date as settlements come and go, and the mining step that chooses the candidates.

use super::*;

/// Exact counts of a group's candidate phrases.
#[derive(Clone)]
pub(super) struct Tally {
    pub(super) appeared: Vec<usize>,
    pub(super) hits: Vec<usize>,
    pub(super) appeared_late: Vec<usize>,
    pub(super) hits_late: Vec<usize>,
    /// Rejected settlements whose AI output contains each deleted candidate.
    pub(super) appeared_rejected: Vec<usize>,
    /// Occurrences of each deleted candidate in AI outputs, and those wholly deleted (or
    /// replaced): the per-occurrence rate its evidence is tested with.
    pub(super) occurrences: Vec<usize>,
    pub(super) changed: Vec<usize>,
    /// Of `changed`: the occurrences deleted outright (no word of them replaced).
    pub(super) cut: Vec<usize>,
    pub(super) from_appeared: Vec<usize>,
    /// Settlements in which an occurrence of each source was wholly replaced.
    pub(super) from_hits: Vec<usize>,
    /// As `occurrences` and `changed`, for the replacement sources.
    pub(super) from_occurrences: Vec<usize>,
    pub(super) from_changed: Vec<usize>,
    pub(super) added_hits: Vec<usize>,
    pub(super) added_hits_late: Vec<usize>,
    /// Settlements in which an occurrence of each added candidate in the AI output was wholly
    /// taken out: what its additions are weighed against.
    pub(super) added_lost: Vec<usize>,
    /// Settlements in the later half of the group's time span, and rejected ones.
    pub(super) late: usize,
    pub(super) rejected: usize,
}

impl Tally {
    pub(super) fn new(p: &Pass2) -> Tally {
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
            added_lost: vec![0; a],
            late: 0,
            rejected: 0,
        }
    }

    /// Apply `f` to each count of `self` and the matching one of `other`.
    pub(super) fn combine(&mut self, other: &Tally, f: impl Fn(&mut usize, usize)) {
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
            (&mut self.added_lost, &other.added_lost),
        ] {
            a.iter_mut().zip(b).for_each(|(x, y)| f(x, *y));
        }
        f(&mut self.late, other.late);
        f(&mut self.rejected, other.rejected);
    }
}

/// Count one settlement: which candidate phrases its AI output contains, and whether one of
/// their occurrences lies wholly inside deleted text; which added phrases its added words hold,
/// and which of them it took out of the AI output.
pub(super) fn second_pass(
    e: &Entry,
    w: &Words,
    late: bool,
    p: &Pass2,
    t: &mut Tally,
    seen: &mut Vec<usize>,
) {
    seen.clear();
    t.late += usize::from(late);
    t.rejected += usize::from(e.rejected());
    let mut hit: Vec<usize> = Vec::new();
    p.deleted.scan(&w.ai, &w.ai_flags, |k, i| {
        seen.push(k);
        let n = p.deleted.phrases[k].len();
        t.occurrences[k] += 1;
        if w.edited_at(i, n, DELETED) {
            hit.push(k);
            t.changed[k] += 1;
            if w.ai_flags[i..i + n].iter().all(|f| f & REPLACED == 0) {
                t.cut[k] += 1;
            }
        }
    });
    for k in once_each(seen) {
        t.appeared[k] += 1;
        t.appeared_late[k] += usize::from(late);
        t.appeared_rejected[k] += usize::from(e.rejected());
    }
    for k in once_each(&mut hit) {
        t.hits[k] += 1;
        t.hits_late[k] += usize::from(late);
    }
    p.from.scan(&w.ai, &w.ai_flags, |k, i| {
        seen.push(k);
        t.from_occurrences[k] += 1;
        if w.edited_at(i, p.from.phrases[k].len(), REPLACED) {
            t.from_changed[k] += 1;
            hit.push(k);
        }
    });
    for k in once_each(seen) {
        t.from_appeared[k] += 1;
    }
    for k in once_each(&mut hit) {
        t.from_hits[k] += 1;
    }
    p.added.scan(&w.added, &w.added_flags, |k, _| seen.push(k));
    for k in once_each(seen) {
        t.added_hits[k] += 1;
        t.added_hits_late[k] += usize::from(late);
    }
    p.added.scan(&w.ai, &w.ai_flags, |k, i| {
        if w.edited_at(i, p.added.phrases[k].len(), DELETED) {
            hit.push(k);
        }
    });
    for k in once_each(&mut hit) {
        t.added_lost[k] += 1;
    }
}

/// Each distinct number of `v` once, in order, leaving `v` empty: a phrase found several times
/// in one settlement counts once for it.
pub(super) fn once_each(v: &mut Vec<usize>) -> std::vec::Drain<'_, usize> {
    v.sort_unstable();
    v.dedup();
    v.drain(..)
}

/// The phrases of a new plan that have no counts yet, and where their counts go.
pub(super) struct Backfill {
    pub(super) plan: Pass2,
    pub(super) deleted: Vec<usize>,
    pub(super) from: Vec<usize>,
    pub(super) added: Vec<usize>,
    /// Nothing was counted before: the group-wide figures come from the backfill too.
    pub(super) fresh: bool,
}

impl Backfill {
    /// Whether `e` may hold one of the phrases (always, for a fresh count: it also counts the
    /// group's settlements).
    pub(super) fn may_hold(&self, e: &Entry) -> bool {
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
                .any(|p| e.added_bloom.may_hold(p) || e.ai_bloom.may_hold(p))
    }

    pub(super) fn is_empty(&self) -> bool {
        !self.fresh && self.deleted.is_empty() && self.from.is_empty() && self.added.is_empty()
    }

    /// Every phrase of `plan`.
    pub(super) fn all(plan: &Pass2) -> Backfill {
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
    pub(super) fn carry(
        sources: [(&Pass2, &Tally); 2],
        new: &Pass2,
    ) -> (Tally, Backfill, Pass2, Tally) {
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
    pub(super) fn fill(&self, t: &mut Tally, got: &Tally) {
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
pub(super) const RETIRED: usize = 1000;

/// The three lists of candidate phrases.
#[derive(Clone, Copy)]
pub(super) enum List {
    Deleted,
    From,
    Added,
}

impl List {
    pub(super) const ALL: [List; 3] = [List::Deleted, List::From, List::Added];

    pub(super) fn of(self, p: &Pass2) -> &[Vec<u32>] {
        match self {
            List::Deleted => &p.deleted.phrases,
            List::From => &p.from.phrases,
            List::Added => &p.added.phrases,
        }
    }
}

impl Tally {
    /// Copy the counts of phrase `i` of `list` in `src` to phrase `j` here.
    pub(super) fn copy(&mut self, list: List, j: usize, src: &Tally, i: usize) {
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
                self.added_lost[j] = src.added_lost[i];
            }
        }
    }
}

impl Miner {
    /// Between the passes and the second pass: each group's candidates from its counts, and
    /// their exact figures. Entries from slot `first_new` on are new; `removed` were taken out
    /// since the last time. `false` if cancelled (every group is then counted afresh next time).
    pub(super) fn mine(
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
        // A miner of one agent (the Improvements view, `redline patterns --agent`): all agents
        // (group 0) are that agent's settlements, so its candidates and counts are the agent's,
        // copied at the end instead of found a second time.
        let one_agent = self.groups.len() == 2;
        let indices: Vec<usize> = (usize::from(one_agent)..self.groups.len()).collect();
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
        let mut backfills: Vec<Option<Backfill>> = Vec::with_capacity(self.groups.len());
        if one_agent {
            backfills.push(None);
        }
        for (&g, (mined, backfill)) in indices.iter().zip(planned) {
            self.groups[g].mined = Some(mined);
            backfills.push(backfill);
        }
        let copy_all = |miner: &mut Miner| {
            if one_agent {
                miner.groups[0].mined = miner.groups[1].mined.clone();
            }
        };
        if backfills.iter().all(Option::is_none) {
            copy_all(self);
            return true;
        }
        // One pass over every settlement for the phrases that have no counts yet.
        let new = |b: &Option<Backfill>| b.as_ref().map(|b| Tally::new(&b.plan));
        let mut got: Vec<Option<Tally>> = backfills.iter().map(new).collect();
        const CHUNK: usize = BATCH * 4;
        let mut done = 0u64;
        let dict = &self.dict;
        for chunk in self.entries.chunks(CHUNK) {
            if cancel.is_cancelled() {
                for g in &mut self.groups {
                    g.mined = None;
                }
                return false;
            }
            let partials = crate::parallel::chunks(chunk, |_, part| {
                let mut local: Vec<Option<Tally>> = backfills.iter().map(new).collect();
                let (mut seen, mut words) = (Vec::new(), Words::default());
                for e in part.iter().filter(|e| e.live) {
                    let mut unpacked = false;
                    for g in [e.group as usize, 0] {
                        if let (Some(b), Some(t)) = (&backfills[g], &mut local[g]) {
                            if b.may_hold(e) {
                                if !unpacked {
                                    dict.unpack(&e.words, &mut words);
                                    unpacked = true;
                                }
                                let late = e.day >= splits[g];
                                second_pass(e, &words, late, &b.plan, t, &mut seen);
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
        copy_all(self);
        true
    }

    /// Group `g`'s candidates, from its counts.
    pub(super) fn plan_of(&self, g: usize, stop: &HashSet<u32>) -> Pass2 {
        let c = &self.groups[g].counts;
        let min_hits = min_hits(c);
        // An n-gram's words, read at the occurrence its count points at.
        let words_of = |side: Side| {
            move |gr: &Gram| {
                let words = &self.entries[gr.at as usize].words;
                self.dict
                    .words_at(words, side, gr.start as usize, gr.n as usize)
            }
        };
        // All agents' counts (group 0) are summed one side at a time and let go once that
        // side's phrases are chosen: the three sums together were ~90 MB at 10k long documents.
        let phrases_of = |side: Side, stop: &HashSet<u32>| {
            let summed;
            let counts = if g == 0 {
                let maps: Vec<_> = self.groups[1..]
                    .iter()
                    .map(|a| &a.counts.grams[side as usize])
                    .collect();
                summed = frequent_over(&maps, min_hits);
                &summed
            } else {
                &c.grams[side as usize]
            };
            let mut phrases = maximal(counts, words_of(side), min_hits, stop);
            // Phrases take their shape from what they say: lone function words join the
            // deleted candidates only after the maximal phrases are chosen, so that "you" is
            // never the "general" phrase that "let me know if you have any questions" fills.
            if side == Side::Deleted {
                phrases.extend(lone_function_words(counts, min_hits, stop));
            }
            phrases
        };
        // A lone function word is never an added phrase: there is no ordinary rate to test it
        // against (see `only_function_word`). Taken out or replaced, it is tested like any
        // other word against the rate of an average word (an article, a tense, a pronoun).
        let none = HashSet::new();
        let sides = [
            (Side::Deleted, stop),
            (Side::Replaced, &none),
            (Side::Added, stop),
        ];
        // An agent's three sides are chosen side by side (a mining of one agent has nothing
        // else to do meanwhile); all agents' one at a time, each sum let go before the next.
        let lists = if g == 0 {
            sides
                .iter()
                .map(|(side, stop)| phrases_of(*side, stop))
                .collect()
        } else {
            crate::parallel::map(&sides, |(side, stop)| phrases_of(*side, stop))
        };
        let mut lists = lists.into_iter();
        let mut next = || lists.next().unwrap_or_default();
        Pass2::of(next(), next(), next())
    }

    /// Group `g`'s counts for its last plan and its retired phrases (`m`), brought up to
    /// date in one pass: the removed settlements taken away, those whose half changed with the
    /// split moved over, the new ones added.
    pub(super) fn delta(
        &self,
        g: usize,
        m: &Mined,
        split: i32,
        first_new: usize,
        removed: &[u32],
    ) -> [Tally; 2] {
        let plans = [&m.plan, &m.retired];
        let (seen, words) = (&mut Vec::new(), &mut Words::default());
        let member = |e: &Entry| g == 0 || e.group as usize == g;
        let mut plus = plans.map(Tally::new);
        let mut minus = plans.map(Tally::new);
        let mut count = |e: &Entry, late: bool, into: &mut [Tally; 2]| {
            self.dict.unpack(&e.words, words);
            for (p, t) in plans.iter().zip(into.iter_mut()) {
                second_pass(e, words, late, p, t, seen);
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
}
