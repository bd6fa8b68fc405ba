//! Word and sentence boundaries (Unicode UAX #29) with a fast path for ASCII text.
//!
//! `unicode-segmentation` looks every character up in the Unicode tables; most settlement text
//! is ASCII, where the rules reduce to a few byte comparisons. For ASCII input the functions
//! here apply exactly those rules; for anything else they defer to `unicode-segmentation`
//! (words: only for the stretch around each non-ASCII character, between two boundaries that
//! hold whatever surrounds them, so prose with a curly quote or an accented name stays on the
//! fast path elsewhere; sentences: line by line, the ASCII lines on the fast path). Property
//! tests check that both give the same segments on arbitrary ASCII text, and on text mixing
//! ASCII with accents, marks, quotes, emoji, Han and paragraph separators.
//!
//! The ASCII subset of the word-break rules: letters (`ALetter`), digits (`Numeric`) and `_`
//! (`ExtendNumLet`) join one another (WB5, WB8–WB10, WB13a/b); a letter, then `:` (`MidLetter`),
//! `.` (`MidNumLet`) or `'` (`Single_Quote`), then a letter stay together (WB6/7); a digit,
//! then `,` or `;` (`MidNum`), `.` or `'`, then a digit stay together (WB11/12); runs of spaces
//! stay together (WB3d); CR LF stays together (WB3); everything else stands alone (WB999).
//!
//! Sentences: the sentence-break rules SB3–SB11 over the ASCII classes ([`SentenceClass`]);
//! ASCII has no `Extend`, `Format`, `Sep` or `OLetter` characters, so SB5 never applies.

use unicode_segmentation::UnicodeSegmentation;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Digit,
    Underscore,
    Other,
}

fn class(b: u8) -> Class {
    match b {
        b'a'..=b'z' | b'A'..=b'Z' => Class::Letter,
        b'0'..=b'9' => Class::Digit,
        b'_' => Class::Underscore,
        _ => Class::Other,
    }
}

/// The end of the word segment starting at `start` (a letter, digit or `_`).
fn word_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        if class(b[i]) != Class::Other {
            i += 1;
            continue;
        }
        let (prev, mid) = (class(b[i - 1]), b[i]);
        let next = b.get(i + 1).map_or(Class::Other, |n| class(*n));
        let joins = match (prev, next) {
            (Class::Letter, Class::Letter) => matches!(mid, b':' | b'.' | b'\''),
            (Class::Digit, Class::Digit) => matches!(mid, b',' | b';' | b'.' | b'\''),
            _ => false,
        };
        if !joins {
            break;
        }
        i += 2;
    }
    i
}

/// The end of the segment starting at `start` in ASCII bytes.
fn segment_end(b: &[u8], start: usize) -> usize {
    match b[start] {
        c if class(c) != Class::Other => word_end(b, start),
        b' ' => {
            let mut i = start + 1;
            while i < b.len() && b[i] == b' ' {
                i += 1;
            }
            i
        }
        b'\r' if b.get(start + 1) == Some(&b'\n') => start + 2,
        _ => start + 1,
    }
}

/// Every segment between word boundaries, with its byte offset (as
/// `UnicodeSegmentation::split_word_bound_indices`).
pub fn word_bound_indices(text: &str) -> Vec<(usize, &str)> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len() / 3);
    let mut start = 0;
    // Text with a few non-ASCII characters (a curly quote, a dash, an accented name) is
    // mostly ASCII: only the stretch around each non-ASCII character goes to
    // unicode-segmentation, cut where a boundary is certain whatever surrounds it.
    while start < b.len() {
        let Some(k) = b[start..].iter().position(|c| !c.is_ascii()) else {
            ascii_segments(text, start, b.len(), &mut out);
            break;
        };
        let first = start + k;
        let from = (start + 1..=first)
            .rev()
            .find(|&c| sure_boundary(b, c))
            .unwrap_or(start);
        ascii_segments(text, start, from, &mut out);
        let to = (first + 1..b.len())
            .find(|&c| sure_boundary(b, c))
            .unwrap_or(b.len());
        mixed_segments(text, from, to, &mut out);
        start = to;
    }
    out
}

/// The segments of `text[from..to]` (on sure boundaries), which holds a non-ASCII character.
/// A run of Han ideographs goes straight to the dictionary when the characters on either side
/// are ones UAX #29 never joins to it (ASCII, Han, CJK and typographic punctuation: not
/// `Extend`, `Format` or `ZWJ`): a boundary is then certain at both ends, and
/// unicode-segmentation, which would give each ideograph a segment of its own only for
/// [`with_cjk_words`] to join them again, is spared (it was most of the time a mining of
/// Chinese outputs spent). The rest goes to unicode-segmentation piece by piece: no rule looks
/// across an ideograph (word break class Other), so a piece cut at one segments as in place.
fn mixed_segments<'a>(text: &'a str, from: usize, to: usize, out: &mut Vec<(usize, &'a str)>) {
    let apart = |c: Option<char>| {
        c.is_none_or(|c| {
            c.is_ascii()
                || matches!(c, '\u{b7}' | '\u{2014}' | '\u{2018}'..='\u{201d}' | '\u{2026}'
                    | '\u{3000}'..='\u{3029}' | '\u{ff01}'..='\u{ff5e}')
        })
    };
    let mut piece = from;
    let mut at = from;
    while at < to {
        let Some(s) = text[at..to].find(is_han).map(|k| at + k) else {
            break;
        };
        let e = text[s..to].find(|c: char| !is_han(c)).map_or(to, |k| s + k);
        at = e;
        if apart(text[..s].chars().next_back()) && apart(text[e..].chars().next()) {
            segments_of(text, piece, s, out);
            cut_han_run(text, s, e, out);
            piece = e;
        }
    }
    segments_of(text, piece, to, out);
}

/// unicode-segmentation's segments of `text[from..to]` (on boundaries that hold whatever
/// surrounds it), Han runs cut by the dictionary.
fn segments_of<'a>(text: &'a str, from: usize, to: usize, out: &mut Vec<(usize, &'a str)>) {
    if text.as_bytes()[from..to].is_ascii() {
        // The spaces and ASCII punctuation between the words of pre-tokenized Chinese.
        ascii_segments(text, from, to, out);
    } else {
        let segments = text[from..to]
            .split_word_bound_indices()
            .map(|(at, s)| (from + at, s))
            .collect();
        out.extend(with_cjk_words(text, segments));
    }
}

/// Whether there is a word boundary between `b[c - 1]` and `b[c]` whatever comes before or
/// after them, so that the text on each side can be segmented on its own: an ASCII space
/// followed by an ASCII byte that is not one. A space joins only spaces (WB3d), an ASCII byte
/// is never `Extend`, `Format` or `ZWJ` (WB4), and no rule that looks past its neighbours
/// (WB6/7, WB11/12) can have a space in the middle.
fn sure_boundary(b: &[u8], c: usize) -> bool {
    b[c - 1] == b' ' && b[c].is_ascii() && b[c] != b' '
}

/// The segments of the ASCII bytes `text[from..to]` (`from` and `to` on sure boundaries).
fn ascii_segments<'a>(text: &'a str, from: usize, to: usize, out: &mut Vec<(usize, &'a str)>) {
    let b = &text.as_bytes()[..to];
    let mut i = from;
    while i < to {
        let end = segment_end(b, i);
        out.push((i, &text[i..end]));
        i = end;
    }
}

/// Whether `c` is a Han ideograph (CJK Unified Ideographs and their extensions, and the
/// compatibility block).
pub fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Whether a word is one Han character (the miner lists no such word alone: most are
/// particles and bound morphemes, "的", "了", as a lone function word in English).
pub fn is_single_han(word: &str) -> bool {
    let mut chars = word.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if is_han(c))
}

/// The segmenter for Chinese text, built once on first use (its dictionary takes a few hundred
/// milliseconds to load; text without Han characters never loads it).
fn jieba() -> &'static jieba_rs::Jieba {
    static JIEBA: std::sync::OnceLock<jieba_rs::Jieba> = std::sync::OnceLock::new();
    JIEBA.get_or_init(jieba_rs::Jieba::new)
}

/// UAX #29 gives every Han ideograph a segment of its own (Chinese writes no spaces between
/// words): each run of them is cut into words by jieba's dictionary (with its HMM for words
/// it does not know), so that "征服者" is one word, not three.
fn with_cjk_words<'a>(text: &'a str, segments: Vec<(usize, &'a str)>) -> Vec<(usize, &'a str)> {
    let han = |s: &str| s.chars().next().is_some_and(is_han);
    if !segments.iter().any(|(_, s)| han(s)) {
        return segments;
    }
    let mut out = Vec::with_capacity(segments.len());
    let mut i = 0;
    while i < segments.len() {
        if !han(segments[i].1) {
            out.push(segments[i]);
            i += 1;
            continue;
        }
        let start = segments[i].0;
        let mut end = start + segments[i].1.len();
        i += 1;
        while i < segments.len() && han(segments[i].1) && segments[i].0 == end {
            end += segments[i].1.len();
            i += 1;
        }
        cut_han_run(text, start, end, &mut out);
    }
    out
}

/// The words jieba cuts the Han run `text[start..end]` into.
fn cut_han_run<'a>(text: &'a str, start: usize, end: usize, out: &mut Vec<(usize, &'a str)>) {
    if text[start..end].chars().nth(1).is_none() {
        // One ideograph is one word, whatever the dictionary holds.
        out.push((start, &text[start..end]));
        return;
    }
    let mut at = start;
    for word in jieba().cut(&text[start..end], true) {
        out.push((at, &text[at..at + word.word.len()]));
        at += word.word.len();
    }
    debug_assert_eq!(at, end, "jieba's words cover the run");
}

/// Every segment between word boundaries (as `UnicodeSegmentation::split_word_bounds`).
pub fn word_bounds(text: &str) -> Vec<&str> {
    word_bound_indices(text)
        .into_iter()
        .map(|(_, s)| s)
        .collect()
}

/// The words: segments with a letter or digit (as `UnicodeSegmentation::unicode_words`).
pub fn words(text: &str) -> Box<dyn Iterator<Item = &str> + '_> {
    if !text.is_ascii() {
        return Box::new(
            word_bound_indices(text)
                .into_iter()
                .map(|(_, s)| s)
                .filter(|s| s.chars().any(char::is_alphanumeric)),
        );
    }
    let b = text.as_bytes();
    let mut i = 0;
    Box::new(std::iter::from_fn(move || {
        while i < b.len() {
            let start = i;
            if class(b[i]) == Class::Other {
                i += 1;
                continue;
            }
            i = word_end(b, start);
            let w = &text[start..i];
            if w.bytes().any(|c| c.is_ascii_alphanumeric()) {
                return Some(w);
            }
        }
        None
    }))
}

/// The sentence-break property of an ASCII byte.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SentenceClass {
    Cr,
    Lf,
    Sp,
    Lower,
    Upper,
    Numeric,
    ATerm,
    STerm,
    Close,
    SContinue,
    Other,
}

fn sentence_class(b: u8) -> SentenceClass {
    use SentenceClass::*;
    match b {
        b'\r' => Cr,
        b'\n' => Lf,
        b'\t' | 0x0b | 0x0c | b' ' => Sp,
        b'a'..=b'z' => Lower,
        b'A'..=b'Z' => Upper,
        b'0'..=b'9' => Numeric,
        b'.' => ATerm,
        b'!' | b'?' => STerm,
        b'"' | b'\'' | b'(' | b')' | b'[' | b']' | b'{' | b'}' => Close,
        b',' | b'-' | b':' | b';' => SContinue,
        _ => Other,
    }
}

/// [`sentence_ranges`] by `unicode-segmentation`, for any text.
fn unicode_sentence_ranges(text: &str) -> Vec<(usize, usize)> {
    text.split_sentence_bound_indices()
        .map(|(start, s)| (start, start + s.len()))
        .collect()
}

/// Byte ranges of the sentences of `text` (UAX #29), in order, covering all of it.
pub fn sentence_ranges(text: &str) -> Vec<(usize, usize)> {
    if text.is_ascii() {
        return ascii_sentence_ranges(text);
    }
    // A sentence always ends after a line feed (SB4), and no rule looks past one (SB8's
    // look-ahead stops at a paragraph separator; SB9–SB11 look back only to one): each line
    // is split on its own, the ASCII ones on the fast path.
    let mut out = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let ranges = if line.is_ascii() {
            ascii_sentence_ranges(line)
        } else {
            unicode_sentence_ranges(line)
        };
        out.extend(ranges.into_iter().map(|(a, b)| (at + a, at + b)));
        at += line.len();
    }
    out
}

/// [`sentence_ranges`] of ASCII text.
fn ascii_sentence_ranges(text: &str) -> Vec<(usize, usize)> {
    use SentenceClass::*;
    let c: Vec<SentenceClass> = text.bytes().map(sentence_class).collect();
    let mut out = Vec::new();
    let mut start = 0;
    // SB8's look-ahead: where the last scan for the next letter, newline or terminator ended
    // (every position up to it gives the same answer).
    let mut scanned: Option<(usize, usize)> = None;
    for i in 1..c.len() {
        let (prev, next) = (c[i - 1], c[i]);
        // The left context `SATerm Close* Sp*`: where its terminator is, and whether spaces
        // follow it.
        let term = || {
            let mut j = i;
            while j > 0 && c[j - 1] == Sp {
                j -= 1;
            }
            let spaces = j < i;
            while j > 0 && c[j - 1] == Close {
                j -= 1;
            }
            (j > 0 && matches!(c[j - 1], ATerm | STerm)).then(|| (c[j - 1], spaces))
        };
        let joined = if prev == Cr && next == Lf {
            true // SB3
        } else if matches!(prev, Cr | Lf) {
            false // SB4
        } else if prev == ATerm
            && (next == Numeric || (next == Upper && i >= 2 && matches!(c[i - 2], Upper | Lower)))
        {
            true // SB6, SB7
        } else if let Some((t, spaces)) = term() {
            let sb8 = t == ATerm && {
                let end = match scanned {
                    Some((from, end)) if from <= i && i <= end => end,
                    _ => {
                        let mut k = i;
                        while k < c.len()
                            && !matches!(c[k], Upper | Lower | Cr | Lf | ATerm | STerm)
                        {
                            k += 1;
                        }
                        scanned = Some((i, k));
                        k
                    }
                };
                end < c.len() && c[end] == Lower
            };
            sb8 // SB8
                || matches!(next, SContinue | ATerm | STerm) // SB8a
                || (!spaces && matches!(next, Close | Sp | Cr | Lf)) // SB9
                || matches!(next, Sp | Cr | Lf) // SB10
                                                // else SB11: break
        } else {
            true // SB998
        };
        if !joined {
            out.push((start, i));
            start = i;
        }
    }
    if !c.is_empty() {
        out.push((start, c.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn chinese_is_cut_into_words_not_characters() {
        let text = "最后的征服者骑着他的剑继续前进。Done.";
        let segs = word_bound_indices(text);
        let rebuilt: String = segs.iter().map(|(_, s)| *s).collect();
        assert_eq!(rebuilt, text);
        for (at, s) in &segs {
            assert_eq!(&text[*at..*at + s.len()], *s);
        }
        let w: Vec<&str> = words(text).collect();
        assert!(w.contains(&"征服者"), "{w:?}");
        assert!(w.contains(&"最后"), "{w:?}");
        assert!(w.contains(&"Done"), "{w:?}");
        let han = text.chars().filter(|c| is_han(*c)).count();
        assert!(w.len() - 1 < han * 2 / 3, "words, not characters: {w:?}");
        // German compounds and accents stay whole words.
        let de: Vec<&str> = words("Die Größenänderung der Donaudampfschifffahrt").collect();
        assert_eq!(
            de,
            vec!["Die", "Größenänderung", "der", "Donaudampfschifffahrt"]
        );
        assert!(is_single_han("的") && !is_single_han("征服") && !is_single_han("a"));
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_rules_by_example() {
        let t = "Don't pay $3,000.50 on 2026-11-25: e.g. a_b __ x:y 3.a\r\n  end.";
        assert_eq!(
            words(t).collect::<Vec<_>>(),
            t.unicode_words().collect::<Vec<_>>()
        );
        assert_eq!(word_bounds(t), t.split_word_bounds().collect::<Vec<_>>());
        assert_eq!(
            words(t).collect::<Vec<_>>(),
            [
                "Don't", "pay", "3,000.50", "on", "2026", "11", "25", "e.g", "a_b", "x:y", "3",
                "a", "end"
            ]
        );
        // Non-ASCII text goes to unicode-segmentation, but for runs of Han characters, which
        // are cut into words by a dictionary.
        let u = "naïve café, 👩‍👩‍👧";
        assert_eq!(word_bounds(u), u.split_word_bounds().collect::<Vec<_>>());
        assert_eq!(
            words(u).collect::<Vec<_>>(),
            u.unicode_words().collect::<Vec<_>>()
        );
        assert_eq!(
            words("naïve 日本語").collect::<Vec<_>>(),
            ["naïve", "日本", "語"]
        );
    }

    /// The segments without the ASCII fast path: unicode-segmentation over the whole text,
    /// then Han runs cut by the dictionary.
    fn reference(t: &str) -> Vec<(usize, &str)> {
        with_cjk_words(t, t.split_word_bound_indices().collect())
    }

    #[test]
    fn mixed_text_by_example() {
        for t in [
            "He said \u{201c}no\u{201d} \u{2014} and left. It\u{2019}s fine.",
            "cafe\u{301} au lait, na\u{ef}ve x:y 3.5 \u{1f469}\u{200d}\u{1f469} end",
            "Die Gr\u{f6}\u{df}en\u{e4}nderung  der Donau, 3,5 km. Done \u{5f81}\u{670d}\u{8005} ok",
            " \u{301}a \u{a0}b \u{3000}c a\u{2019}b",
        ] {
            assert_eq!(word_bound_indices(t), reference(t), "{t:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn mixed_sentences_equal_unicode_segmentation(
            t in "([a-bA-B0-1]{0,3}|[.!?]{1,2}|[\"'()]{1,2}|[ \t]{1,2}|[\r\n]{1,2}|[,;:-]|[\u{a0}\u{2019}\u{201d}\u{2014}\u{301}\u{e9}\u{c9}\u{5f81}\u{3002}\u{ff01}\u{2029}\u{85}\u{2028}]{1,2}){0,30}"
        ) {
            prop_assert_eq!(sentence_ranges(&t), unicode_sentence_ranges(&t));
        }

        #[test]
        fn mixed_segments_equal_unicode_segmentation(
            t in "[a-bA0-1_:.',; \t\r\n\u{a0}\u{2019}\u{201c}\u{2014}\u{301}\u{200d}\u{e9}\u{5f81}\u{670d}\u{3000}\u{1f469}\u{1f1e6}-]{0,40}"
        ) {
            prop_assert_eq!(word_bound_indices(&t), reference(&t));
        }

        /// Chinese with what may stand beside its ideographs: punctuation of both kinds,
        /// marks that join the character before them, emoji, kana, digits and Latin words.
        #[test]
        fn chinese_segments_equal_the_reference(
            t in "([\u{4e2d}\u{6587}\u{5f81}\u{670d}\u{8005}\u{4eba}\u{6c11}]{1,6}|[a-c0-2]{1,3}|[ .,'\u{3001}\u{3002}\u{ff0c}\u{ff01}\u{300c}\u{300d}\u{201c}\u{201d}\u{b7}\u{3000}]|[\u{301}\u{200d}\u{fe0f}\u{302a}\u{ad}\u{30a2}\u{30fc}\u{ff21}\u{ff11}\u{1f469}\u{1f1e6}]){0,16}"
        ) {
            prop_assert_eq!(word_bound_indices(&t), reference(&t));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn ascii_segments_equal_unicode_segmentation(
            t in "[a-cA-C0-2_:.',; \\t\\r\\n\"!?$()-]{0,40}"
        ) {
            prop_assert_eq!(word_bound_indices(&t), t.split_word_bound_indices().collect::<Vec<_>>());
            prop_assert_eq!(words(&t).collect::<Vec<_>>(), t.unicode_words().collect::<Vec<_>>());
        }

        #[test]
        fn ascii_sentences_equal_unicode_segmentation(
            t in "([a-cA-C0-2]{0,3}|[.!?]{1,2}|[\"'()\\[\\]{}]{1,2}|[ \t\x0b\x0c]{1,2}|[\r\n]{1,2}|[,;:#-]){0,30}"
        ) {
            prop_assert_eq!(sentence_ranges(&t), unicode_sentence_ranges(&t));
        }

        #[test]
        fn any_ascii_text_splits_into_the_same_sentences(t in "[\\x00-\\x7f]{0,80}") {
            prop_assert_eq!(sentence_ranges(&t), unicode_sentence_ranges(&t));
        }

        #[test]
        fn any_ascii_text_segments_the_same(t in "[\\x00-\\x7f]{0,60}") {
            prop_assert_eq!(word_bound_indices(&t), t.split_word_bound_indices().collect::<Vec<_>>());
            prop_assert_eq!(words(&t).collect::<Vec<_>>(), t.unicode_words().collect::<Vec<_>>());
        }
    }
}
