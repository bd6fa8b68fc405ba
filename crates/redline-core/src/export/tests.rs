use super::*;
use crate::model::*;
use chrono::TimeZone;

fn s(id: &str, agent: &str, intent: &str, ai: &str, fin: &str) -> Settlement {
    Settlement {
        id: SettlementId::new(id).unwrap(),
        agent: AgentName::new(agent).unwrap(),
        intent_type: IntentType::new("operational"),
        intent: intent.into(),
        system_prompt: None,
        ai_output: ai.into(),
        final_output: fin.into(),
        created_at: Utc.with_ymd_and_hms(2026, 11, 2, 9, 30, 0).unwrap(),
        acceptance_rate: Some(Acceptance::new(0.9).unwrap()),
        prompt_version: Some("v2".into()),
        processing_ms: None,
        error: Some(false),
        source: Source {
            kind: SourceKind::Import,
            id: "t".into(),
            last_edited: None,
        },
    }
}

fn run(all: &[Settlement], o: &Options) -> (Report, String, String) {
    let mut train = Vec::new();
    let mut valid = Vec::new();
    let report = export_to(
        &mut |visit| {
            for x in all {
                visit(x.clone(), None);
            }
            Ok(())
        },
        o,
        &HashMap::new(),
        &mut train,
        (o.validation_share > 0.0).then_some(&mut valid as &mut dyn Write),
        &mut crate::job::no_progress,
        &Cancel::new(),
    )
    .unwrap()
    .unwrap();
    (
        report,
        String::from_utf8(train).unwrap(),
        String::from_utf8(valid).unwrap(),
    )
}

fn one() -> Settlement {
    s(
        "a1",
        "The Operator",
        "Plan the \"Q3\" move",
        "Let me help. Move it Monday.",
        "Move it Monday.\nOwner: Dana.",
    )
}

#[test]
fn each_format_snapshot() {
    let sys = "You are The Operator. Answer the admin's operational request directly, in plain words, ready to use.";
    let expect = |f: Format| -> String {
        let o = Options {
            format: f,
            ..Default::default()
        };
        run(&[one()], &o).1
    };
    assert_eq!(
        expect(Format::OpenAiChat),
        format!("{{\"messages\":[{{\"role\":\"system\",\"content\":\"{sys}\"}},{{\"role\":\"user\",\"content\":\"Plan the \\\"Q3\\\" move\"}},{{\"role\":\"assistant\",\"content\":\"Move it Monday.\\nOwner: Dana.\"}}]}}\n")
    );
    assert_eq!(expect(Format::TrlSft), expect(Format::OpenAiChat));
    assert_eq!(
        expect(Format::OpenAiDpo),
        format!("{{\"input\":{{\"messages\":[{{\"role\":\"system\",\"content\":\"{sys}\"}},{{\"role\":\"user\",\"content\":\"Plan the \\\"Q3\\\" move\"}}]}},\"preferred_output\":[{{\"role\":\"assistant\",\"content\":\"Move it Monday.\\nOwner: Dana.\"}}],\"non_preferred_output\":[{{\"role\":\"assistant\",\"content\":\"Let me help. Move it Monday.\"}}]}}\n")
    );
    assert_eq!(
        expect(Format::Bedrock),
        format!("{{\"system\":\"{sys}\",\"messages\":[{{\"role\":\"user\",\"content\":\"Plan the \\\"Q3\\\" move\"}},{{\"role\":\"assistant\",\"content\":\"Move it Monday.\\nOwner: Dana.\"}}]}}\n")
    );
    assert_eq!(
        expect(Format::TrlDpo),
        format!("{{\"prompt\":[{{\"role\":\"system\",\"content\":\"{sys}\"}},{{\"role\":\"user\",\"content\":\"Plan the \\\"Q3\\\" move\"}}],\"chosen\":[{{\"role\":\"assistant\",\"content\":\"Move it Monday.\\nOwner: Dana.\"}}],\"rejected\":[{{\"role\":\"assistant\",\"content\":\"Let me help. Move it Monday.\"}}]}}\n")
    );
    assert_eq!(
        expect(Format::Csv),
        format!("id,agent,intent_type,created_at,acceptance,split,system,intent,ai_output,final_output\r\na1,The Operator,operational,2026-11-02T09:30:00.000Z,0.9000,train,\"{sys}\",\"Plan the \"\"Q3\"\" move\",Let me help. Move it Monday.,\"Move it Monday.\nOwner: Dana.\"\r\n")
    );
}

#[test]
fn every_line_parses_back_with_its_shape() {
    let all = crate::sample::generate(&crate::sample::SampleSpec {
        count: 400,
        seed: 3,
        ..Default::default()
    });
    for f in Format::ALL.into_iter().filter(|f| *f != Format::Csv) {
        let (r, out, _) = run(
            &all,
            &Options {
                format: f,
                ..Default::default()
            },
        );
        assert!(r.written > 50, "{f:?}: {r:?}");
        // The sample data holds no personal data: any redaction would be a false positive.
        assert!(
            r.redactions.is_empty(),
            "false positives: {:?}",
            r.redactions
        );
        assert_eq!(out.lines().count(), r.written + r.undesirable);
        assert_eq!(r.undesirable > 0, f == Format::TrlKto, "{f:?}: {r:?}");
        for line in out.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            match f {
                Format::OpenAiChat | Format::TrlSft => {
                    let m = v["messages"].as_array().unwrap();
                    assert_eq!(m.len(), 3);
                    assert_eq!(m[2]["role"], "assistant");
                }
                Format::OpenAiDpo => {
                    assert_ne!(v["preferred_output"], v["non_preferred_output"]);
                }
                Format::Bedrock => assert_eq!(v["messages"][0]["role"], "user"),
                Format::TrlDpo => assert_ne!(v["chosen"], v["rejected"]),
                Format::TrlKto => {
                    assert_eq!(v["prompt"][1]["role"], "user");
                    assert_eq!(v["completion"][0]["role"], "assistant");
                    assert!(v["label"].is_boolean());
                }
                Format::Nova => {
                    assert_eq!(v["schemaVersion"], "bedrock-conversation-2024");
                    assert!(v["system"][0]["text"].is_string());
                    assert_eq!(v["messages"][1]["role"], "assistant");
                    assert!(v["messages"][1]["content"][0]["text"].is_string());
                }
                Format::Csv | Format::HfDataset => unreachable!(),
            }
        }
    }
}

#[test]
fn filters_threshold_and_reasons_are_counted() {
    let mut low = s(
        "low",
        "A",
        "x",
        "one two three four",
        "five six seven eight",
    );
    low.acceptance_rate = None; // computed: nothing kept → 0
    let mut err = s("err", "A", "y", "a b", "a b c");
    err.error = Some(true);
    let same = s("same", "A", "z", "Kept as is.", "Kept as is.");
    let other = s("other", "B", "w", "Hello there.", "Hello.");
    let no_intent = s("none", "A", " ", "Draft.", "Final.");
    let all = [low, err, same.clone(), other, no_intent];
    let (r, _, _) = run(
        &all,
        &Options {
            agents: vec!["A".into()],
            ..Default::default()
        },
    );
    assert_eq!(
        (
            r.written,
            r.skipped_filtered,
            r.skipped_below_threshold,
            r.skipped_errors,
            r.skipped_no_intent
        ),
        (1, 1, 1, 1, 1)
    );
    // Preference formats need an edit; "only edited" drops the untouched one too.
    let (r, _, _) = run(
        std::slice::from_ref(&same),
        &Options {
            format: Format::TrlDpo,
            ..Default::default()
        },
    );
    assert_eq!((r.written, r.skipped_no_preference), (0, 1));
    let (r, _, _) = run(
        &[same],
        &Options {
            only_edited: true,
            ..Default::default()
        },
    );
    assert_eq!((r.written, r.skipped_unedited), (0, 1));
    assert!(describe_skips(&r).contains("1 not edited"));
}

#[test]
fn pii_is_redacted_consistently_and_counted() {
    let x = s(
        "p1",
        "A",
        "Email dana@example.com about card 4111 1111 1111 1111",
        "Write to dana@example.com.",
        "Write to dana@example.com today; cc ravi@example.org.",
    );
    let (r, out, _) = run(std::slice::from_ref(&x), &Options::default());
    assert!(
        !out.contains("dana@example.com") && !out.contains("4111"),
        "{out}"
    );
    assert!(out.contains("<EMAIL_1>") && out.contains("<EMAIL_2>") && out.contains("<CARD_1>"));
    assert_eq!(r.redactions[&Kind::Email], 3);
    let (_, raw, _) = run(
        &[x],
        &Options {
            redact: false,
            ..Default::default()
        },
    );
    assert!(raw.contains("dana@example.com"));
}

#[test]
fn the_settlements_own_system_prompt_is_redacted_too() {
    let mut x = s(
        "p2",
        "A",
        "Reply to the ticket",
        "draft",
        "Done, see you soon.",
    );
    x.system_prompt = Some(
        "You answer for Dr. Priya Raman; escalate to ops@example.com, key sk_live_4eC39HqLyjWDarjtT1zdp7dc."
            .into(),
    );
    let (r, out, _) = run(&[x], &Options::default());
    for leaked in ["Priya", "Raman", "ops@example.com", "sk_live"] {
        assert!(!out.contains(leaked), "{leaked} in {out}");
    }
    assert!(
        out.contains("<NAME_1>") && out.contains("<EMAIL_1>") && out.contains("<SECRET_1>"),
        "{out}"
    );
    assert_eq!(r.redactions[&Kind::Person], 1);
}

#[test]
fn duplicates_exact_and_near_are_dropped() {
    let base = "Move the warehouse inventory to the new site on Monday and confirm the count with the operations lead before noon";
    let a = s("d1", "A", "Plan the move", "draft", base);
    let b = s("d2", "A", "Plan the move", "draft", &base.to_uppercase());
    let c = s(
        "d3",
        "A",
        "Plan the move",
        "draft",
        &base.replace("noon", "one"),
    );
    let d = s(
        "d4",
        "A",
        "Something else entirely",
        "draft",
        "A different answer about hiring plans and budgets for next year",
    );
    let (r, out, _) = run(&[a, b, c, d], &Options::default());
    assert_eq!(
        (r.written, r.duplicates_exact, r.duplicates_near),
        (2, 1, 1),
        "{out}"
    );
    let (r, _, _) = run(
        &[s("e1", "A", "i", "d", base), s("e2", "A", "i", "d", base)],
        &Options {
            dedupe: false,
            ..Default::default()
        },
    );
    assert_eq!(r.written, 2);
}

#[test]
fn the_split_is_deterministic_and_proportional_per_agent() {
    let all = crate::sample::generate(&crate::sample::SampleSpec {
        count: 3000,
        seed: 8,
        ..Default::default()
    });
    let o = Options {
        validation_share: 0.2,
        dedupe: false,
        ..Default::default()
    };
    let (r, train, valid) = run(&all, &o);
    let (r2, train2, valid2) = run(&all, &o);
    assert_eq!((train.clone(), valid.clone()), (train2, valid2));
    assert_eq!(r, r2);
    assert_eq!(r.train + r.validation, r.written);
    let share = r.validation as f64 / r.written as f64;
    assert!((share - 0.2).abs() < 0.03, "{share}");
    assert_eq!(
        validation_path(Path::new("/x/data.jsonl")),
        PathBuf::from("/x/data.validation.jsonl")
    );
}

#[test]
fn a_failed_or_empty_export_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let path = dir.path().join("out.jsonl");
    let err = export(
        &store,
        &Options::default(),
        &path,
        &mut crate::job::no_progress,
        &Cancel::new(),
    )
    .unwrap_err();
    assert!(matches!(err, ExportError::Empty(_)), "{err}");
    assert!(!path.exists());
    store.upsert_batch(&[one()]).unwrap();
    let cancel = Cancel::new();
    cancel.cancel();
    assert!(export(
        &store,
        &Options::default(),
        &path,
        &mut crate::job::no_progress,
        &cancel
    )
    .unwrap()
    .is_none());
    assert!(!path.exists());
    let missing = dir.path().join("no/such/dir/out.jsonl");
    let err = export(
        &store,
        &Options::default(),
        &missing,
        &mut crate::job::no_progress,
        &Cancel::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("no/such/dir"), "{err}");
    let r = export(
        &store,
        &Options::default(),
        &path,
        &mut crate::job::no_progress,
        &Cancel::new(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(r.written, 1);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2); // the store and the export
}

/// A store in a temporary folder holding `count` sample settlements (`seed`), and them.
fn sample_store(count: usize, seed: u64) -> (tempfile::TempDir, Store, Vec<Settlement>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let all = crate::sample::generate(&crate::sample::SampleSpec {
        count,
        seed,
        ..Default::default()
    });
    store.upsert_batch(&all).unwrap();
    (dir, store, all)
}

#[test]
fn a_preview_counts_without_writing() {
    let (dir, store, all) = sample_store(300, 6);
    let o = Options::default();
    let p = preview(&store, &o, 3, &mut crate::job::no_progress, &Cancel::new())
        .unwrap()
        .unwrap();
    let (r, out, _) = run(&all, &o);
    assert_eq!(p.report.written, r.written);
    assert_eq!(p.report.per_agent, r.per_agent);
    assert_eq!(p.first.len(), 3);
    // The store reads in time order; every previewed line is one the export writes.
    assert!(p.first.iter().all(|l| out.lines().any(|o| o == l)));
    assert!(p.tokens > 20 * r.written as u64, "{}", p.tokens);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn marks_exclude_and_gold_are_honoured_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let mut low = s(
        "low",
        "A",
        "Plan it",
        "one two three four",
        "five six seven eight",
    );
    low.acceptance_rate = Some(Acceptance::new(0.2).unwrap());
    let good = s("good", "A", "Plan that", "Draft.", "Final text.");
    let bad = s("bad", "A", "Plan this", "Draft.", "Another final.");
    store.upsert_batch(&[low, good, bad]).unwrap();
    crate::curation::set(
        &store,
        &["bad"],
        Some((
            crate::curation::MarkKind::Exclude,
            Some("wrong facts".into()),
        )),
    )
    .unwrap();
    crate::curation::set(
        &store,
        &["low"],
        Some((crate::curation::MarkKind::Gold, None)),
    )
    .unwrap();
    let path = dir.path().join("out.jsonl");
    let r = export(
        &store,
        &Options::default(),
        &path,
        &mut crate::job::no_progress,
        &Cancel::new(),
    )
    .unwrap()
    .unwrap();
    // "low" is below the bar but gold; "bad" is excluded whatever its acceptance.
    assert_eq!((r.written, r.gold, r.skipped_excluded), (2, 1, 1));
    assert_eq!(r.excluded_reasons["wrong facts"], 1);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("five six seven eight") && !text.contains("Another final"));
    let only = Options {
        only_gold: true,
        ..Default::default()
    };
    let r = export(
        &store,
        &only,
        &path,
        &mut crate::job::no_progress,
        &Cancel::new(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        (r.written, r.skipped_not_gold, r.skipped_excluded),
        (1, 1, 1)
    );
    assert!(describe_skips(&r).contains("1 marked \"exclude from training\""));
}

#[test]
fn an_encrypted_export_decrypts_with_the_passphrase_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    store.upsert_batch(&[one()]).unwrap();
    let path = dir.path().join("out.jsonl.age");
    let o = Options {
        passphrase: Some(SecretString::from(String::from("correct horse battery"))),
        ..Default::default()
    };
    let r = export(
        &store,
        &o,
        &path,
        &mut crate::job::no_progress,
        &Cancel::new(),
    )
    .unwrap()
    .unwrap();
    assert!(r.encrypted);
    // Validated by reading it back through the decryption.
    assert_eq!(r.validation_report.as_ref().unwrap().examples, 1);
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1"));
    assert!(!String::from_utf8_lossy(&bytes).contains("Owner: Dana"));
    let mut plain = String::new();
    std::io::Read::read_to_string(
        &mut decrypt(&bytes[..], o.passphrase.as_ref().unwrap()).unwrap(),
        &mut plain,
    )
    .unwrap();
    assert!(plain.contains("Owner: Dana"), "{plain}");
    assert!(decrypt(
        &bytes[..],
        &SecretString::from(String::from("wrong passphrase"))
    )
    .is_err());
    let short = Options {
        passphrase: Some(SecretString::from(String::from("short"))),
        ..Default::default()
    };
    assert!(export(
        &store,
        &short,
        &path,
        &mut crate::job::no_progress,
        &Cancel::new()
    )
    .unwrap_err()
    .to_string()
    .contains("at least 8"));
}

#[test]
fn saved_system_prompts_apply_when_a_settlement_has_none() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    store.upsert_batch(&[one()]).unwrap();
    set_system_prompt(&store, "The Operator", "You run operations. Be brief.").unwrap();
    let path = dir.path().join("out.jsonl");
    export(
        &store,
        &Options::default(),
        &path,
        &mut crate::job::no_progress,
        &Cancel::new(),
    )
    .unwrap();
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains("You run operations. Be brief."));
    set_system_prompt(&store, "The Operator", " ").unwrap();
    assert!(system_prompts(&store).unwrap().is_empty());
}

#[test]
fn the_registry_active_prompt_is_the_system_prompt_unless_one_is_saved_for_exports() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    store.upsert_batch(&[one()]).unwrap();
    let path = dir.path().join("out.jsonl");
    let system = |store: &Store| {
        export(
            store,
            &Options::default(),
            &path,
            &mut crate::job::no_progress,
            &Cancel::new(),
        )
        .unwrap();
        let line = std::fs::read_to_string(&path).unwrap();
        let v: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
        v["messages"][0]["content"].as_str().unwrap().to_owned()
    };
    assert!(system(&store).starts_with("You are The Operator."));
    crate::prompts::add(&store, "The Operator", "v1: run operations.", "", "admin").unwrap();
    crate::prompts::add(
        &store,
        "The Operator",
        "v2: run operations, briefly.",
        "",
        "admin",
    )
    .unwrap();
    // The first version stays active until another is activated.
    assert_eq!(system(&store), "v1: run operations.");
    crate::prompts::set_active(&store, "The Operator", 2).unwrap();
    assert_eq!(system(&store), "v2: run operations, briefly.");
    set_system_prompt(&store, "The Operator", "Export-only prompt.").unwrap();
    assert_eq!(system(&store), "Export-only prompt.");
}

#[test]
fn kto_labels_the_finals_desirable_and_the_drafts_below_the_bar_undesirable() {
    let kept = s("kept", "A", "q1", "Ship it Friday.", "Ship it Friday.");
    let mut light = s(
        "light",
        "A",
        "q2",
        "Ship it on Friday, ok.",
        "Ship it Friday.",
    );
    light.acceptance_rate = Some(Acceptance::new(0.8).unwrap());
    let mut rewritten = s(
        "rewritten",
        "A",
        "q3",
        "I think maybe we could ship.",
        "Ship Monday.",
    );
    rewritten.acceptance_rate = Some(Acceptance::new(0.2).unwrap());
    let all = [kept, light, rewritten];
    let o = Options {
        format: Format::TrlKto,
        min_acceptance: 0.7,
        dedupe: false,
        ..Default::default()
    };
    let (r, out, _) = run(&all, &o);
    assert_eq!(
        (r.written, r.undesirable, r.skipped_below_threshold),
        (3, 1, 0)
    );
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let labelled: Vec<(String, bool)> = lines
        .iter()
        .map(|v| {
            (
                v["completion"][0]["content"].as_str().unwrap().to_owned(),
                v["label"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        labelled,
        [
            ("Ship it Friday.".to_owned(), true),
            ("Ship it Friday.".to_owned(), true),
            ("Ship Monday.".to_owned(), true),
            ("I think maybe we could ship.".to_owned(), false),
        ]
    );
    // The bar is the export's minimum acceptance: raised above 0.8, the light edit's draft
    // is undesirable too.
    let (r, _, _) = run(
        &all,
        &Options {
            min_acceptance: 0.85,
            ..o
        },
    );
    assert_eq!((r.written, r.undesirable), (3, 2));
}

#[test]
fn the_store_export_reads_measured_acceptance_instead_of_diffing_again() {
    let (_dir, store, all) = sample_store(200, 9);
    let o = Options {
        min_acceptance: 0.0,
        ..Options::default()
    };
    let count = |o: &Options| {
        preview(&store, o, 0, &mut crate::job::no_progress, &Cancel::new())
            .unwrap()
            .unwrap()
            .report
    };
    // Measured by the Dashboard's path: the same figures as diffing in the export.
    let fresh = count(&Options {
        min_acceptance: 0.7,
        ..o.clone()
    });
    crate::analytics::observations(&store, None, None).unwrap();
    let cached = count(&Options {
        min_acceptance: 0.7,
        ..o.clone()
    });
    assert_eq!(fresh.written, cached.written);
    assert_eq!(
        fresh.skipped_below_threshold,
        cached.skipped_below_threshold
    );
    // The cache is what the export reads: a settlement whose cached measure says 0.1 is below
    // the bar, whatever its texts say (a write to the record drops its measure).
    let ids: Vec<String> = all
        .iter()
        .filter(|s| s.acceptance_rate.is_none())
        .map(|s| s.id.as_str().to_owned())
        .collect();
    assert!(!ids.is_empty());
    let low: Vec<(String, u64, Vec<u8>)> = store
        .records_for_measuring(&ids)
        .unwrap()
        .into_iter()
        .map(|(s, print)| {
            let mut m = crate::analytics::observe(&s);
            m.acceptance = 0.1;
            (
                s.id.as_str().to_owned(),
                print,
                postcard::to_stdvec(&m).unwrap(),
            )
        })
        .collect();
    store.put_measures(&low, &[]).unwrap();
    let forced = count(&Options {
        min_acceptance: 0.7,
        ..o.clone()
    });
    assert!(
        forced.skipped_below_threshold >= ids.len(),
        "{} of {}",
        forced.skipped_below_threshold,
        ids.len()
    );
}
