//! What kind of edit a settlement received (docs/patterns.md has the rules).

use super::*;

/// What kind of edit a settlement received, by the first rule that holds (docs/patterns.md).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
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
    Reworded,
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
        Category::Reworded,
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
            Category::Reworded => "reworded",
            Category::Rewritten => "rewritten / rejected",
            Category::Mixed => "mixed edits",
        }
    }
}

/// Word counts of one edit, from the flags of [`Edit`].
pub(super) struct EditCounts {
    pub(super) old_words: usize,
    pub(super) new_words: usize,
    pub(super) deleted: usize,
    pub(super) inserted: usize,
    pub(super) replaced: usize,
    pub(super) cost: usize,
}

/// The category of one edit.
pub fn categorise(ai: &str, fin: &str, ops: &[EditOp]) -> Category {
    let (a, f) = (Tokens::of(ai), Tokens::of(fin));
    let e = Edit::of(&a, &f, ops);
    category_of(&a, &f, ops, &e.counts)
}

pub(super) fn category_of(a: &Tokens, f: &Tokens, ops: &[EditOp], c: &EditCounts) -> Category {
    if ops.is_empty() {
        return Category::AcceptedAsIs;
    }
    let norm = c.cost as f64 / c.old_words.max(c.new_words).max(1) as f64;
    if c.deleted as f64 > 0.6 * c.old_words as f64 {
        return Category::Rewritten;
    }
    if norm <= 0.1 {
        return Category::LightPolish;
    }
    // Words shared as a bag (multiset): sorted hashes, merged.
    let (mut x, mut y) = (a.hashes.clone(), f.hashes.clone());
    x.sort_unstable();
    y.sort_unstable();
    let shared = crate::diff::align::shared(&x, &y);
    if shared as f64 >= 0.8 * c.old_words.max(c.new_words).max(1) as f64 && norm > 0.3 {
        return Category::Restructured;
    }
    if c.inserted * 4 <= c.deleted {
        return Category::Trimmed;
    }
    if c.deleted * 4 <= c.inserted {
        return Category::Expanded;
    }
    let length_kept = (c.new_words as f64 - c.old_words as f64).abs() <= 0.15 * c.old_words as f64;
    if c.replaced * 2 >= c.deleted && length_kept {
        return Category::Reworded;
    }
    Category::Mixed
}
