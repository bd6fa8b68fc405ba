//! Edits grouped from the word diff, the n-grams counted for them, the maximal phrases chosen
//! among the frequent ones, and the matcher that finds chosen phrases in every settlement.

use super::*;

/// Which words of each text an edit touched.
pub(super) struct Edit {
    /// Per AI-output word: deleted (or replaced).
    pub(super) deleted: Vec<bool>,
    /// Per AI-output word: replaced (part of a replacement's old side, within sentences).
    pub(super) replaced: Vec<bool>,
    /// Per final-version word: inserted (or a replacement).
    pub(super) inserted: Vec<bool>,
    pub(super) counts: EditCounts,
}

impl Edit {
    pub(super) fn of(a: &Tokens, f: &Tokens, ops: &[EditOp]) -> Edit {
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

/// An n-gram's count, and a settlement and word position where it occurs, to read its
/// words from (in the AI output for deleted n-grams, in the added words for added ones).
#[derive(Clone, Copy)]
pub(super) struct Gram {
    pub(super) count: u32,
    pub(super) at: u32,
    pub(super) start: u32,
    pub(super) n: u8,
}

/// Word flags: taken out of an AI output (deleted, or replaced by other words), starts a
/// sentence or a run of added words, replaced (taken out and other words put in its place).
pub(super) const DELETED: u8 = 1;
pub(super) const START: u8 = 2;
pub(super) const REPLACED: u8 = 4;

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
pub(super) fn contains(outer: &[u32], inner: &[u32]) -> bool {
    inner.len() <= outer.len() && outer.windows(inner.len()).any(|w| w == inner)
}

/// Frequent n-grams → maximal phrases: an n-gram that occurs almost only (≥ 90%) inside one
/// longer kept phrase is dropped; overlapping phrases with similar counts (within 10%) are
/// merged into one; a phrase that only fills a slot after a shorter one (the shorter one is at
/// least twice as frequent and three or more kept phrases extend it) is dropped in favour of
/// the general one.
pub(super) fn maximal(
    counts: &IdMap<u64, Gram>,
    words_of: impl Fn(&Gram) -> Vec<u32>,
    min_hits: usize,
    stop: &HashSet<u32>,
) -> Vec<Vec<u32>> {
    let mut grams: Vec<&Gram> = counts
        .values()
        .filter(|g| g.count as usize >= min_hits)
        .filter(|g| g.n > 1 || !only_function_word(&words_of(g), |w| stop.contains(w)))
        .collect();
    // The most frequent first (then the longest), at most a bounded number: the n-grams past
    // the last one kept are left out before their words are read, those level with it are
    // told apart by their words below.
    let rank = |g: &Gram| (std::cmp::Reverse(g.count), std::cmp::Reverse(g.n));
    if grams.len() > MAX_CANDIDATES {
        let (_, last, _) = grams.select_nth_unstable_by_key(MAX_CANDIDATES - 1, |g| rank(g));
        let edge = rank(last);
        grams.retain(|g| rank(g) <= edge);
    }
    let mut frequent: Vec<(Vec<u32>, usize)> = grams
        .into_iter()
        .map(|g| (words_of(g), g.count as usize))
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

/// Candidate phrases, looked up by their first word (one-word phrases) or first two words.
#[derive(Clone)]
pub(super) struct Matcher {
    pub(super) phrases: Vec<Vec<u32>>,
    /// The one-word phrases, by their word.
    singles: IdMap<u32, Vec<usize>>,
    /// The longer phrases, by their first two words ([`Matcher::pair`]): a common first word
    /// ("the") starts many phrases, its next word few.
    by_pair: IdMap<u64, Vec<usize>>,
    /// A bit per value of a first word's low 16 bits: most words start no phrase, and one bit
    /// test says so without a map lookup.
    firsts: Vec<u64>,
}

impl Matcher {
    pub(super) fn new(phrases: Vec<Vec<u32>>) -> Matcher {
        let mut singles: IdMap<u32, Vec<usize>> = IdMap::default();
        let mut by_pair: IdMap<u64, Vec<usize>> = IdMap::default();
        let mut firsts = vec![0u64; 1 << 10];
        for (i, p) in phrases.iter().enumerate() {
            match p[..] {
                [] => continue,
                [w] => singles.entry(w).or_default().push(i),
                [w, v, ..] => by_pair.entry(Matcher::pair(w, v)).or_default().push(i),
            }
            let low = (p[0] & 0xffff) as usize;
            firsts[low >> 6] |= 1 << (low & 63);
        }
        Matcher {
            phrases,
            singles,
            by_pair,
            firsts,
        }
    }

    fn pair(first: u32, second: u32) -> u64 {
        (u64::from(first) << 32) | u64::from(second)
    }

    fn may_start(&self, word: u32) -> bool {
        let low = (word & 0xffff) as usize;
        self.firsts[low >> 6] & (1 << (low & 63)) != 0
    }

    /// Call `found(phrase, start)` for each phrase found in `words`, within runs (a run
    /// starts where `flags[i] & START`), in no particular order.
    pub(super) fn scan(&self, words: &[u32], flags: &[u8], mut found: impl FnMut(usize, usize)) {
        if self.phrases.is_empty() {
            return;
        }
        for i in 0..words.len() {
            if !self.may_start(words[i]) {
                continue;
            }
            if let Some(cands) = self.singles.get(&words[i]) {
                for &c in cands {
                    found(c, i);
                }
            }
            // A phrase of two words or more, not across the start of a run.
            if i + 1 >= words.len() || flags[i + 1] & START != 0 {
                continue;
            }
            let Some(cands) = self.by_pair.get(&Matcher::pair(words[i], words[i + 1])) else {
                continue;
            };
            for &c in cands {
                let p = &self.phrases[c];
                let end = i + p.len();
                if end <= words.len()
                    && words[i + 2..end].iter().zip(&p[2..]).all(|(a, b)| a == b)
                    && flags[i + 2..end].iter().all(|f| f & START == 0)
                {
                    found(c, i);
                }
            }
        }
    }
}

/// A group's candidates between the passes.
#[derive(Clone)]
pub(super) struct Pass2 {
    pub(super) deleted: Matcher,
    /// Replacement sources (phrases people replaced), to look for in AI outputs.
    pub(super) from: Matcher,
    pub(super) added: Matcher,
}

impl Pass2 {
    pub(super) fn of(deleted: Vec<Vec<u32>>, from: Vec<Vec<u32>>, added: Vec<Vec<u32>>) -> Pass2 {
        Pass2 {
            deleted: Matcher::new(deleted),
            from: Matcher::new(from),
            added: Matcher::new(added),
        }
    }
}
