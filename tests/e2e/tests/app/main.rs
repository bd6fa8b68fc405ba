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

mod accessibility;
mod experiments_and_home;
mod improvements_and_export;
mod notion_and_dashboard;

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

/// Ask `probe` every `every`, at most `tries` times, until it gives the same answer twice in a
/// row and `ok` accepts it; the last answer.
fn settled(
    probe: impl Fn() -> serde_json::Value,
    every: std::time::Duration,
    tries: usize,
    ok: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let mut last = probe();
    for _ in 0..tries {
        std::thread::sleep(every);
        let next = probe();
        if next == last && ok(&next) {
            return next;
        }
        last = next;
    }
    last
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
