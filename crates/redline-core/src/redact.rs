//! PII redaction for training data: e-mail addresses, phone numbers, payment card numbers
//! (Luhn-checked), IBANs (mod-97-checked), IP addresses, US social security numbers, URLs
//! that carry credentials or tokens, and common API-key and secret formats.
//!
//! Each finding is replaced by a placeholder `<KIND_n>`; within one [`Redactor`] (one training
//! example) the same value always gets the same placeholder, so "<EMAIL_1> wrote to
//! <EMAIL_2>, then <EMAIL_1> replied" keeps who is who. Checksums keep ordinary numbers (order
//! ids, amounts, dates) out: a 16-digit number that fails Luhn is not a card.

use regex::{Regex, RegexSet};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// What was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Email,
    Phone,
    Card,
    Iban,
    Ip,
    Ssn,
    SecretUrl,
    ApiKey,
}

impl Kind {
    pub fn placeholder(self) -> &'static str {
        match self {
            Kind::Email => "EMAIL",
            Kind::Phone => "PHONE",
            Kind::Card => "CARD",
            Kind::Iban => "IBAN",
            Kind::Ip => "IP",
            Kind::Ssn => "SSN",
            Kind::SecretUrl => "URL_WITH_SECRET",
            Kind::ApiKey => "SECRET",
        }
    }
}

#[derive(Clone)]
struct Patterns {
    /// In priority order: earlier kinds win where matches overlap.
    list: Vec<(Kind, Regex)>,
    /// All of them at once: one pass tells which can match a text at all, so a text without
    /// findings is read once rather than once per pattern.
    any: RegexSet,
}

thread_local! {
    /// Each thread's own copy: a clone shares the compiled patterns but has its own search
    /// caches, so threads do not contend for one shared cache pool.
    static LOCAL: Patterns = patterns().clone();
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("valid pattern");
        let list = vec![
                // URLs with user:password@ or a token-like query parameter.
                (
                    Kind::SecretUrl,
                    re(r"(?i)\b[a-z][a-z0-9+.-]*://(?:[^\s/@:]+:[^\s/@]+@[^\s]+|[^\s?#]+\?[^\s#]*\b(?:token|access_token|api_key|apikey|key|secret|password|sig|signature|auth)=[^\s&#]+[^\s]*)"),
                ),
                // Provider key formats and bearer tokens.
                (
                    Kind::ApiKey,
                    re(r"\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|ntn_[A-Za-z0-9]{40,}|secret_[A-Za-z0-9]{40,}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})|(?i:bearer\s+)[A-Za-z0-9._~+/-]{20,}=*"),
                ),
                (
                    Kind::ApiKey,
                    re(r#"(?i)\b(?:api[_-]?key|secret|password|passwd|token|client[_-]?secret)\s*[:=]\s*["']?[^\s"',;]{8,}"#),
                ),
                (
                    Kind::Email,
                    re(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b"),
                ),
                (
                    Kind::Iban,
                    re(r"(?i)\b[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b"),
                ),
                // 13–19 digits, optionally grouped by spaces or dashes.
                (Kind::Card, re(r"\b(?:\d[ -]?){12,18}\d\b")),
                (Kind::Ssn, re(r"\b\d{3}-\d{2}-\d{4}\b")),
                (
                    Kind::Ip,
                    re(r"\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b|(?i)\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|(?i)\b(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}:){0,5}[0-9a-f]{1,4}\b"),
                ),
                // Phone numbers: an international +CC number, or a (NNN) NNN-NNNN / NNN-NNN-NNNN
                // style number; at least 9 digits.
                (
                    Kind::Phone,
                    re(r"(?:\+\d{1,3}[ .-]?)(?:\(?\d{1,4}\)?[ .-]?){2,5}\d{2,4}\b|\(\d{3}\)\s?\d{3}[ .-]\d{4}\b|\b\d{3}[.-]\d{3}[.-]\d{4}\b"),
                ),
            ];
        let any = RegexSet::new(list.iter().map(|(_, r)| r.as_str())).expect("valid patterns");
        Patterns { list, any }
    })
}

/// Luhn's checksum (payment cards).
pub fn luhn(digits: &str) -> bool {
    let ds: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    if ds.len() < 13 || ds.len() > 19 {
        return false;
    }
    let sum: u32 = ds
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                *d
            }
        })
        .sum();
    sum % 10 == 0
}

/// The IBAN check (ISO 13616: move the first four characters to the end, letters → 10..35,
/// the number mod 97 must be 1), with the length of its country where known.
pub fn iban_valid(text: &str) -> bool {
    let s: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if s.len() < 15 || s.len() > 34 || !s.is_ascii() {
        return false;
    }
    const LENGTHS: [(&str, usize); 20] = [
        ("DE", 22),
        ("GB", 22),
        ("FR", 27),
        ("ES", 24),
        ("IT", 27),
        ("NL", 18),
        ("BE", 16),
        ("CH", 21),
        ("AT", 20),
        ("IE", 22),
        ("PL", 28),
        ("PT", 25),
        ("SE", 24),
        ("DK", 18),
        ("NO", 15),
        ("FI", 18),
        ("LU", 20),
        ("CZ", 24),
        ("GR", 27),
        ("HU", 28),
    ];
    if let Some((_, n)) = LENGTHS.iter().find(|(c, _)| s.starts_with(c)) {
        if s.len() != *n {
            return false;
        }
    }
    let rearranged = format!("{}{}", &s[4..], &s[..4]);
    let mut rem: u32 = 0;
    for c in rearranged.chars() {
        let v = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        for d in if v >= 10 {
            vec![v / 10, v % 10]
        } else {
            vec![v]
        } {
            rem = (rem * 10 + d) % 97;
        }
    }
    rem == 1
}

fn checked(kind: Kind, found: &str) -> bool {
    match kind {
        Kind::Card => luhn(found),
        Kind::Iban => iban_valid(found),
        Kind::Ssn => {
            // Never issued: area 000, 666 or 9xx; group 00; serial 0000.
            let p: Vec<&str> = found.split('-').collect();
            p.len() == 3
                && !matches!(p[0], "000" | "666")
                && !p[0].starts_with('9')
                && p[1] != "00"
                && p[2] != "0000"
        }
        Kind::Phone => found.chars().filter(char::is_ascii_digit).count() >= 9,
        _ => true,
    }
}

/// One finding, for previews.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    pub kind: Kind,
    pub placeholder: String,
}

/// Redacts the texts of one example with consistent placeholders.
#[derive(Default)]
pub struct Redactor {
    seen: HashMap<(Kind, String), String>,
    next: BTreeMap<Kind, usize>,
    /// How many findings of each kind, over every text given.
    pub counts: BTreeMap<Kind, usize>,
}

impl Redactor {
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// The text with every finding replaced by its placeholder.
    pub fn redact(&mut self, text: &str) -> String {
        // Collect non-overlapping matches, earlier kinds first.
        let spans = LOCAL.with(|p| Self::findings(p, text));
        if spans.is_empty() {
            return text.to_owned();
        }
        self.replace(text, spans)
    }

    /// Non-overlapping findings, earlier kinds first, sorted by position.
    fn findings(p: &Patterns, text: &str) -> Vec<(usize, usize, Kind)> {
        let mut spans: Vec<(usize, usize, Kind)> = Vec::new();
        // Most texts hold nothing: one earliest-match pass says so; only then which patterns.
        if !p.any.is_match(text) {
            return spans;
        }
        let candidates = p.any.matches(text);
        for (kind, re) in candidates.iter().map(|i| &p.list[i]) {
            for m in re.find_iter(text) {
                let s = m.start();
                let found = m.as_str().trim_end_matches(['.', ',', ')', ';']);
                let e = s + found.len();
                if !checked(*kind, found) {
                    continue;
                }
                if spans.iter().any(|(a, b, _)| s < *b && *a < e) {
                    continue;
                }
                spans.push((s, e, *kind));
            }
        }
        spans.sort_by_key(|s| s.0);
        spans
    }

    fn replace(&mut self, text: &str, spans: Vec<(usize, usize, Kind)>) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (s, e, kind) in spans {
            out.push_str(&text[at..s]);
            let value = text[s..e].to_owned();
            let placeholder = match self.seen.get(&(kind, value.clone())) {
                Some(p) => p.clone(),
                None => {
                    let n = self.next.entry(kind).or_insert(0);
                    *n += 1;
                    let p = format!("<{}_{}>", kind.placeholder(), n);
                    self.seen.insert((kind, value), p.clone());
                    p
                }
            };
            *self.counts.entry(kind).or_default() += 1;
            out.push_str(&placeholder);
            at = e;
        }
        out.push_str(&text[at..]);
        out
    }
}

/// Whether a text still holds something the redactor would replace.
pub fn has_pii(text: &str) -> Vec<Kind> {
    let mut r = Redactor::new();
    r.redact(text);
    r.counts.into_keys().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn checksums_by_hand() {
        assert!(luhn("4111 1111 1111 1111"));
        assert!(luhn("5500-0000-0000-0004"));
        assert!(!luhn("4111 1111 1111 1112"));
        assert!(iban_valid("DE89 3704 0044 0532 0130 00"));
        assert!(iban_valid("GB82WEST12345698765432"));
        assert!(!iban_valid("DE89 3704 0044 0532 0130 01"));
    }

    #[test]
    fn each_kind_is_found_and_placeholders_are_consistent() {
        let mut r = Redactor::new();
        let text = "Mail dana@example.com or call +1 415 555 0134; card 4111 1111 1111 1111, \
                    IBAN DE89 3704 0044 0532 0130 00, server 10.0.0.12, SSN 123-45-6789, \
                    https://user:hunter2@db.example.com/x and key sk-proj-abcdefghijklmnopqrstuvwx. \
                    Again: dana@example.com.";
        let out = r.redact(text);
        for leaked in [
            "dana@example.com",
            "555 0134",
            "4111",
            "DE89",
            "10.0.0.12",
            "123-45-6789",
            "hunter2",
            "sk-proj",
        ] {
            assert!(!out.contains(leaked), "{leaked} in {out}");
        }
        assert_eq!(out.matches("<EMAIL_1>").count(), 2, "{out}");
        assert!(out.contains("<CARD_1>") && out.contains("<IBAN_1>") && out.contains("<SSN_1>"));
        assert!(
            out.contains("<IP_1>")
                && out.contains("<URL_WITH_SECRET_1>")
                && out.contains("<SECRET_1>")
        );
        assert!(out.contains("<PHONE_1>"), "{out}");
        assert_eq!(r.counts[&Kind::Email], 2);
    }

    #[test]
    fn ordinary_numbers_and_words_are_left_alone() {
        for text in [
            "Order 1234567890123456 shipped on 2026-11-20 for $1,299.00.",
            "Revenue grew 12.5% to 4,250,000 in Q3; 3 of 4 steps are done.",
            "Version 2.1.0 of the policy, page 12, section 4.3.",
            "Call the operations lead tomorrow at 9:30 about invoice 2024-001.",
            "The ratio is 3:2 and the IDs are 000-00-0000 and 999-12-3456.",
        ] {
            let mut r = Redactor::new();
            assert_eq!(r.redact(text), text, "changed: {:?}", r.counts);
        }
    }

    fn card_with_luhn(prefix: u64, body: u64) -> String {
        let digits = format!("{}{:011}", prefix, body % 100_000_000_000);
        // Append the Luhn check digit.
        for check in 0..10 {
            let candidate = format!("{digits}{check}");
            if luhn(&candidate) {
                return candidate;
            }
        }
        unreachable!()
    }

    proptest! {
        #[test]
        fn generated_emails_cards_and_ibans_never_survive(
            user in "[a-z][a-z0-9._]{0,12}[a-z0-9]", domain in "[a-z]{2,10}", tld in "(com|org|de|io|co\\.uk)",
            prefix in 4000u64..4999, body in any::<u64>(), before in "[A-Za-z ,.]{0,30}", after in "[A-Za-z ,.]{0,30}",
            bank in 10_000_000u64..99_999_999, account in 0u64..9_999_999_999,
        ) {
            let email = format!("{user}@{domain}.{tld}");
            let card = card_with_luhn(prefix, body);
            // A German IBAN with a correct check number.
            let bban = format!("{bank:08}{account:010}");
            let check = 98 - {
                let s = format!("{bban}131400");
                s.chars().fold(0u64, |r, c| (r * 10 + c.to_digit(10).unwrap() as u64) % 97)
            };
            let iban = format!("DE{check:02}{bban}");
            prop_assert!(iban_valid(&iban), "{}", iban);
            let text = format!("{before} {email} {after} {card} {before} {iban} {after}");
            let out = Redactor::new().redact(&text);
            prop_assert!(!out.contains(&email), "{}", out);
            prop_assert!(!out.contains(&card), "{}", out);
            prop_assert!(!out.contains(&iban), "{}", out);
        }
    }
}
