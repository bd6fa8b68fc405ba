//! Checksums and shape rules that tell a real identifier from a number of the same length:
//! Luhn (cards), ISO 13616 mod 97 (IBAN), Verhoeff (Aadhaar), Base58Check and Bech32/Bech32m
//! (Bitcoin), EIP-55 (Ethereum), and the issuing rules of US social security and tax numbers,
//! UK National Insurance numbers and Indian PANs.

use sha2::{Digest, Sha256};
use sha3::Keccak256;

/// Luhn's checksum (payment cards): 13 to 19 digits, any separators ignored.
pub fn luhn(digits: &str) -> bool {
    let ds: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    if ds.len() < 13 || ds.len() > 19 {
        return false;
    }
    let sum: u32 = ds
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| match (i % 2 == 1, d * 2) {
            (true, x) if x > 9 => x - 9,
            (true, x) => x,
            (false, _) => d,
        })
        .sum();
    sum % 10 == 0
}

/// IBAN lengths by country (the SWIFT IBAN registry).
const IBAN_LENGTHS: [(&str, usize); 79] = [
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("LY", 25),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SC", 31),
    ("SD", 18),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
];

/// The IBAN check (ISO 13616: move the first four characters to the end, letters → 10..35,
/// the number mod 97 must be 1), with the length of its country where known.
pub fn iban_valid(text: &str) -> bool {
    let s: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if s.len() < 15 || s.len() > 34 || !s[..2].iter().all(u8::is_ascii_alphabetic) {
        return false;
    }
    if !s[2..4].iter().all(u8::is_ascii_digit) {
        return false;
    }
    if let Some((_, n)) = IBAN_LENGTHS.iter().find(|(c, _)| c.as_bytes() == &s[..2]) {
        if s.len() != *n {
            return false;
        }
    }
    let mut rem: u32 = 0;
    for &c in s[4..].iter().chain(&s[..4]) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// Verhoeff's dihedral checksum (Aadhaar numbers).
pub fn verhoeff(digits: &str) -> bool {
    const D: [[u8; 10]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const P: [[u8; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    let ds: Vec<u8> = digits.bytes().filter(u8::is_ascii_digit).collect();
    if ds.is_empty() {
        return false;
    }
    let c = ds.iter().rev().enumerate().fold(0u8, |c, (i, &d)| {
        D[c as usize][P[i % 8][(d - b'0') as usize] as usize]
    });
    c == 0
}

/// An Aadhaar number: 12 digits, the first not 0 or 1, Verhoeff-checked, not a palindrome.
pub fn aadhaar(digits: &str) -> bool {
    let ds: Vec<u8> = digits.bytes().filter(u8::is_ascii_digit).collect();
    ds.len() == 12
        && ds[0] >= b'2'
        && !ds.iter().eq(ds.iter().rev())
        && verhoeff(std::str::from_utf8(&ds).unwrap_or(""))
}

const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// A Base58Check Bitcoin address (P2PKH `1…`, P2SH `3…`): 25 bytes whose last four are the
/// first four of the double SHA-256 of the rest.
pub fn base58check(s: &str) -> bool {
    let mut bytes: Vec<u8> = Vec::with_capacity(32);
    for c in s.bytes() {
        let Some(mut carry) = BASE58.iter().position(|&b| b == c).map(|v| v as u32) else {
            return false;
        };
        for b in bytes.iter_mut().rev() {
            carry += u32::from(*b) * 58;
            *b = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            bytes.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
        if bytes.len() > 64 {
            return false;
        }
    }
    let zeros = s.bytes().take_while(|&c| c == b'1').count();
    let mut full = vec![0u8; zeros];
    full.extend(bytes);
    if full.len() != 25 {
        return false;
    }
    let (body, check) = full.split_at(21);
    let hash = Sha256::digest(Sha256::digest(body));
    &hash[..4] == check
}

/// A Bech32 (BIP-173) or Bech32m (BIP-350) address with the `bc` prefix.
pub fn bech32(s: &str) -> bool {
    const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let lower = s.to_ascii_lowercase();
    if lower != s && s.to_ascii_uppercase() != s {
        return false;
    }
    let Some(sep) = lower.rfind('1') else {
        return false;
    };
    let (hrp, data) = (&lower[..sep], &lower[sep + 1..]);
    if hrp != "bc" || data.len() < 6 {
        return false;
    }
    let mut values = Vec::with_capacity(hrp.len() * 2 + 1 + data.len());
    values.extend(hrp.bytes().map(|b| u32::from(b >> 5)));
    values.push(0);
    values.extend(hrp.bytes().map(|b| u32::from(b & 31)));
    for c in data.bytes() {
        match CHARSET.iter().position(|&b| b == c) {
            Some(v) => values.push(v as u32),
            None => return false,
        }
    }
    const GEN: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x1ff_ffff) << 5) ^ v;
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk == 1 || chk == 0x2bc8_30a3
}

/// An Ethereum address in EIP-55 mixed-case form, whose capitals are the checksum. An address
/// in one case carries no checksum and cannot be told from any other 160-bit hex value.
pub fn eip55(s: &str) -> bool {
    let Some(hex) = s.strip_prefix("0x") else {
        return false;
    };
    if hex.len() != 40 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return false;
    }
    let has_upper = hex.bytes().any(|c| c.is_ascii_uppercase());
    let has_lower = hex.bytes().any(|c| c.is_ascii_lowercase());
    if !(has_upper && has_lower) {
        return false;
    }
    let hash = Keccak256::digest(hex.to_ascii_lowercase().as_bytes());
    hex.bytes().enumerate().all(|(i, c)| {
        let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0xf;
        match c {
            b'a'..=b'f' => nibble < 8,
            b'A'..=b'F' => nibble >= 8,
            _ => true,
        }
    })
}

/// Numbers published as examples (the Woolworth wallet card, "123-45-6789", the Social
/// Security Administration's advertising numbers), never anyone's.
const SAMPLE_SSNS: [&str; 4] = ["078051120", "123456789", "219099999", "457555462"];

/// A US social security number by the issuing rules: area not 000, 666 or 9xx, group not 00,
/// serial not 0000, not one digit repeated, not a published sample.
pub fn ssn(digits: &str) -> bool {
    let d: Vec<u8> = digits.bytes().filter(u8::is_ascii_digit).collect();
    d.len() == 9
        && &d[..3] != b"000"
        && &d[..3] != b"666"
        && d[0] != b'9'
        && &d[3..5] != b"00"
        && &d[5..] != b"0000"
        && !d.iter().all(|&c| c == d[0])
        && !SAMPLE_SSNS.iter().any(|s| s.as_bytes() == d.as_slice())
}

/// A US individual taxpayer number (ITIN): 9xx, group 50–65, 70–88, 90–92 or 94–99.
pub fn itin(digits: &str) -> bool {
    let d: Vec<u8> = digits.bytes().filter(u8::is_ascii_digit).collect();
    if d.len() != 9 || d[0] != b'9' {
        return false;
    }
    let g = u32::from(d[3] - b'0') * 10 + u32::from(d[4] - b'0');
    matches!(g, 50..=65 | 70..=88 | 90..=92 | 94..=99)
}

/// A UK National Insurance number by HMRC's rules: two prefix letters (the first not D, F, I,
/// Q, U or V; the second not D, F, I, O, Q, U or V; not BG, GB, KN, NK, NT, TN or ZZ), six
/// digits, a suffix A–D.
pub fn nino(s: &str) -> bool {
    let c: Vec<u8> = s
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if c.len() != 9
        || !c[..2].iter().all(u8::is_ascii_alphabetic)
        || !c[2..8].iter().all(u8::is_ascii_digit)
        || !(b'A'..=b'D').contains(&c[8])
    {
        return false;
    }
    !b"DFIQUV".contains(&c[0])
        && !b"DFIOQUV".contains(&c[1])
        && !matches!(
            &c[..2],
            b"BG" | b"GB" | b"KN" | b"NK" | b"NT" | b"TN" | b"ZZ"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_by_hand() {
        assert!(luhn("4111 1111 1111 1111"));
        assert!(luhn("5500-0000-0000-0004"));
        assert!(!luhn("4111 1111 1111 1112"));
        assert!(iban_valid("DE89 3704 0044 0532 0130 00"));
        assert!(iban_valid("GB82WEST12345698765432"));
        assert!(!iban_valid("DE89 3704 0044 0532 0130 01"));
        // Verhoeff: the check digit of 236 is 3.
        assert!(verhoeff("2363"));
        assert!(!verhoeff("2364"));
        assert!(aadhaar("3123 4567 8909"));
        assert!(!aadhaar("1234 5678 9012"));
        assert!(base58check("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"));
        assert!(!base58check("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"));
        assert!(bech32("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"));
        assert!(!bech32("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"));
        assert!(eip55("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
        assert!(!eip55("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"));
        assert!(!eip55("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"));
        assert!(ssn("536-22-1234") && !ssn("666-22-1234") && !ssn("078-05-1120"));
        assert!(itin("912-80-3456") && !itin("912-40-3456"));
        assert!(nino("AB 12 34 56 C") && !nino("GB 12 34 56 C") && !nino("AB 12 34 56 E"));
    }
}
