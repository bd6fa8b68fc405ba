//! Duplicate examples: exact (the same intent and approved text, after normalising white
//! space and case) and near (one-permutation MinHash over word 5-shingles: 64 bins with
//! densification, and an estimated Jaccard similarity of at least [`NEAR_PERCENT`] %, i.e. at least 58
//! of the 64 bins equal). The first example of a group is kept.
//!
//! Candidates come from 16 bands of 4 bins: two signatures that differ in at most 6 bins
//! differ in at most 6 bands, so a near duplicate shares at least 10 of the 16 band keys — it
//! is certain to sit in at least 4 of any 10 of the new example's band buckets. Only the 10
//! smallest buckets are read, and only what sits in 4 of them is compared bin by bin: exact with
//! respect to the definition (nothing is sampled or truncated), and cheap even when templated
//! texts crowd some buckets.

use crate::hash::{mix, word_hash, IdHasher, IdMap, FNV_SEED};
use std::collections::HashSet;
use std::hash::BuildHasherDefault;

/// Estimated Jaccard similarity (percent) of the 5-shingles of near duplicates.
pub const NEAR_PERCENT: usize = 90;
const HASHES: usize = 64;
const BANDS: usize = 16;
const ROWS: usize = HASHES / BANDS;
const SHINGLE: usize = 5;
/// Bins in which a near duplicate may differ: 64 − ⌈0.9 × 64⌉ = 6.
const MAY_DIFFER: usize = HASHES - (NEAR_PERCENT * HASHES).div_ceil(100);
/// Band buckets read per check, and the buckets of those a near duplicate must be in.
const READ: usize = 10;
const MUST_MEET: u8 = (READ - MAY_DIFFER) as u8;

pub enum Verdict {
    New,
    Exact,
    Near,
}

/// What de-duplication needs of one example, computed without the shared state (so on any
/// thread): the exact key and, for texts of at least six words, the MinHash signature.
#[derive(Default)]
pub struct Signature {
    exact: u64,
    minhash: Option<[u32; HASHES]>,
}

impl Signature {
    /// The signature of a (prompt, reply) pair.
    pub fn of(prompt: &str, reply: &str) -> Signature {
        let words = |t: &str| crate::text::words(t).map(word_hash).collect::<Vec<u32>>();
        Signature::of_words(&words(prompt), &words(reply))
    }

    /// The signature from the lower-cased word hashes ([`word_hash`]) of the prompt and the
    /// reply.
    pub fn of_words(prompt: &[u32], reply: &[u32]) -> Signature {
        // Both texts' words, with a marker between them.
        let mut hashes: Vec<u64> = Vec::with_capacity(prompt.len() + reply.len() + 1);
        hashes.extend(prompt.iter().map(|w| u64::from(*w)));
        hashes.push(u64::MAX);
        hashes.extend(reply.iter().map(|w| u64::from(*w)));
        let exact = hashes.iter().fold(FNV_SEED, |h, w| mix(h ^ w));
        if hashes.len() < SHINGLE + 1 {
            return Signature {
                exact,
                minhash: None,
            };
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
        Signature {
            exact,
            minhash: Some(sig),
        }
    }
}

/// Whether two signatures agree in at least [`NEAR_PERCENT`] % of their bins.
fn near(a: &[u32; HASHES], b: &[u32; HASHES]) -> bool {
    a.iter().zip(b).filter(|(p, q)| p != q).count() <= MAY_DIFFER
}

fn band_key(sig: &[u32; HASHES], band: usize) -> u64 {
    sig[band * ROWS..(band + 1) * ROWS]
        .iter()
        .fold(FNV_SEED ^ band as u64, |h, v| mix(h ^ u64::from(*v)))
}

pub struct Seen {
    exact: HashSet<u64, BuildHasherDefault<IdHasher>>,
    signatures: Vec<[u32; HASHES]>,
    /// Per signature: the number of the last check that met it in a band, and in how many
    /// bands it met it then.
    met: Vec<(u32, u8)>,
    checks: u32,
    candidates: Vec<u32>,
    bands: Vec<IdMap<u64, Vec<u32>>>,
}

impl Default for Seen {
    fn default() -> Self {
        Seen::new()
    }
}

impl Seen {
    pub fn new() -> Seen {
        Seen {
            exact: HashSet::default(),
            signatures: Vec::new(),
            met: Vec::new(),
            checks: 0,
            candidates: Vec::new(),
            bands: (0..BANDS).map(|_| IdMap::default()).collect(),
        }
    }

    /// Whether the example of this signature repeats one seen before (remembering it if not).
    pub fn check_signature(&mut self, s: &Signature) -> Verdict {
        if !self.exact.insert(s.exact) {
            return Verdict::Exact;
        }
        let Some(sig) = &s.minhash else {
            return Verdict::New;
        };
        self.checks += 1;
        let keys: [u64; BANDS] = std::array::from_fn(|b| band_key(sig, b));
        self.candidates.clear();
        let mut lists: [&[u32]; BANDS] = [&[]; BANDS];
        for ((list, band), key) in lists.iter_mut().zip(&self.bands).zip(&keys) {
            if let Some(l) = band.get(key) {
                *list = l;
            }
        }
        lists.sort_unstable_by_key(|l| l.len());
        for list in &lists[..READ] {
            for &c in *list {
                let m = &mut self.met[c as usize];
                if m.0 != self.checks {
                    *m = (self.checks, 0);
                    self.candidates.push(c);
                }
                m.1 += 1;
            }
        }
        for &c in &self.candidates {
            if self.met[c as usize].1 >= MUST_MEET && near(&self.signatures[c as usize], sig) {
                return Verdict::Near;
            }
        }
        let i = self.signatures.len() as u32;
        for (band, key) in self.bands.iter_mut().zip(keys) {
            band.entry(key).or_default().push(i);
        }
        self.signatures.push(*sig);
        self.met.push((0, 0));
        Verdict::New
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signature(seed: u64) -> [u32; HASHES] {
        std::array::from_fn(|i| mix(seed.wrapping_mul(1000) + i as u64) as u32)
    }

    fn check(seen: &mut Seen, sig: [u32; HASHES], exact: u64) -> Verdict {
        seen.check_signature(&Signature {
            exact,
            minhash: Some(sig),
        })
    }

    #[test]
    fn the_allowance_follows_from_the_threshold() {
        assert_eq!(MAY_DIFFER, 6);
    }

    #[test]
    fn up_to_six_differing_bins_is_near_and_seven_is_not() {
        let base = signature(1);
        for differ in 0..=8usize {
            let mut seen = Seen::new();
            assert!(matches!(check(&mut seen, base, 1), Verdict::New));
            // Spread the changes over bands, the hardest case for banding.
            let mut other = base;
            for k in 0..differ {
                other[k * ROWS] ^= 0xdead_beef;
            }
            let near = matches!(check(&mut seen, other, 2), Verdict::Near);
            assert_eq!(near, differ <= MAY_DIFFER, "{differ} bins differ");
        }
    }

    #[test]
    fn crowded_buckets_do_not_hide_a_near_duplicate() {
        let mut seen = Seen::new();
        let base = signature(7);
        assert!(matches!(check(&mut seen, base, 0), Verdict::New));
        // 5,000 examples sharing the base's first 8 bands (32 bins) and nothing else: far from
        // the base, but they crowd 8 of its buckets.
        for n in 1..=5000u64 {
            let mut s = signature(10_000 + n);
            s[..8 * ROWS].copy_from_slice(&base[..8 * ROWS]);
            assert!(matches!(check(&mut seen, s, n), Verdict::New));
        }
        // A near duplicate of the base: one bin changed in each of 6 of the other bands.
        let mut dup = base;
        for band in 8..14 {
            dup[band * ROWS] ^= 1;
        }
        assert!(matches!(check(&mut seen, dup, 99_999), Verdict::Near));
        // The same text again is an exact duplicate.
        assert!(matches!(check(&mut seen, dup, 99_999), Verdict::Exact));
    }

    #[test]
    fn texts_end_to_end() {
        let mut seen = Seen::new();
        let a = "Summarise the quarterly numbers for the board in three short bullet points please";
        let reply = "Revenue grew 12 percent, costs stayed flat, and cash covers eighteen months of runway.";
        assert!(matches!(
            seen.check_signature(&Signature::of(a, reply)),
            Verdict::New
        ));
        assert!(matches!(
            seen.check_signature(&Signature::of(&a.to_uppercase(), reply)),
            Verdict::Exact
        ));
        let other =
            "Write a haiku about the sea at dawn with gulls and a fishing boat leaving harbour";
        assert!(matches!(
            seen.check_signature(&Signature::of(other, reply)),
            Verdict::New
        ));
    }
}
