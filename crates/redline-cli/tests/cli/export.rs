//! `export`, `validate`, `targets` and `mark`; the Parquet tables read by pyarrow and DuckDB.

use super::*;

#[test]
fn kto_and_nova_exports_validate_and_the_targets_say_where_each_goes() {
    let (dir, db) = setup();
    redline(&db)
        .args(["sample", "-n", "800", "--seed", "21"])
        .assert()
        .success();
    // KTO: a true line per settlement, and a false one per draft below the bar.
    let kto = dir.path().join("kto.jsonl");
    let run = redline(&db)
        .args([
            "export",
            "--format",
            "trl-kto",
            "--min-acceptance",
            "0.8",
            "--json",
            "-o",
        ])
        .arg(&kto)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let (written, undesirable) = (
        report["written"].as_u64().unwrap(),
        report["undesirable"].as_u64().unwrap(),
    );
    assert!(written > 100 && undesirable > 10, "{report}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&kto)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, written + undesirable);
    let falses = lines.iter().filter(|v| v["label"] == false).count() as u64;
    assert_eq!(falses, undesirable);
    let checked = &report["validation_report"];
    assert_eq!(checked["shape"], "trl-kto");
    assert_eq!(checked["labels"]["undesirable"].as_u64(), Some(undesirable));
    assert_eq!(checked["ok"], true, "{checked}");
    // Nova: bedrock-conversation-2024 lines, checked by Nova's rules.
    let nova = dir.path().join("nova.jsonl");
    redline(&db)
        .args(["export", "--format", "nova", "-o"])
        .arg(&nova)
        .assert()
        .success()
        .stderr(predicate::str::contains("note:").not());
    redline(&db)
        .arg("validate")
        .arg(&nova)
        .arg("--json")
        .assert()
        .success()
        .stdout(predicate::str::contains("\"shape\": \"nova\""));
    // A Nova line whose prompt holds a reserved word fails validation, by line.
    let bad = dir.path().join("bad.jsonl");
    let mut text = std::fs::read_to_string(&nova).unwrap();
    text.push_str(r#"{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":[{"text":"Bot: say hi"}]},{"role":"assistant","content":[{"text":"Hi."}]}]}"#);
    text.push('\n');
    std::fs::write(&bad, text).unwrap();
    redline(&db)
        .arg("validate")
        .arg(&bad)
        .assert()
        .code(5)
        .stdout(predicate::str::contains("a word Nova reserves"));
    // A Hugging Face dataset folder: Parquet splits and a card with the licence given.
    let folder = dir.path().join("hf");
    let run = redline(&db)
        .args([
            "export",
            "--format",
            "hf-dataset",
            "--license",
            "cc-by-4.0",
            "--validation-share",
            "0.1",
            "--json",
            "-o",
        ])
        .arg(&folder)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(report["format"], "hf-dataset");
    assert!(folder.join("data/train-00000-of-00001.parquet").exists());
    assert!(folder
        .join("data/validation-00000-of-00001.parquet")
        .exists());
    let card = std::fs::read_to_string(folder.join("README.md")).unwrap();
    assert!(card.starts_with("---\nlicense: cc-by-4.0\n"), "{card}");
    // Not over a folder that holds something.
    redline(&db)
        .args(["export", "--format", "hf-dataset", "-o"])
        .arg(&folder)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is not empty"));
    // An export to a service that is winding down says so; the table names each, dated.
    redline(&db)
        .args(["export", "--format", "openai-chat", "-o"])
        .arg(dir.path().join("openai.jsonl"))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "note: OpenAI fine-tuning: closing — No new users since 2026-05-07",
        ));
    redline(&db)
        .arg("targets")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Amazon Bedrock, Nova [open] — nova",
        ))
        .stdout(predicate::str::contains(
            "Hugging Face TRL [open] — trl-sft, trl-dpo, trl-kto",
        ))
        .stdout(predicate::str::contains("checked 2026-12-01: https://"));
}

#[test]
fn export_writes_redacted_validated_examples_atomically() {
    let (dir, db) = setup();
    redline(&db)
        .args(["sample", "-n", "1500", "--seed", "12"])
        .assert()
        .success();
    let out = dir.path().join("train.jsonl");
    let run = redline(&db)
        .args([
            "export",
            "--format",
            "openai-dpo",
            "--min-acceptance",
            "0.75",
            "--validation-share",
            "0.1",
            "--json",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let written = report["written"].as_u64().unwrap();
    assert!(written > 100, "{report}");
    let train = std::fs::read_to_string(&out).unwrap();
    let valid = std::fs::read_to_string(dir.path().join("train.validation.jsonl")).unwrap();
    assert_eq!(
        (train.lines().count() + valid.lines().count()) as u64,
        written
    );
    for line in train.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_ne!(v["preferred_output"], v["non_preferred_output"]);
    }
    // Without --min-acceptance the saved threshold decides (one "accepted" everywhere).
    redline(&db)
        .args(["settings", "--threshold", "0.75"])
        .assert()
        .success();
    let by_setting = redline(&db)
        .args([
            "export",
            "--format",
            "openai-dpo",
            "--validation-share",
            "0.1",
            "--json",
            "-o",
        ])
        .arg(dir.path().join("again.jsonl"))
        .output()
        .unwrap();
    let again: serde_json::Value = serde_json::from_slice(&by_setting.stdout).unwrap();
    assert_eq!(again["written"].as_u64(), Some(written), "{again}");
    // A bad format, an unwritable path and an empty selection are refused clearly, and
    // nothing is left behind.
    redline(&db)
        .args(["export", "--format", "jsonl2", "-o", "x.jsonl"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not an export format"));
    let missing = dir.path().join("no/such/dir/out.jsonl");
    redline(&db)
        .args(["export", "-o"])
        .arg(&missing)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot write"));
    let none = dir.path().join("none.jsonl");
    redline(&db)
        .args(["export", "--agent", "Nobody", "-o"])
        .arg(&none)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nothing to export"));
    assert!(!none.exists());
    // The export is in the audit log, with its filters; failed exports are not.
    let log = redline(&db).args(["audit", "--json"]).output().unwrap();
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&log.stdout).unwrap();
    let exports: Vec<_> = entries.iter().filter(|e| e["action"] == "export").collect();
    assert_eq!(exports.len(), 2, "{entries:?}");
    // Each with the threshold it used, given or taken from the settings.
    assert!(exports
        .iter()
        .all(|e| e["data"]["filters"]["min_acceptance"] == 0.75));
    assert_eq!(exports[0]["data"]["encrypted"], false);
}

#[test]
fn validate_passes_an_export_and_fails_bad_files_with_exit_code_5() {
    let (dir, db) = setup();
    redline(&db)
        .args(["sample", "-n", "800", "--seed", "2"])
        .assert()
        .success();
    redline(&db)
        .args([
            "settings",
            "--system-prompt",
            "The Librarian=You keep the records. Cite the document.",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("system prompt for The Librarian"));
    let out = dir.path().join("chat.jsonl");
    redline(&db)
        .args(["export", "-o"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("validation: passed"));
    let run = redline(&db)
        .args(["validate", "--json"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success());
    let r: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(r["ok"], true);
    assert!(r["tokens_per_example"]["mean"].as_f64().unwrap() > 10.0);
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, b"{\"messages\":[]}\n\xff\xfe\n").unwrap();
    redline(&db)
        .arg("validate")
        .arg(&bad)
        .assert()
        .code(5)
        .stdout(predicate::str::contains("line 2 is not valid UTF-8"))
        .stdout(predicate::str::contains("no assistant message"));
    redline(&db)
        .arg("validate")
        .arg(dir.path().join("missing.jsonl"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot read"));
}

#[test]
fn marks_by_id_filter_and_phrase_are_honoured_by_the_export() {
    let (dir, db) = setup();
    redline(&db)
        .args(["sample", "-n", "600", "--seed", "4"])
        .assert()
        .success();
    // Every settlement whose final version still says "I hope this helps" is excluded.
    redline(&db)
        .args([
            "mark",
            "--exclude",
            "--reason",
            "filler left in",
            "--phrase",
            "I hope this helps",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("settlements marked"));
    let out = dir.path().join("x.jsonl");
    let run = redline(&db)
        .args(["export", "--json", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let excluded = r["skipped_excluded"].as_u64().unwrap();
    assert!(excluded > 0, "{r}");
    assert_eq!(
        r["excluded_reasons"]["filler left in"].as_u64(),
        Some(excluded)
    );
    assert!(!std::fs::read_to_string(&out)
        .unwrap()
        .contains("I hope this helps"));
    // Gold by id; --only-gold exports just those.
    redline(&db)
        .args(["mark", "--gold", "sample-4-000001", "sample-4-000002"])
        .assert()
        .success();
    let run = redline(&db)
        .args(["export", "--only-gold", "--json", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let written = r["written"].as_u64().unwrap();
    assert!((1..=2).contains(&written), "{r}");
    redline(&db)
        .args(["mark", "--gold", "no-such-id"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no settlement with id no-such-id"));
    redline(&db)
        .args([
            "mark",
            "--clear",
            "--all-matching",
            "--agent",
            "The Auditor",
        ])
        .assert()
        .success();
}

/// The standard `age` tool decrypts an encrypted export. `age` reads a passphrase only from a
/// terminal, so `expect` types it. Needs the `age` and `expect` packages: run by scripts/test.
#[test]
#[ignore = "needs the age and expect tools; run by scripts/test"]
fn the_age_tool_decrypts_an_encrypted_export() {
    let (dir, db) = setup();
    redline(&db)
        .args(["sample", "-n", "200", "--seed", "3"])
        .assert()
        .success();
    let out = dir.path().join("train.jsonl.age");
    redline(&db)
        .env("REDLINE_EXPORT_PASSPHRASE", "correct horse battery staple")
        .args(["export", "--encrypt", "-o"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("encrypted with age"));
    let plain = dir.path().join("train.jsonl");
    let script = format!(
        "spawn age -d -o {} {}\nexpect \"passphrase:\"\nsend \"correct horse battery staple\\r\"\nexpect eof\nlassign [wait] pid spawnid os_error value\nexit $value\n",
        plain.display(),
        out.display()
    );
    let status = std::process::Command::new("expect")
        .arg("-c")
        .arg(&script)
        .status()
        .expect("expect runs");
    assert!(status.success());
    let text = std::fs::read_to_string(&plain).unwrap();
    assert!(text.lines().count() > 50);
    assert!(text.starts_with("{\"messages\":"));
    redline(&db)
        .args(["export", "--encrypt", "-o", "x.age"])
        .env_remove("REDLINE_EXPORT_PASSPHRASE")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("REDLINE_EXPORT_PASSPHRASE"));
}

/// The dataset folder read by pyarrow, the Parquet reader `datasets.load_dataset("parquet")`
/// uses: the columns' types, each split's rows as the card states them, the folder as one
/// dataset. `REDLINE_PYTHON` names a Python with pyarrow (scripts/test makes a venv with it).
#[test]
#[ignore = "needs a Python with pyarrow; run by scripts/test"]
fn pyarrow_reads_the_dataset_folder_as_its_card_describes() {
    let python =
        std::env::var("REDLINE_PYTHON").expect("REDLINE_PYTHON names a Python with pyarrow");
    let (dir, db) = setup();
    redline(&db)
        .args(["sample", "-n", "1500", "--seed", "9"])
        .assert()
        .success();
    let folder = dir.path().join("hf");
    redline(&db)
        .args([
            "export",
            "--format",
            "hf-dataset",
            "--validation-share",
            "0.2",
            "-o",
        ])
        .arg(&folder)
        .assert()
        .success();
    let check = r#"
import re, sys
import pyarrow as pa, pyarrow.parquet as pq, pyarrow.dataset as ds
folder = sys.argv[1]
card = open(folder + "/README.md", encoding="utf-8").read()
counts = {s: int(n) for s, n in re.findall(r"- name: (train|validation)\n    num_examples: (\d+)", card)}
assert set(counts) == {"train", "validation"}, counts
want = {"id": pa.string(), "agent": pa.string(), "intent_type": pa.string(),
        "created_at": pa.timestamp("ms", tz="UTC"), "acceptance": pa.float64(),
        "system": pa.string(), "prompt": pa.string(), "completion": pa.string(), "rejected": pa.string()}
for split, n in counts.items():
    t = pq.read_table(f"{folder}/data/{split}-00000-of-00001.parquet")
    assert t.num_rows == n, (split, t.num_rows, n)
    assert {f.name: f.type for f in t.schema} == want, t.schema
    assert all(c.strip() for c in t.column("completion").to_pylist())
    assert min(t.column("acceptance").to_pylist()) >= 0.7
whole = ds.dataset(folder + "/data", format="parquet")
assert whole.count_rows() == sum(counts.values())
print("pyarrow", pa.__version__, counts)
"#;
    let out = std::process::Command::new(&python)
        .arg("-c")
        .arg(check)
        .arg(&folder)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("pyarrow "));
}

/// docs/scale.sql in DuckDB over `export --format parquet` gives Redline's own figures: per
/// agent, the settlements and mean acceptance of `summary`, and the deletions of the edit
/// operations (`diff`). `REDLINE_PYTHON` names a Python with duckdb (scripts/test's venv).
#[test]
#[ignore = "needs a Python with duckdb; run by scripts/test"]
fn duckdb_counts_equal_redlines() {
    let python =
        std::env::var("REDLINE_PYTHON").expect("REDLINE_PYTHON names a Python with duckdb");
    let (dir, db) = setup();
    redline(&db)
        .args(["sample", "-n", "1500", "--seed", "17"])
        .assert()
        .success();
    let folder = dir.path().join("tables");
    let run = redline(&db)
        .args([
            "export",
            "--format",
            "parquet",
            "--no-redact",
            "--json",
            "-o",
        ])
        .arg(&folder)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let tables: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(tables["settlements"], 1500);
    // Query 4 reads the deleted phrases Redline lists.
    let patterns = redline(&db).args(["patterns", "--json"]).output().unwrap();
    assert!(patterns.status.success());
    let listed = dir.path().join("patterns.json");
    std::fs::write(&listed, &patterns.stdout).unwrap();
    let sql = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/scale.sql"))
        .unwrap()
        .replace("DIR", &folder.to_string_lossy())
        .replace("PATTERNS", &listed.to_string_lossy());
    let script = r#"
import json, sys, duckdb
sql = sys.stdin.read()
out = []
for statement in [s for s in sql.split(";") if s.strip() and not all(l.strip().startswith("--") or not l.strip() for l in s.splitlines())]:
    out.append(duckdb.sql(statement).fetchall())
print(json.dumps(out))
"#;
    let mut child = std::process::Command::new(&python)
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Vec<Vec<serde_json::Value>>> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results.len(), 4);
    // 1. Against `summary --range all`.
    let summary = redline(&db)
        .args(["summary", "--range", "all", "--json"])
        .output()
        .unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&summary.stdout).unwrap();
    let agents = summary["agents"].as_array().unwrap();
    assert_eq!(results[0].len(), agents.len());
    for (row, a) in results[0].iter().zip(agents) {
        assert_eq!(row[0], a["agent"]);
        assert_eq!(row[1], a["settlements"]);
        let close = |x: &serde_json::Value, y: &serde_json::Value| {
            (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() < 1e-9
        };
        assert!(close(&row[2], &a["acceptance"]["value"]), "{row:?} {a}");
        assert!(close(&row[3], &a["accepted"]["value"]), "{row:?} {a}");
    }
    // 2. Against the edit operations Redline computes itself.
    let store = redline_core::store::Store::open(&db).unwrap();
    let mut expected: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    store
        .scan(None, None, |s| {
            let deletions = redline_core::patterns::ops::edit_ops(&s.ai_output, &s.final_output)
                .iter()
                .filter(|e| e.kind == redline_core::patterns::ops::OpKind::Delete && !e.moved)
                .count() as u64;
            if deletions > 0 {
                let e = expected.entry(s.agent.as_str().to_owned()).or_default();
                e.0 += deletions;
                e.1 += 1;
            }
        })
        .unwrap();
    let got: std::collections::BTreeMap<String, (u64, u64)> = results[1]
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_owned(),
                (r[1].as_u64().unwrap(), r[2].as_u64().unwrap()),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert!(!results[2].is_empty());
    // 4. Every deleted phrase of every agent (and of all agents): the settlements it was taken
    // out of, counted by DuckDB from the operations, equal the miner's own count.
    let patterns: serde_json::Value = serde_json::from_slice(&patterns.stdout).unwrap();
    let listed: usize = patterns["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["deleted"].as_array().unwrap().len())
        .sum();
    assert!(listed > 20, "{listed} deleted phrases listed");
    assert_eq!(results[3].len(), listed);
    for row in &results[3] {
        assert_eq!(
            row[2], row[3],
            "{row:?}: Redline's hits, DuckDB's settlements"
        );
    }
}
