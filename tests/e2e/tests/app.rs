//! The built app, driven over WebDriver the way a person would use it.
//!
//! These tests need the app built, a display and tauri-driver (see `scripts/test`), so they are
//! `#[ignore]`d in a plain `cargo test` and run by the test script with `--ignored`.

use chrono::NaiveDate;
use redline_core::import::to_interchange;
use redline_core::job::{no_progress, Cancel};
use redline_core::sample::{self, SampleSpec};
use redline_core::store::Store;
use redline_e2e::{keys, App};
use std::io::Write;

/// The app opens on Home when the store has data; go to the Settlements list.
fn open_settlements(app: &App) {
    app.wait_text("h1", "the Home view", |t| t == "Home");
    app.click("#nav-settlements");
    app.wait_text("#result-count", "the list", |t| t.contains(" of "));
}

/// A temporary folder with a store holding the sample data of `spec`, and the store's path.
fn sample_store(spec: &SampleSpec) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redline.redb");
    let store = Store::open(&db).unwrap();
    redline_core::import::load_sample(&store, spec, &mut no_progress, &Cancel::new()).unwrap();
    (dir, db)
}

fn total(text: &str) -> Option<u64> {
    text.rsplit(" of ")
        .next()?
        .replace(',', "")
        .trim()
        .parse()
        .ok()
}

#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb and tauri-driver"]
fn sample_data_list_and_diff() {
    let app = App::start();
    app.watch_console();
    // First launch: an empty store and a way in.
    app.wait_text("h1", "the welcome title", |t| t.contains("Welcome"));
    app.screenshot("01-welcome");
    app.type_into("#sample-count", "1200");
    app.click("#sample-load");
    let count = app.wait_text("#result-count", "1,200 settlements", |t| {
        t.ends_with("of 1,200")
    });
    assert_eq!(count, "1–100 of 1,200");
    assert_eq!(app.count("#list .row"), 100);

    // Open settlements until one shows both a deletion and an addition.
    let mut found = false;
    for i in 0..30 {
        app.click(&format!("#row-{i}"));
        let id = app.attr(&format!("#row-{i}"), "data-id").unwrap();
        app.wait_text("#detail dl", "the selected id", |t| t.contains(&id));
        if app.count("#ai-output del.d-del") > 0 && app.count("#final-output ins.d-ins") > 0 {
            found = true;
            break;
        }
    }
    assert!(
        found,
        "no settlement among the first 30 shows a deletion and an addition"
    );
    let deleted = app.text("#ai-output del.d-del");
    let ai = app.text("#ai-output");
    let final_text = app.text("#final-output");
    assert!(ai.contains(deleted.trim()));
    assert!(!deleted.trim().is_empty());
    assert_ne!(ai, final_text);
    app.screenshot("02-detail");

    // Keyboard: the list moves its selection with the arrow keys.
    app.send_keys("#list", keys::HOME);
    app.send_keys("#list", keys::DOWN);
    assert_eq!(app.attr("#row-1", "aria-selected").as_deref(), Some("true"));
    assert_eq!(
        app.attr("#row-0", "aria-selected").as_deref(),
        Some("false")
    );
    // PageDown turns the page.
    app.send_keys("#list", keys::PAGE_DOWN);
    app.wait_text("#result-count", "page two", |t| t.starts_with("101–200"));

    assert_eq!(app.console_errors(), Vec::<String>::new());
}

#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb and tauri-driver"]
fn filters_match_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redline.redb");
    let spec = SampleSpec {
        count: 2000,
        seed: 5,
        end: sample::end_of_day(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()),
        ..Default::default()
    };
    {
        let store = Store::open(&db).unwrap();
        redline_core::import::load_sample(&store, &spec, &mut no_progress, &Cancel::new()).unwrap();
    }
    let all = sample::generate(&spec);
    let auditor = all
        .iter()
        .filter(|s| s.agent.as_str() == "The Auditor")
        .count() as u64;
    let auditor_next_step = all
        .iter()
        .filter(|s| {
            s.agent.as_str() == "The Auditor"
                && [&s.intent, &s.ai_output, &s.final_output, s.id.as_str()]
                    .iter()
                    .any(|t| t.to_lowercase().contains("next step"))
        })
        .count() as u64;

    let app = App::start_with(dir, &db);
    app.watch_console();
    open_settlements(&app);
    let t = app.wait_text("#result-count", "all settlements", |t| t.ends_with("2,000"));
    assert_eq!(total(&t), Some(2000));
    app.click("#f-agent option[value='The Auditor']");
    let t = app.wait_text("#result-count", "the Auditor's count", |t| {
        total(t) == Some(auditor)
    });
    assert_eq!(total(&t), Some(auditor));
    app.type_into("#f-search", "NEXT STEP");
    app.wait_text("#result-count", "the search count", |t| {
        total(t) == Some(auditor_next_step) || (auditor_next_step == 0 && t == "0 settlements")
    });
    app.screenshot("03-filtered");
    assert_eq!(app.console_errors(), Vec::<String>::new());
}

#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb and tauri-driver"]
fn import_with_a_bad_line_names_the_line() {
    let app = App::start();
    app.watch_console();
    let file = app.dir.path().join("with-a-bad-line.jsonl");
    {
        let mut f = std::fs::File::create(&file).unwrap();
        for (i, s) in sample::generate(&SampleSpec {
            count: 4,
            ..Default::default()
        })
        .iter()
        .enumerate()
        {
            if i == 2 {
                writeln!(f, "{{\"id\": \"broken\", \"agent\": \"The Auditor\", \"ai_output\": \"x\", \"final_output\": \"y\", \"created_at\": \"someday\"}}").unwrap();
            }
            writeln!(f, "{}", to_interchange(s)).unwrap();
        }
    }
    app.type_into("#import-path", file.to_str().unwrap());
    app.click("#import-run");
    let report = app.wait_text("#import-report", "the import report", |t| {
        t.contains("line")
    });
    assert!(report.contains("4 new"), "{report}");
    assert!(report.contains("1 skipped"), "{report}");
    assert!(
        report.contains("line 3: `created_at` \"someday\" is not a timestamp"),
        "{report}"
    );
    app.screenshot("04-import-report");
    app.click("#import-done");
    app.wait_text("#result-count", "the imported count", |t| t == "1–4 of 4");

    // A file that does not exist: a clear error, nothing else happens.
    app.click("#open-import");
    app.type_into("#import-path", "/no/such/file.jsonl");
    app.click("#import-run");
    let err = app.wait_text("#import-error", "the error", |t| !t.is_empty());
    assert!(err.contains("Cannot open /no/such/file.jsonl"), "{err}");
    assert_eq!(app.console_errors(), Vec::<String>::new());
}

#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb and tauri-driver"]
fn untrusted_text_renders_as_literal_text() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redline.redb");
    let hostile = "<img src=x onerror=alert(1)>";
    let file = dir.path().join("hostile.jsonl");
    let record = serde_json::json!({
        "id": "hostile-1", "agent": "<b>Agent</b>", "intent_type": "operational",
        "intent": format!("Summarise {hostile}"),
        "ai_output": format!("Hello {hostile} world"),
        "final_output": "Hello <script>window.__pwned = 1</script> world",
        "created_at": "2026-11-01T10:00:00Z",
    });
    std::fs::write(&file, format!("{record}\n")).unwrap();
    {
        let store = Store::open(&db).unwrap();
        redline_core::import::import_file(
            &store,
            &file,
            &Default::default(),
            &mut no_progress,
            &Cancel::new(),
        )
        .unwrap();
    }
    let app = App::start_with(dir, &db);
    app.watch_console();
    open_settlements(&app);
    let preview = app.text_content("#row-0 .preview");
    assert_eq!(preview, format!("Summarise {hostile}"));
    app.click("#row-0");
    let ai = app.wait_text("#ai-output", "the AI output", |t| t.contains("Hello"));
    assert_eq!(ai, format!("Hello {hostile} world"));
    assert_eq!(
        app.text_content("#ai-output"),
        format!("Hello {hostile} world")
    );
    let fin = app.text_content("#final-output");
    assert_eq!(fin, "Hello <script>window.__pwned = 1</script> world");
    assert_eq!(app.count("img[src='x']"), 0);
    assert_eq!(app.count("#detail script, #list script, #list b"), 0);
    let pwned = app.execute("return window.__pwned === undefined;", vec![]);
    assert_eq!(pwned, serde_json::Value::Bool(true));
    assert!(app.text("#f-agent").contains("<b>Agent</b>"));
    app.screenshot("05-hostile");
    // Script in the page can call only what the capability grants: Redline's own commands one
    // by one, not a plugin's or the window's.
    let outcome = |cmd: &str, args: serde_json::Value| {
        app.execute_async(
            "const [cmd, args, done] = arguments; \
             window.__TAURI__.core.invoke(cmd, args).then(() => done('ok'), (e) => done('refused: ' + String(e && e.message || e)));",
            vec![serde_json::json!(cmd), args],
        )
    };
    assert_eq!(
        outcome("facets", serde_json::json!({})),
        serde_json::json!("ok")
    );
    for (cmd, args) in [
        (
            "plugin:notification|notify",
            serde_json::json!({"options": {"title": "x"}}),
        ),
        (
            "plugin:window|set_title",
            serde_json::json!({"label": "main", "value": "owned"}),
        ),
        ("no_such_command", serde_json::json!({})),
    ] {
        let got = outcome(cmd, args);
        assert!(
            got.as_str().is_some_and(|t| t.starts_with("refused")),
            "{cmd}: {got}"
        );
    }
    assert_eq!(app.console_errors(), Vec::<String>::new());
}

#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb and tauri-driver"]
fn a_store_held_by_another_process_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redline.redb");
    let held = Store::open(&db).unwrap();
    let app = App::start_with(dir, &db);
    let message = app.wait_text("#store-error", "the lock error", |t| !t.is_empty());
    assert!(
        message.contains("open in another Redline process"),
        "{message}"
    );
    assert_eq!(app.text("h1"), "The store is in use");
    app.screenshot("06-locked");
    drop(held);
}

#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb and tauri-driver"]
fn a_long_job_shows_progress_and_can_be_cancelled() {
    let app = App::start();
    app.watch_console();
    app.type_into("#sample-count", "400000");
    app.click("#sample-load");
    // Progress appears, counting up in batches of 2,000.
    let label = app.wait_text("#job-label", "progress", |t| t.contains("settlements ·"));
    assert!(label.contains('%'), "{label}");
    app.screenshot("07-progress");
    app.click("#job-cancel");
    let count = app.wait_text("#result-count", "the list after the cancel", |t| {
        t.contains(" of ")
    });
    let n = total(&count).unwrap();
    assert!(n > 0 && n < 400_000, "{count}");
    assert_eq!(n % 2000, 0, "a partial batch: {count}");
    assert_eq!(app.console_errors(), Vec::<String>::new());
}

#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb, tauri-driver and a keychain"]
fn connect_notion_map_sync_and_see_the_records() {
    use redline_notion_fake::{training_data_schema, training_page, Fake};
    let token = "secret_e2e_token_4242";
    let fake = Fake::start(token);
    let db = {
        let mut w = fake.world();
        let db = w.add_database("Training Data", training_data_schema());
        for i in 0..250 {
            w.add_page(
                &db,
                training_page(
                    &format!("Intent {i}"),
                    &format!("Let me analyze this. Plan {i}."),
                    &format!("Plan {i}. Owner: Dana."),
                    ["The Auditor", "The Strategist"][i % 2],
                    "Strategic",
                    0.6,
                ),
            );
            w.now += chrono::Duration::seconds(5);
        }
        db
    };
    let app = App::start();
    app.watch_console();
    app.click("#welcome-notion");
    app.find("#notion");
    // The API base URL setting points Redline at the local server.
    app.click("#notion details.advanced summary");
    app.type_into("#notion-base-url", &fake.url);
    app.click("#notion-base-url-save");
    // The token will go there: the person confirms the address first.
    app.click("#notion-base-url-yes");
    // Saving re-renders the panel (the details close again); wait for that before typing.
    app.find("#notion details.advanced:not([open])");
    let shown = app.execute(
        "return document.querySelector('#notion-base-url').value;",
        vec![],
    );
    assert_eq!(shown, serde_json::json!(fake.url));
    // Paste the token: it goes to the OS keychain, and only its last 4 come back.
    app.type_into("#notion-token", token);
    app.click("#notion-token-save");
    let saved = app.wait_text("#notion-token-state", "the saved token", |t| {
        t.contains("4242")
    });
    assert!(!saved.contains(token), "{saved}");
    // Read the database: the mapping is proposed from the design's property names.
    app.type_into("#notion-db", &db.replace('-', ""));
    app.click("#notion-read");
    app.find("#map-ai_output");
    let value = app.execute(
        "return ['ai_output','final_output','agent','intent'].map(f => document.querySelector('#map-' + f).value);",
        vec![],
    );
    assert_eq!(
        value,
        serde_json::json!(["AI_Raw_Output", "Scenario_Options", "Agent_Name", "Name"])
    );
    app.screenshot("08-notion-mapping");
    app.click("#notion-save-mapping");
    let connected = app.wait_text("#notion-connected", "the connection", |t| {
        t.contains("Training Data")
    });
    assert!(connected.ends_with("API 2026-12-01"), "{connected}");
    assert_eq!(app.count("#notion-notice"), 0);
    app.click("#notion-sync");
    let result = app.wait_text("#notion-result", "the sync result", |t| {
        t.contains("pages read")
    });
    assert!(result.contains("250 pages read: 250 new"), "{result}");
    app.screenshot("09-notion-synced");
    app.click("#notion-show");
    app.wait_text("#result-count", "the synced settlements", |t| {
        t == "1–100 of 250"
    });
    // Turn on "sync when Redline starts", add pages in Notion, restart: they arrive by themselves.
    app.click("#nav-settings");
    app.click("#notion-auto-launch");
    app.wait_text("#toast", "the saved setting", |t| {
        t.contains("Automatic sync saved")
    });
    for i in 0..7 {
        let mut w = fake.world();
        w.now += chrono::Duration::minutes(5);
        w.add_page(
            &db,
            training_page(
                &format!("Later {i}"),
                "Draft.",
                "Final.",
                "The Auditor",
                "Strategic",
                0.9,
            ),
        );
    }
    let dir = app.close();
    let db_path = dir.path().join("redline.redb");
    let app = App::start_with(dir, &db_path);
    open_settlements(&app);
    app.wait_text(
        "#result-count",
        "the automatically synced settlements",
        |t| t.ends_with("of 257"),
    );
    // The token is in no file under the store's folder or the app's data folder (the web
    // view's storage lives there).
    let mut folders = vec![app.dir.path().to_path_buf()];
    if let Some(data) = std::env::var_os("XDG_DATA_HOME") {
        folders.push(std::path::Path::new(&data).join("dev.redline.app"));
    }
    let mut checked = 0;
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                checked += 1;
                assert!(
                    !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                    "the token is in {}",
                    path.display()
                );
            }
        }
    }
    assert!(checked > 0);
    assert_eq!(app.console_errors(), Vec::<String>::new());
}

/// Listens on the session bus for desktop notifications (org.freedesktop.Notifications.Notify),
/// whether or not a notification server is running to show them.
struct NotifyMonitor {
    child: std::process::Child,
    seen: std::sync::Arc<std::sync::Mutex<String>>,
}

impl NotifyMonitor {
    fn start() -> NotifyMonitor {
        let mut child = std::process::Command::new("dbus-monitor")
            .args([
                "--session",
                "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("dbus-monitor runs (scripts/test provides a session bus)");
        let out = child.stdout.take().unwrap();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = seen.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                sink.lock().unwrap().push_str(&line);
                sink.lock().unwrap().push('\n');
            }
        });
        NotifyMonitor { child, seen }
    }

    fn wait_for(&self, needle: &str) -> String {
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_secs(30) {
            let seen = self.seen.lock().unwrap().clone();
            if seen.contains(needle) {
                return seen;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        panic!(
            "no desktop notification with {needle:?}; the bus saw:\n{}",
            self.seen.lock().unwrap()
        );
    }
}

impl Drop for NotifyMonitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb and tauri-driver"]
fn dashboard_shows_the_sample_kpis_charts_and_the_planted_regression() {
    use redline_core::analytics::{self, Range};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redline.redb");
    let now = chrono::Utc::now();
    // The sample's timestamps fall in office hours on calendar days, so what the last 7 days
    // hold depends on the hour and weekday the test runs at. Over 90 days (not the default
    // 180) each agent has ~50 settlements a week, enough for the regression to bring its other
    // findings at every hour of the week (probed at 84 end times, 2 hours apart: 5 to 9 parts).
    let spec = SampleSpec {
        count: 3000,
        seed: 5,
        end: now,
        days: 90,
        ..Default::default()
    };
    let expected = {
        let store = Store::open(&db).unwrap();
        redline_core::import::load_sample(&store, &spec, &mut no_progress, &Cancel::new()).unwrap();
        let all = analytics::observations(&store, None, None).unwrap();
        analytics::summarize(&all, Range::All, now, analytics::DEFAULT_ACCEPT_THRESHOLD)
    };
    let monitor = NotifyMonitor::start();
    let app = App::start_with(dir, &db);
    app.watch_console();
    open_settlements(&app);
    app.wait_text("#result-count", "the settlements", |t| t.ends_with("3,000"));
    app.click("#nav-dashboard");
    app.wait_text("#kpi-acceptance .kpi-value", "a KPI", |t| t.ends_with('%'));
    // All time: the same figures as the core computes.
    app.click("#range-all");
    let mean = format!(
        "{}%",
        (expected.overall.as_ref().unwrap().value * 100.0).round()
    );
    app.wait_text("#kpi-acceptance .kpi-value", &mean, |t| t == mean);
    assert_eq!(app.text("#kpi-intents .kpi-value"), "3,000");
    assert_eq!(app.text("#kpi-readiness .kpi-value"), "Ready");
    assert!(app.text("#kpi-quality .kpi-value").ends_with("/100"));
    // One row per agent, one line per agent, a heatmap cell per agent and intent type.
    assert_eq!(app.count("#agent-table tbody tr"), 5);
    assert_eq!(app.count("#chart-trend path"), 5);
    assert!(app.count("#chart-trend circle.mark") > 5 * 10);
    assert_eq!(app.count("#chart-intents rect.mark"), 5 * 3);
    assert_eq!(app.count("#chart-editcost rect.mark"), 5);
    let auditor = expected
        .agents
        .iter()
        .find(|a| a.agent == sample::REGRESSING_AGENT)
        .unwrap();
    let row = app.text_content("#agent-table tbody tr:nth-child(1)");
    assert!(
        row.starts_with(sample::REGRESSING_AGENT),
        "agents are listed by name: {row}"
    );
    assert!(
        row.contains(&format!("{}%", (auditor.acceptance.value * 100.0).round())),
        "{row}"
    );

    // The planted regression raised one incident, and a desktop notification, after launch:
    // led by the drop, with the agent's other findings folded inside it.
    let key = format!("agent:{}", sample::REGRESSING_AGENT);
    let item = format!("#alerts > ul > li[data-key=\"{key}\"]");
    app.wait_text(&item, "the regression incident", |t| {
        t.contains("acceptance fell")
    });
    assert_eq!(
        app.count(&format!(
            "#alerts > ul > li[data-key^=\"agent:{}\"]",
            sample::REGRESSING_AGENT
        )),
        1
    );
    assert!(
        app.count(&format!("{item} .alert-parts li")) >= 2,
        "the incident holds its parts"
    );
    assert_eq!(app.attr(&item, "data-severity").as_deref(), Some("high"));
    monitor.wait_for("needs attention");
    app.screenshot("20-dashboard");

    // Keyboard: Tab reaches a chart, the arrows walk its cells and show their values.
    app.send_keys("#chart-intents svg", keys::RIGHT);
    let tip = app.wait_text("#chart-intents .chart-tip", "a value", |t| {
        t.contains("n = ")
    });
    assert!(tip.contains(" · "), "{tip}");
    app.screenshot("21-dashboard-keyboard");

    // Saving a chart as PNG draws its SVG on a canvas: the bytes are a real PNG (the file
    // dialog itself is the OS's and is not driven here).
    let png = app.execute_async(
        "const done = arguments[arguments.length - 1];
         import('./charts.js')
           .then((m) => m.pngBytes(document.querySelector('#chart-trend .chart-wrap')))
           .then((b) => done({len: b.length, head: b.slice(0, 8)}), (e) => done({error: String(e)}));",
        vec![],
    );
    assert_eq!(
        png["head"],
        serde_json::json!([137, 80, 78, 71, 13, 10, 26, 10]),
        "{png}"
    );
    assert!(png["len"].as_u64().unwrap() > 10_000, "{png}");
    let svg = app.execute_async(
        "const done = arguments[arguments.length - 1];
         import('./charts.js').then((m) => done(m.svgText(document.querySelector('#chart-intents .chart-wrap'))));",
        vec![],
    );
    let svg = svg.as_str().unwrap();
    assert!(svg.starts_with("<?xml") && svg.contains("<svg") && svg.contains("The Auditor"));

    // Acknowledging the incident once quiets all its parts; it stays listed, quietly.
    app.click(&format!("{item} button.ack"));
    app.wait_text(&item, "acknowledged", |t| t.contains("acknowledged"));
    assert_eq!(app.count(&format!("{item} button.ack")), 0);

    // A shorter range has fewer settlements; an empty range says so.
    app.click("#range-7d");
    let n = app.wait_text("#kpi-intents .kpi-value", "fewer settlements", |t| {
        t != "3,000" && !t.is_empty()
    });
    let n: u64 = n.replace(',', "").parse().unwrap();
    assert!(n > 0 && n < 3000);
    app.type_into("#range-from", "2020-01-01");
    app.type_into("#range-to", "2020-01-31");
    app.click("#range-apply");
    app.wait_text("#dash-empty h2", "the empty state", |t| {
        t.contains("No settlements")
    });
    app.screenshot("22-dashboard-empty");

    // Compare agents: the regressing Auditor against the Entrepreneur, over all time.
    app.click("#nav-agents");
    app.wait_text("#cmp-verdict h2", "a verdict", |t| !t.is_empty());
    app.execute(
        "const set = (id, v) => { const s = document.getElementById(id); s.value = v; s.dispatchEvent(new Event('change')); };
         set('cmp-range', 'all'); set('cmp-a', 'The Entrepreneur'); set('cmp-b', 'The Auditor');",
        vec![],
    );
    app.wait_text("#cmp-verdict h2", "the Entrepreneur ahead", |t| {
        t.starts_with("The Entrepreneur is accepted more")
    });
    assert_eq!(app.count("#cmp-table tbody tr"), 1 + 3);
    app.screenshot("23-compare");
    assert_eq!(app.console_errors(), Vec::<String>::new());
}

#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb and tauri-driver"]
fn a_stale_store_says_so_and_shows_the_figures_up_to_its_newest_settlement() {
    // Offline for two weeks: the sample ends on a weekday 14 to 16 days back (the generator
    // moves weekend days to the Friday before, so it must not end on a weekend), its newest
    // settlement 13 to 16 whole days old by the hour, and the planted regression sits in the
    // days before it.
    let mut day = (chrono::Utc::now() - chrono::Duration::days(14)).date_naive();
    while chrono::Datelike::weekday(&day).number_from_monday() > 5 {
        day = day.pred_opt().unwrap();
    }
    let end = redline_core::sample::end_of_day(day);
    let (dir, db) = sample_store(&SampleSpec {
        count: 3000,
        seed: 8,
        end,
        ..Default::default()
    });
    let app = App::start_with(dir, &db);
    app.watch_console();
    open_settlements(&app);
    app.wait_text("#result-count", "the settlements", |t| t.ends_with("3,000"));
    app.click("#nav-dashboard");
    app.click("#range-7d");
    let note = app.wait_text("#dash-stale", "the freshness note", |t| {
        t.contains("days old")
    });
    assert!(
        ["13", "14", "15", "16"]
            .iter()
            .any(|d| note.starts_with(&format!(
                "No settlements in this range: the newest is {d} days old"
            ))),
        "{note}"
    );
    app.screenshot("25-dashboard-stale");
    app.click("#dash-as-of-newest");
    let note = app.wait_text("#dash-stale", "as of the newest", |t| {
        t.starts_with("As of the newest")
    });
    assert!(note.contains(&end.format("%Y-%m-%d").to_string()), "{note}");
    app.wait_text("#kpi-acceptance .kpi-value", "a KPI", |t| t.ends_with('%'));
    app.click("#dash-as-of-now");
    app.wait_text("#dash-stale", "the freshness note again", |t| {
        t.contains("days old")
    });
    // Home says the data is stale instead of "nothing needs attention".
    app.click("#nav-home");
    let findings = app.wait_text("#home-findings", "the findings", |t| !t.is_empty());
    assert!(
        ["13", "14", "15", "16"]
            .iter()
            .any(|d| findings.contains(&format!("No new settlements for {d} days"))),
        "{findings}"
    );
    assert_eq!(app.count("#home-findings li[data-kind='stale']"), 1);
    assert_eq!(app.console_errors(), Vec::<String>::new());
}

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
    app.type_into("#sample-count", "1500");
    app.click("#sample-load");
    app.wait_text("#result-count", "1500 settlements", |t| {
        t.ends_with("of 1,500")
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
    assert!((3..=5).contains(&cards), "{cards} variants");
    // Each card shows the added rules as insertions against the current prompt.
    let inserted = app.text_content("#variant-0 .variant-diff ins");
    assert!(inserted.contains("Never write"), "{inserted}");
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
    let (dir, db) = sample_store(&SampleSpec {
        count: 600,
        end: redline_core::sample::end_of_day(
            chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        ),
        ..Default::default()
    });
    let app = App::start_with(dir, &db);
    app.watch_console();
    open_settlements(&app);
    app.wait_text("#result-count", "600 settlements", |t| {
        t.ends_with("of 600")
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
    let _ = smtp.kill();
    assert_eq!(app.console_errors(), Vec::<String>::new());
}

/// A real SMTP server (Python's aiosmtpd, Mailbox handler) on a free port.
fn smtp_server() -> (std::process::Child, u16, tempfile::TempDir) {
    let python = ["/usr/bin/python3", "python3"]
        .into_iter()
        .find(|p| {
            std::process::Command::new(p)
                .args(["-c", "import aiosmtpd"])
                .status()
                .is_ok_and(|s| s.success())
        })
        .expect("aiosmtpd is installed (scripts/test installs python3-aiosmtpd)");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let maildir = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(python)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir.path().join("box"))
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "aiosmtpd did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    (child, port, maildir)
}

/// What the test build's file dialog answers next: `dialog-answer` beside the store.
fn answer_dialog(app: &App, path: &std::path::Path) {
    std::fs::write(app.dir.path().join("dialog-answer"), path.to_str().unwrap()).unwrap();
}

/// The views, by their navigation button.
const VIEW_BUTTONS: [&str; 8] = [
    "#nav-home",
    "#nav-settlements",
    "#nav-dashboard",
    "#nav-agents",
    "#nav-patterns",
    "#nav-experiments",
    "#nav-export",
    "#nav-settings",
];

/// Run axe-core (the accessibility engine most teams use; `scripts/test` fetches the pinned
/// release from the npm registry and checks its digest) on every view and return the WCAG 2.0 /
/// 2.1 A and AA violations, as "view: rule (impact) on node, …".
fn axe_violations(app: &App) -> Vec<String> {
    let path = std::env::var("REDLINE_AXE_JS")
        .expect("REDLINE_AXE_JS names axe.min.js (scripts/test fetches it)");
    let engine = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut found = Vec::new();
    for button in VIEW_BUTTONS {
        app.click(button);
        // Settled: the view's loading notes and running jobs are gone.
        let settled = app.execute_async(
            "const done = arguments[arguments.length - 1];
             const start = Date.now();
             const busy = () => document.querySelector('.loading, .job, #view progress');
             const tick = () => {
               if (!busy() || Date.now() - start > 60000) setTimeout(() => done(!busy()), 300);
               else setTimeout(tick, 100);
             };
             tick();",
            vec![],
        );
        assert_eq!(settled, serde_json::json!(true), "{button} kept loading");
        if app.execute("return typeof window.axe;", vec![]) != serde_json::json!("object") {
            app.execute(&format!("{engine}\n;return typeof window.axe;"), vec![]);
        }
        let v = app.execute_async(
            "const done = arguments[arguments.length - 1];
             window.axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
               .then((r) => done(r.violations.map((v) => `${v.id} (${v.impact}) on ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}${v.nodes.length > 3 ? ', …' : ''}`)),
                     (e) => done(['axe failed: ' + String(e)]));",
            vec![],
        );
        for line in v.as_array().expect("a list") {
            found.push(format!("{button}: {}", line.as_str().unwrap_or("?")));
        }
    }
    found
}

#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb, tauri-driver and axe-core"]
fn every_view_passes_the_wcag_a_and_aa_rules_of_axe_empty_and_populated() {
    let app = App::start();
    app.watch_console();
    app.wait_text("h1", "the welcome title", |t| t.contains("Welcome"));
    let empty = axe_violations(&app);
    assert_eq!(empty, Vec::<String>::new(), "an empty store");
    app.close();
    let (dir, db) = sample_store(&SampleSpec {
        count: 1500,
        seed: 31,
        ..Default::default()
    });
    let app = App::start_with(dir, &db);
    app.watch_console();
    open_settlements(&app);
    let populated = axe_violations(&app);
    assert_eq!(populated, Vec::<String>::new(), "1,500 sample settlements");
    assert_eq!(app.console_errors(), Vec::<String>::new());
}
