//! The workspace's shape, checked on every `cargo test` (rust-analyzer keeps a "tidy" test like
//! this): the core's layers point one way and have no cycles, the pure layers touch no IO and
//! only the adapters touch the network, the drivers reach storage and the network only through
//! the core, ARCHITECTURE.md's code map names every source file, and no source file grows past
//! 800 lines. The layers themselves are read from ARCHITECTURE.md (between the
//! `tidy:layers` markers), so the document and this test cannot disagree.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.rs` file under `dir`, relative to it, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, base, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    if dir.is_dir() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}

fn architecture() -> String {
    read(&root().join("ARCHITECTURE.md"))
}

/// One layer of the core, as ARCHITECTURE.md lists it.
struct Layer {
    rank: u32,
    name: String,
    modules: Vec<String>,
}

/// The rows between `<!-- tidy:layers -->` and `<!-- /tidy:layers -->`:
/// `| rank | name | `module`, `module` | what it may do |`.
fn layers() -> Vec<Layer> {
    let doc = architecture();
    let start = doc
        .find("<!-- tidy:layers -->")
        .expect("ARCHITECTURE.md has a tidy:layers table");
    let end = doc.find("<!-- /tidy:layers -->").expect("the table ends");
    let mut out = Vec::new();
    for line in doc[start..end].lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Some(rank) = cells.get(1).and_then(|c| c.parse::<u32>().ok()) else {
            continue;
        };
        out.push(Layer {
            rank,
            name: cells[2].to_owned(),
            modules: backticked(cells[3]),
        });
    }
    assert!(out.len() >= 4, "the layers table has too few rows");
    out
}

/// The names in backticks in `text`.
fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The source with comments and `#[cfg(test)]` items removed (test code may use anything).
fn production_code(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        // The item ends at its first `;` when that comes before any `{`, else at the brace
        // that closes its first `{`.
        let semi = after.find(';').unwrap_or(after.len());
        let brace = after.find('{').unwrap_or(after.len());
        if semi < brace {
            rest = &after[(semi + 1).min(after.len())..];
            continue;
        }
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, c) in after.char_indices().skip_while(|(i, _)| *i < brace) {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out.lines()
        .map(|l| match l.find("//") {
            // A `//` inside a string ("https://…") cuts the line short: that only hides a
            // reference, which the rest of the file repeats in its `use` lines.
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The core's top-level modules each of its source files refers to (`crate::x`, or `x` inside
/// `crate::{…}`), by the file's own top-level module.
fn core_edges() -> BTreeMap<String, BTreeMap<String, BTreeSet<PathBuf>>> {
    let src = root().join("crates/redline-core/src");
    let modules = core_modules();
    let mut edges: BTreeMap<String, BTreeMap<String, BTreeSet<PathBuf>>> = BTreeMap::new();
    for file in rust_files(&src) {
        if file.file_name().is_some_and(|n| n == "tests.rs") || file == Path::new("lib.rs") {
            continue;
        }
        let top = file
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        let code = production_code(&read(&src.join(&file)));
        let mut refs = BTreeSet::new();
        for (i, _) in code.match_indices("crate::") {
            let after = &code[i + "crate::".len()..];
            if let Some(group) = after.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for part in group.split(',') {
                    let name: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    refs.insert(name);
                }
            } else {
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                refs.insert(name);
            }
        }
        for r in refs {
            if r != top && modules.contains(&r) {
                edges
                    .entry(top.clone())
                    .or_default()
                    .entry(r)
                    .or_default()
                    .insert(file.clone());
            }
        }
    }
    edges
}

/// The top-level modules `lib.rs` declares.
fn core_modules() -> BTreeSet<String> {
    read(&root().join("crates/redline-core/src/lib.rs"))
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l
                .strip_prefix("pub mod ")
                .or_else(|| l.strip_prefix("pub(crate) mod "))
                .or_else(|| l.strip_prefix("mod "))?;
            Some(l.trim_end_matches(';').to_owned())
        })
        .collect()
}

fn rank_of() -> BTreeMap<String, (u32, String)> {
    let mut rank = BTreeMap::new();
    for layer in layers() {
        for m in layer.modules {
            let before = rank.insert(m.clone(), (layer.rank, layer.name.clone()));
            assert!(
                before.is_none(),
                "`{m}` is in two layers of ARCHITECTURE.md"
            );
        }
    }
    rank
}

#[test]
fn every_core_module_has_one_layer() {
    let rank = rank_of();
    let declared = core_modules();
    let listed: BTreeSet<String> = rank.keys().cloned().collect();
    let missing: Vec<_> = declared.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&declared).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "ARCHITECTURE.md's layers table and lib.rs disagree: not in the table {missing:?}, \
         not in lib.rs {extra:?}"
    );
}

#[test]
fn the_core_layers_point_one_way() {
    let rank = rank_of();
    let mut wrong = Vec::new();
    for (from, tos) in core_edges() {
        let (fr, fname) = &rank[&from];
        for (to, files) in tos {
            let (tr, tname) = &rank[&to];
            if tr > fr {
                wrong.push(format!(
                    "{from} ({fname}) uses {to} ({tname}), a higher layer, in {files:?}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

#[test]
fn the_core_modules_have_no_cycles() {
    let edges = core_edges();
    // Depth-first search; a grey node met again closes a cycle.
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeMap<String, BTreeSet<PathBuf>>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(m) {
            Some(1) => {
                let start = path.iter().position(|p| p == m).unwrap();
                let mut cycle = path[start..].to_vec();
                cycle.push(m.to_owned());
                return Some(cycle);
            }
            Some(2) => return None,
            _ => {}
        }
        state.insert(m.to_owned(), 1);
        path.push(m.to_owned());
        for to in edges.get(m).into_iter().flat_map(|t| t.keys()) {
            if let Some(c) = visit(to, edges, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(m.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in edges.keys() {
        if let Some(cycle) = visit(m, &edges, &mut state, &mut Vec::new()) {
            panic!("a cycle between the core's modules: {}", cycle.join(" → "));
        }
    }
}

/// What each layer's code must not name: the pure layers no IO at all, the layers below the
/// adapters no network.
#[test]
fn io_stays_in_its_layers() {
    const IO: [&str; 10] = [
        "std::fs",
        "File::",
        "TcpStream",
        "TcpListener",
        "UdpSocket",
        "std::process",
        "std::env",
        "reqwest",
        "lettre",
        "redb",
    ];
    const NETWORK: [&str; 5] = ["reqwest", "lettre", "TcpStream", "TcpListener", "UdpSocket"];
    let rank = rank_of();
    let adapters = layers()
        .iter()
        .find(|l| l.name == "adapters")
        .expect("an adapters layer")
        .rank;
    let src = root().join("crates/redline-core/src");
    let mut wrong = Vec::new();
    for file in rust_files(&src) {
        let top = file
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let top = top.trim_end_matches(".rs");
        let Some((r, _)) = rank.get(top) else {
            continue;
        };
        let code = production_code(&read(&src.join(&file)));
        let banned: &[&str] = if *r <= 1 {
            &IO
        } else if *r < adapters {
            &NETWORK
        } else {
            &[]
        };
        for b in banned {
            if code.contains(b) {
                wrong.push(format!("{} (layer {r}) names {b}", file.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The drivers reach the store, the network and the disk formats through the core only.
#[test]
fn the_drivers_depend_on_the_core_not_on_its_parts() {
    for manifest in ["crates/redline-cli/Cargo.toml", "src-tauri/Cargo.toml"] {
        let text = read(&root().join(manifest));
        let deps = text
            .split("\n[")
            .filter(|section| {
                section.starts_with("dependencies]") || section.contains("dependencies]\n")
            })
            .filter(|section| !section.starts_with("dev-dependencies]"))
            .collect::<Vec<_>>()
            .join("\n");
        for part in ["redb", "ureq", "reqwest", "lettre", "postcard", "age "] {
            let named = deps
                .lines()
                .any(|l| l.trim_start().starts_with(part.trim_end()) && l.contains('='));
            assert!(!named, "{manifest} depends on {part} directly");
        }
    }
}

/// The settings have one owner: only `settings.rs` (and the store beneath it) touches the
/// store's `settings` table; every other module goes through `settings::Settings` or
/// `settings::Row`.
#[test]
fn the_settings_have_one_owner() {
    let src = root().join("crates/redline-core/src");
    let mut wrong = Vec::new();
    for file in rust_files(&src) {
        let name = file.to_string_lossy();
        if name == "settings.rs" || name.starts_with("store") {
            continue;
        }
        let code = read(&src.join(&file));
        for call in [".setting(", "set_setting(", "setting_rows(", "SETTINGS"] {
            if code.contains(call) {
                wrong.push(format!("{name} calls {call}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// One HTTP client across the workspace: reqwest, named by the workspace and used by the core
/// (its adapters) and the end-to-end WebDriver client only; no crate brings a second one.
#[test]
fn the_workspace_has_one_http_client() {
    const OTHERS: [&str; 5] = ["ureq", "hyper ", "isahc", "attohttpc", "curl"];
    let mut manifests = vec![root().join("Cargo.toml")];
    for dir in ["crates", "tests", "src-tauri"] {
        let top = root().join(dir);
        if top.join("Cargo.toml").exists() {
            manifests.push(top.join("Cargo.toml"));
        }
        for entry in std::fs::read_dir(&top).unwrap().flatten() {
            let m = entry.path().join("Cargo.toml");
            if m.exists() {
                manifests.push(m);
            }
        }
    }
    for manifest in &manifests {
        let text = read(manifest);
        for other in OTHERS {
            let named = text
                .lines()
                .any(|l| l.trim_start().starts_with(other.trim_end()) && l.contains('='));
            assert!(
                !named,
                "{} names a second HTTP client, {other}",
                manifest.display()
            );
        }
    }
    let lock = read(&root().join("Cargo.lock"));
    assert!(
        !lock.contains("name = \"ureq\""),
        "Cargo.lock still holds ureq: some crate brings a second HTTP client"
    );
}

/// ARCHITECTURE.md's code map names every source file, each in the section of its crate.
#[test]
fn the_code_map_names_every_source_file() {
    let doc = architecture();
    let mut missing = Vec::new();
    for (section, dir) in [
        ("### `crates/redline-core`", "crates/redline-core/src"),
        ("### `crates/redline-cli`", "crates/redline-cli/src"),
        ("### `crates/notion-fake`", "crates/notion-fake/src"),
        ("### `src-tauri`", "src-tauri/src"),
        ("### `tests/e2e`", "tests/e2e"),
    ] {
        let start = doc
            .find(section)
            .unwrap_or_else(|| panic!("ARCHITECTURE.md has no section {section}"));
        let body = &doc[start + section.len()..];
        let body = &body[..body.find("\n### ").unwrap_or(body.len())];
        let named: BTreeSet<String> = backticked(body).into_iter().collect();
        for file in rust_files(&root().join(dir)) {
            let file = file.to_string_lossy().into_owned();
            if !named.contains(&file) {
                missing.push(format!("{section}: `{file}`"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map does not name:\n{}",
        missing.join("\n")
    );
}

/// Files past 800 lines that are still to be split, each held at its size today so that it
/// can only shrink. Remove a line when its file is split.
const TOO_LONG_FOR_NOW: &[(&str, usize)] = &[];

#[test]
fn no_source_file_grows_past_800_lines() {
    let mut wrong = Vec::new();
    for dir in [
        "crates/redline-core",
        "crates/redline-cli",
        "crates/notion-fake",
        "src-tauri/src",
        "tests/e2e",
        "fuzz/src",
        "fuzz/fuzz_targets",
    ] {
        for file in rust_files(&root().join(dir)) {
            let path = format!("{dir}/{}", file.display());
            let lines = read(&root().join(&path)).lines().count();
            let allowed = TOO_LONG_FOR_NOW
                .iter()
                .find(|(p, _)| *p == path)
                .map_or(800, |(_, n)| *n);
            if lines > allowed {
                wrong.push(format!("{path}: {lines} lines (at most {allowed})"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
