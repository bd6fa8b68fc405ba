//! The shape of an edit: whole sentences taken out, restated sentences, headings removed,
//! lists turned into prose and back, sentences split, merged or moved; and their counts per group.

use super::*;

/// The sentences of one AI output that people took out whole, and which structure events
/// ([`EVENTS`]) it could show and showed.
#[derive(Clone, Copy, Default, Serialize, Deserialize)]
pub(super) struct Shape {
    /// Sentences with words (up to 65,535).
    pub(super) sentences: u16,
    /// Of them, taken out whole (every word deleted or replaced by something sharing none).
    pub(super) cut: u16,
    pub(super) opening_cut: bool,
    pub(super) closing_cut: bool,
    /// Bit `i`: the output could show event `EVENTS[i]` (it has a heading, a list, …).
    pub(super) eligible: u8,
    /// Bit `i`: it did.
    pub(super) hits: u8,
}

/// Structure events, by bit: kind (as [`StructurePattern::kind`]) and what it is called.
pub(crate) const EVENTS: [(&str, &str); 7] = [
    ("restating_sentence_cut", "Restating sentence cut"),
    ("heading_removed", "Heading removed"),
    ("list_to_prose", "List turned into prose"),
    ("prose_to_list", "Prose turned into a list"),
    ("sentence_split", "Sentence split"),
    ("sentences_merged", "Sentences merged"),
    ("sentence_moved", "Sentence moved"),
];
pub(super) const RESTATING: usize = 0;
pub(super) const HEADING: usize = 1;
pub(super) const LIST_TO_PROSE: usize = 2;
pub(super) const PROSE_TO_LIST: usize = 3;
pub(super) const SPLIT: usize = 4;
pub(super) const MERGED: usize = 5;
pub(super) const MOVED: usize = 6;

/// The least share (Dice) of its content words a sentence must share with an earlier sentence
/// of the same output to restate it.
pub const RESTATE_MIN: f64 = 0.6;
/// The fewest content words a restating sentence has.
pub(super) const RESTATE_WORDS: usize = 4;
/// Outputs with more sentences are not searched for restatements (the search is quadratic).
pub(super) const RESTATE_MAX_SENTENCES: usize = 80;

/// Headings and list items of a text, line by line: a Markdown heading (`# `…), a line that is
/// bold alone (`**Summary**`), a bullet (`- `, `* `, `+ `, `• `) or a numbered item (`1. `,
/// `2) `).
pub(crate) fn layout(text: &str) -> (usize, usize) {
    let (mut headings, mut items) = (0, 0);
    for line in text.lines() {
        let t = line.trim();
        let hashes = t.len() - t.trim_start_matches('#').len();
        let bold_alone = t.len() > 4
            && t.starts_with("**")
            && t.ends_with("**")
            && !t[2..t.len() - 2].contains("**");
        if (1..=6).contains(&hashes) && t[hashes..].starts_with(' ') || bold_alone {
            headings += 1;
        } else if ["- ", "* ", "+ ", "• "].iter().any(|m| t.starts_with(m)) {
            items += 1;
        } else {
            let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if (1..=3).contains(&digits)
                && (t[digits..].starts_with(". ") || t[digits..].starts_with(") "))
            {
                items += 1;
            }
        }
    }
    (headings, items)
}

/// Function words, by [`word_hash`].
pub(super) fn function_word_hashes() -> &'static HashSet<u32> {
    static SET: std::sync::OnceLock<HashSet<u32>> = std::sync::OnceLock::new();
    SET.get_or_init(|| STOPWORDS.iter().map(|w| word_hash(w)).collect())
}

impl Shape {
    /// The shape of an AI output (word hashes `ai`, flags `ai_flags`) and its final version,
    /// with what the sentence alignment found.
    pub(super) fn of(
        ai: &[u32],
        ai_flags: &[u8],
        texts: (&str, &str),
        aligned: &crate::diff::SentenceCounts,
    ) -> Shape {
        let mut s = Shape::default();
        let mut sentences: Vec<(usize, usize, bool)> = Vec::new();
        let mut i = 0;
        while i < ai_flags.len() {
            let mut end = i + 1;
            while end < ai_flags.len() && ai_flags[end] & START == 0 {
                end += 1;
            }
            let cut = ai_flags[i..end].iter().all(|f| f & DELETED != 0);
            if s.sentences == 0 {
                s.opening_cut = cut;
            }
            s.closing_cut = cut;
            s.sentences = s.sentences.saturating_add(1);
            s.cut = s.cut.saturating_add(u16::from(cut));
            sentences.push((i, end, cut));
            i = end;
        }
        let mut event = |bit: usize, eligible: bool, hit: bool| {
            if eligible {
                s.eligible |= 1 << bit;
                if hit {
                    s.hits |= 1 << bit;
                }
            }
        };
        // A sentence that restates an earlier one, and whether one such was taken out.
        if sentences.len() <= RESTATE_MAX_SENTENCES {
            let stop = function_word_hashes();
            let content: Vec<Vec<u32>> = sentences
                .iter()
                .map(|&(a, b, _)| {
                    let mut w: Vec<u32> = ai[a..b]
                        .iter()
                        .copied()
                        .filter(|h| !stop.contains(h))
                        .collect();
                    w.sort_unstable();
                    w.dedup();
                    w
                })
                .collect();
            let (mut restating, mut restating_cut) = (false, false);
            for k in 1..content.len() {
                if content[k].len() < RESTATE_WORDS {
                    continue;
                }
                let restates = content[..k].iter().any(|earlier| {
                    let shared = content[k]
                        .iter()
                        .filter(|h| earlier.binary_search(h).is_ok())
                        .count();
                    2.0 * shared as f64 / (content[k].len() + earlier.len()) as f64 >= RESTATE_MIN
                });
                if restates {
                    restating = true;
                    restating_cut |= sentences[k].2;
                }
            }
            event(RESTATING, restating, restating_cut);
        }
        let (ai_headings, ai_items) = layout(texts.0);
        let (final_headings, final_items) = layout(texts.1);
        let n = sentences.len();
        event(HEADING, ai_headings > 0, final_headings < ai_headings);
        event(
            LIST_TO_PROSE,
            ai_items >= 2,
            final_items == 0 && !texts.1.trim().is_empty(),
        );
        event(PROSE_TO_LIST, ai_items == 0 && n >= 3, final_items >= 2);
        event(SPLIT, n >= 1, aligned.split > 0);
        event(MERGED, n >= 2, aligned.merged > 0);
        event(MOVED, n >= 2, aligned.moved > 0);
        s
    }

    /// An output of [`STRUCTURE_MIN_SENTENCES`] sentences or more has an opening, a middle and
    /// a closing.
    pub(super) fn counted(&self) -> bool {
        usize::from(self.sentences) >= STRUCTURE_MIN_SENTENCES
    }
}

/// The least share of the outputs that could show a structure event (a heading removed, a
/// list turned into prose, …) in which people must make it to be listed (the interval's lower
/// end): one in ten.
pub const EVENT_FLOOR: f64 = 0.10;

/// Outputs with fewer sentences have no structure to speak of.
pub(super) const STRUCTURE_MIN_SENTENCES: usize = 3;

/// A group's sentence counts, over its outputs of [`STRUCTURE_MIN_SENTENCES`] or more.
#[derive(Clone, Copy, Default)]
pub(super) struct ShapeCounts {
    pub(super) outputs: usize,
    pub(super) opening_cut: usize,
    pub(super) closing_cut: usize,
    /// Middle sentences (neither first nor last), and those taken out whole.
    pub(super) middle: usize,
    pub(super) middle_cut: usize,
    /// Per event of [`EVENTS`], over every output: outputs that could show it, and that did.
    pub(super) eligible: [usize; EVENTS.len()],
    pub(super) hits: [usize; EVENTS.len()],
}

impl ShapeCounts {
    pub(super) fn count(&mut self, s: &Shape, add: bool) {
        for bit in 0..EVENTS.len() {
            let (e, h) = (s.eligible >> bit & 1, s.hits >> bit & 1);
            if add {
                self.eligible[bit] += usize::from(e);
                self.hits[bit] += usize::from(h);
            } else {
                self.eligible[bit] -= usize::from(e);
                self.hits[bit] -= usize::from(h);
            }
        }
        if !s.counted() {
            return;
        }
        let ends = usize::from(s.opening_cut) + usize::from(s.closing_cut);
        let middle = usize::from(s.sentences) - 2;
        let middle_cut = usize::from(s.cut) - ends;
        let f = |x: &mut usize, v: usize| {
            if add {
                *x += v
            } else {
                *x -= v
            }
        };
        f(&mut self.outputs, 1);
        f(&mut self.opening_cut, usize::from(s.opening_cut));
        f(&mut self.closing_cut, usize::from(s.closing_cut));
        f(&mut self.middle, middle);
        f(&mut self.middle_cut, middle_cut);
    }
}

/// Add one to (or take one from) `m[k]`; a count that reaches 0 leaves the map.
pub(super) fn step<K: Ord>(m: &mut BTreeMap<K, usize>, k: K, add: bool) {
    match m.entry(k) {
        btree_map::Entry::Vacant(v) if add => {
            v.insert(1);
        }
        btree_map::Entry::Vacant(_) => {}
        btree_map::Entry::Occupied(mut o) => {
            if add {
                *o.get_mut() += 1;
            } else if *o.get() <= 1 {
                o.remove();
            } else {
                *o.get_mut() -= 1;
            }
        }
    }
}
