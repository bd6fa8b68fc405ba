//! The `redline` binary end to end: real processes, real store files in temp dirs.

use assert_cmd::Command;
use predicates::prelude::*;
use redline_core::store::{Filter, Store};
use std::io::BufRead;
use std::path::{Path, PathBuf};

fn redline(db: &Path) -> Command {
    let mut cmd = Command::cargo_bin("redline").unwrap();
    cmd.arg("--db").arg(db).env_remove("REDLINE_DB");
    cmd
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.redb");
    (dir, db)
}

#[test]
fn sample_then_stats_list_and_show() {
    let (_dir, db) = setup();
    redline(&db)
        .args(["sample", "-n", "500", "--seed", "4", "--end", "2026-11-20"])
        .assert()
        .success()
        .stdout(predicate::str::contains("500 new"));
    let out = redline(&db).args(["stats", "--json"]).output().unwrap();
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["total"], 500);
    assert_eq!(stats["by_agent"].as_object().unwrap().len(), 5);
    let months: u64 = stats["by_month"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(months, 500);

    let out = redline(&db)
        .args(["list", "--agent", "The Operator", "--limit", "5", "--json"])
        .output()
        .unwrap();
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    let id = page["items"][0]["id"].as_str().unwrap().to_owned();
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["agent"] == "The Operator"));

    let out = redline(&db).args(["show", &id, "--json"]).output().unwrap();
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["settlement"]["id"], id.as_str());
    let rebuilt: String = shown["spans"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] != "insert")
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(rebuilt, shown["settlement"]["ai_output"].as_str().unwrap());

    redline(&db)
        .args(["show", "no-such-id"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no settlement with id no-such-id"));
}

#[test]
fn import_reports_bad_lines_and_strict_imports_nothing() {
    let (dir, db) = setup();
    let file = dir.path().join("in.jsonl");
    redline(&db)
        .args(["sample", "-n", "20", "--out"])
        .arg(&file)
        .assert()
        .success();
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("{\"id\": \"x\", \"agent\": \"A\", \"ai_output\": \"a\"}\n");
    std::fs::write(&file, text).unwrap();

    redline(&db)
        .args(["import", "--strict"])
        .arg(&file)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("nothing imported"))
        .stderr(predicate::str::contains(
            "line 21: missing fields `final_output`, `created_at`",
        ));
    assert_eq!(Store::open(&db).unwrap().count().unwrap(), 0);

    redline(&db)
        .arg("import")
        .arg(&file)
        .assert()
        .code(3)
        .stdout(predicate::str::contains("20 new"))
        .stderr(predicate::str::contains("line 21"));
    redline(&db)
        .args(["import", "--json"])
        .arg(&file)
        .assert()
        .code(3)
        .stdout(predicate::str::contains("\"unchanged\": 20"));
}

#[test]
fn a_store_held_by_another_process_is_named() {
    let (_dir, db) = setup();
    let held = Store::open(&db).unwrap();
    redline(&db)
        .args(["stats"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("open in another Redline process"))
        .stderr(predicate::str::contains(db.display().to_string()));
    drop(held);
    redline(&db).args(["stats"]).assert().success();
}

#[test]
fn env_var_chooses_the_store() {
    let (_dir, db) = setup();
    Command::cargo_bin("redline")
        .unwrap()
        .env("REDLINE_DB", &db)
        .args(["sample", "-n", "3"])
        .assert()
        .success();
    assert_eq!(Store::open(&db).unwrap().count().unwrap(), 3);
}

/// Kill an import mid-way: the store holds whole batches only, its indexes agree, and running
/// the import again completes it without duplicates.
#[test]
fn an_import_killed_mid_way_leaves_whole_batches() {
    let (dir, db) = setup();
    let file = dir.path().join("big.jsonl");
    let n = 60_000;
    redline(&db)
        .args(["sample", "-n", &n.to_string(), "--out"])
        .arg(&file)
        .assert()
        .success();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("redline"))
        .arg("--db")
        .arg(&db)
        .args(["import", "--progress-lines"])
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Kill it once two batches have committed, well before it finishes.
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    for _ in 0..2 {
        let line = lines.next().unwrap().unwrap();
        assert!(line.starts_with("progress: "), "{line}");
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the import finished too soon"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    let store = Store::open(&db).unwrap();
    let count = store.count().unwrap();
    assert!(count > 0 && count < n, "{count}");
    assert_eq!(count % 2000, 0, "a partial batch was written: {count}");
    assert_eq!(store.list(&Filter::default(), 0, 1).unwrap().total, count);
    let counted: u64 = store.counts().unwrap().iter().map(|r| r.count).sum();
    assert_eq!(counted, count);
    drop(store);

    redline(&db).arg("import").arg(&file).assert().success();
    let store = Store::open(&db).unwrap();
    assert_eq!(store.count().unwrap(), n);
    assert_eq!(store.list(&Filter::default(), 0, 1).unwrap().total, n);
}

#[test]
fn summary_and_alerts_on_sample_data() {
    let (_dir, db) = setup();
    redline(&db)
        .args(["sample", "-n", "4000", "--seed", "5"])
        .assert()
        .success();
    let out = redline(&db)
        .args(["summary", "--range", "90d", "--json"])
        .output()
        .unwrap();
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["agents"].as_array().unwrap().len(), 5);
    let first = &s["agents"][0];
    assert!(
        first["acceptance"]["low"].as_f64().unwrap()
            <= first["acceptance"]["value"].as_f64().unwrap()
    );
    redline(&db)
        .args(["summary", "--range", "fortnight"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is not a range"));
    assert!(s["system"]["readiness"]["ready"].as_bool().unwrap());
    assert_eq!(s["system"]["goals"].as_array().unwrap().len(), 3);
    // Open alerts: exit code 4; acknowledged ones stay listed but no longer count.
    redline(&db)
        .arg("alerts")
        .assert()
        .code(4)
        .stdout(predicate::str::contains("The Auditor: acceptance fell"))
        .stdout(predicate::str::contains("[HIGH, OPEN]"));
    let out = redline(&db).args(["alerts", "--json"]).output().unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // One incident per agent: acknowledging it once quiets all its parts.
    let keys: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    let mut unique = keys.clone();
    unique.dedup();
    assert_eq!(keys, unique);
    assert!(keys.contains(&"agent:The Auditor"), "{keys:?}");
    for key in keys {
        redline(&db).args(["alerts", "ack", key]).assert().success();
    }
    redline(&db)
        .arg("alerts")
        .assert()
        .success()
        .stdout(predicate::str::contains("acknowledged]"));
    // `--all --json` is one document: the incidents and the cleared records.
    let out = redline(&db)
        .args(["alerts", "--all", "--json"])
        .output()
        .unwrap();
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!all["incidents"].as_array().unwrap().is_empty(), "{all}");
    assert!(all["cleared"].is_array(), "{all}");
    redline(&db)
        .args(["alerts", "ack", "agent:Nobody"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no incident or alert with key"));
    // The threshold is a setting: summary uses it unless told otherwise.
    redline(&db)
        .args(["settings", "--threshold", "0.9"])
        .assert()
        .success();
    let out = redline(&db)
        .args(["summary", "--range", "2026-01-01..2030-01-01", "--json"])
        .output()
        .unwrap();
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["threshold"].as_f64(), Some(0.9));
    assert_eq!(s["settlements"].as_u64(), Some(4000));
    redline(&db)
        .args(["settings", "--threshold", "70"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("between 0 and 1"));
    let out = redline(&db)
        .args([
            "compare",
            "The Entrepreneur",
            "The Auditor",
            "--range",
            "90d",
            "--json",
        ])
        .output()
        .unwrap();
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        c["acceptance"]["difference"]["low"].as_f64().unwrap() > 0.0,
        "{c}"
    );
    assert!(c["acceptance"]["p_value"].as_f64().unwrap() < 0.001);
    assert_eq!(c["by_intent"].as_array().unwrap().len(), 3);
    redline(&db)
        .args(["compare", "The Entrepreneur", "The Auditor"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Mann–Whitney p ="));
}

#[test]
fn patterns_improvements_and_diff() {
    let (_dir, db) = setup();
    redline(&db)
        .args(["sample", "-n", "3000", "--seed", "9"])
        .assert()
        .success();
    let out = redline(&db)
        .args(["patterns", "--agent", "The Strategist", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let agents = r["agents"].as_array().unwrap();
    // One agent asked for: no all-agents group.
    assert_eq!(agents.len(), 1);
    assert!(agents[0]["replacements"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["from"] == "it is recommended" && x["to"] == "we recommend"));
    // The kinds of edit: shares of all edit operations, the planted register change among
    // them, each with an example of its own.
    let kinds = agents[0]["edit_kinds"].as_array().unwrap();
    let total: f64 = kinds.iter().map(|k| k["share"].as_f64().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-9, "{kinds:?}");
    let tone = kinds
        .iter()
        .find(|k| k["kind"] == "tone")
        .expect("tone edits");
    assert!(tone["example"]["old"].is_string(), "{tone}");
    redline(&db)
        .args(["patterns", "--agent", "The Strategist"])
        .assert()
        .success()
        .stdout(predicate::str::contains("kinds of edit").and(predicate::str::contains("tone")));
    redline(&db)
        .args(["improvements", "--agent", "The Strategist"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Say “we recommend” instead of “it is recommended”",
        ));
    // Replayed: mined on the earlier half, the replacement holds on the later one.
    let out = redline(&db)
        .args([
            "improvements",
            "--agent",
            "The Strategist",
            "--validate",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let replay = &r["replay"][0]["replay"];
    assert_eq!(replay["status"], "done", "{replay}");
    let rule = replay["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["phrase"] == "it is recommended")
        .unwrap_or_else(|| panic!("{replay}"));
    assert_eq!(rule["validated"], true, "{rule}");
    assert!(rule["saved"]["low"].as_f64().unwrap() > 0.0);
    assert!(replay["summary"]
        .as_str()
        .unwrap()
        .starts_with("Following these"));
    redline(&db)
        .args(["improvements", "--agent", "The Strategist", "--validate"])
        .assert()
        .success()
        .stdout(predicate::str::contains("✓").and(predicate::str::contains(
            "Write “we recommend” instead of “it is recommended”",
        )));
    redline(&db)
        .args(["patterns", "--agent", "Nobody"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "no settlements from an agent named 'Nobody'",
        ));
    // diff: offsets that cut the texts exactly, and ops that rebuild the final version.
    let store = Store::open(&db).unwrap();
    let page = store.list(&Filter::default(), 0, 50).unwrap();
    drop(store);
    let mut checked = 0;
    for row in page.items.iter().take(20) {
        let out = redline(&db)
            .args(["diff", row.id.as_str(), "--json"])
            .output()
            .unwrap();
        let ops: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        let show = redline(&db)
            .args(["show", row.id.as_str(), "--json"])
            .output()
            .unwrap();
        let s: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
        let ai: Vec<char> = s["settlement"]["ai_output"]
            .as_str()
            .unwrap()
            .chars()
            .collect();
        for op in &ops {
            let (a, b) = (
                op["old_start"].as_u64().unwrap() as usize,
                op["old_end"].as_u64().unwrap() as usize,
            );
            assert_eq!(
                ai[a..b].iter().collect::<String>(),
                op["old_text"].as_str().unwrap()
            );
            checked += 1;
        }
    }
    assert!(checked > 0);
}

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

/// The design's workflow from the shell: a low-acceptance agent's last 30 settlements →
/// patterns → variants → one accepted as a new version → an experiment → settlements routed
/// by `experiment route` (as a backend would) → results → complete → deploy.
#[test]
fn prompts_variants_and_an_experiment_from_creation_to_deployment() {
    let (dir, db) = setup();
    redline(&db)
        .args(["sample", "-n", "1500", "--seed", "3"])
        .assert()
        .success();
    redline(&db)
        .args(["prompts", "adopt"])
        .assert()
        .success()
        .stdout(predicate::str::contains("added v1 of The Auditor"));
    let out = redline(&db)
        .args(["variants", "--agent", "The Auditor", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let g: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(g["analysed"], 30);
    let variants = g["variants"].as_array().unwrap();
    assert!((3..=5).contains(&variants.len()), "{g:#}");
    redline(&db)
        .args(["variants", "--agent", "The Auditor", "--accept", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("as v2 of The Auditor"));
    redline(&db)
        .args(["prompts", "diff", "--agent", "The Auditor", "v1", "v2"])
        .assert()
        .success()
        .stdout(predicate::str::contains("{+"));
    let out = redline(&db)
        .args([
            "experiment",
            "create",
            "--agent",
            "The Auditor",
            "--a",
            "v1",
            "--b",
            "v2",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = e["id"].as_str().unwrap().to_owned();
    // A second running experiment for the same agent is refused.
    redline(&db)
        .args([
            "experiment",
            "create",
            "--agent",
            "The Auditor",
            "--a",
            "v1",
            "--b",
            "v2",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("already has a running experiment"));
    // Route 400 intents through stdin, one a line.
    let intents: String = (0..400).map(|i| format!("intent-{i}\n")).collect();
    let out = redline(&db)
        .args(["experiment", "route", &id])
        .write_stdin(intents)
        .output()
        .unwrap();
    let routed: Vec<String> = out.stdout.lines().map(Result::unwrap).collect();
    assert_eq!(routed.len(), 400);
    assert!(routed.iter().all(|v| v == "variant_a" || v == "variant_b"));
    // The backend logs each settlement with its variant's tag; B is clearly better.
    // Between the experiment's start and now (completing stops counting at that moment).
    let start: chrono::DateTime<chrono::Utc> = e["created"].as_str().unwrap().parse().unwrap();
    let lines: String = routed
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let b = v == "variant_b";
            let rate = if b { 0.9 } else { 0.6 } - (i % 5) as f64 * 0.03;
            serde_json::json!({
                "id": format!("exp-{i}"), "agent": "The Auditor", "intent_type": "operational",
                "ai_output": "Draft.", "final_output": "Final.",
                "created_at": (start + chrono::Duration::milliseconds(i as i64 + 1)).to_rfc3339(),
                "acceptance_rate": rate, "prompt_version": if b { "v2" } else { "v1" },
            })
            .to_string()
                + "\n"
        })
        .collect();
    let file = dir.path().join("routed.jsonl");
    std::fs::write(&file, lines).unwrap();
    redline(&db).arg("import").arg(&file).assert().success();
    let out = redline(&db)
        .args(["experiment", "results", &id, "--json"])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        r["a"]["n"].as_u64().unwrap() + r["b"]["n"].as_u64().unwrap(),
        400
    );
    assert_eq!(r["verdict"]["winner"], "VariantB", "{r:#}");
    assert!(r["sequential"]["p_value"].as_f64().unwrap() < 0.05);
    redline(&db)
        .args(["experiment", "complete", &id])
        .assert()
        .success()
        .stdout(predicate::str::contains("Variant B wins"));
    redline(&db)
        .args(["experiment", "deploy", &id])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "v2 is now The Auditor's active prompt",
        ));
    redline(&db)
        .args(["prompts", "list", "--agent", "The Auditor", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"active\": 2"));
    redline(&db)
        .args(["experiment", "deploy", &id])
        .assert()
        .failure()
        .stderr(predicate::str::contains("is Winner_Deployed"));
}

#[test]
fn the_llm_needs_a_configuration_and_consent_before_anything_is_sent() {
    let (_dir, db) = setup();
    redline(&db)
        .args(["sample", "-n", "300"])
        .assert()
        .success();
    redline(&db)
        .args(["variants", "--agent", "The Auditor", "--llm"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no LLM is configured"));
    redline(&db)
        .args([
            "llm",
            "set",
            "--provider",
            "ollama",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--model",
            "llama3",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "consent to send settlement text: not given",
        ));
    // Port 9 (discard) would refuse the connection; consent is checked before that.
    redline(&db)
        .args(["variants", "--agent", "The Auditor", "--llm", "3"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("needs your consent first"));
    redline(&db)
        .args(["llm", "consent", "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "consent to send settlement text: given",
        ));
    redline(&db).args(["prompts", "adopt"]).assert().success();
    redline(&db)
        .args(["variants", "--agent", "The Auditor", "--llm"])
        .env_remove("REDLINE_LLM_API_KEY")
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "cannot reach OpenAI-compatible at http://127.0.0.1:9/v1",
        ));
    redline(&db)
        .args(["audit", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("llm_consent_given"));
}

#[test]
fn watch_flags_the_planted_issues_and_report_writes_html_and_markdown() {
    let (dir, db) = setup();
    // Sample data ending today: the planted regression and emerging pattern are current.
    redline(&db)
        .args(["sample", "-n", "4000"])
        .assert()
        .success();
    let out = redline(&db).args(["watch", "--json"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let incidents: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let incidents = incidents.as_array().unwrap();
    let of = |agent: &str| -> Vec<&serde_json::Value> {
        incidents.iter().filter(|i| i["agent"] == agent).collect()
    };
    // The regressing agent is one top-level incident led by its drop, its findings inside.
    let auditor = of("The Auditor");
    assert_eq!(auditor.len(), 1, "{incidents:#?}");
    assert_eq!(
        (auditor[0]["kind"].as_str(), auditor[0]["severity"].as_str()),
        (Some("drop"), Some("high"))
    );
    let parts: Vec<&str> = auditor[0]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(parts[0], "drop");
    assert!(parts.len() > 1, "{parts:?}");
    // The Operator's planted phrase emerges; whether its acceptance also dips enough in the
    // last 7 days to lead the incident as a drop depends on the hour the sample ends (on a
    // Friday evening it does), so the finding is looked for among the incident's parts.
    let operator = of("The Operator");
    assert_eq!(operator.len(), 1, "{incidents:#?}");
    let kinds: Vec<&str> = std::iter::once(&operator[0]["kind"])
        .chain(
            operator[0]["parts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| &p["kind"]),
        )
        .filter_map(|k| k.as_str())
        .collect();
    assert!(kinds.contains(&"emerging_pattern"), "{kinds:?}");
    // Text: one top-level line per incident.
    let out = redline(&db).arg("watch").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().filter(|l| l.starts_with('[')).count(),
        incidents.len(),
        "{text}"
    );
    let reports = dir.path().join("reports");
    redline(&db)
        .arg("report")
        .arg("--out")
        .arg(&reports)
        .assert()
        .success()
        .stdout(predicate::str::contains("source internal wiki"));
    let names: Vec<String> = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().any(|n| n.ends_with(".html")) && names.iter().any(|n| n.ends_with(".md")));
    redline(&db)
        .args(["report", "--slack", "--out"])
        .arg(&reports)
        .env_remove("REDLINE_SLACK_WEBHOOK")
        .assert()
        .failure()
        .stderr(predicate::str::contains("REDLINE_SLACK_WEBHOOK"));
    // An empty store needs no attention.
    let (_d2, empty) = setup();
    redline(&empty)
        .arg("watch")
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing needs attention"));
}

#[test]
fn text_from_settlements_cannot_drive_the_terminal() {
    let (dir, db) = setup();
    let file = dir.path().join("evil.jsonl");
    let evil = "\u{1b}]0;owned\u{7}\u{1b}[31mEvil\u{202e}";
    std::fs::write(
        &file,
        format!(
            "{}\n",
            serde_json::json!({"id": "e1", "agent": evil, "ai_output": "Hello \u{1b}[2J there.",
                "final_output": "Hello there.", "created_at": "2026-03-01T09:30:00Z"})
        ),
    )
    .unwrap();
    redline(&db).arg("import").arg(&file).assert().success();
    for args in [vec!["stats"], vec!["show", "e1"], vec!["list"]] {
        let out = redline(&db).args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'),
            "{args:?} printed raw control characters: {text:?}"
        );
        assert!(text.contains("\\x1b"), "{args:?}: {text:?}");
    }
    // JSON stays exact (JSON escapes them itself).
    let out = redline(&db)
        .args(["show", "e1", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["settlement"]["agent"], evil, "{v}");
}

#[test]
fn a_stale_store_is_said_and_summaries_can_end_at_its_newest_settlement() {
    let (_dir, db) = setup();
    // The sample ends on a weekday 15 to 17 days back (the generator moves weekend days to the
    // Friday before, so an end on a weekend would end the sample on that Friday), its newest
    // settlement in working hours of that day: 14 to 17 whole days before now.
    let mut day = (chrono::Utc::now() - chrono::Duration::days(15)).date_naive();
    while chrono::Datelike::weekday(&day).number_from_monday() > 5 {
        day = day.pred_opt().unwrap();
    }
    let end = day.format("%Y-%m-%d").to_string();
    redline(&db)
        .args(["sample", "-n", "2000", "--end", &end])
        .assert()
        .success();
    redline(&db)
        .args(["summary", "--range", "7d"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("0 settlements").and(
                predicate::str::is_match(
                    "note: no settlements in this range: the newest is 1[4-7] days old",
                )
                .unwrap(),
            ),
        );
    let out = redline(&db)
        .args(["summary", "--range", "7d", "--as-of", "newest", "--json"])
        .output()
        .unwrap();
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(s["settlements"].as_u64().unwrap() > 0, "{s}");
    assert!(s["to"].as_str().unwrap().starts_with(&end), "{}", s["to"]);
    redline(&db)
        .args(["summary", "--as-of", "yesterday"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--as-of takes `newest` or a date"));
    redline(&db).arg("watch").assert().code(4).stdout(
        predicate::str::is_match(r"\[HIGH, OPEN\] No new settlements for 1[4-7] days").unwrap(),
    );
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
