//! The window's permissions agree with the code: every command registered in `main.rs` is in
//! `build.rs`'s `COMMANDS` (which generates its `allow-…` permission) and granted by the
//! window's capability in `tauri.conf.json`, every command the UI calls (`ui/api.js`) is one of
//! them, and the capability grants nothing else of Redline's. A command added without its
//! permission would be refused at run time; this says so at test time.

use std::collections::BTreeSet;

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The quoted snake_case words between `start` and the next `end` of `text`.
fn quoted(text: &str, start: &str, end: &str) -> BTreeSet<String> {
    let from = text.find(start).expect("the list is there") + start.len();
    let to = from + text[from..].find(end).expect("the list ends");
    text[from..to]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn registered_permitted_and_called_commands_agree() {
    let main = read("src/main.rs");
    let from = main.find("generate_handler![").expect("the handler");
    let to = from + main[from..].find("])").expect("its end");
    let registered: BTreeSet<String> = main[from + "generate_handler![".len()..to]
        .split(',')
        .filter_map(|c| c.trim().rsplit("::").next())
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect();
    let manifest = quoted(&read("build.rs"), "const COMMANDS: &[&str] = &[", "];");
    assert_eq!(
        registered, manifest,
        "build.rs COMMANDS = the registered commands"
    );

    let conf: serde_json::Value = serde_json::from_str(&read("tauri.conf.json")).unwrap();
    let granted: BTreeSet<String> = conf["app"]["security"]["capabilities"][0]["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect();
    assert_eq!(
        granted, registered,
        "the capability grants exactly the registered commands"
    );

    let api = read("../ui/api.js");
    let called: BTreeSet<String> = api
        .split("call(\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect();
    let unknown: Vec<&String> = called.difference(&registered).collect();
    assert!(
        unknown.is_empty(),
        "the UI calls unregistered commands: {unknown:?}"
    );
    let unused: Vec<&String> = registered.difference(&called).collect();
    assert!(
        unused.is_empty(),
        "registered commands the UI never calls: {unused:?}"
    );
}
