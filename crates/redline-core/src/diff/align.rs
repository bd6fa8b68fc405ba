//! Sentence alignment, the first step of the diff: people edit sentences, so the AI output's
//! sentences are matched to the final version's before any word is compared.
//!
//! 1. Sentences whose words are the same on both sides are anchors, in order (a longest common
//!    subsequence over sentence hashes).
//! 2. An unanchored sentence of four words or more found unchanged elsewhere on the other side
//!    was **moved**: it shows as a deletion and an insertion marked `moved`, and is neither a
//!    deleted nor an added passage.
//! 3. Between two anchors, the remaining sentences are paired in order by the words they share
//!    (Dice over word multisets, at least [`PAIR_MIN`]): one to one (**edited**), one to two
//!    (**split**), two to one (**merged**; each of the two parts has at least half its words
//!    in the one sentence, and together they share more than either alone); a dynamic
//!    programme picks the pairing that shares the most. Words are diffed only inside a pairing.
//! 4. A sentence left without a partner is **deleted** (or **inserted**); where unpaired
//!    sentences remain on both sides of one stretch, the stretch is diffed by words as a whole
//!    (a heavy rewrite still shares words), and its old sentences count as **rewritten**.
//!
//! Every alignment runs under the caller's deadline; a stretch too large to pair
//! ([`MAX_CELLS`]) is diffed by words as a whole.

use super::{Span, SpanKind};
use serde::Serialize;
use similar::{capture_diff_slices_deadline, Algorithm, DiffOp};
use std::ops::Range;
use std::time::Instant;

/// What happened to the sentences of a pair of texts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SentenceCounts {
    /// AI-output sentences kept word for word.
    pub kept: usize,
    /// AI-output sentences paired one to one with an edited sentence.
    pub edited: usize,
    /// AI-output sentences found unchanged elsewhere in the final version.
    pub moved: usize,
    /// AI-output sentences that became two.
    pub split: usize,
    /// Final-version sentences made of two AI-output sentences.
    pub merged: usize,
    /// AI-output sentences taken out with no partner.
    pub deleted: usize,
    /// Final-version sentences with no partner.
    pub inserted: usize,
    /// AI-output sentences in a stretch rewritten as a whole (no sentence pairing held).
    pub rewritten: usize,
}

/// The least share of words (Dice) two sentences must have in common to be paired.
pub const PAIR_MIN: f64 = 0.5;

/// How much more a split or merge must share than the better of its parts paired alone.
const JOIN_GAIN: f64 = 0.05;

/// The least share of each part's own words a split or merge must find on the other side: both
/// parts come from (or went into) the one sentence, not one of them from elsewhere.
const PART_MIN: f64 = 0.5;

/// The fewest words a sentence must have to be recognised as moved (a lone "Thanks." found
/// elsewhere is a coincidence more often than a move).
pub const MOVE_MIN_WORDS: usize = 4;

/// The largest stretch (old sentences × new sentences) paired by the dynamic programme.
pub const MAX_CELLS: usize = 4_096;

/// One sentence: its tokens, a hash of its non-space tokens in order, its word hashes sorted.
struct Unit {
    tokens: Range<usize>,
    key: u64,
    words: Vec<u64>,
}

fn is_space(t: &str) -> bool {
    t.chars().all(char::is_whitespace)
}

fn is_word(t: &str) -> bool {
    t.chars().any(char::is_alphanumeric)
}

/// Split a token sequence into sentences: a sentence ends at a line break, or at white space
/// after a terminal mark (closing quotes and brackets may come between), or right after a
/// full-width terminal mark ("。").
fn units(tokens: &[&str], hashes: &[u64]) -> Vec<Unit> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut after_terminal = false;
    let mut pending = false;
    let close = |out: &mut Vec<Unit>, r: Range<usize>| {
        let mut key = crate::hash::FNV_SEED;
        let mut words = Vec::new();
        for i in r.clone() {
            if !is_space(tokens[i]) {
                key = crate::hash::fnv1a(key, &hashes[i].to_le_bytes());
            }
            if is_word(tokens[i]) {
                words.push(hashes[i]);
            }
        }
        words.sort_unstable();
        out.push(Unit {
            tokens: r,
            key,
            words,
        });
    };
    for (i, t) in tokens.iter().enumerate() {
        if is_space(t) {
            if t.contains('\n') || after_terminal {
                pending = true;
            }
            continue;
        }
        if pending && i > start {
            close(&mut out, start..i);
            start = i;
        }
        pending = matches!(*t, "。" | "！" | "？");
        after_terminal = match *t {
            "." | "!" | "?" | "…" => true,
            "\"" | "'" | "”" | "’" | ")" | "]" | "»" => after_terminal,
            _ => false,
        };
    }
    if start < tokens.len() {
        close(&mut out, start..tokens.len());
    }
    out
}

/// Words two sorted multisets share.
pub(crate) fn shared<T: Ord>(a: &[T], b: &[T]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

fn dice(shared: usize, a: usize, b: usize) -> f64 {
    if a + b == 0 {
        0.0
    } else {
        2.0 * shared as f64 / (a + b) as f64
    }
}

/// Words the sorted multiset `a` shares with the multiset union of the sorted `b` and `c`.
fn shared_joined(a: &[u64], b: &[u64], c: &[u64]) -> usize {
    let (mut j, mut k, mut n) = (0, 0, 0);
    let mut i = 0;
    while i < a.len() {
        let w = a[i];
        let mut in_a = 0;
        while i < a.len() && a[i] == w {
            in_a += 1;
            i += 1;
        }
        let mut elsewhere = 0;
        for (v, at) in [(b, &mut j), (c, &mut k)] {
            while *at < v.len() && v[*at] < w {
                *at += 1;
            }
            while *at < v.len() && v[*at] == w {
                elsewhere += 1;
                *at += 1;
            }
        }
        n += in_a.min(elsewhere);
    }
    n
}

/// The similarity of sentence `one` to two sentences taken together (a split or a merge), each
/// given with the words it shares with `one` alone; `None` unless each part has at least
/// [`PART_MIN`] of its words in `one` and together they share at least [`PAIR_MIN`], and
/// [`JOIN_GAIN`] more than the better part alone.
fn joined(one: &[u64], parts: [(&Vec<u64>, usize); 2]) -> Option<f64> {
    let [(x, sx), (y, sy)] = parts;
    let part = |words: &[u64], shared: usize| {
        !words.is_empty() && shared as f64 >= PART_MIN * words.len() as f64
    };
    if !(part(x, sx) && part(y, sy)) {
        return None;
    }
    let s = dice(shared_joined(one, x, y), one.len(), x.len() + y.len());
    let alone = dice(sx, one.len(), x.len()).max(dice(sy, one.len(), y.len()));
    (s >= PAIR_MIN && s >= alone + JOIN_GAIN).then_some(s)
}

/// One step of a stretch's pairing, in unit indices of the whole texts.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Pair(Range<usize>, Range<usize>),
    Old(usize),
    New(usize),
}

/// Pair the sentences `olds` and `news` (unit indices, in order) by the words they share.
fn pair(ua: &[Unit], ub: &[Unit], olds: &[usize], news: &[usize]) -> Vec<Step> {
    let (p, q) = (olds.len(), news.len());
    let old = |i: usize| &ua[olds[i]].words;
    let new = |j: usize| &ub[news[j]].words;
    // Words shared by each old and new sentence, and their Dice.
    let shared_ij: Vec<usize> = (0..p)
        .flat_map(|i| (0..q).map(move |j| (i, j)))
        .map(|(i, j)| shared(old(i), new(j)))
        .collect();
    let sh = |i: usize, j: usize| shared_ij[i * q + j];
    let sim = |i: usize, j: usize| dice(sh(i, j), old(i).len(), new(j).len());
    // score[i][j]: the best total similarity pairing olds[..i] with news[..j].
    let w = q + 1;
    let mut score = vec![0.0f64; (p + 1) * w];
    let mut from = vec![0u8; (p + 1) * w];
    for i in 0..=p {
        for j in 0..=q {
            if i == 0 && j == 0 {
                continue;
            }
            let mut best = (f64::MIN, 0u8);
            let mut offer = |s: f64, how: u8| {
                if s > best.0 {
                    best = (s, how);
                }
            };
            if i > 0 {
                offer(score[(i - 1) * w + j], 1);
            }
            if j > 0 {
                offer(score[i * w + j - 1], 2);
            }
            if i > 0 && j > 0 {
                let s = sim(i - 1, j - 1);
                if s >= PAIR_MIN {
                    offer(score[(i - 1) * w + j - 1] + s, 3);
                }
                // One old sentence split into news j-2 and j-1.
                if j > 1 {
                    let parts = [
                        (new(j - 2), sh(i - 1, j - 2)),
                        (new(j - 1), sh(i - 1, j - 1)),
                    ];
                    if let Some(s) = joined(old(i - 1), parts) {
                        offer(score[(i - 1) * w + j - 2] + s, 4);
                    }
                }
                // Olds i-2 and i-1 merged into one new sentence.
                if i > 1 {
                    let parts = [
                        (old(i - 2), sh(i - 2, j - 1)),
                        (old(i - 1), sh(i - 1, j - 1)),
                    ];
                    if let Some(s) = joined(new(j - 1), parts) {
                        offer(score[(i - 2) * w + j - 1] + s, 5);
                    }
                }
            }
            score[i * w + j] = best.0;
            from[i * w + j] = best.1;
        }
    }
    let mut steps = Vec::new();
    let (mut i, mut j) = (p, q);
    while i > 0 || j > 0 {
        match from[i * w + j] {
            1 => {
                i -= 1;
                steps.push(Step::Old(olds[i]));
            }
            2 => {
                j -= 1;
                steps.push(Step::New(news[j]));
            }
            3 => {
                i -= 1;
                j -= 1;
                steps.push(Step::Pair(olds[i]..olds[i] + 1, news[j]..news[j] + 1));
            }
            4 => {
                i -= 1;
                j -= 2;
                steps.push(Step::Pair(olds[i]..olds[i] + 1, news[j]..news[j] + 2));
            }
            _ => {
                i -= 2;
                j -= 1;
                steps.push(Step::Pair(olds[i]..olds[i] + 2, news[j]..news[j] + 1));
            }
        }
    }
    steps.reverse();
    steps
}

/// Spans being written out: adjacent pieces of one kind (and one `moved`) are merged.
struct Out<'t> {
    spans: Vec<Span>,
    a: &'t [&'t str],
    b: &'t [&'t str],
}

impl Out<'_> {
    fn one_side(&mut self, kind: SpanKind, tokens: Range<usize>, moved: bool) {
        let side = if kind == SpanKind::Insert {
            self.b
        } else {
            self.a
        };
        super::push_tokens(&mut self.spans, kind, moved, &side[tokens]);
    }

    /// Diff two token ranges by words; whether the deadline cut it short.
    fn words(
        &mut self,
        ha: &[u64],
        hb: &[u64],
        ra: Range<usize>,
        rb: Range<usize>,
        deadline: Instant,
    ) -> bool {
        if self.a[ra.clone()] == self.b[rb.clone()] {
            self.one_side(SpanKind::Equal, ra, false);
            return false;
        }
        let (spans, coarse) = super::raw_diff_range(self.a, self.b, ha, hb, ra, rb, deadline);
        for s in super::gather_changes(spans) {
            super::push_span(&mut self.spans, s);
        }
        coarse
    }
}

/// The aligned diff of two token sequences with their token hashes: spans (a moved
/// sentence's two sides marked `moved`), sentence counts, and whether the deadline cut any
/// alignment short.
pub(super) fn diff(
    a: &[&str],
    b: &[&str],
    ha: &[u64],
    hb: &[u64],
    deadline: Instant,
) -> (Vec<Span>, SentenceCounts, bool) {
    let (ua, ub) = (units(a, ha), units(b, hb));
    let ka: Vec<u64> = ua.iter().map(|u| u.key).collect();
    let kb: Vec<u64> = ub.iter().map(|u| u.key).collect();
    let mut coarse = false;
    let mut counts = SentenceCounts::default();
    // 1. Anchors.
    let ops = capture_diff_slices_deadline(Algorithm::Myers, &ka, &kb, Some(deadline));
    let mut anchor_a = vec![None; ua.len()];
    let mut anchored_b = vec![false; ub.len()];
    for op in &ops {
        if let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = *op
        {
            for k in 0..len {
                anchor_a[old_index + k] = Some(new_index + k);
                anchored_b[new_index + k] = true;
            }
        }
    }
    // 2. Moves: unanchored sentences found unchanged, unanchored, on the other side.
    let mut free_b: std::collections::HashMap<u64, Vec<usize>> = Default::default();
    for (j, u) in ub.iter().enumerate().rev() {
        if !anchored_b[j] && u.words.len() >= MOVE_MIN_WORDS {
            free_b.entry(u.key).or_default().push(j);
        }
    }
    let mut moved_a = vec![false; ua.len()];
    let mut moved_b = vec![false; ub.len()];
    for (i, u) in ua.iter().enumerate() {
        if anchor_a[i].is_none() && u.words.len() >= MOVE_MIN_WORDS {
            if let Some(j) = free_b.get_mut(&u.key).and_then(Vec::pop) {
                moved_a[i] = true;
                moved_b[j] = true;
                counts.moved += 1;
            }
        }
    }
    // 3–4. Gaps between anchors, in order.
    let mut out = Out {
        spans: Vec::new(),
        a,
        b,
    };
    let (mut i, mut j) = (0usize, 0usize);
    loop {
        // The next anchor at or after (i, j).
        let next = (i..ua.len()).find_map(|x| anchor_a[x].map(|y| (x, y)));
        let (gi, gj) = next.unwrap_or((ua.len(), ub.len()));
        coarse |= gap(
            &mut out,
            &ua,
            &ub,
            ha,
            hb,
            (i..gi, j..gj),
            (&moved_a, &moved_b),
            &mut counts,
            deadline,
        );
        let Some((x, y)) = next else { break };
        counts.kept += 1;
        coarse |= out.words(ha, hb, ua[x].tokens.clone(), ub[y].tokens.clone(), deadline);
        i = x + 1;
        j = y + 1;
    }
    (out.spans, counts, coarse)
}

/// One stretch between anchors: sentences `ra` of the AI output, `rb` of the final version.
#[allow(clippy::too_many_arguments)]
fn gap(
    out: &mut Out,
    ua: &[Unit],
    ub: &[Unit],
    ha: &[u64],
    hb: &[u64],
    (ra, rb): (Range<usize>, Range<usize>),
    (moved_a, moved_b): (&[bool], &[bool]),
    counts: &mut SentenceCounts,
    deadline: Instant,
) -> bool {
    let olds: Vec<usize> = ra.clone().filter(|x| !moved_a[*x]).collect();
    let news: Vec<usize> = rb.clone().filter(|y| !moved_b[*y]).collect();
    let steps = if olds.len() * news.len() <= MAX_CELLS {
        pair(ua, ub, &olds, &news)
    } else {
        olds.iter()
            .map(|x| Step::Old(*x))
            .chain(news.iter().map(|y| Step::New(*y)))
            .collect()
    };
    let tokens = |u: &[Unit], r: Range<usize>| u[r.start].tokens.start..u[r.end - 1].tokens.end;
    let mut coarse = false;
    let (mut x, mut y) = (ra.start, rb.start);
    // Write the moved sentences before old unit `to_x` and new unit `to_y`.
    let flush = |out: &mut Out, x: &mut usize, y: &mut usize, to_x: usize, to_y: usize| {
        while *x < to_x {
            out.one_side(SpanKind::Delete, ua[*x].tokens.clone(), true);
            *x += 1;
        }
        while *y < to_y {
            out.one_side(SpanKind::Insert, ub[*y].tokens.clone(), true);
            *y += 1;
        }
    };
    let mut k = 0;
    while k < steps.len() {
        match &steps[k] {
            Step::Pair(pa, pb) => {
                flush(out, &mut x, &mut y, pa.start, pb.start);
                match (pa.len(), pb.len()) {
                    (1, 2) => counts.split += 1,
                    (2, 1) => counts.merged += 1,
                    _ => counts.edited += 1,
                }
                coarse |= out.words(
                    ha,
                    hb,
                    tokens(ua, pa.clone()),
                    tokens(ub, pb.clone()),
                    deadline,
                );
                (x, y) = (pa.end, pb.end);
                k += 1;
            }
            _ => {
                // A run of unpaired sentences, up to the next pairing.
                let end = (k..steps.len())
                    .find(|e| matches!(steps[*e], Step::Pair(..)))
                    .unwrap_or(steps.len());
                let run_olds: Vec<usize> = steps[k..end]
                    .iter()
                    .filter_map(|s| if let Step::Old(o) = s { Some(*o) } else { None })
                    .collect();
                let run_news: Vec<usize> = steps[k..end]
                    .iter()
                    .filter_map(|s| if let Step::New(n) = s { Some(*n) } else { None })
                    .collect();
                let contiguous = |v: &[usize], moved: &[bool]| {
                    v.first()
                        .is_none_or(|f| (*f..=*v.last().unwrap()).all(|z| !moved[z]))
                };
                if !run_olds.is_empty()
                    && !run_news.is_empty()
                    && contiguous(&run_olds, moved_a)
                    && contiguous(&run_news, moved_b)
                {
                    // Both sides: a rewritten stretch, diffed by words as a whole.
                    let (o0, o1) = (run_olds[0], *run_olds.last().unwrap() + 1);
                    let (n0, n1) = (run_news[0], *run_news.last().unwrap() + 1);
                    flush(out, &mut x, &mut y, o0, n0);
                    counts.rewritten += o1 - o0;
                    coarse |= out.words(ha, hb, tokens(ua, o0..o1), tokens(ub, n0..n1), deadline);
                    (x, y) = (o1, n1);
                } else {
                    for s in &steps[k..end] {
                        match *s {
                            Step::Old(o) => {
                                let at = y;
                                flush(out, &mut x, &mut y, o, at);
                                counts.deleted += 1;
                                out.one_side(SpanKind::Delete, ua[o].tokens.clone(), false);
                                x = o + 1;
                            }
                            Step::New(n) => {
                                let at = x;
                                flush(out, &mut x, &mut y, at, n);
                                counts.inserted += 1;
                                out.one_side(SpanKind::Insert, ub[n].tokens.clone(), false);
                                y = n + 1;
                            }
                            Step::Pair(..) => unreachable!("a run holds no pairing"),
                        }
                    }
                }
                k = end;
            }
        }
    }
    flush(out, &mut x, &mut y, ra.end, rb.end);
    coarse
}

#[cfg(test)]
mod tests {
    use super::super::tests::rebuild;
    use super::super::{counts_of, tokens, word_diff_bounded, Bounded};
    use super::*;
    use proptest::prelude::*;

    fn sentences_of(text: &str) -> usize {
        let t = tokens(text);
        let h: Vec<u64> = t.iter().map(|x| super::super::token_hash(x)).collect();
        units(&t, &h).len()
    }

    /// Every AI-output sentence is accounted for exactly once.
    fn accounted(c: &SentenceCounts) -> usize {
        c.kept + c.edited + c.moved + c.split + 2 * c.merged + c.deleted + c.rewritten
    }

    #[test]
    fn a_moved_sentence_is_a_move_not_a_deletion_and_an_addition() {
        let old = "Ship the fix today. The error rate doubled after the release. Dana owns it.";
        let new = "The error rate doubled after the release. Dana owns it. Ship the fix today.";
        let Bounded {
            spans, sentences, ..
        } = word_diff_bounded(old, new);
        assert_eq!(sentences.moved, 1, "{sentences:?} {spans:?}");
        assert_eq!(sentences.kept, 2);
        let moved: Vec<(SpanKind, &str)> = spans
            .iter()
            .filter(|s| s.moved)
            .map(|s| (s.kind, s.text.trim_end()))
            .collect();
        assert_eq!(
            moved,
            vec![
                (SpanKind::Delete, "Ship the fix today."),
                (SpanKind::Insert, "Ship the fix today.")
            ]
        );
        let c = counts_of(&spans);
        assert_eq!((c.deleted, c.inserted, c.moved), (0, 0, 4));
        assert_eq!(c.kept_share(), 1.0);
        assert_eq!(rebuild(&spans, SpanKind::Insert), old);
        assert_eq!(rebuild(&spans, SpanKind::Delete), new);
    }

    #[test]
    fn split_merged_deleted_inserted_and_edited_sentences() {
        let old = "We shipped the fix on Monday, and the team will watch the error rate all week.";
        let new = "We shipped the fix on Monday. The team will watch the error rate all week.";
        let s = word_diff_bounded(old, new).sentences;
        assert_eq!((s.split, s.merged, s.edited), (1, 0, 0), "{s:?}");
        let s = word_diff_bounded(new, old).sentences;
        assert_eq!((s.split, s.merged, s.edited), (0, 1, 0), "{s:?}");
        let old = "Great question! Use the API key here. Call the endpoint twice.";
        let new = "Use the new API key here. Call the endpoint twice. Owner: Dana.";
        let b = word_diff_bounded(old, new);
        let s = b.sentences;
        assert_eq!(
            (s.deleted, s.edited, s.kept, s.inserted),
            (1, 1, 1, 1),
            "{s:?}"
        );
        // The words of the edited sentence are diffed inside it.
        assert!(b
            .spans
            .iter()
            .any(|x| x.kind == SpanKind::Insert && x.text == "new "));
        assert_eq!(accounted(&s), sentences_of(old));
    }

    #[test]
    fn a_rewritten_stretch_is_still_diffed_by_words() {
        // Two sentences rewritten as one that pairs with neither (nor with both) but keeps
        // a run of their words.
        let old = "The committee met on Tuesday and argued for hours about the budget. \
                   It decided to postpone the vote until further notice.";
        let new =
            "Nothing until further notice: the vote is postponed, the committee said late on \
                   Tuesday.";
        let b = word_diff_bounded(old, new);
        assert_eq!(b.sentences.rewritten, 2, "{:?}", b.sentences);
        // Diffed as one stretch, not one deletion and one insertion.
        assert!(
            b.spans
                .iter()
                .any(|s| s.kind == SpanKind::Equal && s.text == " the "),
            "{:?}",
            b.spans
        );
        assert_eq!(rebuild(&b.spans, SpanKind::Insert), old);
        assert_eq!(rebuild(&b.spans, SpanKind::Delete), new);
    }

    #[test]
    fn lines_and_full_width_marks_end_sentences() {
        let t = tokens("# Plan\n- one item\n- two items\n\nProse here. More prose.");
        let h: Vec<u64> = t.iter().map(|x| super::super::token_hash(x)).collect();
        let texts: Vec<String> = units(&t, &h)
            .iter()
            .map(|u| t[u.tokens.clone()].concat())
            .collect();
        assert_eq!(
            texts,
            vec![
                "# Plan\n",
                "- one item\n",
                "- two items\n\n",
                "Prose here. ",
                "More prose."
            ]
        );
        assert_eq!(sentences_of("今天很好。明天也好。"), 2);
        assert_eq!(sentences_of("He said \"no.\" Then he left."), 2);
    }

    #[test]
    fn a_huge_stretch_is_diffed_as_a_whole() {
        // More sentence pairs than MAX_CELLS: no pairing, one word diff.
        let old: String = (0..100)
            .map(|i| format!("Old sentence {i} here. "))
            .collect();
        let new: String = (0..100).map(|i| format!("New line {i} there. ")).collect();
        let b = word_diff_bounded(&old, &new);
        assert_eq!(b.sentences.rewritten, 100, "{:?}", b.sentences);
        assert_eq!(rebuild(&b.spans, SpanKind::Insert), old);
        assert_eq!(rebuild(&b.spans, SpanKind::Delete), new);
    }

    proptest! {
        #[test]
        fn shared_joined_is_the_multiset_intersection_with_the_union(
            mut a in proptest::collection::vec(0u64..6, 0..12),
            mut b in proptest::collection::vec(0u64..6, 0..12),
            mut c in proptest::collection::vec(0u64..6, 0..12),
        ) {
            a.sort_unstable();
            b.sort_unstable();
            c.sort_unstable();
            let mut union = [b.clone(), c.clone()].concat();
            union.sort_unstable();
            prop_assert_eq!(shared_joined(&a, &b, &c), shared(&a, &union));
        }

        #[test]
        fn shuffled_and_edited_sentences_rebuild_both_texts(
            sents in proptest::collection::vec("[A-Z][a-z]{1,6}( [a-z]{1,6}){2,7}[.!?]", 1..12),
            order in proptest::collection::vec(0usize..12, 0..14),
            edit in "[a-z]{1,5}",
        ) {
            let old = sents.join(" ");
            let mut picked: Vec<String> = order
                .iter()
                .filter(|k| **k < sents.len())
                .map(|k| sents[*k].clone())
                .collect();
            if let Some(first) = picked.first_mut() {
                first.insert_str(0, &format!("{edit} "));
            }
            let new = picked.join("\n");
            let b = word_diff_bounded(&old, &new);
            prop_assert_eq!(rebuild(&b.spans, SpanKind::Insert), old.clone());
            prop_assert_eq!(rebuild(&b.spans, SpanKind::Delete), new);
            prop_assert_eq!(accounted(&b.sentences), sentences_of(&old));
            // A moved sentence's two sides carry the same words.
            let moved_out: Vec<String> = b.spans.iter()
                .filter(|s| s.moved && s.kind == SpanKind::Delete)
                .map(|s| s.text.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
            let moved_in: Vec<String> = b.spans.iter()
                .filter(|s| s.moved && s.kind == SpanKind::Insert)
                .map(|s| s.text.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
            let (mut x, mut y) = (moved_out.concat(), moved_in.concat());
            x.retain(|c| c != ' ');
            y.retain(|c| c != ' ');
            let (mut x, mut y): (Vec<char>, Vec<char>) = (x.chars().collect(), y.chars().collect());
            x.sort_unstable();
            y.sort_unstable();
            prop_assert_eq!(x, y);
        }
    }
}
