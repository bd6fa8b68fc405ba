//! A long-document set for benchmarks and the quality report, made from real human edits and
//! kept apart from the sample generator (`sample.rs`).
//!
//! Each document is a business-style text of ~2 KB per side — a heading, paragraphs of three to
//! five sentences, in about half of them a bullet list, in some a second heading — built from
//! the MLQE-PE post-edits (`../shared/data/mlqe-pe-postedits.jsonl.gz`, CC0): the AI output is
//! the machine translations of its sentences, the final version the translators' post-edits of
//! the same sentences, in the same places. So every edit inside a sentence is a real person's;
//! the documents' layout is made here, and nothing is edited across sentences (no sentence is
//! moved, cut or added by this tool). One agent per language pair (into English, German and
//! Chinese), documents spread over 180 days. With 9,000 sentences per pair, a set of 100,000
//! documents uses each sentence ~27 times (in other documents and orders), which flatters any
//! cache keyed by sentence: say so next to figures measured on it.
//!
//! Run: `cargo run --release -p redline-core --example long_docs -- OUT.jsonl [N] [DATA]`
//! (N defaults to 100,000). Deterministic: the same N gives the same file.

use flate2::read::GzDecoder;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};

/// SplitMix64: a small deterministic generator (the set must not change between runs).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One real sentence pair: machine translation and post-edit.
struct Pair {
    mt: String,
    pe: String,
}

/// The two sides of a document being written.
#[derive(Default)]
struct Doc {
    ai: String,
    fin: String,
}

impl Doc {
    fn push(&mut self, ai: &str, fin: &str) {
        self.ai.push_str(ai);
        self.fin.push_str(fin);
    }
}

/// Approximate size of a document's AI side, in bytes.
const TARGET_BYTES: usize = 2_000;

fn document(pool: &[Pair], short: &[usize], rng: &mut Rng) -> Doc {
    let mut d = Doc::default();
    let pick = |rng: &mut Rng| &pool[rng.below(pool.len())];
    let heading = |d: &mut Doc, level: &str, rng: &mut Rng| {
        let p = &pool[short[rng.below(short.len())]];
        d.push(
            &format!("{level} {}\n\n", p.mt),
            &format!("{level} {}\n\n", p.pe),
        );
    };
    heading(&mut d, "##", rng);
    let list_at = if rng.below(2) == 0 {
        Some(1 + rng.below(2))
    } else {
        None
    };
    let second_heading = rng.below(5) < 2;
    let mut paragraph = 0;
    while d.ai.len() < TARGET_BYTES {
        if paragraph > 0 {
            d.push("\n\n", "\n\n");
        }
        if paragraph == 2 && second_heading {
            heading(&mut d, "###", rng);
        }
        if Some(paragraph) == list_at {
            for k in 0..3 + rng.below(2) {
                let p = pick(rng);
                let sep = if k == 0 { "" } else { "\n" };
                d.push(&format!("{sep}- {}", p.mt), &format!("{sep}- {}", p.pe));
            }
        } else {
            for k in 0..3 + rng.below(3) {
                let p = pick(rng);
                let sep = if k == 0 { "" } else { " " };
                d.push(&format!("{sep}{}", p.mt), &format!("{sep}{}", p.pe));
            }
        }
        paragraph += 1;
    }
    d
}

fn main() {
    let mut args = std::env::args().skip(1);
    let out = args.next().expect("usage: long_docs OUT.jsonl [N] [DATA]");
    let n: usize = args
        .next()
        .map_or(100_000, |v| v.parse().expect("N is a number"));
    let data = args
        .next()
        .unwrap_or_else(|| "../shared/data/mlqe-pe-postedits.jsonl.gz".into());
    let file = std::fs::File::open(&data).unwrap_or_else(|e| panic!("{data}: {e}"));
    let mut pools: BTreeMap<String, Vec<Pair>> = BTreeMap::new();
    for line in BufReader::new(GzDecoder::new(file)).lines() {
        let v: serde_json::Value =
            serde_json::from_str(&line.expect("read the corpus")).expect("a JSON line");
        let text = |k: &str| v[k].as_str().unwrap_or_default().trim().to_owned();
        let (mt, pe) = (text("ai_output"), text("final_output"));
        if !mt.is_empty() && !pe.is_empty() && !mt.contains('\n') && !pe.contains('\n') {
            let agent = v["agent"].as_str().expect("agent").to_owned();
            pools.entry(agent).or_default().push(Pair { mt, pe });
        }
    }
    let agents: Vec<(&String, &Vec<Pair>)> = pools.iter().collect();
    // Sentences short enough to be a heading (at most eight words).
    let shorts: Vec<Vec<usize>> = agents
        .iter()
        .map(|(_, pool)| {
            let s: Vec<usize> = (0..pool.len())
                .filter(|i| pool[*i].mt.split_whitespace().count() <= 8)
                .collect();
            if s.is_empty() {
                (0..pool.len()).collect()
            } else {
                s
            }
        })
        .collect();
    let start = chrono::DateTime::parse_from_rfc3339("2026-06-04T00:00:00Z")
        .expect("a date")
        .with_timezone(&chrono::Utc);
    let span_secs = 180 * 86_400i64;
    let mut w = std::io::BufWriter::new(std::fs::File::create(&out).expect("create OUT"));
    let mut rng = Rng(20_261_203);
    let mut bytes = 0usize;
    for k in 0..n {
        let a = k % agents.len();
        let (agent, pool) = agents[a];
        let d = document(pool, &shorts[a], &mut rng);
        bytes += d.ai.len() + d.fin.len();
        let at = start
            + chrono::Duration::seconds(
                (k as i64 * span_secs) / n.max(1) as i64 + rng.below(3_600) as i64,
            );
        let pair = agent.rsplit(':').next().unwrap_or(agent);
        let line = serde_json::json!({
            "id": format!("long:{k:06}"),
            "agent": agent,
            "intent_type": format!("document_post_edit:{pair}"),
            "intent": format!("Post-edit the machine-translated document {k}"),
            "ai_output": d.ai,
            "final_output": d.fin,
            "created_at": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        serde_json::to_writer(&mut w, &line).expect("write");
        w.write_all(b"\n").expect("write");
    }
    w.flush().expect("write");
    eprintln!(
        "{n} documents, {} agents, {:.0} bytes per side on average → {out}",
        agents.len(),
        bytes as f64 / (2 * n.max(1)) as f64
    );
}
