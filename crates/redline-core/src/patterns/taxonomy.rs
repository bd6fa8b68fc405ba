//! The edit taxonomy: what kind of change each edit operation ([`super::ops::EditOp`]) is, in
//! words an editor uses — filler removed, something cut, detail added, word choice, grammar,
//! a fact or number corrected, tone, sentence structure, formatting, a rewrite. One category per
//! operation, by the first rule that holds (docs/patterns.md, "Edit taxonomy", lists them and
//! how well they agree with a person's labels).
//!
//! The rules read only the operation's two sides, where it stands, and the other operations of
//! the same settlement (for moves); they use the function-word list of the phrase lists and the
//! tone lexicons, so they work in any language those cover and say "word choice" or "rewrite"
//! where they cannot tell.

use super::is_function_word;
use super::ops::{EditOp, OpKind};
use super::tone::marks_register;
use serde::Serialize;
use std::collections::HashMap;

/// The kind of one edit operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EditKind {
    /// Filler, hedging or a cliché taken out ("just", "really", "I hope this helps").
    Filler,
    /// Other words taken out: redundant exposition, an unwanted clause or sentence.
    Cut,
    /// Words added: a detail, a specific, a missing piece.
    Detail,
    /// A word or short phrase put in place of another.
    WordChoice,
    /// Function words or word forms: articles, prepositions, pronouns, tense, agreement.
    Grammar,
    /// A number, date or name corrected.
    Fact,
    /// Register: contractions, formal or plain words, hedges, the person addressed.
    Tone,
    /// The same words in another order or another sentence shape, or a moved passage.
    Structure,
    /// Only punctuation, case, spacing or markup.
    Formatting,
    /// A long passage replaced by mostly different words.
    Rewrite,
}

impl EditKind {
    pub const ALL: [EditKind; 10] = [
        EditKind::Filler,
        EditKind::Cut,
        EditKind::Detail,
        EditKind::WordChoice,
        EditKind::Grammar,
        EditKind::Fact,
        EditKind::Tone,
        EditKind::Structure,
        EditKind::Formatting,
        EditKind::Rewrite,
    ];

    /// Its name in the JSON and in the labels (`word_choice`).
    pub fn key(self) -> &'static str {
        match self {
            EditKind::Filler => "filler",
            EditKind::Cut => "cut",
            EditKind::Detail => "detail",
            EditKind::WordChoice => "word_choice",
            EditKind::Grammar => "grammar",
            EditKind::Fact => "fact",
            EditKind::Tone => "tone",
            EditKind::Structure => "structure",
            EditKind::Formatting => "formatting",
            EditKind::Rewrite => "rewrite",
        }
    }

    /// What a person reads.
    pub fn label(self) -> &'static str {
        match self {
            EditKind::Filler => "filler removed",
            EditKind::Cut => "cut",
            EditKind::Detail => "detail added",
            EditKind::WordChoice => "word choice",
            EditKind::Grammar => "grammar",
            EditKind::Fact => "fact or number",
            EditKind::Tone => "tone",
            EditKind::Structure => "structure",
            EditKind::Formatting => "formatting",
            EditKind::Rewrite => "rewrite",
        }
    }

    pub fn from_key(key: &str) -> Option<EditKind> {
        EditKind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// Its place in [`EditKind::ALL`] (the order of declaration).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Words people take out as filler: intensifiers, hedges and stock phrases of generated text.
/// A deletion made only of these (and function words) is [`EditKind::Filler`].
const FILLER_WORDS: &[&str] = &[
    "very",
    "really",
    "just",
    "actually",
    "basically",
    "simply",
    "quite",
    "rather",
    "literally",
    "totally",
    "definitely",
    "certainly",
    "truly",
    "honestly",
    "essentially",
    "obviously",
    "clearly",
    "indeed",
    "then",
    "also",
    "so",
    "well",
    "somewhat",
    "perhaps",
    "possibly",
    "potentially",
    "arguably",
    "generally",
    "typically",
];

/// Stock phrases: a deletion that holds one of these and little else is filler.
const FILLER_PHRASES: &[&str] = &[
    "i hope this helps",
    "hope this helps",
    "feel free to",
    "let me know if",
    "it is worth noting",
    "it's worth noting",
    "it should be noted",
    "please note that",
    "needless to say",
    "at the end of the day",
    "in today's world",
    "in conclusion",
    "as mentioned",
    "as previously mentioned",
    "of course",
    "in order to",
    "great question",
];

/// The words on either side of a register change: contractions and what they stand for,
/// formal words and plain ones, hedges, the persons.
const TONE_WORDS: &[&str] = &[
    "not", "do", "does", "did", "is", "are", "am", "will", "would", "have", "has", "had", "let",
    "us", "it", "that", "there", "we", "i", "you", "your", "our", "my", "me", "they", "t", "s",
    "re", "ll", "ve", "d", "m", "n't", "use", "start", "help", "about", "so", "but", "also",
    "please",
];

fn is_filler_word(w: &str) -> bool {
    FILLER_WORDS.contains(&w)
}

fn words(text: &str) -> Vec<String> {
    crate::text::words(text).map(str::to_lowercase).collect()
}

/// The words of `a` not matched in `b` (as multisets), in `a`'s order.
fn minus(a: &[String], b: &[String]) -> Vec<String> {
    if b.len() <= 32 {
        // Few words (most edits): a scan beats hashing each of them.
        let mut used = vec![false; b.len()];
        return a
            .iter()
            .filter(|w| match (0..b.len()).find(|&j| !used[j] && b[j] == **w) {
                Some(j) => {
                    used[j] = true;
                    false
                }
                None => true,
            })
            .cloned()
            .collect();
    }
    let mut left: HashMap<&str, usize> = HashMap::new();
    for w in b {
        *left.entry(w.as_str()).or_default() += 1;
    }
    a.iter()
        .filter(|w| match left.get_mut(w.as_str()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .cloned()
        .collect()
}

/// Two forms of one word: a shared beginning of at least 4 letters covering 60% of the shorter
/// ("umging" / "umgingen", "recommend" / "recommended"), or a short word with an ending of up
/// to three letters ("go" / "goes").
fn same_stem(a: &str, b: &str) -> bool {
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let (la, lb) = (a.chars().count(), b.chars().count());
    let shorter = la.min(lb);
    (common >= 4 && common * 10 >= shorter * 6)
        || (common >= 2 && common == shorter && la.abs_diff(lb) <= 3)
}

fn has_digit(w: &str) -> bool {
    w.chars().any(|c| c.is_ascii_digit())
}

/// Capitalised words of `text` that do not start it (names, in languages that capitalise
/// them; German capitalises every noun, so there a name needs a second clue).
fn capitalised(text: &str, starts_sentence: bool) -> Vec<String> {
    crate::text::words(text)
        .enumerate()
        .filter(|(i, w)| {
            !(*i == 0 && starts_sentence) && w.chars().next().is_some_and(char::is_uppercase)
        })
        .map(|(_, w)| w.to_lowercase())
        .collect()
}

/// The longest common subsequence of two word lists, as a share of the shorter: 1 when one
/// list's words appear in the other in the same order.
fn in_order(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 1.0;
    }
    let mut row = vec![0usize; b.len() + 1];
    for x in a {
        let mut diag = 0;
        for (j, y) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = if x == y {
                diag + 1
            } else {
                row[j + 1].max(row[j])
            };
            diag = up;
        }
    }
    row[b.len()] as f64 / a.len().min(b.len()) as f64
}

/// The most words a deleted stock sentence ("Feel free to reach out if you need anything
/// else.") may have and still be filler rather than a cut.
pub const STOCK_SENTENCE_WORDS: usize = 16;

/// Words a replacement must have on its longer side to be judged as a passage (a rewrite or a
/// restructured sentence) rather than a word choice.
pub const PASSAGE_WORDS: usize = 8;

/// The kind of each of a settlement's operations (`ops` as [`super::ops::edit_ops`] gives
/// them; `old` is the AI output they apply to).
pub fn classify(old: &str, ops: &[EditOp]) -> Vec<EditKind> {
    // Words inserted somewhere, to recognise a deletion that moved (and the insertion it moved
    // to).
    let inserted: Vec<Vec<String>> = ops.iter().map(|o| words(&o.new_text)).collect();
    let deleted: Vec<Vec<String>> = ops.iter().map(|o| words(&o.old_text)).collect();
    ops.iter()
        .enumerate()
        .map(|(i, op)| {
            let moved = |mine: &[String], others: &[Vec<String>]| {
                mine.len() >= 2
                    && others
                        .iter()
                        .enumerate()
                        .any(|(j, o)| j != i && o.windows(mine.len()).any(|w| w == mine))
            };
            let is_move = op.moved
                || match op.kind {
                    OpKind::Delete => moved(&deleted[i], &inserted),
                    OpKind::Insert => moved(&inserted[i], &deleted),
                    OpKind::Replace => false,
                };
            if is_move {
                return EditKind::Structure;
            }
            let starts_sentence = old[..op.old_bytes.0.min(old.len())]
                .trim_end()
                .chars()
                .last()
                .is_none_or(|c| matches!(c, '.' | '!' | '?' | '\n' | ':'));
            kind_of(op, &deleted[i], &inserted[i], starts_sentence)
        })
        .collect()
}

/// One operation's kind, by the first rule that holds (docs/patterns.md).
fn kind_of(op: &EditOp, old: &[String], new: &[String], starts_sentence: bool) -> EditKind {
    // 1. The same words: only punctuation, case, spacing or markup changed.
    if old == new {
        return EditKind::Formatting;
    }
    let removed = minus(old, new);
    let added = minus(new, old);
    // The same words in another order.
    if removed.is_empty() && added.is_empty() {
        return EditKind::Structure;
    }
    // 2. A number, or a name, corrected.
    let digits = |ws: &[String]| -> Vec<String> {
        let mut d: Vec<String> = ws.iter().filter(|w| has_digit(w)).cloned().collect();
        d.sort();
        d
    };
    if op.kind == OpKind::Replace && digits(old) != digits(new) {
        return EditKind::Fact;
    }
    let short = old.len().max(new.len()) <= 4;
    if op.kind == OpKind::Replace && short {
        let caps_old = capitalised(&op.old_text, starts_sentence);
        let caps_new = capitalised(&op.new_text, starts_sentence);
        let name_fixed = caps_new.iter().any(|n| {
            !old.contains(n)
                && caps_old
                    .iter()
                    .any(|o| !new.contains(o) && (same_start(o, n) || caps_old.len() == 1))
        });
        if name_fixed && !caps_new.iter().all(|w| is_function_word(w)) {
            return EditKind::Fact;
        }
    }
    // 3. Register: every word that differs marks it, or stands beside a mark.
    let differing: Vec<&String> = removed.iter().chain(&added).collect();
    if !differing.is_empty()
        && differing.iter().any(|w| marks_register(w))
        && differing.iter().all(|w| {
            marks_register(w)
                || TONE_WORDS.contains(&w.as_str())
                // "recommend" beside "recommended": the same word out of its formal use.
                || differing.iter().any(|m| marks_register(m) && same_stem(m, w))
        })
    {
        return EditKind::Tone;
    }
    // A replacement that only takes words out (or only puts words in), the rest kept up to
    // case, is judged as the deletion (insertion) it is: "In order to" → "To".
    let kind = match op.kind {
        OpKind::Replace if added.is_empty() => OpKind::Delete,
        OpKind::Replace if removed.is_empty() => OpKind::Insert,
        k => k,
    };
    match kind {
        OpKind::Delete => {
            let lower = op.old_text.to_lowercase();
            if removed
                .iter()
                .all(|w| is_function_word(w) && !is_filler_word(w))
            {
                EditKind::Grammar
            } else if removed
                .iter()
                .all(|w| is_filler_word(w) || is_function_word(w))
                || (FILLER_PHRASES.iter().any(|p| lower.contains(p))
                    && removed.len() <= STOCK_SENTENCE_WORDS)
            {
                EditKind::Filler
            } else {
                EditKind::Cut
            }
        }
        OpKind::Insert => {
            if added.iter().all(|w| is_function_word(w)) {
                EditKind::Grammar
            } else {
                EditKind::Detail
            }
        }
        OpKind::Replace => {
            let common = old.len() - removed.len();
            let longest = old.len().max(new.len());
            if longest >= PASSAGE_WORDS {
                let dice = 2.0 * common as f64 / (old.len() + new.len()) as f64;
                return if dice >= 0.5 {
                    EditKind::Structure
                } else {
                    EditKind::Rewrite
                };
            }
            // Both sides have words of their own here (one-sided replacements were judged as
            // deletions or insertions above).
            let forms = removed
                .iter()
                .all(|r| is_function_word(r) || added.iter().any(|a| same_stem(r, a)))
                && added
                    .iter()
                    .all(|a| is_function_word(a) || removed.iter().any(|r| same_stem(r, a)));
            if forms {
                return EditKind::Grammar;
            }
            let kept_words: Vec<String> = old.iter().filter(|w| new.contains(w)).cloned().collect();
            let kept_new: Vec<String> = new.iter().filter(|w| old.contains(w)).cloned().collect();
            if kept_words.len() >= 2 && in_order(&kept_words, &kept_new) < 1.0 {
                return EditKind::Structure;
            }
            EditKind::WordChoice
        }
    }
}

/// Two spellings of one name: the same first two letters.
fn same_start(a: &str, b: &str) -> bool {
    let mut x = a.chars();
    let mut y = b.chars();
    x.next() == y.next() && x.next() == y.next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patterns::ops::edit_ops;

    fn kinds(old: &str, new: &str) -> Vec<EditKind> {
        classify(old, &edit_ops(old, new))
    }

    #[test]
    fn each_kind_by_hand() {
        use EditKind::*;
        let cases: &[(&str, &str, EditKind)] = &[
            (
                "We will ship it. I hope this helps.",
                "We will ship it.",
                Filler,
            ),
            ("It is really quite good.", "It is good.", Filler),
            ("In order to ship, we test.", "To ship, we test.", Filler),
            (
                "Done. Feel free to reach out if you need anything else.",
                "Done.",
                Filler,
            ),
            (
                "We ship on Monday. The warehouse opened in 1998 and has grown since. Call us.",
                "We ship on Monday. Call us.",
                Cut,
            ),
            (
                "We ship on Monday.",
                "We ship on Monday from the Leeds warehouse.",
                Detail,
            ),
            (
                "The results were great.",
                "The results were solid.",
                WordChoice,
            ),
            ("She go to the office.", "She goes to the office.", Grammar),
            ("He sat on the chair.", "He sat in the chair.", Grammar),
            (
                "Revenue grew 12% in 2023.",
                "Revenue grew 14% in 2023.",
                Fact,
            ),
            (
                "We met with Mr Smyth today.",
                "We met with Mr Smith today.",
                Fact,
            ),
            ("We do not know yet.", "We don't know yet.", Tone),
            ("Therefore, we will utilize it.", "So we will use it.", Tone),
            (
                "It is recommended that we go.",
                "We recommend that we go.",
                Tone,
            ),
            ("Hello world", "Hello, world!", Formatting),
            (
                "Ship it today, please.",
                "Today, please ship it.",
                Structure,
            ),
            ("the plan", "The plan", Formatting),
            (
                "The committee approved the new budget for the coming year after a long debate.",
                "After a long debate the committee approved the budget for the coming year.",
                Structure,
            ),
            (
                "The weather was nice and everyone enjoyed the picnic by the lake that day.",
                "Quarterly revenue fell short of the forecast because two large orders slipped.",
                Rewrite,
            ),
        ];
        for (old, new, want) in cases {
            let got = kinds(old, new);
            assert!(
                got.contains(want),
                "{old:?} → {new:?}: {got:?}, wanted {want:?}"
            );
        }
    }

    #[test]
    fn a_moved_sentence_is_structure_on_both_sides() {
        let old = "First point here. Second point there. Third point last.";
        let new = "Second point there. First point here. Third point last.";
        let ops = edit_ops(old, new);
        let got = classify(old, &ops);
        // The sentence taken out and the one put in elsewhere (the diff keeps the other one,
        // with its full stop: formatting).
        let moved: Vec<EditKind> = ops
            .iter()
            .zip(&got)
            .filter(|(o, _)| o.kind != OpKind::Replace)
            .map(|(_, k)| *k)
            .collect();
        assert_eq!(moved, [EditKind::Structure; 2], "{got:?}");
    }

    #[test]
    fn keys_round_trip() {
        for k in EditKind::ALL {
            assert_eq!(EditKind::from_key(k.key()), Some(k));
            assert_eq!(EditKind::ALL[k.index()], k);
        }
    }
}

/// How a rule's kinds agree with a person's: per pair (person, rules).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Agreement {
    pub items: usize,
    /// Share of items where both say the same.
    pub accuracy: f64,
    /// Cohen's κ over all kinds: agreement beyond what the two label mixes give by chance.
    pub kappa: f64,
    /// Per kind the person used: how many, the rules' recall and precision, and the κ of
    /// "this kind or not".
    pub per_kind: Vec<KindAgreement>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KindAgreement {
    pub kind: EditKind,
    /// Items the person gave this kind.
    pub labelled: usize,
    /// Items the rules gave this kind.
    pub predicted: usize,
    pub recall: f64,
    pub precision: f64,
    pub kappa: f64,
}

/// Cohen's κ from a square confusion table (rows: one rater, columns: the other).
fn kappa_of(table: &[Vec<usize>]) -> f64 {
    let n: usize = table.iter().flatten().sum();
    if n == 0 {
        return 0.0;
    }
    let n = n as f64;
    let observed = (0..table.len()).map(|i| table[i][i]).sum::<usize>() as f64 / n;
    let expected: f64 = (0..table.len())
        .map(|i| {
            let row: usize = table[i].iter().sum();
            let col: usize = table.iter().map(|r| r[i]).sum();
            row as f64 * col as f64 / (n * n)
        })
        .sum();
    if expected >= 1.0 {
        return 1.0;
    }
    (observed - expected) / (1.0 - expected)
}

/// Agreement of `(person, rules)` pairs.
pub fn agreement(pairs: &[(EditKind, EditKind)]) -> Agreement {
    let k = EditKind::ALL.len();
    let mut table = vec![vec![0usize; k]; k];
    for (a, b) in pairs {
        table[a.index()][b.index()] += 1;
    }
    let n = pairs.len();
    let same = (0..k).map(|i| table[i][i]).sum::<usize>();
    let share = |x: usize, of: usize| if of == 0 { 0.0 } else { x as f64 / of as f64 };
    let per_kind = EditKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let i = kind.index();
            let labelled: usize = table[i].iter().sum();
            let predicted: usize = table.iter().map(|r| r[i]).sum();
            if labelled == 0 && predicted == 0 {
                return None;
            }
            let both = table[i][i];
            let binary = vec![
                vec![both, labelled - both],
                vec![predicted - both, n - labelled - predicted + both],
            ];
            Some(KindAgreement {
                kind,
                labelled,
                predicted,
                recall: share(both, labelled),
                precision: share(both, predicted),
                kappa: kappa_of(&binary),
            })
        })
        .collect();
    Agreement {
        items: n,
        accuracy: share(same, n),
        kappa: kappa_of(&table),
        per_kind,
    }
}

/// The person's kind and the rules' kind of every item of a labels file: JSON lines with
/// `label`, `before`, `old`, `new` and `after`, as `tests/data/edit-labels.jsonl`. An unknown
/// label, or an item whose operation is not found again, is an error naming its line.
pub fn judge_labels(jsonl: &str) -> Result<Vec<(EditKind, EditKind)>, String> {
    jsonl
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let v: serde_json::Value =
                serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
            let s = |k: &str| v[k].as_str().unwrap_or_default();
            let person = EditKind::from_key(s("label"))
                .ok_or_else(|| format!("line {}: unknown label {:?}", i + 1, s("label")))?;
            let rules = classify_item(s("before"), s("old"), s("new"), s("after"))
                .ok_or_else(|| format!("line {}: the operation is not found again", i + 1))?;
            Ok((person, rules))
        })
        .collect()
}

/// The kind the rules give the edit of a hand-labelled item: the operation `old` → `new` with
/// the text around it (`before`, `after`), found again by diffing the two reconstructed
/// sides. `None` when the diff no longer yields an operation with that removed text.
pub fn classify_item(before: &str, old: &str, new: &str, after: &str) -> Option<EditKind> {
    let ai = format!("{before}{old}{after}");
    let fin = format!("{before}{new}{after}");
    let ops = super::ops::edit_ops(&ai, &fin);
    let kinds = classify(&ai, &ops);
    let at = before.chars().count();
    // The operation starting where the item does, else the one overlapping it most.
    let overlap = |o: &EditOp| {
        let (s, e) = (o.old_start.max(at), o.old_end.min(at + old.chars().count()));
        e.saturating_sub(s) + usize::from(o.old_start == at) * 1000
    };
    ops.iter()
        .zip(kinds)
        .max_by_key(|(o, _)| overlap(o))
        .map(|(_, k)| k)
}
