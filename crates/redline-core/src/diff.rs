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

use serde::Serialize;
use similar::{capture_diff_slices, Algorithm, DiffOp};

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
}

/// Word counts of a diff: a "word" is a token with at least one alphanumeric character.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DiffCounts {
    /// Words in the AI output.
    pub old_words: usize,
    /// Words in the final version.
    pub new_words: usize,
    /// Words of the AI output that the final version keeps.
    pub kept: usize,
    pub deleted: usize,
    pub inserted: usize,
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

/// The spans of the word diff of `old` → `new`: adjacent spans of one kind merged, and each
/// run of changes gathered into one deletion and one insertion (see [`gather_changes`]).
pub fn word_diff(old: &str, new: &str) -> Vec<Span> {
    gather_changes(raw_diff(old, new))
}

/// Within a run of changes, a kept piece with no word in it (a space, a "=", a comma) is noise
/// that splits one edit into many: it is folded into the change, so "a src=x b" → "a b" shows
/// one deletion, not three. Each run of changes becomes one deletion followed by one insertion.
fn gather_changes(spans: Vec<Span>) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    let mut deleted = String::new();
    let mut inserted = String::new();
    let flush = |out: &mut Vec<Span>, deleted: &mut String, inserted: &mut String| {
        for (kind, text) in [(SpanKind::Delete, deleted), (SpanKind::Insert, inserted)] {
            if !text.is_empty() {
                out.push(Span {
                    kind,
                    text: std::mem::take(text),
                });
            }
        }
    };
    let n = spans.len();
    for (i, span) in spans.into_iter().enumerate() {
        match span.kind {
            SpanKind::Delete => deleted.push_str(&span.text),
            SpanKind::Insert => inserted.push_str(&span.text),
            SpanKind::Equal => {
                let inside_changes = !(deleted.is_empty() && inserted.is_empty()) && i + 1 < n;
                if inside_changes && !span.text.chars().any(char::is_alphanumeric) {
                    deleted.push_str(&span.text);
                    inserted.push_str(&span.text);
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

/// The word diff of two texts already split with [`tokens`].
pub fn word_diff_tokens(a: &[&str], b: &[&str]) -> Vec<Span> {
    gather_changes(raw_diff_tokens(a, b))
}

fn raw_diff(old: &str, new: &str) -> Vec<Span> {
    raw_diff_tokens(&tokens(old), &tokens(new))
}

/// A 64-bit FNV-1a hash of a token: Myers compares these instead of the strings (a collision
/// between two different tokens of one pair of texts is a 1 in 2^64 event).
fn token_hash(t: &str) -> u64 {
    crate::hash::fnv1a(crate::hash::FNV_SEED, t.as_bytes())
}

fn raw_diff_tokens(a: &[&str], b: &[&str]) -> Vec<Span> {
    let ha: Vec<u64> = a.iter().map(|t| token_hash(t)).collect();
    let hb: Vec<u64> = b.iter().map(|t| token_hash(t)).collect();
    let mut spans: Vec<Span> = Vec::new();
    let mut push = |kind: SpanKind, parts: &[&str]| {
        if parts.is_empty() {
            return;
        }
        match spans.last_mut() {
            Some(last) if last.kind == kind => parts.iter().for_each(|p| last.text.push_str(p)),
            _ => spans.push(Span {
                kind,
                text: parts.concat(),
            }),
        }
    };
    for op in capture_diff_slices(Algorithm::Myers, &ha, &hb) {
        match op {
            DiffOp::Equal { old_index, len, .. } => {
                push(SpanKind::Equal, &a[old_index..old_index + len])
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => push(SpanKind::Delete, &a[old_index..old_index + old_len]),
            DiffOp::Insert {
                new_index, new_len, ..
            } => push(SpanKind::Insert, &b[new_index..new_index + new_len]),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                push(SpanKind::Delete, &a[old_index..old_index + old_len]);
                push(SpanKind::Insert, &b[new_index..new_index + new_len]);
            }
        }
    }
    spans
}

/// Word counts of the diff of `old` → `new`.
pub fn counts(old: &str, new: &str) -> DiffCounts {
    counts_of(&word_diff(old, new))
}

/// Word counts of a diff already computed.
pub fn counts_of(spans: &[Span]) -> DiffCounts {
    let mut c = DiffCounts::default();
    for span in spans {
        let words = tokens(&span.text)
            .into_iter()
            .filter(|t| is_word(t))
            .count();
        match span.kind {
            SpanKind::Equal => c.kept += words,
            SpanKind::Delete => c.deleted += words,
            SpanKind::Insert => c.inserted += words,
        }
    }
    c.old_words = c.kept + c.deleted;
    c.new_words = c.kept + c.inserted;
    c
}

/// A settlement with its diff, as a detail view shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Detail {
    pub settlement: crate::Settlement,
    pub spans: Vec<Span>,
    pub counts: DiffCounts,
}

/// Diff a settlement's AI output against its final version.
pub fn detail(settlement: crate::Settlement) -> Detail {
    let spans = word_diff(&settlement.ai_output, &settlement.final_output);
    let counts = counts_of(&spans);
    Detail {
        settlement,
        spans,
        counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rebuild(spans: &[Span], skip: SpanKind) -> String {
        spans
            .iter()
            .filter(|s| s.kind != skip)
            .map(|s| s.text.as_str())
            .collect()
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
