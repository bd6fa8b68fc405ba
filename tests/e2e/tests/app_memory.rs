//! The desktop app's own memory on a large store, measured as a person uses it: launch (and
//! the launch check), idle, the Improvements view for each agent, the Dashboard and Home, and
//! idle again, past the time kept miners are let go.
//! Figures are the app process's resident set (`VmRSS`) and its peak (`VmHWM`) from
//! `/proc/PID/status`; the web view's process (WebKitWebProcess) is a separate process and is
//! not counted. A benchmark, not a pass/fail test: it prints the figures
//! (docs/benchmarks.md records them with the machine, date and data).
//!
//! Run: `REDLINE_BENCH_JSONL=/tmp/long.jsonl scripts/test bench-app` (the long documents of
//! `crates/redline-core/examples/long_docs.rs`; without the variable, 30,000 sample
//! settlements).

use redline_core::job::{no_progress, Cancel};
use redline_core::store::Store;
use redline_e2e::{app_path, App};
use std::time::{Duration, Instant};

/// The app process whose command line names `db`.
fn app_pid(db: &std::path::Path) -> u32 {
    let exe = app_path();
    let name = exe.file_name().unwrap().to_string_lossy().into_owned();
    let db = db.to_string_lossy().into_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
                continue;
            };
            let args: Vec<String> = cmd
                .split(|b| *b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            if args.first().is_some_and(|a| a.ends_with(&name)) && args.contains(&db) {
                return pid;
            }
        }
        assert!(Instant::now() < deadline, "no {name} process for {db}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The process's resident set and its peak, in MB.
fn rss(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb = |key: &str| -> f64 {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (kb("VmRSS:") / 1024.0, kb("VmHWM:") / 1024.0)
}

/// Where the process's resident set lies, from `/proc/PID/smaps`, in MB: mimalloc's arenas
/// (anonymous reservations of 256 MiB or more: what Rust allocates), glibc's main heap (GTK,
/// WebKit's UI side and other C libraries allocate there and in their own anonymous mappings),
/// other anonymous mappings, thread stacks, and mapped files (libraries, fonts).
fn breakdown(pid: u32) -> String {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut parts = [0f64; 5];
    let names = [
        "mimalloc arenas",
        "glibc heap",
        "other anonymous",
        "stacks",
        "files",
    ];
    let mut kind = 2;
    for line in smaps.lines() {
        let mut f = line.split_whitespace();
        let first = f.next().unwrap_or("");
        if let Some((a, b)) = first.split_once('-').filter(|_| !first.ends_with(':')) {
            let size =
                u64::from_str_radix(b, 16).unwrap_or(0) - u64::from_str_radix(a, 16).unwrap_or(0);
            let path = f.nth(4).unwrap_or("");
            kind = match path {
                "[heap]" => 1,
                p if p.starts_with("[stack") => 3,
                "" if size >= 256 << 20 => 0,
                "" => 2,
                p if p.starts_with('[') => 2,
                _ => 4,
            };
        } else if first == "Rss:" {
            parts[kind] += f.next().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 1024.0;
        }
    }
    names
        .iter()
        .zip(parts)
        .map(|(n, mb)| format!("{n} {mb:.0} MB"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Wait, up to `limit`, until `script` (a page expression) is true.
fn wait_for(app: &App, what: &str, script: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        if app.execute(&format!("return !!({script});"), vec![]) == serde_json::json!(true) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: not after {limit:?}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
#[ignore = "a benchmark of the app's memory: scripts/test bench-app"]
fn app_memory_on_a_large_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redline.redb");
    let started = Instant::now();
    let data = {
        let store = Store::open(&db).unwrap();
        match std::env::var_os("REDLINE_BENCH_JSONL") {
            Some(path) => {
                let r = redline_core::import::import_file(
                    &store,
                    std::path::Path::new(&path),
                    &Default::default(),
                    &mut no_progress,
                    &Cancel::new(),
                )
                .unwrap();
                format!(
                    "{} settlements from {}",
                    r.records,
                    std::path::Path::new(&path).display()
                )
            }
            None => {
                let spec = redline_core::sample::SampleSpec {
                    count: 30_000,
                    ..Default::default()
                };
                redline_core::import::load_sample(&store, &spec, &mut no_progress, &Cancel::new())
                    .unwrap();
                "30,000 sample settlements".to_string()
            }
        }
    };
    println!(
        "data: {data}, imported in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut rows: Vec<(String, f64, f64, f64)> = Vec::new();
    let app = App::start_with(dir, &db);
    let pid = app_pid(&db);
    let t = Instant::now();
    let mut note = |step: &str, pid: u32, since: Instant| {
        let (now, peak) = rss(pid);
        println!(
            "{step:<44} {now:>7.0} MB  peak {peak:>7.0} MB  {:>6.1} s",
            since.elapsed().as_secs_f64()
        );
        rows.push((step.to_owned(), now, peak, since.elapsed().as_secs_f64()));
    };
    // The launch check measures and mines the recent windows; Home waits for it on a store
    // that was never checked.
    wait_for(
        &app,
        "Home",
        "document.querySelector('#home-computed, #home-refreshing')",
        Duration::from_secs(900),
    );
    note("launch, launch check done, Home shown", pid, t);
    std::thread::sleep(Duration::from_secs(10));
    note("idle 10 s later", pid, t);
    // REDLINE_BENCH_SETTLE=S: a person who comes back S seconds later, once the background
    // pass has stored every settlement's analysis.
    if let Some(s) = std::env::var("REDLINE_BENCH_SETTLE")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        std::thread::sleep(Duration::from_secs(s));
        note(&format!("idle {} s later", s + 10), pid, t);
    }
    app.click("#nav-patterns");
    wait_for(
        &app,
        "the Improvements view",
        "document.querySelector('#imp-agent')",
        Duration::from_secs(60),
    );
    let agents: Vec<String> = serde_json::from_value(app.execute(
        "return [...document.querySelectorAll('#imp-agent option')].map((o) => o.value);",
        vec![],
    ))
    .unwrap();
    // The view mines its first agent (all time) as it opens.
    let step = Instant::now();
    let done = "document.querySelector('#replay-run, #imp-empty') && !document.getElementById('imp-agent').disabled";
    wait_for(
        &app,
        "the first agent's patterns",
        done,
        Duration::from_secs(900),
    );
    note(&format!("Improvements: {}", agents[0]), pid, step);
    for agent in agents.iter().skip(1).take(4) {
        let step = Instant::now();
        app.execute(
            "const s = document.getElementById('imp-agent'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));",
            vec![serde_json::json!(agent)],
        );
        // The old agent's results leave first, then the new ones come.
        wait_for(&app, "the agent's patterns", done, Duration::from_secs(900));
        note(&format!("Improvements: {agent}"), pid, step);
    }
    let step = Instant::now();
    app.click("#nav-dashboard");
    app.click("#range-all");
    wait_for(
        &app,
        "the Dashboard",
        "document.querySelector('#kpi-acceptance .kpi-value')",
        Duration::from_secs(900),
    );
    note("Dashboard, all time", pid, step);
    let step = Instant::now();
    app.click("#nav-home");
    wait_for(
        &app,
        "Home again",
        "document.querySelector('#home-computed, #home-refreshing')",
        Duration::from_secs(300),
    );
    note("Home again", pid, step);
    std::thread::sleep(Duration::from_secs(10));
    note("idle 10 s later", pid, step);
    // Past the kept miners' idle time (2 minutes after the last mining, checked every 15 s):
    // they are let go.
    for s in [40, 70, 100, 130, 160] {
        std::thread::sleep(Duration::from_secs(30));
        note(&format!("idle {s} s later"), pid, step);
    }
    println!("resident set at the end: {}", breakdown(pid));
    let peak = rows.iter().map(|r| r.2).fold(0.0, f64::max);
    println!("peak of the app process: {peak:.0} MB (web view process not counted)");
    app.close();
}
