//! Draw the edit operations to be labelled by hand for the edit taxonomy's agreement check
//! (docs/patterns.md, "Edit taxonomy"): `crates/redline-core/tests/data/edit-labels.jsonl`.
//!
//! Data: `../shared/data/mlqe-pe-postedits.jsonl.gz` (MLQE-PE, CC0), the dev and test splits
//! only (the quality report mines the first settlements of the train split). Per language pair
//! (five into English, one into German), settlements are taken in a fixed pseudo-random order
//! (a hash of their id) and one edit operation ([`redline_core::patterns::ops::edit_ops`]) of
//! each, also picked by the hash, until `PER_PAIR` operations are drawn. Each line holds the
//! operation, 60 characters of context on either side, and an empty `label` for the person.
//!
//! Run: `cargo run -p redline-core --example edit_sample -- FILE [PER_PAIR] > OUT.jsonl`.

use flate2::read::GzDecoder;
use redline_core::patterns::ops::edit_ops;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};

const PAIRS: &[&str] = &[
    "mlqe-nmt:et-en",
    "mlqe-nmt:ru-en",
    "mlqe-nmt:ro-en",
    "mlqe-nmt:ne-en",
    "mlqe-nmt:si-en",
    "mlqe-nmt:en-de",
];
const CONTEXT: usize = 60;

/// FNV-1a (64 bit) of the id, then SplitMix64's finaliser: a stable order independent of the
/// file's.
fn order(id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

fn tail(s: &str, n: usize) -> String {
    let c: Vec<char> = s.chars().collect();
    c[c.len().saturating_sub(n)..].iter().collect()
}

fn head(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let file = args
        .next()
        .unwrap_or_else(|| "../shared/data/mlqe-pe-postedits.jsonl.gz".into());
    let per_pair: usize = args.next().map_or(35, |n| n.parse().expect("a number"));
    let reader = BufReader::new(GzDecoder::new(
        std::fs::File::open(&file).expect("the data"),
    ));
    let mut by_pair: BTreeMap<String, Vec<(u64, serde_json::Value)>> = BTreeMap::new();
    for line in reader.lines() {
        let v: serde_json::Value = serde_json::from_str(&line.expect("a line")).expect("JSON");
        let agent = v["agent"].as_str().unwrap_or_default().to_owned();
        if !PAIRS.contains(&agent.as_str()) || v["meta"]["split"] == "train" {
            continue;
        }
        let key = order(v["id"].as_str().unwrap_or_default());
        by_pair.entry(agent).or_default().push((key, v));
    }
    let mut out = std::io::stdout().lock();
    for pair in PAIRS {
        let mut rows = by_pair.remove(*pair).unwrap_or_default();
        rows.sort_by_key(|(k, _)| *k);
        let mut drawn = 0;
        for (key, v) in rows {
            if drawn == per_pair {
                break;
            }
            let (ai, fin) = (
                v["ai_output"].as_str().unwrap_or_default(),
                v["final_output"].as_str().unwrap_or_default(),
            );
            let ops = edit_ops(ai, fin);
            if ops.is_empty() {
                continue;
            }
            let op = &ops[(key >> 32) as usize % ops.len()];
            let chars: Vec<char> = ai.chars().collect();
            let before: String = chars[..op.old_start].iter().collect();
            let after: String = chars[op.old_end..].iter().collect();
            let line = serde_json::json!({
                "settlement": v["id"],
                "kind": op.kind,
                "old": op.old_text,
                "new": op.new_text,
                "before": tail(&before, CONTEXT),
                "after": head(&after, CONTEXT),
                "label": "",
            });
            writeln!(out, "{line}").expect("stdout");
            drawn += 1;
        }
    }
}
