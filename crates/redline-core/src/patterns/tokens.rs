//! One pass of Unicode segmentation per text, shared by every measure of a settlement: the
//! words (UAX #29) with their byte ranges, a hash of each lower-cased word, and the sentence
//! each word belongs to.

pub(crate) use crate::hash::{word_hash, IdHasher, IdMap};

/// Fold the next word into an n-gram's hash (start from [`GRAM_SEED`]).
pub(crate) fn fold(h: u64, word: u32) -> u64 {
    (h ^ u64::from(word)).wrapping_mul(0x0100_0000_01b3)
}
pub(crate) const GRAM_SEED: u64 = crate::hash::FNV_SEED;

pub(crate) struct Tokens<'a> {
    pub text: &'a str,
    /// Every word-boundary token (words, spaces, punctuation), for the diff.
    pub all: Vec<&'a str>,
    /// Byte range of each word.
    pub spans: Vec<(usize, usize)>,
    /// [`word_hash`] of each word.
    pub hashes: Vec<u32>,
    /// The sentence of each word.
    pub sentence_of: Vec<u32>,
    /// Byte range of each sentence.
    pub sentences: Vec<(usize, usize)>,
}

impl<'a> Tokens<'a> {
    /// One word segmentation and one sentence segmentation of `text`.
    pub fn of(text: &'a str) -> Tokens<'a> {
        let mut t = Tokens::segment(text, true);
        t.sentences = crate::text::sentence_ranges(text);
        let mut sentence = 0usize;
        for (k, &(start, _)) in t.spans.iter().enumerate() {
            while sentence + 1 < t.sentences.len() && t.sentences[sentence].1 <= start {
                sentence += 1;
            }
            t.sentence_of[k] = sentence as u32;
        }
        t
    }

    /// The words of `text` alone, without its sentences (`sentences` empty, every word in
    /// sentence 0) and without the other tokens (`all` empty): for a reader that has where
    /// sentences start from elsewhere and diffs nothing.
    pub fn words(text: &'a str) -> Tokens<'a> {
        Tokens::segment(text, false)
    }

    /// The words of `text` with their spans and hashes, every word in sentence 0; with
    /// `all`, every word-boundary token too.
    fn segment(text: &'a str, all: bool) -> Tokens<'a> {
        let cap = text.len() / 5;
        let mut t = Tokens {
            text,
            all: Vec::with_capacity(if all { cap * 2 } else { 0 }),
            spans: Vec::with_capacity(cap),
            hashes: Vec::with_capacity(cap),
            sentence_of: Vec::new(),
            sentences: Vec::new(),
        };
        for (start, w) in crate::text::word_bound_indices(text) {
            if all {
                t.all.push(w);
            }
            if !w.chars().any(char::is_alphanumeric) {
                continue;
            }
            t.spans.push((start, start + w.len()));
            t.hashes.push(word_hash(w));
        }
        t.sentence_of = vec![0; t.hashes.len()];
        t
    }

    pub fn word(&self, i: usize) -> &'a str {
        let (a, b) = self.spans[i];
        &self.text[a..b]
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_sentences_and_case() {
        let t = Tokens::of("Hello World. Größe, GRÖSSE! don't");
        assert_eq!(t.len(), 5);
        assert_eq!(t.word(2), "Größe");
        assert_eq!(t.sentence_of, vec![0, 0, 1, 1, 2]);
        assert_eq!(word_hash("Hello"), word_hash("hello"));
        assert_eq!(word_hash("GRÖSSE"), word_hash("grösse"));
        assert_ne!(word_hash("größe"), word_hash("grösse"));
        assert_eq!(t.word(4), "don't");
        // The words alone: the same words and hashes, no sentences.
        let w = Tokens::words("Hello World. Größe, GRÖSSE! don't");
        assert_eq!((w.hashes.clone(), w.spans.clone()), (t.hashes, t.spans));
        assert!(w.sentences.is_empty() && w.sentence_of.iter().all(|s| *s == 0));
    }
}
