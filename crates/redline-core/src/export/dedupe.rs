//! Duplicate examples: exact (the same intent and approved text, after normalising white
//! space and case) and near (one-permutation MinHash over word 5-shingles: 64 bins with
//! densification, locality-sensitive hashing in 16 bands of 4 rows, and an estimated Jaccard
//! similarity of at least [`NEAR`]). The first example of a group is kept.

use super::Example;
use crate::patterns::tokens::word_hash;
use std::collections::{HashMap, HashSet};

/// Estimated Jaccard similarity of the 5-shingles from which two examples are near duplicates.
pub const NEAR: f64 = 0.9;
const HASHES: usize = 64;
const BANDS: usize = 16;
const ROWS: usize = HASHES / BANDS;
const SHINGLE: usize = 5;
/// Candidates compared per band.
const MAX_BUCKET: usize = 32;

pub enum Verdict {
    New,
    Exact,
    Near,
}

fn fnv(bytes: &[u8], seed: u64) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325 ^ seed, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// SplitMix64 finaliser: turns one hash into many independent-looking ones.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

pub struct Seen {
    exact: HashSet<u64>,
    signatures: Vec<[u32; HASHES]>,
    bands: Vec<HashMap<u64, Vec<usize>>>,
}

impl Seen {
    pub fn new() -> Seen {
        Seen {
            exact: HashSet::new(),
            signatures: Vec::new(),
            bands: (0..BANDS).map(|_| HashMap::new()).collect(),
        }
    }

    pub fn check(&mut self, e: &Example) -> Verdict {
        self.check_text(&e.user, &e.chosen)
    }

    /// Whether a (prompt, reply) pair repeats one seen before.
    pub fn check_text(&mut self, prompt: &str, reply: &str) -> Verdict {
        // Lower-cased word hashes of both texts, with a marker between them.
        let mut hashes: Vec<u64> = Vec::with_capacity((prompt.len() + reply.len()) / 5);
        hashes.extend(crate::text::words(prompt).map(|w| u64::from(word_hash(w))));
        hashes.push(u64::MAX);
        hashes.extend(crate::text::words(reply).map(|w| u64::from(word_hash(w))));
        let exact = hashes
            .iter()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, w| mix(h ^ w));
        if !self.exact.insert(exact) {
            return Verdict::Exact;
        }
        if hashes.len() < SHINGLE + 1 {
            return self.remember(None);
        }
        // One-permutation MinHash: each shingle hash falls in one of 64 bins and keeps the
        // bin's minimum; empty bins borrow the next non-empty bin's value (densification).
        let mut sig = [u32::MAX; HASHES];
        for w in hashes.windows(SHINGLE) {
            let h = mix(w
                .iter()
                .fold(0x9e37_79b9_7f4a_7c15u64, |a, b| a.rotate_left(13) ^ b));
            let bin = (h % HASHES as u64) as usize;
            let v = (h >> 32) as u32;
            if v < sig[bin] {
                sig[bin] = v;
            }
        }
        for i in 0..HASHES {
            if sig[i] == u32::MAX {
                let mut j = (i + 1) % HASHES;
                while sig[j] == u32::MAX {
                    j = (j + 1) % HASHES;
                }
                sig[i] = sig[j] ^ (i as u32).wrapping_mul(0x9e37_79b9);
            }
        }
        let mut candidates = HashSet::new();
        for (b, band) in self.bands.iter().enumerate() {
            let key = fnv(
                bytemuck_u32(&sig[b * ROWS..(b + 1) * ROWS]).as_slice(),
                b as u64,
            );
            if let Some(list) = band.get(&key) {
                // The most recent few of a crowded bucket: templated texts would otherwise make
                // this quadratic.
                candidates.extend(list.iter().rev().take(MAX_BUCKET).copied());
            }
        }
        for c in candidates {
            let same = self.signatures[c]
                .iter()
                .zip(&sig)
                .filter(|(a, b)| a == b)
                .count();
            if same as f64 / HASHES as f64 >= NEAR {
                return Verdict::Near;
            }
        }
        self.remember(Some(sig))
    }

    fn remember(&mut self, sig: Option<[u32; HASHES]>) -> Verdict {
        if let Some(sig) = sig {
            let i = self.signatures.len();
            for (b, band) in self.bands.iter_mut().enumerate() {
                let key = fnv(
                    bytemuck_u32(&sig[b * ROWS..(b + 1) * ROWS]).as_slice(),
                    b as u64,
                );
                band.entry(key).or_default().push(i);
            }
            self.signatures.push(sig);
        }
        Verdict::New
    }
}

fn bytemuck_u32(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}
