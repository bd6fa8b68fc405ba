//! Redaction measured on data not written from its own patterns:
//! - the positive and negative cases of Microsoft Presidio's recognizer tests
//!   (presidio-analyzer/tests in the public microsoft/presidio repository, MIT licence), used
//!   as settlement text: `tests/data/presidio-cases.jsonl`;
//! - a fixture of personal data as real text carries it, and of look-alikes that must stay:
//!   `tests/data/pii-fixture.jsonl`.
//!
//! `cargo test -p redline-core --test redaction -- --nocapture` prints the tables.

use redline_core::redact::{self, Kind};
use std::collections::BTreeMap;

#[derive(serde::Deserialize)]
struct Case {
    #[serde(rename = "type")]
    kind: String,
    text: String,
    /// Byte spans that must be redacted; none for a negative case.
    spans: Vec<[usize; 2]>,
}

fn cases(path: &str) -> Vec<Case> {
    let text = std::fs::read_to_string(format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR")))
        .expect("fixture");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("case"))
        .collect()
}

/// Which of Redline's kinds answer for a type.
fn accepted(kind: &str) -> &'static [Kind] {
    match kind {
        "CREDIT_CARD" => &[Kind::Card],
        "CRYPTO" => &[Kind::Crypto],
        "EMAIL_ADDRESS" => &[Kind::Email],
        "IBAN_CODE" => &[Kind::Iban],
        "IP_ADDRESS" => &[Kind::Ip],
        "MAC_ADDRESS" => &[Kind::Mac],
        "PHONE_NUMBER" => &[Kind::Phone],
        "US_SSN" | "US_PASSPORT" | "UK_NINO" | "IN_PAN" | "IN_AADHAAR" | "NATIONAL_ID" => {
            &[Kind::Ssn, Kind::NationalId]
        }
        "SECRET" => &[Kind::ApiKey, Kind::SecretUrl, Kind::PrivateKey],
        "EMAIL" => &[Kind::Email],
        "PHONE" => &[Kind::Phone],
        "CARD" => &[Kind::Card],
        "IBAN" => &[Kind::Iban],
        "IP" => &[Kind::Ip],
        "MAC" => &[Kind::Mac],
        "SSN" => &[Kind::Ssn],
        "PERSON" => &[Kind::Person],
        "ADDRESS" => &[Kind::Address],
        "BIRTH_DATE" => &[Kind::BirthDate],
        other => panic!("unknown type {other}"),
    }
}

#[derive(Default)]
struct Tally {
    found: usize,
    spans: usize,
    clean: usize,
    negatives: usize,
    missed: Vec<String>,
    touched: Vec<String>,
}

/// Per type: spans redacted (by a finding of an accepted kind covering the span) and negatives
/// left alone (no finding of an accepted kind; for the fixture's look-alikes, no finding at
/// all).
fn tally(cases: &[Case], strict_negatives: bool) -> BTreeMap<String, Tally> {
    let mut out: BTreeMap<String, Tally> = BTreeMap::new();
    for c in cases {
        let ok = accepted(&c.kind);
        let found = redact::find(&c.text);
        let t = out.entry(c.kind.clone()).or_default();
        if c.spans.is_empty() {
            t.negatives += 1;
            let hit = found
                .iter()
                .any(|(_, _, k)| strict_negatives || ok.contains(k));
            if hit {
                t.touched.push(format!("{:?} → {found:?}", c.text));
            } else {
                t.clean += 1;
            }
        }
        for &[s, e] in &c.spans {
            t.spans += 1;
            if found
                .iter()
                .any(|&(a, b, k)| a <= s && e <= b && ok.contains(&k))
            {
                t.found += 1;
            } else {
                t.missed
                    .push(format!("{:?} [{s}, {e}) → {found:?}", c.text));
            }
        }
    }
    out
}

fn print(title: &str, t: &BTreeMap<String, Tally>) {
    println!(
        "{title}\n{:<14} {:>9} {:>7} {:>10} {:>7}",
        "type", "found", "recall", "untouched", "share"
    );
    for (k, v) in t {
        println!(
            "{k:<14} {:>4}/{:<4} {:>6.1}% {:>4}/{:<5} {:>6.1}%",
            v.found,
            v.spans,
            100.0 * v.found as f64 / v.spans.max(1) as f64,
            v.clean,
            v.negatives,
            100.0 * v.clean as f64 / v.negatives.max(1) as f64,
        );
        for m in &v.missed {
            println!("    missed {m}");
        }
        for m in &v.touched {
            println!("    touched {m}");
        }
    }
}

fn recall(t: &Tally) -> f64 {
    t.found as f64 / t.spans.max(1) as f64
}

#[test]
fn presidio_recognizer_cases() {
    let t = tally(&cases("presidio-cases.jsonl"), false);
    print("Presidio recognizer test cases", &t);
    for (k, v) in &t {
        assert!(recall(v) >= 0.95, "{k}: recall {:.3}", recall(v));
        assert_eq!(
            v.clean, v.negatives,
            "{k}: negatives touched: {:?}",
            v.touched
        );
    }
}

#[test]
fn fixture_of_real_formats_and_look_alikes() {
    let cases = cases("pii-fixture.jsonl");
    let (look_alikes, items): (Vec<Case>, Vec<Case>) =
        cases.into_iter().partition(|c| c.kind == "CLEAN");
    let t = tally(&items, false);
    print("Fixture", &t);
    let identity = ["PERSON", "ADDRESS", "BIRTH_DATE", "NATIONAL_ID"];
    let (mut sf, mut sn, mut idf, mut idn) = (0, 0, 0, 0);
    for (k, v) in &t {
        if identity.contains(&k.as_str()) {
            idf += v.found;
            idn += v.spans;
        } else {
            sf += v.found;
            sn += v.spans;
        }
    }
    let structured = sf as f64 / sn as f64;
    let ident = idf as f64 / idn as f64;
    println!(
        "structured recall {sf}/{sn} = {:.1}%, identity {idf}/{idn} = {:.1}%",
        100.0 * structured,
        100.0 * ident
    );
    let mut touched = Vec::new();
    for c in &look_alikes {
        let found = redact::find(&c.text);
        if !found.is_empty() {
            touched.push(format!("{:?} → {found:?}", c.text));
        }
    }
    println!(
        "look-alikes touched: {} of {}",
        touched.len(),
        look_alikes.len()
    );
    for t in &touched {
        println!("    {t}");
    }
    assert!(structured >= 0.99, "structured recall {structured:.3}");
    assert!(ident >= 0.90, "identity recall {ident:.3}");
    assert!(touched.is_empty(), "look-alikes touched: {touched:#?}");
}
