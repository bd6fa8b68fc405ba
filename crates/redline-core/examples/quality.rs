//! The miner's quality report on real human edits (docs/quality.md is its output).
//!
//! Data: `../shared/data/mlqe-pe-postedits.jsonl.gz` (MLQE-PE, CC0: machine translations with
//! the translators' post-edits and the corpus's word-level tags of which MT words they
//! changed), the first `N` (default 3,000) settlements of each language pair. Each pair's
//! settlements are imported into a throw-away store and mined as the app and the CLI mine them.
//!
//! Figures per pair, on the AI output's whitespace tokens, lowercased (the corpus is
//! tokenized):
//! - cover: the share of the changed words (the `mt_word_BAD` tags) that lie inside an
//!   occurrence of one of Redline's top 25 deleted phrases or top 25 replacement sources;
//! - precision: the share of those occurrences' words that were changed;
//! - the same two for a no-information control: the pair's 25 most frequent words outside a
//!   short English stop list (by outputs containing them);
//! - single words: the share of one-word items among the deleted phrases, and among all items;
//! - CJK1: single Han characters listed.
//!
//! Run: `scripts/quality` (or `cargo run --release -p redline-core --example quality -- FILE [N]`).

use flate2::read::GzDecoder;
use redline_core::import::{import_file, ImportOptions};
use redline_core::job::{no_progress, Cancel};
use redline_core::patterns::{self, replay, Scope};
use redline_core::store::Store;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};

/// The control leaves these out (they would be its whole list).
const STOP: &str = "a an the and or but of to in on at for with by from as is was were be been it its this that these those there then than so not no he she they we you i his her their our your my";
const TOP: usize = 25;

struct Row {
    tokens: Vec<String>,
    changed: HashSet<usize>,
}

#[derive(Default)]
struct Score {
    changed: usize,
    covered: usize,
    occupied: usize,
    occupied_changed: usize,
}

impl Score {
    fn of(items: &[String], rows: &[Row]) -> Score {
        let pats: Vec<Vec<String>> = items
            .iter()
            .map(|i| {
                i.to_lowercase()
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect()
            })
            .filter(|p: &Vec<String>| !p.is_empty())
            .collect();
        let mut s = Score::default();
        for r in rows {
            let mut hit = HashSet::new();
            for p in &pats {
                for i in 0..(r.tokens.len() + 1).saturating_sub(p.len()) {
                    if r.tokens[i..i + p.len()] == p[..] {
                        hit.extend(i..i + p.len());
                    }
                }
            }
            s.changed += r.changed.len();
            s.covered += r.changed.intersection(&hit).count();
            s.occupied += hit.len();
            s.occupied_changed += hit.intersection(&r.changed).count();
        }
        s
    }

    fn cover(&self) -> f64 {
        self.covered as f64 / self.changed.max(1) as f64
    }

    fn precision(&self) -> f64 {
        self.occupied_changed as f64 / self.occupied.max(1) as f64
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let data = args
        .next()
        .unwrap_or_else(|| "../shared/data/mlqe-pe-postedits.jsonl.gz".into());
    let per_pair: usize = args
        .next()
        .map_or(3000, |n| n.parse().expect("N is a number"));
    let file = std::fs::File::open(&data).unwrap_or_else(|e| panic!("{data}: {e}"));
    let dir = tempfile::tempdir().expect("temp dir");
    let jsonl = dir.path().join("in.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&jsonl).expect("temp file"));
    let mut rows: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for line in BufReader::new(GzDecoder::new(file)).lines() {
        let line = line.expect("read the corpus");
        let mut v: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
        let agent = v["agent"].as_str().expect("agent").to_owned();
        let list = rows.entry(agent).or_default();
        if list.len() >= per_pair {
            continue;
        }
        let tokens: Vec<String> = v["ai_output"]
            .as_str()
            .expect("ai_output")
            .to_lowercase()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let mut changed = HashSet::new();
        for l in v["edit_labels"].as_array().into_iter().flatten() {
            if l["category"] == "mt_word_BAD" {
                let (a, b) = (l["token_start"].as_u64(), l["token_end"].as_u64());
                if let (Some(a), Some(b)) = (a, b) {
                    changed.extend(a as usize..b as usize);
                }
            }
        }
        list.push(Row { tokens, changed });
        v.as_object_mut().expect("an object").remove("meta");
        writeln!(out, "{v}").expect("write");
    }
    out.flush().expect("write");
    drop(out);
    let store = Store::open(&dir.path().join("q.redb")).expect("store");
    import_file(
        &store,
        &jsonl,
        &ImportOptions::default(),
        &mut no_progress,
        &Cancel::new(),
    )
    .expect("import");
    let report = redline_core::mining::mine_store(&store, &Scope::default()).expect("mine");
    let by_agent: HashMap<&str, &patterns::AgentPatterns> = report
        .agents
        .iter()
        .map(|a| (a.agent.as_str(), a))
        .collect();
    let stop: HashSet<&str> = STOP.split(' ').collect();

    println!("| pair | settlements | changed words | cover | precision | control cover | control precision | cover − control | ceiling cover / precision | single words (deleted / all items) | CJK1 | English target | replay: validated rules, editing saved (95% CI) |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
    let mut tops = Vec::new();
    for (agent, rows) in &rows {
        let Some(a) = by_agent.get(agent.as_str()) else {
            continue;
        };
        let deleted: Vec<String> = a.deleted.iter().take(TOP).map(|p| p.text.clone()).collect();
        let replaced: Vec<String> = a
            .replacements
            .iter()
            .take(TOP)
            .map(|r| r.from.clone())
            .collect();
        let items: Vec<String> = deleted.iter().chain(&replaced).cloned().collect();
        let mut df: HashMap<&str, usize> = HashMap::new();
        for r in rows {
            let distinct: HashSet<&str> = r.tokens.iter().map(String::as_str).collect();
            for w in distinct {
                if !stop.contains(w) && w.chars().any(char::is_alphanumeric) {
                    *df.entry(w).or_default() += 1;
                }
            }
        }
        let mut control: Vec<(&str, usize)> = df.into_iter().collect();
        control.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let control: Vec<String> = control
            .iter()
            .take(TOP)
            .map(|(w, _)| w.to_string())
            .collect();
        let (mine, ctrl) = (Score::of(&items, rows), Score::of(&control, rows));
        let ceiling = Score::of(&ceiling(rows), rows);
        let single = |list: &[String]| {
            let n = list
                .iter()
                .filter(|i| i.split_whitespace().count() == 1)
                .count();
            if list.is_empty() {
                "–".to_owned()
            } else {
                format!("{:.0}%", 100.0 * n as f64 / list.len() as f64)
            }
        };
        let cjk1 = items
            .iter()
            .filter(|i| redline_core::text::is_single_han(i.trim()))
            .count();
        let into_english = agent.ends_with("-en");
        let target = if !into_english {
            "–".to_owned()
        } else if mine.cover() >= ctrl.cover() + 0.10 && mine.precision() > ctrl.precision() {
            "met (cover, precision)".to_owned()
        } else {
            "not met".to_owned()
        };
        let scope = Scope {
            agent: Some(agent.clone()),
            ..Default::default()
        };
        let replayed = match redline_core::mining::replay_store(
            &store,
            &scope,
            &mut no_progress,
            &Cancel::new(),
        )
        .expect("replay")
        .expect("not cancelled")
        {
            replay::Replay::TooSmall { needed, .. } => format!("too small (< {needed})"),
            replay::Replay::Done(d) => {
                let validated = d.rules.iter().filter(|r| r.validated).count();
                match d.combined {
                    Some(c) => format!(
                        "{validated} of {}: {} ({} to {})",
                        d.rules.len(),
                        pct(c.value),
                        pct(c.low),
                        pct(c.high)
                    ),
                    None => format!("0 of {}", d.rules.len()),
                }
            }
        };
        println!(
            "| {agent} | {} | {} | {} | {} | {} | {} | {:+.1} | {} / {} | {} / {} | {cjk1} | {target} | {replayed} |",
            rows.len(),
            mine.changed,
            pct(mine.cover()),
            pct(mine.precision()),
            pct(ctrl.cover()),
            pct(ctrl.precision()),
            (mine.cover() - ctrl.cover()) * 100.0,
            pct(ceiling.cover()),
            pct(ceiling.precision()),
            single(&deleted),
            single(&items),
        );
        tops.push((
            agent.clone(),
            (a.deleted.len(), a.replacements.len()),
            deleted,
            a.replacements
                .iter()
                .take(8)
                .map(|r| {
                    let to: Vec<String> = r
                        .targets
                        .iter()
                        .map(|t| format!("{} ({})", t.to, t.hits))
                        .collect();
                    format!(
                        "{} → {}",
                        r.from,
                        if to.is_empty() {
                            "…".to_owned()
                        } else {
                            to.join(", ")
                        }
                    )
                })
                .collect::<Vec<_>>(),
        ));
    }
    // Variance reduction by intent type on real edits: the seven pairs as the intent types of
    // one agent, each settlement routed to A or B as the app routes an experiment's intents (A/A),
    // acceptance measured as the app measures it.
    let mut strata: BTreeMap<String, [Vec<f64>; 2]> = BTreeMap::new();
    store
        .scan(None, None, |s| {
            let variant =
                redline_core::experiments::route_to_variant("AA-QUALITY", s.id.as_str(), 0.5);
            let side = usize::from(variant == redline_core::experiments::Variant::VariantB);
            let o = redline_core::analytics::observe(&s);
            strata.entry(s.agent.as_str().to_owned()).or_default()[side].push(o.acceptance);
        })
        .expect("scan");
    let pairs: Vec<(&[f64], &[f64])> = strata
        .values()
        .map(|[a, b]| (a.as_slice(), b.as_slice()))
        .collect();
    if let Some(st) = redline_core::stats::ab::stratified(&pairs) {
        println!();
        println!(
            "Variance reduction by intent type (post-stratification), an A/A split of these {} settlements with the {} pairs as intent types: **{:.1}%** (B − A {:+.2} points, 95% CI {:+.2} to {:+.2}).",
            st.difference.n,
            st.strata,
            st.variance_reduction * 100.0,
            st.difference.value * 100.0,
            st.difference.low.unwrap_or(0.0) * 100.0,
            st.difference.high.unwrap_or(0.0) * 100.0
        );
    }
    println!();
    for (agent, (n_deleted, n_replaced), deleted, replaced) in tops {
        println!(
            "- **{agent}**: deleted ({n_deleted} listed): {}; replaced ({n_replaced} listed): {}",
            list(&deleted[..deleted.len().min(8)]),
            list(&replaced)
        );
    }
    taxonomy_agreement();
}

/// The kinds of edit against the hand labels (crates/redline-core/tests/data/edit-labels.jsonl,
/// committed before the rules; see docs/patterns.md).
fn taxonomy_agreement() {
    use redline_core::patterns::taxonomy::{agreement, judge_labels};
    let pairs =
        judge_labels(include_str!("../tests/data/edit-labels.jsonl")).expect("the hand labels");
    let a = agreement(&pairs);
    println!();
    println!(
        "Kinds of edit against {} hand-labelled operations (MLQE-PE dev/test, labelled before the rules were written): accuracy **{:.1}%**, Cohen's κ **{:.2}**.",
        a.items,
        a.accuracy * 100.0,
        a.kappa
    );
    println!();
    println!(
        "| kind | labelled | given by the rules | recall | precision | κ (this kind or not) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for k in &a.per_kind {
        println!(
            "| {} | {} | {} | {:.2} | {:.2} | {:.2} |",
            k.kind.label(),
            k.labelled,
            k.predicted,
            k.recall,
            k.precision,
            k.kappa
        );
    }
}

/// What a list of 25 single words could cover at best when it reports only words changed more
/// often than the average word (Redline's rule), knowing the corpus's own tags: the words whose
/// changed share's 95% Wilson lower bound is above the average share, most changed first.
fn ceiling(rows: &[Row]) -> Vec<String> {
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    let (mut words, mut changed) = (0usize, 0usize);
    for r in rows {
        for (i, w) in r.tokens.iter().enumerate() {
            let c = counts.entry(w.as_str()).or_default();
            c.0 += 1;
            let bad = r.changed.contains(&i);
            c.1 += usize::from(bad);
            words += 1;
            changed += usize::from(bad);
        }
    }
    let base = changed as f64 / words.max(1) as f64;
    let mut above: Vec<(&str, usize)> = counts
        .into_iter()
        .filter(|(w, (n, k))| {
            w.chars().any(char::is_alphanumeric)
                && redline_core::stats::wilson(*k, *n)
                    .and_then(|e| e.low)
                    .is_some_and(|low| low > base)
        })
        .map(|(w, (_, k))| (w, k))
        .collect();
    above.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    above.iter().take(TOP).map(|(w, _)| w.to_string()).collect()
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items
            .iter()
            .map(|i| format!("“{}”", i.replace('|', "\\|")))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
