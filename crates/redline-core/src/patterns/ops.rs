//! Edit operations: the word diff of an AI output → final version as deletions, insertions and
//! replacements, each with its character offsets in both texts. A deletion or insertion that
//! spans several sentences is split at the sentence boundaries (UAX #29), so that "the person
//! removed the opener and the closing line" reads as two operations, not one run of text; a
//! replacement keeps only its last old sentence and first new sentence paired, the sentences
//! before (after) it being whole deletions (insertions).
//! Applying the operations to the AI output rebuilds the final version exactly ([`apply`]).

use crate::diff::{word_diff, SpanKind};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    Delete,
    Insert,
    Replace,
}

/// One edit. Offsets count Unicode scalar values (characters), `start..end`, in the AI output
/// (`old_*`) and in the final version (`new_*`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditOp {
    pub kind: OpKind,
    pub old_start: usize,
    pub old_end: usize,
    pub new_start: usize,
    pub new_end: usize,
    /// The removed text (empty for an insertion).
    pub old_text: String,
    /// The added text (empty for a deletion).
    pub new_text: String,
    /// One side of a sentence moved unchanged (a deletion here, an insertion where it went):
    /// its words were kept.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub moved: bool,
    /// The same ranges in bytes, for slicing (not serialised).
    #[serde(skip)]
    pub old_bytes: (usize, usize),
    #[serde(skip)]
    pub new_bytes: (usize, usize),
}

/// Split `text` into sentence pieces (UAX #29); the pieces concatenate to `text`.
pub fn sentences(text: &str) -> impl Iterator<Item = &str> {
    crate::text::sentence_ranges(text)
        .into_iter()
        .map(move |(a, b)| &text[a..b])
}

/// The edit operations that turn `old` into `new`.
pub fn edit_ops(old: &str, new: &str) -> Vec<EditOp> {
    edit_ops_of(old, new, word_diff(old, new))
}

/// [`edit_ops`] for texts already split into word-boundary tokens ([`crate::diff::tokens`]),
/// with what happened to their sentences and the diff's word counts and edit cost (what the
/// measures need: one diff serves both).
pub fn edit_ops_tokens(
    old: &str,
    new: &str,
    a: &[&str],
    b: &[&str],
) -> (
    Vec<EditOp>,
    crate::diff::SentenceCounts,
    crate::diff::WordEdits,
) {
    let d = crate::diff::word_diff_tokens_bounded(a, b);
    let edits = crate::diff::word_edits(&d.spans);
    (edit_ops_of(old, new, d.spans), d.sentences, edits)
}

fn edit_ops_of(old: &str, new: &str, spans: Vec<crate::diff::Span>) -> Vec<EditOp> {
    // The operations so far, and the character offsets they reach on each side.
    struct Cursor {
        ops: Vec<EditOp>,
        o: usize,
        n: usize,
    }
    impl Cursor {
        /// One operation at the current offsets, which it moves past its text.
        fn push(&mut self, kind: OpKind, old_text: &str, new_text: &str, moved: bool) {
            let (lo, ln) = (old_text.chars().count(), new_text.chars().count());
            self.ops.push(EditOp {
                kind,
                old_start: self.o,
                old_end: self.o + lo,
                new_start: self.n,
                new_end: self.n + ln,
                old_text: old_text.to_owned(),
                new_text: new_text.to_owned(),
                moved,
                old_bytes: (0, 0),
                new_bytes: (0, 0),
            });
            self.o += lo;
            self.n += ln;
        }
    }
    let mut c = Cursor {
        ops: Vec::new(),
        o: 0,
        n: 0,
    };
    let mut i = 0;
    while i < spans.len() {
        let span = &spans[i];
        match span.kind {
            SpanKind::Equal => {
                let len = span.text.chars().count();
                c.o += len;
                c.n += len;
                i += 1;
            }
            SpanKind::Delete => {
                let paired = spans
                    .get(i + 1)
                    .filter(|s| s.kind == SpanKind::Insert && !s.moved && !span.moved);
                if let Some(next) = paired {
                    // Whole sentences before the last one on the old side were deleted, and
                    // sentences after the first one on the new side were added; the last old
                    // piece and the first new piece replace each other.
                    let olds: Vec<&str> = sentences(&span.text).collect();
                    let news: Vec<&str> = sentences(&next.text).collect();
                    let (last_old, whole_old) = olds.split_last().expect("a non-empty span");
                    let (first_new, more_new) = news.split_first().expect("a non-empty span");
                    for piece in whole_old {
                        c.push(OpKind::Delete, piece, "", false);
                    }
                    c.push(OpKind::Replace, last_old, first_new, false);
                    for piece in more_new {
                        c.push(OpKind::Insert, "", piece, false);
                    }
                    i += 2;
                } else {
                    for piece in sentences(&span.text) {
                        c.push(OpKind::Delete, piece, "", span.moved);
                    }
                    i += 1;
                }
            }
            SpanKind::Insert => {
                for piece in sentences(&span.text) {
                    c.push(OpKind::Insert, "", piece, span.moved);
                }
                i += 1;
            }
        }
    }
    let mut ops = c.ops;
    fill_bytes(old, &mut ops, |op| {
        (&mut op.old_start, &mut op.old_end, &mut op.old_bytes)
    });
    fill_bytes(new, &mut ops, |op| {
        (&mut op.new_start, &mut op.new_end, &mut op.new_bytes)
    });
    ops
}

/// Translate the (non-decreasing) character offsets of one side into byte offsets.
fn fill_bytes(
    text: &str,
    ops: &mut [EditOp],
    side: impl Fn(&mut EditOp) -> (&mut usize, &mut usize, &mut (usize, usize)),
) {
    let mut chars = text.char_indices().map(|(b, _)| b).chain([text.len()]);
    let (mut at_char, mut at_byte) = (0usize, chars.next().unwrap_or(0));
    let mut byte_of = |c: usize| {
        while at_char < c {
            at_byte = chars.next().unwrap_or(text.len());
            at_char += 1;
        }
        at_byte
    };
    for op in ops.iter_mut() {
        let (start, end, bytes) = side(op);
        let (s, e) = (*start, *end);
        *bytes = (byte_of(s), byte_of(e));
    }
}

/// Apply `ops` (as [`edit_ops`] returns them: in order, not overlapping) to `old`.
pub fn apply(old: &str, ops: &[EditOp]) -> String {
    let chars: Vec<char> = old.chars().collect();
    let mut out = String::with_capacity(old.len());
    let mut at = 0;
    for op in ops {
        out.extend(&chars[at..op.old_start]);
        out.push_str(&op.new_text);
        at = op.old_end;
    }
    out.extend(&chars[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ops_by_hand() {
        let ai = "Let me help. Great question! We utilize the tool.";
        let fin = "We use the tool. Owner: Dana.";
        let ops = edit_ops(ai, fin);
        let kinds: Vec<OpKind> = ops.iter().map(|o| o.kind).collect();
        // Two opener sentences deleted (split at the sentence boundary), one word replaced,
        // one sentence added.
        assert_eq!(
            kinds,
            vec![
                OpKind::Delete,
                OpKind::Delete,
                OpKind::Replace,
                OpKind::Insert
            ]
        );
        assert_eq!(ops[0].old_text, "Let me help. ");
        assert_eq!(ops[1].old_text, "Great question! ");
        assert_eq!(
            (ops[2].old_text.as_str(), ops[2].new_text.as_str()),
            ("utilize", "use")
        );
        assert_eq!(&ai[ops[2].old_start..ops[2].old_end], "utilize");
        assert_eq!(apply(ai, &ops), fin);
        assert!(edit_ops("Same.", "Same.").is_empty());
        assert_eq!(apply("Same.", &[]), "Same.");
    }

    #[test]
    fn offsets_count_characters_not_bytes() {
        let ai = "Größe prüfen 🙂. Danke.";
        let fin = "Größe prüfen. Danke!";
        let ops = edit_ops(ai, fin);
        let chars: Vec<char> = ai.chars().collect();
        for op in &ops {
            let old: String = chars[op.old_start..op.old_end].iter().collect();
            assert_eq!(old, op.old_text);
            assert_eq!(&ai[op.old_bytes.0..op.old_bytes.1], op.old_text);
            assert_eq!(&fin[op.new_bytes.0..op.new_bytes.1], op.new_text);
        }
        assert_eq!(apply(ai, &ops), fin);
    }

    proptest! {
        #[test]
        fn applying_the_ops_rebuilds_the_final_version(
            old in "([A-Za-zé😀]{1,6}[ .,!?\n]{1,2}){0,30}",
            new in "([A-Za-zé😀]{1,6}[ .,!?\n]{1,2}){0,30}",
        ) {
            let ops = edit_ops(&old, &new);
            prop_assert_eq!(apply(&old, &ops), new.clone());
            // Offsets are consistent with the texts on both sides.
            let o: Vec<char> = old.chars().collect();
            let n: Vec<char> = new.chars().collect();
            for op in &ops {
                prop_assert_eq!(o[op.old_start..op.old_end].iter().collect::<String>(), op.old_text.clone());
                prop_assert_eq!(n[op.new_start..op.new_end].iter().collect::<String>(), op.new_text.clone());
                prop_assert_eq!(&old[op.old_bytes.0..op.old_bytes.1], op.old_text.as_str());
                prop_assert_eq!(&new[op.new_bytes.0..op.new_bytes.1], op.new_text.as_str());
            }
        }

        #[test]
        fn edits_of_a_text_rebuild_it(
            words in proptest::collection::vec("[a-z]{1,7}", 1..60),
            cut in 0usize..60, add in "[a-z ]{0,20}",
        ) {
            let old = words.join(" ");
            let mut w = words.clone();
            if cut < w.len() { w.remove(cut); }
            let new = format!("{} {add}", w.join(" "));
            prop_assert_eq!(apply(&old, &edit_ops(&old, &new)), new);
        }
    }
}
