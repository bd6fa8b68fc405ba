//! Token counts as OpenAI's `cl100k_base` counts them, with a fast path for ASCII text, and the
//! epochs a fine-tuning run would use.

use super::*;

/// The number of `cl100k_base` tokens in `text`, counted with GitHub's `bpe-openai` (a linear
/// BPE that gives exactly tiktoken's encoding, several times faster; a test checks the counts
/// against `tiktoken-rs`).
///
/// ASCII text (nearly every dataset line) takes a fast path: the `cl100k_base` pre-tokenizer
/// pattern is applied by hand-written byte rules ([`ascii_pieces`], equal to the regex by
/// property tests) and each piece's count is remembered per thread, so that common words are
/// encoded once; other text goes through `bpe-openai` as it is.
pub fn tokens(text: &str) -> usize {
    if !text.is_ascii() {
        return bpe_openai::cl100k_base().count(text);
    }
    PIECES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() > PIECE_CACHE {
            cache.clear();
        }
        let bpe = &bpe_openai::cl100k_base().bpe;
        ascii_pieces(text.as_bytes())
            .map(|piece| {
                if piece.len() > 24 {
                    return bpe.count(piece);
                }
                let key = piece_key(piece);
                *cache.entry(key).or_insert_with(|| bpe.count(piece) as u32) as usize
            })
            .sum()
    })
}

/// Pieces remembered per thread before the cache starts over.
pub(super) const PIECE_CACHE: usize = 200_000;

thread_local! {
    static PIECES: std::cell::RefCell<std::collections::HashMap<PieceKey, u32, BuildHasherDefault<IdHasher>>> =
        std::cell::RefCell::new(Default::default());
}

/// A piece of at most 24 bytes as three words (zero-padded, with its length in the top byte).
#[derive(PartialEq, Eq)]
pub(super) struct PieceKey([u64; 3]);

impl std::hash::Hash for PieceKey {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let [a, b, c] = self.0;
        h.write_u64(crate::hash::mix(
            a ^ crate::hash::mix(b ^ crate::hash::mix(c)),
        ));
    }
}

pub(super) fn piece_key(piece: &[u8]) -> PieceKey {
    let mut bytes = [0u8; 24];
    bytes[..piece.len()].copy_from_slice(piece);
    let word = |i: usize| u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    PieceKey([word(0), word(1), word(2) ^ ((piece.len() as u64) << 56)])
}

/// `\s` on ASCII: tab, line feed, vertical tab, form feed, carriage return, space.
pub(super) fn space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

pub(super) fn newline(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

/// Neither white space, nor a letter, nor a digit.
pub(super) fn punct(b: u8) -> bool {
    !space(b) && !b.is_ascii_alphanumeric()
}

/// The pieces that `cl100k_base`'s pre-tokenizer cuts ASCII text into — the pattern
/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|
/// \s*[\r\n]+|\s+(?!\S)|\s+`, leftmost-first, applied by byte rules.
pub(crate) fn ascii_pieces(t: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut i = 0;
    std::iter::from_fn(move || {
        if i >= t.len() {
            return None;
        }
        let start = i;
        let run = |mut j: usize, f: fn(u8) -> bool| {
            while j < t.len() && f(t[j]) {
                j += 1;
            }
            j
        };
        let c = t[i];
        let end = 'piece: {
            // 's 't 're 've 'm 'll 'd, any case.
            if c == b'\'' {
                let lower = |k: usize| t.get(i + k).map(u8::to_ascii_lowercase);
                match lower(1) {
                    Some(b's' | b't' | b'm' | b'd') => break 'piece i + 2,
                    Some(b'r') if lower(2) == Some(b'e') => break 'piece i + 3,
                    Some(b'v') if lower(2) == Some(b'e') => break 'piece i + 3,
                    Some(b'l') if lower(2) == Some(b'l') => break 'piece i + 3,
                    _ => {}
                }
            }
            // An optional non-letter, non-digit, non-newline, then letters.
            if !newline(c)
                && !c.is_ascii_alphanumeric()
                && t.get(i + 1).is_some_and(u8::is_ascii_alphabetic)
            {
                break 'piece run(i + 1, |b| b.is_ascii_alphabetic());
            }
            if c.is_ascii_alphabetic() {
                break 'piece run(i, |b| b.is_ascii_alphabetic());
            }
            // One to three digits.
            if c.is_ascii_digit() {
                break 'piece run(i, |b| b.is_ascii_digit()).min(i + 3);
            }
            // An optional space, punctuation, then newlines.
            let p = if c == b' ' && t.get(i + 1).is_some_and(|b| punct(*b)) {
                i + 1
            } else {
                i
            };
            if punct(t[p]) {
                break 'piece run(run(p, punct), newline);
            }
            // White space: up to its last newline; else all of it at the end of the text; else
            // all but its last character; else the one character.
            let ws = run(i, space);
            if let Some(last) = (i..ws).rev().find(|k| newline(t[*k])) {
                break 'piece last + 1;
            }
            if ws == t.len() || ws - i == 1 {
                break 'piece ws;
            }
            ws - 1
        };
        i = end;
        Some(&t[start..end])
    })
}

/// The cookbook's token estimate of one example line (any shape), or 0 if it is malformed.
pub fn example_tokens(v: &Value) -> usize {
    messages(v).map_or(0, |(_, ms)| {
        3 + ms
            .iter()
            .map(|m| 3 + tokens(m.content) + usize::from(m.has_name))
            .sum::<usize>()
    })
}

/// The cookbook's default epochs: 3, raised so that examples × epochs ≥ 100, lowered so that
/// it ≤ 25,000, within 1..=25.
pub fn default_epochs(examples: usize) -> u32 {
    let n = examples.max(1) as f64;
    let mut e = 3.0f64;
    if n * e < 100.0 {
        e = (100.0 / n).ceil().min(25.0);
    } else if n * e > 25_000.0 {
        e = (25_000.0 / n).floor().max(1.0);
    }
    e as u32
}

#[cfg(test)]
mod token_tests {
    use super::{ascii_pieces, tokens};
    use proptest::prelude::*;

    fn reference(text: &str) -> usize {
        use std::sync::OnceLock;
        static B: OnceLock<tiktoken_rs::CoreBPE> = OnceLock::new();
        B.get_or_init(|| tiktoken_rs::cl100k_base().unwrap())
            .encode_ordinary(text)
            .len()
    }

    #[test]
    fn counts_equal_tiktoken_on_sample_texts_and_edge_cases() {
        let mut texts: Vec<String> = crate::sample::generate(&crate::sample::SampleSpec {
            count: 300,
            ..Default::default()
        })
        .into_iter()
        .flat_map(|s| [s.ai_output, s.final_output, s.intent])
        .collect();
        texts.extend(
            [
                "",
                " ",
                "Hello, world!",
                "naïve café — déjà vu",
                "日本語のテキストです。",
                "emoji 👩‍👩‍👧‍👦 and 🇩🇪 flags",
                "    indented\n\n\ttabs\r\nCRLF",
                "1234567890 3.14159 1e-10",
                "<|endoftext|> is ordinary text here",
            ]
            .map(String::from),
        );
        for t in &texts {
            assert_eq!(tokens(t), reference(t), "{t:?}");
        }
    }

    proptest! {
        #[test]
        fn counts_equal_tiktoken_on_any_text(t in "\\PC{0,200}") {
            prop_assert_eq!(tokens(&t), reference(&t));
        }

        #[test]
        fn ascii_pieces_equal_the_pretokenizer_regex(
            t in "([a-zA-Z]{1,6}|[0-9]{1,5}|'(s|t|re|ve|m|ll|d|S|RE|x)?|[ \t\r\n\x0b\x0c]{1,4}|[.,;:!?()\\[\\]{}<>/\\\\\"#$%&*+=@^_`|~-]{1,3}){0,40}"
        ) {
            let ours: Vec<&[u8]> = ascii_pieces(t.as_bytes()).collect();
            let theirs: Vec<&[u8]> = bpe_openai::cl100k_base().split(&t).map(str::as_bytes).collect();
            prop_assert_eq!(ours, theirs);
            prop_assert_eq!(tokens(&t), bpe_openai::cl100k_base().count(t.as_str()));
        }

        #[test]
        fn ascii_pieces_equal_the_regex_on_any_ascii(t in "[\\x00-\\x7f]{0,120}") {
            let ours: Vec<&[u8]> = ascii_pieces(t.as_bytes()).collect();
            let theirs: Vec<&[u8]> = bpe_openai::cl100k_base().split(&t).map(str::as_bytes).collect();
            prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn ascii_pieces_by_hand() {
        let pieces = |t: &str| -> Vec<String> {
            ascii_pieces(t.as_bytes())
                .map(|p| String::from_utf8(p.to_vec()).unwrap())
                .collect()
        };
        assert_eq!(
            pieces("I'm here, aren't we?"),
            ["I", "'m", " here", ",", " aren", "'t", " we", "?"]
        );
        assert_eq!(pieces("12345 x"), ["123", "45", " x"]);
        assert_eq!(pieces("a  b"), ["a", " ", " b"]);
        assert_eq!(pieces("end  "), ["end", "  "]);
        assert_eq!(pieces("one\n\n  two"), ["one", "\n\n", " ", " two"]);
        assert_eq!(pieces(" ...\n"), [" ...\n"]);
        assert_eq!(pieces("'sand"), ["'s", "and"]);
    }
}
