//! Improvements (phrases and the settlements behind them), the export and curation marks.

use super::*;

#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb and tauri-driver"]
fn improvements_show_recommendations_and_the_settlements_behind_a_phrase() {
    let (dir, db) = sample_store(&SampleSpec {
        count: 3000,
        seed: 4,
        ..Default::default()
    });
    let app = App::start_with(dir, &db);
    app.watch_console();
    open_settlements(&app);
    app.wait_text("#result-count", "the settlements", |t| t.ends_with("3,000"));
    app.click("#nav-patterns");
    app.wait_text("#rec-title", "recommendations", |t| {
        t.contains("Recommended")
    });
    // The Strategist's planted tone shift is recommended back as a prompt change.
    app.execute(
        "const s = document.getElementById('imp-agent'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));",
        vec![serde_json::json!("The Strategist")],
    );
    let recs = app.wait_text(
        "#recommendations ol",
        "the Strategist's recommendations",
        |t| t.contains("we recommend"),
    );
    assert!(recs.contains("Leave out “"), "{recs}");
    // The threshold shown is the miner's own (5 for the Strategist's 580 settlements).
    let about = app.text("#imp-about");
    assert!(
        about.contains("a phrase needs at least 5 of the outputs people edited"),
        "{about}"
    );
    app.screenshot("30-improvements");
    // Enter on the first deleted phrase lists its settlements with the phrase marked.
    app.send_keys("#deleted-table tbody tr:first-child", keys::ENTER);
    app.wait_text("#examples h3", "the phrase's settlements", |t| {
        t.to_lowercase().starts_with("taken out:")
    });
    app.find("#examples article mark.hit");
    assert!(app.count("#examples article") >= 1);
    app.screenshot("31-improvements-examples");
    // The kinds of edit: the planted register change is there with an example of its own, and
    // Enter on its row lists its settlements.
    let kinds = app.text("#kinds-table tbody");
    assert!(kinds.contains("tone") && kinds.contains("→"), "{kinds}");
    app.send_keys("#kinds-table tbody tr:first-child", keys::ENTER);
    app.wait_text("#examples h3", "the kind's settlements", |t| {
        t.to_lowercase().starts_with("kind of edit:")
    });
    // The settlements load after the heading shows.
    app.find("#examples article");
    assert!(app.count("#examples article") >= 1);
    app.screenshot("31a-improvements-kinds");
    // What people add: listed only when they add it more often than they take it out, as the
    // title says; the Strategist's people add "we recommend".
    let title = app.text("#added-table-title");
    assert!(
        title.contains("more often than they take it out"),
        "{title}"
    );
    let added = app.text("#added-table tbody");
    assert!(added.contains("we recommend"), "{added}");
    app.execute(
        "document.querySelector('#added-table').scrollIntoView()",
        vec![],
    );
    app.screenshot("31c-improvements-added");
    // Checked by replay: mined on the earlier half, the changes hold on the later one.
    app.click("#replay-run");
    let summary = app.wait_text("#replay-summary", "the replay's finding", |t| {
        t.starts_with("Following") || t.starts_with("No candidate") || t.starts_with("Too few")
    });
    assert!(summary.starts_with("Following"), "{summary}");
    assert!(app.count("#replay-table tbody tr[data-validated='true']") >= 1);
    app.screenshot("31b-improvements-replay");

    // A slow answer never replaces the view the person moved to: Home's overview is held back
    // 1.5 s; meanwhile the person opens Improvements, and Home's late render must not show.
    app.execute(
        "const core = window.__TAURI__.core; const invoke = core.invoke.bind(core); \
         core.invoke = (cmd, args, opts) => cmd === 'home_overview' \
           ? new Promise((r) => setTimeout(r, 1500)).then(() => invoke(cmd, args, opts)) \
               .then((v) => { window.__lateHome = (window.__lateHome || 0) + 1; return v; }) \
           : invoke(cmd, args, opts);",
        vec![],
    );
    app.click("#nav-home");
    app.click("#nav-patterns");
    app.wait_text("#rec-title", "Improvements again", |t| {
        t.contains("Recommended")
    });
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert!(
        app.count("#home-changed") == 0,
        "Home's late answer replaced Improvements"
    );
    assert!(app.count("#rec-title") == 1);
    assert!(app.count("#nav-patterns.active") == 1);

    // 40 new settlements of the Strategist are imported; back in Improvements, the kept miner
    // takes them in (only they are analysed) and the view says so.
    let note = |t: &str| -> Option<u64> {
        t.split(" settlements of ")
            .next()?
            .replace(',', "")
            .trim()
            .parse()
            .ok()
    };
    let before = note(&app.text("#improvements p.note")).expect("the count of settlements");
    let file = app.dir.path().join("more.jsonl");
    {
        let mut f = std::fs::File::create(&file).unwrap();
        let spec = SampleSpec {
            count: 40,
            seed: 40,
            ..Default::default()
        };
        for i in 0..40 {
            let mut s = sample::generate_one(&spec, i);
            s.id = redline_core::model::SettlementId::new(format!("later-{i}")).unwrap();
            s.agent = redline_core::model::AgentName::new("The Strategist").unwrap();
            s.created_at = chrono::Utc::now() - chrono::Duration::hours(1);
            writeln!(f, "{}", to_interchange(&s)).unwrap();
        }
    }
    app.click("#nav-settlements");
    app.click("#open-import");
    app.type_into("#import-path", file.to_str().unwrap());
    app.click("#import-run");
    app.wait_text("#import-report", "the import report", |t| {
        t.contains("40 new")
    });
    app.click("#import-done");
    app.click("#nav-patterns");
    app.wait_text("#improvements p.note", "the new count", |t| {
        note(t) == Some(before + 40)
    });
    assert!(app.text("#recommendations ol").contains("we recommend"));
    app.screenshot("32-improvements-after-import");
    // After the import, the background pass mines each agent's all-time patterns again and
    // keeps them: opening the view then reads them (the same report, mined at the same time)
    // instead of mining.
    let mined = || {
        app.execute_async(
            "const done = arguments[0]; \
             window.__TAURI__.core.invoke('mine_patterns', {agent: 'The Strategist', range: 'all', intentType: ''}) \
               .then((r) => done({at: r.computed_at, n: r.settlements}), \
                     (e) => done({error: String(e && e.message || e)}));",
            vec![],
        )
    };
    // A mining the person asks for pauses the background pass until mining has been left
    // alone for 10 s, so this asks only every 30 s.
    let stable = settled(mined, std::time::Duration::from_secs(30), 8, |_| true);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(mined(), stable, "the kept report was mined again");
    assert!(stable["n"].as_u64().unwrap() > 0, "{stable}");
    assert_eq!(app.console_errors(), Vec::<String>::new());
}

#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb and tauri-driver"]
fn export_previews_writes_and_validates_a_redacted_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redline.redb");
    {
        let store = Store::open(&db).unwrap();
        let spec = SampleSpec {
            count: 1500,
            seed: 14,
            ..Default::default()
        };
        redline_core::import::load_sample(&store, &spec, &mut no_progress, &Cancel::new()).unwrap();
        // One approved settlement that carries personal data.
        let mut s = sample::generate_one(&spec, 0);
        s.id = redline_core::model::SettlementId::new("pii-1").unwrap();
        s.intent = "Send the renewal to dana.w@example.com today".into();
        s.final_output =
            "Mail dana.w@example.com the renewal; card 4111 1111 1111 1111 is on file.".into();
        s.ai_output = s.final_output.clone();
        s.acceptance_rate = Some(redline_core::model::Acceptance::new(1.0).unwrap());
        s.error = Some(false);
        store.upsert_batch(&[s]).unwrap();
    }
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("train.jsonl");
    let app = App::start_with(dir, &db);
    app.watch_console();
    open_settlements(&app);
    app.wait_text("#result-count", "the settlements", |t| t.ends_with("1,501"));
    app.click("#nav-export");
    let head = app.wait_text("#ex-preview h2", "a preview", |t| t.contains("examples"));
    assert!(head.contains("tokens"), "{head}");
    assert!(app.text("#export-redactions").contains("email"));
    app.screenshot("40-export");
    // The chosen format's service is winding down: the view says so, from the dated table.
    let note = app.wait_text("#ex-format-note", "the format's standing", |t| {
        t.contains("OpenAI")
    });
    assert!(
        note.contains("closing") && note.contains("2027-01-06"),
        "{note}"
    );
    assert_eq!(
        app.count("#ex-targets tbody tr"),
        redline_core::export::targets::TARGETS.len()
    );
    // KTO: the finals are desirable, the drafts below the bar undesirable; TRL is open.
    let pick = |f: &str| {
        app.execute(
            &format!("const s = document.getElementById('ex-format'); s.value = '{f}'; s.dispatchEvent(new Event('change'));"),
            vec![],
        );
    };
    pick("trl-kto");
    let kto = app.wait_text("#export-kto", "the KTO counts", |t| {
        t.contains("labelled false")
    });
    assert!(kto.starts_with("KTO: "), "{kto}");
    assert_eq!(app.text("#ex-format-note"), "");
    app.screenshot("42-export-kto");
    // A Hugging Face dataset: a folder chosen in the app's dialog, with a licence for its card.
    pick("hf-dataset");
    let dataset = out_dir.path().join("dataset");
    answer_dialog(&app, &dataset);
    app.click("#ex-choose");
    app.wait_text("#ex-dest", "the chosen folder", |t| t.ends_with("dataset"));
    app.type_into("#ex-license", "cc-by-4.0");
    app.click("#ex-run");
    let done = app.wait_text("#ex-done", "the dataset report", |t| t.contains("Wrote"));
    assert!(done.contains("Hugging Face dataset"), "{done}");
    assert!(dataset.join("data/train-00000-of-00001.parquet").exists());
    let card = std::fs::read_to_string(dataset.join("README.md")).unwrap();
    assert!(card.starts_with("---\nlicense: cc-by-4.0\n"), "{card}");
    // Tables for analysis: the settlements and their edit operations as Parquet, into a folder
    // chosen in the app's dialog.
    let tables = out_dir.path().join("tables");
    answer_dialog(&app, &tables);
    app.click("#ex-tables summary");
    app.click("#ex-tables-run");
    let done = app.wait_text("#ex-tables-done", "the tables report", |t| {
        t.contains("Wrote")
    });
    assert!(done.contains("edit operations as Parquet tables"), "{done}");
    assert!(tables.join("settlements.parquet").exists());
    assert!(tables.join("operations.parquet").exists());
    app.screenshot("43-export-tables");
    pick("openai-chat");
    app.wait_text("#ex-format-note", "the standing again", |t| {
        t.contains("OpenAI")
    });
    app.wait_text("#ex-preview h2", "the preview again", |t| {
        t.contains("examples")
    });
    // Where to save is chosen in the app's own dialog (answered by the test build's stub);
    // the page only ever holds a handle.
    app.wait_text("#ex-dest", "no file for this format yet", |t| {
        t.contains("No file chosen")
    });
    answer_dialog(&app, &out);
    app.click("#ex-choose");
    app.wait_text("#ex-dest", "the chosen file", |t| {
        t.ends_with("train.jsonl")
    });
    app.click("#ex-run");
    let done = app.wait_text("#ex-done", "the export report", |t| t.contains("Wrote"));
    assert!(done.contains("Validation passed"), "{done}");
    app.screenshot("41-export-done");
    // The file is there, whole, valid, and holds no e-mail address or card number.
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains("dana.w@example.com") && !text.contains("4111 1111"));
    assert!(text.contains("<EMAIL_1>"));
    let report = redline_core::validate::validate_file(&out, &Default::default()).unwrap();
    assert!(report.ok, "{:?}", report.failures);
    assert!(out_dir.path().join("train.validation.jsonl").exists());
    // An unwritable path is refused clearly.
    // A path made up in the page is no destination: only a handle from the dialog is.
    let forged = app.execute_async(
        "const done = arguments[0]; \
         window.__TAURI__.core.invoke('run_export', {options: {format: 'openai-chat'}, destination: '/tmp/forged.jsonl'}) \
           .then(() => done('ok'), (e) => done('refused: ' + String(e && e.message || e)));",
        vec![],
    );
    assert!(
        forged.as_str().is_some_and(|t| t.starts_with("refused")),
        "{forged}"
    );
    assert!(!std::path::Path::new("/tmp/forged.jsonl").exists());
    // The destination is remembered: back on the view, one click exports again.
    app.click("#nav-settlements");
    app.click("#nav-export");
    app.wait_text("#ex-dest", "the remembered file", |t| {
        t.ends_with("train.jsonl")
    });
    // An unwritable destination is refused clearly.
    answer_dialog(&app, std::path::Path::new("/nonexistent-dir/x.jsonl"));
    app.click("#ex-choose");
    app.wait_text("#ex-dest", "the new destination", |t| {
        t.ends_with("x.jsonl")
    });
    app.click("#ex-run");
    app.wait_text("#ex-error", "the error", |t| {
        t.to_lowercase().contains("cannot write")
    });
    assert_eq!(app.console_errors(), Vec::<String>::new());
}

#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb and tauri-driver"]
fn curation_marks_show_in_the_list_and_keep_settlements_out_of_the_export() {
    let app = App::start();
    app.watch_console();
    app.wait_text("h1", "the welcome title", |t| t.contains("Welcome"));
    app.type_into("#sample-count", "300");
    app.click("#sample-load");
    app.wait_text("#result-count", "300 settlements", |t| {
        t.ends_with("of 300")
    });
    app.click("#row-0");
    let id = app.attr("#row-0", "data-id").unwrap();
    app.type_into("#mark-reason", "wrong numbers");
    app.click("#mark-exclude");
    app.wait_text("#row-0 .row-top", "the excluded chip", |t| {
        t.contains("excluded")
    });
    app.wait_text("#detail .curation", "the mark", |t| {
        t.contains("wrong numbers")
    });
    app.screenshot("50-curation");
    // Bulk: exclude every settlement of one search.
    app.type_into("#f-search", "warehouse");
    app.wait_text("#result-count", "a narrower list", |t| {
        !t.ends_with("of 300")
    });
    app.click("#mark-all");
    app.wait_text("#row-0 .row-top", "excluded chips", |t| {
        t.contains("excluded")
    });
    let dir = app.close();
    // The marks are in the store, and the export honours them.
    let store = Store::open(&dir.path().join("redline.redb")).unwrap();
    let marks = redline_core::curation::all(&store).unwrap();
    assert_eq!(marks[&id].reason.as_deref(), Some("wrong numbers"));
    assert!(marks.len() > 1);
    let out = dir.path().join("x.jsonl");
    let r = redline_core::export::export(
        &store,
        &Default::default(),
        &out,
        &mut no_progress,
        &Cancel::new(),
    )
    .unwrap()
    .unwrap();
    assert!(r.skipped_excluded >= marks.len() - 1, "{r:?}");
    assert!(!std::fs::read_to_string(&out)
        .unwrap()
        .to_lowercase()
        .contains("warehouse"));
}

#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb and tauri-driver"]
fn a_mark_people_take_out_is_shown_and_recommended() {
    // A Writer whose em dashes people swap for commas in two outputs of three.
    let (dir, db) = sample_store(&SampleSpec {
        count: 200,
        seed: 9,
        ..Default::default()
    });
    {
        let store = Store::open(&db).unwrap();
        let spec = SampleSpec::default();
        let writer: Vec<_> = (0..90)
            .map(|i| {
                let mut s = sample::generate_one(&spec, i);
                s.id = redline_core::model::SettlementId::new(format!("dash-{i}")).unwrap();
                s.agent = redline_core::model::AgentName::new("Writer").unwrap();
                s.created_at = chrono::Utc::now() - chrono::Duration::hours(i as i64 + 1);
                s.ai_output = format!(
                    "Order {i} ships on Monday — by truck. It should arrive soon — we think."
                );
                s.final_output = if i % 3 == 0 {
                    s.ai_output.clone()
                } else {
                    format!("Order {i} ships on Monday, by truck. It should arrive soon, we think.")
                };
                s
            })
            .collect();
        store.upsert_batch(&writer).unwrap();
    }
    let app = App::start_with(dir, &db);
    app.watch_console();
    app.wait_text("h1", "the Home view", |t| t == "Home");
    app.click("#nav-patterns");
    app.wait_text("#rec-title", "recommendations", |t| {
        t.contains("Recommended")
    });
    app.execute(
        "const s = document.getElementById('imp-agent'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));",
        vec![serde_json::json!("Writer")],
    );
    let structure = app.wait_text("#structure ul", "the Writer's structure patterns", |t| {
        t.contains("em dash")
    });
    assert!(
        structure.contains("People take out the em dash (—) in 67%"),
        "{structure}"
    );
    assert_eq!(app.count("#structure li[data-kind='em_dash_removed']"), 1);
    assert!(
        structure.contains("in its place they put a comma (100%)"),
        "{structure}"
    );
    let recs = app.text("#recommendations ol");
    assert!(
        recs.contains("Do not use em dashes (—). Write a comma instead"),
        "{recs}"
    );
    app.screenshot("33-improvements-marks");
    assert_eq!(app.console_errors(), Vec::<String>::new());
}
