//! What redaction finds in a JSONL file of settlements (stdin): counts per kind and the first
//! findings of each, to read for false positives on real text.
//! `zcat ../shared/data/mlqe-pe-postedits.jsonl.gz | cargo run --release -p redline-core --example redact_scan`

use std::collections::BTreeMap;
use std::io::BufRead;

fn main() {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut shown: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let (mut texts, mut bytes) = (0usize, 0usize);
    let started = std::time::Instant::now();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        for field in ["ai_output", "final_output", "intent"] {
            let Some(t) = v.get(field).and_then(|t| t.as_str()) else {
                continue;
            };
            texts += 1;
            bytes += t.len();
            for (s, e, k) in redline_core::redact::find(t) {
                let k = format!("{k:?}");
                *counts.entry(k.clone()).or_default() += 1;
                let list = shown.entry(k).or_default();
                if list.len() < 12 {
                    let from = t[..s].char_indices().rev().nth(30).map_or(0, |(i, _)| i);
                    let to = t[e..]
                        .char_indices()
                        .nth(30)
                        .map_or(t.len(), |(i, _)| e + i);
                    list.push(format!("{:?} in {:?}", &t[s..e], &t[from..to]));
                }
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{texts} texts, {:.1} MB in {secs:.2} s ({:.1} MB/s)",
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / secs
    );
    for (k, n) in &counts {
        println!("{k}: {n}");
        for s in &shown[k] {
            println!("    {s}");
        }
    }
}
