//! An entry's words as the miner keeps them: each word's number in the miner's [`Dict`] (words
//! numbered as first seen, so the common ones get small numbers) with its flags, as a varint,
//! in one boxed slice. On 100k long documents a word took 5 bytes as a hash and a flag byte;
//! packed, it takes about two (docs/benchmarks.md). The words are unpacked into a [`Words`]
//! where they are read: the second pass, the examples, a removed entry's n-grams.

use super::*;

/// An entry's words, unpacked: word hashes and flags.
#[derive(Default)]
pub(super) struct Words {
    /// Word hashes of the AI output.
    pub(super) ai: Vec<u32>,
    /// Per AI word: [`DELETED`], [`REPLACED`], [`START`] (of a sentence).
    pub(super) ai_flags: Vec<u8>,
    /// Word hashes of the added words, run after run.
    pub(super) added: Vec<u32>,
    /// Per added word: [`START`] of a run (a new sentence or a new insertion).
    pub(super) added_flags: Vec<u8>,
}

impl Words {
    /// Whether the `n` AI-output words from `i` were all taken out ([`DELETED`]: deleted or
    /// replaced) or all replaced ([`REPLACED`]), as `flag` says.
    pub(super) fn edited_at(&self, i: usize, n: usize, flag: u8) -> bool {
        self.ai_flags[i..i + n].iter().all(|f| f & flag != 0)
    }
}

/// The bits an AI word's flags take in its packed number.
const AI_FLAG_BITS: u32 = 3;

/// Word hashes numbered in the order first seen.
#[derive(Default)]
pub(super) struct Dict {
    hashes: Vec<u32>,
    numbers: IdMap<u32, u32>,
}

impl Dict {
    fn number(&mut self, hash: u32) -> u64 {
        let next = self.hashes.len() as u32;
        let n = *self.numbers.entry(hash).or_insert(next);
        if n == next {
            self.hashes.push(hash);
        }
        u64::from(n)
    }

    /// `w` packed: the AI output's length, its words, then the added words.
    pub(super) fn pack(&mut self, w: &Words) -> Box<[u8]> {
        let mut out = Vec::with_capacity(2 * (w.ai.len() + w.added.len()) + 3);
        put(&mut out, w.ai.len() as u64);
        for (h, f) in w.ai.iter().zip(&w.ai_flags) {
            debug_assert!(u32::from(*f) < 1 << AI_FLAG_BITS);
            let v = self.number(*h) << AI_FLAG_BITS | u64::from(*f);
            put(&mut out, v);
        }
        for (h, f) in w.added.iter().zip(&w.added_flags) {
            let v = self.number(*h) << 1 | u64::from(f & START != 0);
            put(&mut out, v);
        }
        out.into_boxed_slice()
    }

    /// Unpack `bytes` (made by [`Dict::pack`] of this dictionary) into `out`.
    pub(super) fn unpack(&self, bytes: &[u8], out: &mut Words) {
        out.ai.clear();
        out.ai_flags.clear();
        out.added.clear();
        out.added_flags.clear();
        let mut at = self.each_ai(bytes, |number, flags| {
            out.ai.push(self.hashes[number as usize]);
            out.ai_flags.push(flags);
        });
        while at < bytes.len() {
            let v = take(bytes, &mut at);
            out.added.push(self.hashes[(v >> 1) as usize]);
            out.added_flags.push(if v & 1 == 1 { START } else { 0 });
        }
    }

    /// Each AI-output word of `bytes` (made by [`Dict::pack`]) in order: its number in this
    /// dictionary (below [`Dict::len`]) and its flags, without reading the added words; returns
    /// where they start.
    pub(super) fn each_ai(&self, bytes: &[u8], mut f: impl FnMut(u32, u8)) -> usize {
        let mut at = 0;
        let n = take(bytes, &mut at) as usize;
        for _ in 0..n {
            let v = take(bytes, &mut at);
            f(
                (v >> AI_FLAG_BITS) as u32,
                (v & ((1 << AI_FLAG_BITS) - 1)) as u8,
            );
        }
        at
    }

    /// The words numbered so far.
    pub(super) fn len(&self) -> usize {
        self.hashes.len()
    }

    /// The hash of the word numbered `number`.
    pub(super) fn hash_of(&self, number: u32) -> u32 {
        self.hashes[number as usize]
    }

    /// The `n` words from `start` of `side` (the AI output's or the added words) of `bytes`,
    /// without unpacking the rest (an n-gram's words, read at one occurrence).
    pub(super) fn words_at(&self, bytes: &[u8], side: Side, start: usize, n: usize) -> Vec<u32> {
        let mut at = 0;
        let ai = take(bytes, &mut at) as usize;
        let (skip, shift) = match side {
            Side::Deleted | Side::Replaced => (start, AI_FLAG_BITS),
            Side::Added => (ai + start, 1),
        };
        at = skip_varints(bytes, at, skip);
        (0..n)
            .map(|_| self.hashes[(take(bytes, &mut at) >> shift) as usize])
            .collect()
    }

    /// The heap it holds, in bytes (an estimate, as [`Miner::heap`]).
    pub(super) fn heap(&self) -> usize {
        self.hashes.capacity() * 4 + self.numbers.capacity() * 8 / 7 * 9
    }
}

/// Append `v` as a LEB128 varint.
fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Where the `k` varints from `at` end. A varint ends at a byte below 0x80: they are counted
/// eight bytes at a time (an n-gram's words are read this way for every frequent n-gram).
fn skip_varints(bytes: &[u8], mut at: usize, mut k: usize) -> usize {
    while let Some(eight) = bytes.get(at..at + 8) {
        let w = u64::from_le_bytes(eight.try_into().expect("eight bytes"));
        let ends = (!w & 0x8080_8080_8080_8080).count_ones() as usize;
        // Fewer than `k`: the bytes after the last end belong to a varint still to skip.
        if ends >= k {
            break;
        }
        k -= ends;
        at += 8;
    }
    while k > 0 {
        k -= usize::from(bytes[at] < 0x80);
        at += 1;
    }
    at
}

/// The varint at `*at`, moving past it.
fn take(bytes: &[u8], at: &mut usize) -> u64 {
    let (mut v, mut shift) = (0u64, 0);
    loop {
        let b = bytes[*at];
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return v;
        }
        shift += 7;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_come_back_as_packed() {
        let mut dict = Dict::default();
        let w = Words {
            ai: vec![7, u32::MAX, 7, 0, 123_456],
            ai_flags: vec![
                START,
                DELETED,
                DELETED | REPLACED,
                0,
                START | DELETED | REPLACED,
            ],
            added: vec![u32::MAX, 9, 9],
            added_flags: vec![START, 0, START],
        };
        let other = Words {
            ai: (0..1000).collect(),
            ai_flags: vec![0; 1000],
            ..Words::default()
        };
        let packed_other = dict.pack(&other);
        let packed = dict.pack(&w);
        let mut back = Words::default();
        dict.unpack(&packed, &mut back);
        assert_eq!(
            (&back.ai, &back.ai_flags, &back.added, &back.added_flags),
            (&w.ai, &w.ai_flags, &w.added, &w.added_flags)
        );
        assert_eq!(dict.words_at(&packed, Side::Deleted, 1, 3), w.ai[1..4]);
        assert_eq!(dict.words_at(&packed, Side::Replaced, 4, 1), w.ai[4..]);
        assert_eq!(dict.words_at(&packed, Side::Added, 1, 2), w.added[1..]);
        dict.unpack(&packed_other, &mut back);
        assert_eq!(back.ai, other.ai);
        assert!(back.added.is_empty());
        // The common words of the first entry take two bytes with their flags (numbers < 2048).
        assert!(packed_other.len() < 2 * 1000 + 2, "{}", packed_other.len());
        for k in [0, 1, 7, 8, 9, 500, 999] {
            assert_eq!(
                dict.words_at(&packed_other, Side::Deleted, k, 1),
                [k as u32]
            );
        }
        let empty = dict.pack(&Words::default());
        assert_eq!(&*empty, &[0]);
        dict.unpack(&empty, &mut back);
        assert!(back.ai.is_empty() && back.added.is_empty());
    }
}
