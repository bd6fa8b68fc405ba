//! Duplicate examples: exact (the same intent and approved text, after normalising white
//! space and case) and near (MinHash over word 5-shingles: 64 hash functions, locality-
//! sensitive hashing in 16 bands of 4 rows, and an estimated Jaccard similarity of at least
//! [`NEAR`]). The first example of a group is kept.

use super::Example;
use std::collections::{HashMap, HashSet};
use unicode_segmentation::UnicodeSegmentation;

/// Estimated Jaccard similarity of the 5-shingles from which two examples are near duplicates.
pub const NEAR: f64 = 0.9;
const HASHES: usize = 64;
const BANDS: usize = 16;
const ROWS: usize = HASHES / BANDS;
const SHINGLE: usize = 5;

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
        let text = format!("{prompt}\u{1}{reply}");
        let words: Vec<String> = text.unicode_words().map(str::to_lowercase).collect();
        if !self.exact.insert(fnv(words.join(" ").as_bytes(), 0)) {
            return Verdict::Exact;
        }
        if words.len() < SHINGLE {
            return self.remember(None);
        }
        let mut sig = [u32::MAX; HASHES];
        for w in words.windows(SHINGLE) {
            let base = fnv(w.join(" ").as_bytes(), 1);
            for (k, slot) in sig.iter_mut().enumerate() {
                let v = mix(base ^ (k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)) as u32;
                if v < *slot {
                    *slot = v;
                }
            }
        }
        let mut candidates = HashSet::new();
        for (b, band) in self.bands.iter().enumerate() {
            let key = fnv(
                bytemuck_u32(&sig[b * ROWS..(b + 1) * ROWS]).as_slice(),
                b as u64,
            );
            if let Some(list) = band.get(&key) {
                candidates.extend(list.iter().copied());
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
