//! Prompts, variants and A/B tests (with and without an LLM), and Home with the weekly report.

use super::*;

/// The design's workflow in the app: the low-acceptance agent (its alert shows) → its last 30
/// settlements analysed → 3–5 variants, each with a diff against the current prompt → one
/// started as an A/B test → settlements arrive routed by the documented function (as the agent
/// backend would log them, imported here) → results with a verdict → complete → deploy.
#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb and tauri-driver"]
fn the_prompt_workflow_from_a_low_acceptance_agent_to_a_deployed_winner() {
    let app = App::start();
    app.watch_console();
    app.wait_text("h1", "the welcome title", |t| t.contains("Welcome"));
    // 3,000: enough for the planted regression to flag the Auditor at any hour of the week
    // (redline-core's sample tests, `the_regression_is_flagged_at_every_hour_of_the_week`).
    app.type_into("#sample-count", "3000");
    app.click("#sample-load");
    app.wait_text("#result-count", "3000 settlements", |t| {
        t.ends_with("of 3,000")
    });
    app.click("#nav-experiments");
    app.wait_text("h1", "the Experiments view", |t| t == "Experiments");
    // The regressing agent is chosen first, with its alert as the reason.
    app.wait_text("#exp-hint", "the alert hint", |t| t.contains("The Auditor"));
    assert_eq!(
        app.execute("return document.querySelector('#exp-agent').value", vec![]),
        "The Auditor"
    );
    app.text("#prompt-empty");
    app.click("#adopt-prompts");
    app.wait_text("#prompt-list", "the adopted v1", |t| {
        t.contains("v1") && t.contains("active")
    });
    app.click("#variants-generate");
    let summary = app.wait_text("#variants-summary", "the variants", |t| {
        t.contains("analysed")
    });
    assert!(
        summary.starts_with("30 settlements of The Auditor analysed"),
        "{summary}"
    );
    let cards = app.count(".variant-card");
    assert!((3..=6).contains(&cards), "{cards} variants");
    // Each card shows the added rules as insertions against the current prompt.
    let inserted = app.text_content("#variant-0 .variant-diff ins");
    assert!(inserted.contains("Leave out"), "{inserted}");
    app.screenshot("60-variants");
    // Without an LLM, offline evaluation says what it would need.
    app.click("#variant-0 .variant-evaluate");
    app.wait_text("#variant-0 .eval-needs", "what evaluation needs", |t| {
        t.contains("Settings → LLM")
    });
    app.click("#variant-0 .variant-start");
    let verdict = app.wait_text("#exp-verdict", "the new experiment", |t| {
        t.contains("No settlements yet")
    });
    assert!(verdict.contains("`v1` or `v2`"), "{verdict}");
    let id = app.attr("#exp-row-0", "data-id").unwrap();
    assert!(
        id.starts_with("EXP-") && id.ends_with("-the-auditor-1"),
        "{id}"
    );

    // The backend routes 300 intents and logs what people did with each draft: B is better.
    let file = app.dir.path().join("routed.jsonl");
    {
        let mut f = std::fs::File::create(&file).unwrap();
        let start = chrono::Utc::now();
        for i in 0..300 {
            let intent = format!("intent-{i}");
            let b = redline_core::experiments::route_to_variant(&id, &intent, 0.5)
                == redline_core::experiments::Variant::VariantB;
            let rate = if b { 0.88 } else { 0.62 } - (i % 4) as f64 * 0.04;
            let line = serde_json::json!({
                "id": format!("routed-{i}"), "agent": "The Auditor", "intent_type": "operational",
                "intent": intent, "ai_output": "Draft.", "final_output": "Final.",
                "created_at": (start + chrono::Duration::milliseconds(i + 1)).to_rfc3339(),
                "acceptance_rate": rate, "prompt_version": if b { "v2" } else { "v1" },
            });
            writeln!(f, "{line}").unwrap();
        }
    }
    app.click("#nav-settlements");
    app.click("#open-import");
    app.type_into("#import-path", file.to_str().unwrap());
    app.click("#import-run");
    app.wait_text("#import-report", "the import", |t| t.contains("300 new"));
    app.click("#nav-experiments");
    let verdict = app.wait_text("#exp-verdict", "a verdict", |t| {
        t.starts_with("Variant B —")
    });
    assert!(verdict.contains("Variant B wins"), "{verdict}");
    let arm_b = app.text("#exp-arm-b");
    assert!(arm_b.to_lowercase().contains("· v2"), "{arm_b}");
    assert!(
        app.count("#exp-results svg path") >= 2,
        "the running-mean chart"
    );
    // A candidate is not the prompt in use until its experiment is deployed.
    assert_eq!(app.count("#prompt-list li[data-version='2'] .chip"), 0);
    assert_eq!(app.count("#prompt-list li[data-version='1'] .chip"), 1);
    app.execute(
        "document.querySelector('#exp-results').scrollIntoView()",
        vec![],
    );
    app.screenshot("61-experiment-results");
    app.click("#exp-complete");
    app.wait_text("#exp-status", "completed", |t| t == "Completed");
    app.click("#exp-deploy");
    app.wait_text("#exp-status", "deployed", |t| t == "Winner Deployed");
    app.wait_text("#prompt-list li[data-version='2']", "v2 active", |t| {
        t.starts_with("v2 active")
    });
    // Keyboard: the experiments table moves with the arrow keys and opens with Enter.
    app.send_keys("#exp-row-0", keys::ENTER);
    app.wait_text("#exp-results-title", "the results", |t| t == id);
    assert_eq!(app.console_errors(), Vec::<String>::new());
    let dir = app.close();
    let store = Store::open(&dir.path().join("redline.redb")).unwrap();
    let e = redline_core::experiments::get(&store, &id).unwrap();
    assert_eq!(e.status, redline_core::experiments::Status::WinnerDeployed);
    assert_eq!(
        redline_core::prompts::active(&store, "The Auditor")
            .unwrap()
            .unwrap()
            .version,
        2
    );
}

/// A local server speaking the OpenAI chat-completions shape, as a local Ollama would: it
/// writes variants when asked for JSON and answers intents otherwise (padded under the
/// current prompt, direct under a candidate that asks for directness).
fn fake_openai() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", server.server_addr().to_ip().unwrap());
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = calls.clone();
    std::thread::spawn(move || {
        for mut request in server.incoming_requests() {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut text = String::new();
            request.as_reader().read_to_string(&mut text).unwrap();
            let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            let system = body["messages"][0]["content"].as_str().unwrap_or("");
            let content = if system.contains("JSON only") {
                let items: Vec<serde_json::Value> = (0..3)
                    .map(|i| {
                        serde_json::json!({"title": format!("LLM idea {i}"),
                        "prompt": format!("You are The Auditor. Answer directly, idea {i}."),
                        "rationale": "People delete hedges."})
                    })
                    .collect();
                serde_json::json!({ "variants": items }).to_string()
            } else if system.contains("directly") {
                "Review the numbers this week and decide.".to_owned()
            } else {
                "It is worth noting that results may vary depending on circumstances.".to_owned()
            };
            let reply = serde_json::json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5}});
            let _ = request.respond(
                tiny_http::Response::from_string(reply.to_string()).with_header(
                    "content-type: application/json"
                        .parse::<tiny_http::Header>()
                        .unwrap(),
                ),
            );
        }
    });
    (url, calls)
}

#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb and tauri-driver"]
fn an_llm_writes_variants_and_evaluates_one_only_after_consent() {
    let (url, calls) = fake_openai();
    // Sample data ending on a fixed day: which intents are the newest twenty, and so what the
    // evaluation finds, must not change with the hour the test runs (it did on a Sunday).
    // 1,200 over 60 days: the Auditor's newest twenty all fall in its last 7 days, the
    // regression, whose finals end with the "Bottom line: decide on … this week" the LLM's
    // direct variant echoes.
    let (dir, db) = sample_store(&SampleSpec {
        count: 1200,
        days: 60,
        end: redline_core::sample::end_of_day(
            chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        ),
        ..Default::default()
    });
    let app = App::start_with(dir, &db);
    app.watch_console();
    open_settlements(&app);
    app.wait_text("#result-count", "1,200 settlements", |t| {
        t.ends_with("of 1,200")
    });
    app.click("#nav-settings");
    app.wait_text("#llm-title", "the LLM panel", |t| t.contains("LLM"));
    app.execute(
        "const p = document.getElementById('llm-provider'); p.value = 'openai'; p.dispatchEvent(new Event('change'));",
        vec![],
    );
    app.execute("document.getElementById('llm-base').value = ''", vec![]);
    app.type_into("#llm-base", &url);
    app.type_into("#llm-model", "llama3");
    app.click("#llm-save");
    app.wait_text("#llm-consent-line", "the consent line", |t| {
        t.contains(&url)
    });
    app.click("#nav-experiments");
    app.wait_text("h1", "the Experiments view", |t| t == "Experiments");
    app.click("#adopt-prompts");
    app.wait_text("#prompt-list", "adopted prompts", |t| t.contains("v1"));
    // No consent yet: nothing is sent, and the view says what is missing.
    app.click("#variants-llm");
    app.wait_text("#variants-llm-needs", "the missing consent", |t| {
        t.contains("Allow sending settlement text")
    });
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 0);
    app.click("#nav-settings");
    app.wait_text("#llm-consent-line", "the consent line", |t| {
        t.contains(&url)
    });
    app.click("#llm-consent");
    app.wait_text("#llm-panel", "consent saved", |_| {
        app.execute(
            "return document.getElementById('llm-consent').checked",
            vec![],
        ) == true
    });
    app.click("#nav-experiments");
    app.wait_text("h1", "the Experiments view", |t| t == "Experiments");
    app.click("#variants-llm");
    app.wait_text("#variants-summary", "the LLM's variants", |t| {
        t.contains("3 variants")
    });
    assert!(app.text_content("#variant-0 h3").contains("LLM idea 0"));
    assert!(app.text("#variants-note").contains("llama3"));
    app.click("#variant-0 .variant-evaluate");
    let result = app.wait_text("#variant-0 .eval-result", "the evaluation", |t| {
        t.contains("Predicted acceptance")
    });
    assert!(result.contains("better"), "{result}");
    app.screenshot("62-llm-evaluation");
    // One call for the variants, two per replayed intent.
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1 + 2 * 20);
    assert_eq!(app.console_errors(), Vec::<String>::new());
}

/// Home puts first what changed, what needs attention and what to test: the planted
/// regression and emerging pattern, a suggestion started as an A/B test in one click, the
/// running experiment, and a weekly report saved as HTML and Markdown.
#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb and tauri-driver"]
fn home_shows_what_needs_attention_starts_a_suggested_test_and_saves_a_report() {
    let app = App::start();
    app.watch_console();
    app.wait_text("h1", "the welcome title", |t| t.contains("Welcome"));
    // 6,000 over the sample's 180 days: with 3,000 the Operator's new line (planted in the last
    // 7 days) is too thin to pass the emerging test on some Sunday mornings, as the sample's
    // office-hour timestamps fall; with 6,000 it passed at 84 end times, 2 hours apart.
    app.type_into("#sample-count", "6000");
    app.click("#sample-load");
    app.wait_text("#result-count", "6000 settlements", |t| {
        t.ends_with("of 6,000")
    });
    // Register the agents' prompts, so suggestions can become versions.
    app.click("#nav-experiments");
    app.click("#adopt-prompts");
    app.wait_text("#prompt-list", "adopted prompts", |t| t.contains("v1"));
    app.click("#nav-home");
    let findings = app.wait_text("#home-findings", "the findings", |t| !t.is_empty());
    assert!(
        findings.contains("The Auditor: acceptance fell"),
        "{findings}"
    );
    assert!(findings.contains("source internal wiki"), "{findings}");
    let operator = "#home-findings > li[data-kind='emerging_pattern']";
    assert!(app.count(operator) >= 1);
    // One top-level item for the regressing agent, whatever it holds.
    assert_eq!(
        app.count("#home-findings > li[data-key='agent:The Auditor']"),
        1
    );
    app.screenshot("70-home");
    // The suggestion against the new phrase, one click to an experiment.
    let index = app
        .execute(
            "return [...document.querySelectorAll('.suggestion')].findIndex(e => e.textContent.includes('source internal wiki'))",
            vec![],
        )
        .as_i64()
        .unwrap();
    assert!(index >= 0, "a suggestion against the emerging phrase");
    app.click(&format!("#suggestion-{index} .suggestion-start"));
    let running = app.wait_text("#home-running", "the running experiment", |t| {
        t.contains("The Operator")
    });
    assert!(running.contains("no settlements yet"), "{running}");
    // A report, into the folder chosen in the app's dialog (the test build's stub answers).
    let folder = app.dir.path().join("reports");
    answer_dialog(&app, &folder);
    std::fs::create_dir_all(&folder).unwrap();
    app.click("#report-now");
    app.wait_text("#report-last", "the report", |t| {
        t.starts_with("Last report")
    });
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
    let html = std::fs::read_to_string(folder.join(&names[0])).unwrap();
    assert!(html.contains("<svg") && html.contains("source internal wiki"));
    assert!(
        html.contains("EXP-"),
        "the running experiment is in the report"
    );
    // Weekly reports can now be switched on.
    app.click("#report-weekly");
    app.wait_text("#toast", "saved", |t| t.contains("schedule saved"));
    // E-mail: settings for a local SMTP server (aiosmtpd), then a report that is e-mailed.
    let (mut smtp, port, maildir) = smtp_server();
    app.click("#email-settings summary");
    app.type_into("#smtp-host", "127.0.0.1");
    app.execute("document.getElementById('smtp-port').value = ''", vec![]);
    app.type_into("#smtp-port", &port.to_string());
    app.execute(
        "const s = document.getElementById('smtp-security'); s.value = 'none'; s.dispatchEvent(new Event('change'));",
        vec![],
    );
    app.type_into("#smtp-from", "redline@example.org");
    app.type_into("#smtp-to", "admin@example.org");
    app.click("#smtp-save");
    app.wait_text("#email-settings summary", "saved e-mail settings", |t| {
        t.contains("admin@example.org")
    });
    app.click("#report-email");
    app.wait_text("#toast", "saved", |t| t.contains("schedule saved"));
    app.click("#report-now");
    let started = std::time::Instant::now();
    let new_mail = maildir.path().join("box/new");
    while std::fs::read_dir(&new_mail).map_or(0, |d| d.count()) == 0 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no e-mail arrived"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let mail = std::fs::read_dir(&new_mail)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let raw = std::fs::read_to_string(mail).unwrap();
    assert!(raw.contains("Subject: Redline weekly report"), "{raw}");
    // The mail is in before the app has written its audit entry: close it only once the app
    // says the report is done (the entry is read below).
    app.wait_text("#toast", "the report saved", |t| t.contains("Report saved"));
    let _ = smtp.kill();
    assert_eq!(app.console_errors(), Vec::<String>::new());
    // The same action from the CLI's side (`redline report` is this service call): the same
    // audit trail and the same "last report" as the app's.
    let dir = app.close();
    let store = Store::open(&dir.path().join("redline.redb")).unwrap();
    let by_app = redline_core::audit::entries(&store, 1).unwrap().remove(0);
    let cli_folder = dir.path().join("cli-reports");
    let made = redline_core::service::report::make(
        &store,
        &cli_folder,
        &redline_core::service::report::Delivery::default(),
        chrono::Utc::now(),
    )
    .unwrap();
    let by_cli = redline_core::audit::entries(&store, 1).unwrap().remove(0);
    assert_eq!(
        (by_app.action.as_str(), by_cli.action.as_str()),
        ("report", "report")
    );
    let keys = |e: &redline_core::audit::Entry| {
        let mut k: Vec<String> = e.data.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&by_app), keys(&by_cli));
    assert_eq!(by_app.data["email"], true);
    let settings = redline_core::learning::report_settings(&store).unwrap();
    assert_eq!(settings.folder.as_deref(), Some(cli_folder.as_path()));
    assert!(made.html.is_file());
}

/// The app on a store of 20,000 unmeasured settlements: its launch check (it measures every
/// one) is still running for seconds after the window shows. The page notes when it ends.
fn app_with_a_running_launch_check(count: usize) -> App {
    let (dir, db) = sample_store(&SampleSpec {
        count,
        ..Default::default()
    });
    let app = App::start_with(dir, &db);
    app.watch_console();
    app.execute_async(
        "const done = arguments[0]; window.__checkEnded = false; \
         window.__TAURI__.event.listen('alerts-changed', () => { window.__checkEnded = true; }).then(() => done(true));",
        vec![],
    );
    app
}

/// Whether the launch check has ended (the app said so to the page).
fn check_ended(app: &App) -> bool {
    app.execute("return window.__checkEnded === true", vec![]) == serde_json::json!(true)
}

/// Wait until the launch check has ended, and a moment more for the view that heard it end to
/// act (a re-render takes milliseconds). `during`: whether it had ended while the person worked
/// (it must not have, or the test tested nothing).
fn wait_for_the_check_to_end(app: &App, during: bool) {
    let start = std::time::Instant::now();
    while !check_ended(app) {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(120),
            "the launch check did not end in 2 minutes"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(
        !during,
        "the check ended before the person worked: the test needs a larger store"
    );
}

/// The check that runs after a launch can end while the person works in Experiments. The view
/// then starts again from the agent the check flags only if the person has done nothing there
/// yet: what they started stays. (A late re-render once dropped the LLM's variants on their
/// way, in CI on 2026-12-07.)
#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb and tauri-driver"]
fn the_launch_check_ending_keeps_what_the_person_started_in_experiments() {
    let app = app_with_a_running_launch_check(20_000);
    app.click("#nav-experiments");
    app.wait_text("h1", "the Experiments view", |t| t == "Experiments");
    let agent = app.execute("return document.querySelector('#exp-agent').value", vec![]);
    app.execute(
        "document.getElementById('variants-last').value = ''",
        vec![],
    );
    app.type_into("#variants-last", "12");
    wait_for_the_check_to_end(&app, check_ended(&app));
    assert_eq!(
        app.execute(
            "return document.getElementById('variants-last').value",
            vec![]
        ),
        "12"
    );
    assert_eq!(
        app.execute("return document.querySelector('#exp-agent').value", vec![]),
        agent
    );
    assert_eq!(app.console_errors(), Vec::<String>::new());
}

/// Home brings itself up to date when the launch check ends, but not over a setting the person
/// is typing: then it says the check ended and updates when asked.
#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb and tauri-driver"]
fn the_launch_check_ending_keeps_a_setting_typed_on_home() {
    let app = app_with_a_running_launch_check(60_000);
    // On a store never checked Home makes the first check itself, measuring every settlement
    // (~25 s in a debug build), and its loading line says how far the measuring has come.
    app.wait_text(
        ".loading .check-progress",
        "the check's progress while Home loads",
        |t| t.starts_with("Now measuring"),
    );
    app.screenshot("home-loading-during-the-check");
    let start = std::time::Instant::now();
    while app.count("#home-refreshing, #home-unmeasured") == 0 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(120),
            "Home never said a check was running"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    app.click("#roi-settings summary");
    app.execute("document.getElementById('roi-rate').value = ''", vec![]);
    app.type_into("#roi-rate", "77");
    wait_for_the_check_to_end(&app, check_ended(&app));
    assert_eq!(
        app.execute("return document.getElementById('roi-rate').value", vec![]),
        "77"
    );
    app.wait_text("#home-update", "the offer to update", |t| {
        t.contains("Show what it found")
    });
    app.click("#home-update");
    app.wait_text("#home-computed", "the figures of the ended check", |t| {
        t.contains("as of")
    });
    assert_eq!(app.count("#home-unmeasured"), 0);
    assert_eq!(app.console_errors(), Vec::<String>::new());
}
