//! Marks of machine prose that people take out: the em dash, the semicolon, the exclamation
//! mark, the ellipsis, emoji (and pictographic symbols) and bold markup. The phrase lists are
//! made of words, so an edit that only swaps "—" for "," shows nowhere else; here each mark is
//! counted in both texts of every settlement, and a mark people take out more than they do
//! words is a structure pattern.

use super::*;

/// The marks counted, by index: kind (as [`StructurePattern::kind`]), label, what it is
/// called in a sentence, and what to do instead (a recommendation's advice).
pub(crate) const MARKS: [(&str, &str, &str, &str); 6] = [
    (
        "em_dash_removed",
        "Em dash taken out",
        "the em dash (—)",
        "Do not use em dashes (—)",
    ),
    (
        "semicolon_removed",
        "Semicolon taken out",
        "the semicolon",
        "Use fewer semicolons",
    ),
    (
        "exclamation_removed",
        "Exclamation mark taken out",
        "the exclamation mark",
        "Leave out exclamation marks",
    ),
    (
        "ellipsis_removed",
        "Ellipsis taken out",
        "the ellipsis (… or ...)",
        "Leave out ellipses",
    ),
    (
        "emoji_removed",
        "Emoji taken out",
        "emoji and pictographic symbols (✅ ✓ 🚀)",
        "Leave out emoji and symbols",
    ),
    (
        "bold_removed",
        "Bold text taken out",
        "bold markup (**…**)",
        "Leave out bold text",
    ),
];
const EM_DASH: usize = 0;
const SEMICOLON: usize = 1;
const EXCLAMATION: usize = 2;
const ELLIPSIS: usize = 3;
const EMOJI: usize = 4;
const BOLD: usize = 5;

/// How often each of [`MARKS`] occurs in a text (saturating at 65,535).
pub(super) fn count(text: &str) -> [u16; MARKS.len()] {
    let mut n = [0u32; MARKS.len()];
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b';' => n[SEMICOLON] += 1,
            b'!' => n[EXCLAMATION] += 1,
            b'.' if b[i..].starts_with(b"...") => {
                n[ELLIPSIS] += 1;
                i += 2;
            }
            b'*' if b.get(i + 1) == Some(&b'*') => {
                n[BOLD] += 1;
                i += 1;
            }
            // Three-byte characters from U+2000: the em dash, the ellipsis, and the symbols
            // and dingbats of U+2600–U+27BF (☀, ✅, ❤).
            0xE2 if i + 2 < b.len() => {
                match (b[i + 1], b[i + 2]) {
                    (0x80, 0x94) => n[EM_DASH] += 1,
                    (0x80, 0xA6) => n[ELLIPSIS] += 1,
                    (0x98..=0x9E, _) => n[EMOJI] += 1,
                    _ => {}
                }
                i += 2;
            }
            // The full-width semicolon and exclamation mark (U+FF1B, U+FF01) are the same
            // marks: a translator who swaps ";" for "；" has not taken a semicolon out.
            0xEF if b.get(i + 1) == Some(&0xBC) && i + 2 < b.len() => {
                match b[i + 2] {
                    0x9B => n[SEMICOLON] += 1,
                    0x81 => n[EXCLAMATION] += 1,
                    _ => {}
                }
                i += 2;
            }
            // Four-byte characters from U+1F000 (F0 9F ..): pictographs, emoticons, flags.
            0xF0 if b.get(i + 1) == Some(&0x9F) => {
                n[EMOJI] += 1;
                i += 3;
            }
            _ => {}
        }
        i += 1;
    }
    // Bold is a pair of markers.
    n[BOLD] /= 2;
    n.map(|x| x.min(u32::from(u16::MAX)) as u16)
}

/// What people put where a mark was, by index: what it is called, and the advice that names it.
pub(crate) const INSTEAD: [(&str, &str); 6] = [
    ("a comma", "Write a comma instead"),
    ("a full stop", "End the sentence instead"),
    ("a colon", "Write a colon instead"),
    ("parentheses", "Write parentheses instead"),
    (
        "a hyphen or en dash",
        "Write a hyphen or an en dash instead",
    ),
    ("no mark", "Leave the sentence without it"),
];
const NO_MARK: usize = INSTEAD.len() - 1;

/// Per mark, how many of its uses people took out in each edit and what they put there
/// ([`INSTEAD`]): the first comma, full stop (one that ends a sentence), colon, parenthesis,
/// or dash between spaces of the new text, or no mark (taken out, or replaced by words alone).
/// Saturating.
pub(super) fn instead_of(ops: &[EditOp]) -> [[u8; INSTEAD.len()]; MARKS.len()] {
    let mut out = [[0u8; INSTEAD.len()]; MARKS.len()];
    for op in ops.iter().filter(|o| !o.old_text.is_empty() && !o.moved) {
        let (old, new) = (count(&op.old_text), count(&op.new_text));
        let chars: Vec<char> = op.new_text.chars().collect();
        let space = |c: Option<&char>| c.is_none_or(|c| c.is_whitespace());
        let put = (0..chars.len())
            .find_map(|i| {
                let (before, after) = (i.checked_sub(1).map(|j| &chars[j]), chars.get(i + 1));
                match chars[i] {
                    ',' | '，' => Some(0),
                    // A full stop ends a sentence: not the one in "3.5" or "e.g".
                    '.' if space(after) => Some(1),
                    '。' => Some(1),
                    ':' | '：' => Some(2),
                    '(' | '（' => Some(3),
                    // A dash between spaces, not the hyphen of "well-known".
                    '-' | '–' if space(before) && space(after) => Some(4),
                    _ => None,
                }
            })
            .unwrap_or(NO_MARK);
        for k in 0..MARKS.len() {
            let gone = old[k].saturating_sub(new[k]);
            out[k][put] = out[k][put].saturating_add(gone.min(255) as u8);
        }
    }
    out
}

/// Each mark of one settlement: how many the AI output has, how many fewer the final version
/// has (none when it has as many or more), and what people put where they took one out.
#[derive(Clone, Copy, Default)]
pub(super) struct Marks {
    pub(super) ai: [u16; MARKS.len()],
    pub(super) gone: [u16; MARKS.len()],
    pub(super) instead: [[u8; INSTEAD.len()]; MARKS.len()],
}

impl Marks {
    pub(super) fn of(
        ai_output: &str,
        final_output: &str,
        instead: [[u8; INSTEAD.len()]; MARKS.len()],
    ) -> Marks {
        let (a, f) = (count(ai_output), count(final_output));
        Marks {
            ai: a,
            gone: std::array::from_fn(|k| a[k].saturating_sub(f[k])),
            instead,
        }
    }

    /// Whether people took out some of mark `k` (the final version has fewer).
    pub(super) fn hit(&self, k: usize) -> bool {
        self.gone[k] > 0
    }
}

/// A group's mark counts: per mark, the outputs that have it and those whose final version has
/// fewer, and its uses and the uses gone.
#[derive(Clone, Copy, Default)]
pub(super) struct MarkCounts {
    pub(super) outputs: [usize; MARKS.len()],
    pub(super) hits: [usize; MARKS.len()],
    pub(super) uses: [usize; MARKS.len()],
    pub(super) gone: [usize; MARKS.len()],
    pub(super) instead: [[usize; INSTEAD.len()]; MARKS.len()],
}

impl MarkCounts {
    pub(super) fn count(&mut self, m: &Marks, add: bool) {
        for k in 0..MARKS.len() {
            let (o, h) = (usize::from(m.ai[k] > 0), usize::from(m.hit(k)));
            let (u, g) = (usize::from(m.ai[k]), usize::from(m.gone[k]));
            if add {
                self.outputs[k] += o;
                self.hits[k] += h;
                self.uses[k] += u;
                self.gone[k] += g;
            } else {
                self.outputs[k] -= o;
                self.hits[k] -= h;
                self.uses[k] -= u;
                self.gone[k] -= g;
            }
            for (to, n) in self.instead[k].iter_mut().zip(m.instead[k]) {
                if add {
                    *to += usize::from(n);
                } else {
                    *to -= usize::from(n);
                }
            }
        }
    }
}

impl Miner {
    /// The marks people take out: in `min_hits` outputs or more, in at least [`EVENT_FLOOR`]
    /// of the outputs that have the mark (the interval's lower end), and more of its uses than
    /// of the words (`base`, the share of the AI outputs' words taken out; the interval's lower
    /// end above it): a rewrite that drops everything says nothing about the mark.
    pub(super) fn marks(
        &self,
        members: &[u32],
        c: &MarkCounts,
        base: f64,
        min_hits: usize,
    ) -> Vec<StructurePattern> {
        let mut out = Vec::new();
        for (k, (kind, label, name, _)) in MARKS.iter().enumerate() {
            let (hits, support) = (c.hits[k], c.outputs[k]);
            let (Some(share), Some(uses)) = (wilson(hits, support), wilson(c.gone[k], c.uses[k]))
            else {
                continue;
            };
            if hits < min_hits
                || share.low.is_none_or(|low| low <= EVENT_FLOOR)
                || uses.low.is_none_or(|low| low <= base)
            {
                continue;
            }
            let (put, instead) = put_instead(&c.instead[k]);
            out.push(StructurePattern {
                kind,
                label,
                text: format!(
                    "People take out {name} in {} of the {support} outputs that have it: {} of its {} uses are gone from the final versions ({}), against {} of the words{put}.",
                    share_with_ci(&share),
                    c.gone[k],
                    c.uses[k],
                    pct(uses.value),
                    fine_pct(base)
                ),
                hits,
                support,
                share,
                middle_share: None,
                instead,
                examples: self.newest(members, |e| e.marks.hit(k)),
            });
        }
        out
    }
}

/// What people put where they took a mark out, as the finding says it ("; in its place they put
/// a comma (62%), no mark (38%)": each at 10% or more), and the advice for what holds half or
/// more, unless it is no mark.
fn put_instead(to: &[usize; INSTEAD.len()]) -> (String, Option<&'static str>) {
    let total: usize = to.iter().sum();
    if total == 0 {
        return (String::new(), None);
    }
    let mut order: Vec<usize> = (0..INSTEAD.len()).collect();
    order.sort_by(|a, b| to[*b].cmp(&to[*a]).then(a.cmp(b)));
    let share = |i: usize| to[i] as f64 / total as f64;
    let said: Vec<String> = order
        .iter()
        .filter(|i| share(**i) >= 0.1)
        .map(|i| format!("{} ({})", INSTEAD[*i].0, pct(share(*i))))
        .collect();
    let advice = (order[0] != NO_MARK && share(order[0]) >= 0.5).then_some(INSTEAD[order[0]].1);
    (
        format!("; in its place they put {}", said.join(", ")),
        advice,
    )
}

/// A share as a percentage, with a decimal under 10% ("0.4%", not "0%": the share of words
/// people take out is often small).
fn fine_pct(x: f64) -> String {
    if x > 0.0 && x < 0.095 {
        format!("{:.1}%", x * 100.0)
    } else {
        pct(x)
    }
}

/// 60 settlements of `agent`, two in three edited: output `i` is `ai(i)`, or `edited(i)` (for
/// tests).
#[cfg(test)]
pub(crate) fn edited(
    agent: &str,
    ai: impl Fn(usize) -> String,
    edited: impl Fn(usize) -> String,
) -> Vec<Settlement> {
    (0..60)
        .map(|i| {
            let a = ai(i);
            let fin = if i % 3 == 0 { a.clone() } else { edited(i) };
            crate::model::test_settlement(&format!("{agent}{i}"), agent, &a, &fin)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_by_hand() {
        let n =
            count("Fast — and cheap; really!! Wait... or… 🚀 ✅ **Bold** and **more**. 2–3 * x");
        assert_eq!(n[EM_DASH], 1);
        assert_eq!(n[SEMICOLON], 1);
        assert_eq!(n[EXCLAMATION], 2);
        assert_eq!(n[ELLIPSIS], 2);
        assert_eq!(n[EMOJI], 2);
        assert_eq!(n[BOLD], 2);
        // What took a mark's place: the first such mark of the new text, or none.
        let op = |old: &str, new: &str| EditOp {
            kind: if new.is_empty() {
                OpKind::Delete
            } else {
                OpKind::Replace
            },
            old_start: 0,
            old_end: 0,
            new_start: 0,
            new_end: 0,
            old_text: old.into(),
            new_text: new.into(),
            moved: false,
            old_bytes: (0, 0),
            new_bytes: (0, 0),
        };
        let to = instead_of(&[
            op(" —", ","),
            op("— so", ". So"),
            op("!!", ""),
            op(";", "and"),
            op("x — y", "well-known 3.5 – y"),
        ]);
        assert_eq!(to[EM_DASH], [1, 1, 0, 0, 1, 0]);
        assert_eq!(to[EXCLAMATION], [0, 0, 0, 0, 0, 2]);
        assert_eq!(to[SEMICOLON], [0, 0, 0, 0, 0, 1]);
        assert_eq!(
            put_instead(&[3, 1, 0, 0, 0, 0]).1,
            Some("Write a comma instead")
        );
        assert_eq!(put_instead(&[1, 0, 0, 0, 0, 3]).1, None);
        assert_eq!(
            put_instead(&[6, 3, 0, 0, 0, 1]).0,
            "; in its place they put a comma (60%), a full stop (30%), no mark (10%)"
        );
        // Full-width marks are the marks.
        assert_eq!(count("好；对！")[SEMICOLON..=EXCLAMATION], [1, 1]);
        // The en dash, a lone asterisk, accents and Han are none of them.
        assert_eq!(count("2–3 * café 中文 «x» “y”"), [0; MARKS.len()]);
        let m = Marks::of(
            "One — two — three; four!",
            "One, two — three; four! Five!",
            Default::default(),
        );
        assert_eq!(m.ai, [2, 1, 1, 0, 0, 0]);
        assert_eq!(m.gone, [1, 0, 0, 0, 0, 0]);
        assert!(m.hit(EM_DASH) && !m.hit(EXCLAMATION));
    }

    #[test]
    fn marks_people_take_out_are_structure_patterns() {
        // People swap the em dash for a comma in 40 of 60 outputs and leave the semicolon alone.
        let list = edited(
            "A",
            |i| format!("Order {i} ships Monday — by truck; the crate holds part {i}."),
            |i| format!("Order {i} ships Monday, by truck; the crate holds part {i}."),
        );
        let a = &crate::patterns::mine_slice(&list).agents[0];
        let kinds: Vec<&str> = a.structure.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, ["em_dash_removed"], "{:#?}", a.structure);
        let p = &a.structure[0];
        assert_eq!((p.hits, p.support), (40, 60));
        assert!(
            p.text
                .starts_with("People take out the em dash (—) in 67% (95% CI")
                && p.text.contains("40 of its 60 uses are gone")
                && p.text.ends_with("; in its place they put a comma (100%)."),
            "{}",
            p.text
        );
        assert_eq!(p.examples.len(), EXAMPLES);
        assert_eq!(p.instead, Some("Write a comma instead"));
        assert!(a.recommendations.iter().any(|r| r.kind == "structure"
            && r.text
                .starts_with("Do not use em dashes (—). Write a comma instead: people take out")));
        // Rewritten whole, outputs lose their em dashes with every other word: no pattern.
        let rewritten = edited(
            "B",
            |i| format!("Order {i} ships Monday — by truck, the crate holds part {i}."),
            |i| format!("Shipment number {} leaves soon via road freight.", i + 1000),
        );
        let b = &crate::patterns::mine_slice(&rewritten).agents[0];
        assert!(
            b.structure.iter().all(|p| p.kind != "em_dash_removed"),
            "{:#?}",
            b.structure
        );
    }
}
