//! Word-level diff of an AI output against the final version.
//!
//! Texts are split into Unicode word-boundary tokens (UAX #29: words, runs of white space and
//! single punctuation marks), and the token sequences are compared with Myers' algorithm from the
//! `similar` crate. The result is a list of [`Span`]s whose `Equal` + `Delete` texts rebuild the
//! old text and whose `Equal` + `Insert` texts rebuild the new one, exactly.
//!
//! ```
//! use redline_core::diff::{word_diff, SpanKind};
//! let spans = word_diff("Let me help. Use the API.", "Use the API.");
//! assert_eq!(spans[0].kind, SpanKind::Delete);
//! assert_eq!(spans[0].text, "Let me help. ");
//! ```

use serde::{Deserialize, Serialize};
use similar::{capture_diff_slices_deadline, Algorithm, DiffOp};
use std::time::{Duration, Instant};

pub mod align;
pub use align::SentenceCounts;

/// The longest one diff's alignment may take. Past it, Myers' search stops and what is left is
/// aligned coarsely (one deletion and one insertion for the unaligned middle), so a 200k-word
/// rewrite shows in well under a second instead of never: every pair stays under ~50 ms of
/// alignment, plus the linear tokenising around it.
pub const DEADLINE: Duration = Duration::from_millis(40);

/// What happened to a run of text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanKind {
    /// In both texts.
    Equal,
    /// In the AI output only: the person removed it.
    Delete,
    /// In the final version only: the person added it.
    Insert,
}

/// A run of text with what happened to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Span {
    pub kind: SpanKind,
    pub text: String,
    /// One side of a moved sentence: deleted here and inserted, unchanged, elsewhere (or the
    /// other way round). Its words were kept, not removed or added.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub moved: bool,
    /// Its words (tokens with a letter or digit), counted from the tokens it was made of: the
    /// clean-up and the measures read this instead of splitting the text into words again.
    #[serde(skip)]
    pub(crate) words: u32,
}

/// Word counts of a diff: a "word" is a token with at least one alphanumeric character.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffCounts {
    /// Words in the AI output.
    pub old_words: usize,
    /// Words in the final version.
    pub new_words: usize,
    /// Words of the AI output that the final version keeps.
    pub kept: usize,
    pub deleted: usize,
    pub inserted: usize,
    /// Of the kept words, those in sentences moved elsewhere unchanged.
    pub moved: usize,
}

impl DiffCounts {
    /// The share of the AI output's words kept in the final version: 1.0 for an untouched
    /// output, 0.0 for one replaced entirely. An empty AI output counts as kept if the final
    /// version is empty too, else as not kept.
    pub fn kept_share(&self) -> f64 {
        if self.old_words == 0 {
            return if self.new_words == 0 { 1.0 } else { 0.0 };
        }
        self.kept as f64 / self.old_words as f64
    }
}

/// Split a text into word-boundary tokens.
pub fn tokens(text: &str) -> Vec<&str> {
    crate::text::word_bounds(text)
}

fn is_word(token: &str) -> bool {
    token.chars().any(char::is_alphanumeric)
}

/// The spans of the diff of `old` → `new`: sentences aligned first ([`align`]: kept, edited,
/// moved, split, merged, deleted, inserted), words diffed inside aligned sentences, adjacent
/// spans of one kind merged, and each run of changes gathered into one deletion and one
/// insertion (see [`gather_changes`]). Bounded by [`DEADLINE`].
pub fn word_diff(old: &str, new: &str) -> Vec<Span> {
    word_diff_bounded(old, new).spans
}

/// A diff and whether its alignment ran out of time (then its edits are coarser than the
/// exact ones: correct, but a long unaligned stretch counts as deleted and inserted whole).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bounded {
    pub spans: Vec<Span>,
    pub coarse: bool,
    /// What happened to the sentences ([`align`]).
    pub sentences: SentenceCounts,
}

/// [`word_diff`], saying whether the deadline cut the alignment short.
pub fn word_diff_bounded(old: &str, new: &str) -> Bounded {
    word_diff_tokens_bounded(&tokens(old), &tokens(new))
}

/// [`word_diff_bounded`] for texts already split with [`tokens`].
pub fn word_diff_tokens_bounded(a: &[&str], b: &[&str]) -> Bounded {
    let ha: Vec<u64> = a.iter().map(|t| token_hash(t)).collect();
    let hb: Vec<u64> = b.iter().map(|t| token_hash(t)).collect();
    let (spans, sentences, coarse) = align::diff(a, b, &ha, &hb, Instant::now() + DEADLINE);
    Bounded {
        spans,
        coarse,
        sentences,
    }
}

/// The most words a kept piece between two changes may have and still be folded into them.
const SHORT_EQUALITY: usize = 2;

/// Within a run of changes, a kept piece with no word in it (a space, a "=", a comma) is noise
/// that splits one edit into many: it is folded into the change, so "a src=x b" → "a b" shows
/// one deletion, not three. So is a short kept piece (at most [`SHORT_EQUALITY`] words) that is
/// no longer than the change on either side of it — diff-match-patch's semantic clean-up,
/// counted in words: "the cat sat" → "a dog sat" is one replacement, not two split at a
/// shared "the". Each run of changes becomes one deletion followed by one insertion.
pub(crate) fn gather_changes(spans: Vec<Span>) -> Vec<Span> {
    gather_runs(fold_short_equalities(spans))
}

/// Mark the short kept pieces between changes that [`gather_changes`] folds in, by turning
/// each into a deletion plus an insertion of the same text.
fn fold_short_equalities(spans: Vec<Span>) -> Vec<Span> {
    // The size, in words, of the change run that ends just before each span and of the one
    // that starts just after it — none when that run spans a sentence end: a kept word beside a
    // deleted or added sentence is not part of a word-level edit.
    let n = spans.len();
    let counts: Vec<usize> = spans.iter().map(|s| s.words as usize).collect();
    let ends_sentence = |t: &str| t.contains(['.', '!', '?', '\n', '。', '！', '？']);
    let sizes = |order: &mut dyn Iterator<Item = usize>| {
        let mut out = vec![None; n];
        let mut run: Option<(usize, usize)> = Some((0, 0));
        for i in order {
            let s = &spans[i];
            out[i] = run.map(|(d, a)| d.max(a));
            match s.kind {
                SpanKind::Equal if counts[i] > 0 => run = Some((0, 0)),
                SpanKind::Equal => {}
                _ if ends_sentence(&s.text) => run = None,
                SpanKind::Delete => run = run.map(|(d, a)| (d + counts[i], a)),
                SpanKind::Insert => run = run.map(|(d, a)| (d, a + counts[i])),
            }
        }
        out
    };
    let before = sizes(&mut (0..n));
    let after = sizes(&mut (0..n).rev());
    let mut out = Vec::with_capacity(n);
    for (i, s) in spans.into_iter().enumerate() {
        let words = if s.kind == SpanKind::Equal {
            counts[i]
        } else {
            0
        };
        let fold = s.kind == SpanKind::Equal
            && words > 0
            && words <= SHORT_EQUALITY
            && !ends_sentence(&s.text)
            && before[i].is_some_and(|b| words <= b)
            && after[i].is_some_and(|a| words <= a);
        if fold {
            out.push(Span {
                kind: SpanKind::Delete,
                text: s.text.clone(),
                moved: false,
                words: s.words,
            });
            out.push(Span {
                kind: SpanKind::Insert,
                text: s.text,
                moved: false,
                words: s.words,
            });
        } else {
            out.push(s);
        }
    }
    out
}

fn gather_runs(spans: Vec<Span>) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    // The deletion and the insertion being gathered: text and words.
    let mut deleted = (String::new(), 0u32);
    let mut inserted = (String::new(), 0u32);
    let flush = |out: &mut Vec<Span>, deleted: &mut (String, u32), inserted: &mut (String, u32)| {
        for (kind, (text, words)) in [(SpanKind::Delete, deleted), (SpanKind::Insert, inserted)] {
            if !text.is_empty() {
                out.push(Span {
                    kind,
                    text: std::mem::take(text),
                    moved: false,
                    words: std::mem::take(words),
                });
            }
        }
    };
    let add = |to: &mut (String, u32), span: &Span| {
        to.0.push_str(&span.text);
        to.1 += span.words;
    };
    let n = spans.len();
    for (i, span) in spans.into_iter().enumerate() {
        match span.kind {
            SpanKind::Delete => add(&mut deleted, &span),
            SpanKind::Insert => add(&mut inserted, &span),
            SpanKind::Equal => {
                let inside_changes = !(deleted.0.is_empty() && inserted.0.is_empty()) && i + 1 < n;
                if inside_changes && !span.text.chars().any(char::is_alphanumeric) {
                    add(&mut deleted, &span);
                    add(&mut inserted, &span);
                } else {
                    flush(&mut out, &mut deleted, &mut inserted);
                    out.push(span);
                }
            }
        }
    }
    flush(&mut out, &mut deleted, &mut inserted);
    out
}

/// The word diff of two texts already split with [`tokens`] (bounded by [`DEADLINE`]).
pub fn word_diff_tokens(a: &[&str], b: &[&str]) -> Vec<Span> {
    word_diff_tokens_bounded(a, b).spans
}

/// A 64-bit FNV-1a hash of a token: Myers compares these instead of the strings (a collision
/// between two different tokens of one pair of texts is a 1 in 2^64 event).
fn token_hash(t: &str) -> u64 {
    crate::hash::fnv1a(crate::hash::FNV_SEED, t.as_bytes())
}

/// The largest piece (old tokens × new tokens) diffed without reading the clock.
const SMALL_PIECE: u64 = 40_000;

/// The token diff (Myers over every token) of `a[ra]` → `b[rb]` (`ha`, `hb`: the tokens'
/// hashes), not yet gathered, and whether `deadline` cut its alignment short.
///
/// White space takes part in the alignment as any token. Aligning the words alone first (so
/// that a rewrite's many shared single spaces cannot outweigh a shared run of words) was tried
/// and measured: on the MLQE-PE post-edits it covered fewer of the changed words on all four
/// pairs `real-edits-check` reads (et-en 8.5% → 7.6%, ru-en 17.0% → 15.8%, en-de 3.4% → 2.7%,
/// en-zh 1.5% → 1.4%), so it is not done.
pub(crate) fn raw_diff_range(
    a: &[&str],
    b: &[&str],
    ha: &[u64],
    hb: &[u64],
    ra: std::ops::Range<usize>,
    rb: std::ops::Range<usize>,
    deadline: Instant,
) -> (Vec<Span>, bool) {
    let mut spans = Vec::new();
    if ra.is_empty() || rb.is_empty() {
        push_tokens(&mut spans, SpanKind::Delete, false, &a[ra]);
        push_tokens(&mut spans, SpanKind::Insert, false, &b[rb]);
        return (spans, false);
    }
    let (oa, ob) = (ra.start, rb.start);
    // Myers reads the clock at every step when given a deadline, a cost of its own on long
    // documents; a small piece (at most SMALL_PIECE token pairs: well under a millisecond
    // even at its worst) is diffed without one, unless the deadline has already passed.
    let small = (ra.len() as u64) * (rb.len() as u64) <= SMALL_PIECE;
    let limit = (!small || Instant::now() >= deadline).then_some(deadline);
    let ops = capture_diff_slices_deadline(Algorithm::Myers, &ha[ra], &hb[rb], limit);
    let mut push = |kind: SpanKind, parts: &[&str]| push_tokens(&mut spans, kind, false, parts);
    for op in ops {
        match op {
            DiffOp::Equal { old_index, len, .. } => {
                push(SpanKind::Equal, &a[oa + old_index..oa + old_index + len])
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => push(
                SpanKind::Delete,
                &a[oa + old_index..oa + old_index + old_len],
            ),
            DiffOp::Insert {
                new_index, new_len, ..
            } => push(
                SpanKind::Insert,
                &b[ob + new_index..ob + new_index + new_len],
            ),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                push(
                    SpanKind::Delete,
                    &a[oa + old_index..oa + old_index + old_len],
                );
                push(
                    SpanKind::Insert,
                    &b[ob + new_index..ob + new_index + new_len],
                );
            }
        }
    }
    (spans, Instant::now() >= deadline)
}

/// Append `parts` as a span of `kind` (and `moved`), merged into the last span if it is of
/// the same kind and `moved`.
pub(crate) fn push_tokens(spans: &mut Vec<Span>, kind: SpanKind, moved: bool, parts: &[&str]) {
    if parts.is_empty() {
        return;
    }
    let words = parts.iter().filter(|p| is_word(p)).count() as u32;
    match spans.last_mut() {
        Some(last) if last.kind == kind && last.moved == moved => {
            parts.iter().for_each(|p| last.text.push_str(p));
            last.words += words;
        }
        _ => spans.push(Span {
            kind,
            text: parts.concat(),
            moved,
            words,
        }),
    }
}

/// Append `span`, merged into the last span if it is of the same kind and `moved`.
pub(crate) fn push_span(spans: &mut Vec<Span>, span: Span) {
    match spans.last_mut() {
        Some(last) if last.kind == span.kind && last.moved == span.moved => {
            last.text.push_str(&span.text);
            last.words += span.words;
        }
        _ => spans.push(span),
    }
}

/// Word counts of the diff of `old` → `new`.
pub fn counts(old: &str, new: &str) -> DiffCounts {
    counts_of(&word_diff(old, new))
}

/// Word counts of a diff already computed.
pub fn counts_of(spans: &[Span]) -> DiffCounts {
    word_edits(spans).counts
}

/// What the measures need of a diff: its word counts and its word-level edit cost. Kept in
/// each settlement's stored analysis, so that the measures and the miner share one diff.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WordEdits {
    pub counts: DiffCounts,
    /// Word edits from the AI output to the final version: each run of changes (a deletion
    /// and/or an insertion) costs as many as its longer side (substitutions first, then plain
    /// deletions or insertions).
    pub cost: u32,
}

/// The word counts and edit cost of a diff already computed (each span split into words once).
pub fn word_edits(spans: &[Span]) -> WordEdits {
    let mut c = DiffCounts::default();
    let mut cost = 0usize;
    // The words of the deletion just seen, not yet paired with an insertion.
    let mut open: Option<usize> = None;
    for span in spans {
        let n = span.words as usize;
        match span.kind {
            SpanKind::Equal => c.kept += n,
            // A moved sentence's words are kept (counted once, on the AI output's side).
            SpanKind::Delete if span.moved => {
                c.kept += n;
                c.moved += n;
            }
            SpanKind::Insert if span.moved => {}
            SpanKind::Delete => c.deleted += n,
            SpanKind::Insert => c.inserted += n,
        }
        match span.kind {
            SpanKind::Equal => cost += open.take().unwrap_or(0),
            SpanKind::Delete => {
                cost += open.take().unwrap_or(0);
                open = Some(n);
            }
            SpanKind::Insert => cost += open.take().map_or(n, |d| d.max(n)),
        }
    }
    cost += open.unwrap_or(0);
    c.old_words = c.kept + c.deleted;
    c.new_words = c.kept + c.inserted;
    WordEdits {
        counts: c,
        cost: u32::try_from(cost).unwrap_or(u32::MAX),
    }
}

/// A settlement with its diff, as a detail view shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Detail {
    pub settlement: crate::Settlement,
    pub spans: Vec<Span>,
    pub counts: DiffCounts,
    /// The alignment ran out of time ([`DEADLINE`]): the edits shown are coarser than exact.
    pub coarse: bool,
    /// What happened to the sentences.
    pub sentences: SentenceCounts,
}

/// Diff a settlement's AI output against its final version.
pub fn detail(settlement: crate::Settlement) -> Detail {
    let Bounded {
        spans,
        coarse,
        sentences,
    } = word_diff_bounded(&settlement.ai_output, &settlement.final_output);
    let counts = counts_of(&spans);
    Detail {
        settlement,
        spans,
        counts,
        coarse,
        sentences,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The text the spans give without those of kind `skip` (the AI output without the
    /// insertions, the final version without the deletions).
    pub(super) fn rebuild(spans: &[Span], skip: SpanKind) -> String {
        spans
            .iter()
            .filter(|s| s.kind != skip)
            .map(|s| s.text.as_str())
            .collect()
    }

    #[test]
    fn a_shared_short_word_does_not_split_an_edit() {
        let spans = word_diff(
            "We should leverage the synergies of the team today.",
            "We should use the strengths of the team today.",
        );
        let changes: Vec<(SpanKind, &str)> = spans
            .iter()
            .filter(|s| s.kind != SpanKind::Equal)
            .map(|s| (s.kind, s.text.as_str()))
            .collect();
        assert_eq!(
            changes,
            vec![
                (SpanKind::Delete, "leverage the synergies"),
                (SpanKind::Insert, "use the strengths"),
            ],
            "{spans:?}"
        );
        // A long kept stretch between two edits stays kept.
        let spans = word_diff(
            "Alpha one two three four five beta.",
            "Gamma one two three four five delta.",
        );
        assert!(spans
            .iter()
            .any(|s| s.kind == SpanKind::Equal && s.text.contains("one two three four five")));
    }

    #[test]
    fn a_huge_rewrite_is_diffed_within_the_deadline_and_marked_coarse() {
        let old: String = (0..200_000).map(|i| format!("w{} ", i % 977)).collect();
        let new: String = (0..200_000).map(|i| format!("v{} ", i % 991)).collect();
        let started = Instant::now();
        let b = word_diff_bounded(&old, &new);
        let took = started.elapsed();
        // Tokenising 2 x 200k words dominates; the alignment itself stops at DEADLINE.
        assert!(took < Duration::from_secs(5), "{took:?}");
        assert!(b.coarse);
        assert_eq!(rebuild(&b.spans, SpanKind::Insert), old);
        assert_eq!(rebuild(&b.spans, SpanKind::Delete), new);
        // An ordinary pair is exact.
        assert!(!word_diff_bounded("a b c", "a x c").coarse);
    }

    #[test]
    fn finds_deleted_filler_and_added_content() {
        let old = "I hope this helps! Ship the fix today.";
        let new = "Ship the fix today. Owner: Dana.";
        let spans = word_diff(old, new);
        assert!(spans
            .iter()
            .any(|s| s.kind == SpanKind::Delete && s.text.contains("hope this helps")));
        assert!(spans
            .iter()
            .any(|s| s.kind == SpanKind::Insert && s.text.contains("Owner: Dana")));
        let c = counts(old, new);
        assert_eq!(c.old_words, 8);
        assert_eq!(c.kept, 4);
        assert_eq!(c.kept_share(), 0.5);
    }

    #[test]
    fn punctuation_inside_an_edit_does_not_split_it() {
        let spans = word_diff("Hello <img src=x onerror=alert(1)> world", "Hello world");
        let kinds: Vec<SpanKind> = spans.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            vec![SpanKind::Equal, SpanKind::Delete, SpanKind::Equal],
            "{spans:?}"
        );
        assert_eq!(spans[1].text, "<img src=x onerror=alert(1)> ");
        let spans = word_diff(
            "We utilize the tool, then stop.",
            "We use the tool, then stop.",
        );
        assert_eq!(spans.len(), 4, "{spans:?}");
        assert_eq!(
            (spans[1].text.as_str(), spans[2].text.as_str()),
            ("utilize", "use")
        );
    }

    #[test]
    fn identical_and_empty_texts() {
        assert_eq!(counts("Same text.", "Same text.").kept_share(), 1.0);
        assert_eq!(counts("", "").kept_share(), 1.0);
        assert_eq!(counts("", "New").kept_share(), 0.0);
        assert!(word_diff("", "").is_empty());
    }

    #[test]
    fn unicode_words_are_single_tokens() {
        let spans = word_diff("naïve café déjà vu", "naïve café vu");
        assert_eq!(
            spans
                .iter()
                .filter(|s| s.kind == SpanKind::Delete)
                .map(|s| s.text.as_str())
                .collect::<Vec<_>>(),
            vec!["déjà "]
        );
    }

    proptest! {
        #[test]
        fn spans_rebuild_both_texts(old in "\\PC{0,80}", new in "\\PC{0,80}") {
            let spans = word_diff(&old, &new);
            prop_assert_eq!(rebuild(&spans, SpanKind::Insert), old);
            prop_assert_eq!(rebuild(&spans, SpanKind::Delete), new);
        }

        #[test]
        fn spans_rebuild_edited_prose(
            words in proptest::collection::vec("[a-z]{1,8}", 1..40),
            cut in 0usize..40,
            extra in "[A-Z][a-z]{0,6}",
        ) {
            let old = words.join(" ");
            let mut edited = words.clone();
            if cut < edited.len() { edited.remove(cut); }
            edited.insert(cut.min(edited.len()), extra);
            let new = edited.join(" ");
            let spans = word_diff(&old, &new);
            prop_assert_eq!(rebuild(&spans, SpanKind::Insert), old);
            prop_assert_eq!(rebuild(&spans, SpanKind::Delete), new);
        }
    }
}
