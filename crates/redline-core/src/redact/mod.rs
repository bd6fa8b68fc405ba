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
mod recognizers;
use recognizers::*;

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

/// The lazy DFA cache of the one-pass test for any finding, per thread: at the regex crate's
/// default (2 MB) the 22 patterns together kept filling and clearing it (an export of 100k long
/// documents spent a fifth of its time building DFA states); 16 MB holds them. The patterns
/// searched one by one keep the default: larger caches gained nothing there.
const DFA_CACHE: usize = 16 << 20;

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
        let any = regex::RegexSetBuilder::new(list.iter().map(|r| r.re.as_str()))
            .dfa_size_limit(DFA_CACHE)
            .build()
            .expect("valid patterns");
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
mod tests;
