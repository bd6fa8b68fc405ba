//! The small non-cryptographic hashes used across the crate (keys, fingerprints, splits),
//! stable across builds and platforms.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The FNV-1a (64 bit) offset basis, to start [`fnv1a`] from.
pub(crate) const FNV_SEED: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a (64 bit) over `bytes`, continuing from `h` (start from [`FNV_SEED`]).
pub(crate) fn fnv1a(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// FNV-1a (64 bit) over several parts, each followed by a 0xff byte (which UTF-8 text never
/// holds), so that ("ab", "c") and ("a", "bc") differ.
pub(crate) fn fnv1a_parts<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    parts
        .into_iter()
        .fold(FNV_SEED, |h, part| fnv1a(fnv1a(h, part), &[0xff]))
}

/// SplitMix64's finaliser: spreads a hash's low-bit differences over the whole word, and
/// turns one hash into many independent-looking ones.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Keys that are hashes already are used as they are.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(*b) ^ (self.0 >> 56);
        }
    }
    fn write_u32(&mut self, n: u32) {
        // Spread a 32-bit hash over the high bits too (hashbrown reads the top 7).
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A map keyed by a hash.
pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// FNV-1a (32 bit) of a word, lower-cased.
pub(crate) fn word_hash(w: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    if w.is_ascii() {
        for b in w.bytes() {
            h = (h ^ u32::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0193);
        }
    } else {
        let mut buf = [0u8; 4];
        for c in w.chars().flat_map(char::to_lowercase) {
            for b in c.encode_utf8(&mut buf).bytes() {
                h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
            }
        }
    }
    h
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_values() {
        // FNV-1a 64 reference values (the FNV authors' test suite).
        assert_eq!(super::fnv1a(super::FNV_SEED, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(super::fnv1a(super::FNV_SEED, b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(
            super::fnv1a(super::FNV_SEED, b"foobar"),
            0x8594_4171_f739_67e8
        );
        // Parts are separated.
        assert_ne!(
            super::fnv1a_parts([&b"ab"[..], b"c"]),
            super::fnv1a_parts([&b"a"[..], b"bc"])
        );
        // Continuing a hash is hashing the concatenation.
        assert_eq!(
            super::fnv1a(super::fnv1a(super::FNV_SEED, b"foo"), b"bar"),
            super::fnv1a(super::FNV_SEED, b"foobar")
        );
    }
}
