//! Prompts, variants and an experiment from creation to deployment; the LLM's consent.

use super::*;

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
    assert!((3..=6).contains(&variants.len()), "{g:#}");
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
