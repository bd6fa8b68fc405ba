//! Redaction of personal data and secrets in training data, at the level of Microsoft
//! Presidio's predefined recognizers for structured data, offline.
//!
//! What is found (docs/export.md lists it with what is not):
//! - secrets: private key blocks (PEM, PGP), URLs with credentials or token parameters,
//!   webhook URLs (Slack, Discord), provider key formats (OpenAI, Anthropic, AWS, GitHub,
//!   GitLab, Slack, Stripe, Google, Hugging Face, SendGrid, npm, Notion, JWTs, bearer tokens),
//!   and labelled secrets in prose, JSON, YAML, env and URL syntax (`password: x`,
//!   `"api_key": "x"`, `DB_PASSWORD=x`);
//! - e-mail addresses; phone numbers (candidates checked by libphonenumber's metadata through
//!   the `phonenumber` crate, international or in the national formats of 12 countries);
//! - payment cards (Luhn), IBANs (mod 97 and the country's length), IPv4 and IPv6 addresses
//!   (with CIDR and zone), MAC addresses, Bitcoin (Base58Check, Bech32/Bech32m) and Ethereum
//!   (EIP-55) addresses;
//! - national ids: US social security and taxpayer numbers (issuing rules), UK National
//!   Insurance numbers (HMRC's prefix rules), Indian PAN and Aadhaar (Verhoeff), passport and
//!   other ids after their label;
//! - identity: people's names (gazetteers plus titles and greetings, see [`names`]), street
//!   addresses and UK postcodes, dates of birth after "born", "DOB" or "date of birth".
//!
//! Each finding is replaced by a placeholder `<KIND_n>`; within one [`Redactor`] (one training
//! example) the same value always gets the same placeholder, so "<EMAIL_1> wrote to
//! <EMAIL_2>, then <EMAIL_1> replied" keeps who is who. Checksums keep ordinary numbers (order
//! ids, amounts, dates) out: a 16-digit number that fails Luhn is not a card.

mod checks;
mod names;

pub use checks::{iban_valid, luhn};

use regex::{Captures, Regex, RegexSet};
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
    Mac,
    Crypto,
    Ssn,
    NationalId,
    SecretUrl,
    ApiKey,
    PrivateKey,
    Person,
    Address,
    BirthDate,
}

impl Kind {
    pub fn placeholder(self) -> &'static str {
        match self {
            Kind::Email => "EMAIL",
            Kind::Phone => "PHONE",
            Kind::Card => "CARD",
            Kind::Iban => "IBAN",
            Kind::Ip => "IP",
            Kind::Mac => "MAC",
            Kind::Crypto => "CRYPTO_ADDRESS",
            Kind::Ssn => "SSN",
            Kind::NationalId => "ID_NUMBER",
            Kind::SecretUrl => "URL_WITH_SECRET",
            Kind::ApiKey => "SECRET",
            Kind::PrivateKey => "PRIVATE_KEY",
            Kind::Person => "NAME",
            Kind::Address => "ADDRESS",
            Kind::BirthDate => "BIRTH_DATE",
        }
    }

    /// Every kind, in the order findings are looked for.
    pub const ALL: [Kind; 15] = [
        Kind::PrivateKey,
        Kind::SecretUrl,
        Kind::ApiKey,
        Kind::Email,
        Kind::Crypto,
        Kind::Iban,
        Kind::Card,
        Kind::NationalId,
        Kind::Ssn,
        Kind::Mac,
        Kind::Ip,
        Kind::Phone,
        Kind::BirthDate,
        Kind::Address,
        Kind::Person,
    ];
}

/// A check of one match: the span to redact (a match may hold more than the finding: a label,
/// a neighbouring number) and its kind, or nothing when it is not one.
type Check = fn(&str, &Captures) -> Option<(usize, usize, Kind)>;

struct Recognizer {
    kind: Kind,
    re: Regex,
    check: Check,
}

struct Patterns {
    /// In priority order: earlier recognizers win where findings overlap.
    list: Vec<Recognizer>,
    /// All of them at once: one pass tells which can match a text at all, so a text without
    /// findings is read once rather than once per pattern.
    any: RegexSet,
}

impl Clone for Patterns {
    fn clone(&self) -> Self {
        Patterns {
            list: self
                .list
                .iter()
                .map(|r| Recognizer {
                    kind: r.kind,
                    re: r.re.clone(),
                    check: r.check,
                })
                .collect(),
            any: self.any.clone(),
        }
    }
}

thread_local! {
    /// Each thread's own copy: a clone shares the compiled patterns but has its own search
    /// caches, so threads do not contend for one shared cache pool.
    static LOCAL: Patterns = patterns().clone();
}

/// The whole match (or its group 1 when there is one) as the finding.
fn whole(kind: Kind) -> impl Fn(&Captures) -> (usize, usize, Kind) {
    move |c| {
        let m = c.get(1).unwrap_or_else(|| c.get(0).expect("match"));
        (m.start(), m.end(), kind)
    }
}

fn secret(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    Some(whole(Kind::ApiKey)(c))
}
fn secret_url(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    let t = m.as_str().trim_end_matches(['.', ',', ')', ';', '\'', '"']);
    Some((m.start(), m.start() + t.len(), Kind::SecretUrl))
}
fn private_key(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    Some(whole(Kind::PrivateKey)(c))
}
fn email(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    Some(whole(Kind::Email)(c))
}

/// Labelled secrets: the value only, and only when it looks like one. After a password label
/// any word of 4+ characters is taken; after a key or token label the value must be 8+
/// characters with a digit, or 16+ (so `token_type: bearer` and `max_tokens=4096` stay).
fn labelled_secret(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let label = c.name("label")?.as_str().to_ascii_lowercase();
    let v = c.name("q1").or(c.name("q2")).or(c.name("v"))?;
    let value = v.as_str();
    let password = ["pass", "pwd"].iter().any(|p| label.contains(p));
    let ok = if password {
        value.chars().count() >= 4
    } else {
        let n = value.chars().count();
        (n >= 8 && value.chars().any(|c| c.is_ascii_digit())) || n >= 16
    };
    // "The password is incorrect": after "is" a plain word is prose, not a password.
    let prose = c
        .name("sep")
        .is_some_and(|s| s.as_str().eq_ignore_ascii_case("is"))
        && value.chars().all(|c| c.is_ascii_lowercase());
    if !ok || prose || value.starts_with('<') {
        return None;
    }
    Some((v.start(), v.end(), Kind::ApiKey))
}

fn crypto(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    let s = m.as_str();
    let ok = if s.starts_with("0x") {
        checks::eip55(s)
    } else if s.to_ascii_lowercase().starts_with("bc1") {
        checks::bech32(s)
    } else {
        checks::base58check(s)
    };
    ok.then_some((m.start(), m.end(), Kind::Crypto))
}

/// The groups of a grouped number ("4111 1111 1111 1111"): byte spans of its runs of
/// letters and digits.
fn groups(s: &str, base: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_alphanumeric() {
            let j = (i..b.len())
                .find(|&j| !b[j].is_ascii_alphanumeric())
                .unwrap_or(b.len());
            out.push((base + i, base + j));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// The best run of whole groups of a match that passes `ok`: a card or an IBAN written next
/// to another number ("qty 2 4111 …") or a word ("… 3000 then"), or several in a row. Runs
/// with one kind of separator throughout are preferred, then longer ones, then the leftmost.
fn best_window(
    text: &str,
    c: &Captures,
    kind: Kind,
    ok: impl Fn(&str) -> bool,
) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    let gs = groups(m.as_str(), m.start());
    let uniform = |i: usize, j: usize| {
        let seps: Vec<&str> = (i..j).map(|k| &text[gs[k].1..gs[k + 1].0]).collect();
        seps.windows(2).all(|w| w[0] == w[1])
    };
    let mut best: Option<(bool, usize, usize, usize)> = None;
    for i in 0..gs.len() {
        for j in i..gs.len() {
            let (s, e) = (gs[i].0, gs[j].1);
            if e - s > 48 {
                break;
            }
            let score = (uniform(i, j), e - s);
            if best.is_some_and(|(u, l, _, _)| (u, l) >= score) {
                continue;
            }
            if ok(&text[s..e]) {
                best = Some((score.0, score.1, s, e));
            }
        }
    }
    best.map(|(_, _, s, e)| (s, e, kind))
}

/// How card numbers are grouped when they are: fours (the last group shorter), or 4-6-5 and
/// 4-6-4 (American Express, Diners).
fn card_grouping(s: &str) -> bool {
    let gs: Vec<usize> = s
        .split([' ', '-'])
        .filter(|g| !g.is_empty())
        .map(str::len)
        .collect();
    match gs.as_slice() {
        [_] => true,
        [4, 6, 5] | [4, 6, 4] => true,
        [init @ .., last] => init.iter().all(|&g| g == 4) && (1..=4).contains(last),
        [] => false,
    }
}

fn card(text: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let found = best_window(text, c, Kind::Card, |s| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || b == b' ' || b == b'-')
            && card_grouping(s)
            && checks::luhn(s)
    })?;
    // A book or product number (ISBN-13 and EAN-13 start 978/979) or one labelled as an
    // order or reference is not a card.
    let digits: String = text[found.0..found.1]
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let label = before(text, found.0, 16);
    let book = (digits.len() == 13 && (digits.starts_with("978") || digits.starts_with("979")))
        || has_word(&label, &["isbn", "ean", "gtin"]);
    (!book).then_some(found)
}

fn iban(text: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    best_window(text, c, Kind::Iban, checks::iban_valid)
}

fn aadhaar(text: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    // Not groups of a longer colon-, dash- or dot-separated value (an IPv6 address, a MAC); a
    // full stop after it ends the sentence.
    let sep = |c: char| c == ':' || c == '-' || c == '.';
    let mut after = text[m.end()..].chars();
    let glued_after =
        after.next().is_some_and(sep) && after.next().is_some_and(|c| c.is_ascii_alphanumeric());
    if text[..m.start()].chars().next_back().is_some_and(sep) || glued_after {
        return None;
    }
    checks::aadhaar(m.as_str()).then_some((m.start(), m.end(), Kind::NationalId))
}

/// The lower-cased text of up to `n` bytes before `at`.
fn before(text: &str, at: usize, n: usize) -> String {
    let mut s = at.saturating_sub(n);
    while !text.is_char_boundary(s) {
        s += 1;
    }
    text[s..at].to_lowercase()
}

/// Labels that say a number is something other than a person's id.
const NOT_PERSONAL: [&str; 16] = [
    "order",
    "invoice",
    "ticket",
    "tracking",
    "ref",
    "reference",
    "sku",
    "isbn",
    "part",
    "po",
    "case",
    "item",
    "batch",
    "serial",
    "build",
    "shipment",
];

/// Whether one of `words` is a whole word of `label`.
fn has_word(label: &str, words: &[&str]) -> bool {
    label
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| words.contains(&w))
}

/// Nine digits: a social security or taxpayer number by its issuing rules, unless a label
/// just before says it is something else (an order, an invoice…). Written with dashes, dots or
/// spaces the shape is taken as the label.
fn nine_digits(text: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    let s = m.as_str();
    let grouped = !s.bytes().all(|b| b.is_ascii_digit());
    let label = before(text, m.start(), 24);
    if !grouped && has_word(&label, &NOT_PERSONAL) {
        return None;
    }
    if label.contains("passport") {
        return Some((m.start(), m.end(), Kind::NationalId));
    }
    if checks::ssn(s) {
        Some((m.start(), m.end(), Kind::Ssn))
    } else if checks::itin(s) {
        Some((m.start(), m.end(), Kind::NationalId))
    } else {
        None
    }
}

fn nino(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    checks::nino(m.as_str()).then_some((m.start(), m.end(), Kind::NationalId))
}

fn national_id(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let v = c.name("v").or(c.get(0))?;
    let s = v.as_str().trim_end_matches([' ', '-']);
    (s.bytes().filter(u8::is_ascii_digit).count() >= 4).then_some((
        v.start(),
        v.start() + s.len(),
        Kind::NationalId,
    ))
}

/// A 10-character code of capitals and digits holding a letter and four digits in a row.
/// Not after a label such as order, invoice or ticket (as for ungrouped nine-digit numbers).
fn pan_shape(text: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    if has_word(&before(text, m.start(), 24), &NOT_PERSONAL) {
        return None;
    }
    let b = m.as_str().as_bytes();
    let letter = b.iter().any(u8::is_ascii_uppercase);
    let four = b.windows(4).any(|w| w.iter().all(u8::is_ascii_digit));
    (letter && four).then_some((m.start(), m.end(), Kind::NationalId))
}

fn mac(text: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    // Not the middle of an IPv6 address or a longer hex run.
    let after = text[m.end()..].bytes().next();
    let glued = matches!(after, Some(b':' | b'-'))
        && text[m.end() + 1..]
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_hexdigit());
    // The broadcast and the null address name no device.
    let hex: String = m.as_str().chars().filter(char::is_ascii_hexdigit).collect();
    let no_device = hex.eq_ignore_ascii_case("ffffffffffff") || hex == "000000000000";
    (!glued && !no_device).then_some((m.start(), m.end(), Kind::Mac))
}

/// An IPv4 address, with its CIDR suffix when that is valid.
fn ipv4(text: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    let addr = c.name("addr")?;
    let after = text[m.end()..].bytes().next();
    if after.is_some_and(|b| b.is_ascii_alphanumeric()) && c.name("cidr").is_none() {
        return None;
    }
    match c.name("cidr") {
        Some(p) if p.as_str().parse::<u32>().is_ok_and(|n| n <= 32) => {
            Some((m.start(), m.end(), Kind::Ip))
        }
        _ => Some((addr.start(), addr.end(), Kind::Ip)),
    }
}

/// An IPv6 address (any compression, embedded IPv4, zone, CIDR), checked by the standard
/// library's parser; not glued to a word ("std::cout", "fe80::1text").
fn ipv6(text: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    let addr = c.name("addr")?;
    // A sentence's full stop is not part of the address.
    let a = addr.as_str().trim_end_matches('.');
    let addr_end = addr.start() + a.len();
    let prev = text[..m.start()].chars().next_back();
    if prev.is_some_and(|p| p.is_alphanumeric() || p == ':' || p == '.' || p == '_') {
        return None;
    }
    let (zone, cidr) = if a.len() < addr.as_str().len() {
        (None, None)
    } else {
        (c.name("zone"), c.name("cidr"))
    };
    let end = match (zone, cidr) {
        (_, Some(p)) if p.as_str().parse::<u32>().is_ok_and(|n| n <= 128) => m.end(),
        (Some(z), _) => z.end(),
        _ => addr_end,
    };
    let rest = &text[end..];
    let mut next = rest.chars();
    match next.next() {
        Some(n) if n.is_alphanumeric() || n == '_' || n == ':' => return None,
        Some('.') if next.next().is_some_and(|d| d.is_ascii_digit()) => return None,
        _ => {}
    }
    a.parse::<std::net::Ipv6Addr>().ok()?;
    Some((m.start(), end, Kind::Ip))
}

/// Countries whose national formats are tried for a number without `+`: those Presidio
/// tries, and a few more.
const PHONE_REGIONS: [phonenumber::country::Id; 12] = {
    use phonenumber::country::Id::*;
    [US, GB, DE, FR, IL, IN, CA, BR, AU, ES, IT, NL]
};

/// A phone number: an international number (`+`) or a national one written with separators
/// or parentheses, valid by libphonenumber's metadata for its country; a bare run of digits
/// only after a word such as "phone", "call" or "tel". Dates, times and versions are not.
fn phone(text: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    let s = m.as_str().trim_end_matches([' ', '-', '.', '/']);
    let end = m.start() + s.len();
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    let prev = text[..m.start()].chars().next_back();
    if prev.is_some_and(|p| p.is_alphanumeric() || p == '.' || p == '-' || p == '/') {
        return None;
    }
    if text[end..]
        .chars()
        .next()
        .is_some_and(|n| n.is_alphanumeric())
    {
        return None;
    }
    let international = s.starts_with('+');
    let separated = s
        .bytes()
        .any(|b| matches!(b, b' ' | b'-' | b'.' | b'(' | b')'));
    let label = before(text, m.start(), 24);
    let labelled = [
        "phone", "call", "tel", "mobile", "cell", "fax", "whatsapp", "text me", "sms", "ph:",
        "ph.", "contact", "reach",
    ]
    .iter()
    .any(|w| label.contains(w));
    if !(international || (separated && digits >= 9) || (labelled && digits >= 7)) {
        return None;
    }
    if !international && DATE_LIKE.with(|d| d.is_match(s)) {
        return None;
    }
    // National numbers are written in groups of two or more digits ("10.0.19041.1" and
    // "20261203.4" are versions and builds).
    let digit_groups: Vec<&str> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    if !international && digit_groups.iter().any(|g| g.len() < 2) {
        return None;
    }
    if !international && !labelled {
        // Without a label: a date inside ("84 06.06.2012"), or thousands separators
        // ("960.000.000"), is not a phone number; and the number must look like one: a
        // trunk 0, an area code in parentheses, or a last group of four digits ("129 130 131"
        // is a list).
        if DATE_INSIDE.with(|d| d.is_match(s)) {
            return None;
        }
        let thousands = digit_groups.len() > 1 && digit_groups[1..].iter().all(|g| g.len() == 3);
        if thousands && !s.contains(['(', '-', '/']) {
            return None;
        }
        let looks = s.starts_with('0')
            || s.starts_with('(')
            || digit_groups.last().is_some_and(|g| g.len() >= 4);
        if !looks {
            return None;
        }
    }
    let valid = if international {
        // Written with its country code, a number of eight or more digits is a phone number
        // even in a range not yet assigned (the drama ranges, new mobile blocks).
        digits >= 8 && phonenumber::parse(None, s).is_ok()
    } else {
        PHONE_REGIONS
            .iter()
            .any(|r| phonenumber::parse(Some(*r), s).is_ok_and(|n| phonenumber::is_valid(&n)))
    };
    valid.then_some((m.start(), end, Kind::Phone))
}

thread_local! {
    static DATE_INSIDE: Regex = Regex::new(r"(?-u:\b)\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2})\b|\b\d{4}-\d{2}-\d{2}\b").expect("valid pattern");
    static DATE_LIKE: Regex = Regex::new(r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|\d{1,2}:\d{2}(?::\d{2})?|\d{3}[- ]\d{2}[- ]\d{4})$").expect("valid pattern");
}

fn birth_date(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let v = c.name("date")?;
    Some((v.start(), v.end(), Kind::BirthDate))
}

fn address(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    let t = m.as_str().trim_end_matches([',', ' ']);
    Some((m.start(), m.start() + t.len(), Kind::Address))
}

/// Month names for dates of birth.
const MONTHS: &str = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?";

/// Street types for addresses.
const STREETS: &str = r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Parkway|Pkwy|Square|Sq|Highway|Hwy|Circle|Close|Crescent|Row|Gardens)";

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        // ASCII word boundaries: a Unicode `\b` keeps the regex crate's fast automata off any
        // text with a non-ASCII character (measured: 3.6 MB/s on the MLQE-PE texts).
        let re = |s: &str| Regex::new(&s.replace(r"\b", r"(?-u:\b)")).expect("valid pattern");
        let date = format!(
            r"(?:\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTHS},?\s+\d{{4}}|{MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|(?:in\s+)?(?:19|20)\d{{2}})"
        );
        let list: Vec<Recognizer> = vec![
            Recognizer {
                kind: Kind::PrivateKey,
                re: re(r"(?s)-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\z)"),
                check: private_key,
            },
            // URLs with user:password@ or a token-like query parameter; webhook URLs, whose
            // path is the secret.
            Recognizer {
                kind: Kind::SecretUrl,
                re: re(r"(?i)\b[a-z][a-z0-9+.-]*://(?:[^\s/@:]+:[^\s/@]+@[^\s]+|[^\s?#]+\?[^\s#]*\b(?:token|access_token|api_key|apikey|key|secret|password|sig|signature|x-amz-signature|auth|code)=[^\s&#]+[^\s]*)|https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+|https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]+"),
                check: secret_url,
            },
            // Provider key formats and bearer tokens.
            Recognizer {
                kind: Kind::ApiKey,
                re: re(r"\b(?:sk-(?:proj-|ant-(?:api|admin)\d{2}-|ant-)?[A-Za-z0-9_-]{20,}|(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}|glpat-[A-Za-z0-9_-]{20,}|xox[abposre]-[A-Za-z0-9-]{10,}|xapp-[0-9]-[A-Za-z0-9-]{10,}|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{20,}|AIza[0-9A-Za-z_-]{35}|ya29\.[0-9A-Za-z_-]{20,}|hf_[A-Za-z0-9]{30,}|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}|npm_[A-Za-z0-9]{36}|ntn_[A-Za-z0-9]{40,}|secret_[A-Za-z0-9]{40,}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})|(?i:bearer\s+)[A-Za-z0-9._~+/-]{20,}=*|(?i:authorization:\s*basic\s+)[A-Za-z0-9+/]{12,}=*"),
                check: secret,
            },
            // Labelled secrets: prose, JSON/YAML (quoted), env (`DB_PASSWORD=`), CLI flags.
            Recognizer {
                kind: Kind::ApiKey,
                re: re(r#"(?i)(?P<label>\b[a-z0-9_.-]*(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|account[_-]?key|credentials?|auth[_-]?key)[a-z0-9_.-]*)["']?\s*(?P<sep>[:=]|\bis\b|=>)\s*(?:"(?P<q1>[^"\n]{4,200})"|'(?P<q2>[^'\n]{4,200})'|(?P<v>[^\s"',;}<>\]\)]{4,}))"#),
                check: labelled_secret,
            },
            Recognizer {
                kind: Kind::Email,
                re: re(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b"),
                check: email,
            },
            Recognizer {
                kind: Kind::Crypto,
                re: re(r"\b(?:[13][1-9A-HJ-NP-Za-km-z]{25,34}|(?:bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{11,71}|0x[0-9a-fA-F]{40})\b"),
                check: crypto,
            },
            Recognizer {
                kind: Kind::Iban,
                re: re(r"\b[A-Z]{2}[0-9]{2}(?:[ -]?[A-Z0-9]{1,4}){3,8}\b"),
                check: iban,
            },
            // 13–19 digits, grouped by spaces or dashes, with room for a neighbouring number.
            Recognizer {
                kind: Kind::Card,
                re: re(r"\b(?:\d[ -]?){12,24}\d\b"),
                check: card,
            },
            Recognizer {
                kind: Kind::NationalId,
                re: re(r"\b[2-9]\d{3}(?:\d{4}\d{4}| \d{4} \d{4}|-\d{4}-\d{4}|:\d{4}:\d{4})\b"),
                check: aadhaar,
            },
            // Passports and other ids after their label.
            Recognizer {
                kind: Kind::NationalId,
                re: re(r"(?i)\b(?:passport|national id|identity card|id card|id number|driver'?s licen[cs]e|licen[cs]e number|nhs number|tax id|personalausweis|ausweis)(?:\s+(?:no\.?|number|#))?\s*(?:is\s+|[:#]\s*)?(?P<v>[A-Z0-9](?:[A-Z0-9 -]{4,16})[A-Z0-9])\b"),
                check: national_id,
            },
            Recognizer {
                kind: Kind::Ssn,
                re: re(r"\b(?:\d{3}-\d{2}-\d{4}|\d{3}\.\d{2}\.\d{4}|\d{3} \d{2} \d{4}|\d{9})\b"),
                check: nine_digits,
            },
            Recognizer {
                kind: Kind::NationalId,
                re: re(r"(?i)\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"),
                check: nino,
            },
            // Indian PAN: five letters (the fourth the holder's type), four digits, a letter.
            Recognizer {
                kind: Kind::NationalId,
                re: re(r"\b[A-Z]{5}\d{4}[A-Z]\b"),
                check: national_id,
            },
            // Presidio's weak PAN shape, kept to capitals: any 10-character code of capitals and
            // digits with four digits in a row (a PAN written out of its usual order). It takes
            // unlabelled order or ticket codes of that shape too; none occur in the 126,000
            // MLQE-PE texts.
            Recognizer {
                kind: Kind::NationalId,
                re: re(r"\b[A-Z0-9]{10}\b"),
                check: pan_shape,
            },
            Recognizer {
                kind: Kind::Mac,
                re: re(r"\b(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}\b|\b(?:[0-9A-Fa-f]{2}-){5}[0-9A-Fa-f]{2}\b|\b[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\b"),
                check: mac,
            },
            Recognizer {
                kind: Kind::Ip,
                re: re(r"(?i)(?P<addr>[0-9a-f:]*:[0-9a-f:]*:[0-9a-f:.]*)(?P<zone>%[0-9a-z]+)?(?:/(?P<cidr>\d{1,4}))?"),
                check: ipv6,
            },
            Recognizer {
                kind: Kind::Ip,
                re: re(r"\b(?P<addr>(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))\b(?:/(?P<cidr>\d{1,3})\b)?"),
                check: ipv4,
            },
            Recognizer {
                kind: Kind::Phone,
                re: re(r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d[\d .\-/]{5,16}\d"),
                check: phone,
            },
            Recognizer {
                kind: Kind::BirthDate,
                re: re(&format!(r"(?i)\b(?:born(?:\s+on)?|date of birth|birth\s?date|birthday|d\.?o\.?b\.?|geboren(?:\s+am)?)\s*(?:is\s+)?[:\-]?\s*(?P<date>{date})")),
                check: birth_date,
            },
            Recognizer {
                kind: Kind::Address,
                re: re(&format!(r"\b\d{{1,5}}[A-Za-z]?\s+(?:[A-Z][a-z]+\.?\s+){{1,4}}{STREETS}\b\.?(?:,?\s+(?:Apt|Suite|Unit|Flat|#)\.?\s*[A-Za-z0-9-]+)?(?:,\s*[A-Z][a-z]+(?:\s[A-Z][a-z]+)*)?(?:,\s*[A-Z]{{2}})?(?:\s+\d{{5}}(?:-\d{{4}})?)?|\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|weg|gasse|platz|allee|damm)\s+\d{{1,4}}[a-z]?\b(?:,\s*\d{{5}}\s+[A-ZÄÖÜ][a-zäöüß]+)?|\b(?:P\.?\s?O\.?\s+Box|Postfach)\s+\d{{1,6}}\b|\b[A-Z]{{1,2}}\d[A-Z\d]?\s\d[A-Z]{{2}}\b")),
                check: address,
            },
        ];
        let any = RegexSet::new(list.iter().map(|r| r.re.as_str())).expect("valid patterns");
        Patterns { list, any }
    })
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
        let spans = find(text);
        if spans.is_empty() {
            return text.to_owned();
        }
        self.replace(text, spans)
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

/// Non-overlapping findings, earlier recognizers first, sorted by position.
pub fn find(text: &str) -> Vec<(usize, usize, Kind)> {
    let mut spans: Vec<(usize, usize, Kind)> = LOCAL.with(|p| {
        let mut spans = Vec::new();
        // Most texts hold nothing: one earliest-match pass says so; only then which patterns.
        if !p.any.is_match(text) {
            return spans;
        }
        for r in p.any.matches(text).iter().map(|i| &p.list[i]) {
            let mut at = 0;
            while let Some(c) = r.re.captures_at(text, at) {
                let m = c.get(0).expect("match");
                // The next search starts after the finding, or after the match without one:
                // a match may hold several findings ("4111… 5500…").
                at = m.end().max(at + 1);
                if let Some((s, e, kind)) = (r.check)(text, &c) {
                    if s < e && !spans.iter().any(|&(a, b, _)| s < b && a < e) {
                        spans.push((s, e, kind));
                    }
                    if e < m.end() && e > m.start() {
                        at = e;
                    }
                }
                while at < text.len() && !text.is_char_boundary(at) {
                    at += 1;
                }
                if at >= text.len() {
                    break;
                }
            }
        }
        spans
    });
    // Names last: a capitalised word inside an address or a secret is already taken.
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        for (s, e) in names::find(text) {
            if !spans.iter().any(|&(a, b, _)| s < b && a < e) {
                spans.push((s, e, Kind::Person));
            }
        }
    }
    spans.sort_by_key(|s| s.0);
    spans
}

/// Whether a text still holds something the redactor would replace.
pub fn has_pii(text: &str) -> Vec<Kind> {
    let mut kinds: Vec<Kind> = find(text).into_iter().map(|(_, _, k)| k).collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn each_kind_is_found_and_placeholders_are_consistent() {
        let mut r = Redactor::new();
        let text = "Mail dana@example.com or call +1 415 555 0134; card 4111 1111 1111 1111, \
                    IBAN DE89 3704 0044 0532 0130 00, server 10.0.0.12, SSN 536-22-1234, \
                    https://user:hunter2@db.example.com/x and key sk-proj-abcdefghijklmnopqrstuvwx. \
                    Again: dana@example.com.";
        let out = r.redact(text);
        for leaked in [
            "dana@example.com",
            "555 0134",
            "4111",
            "DE89",
            "10.0.0.12",
            "536-22-1234",
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

    #[test]
    fn a_pan_out_of_its_usual_order_is_redacted_but_a_labelled_code_is_not() {
        let mut r = Redactor::new();
        let out = r.redact("PAN on file: A1111DFSFS, and B2222XYZWQ.");
        assert!(
            !out.contains("A1111DFSFS") && !out.contains("B2222XYZWQ"),
            "{out}"
        );
        for text in [
            "Your order ORD2024117 is now ORDX202411 in the ticket queue.",
            "Ticket TK20241120 was merged into invoice INV2024001.",
            "Words such as August1989 or post-1980s are kept.",
        ] {
            let mut r = Redactor::new();
            assert_eq!(r.redact(text), text, "changed: {:?}", r.counts);
        }
        // The cost, documented in docs/export.md: an unlabelled code of the same shape goes too.
        assert_eq!(
            Redactor::new().redact("Use SUMMER2024."),
            "Use <ID_NUMBER_1>."
        );
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

    /// An IPv4 address, a MAC, a phone number in one of its national shapes, a social
    /// security number, an Aadhaar number and a titled name, each in random text.
    fn verhoeff_complete(body: &str) -> String {
        (0..10)
            .map(|d| format!("{body}{d}"))
            .find(|c| checks::verhoeff(c))
            .expect("one check digit fits")
    }

    proptest! {
        #[test]
        fn generated_values_of_each_kind_never_survive(
            a in 1u8..=254, b in 0u8..=255, c in 0u8..=255, d in 1u8..=254,
            mac in proptest::collection::vec(0u8..=255, 6),
            area in 201u32..=989, exchange in 200u32..=999, line in 1000u32..=9999,
            ssn_area in 1u32..=665, ssn_group in 1u32..=99, ssn_serial in 1u32..=9999,
            aadhaar in 20_000_000_000u64..99_999_999_999,
            surname in proptest::sample::select(vec!["Okafor", "Lindqvist", "Tanaka", "Moreau", "Kowalczyk"]),
            title in proptest::sample::select(vec!["Dr.", "Ms", "Mr.", "Prof."]),
            before in "[a-z ,.]{0,30}", after in "[a-z ,.]{0,30}",
        ) {
            prop_assume!(checks::ssn(&format!("{ssn_area:03}{ssn_group:02}{ssn_serial:04}")));
            let ip = format!("{a}.{b}.{c}.{d}");
            let mac = mac.iter().map(|x| format!("{x:02X}")).collect::<Vec<_>>().join(":");
            prop_assume!(mac != "FF:FF:FF:FF:FF:FF" && mac != "00:00:00:00:00:00");
            // 555-01xx is the fictional block; any other valid NANP number.
            let phone = format!("({area}) {exchange}-{line:04}");
            let ssn = format!("{ssn_area:03}-{ssn_group:02}-{ssn_serial:04}");
            let aadhaar = verhoeff_complete(&aadhaar.to_string());
            prop_assume!(checks::aadhaar(&aadhaar));
            let aadhaar = format!("{} {} {}", &aadhaar[..4], &aadhaar[4..8], &aadhaar[8..]);
            let name = format!("{title} {surname}");
            let text = format!("{before} host {ip}, {after} device {mac}; call {phone} {before}. SSN {ssn}, Aadhaar {aadhaar}. {name} {after}");
            let out = Redactor::new().redact(&text);
            for v in [&ip, &mac, &ssn, &aadhaar, &surname.to_string()] {
                prop_assert!(!out.contains(v.as_str()), "{} in {}", v, out);
            }
            // A phone number libphonenumber calls invalid (an unassigned area code) may stay.
            let valid = phonenumber::parse(Some(phonenumber::country::Id::US), &phone)
                .is_ok_and(|n| phonenumber::is_valid(&n));
            prop_assert!(!valid || !out.contains(&phone), "{} in {}", phone, out);
        }

        #[test]
        fn any_text_is_redacted_without_panic_on_char_boundaries(text in "\\PC{0,200}") {
            for (s, e, _) in find(&text) {
                prop_assert!(s < e && text.is_char_boundary(s) && text.is_char_boundary(e));
            }
        }
    }
}
