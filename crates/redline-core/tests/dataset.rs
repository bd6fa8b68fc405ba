//! The Hugging Face dataset folder: Parquet splits read back by the `parquet` crate's reader,
//! and a dataset card that says what they hold.

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use redline_core::export::{self, hf, Options};
use redline_core::job::{no_progress, Cancel};
use redline_core::sample::{self, SampleSpec};
use redline_core::store::Store;
use std::collections::BTreeMap;

fn store_with_sample(dir: &std::path::Path) -> Store {
    let store = Store::open(&dir.join("s.redb")).unwrap();
    store
        .upsert_batch(&sample::generate(&SampleSpec {
            count: 1200,
            seed: 41,
            ..Default::default()
        }))
        .unwrap();
    store
}

/// Every row of a Parquet file, as column name → field.
fn rows(path: &std::path::Path) -> Vec<BTreeMap<String, Field>> {
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    reader
        .get_row_iter(None)
        .unwrap()
        .map(|row| {
            row.unwrap()
                .get_column_iter()
                .map(|(name, f)| (name.clone(), f.clone()))
                .collect()
        })
        .collect()
}

fn text(row: &BTreeMap<String, Field>, column: &str) -> String {
    match &row[column] {
        Field::Str(s) => s.clone(),
        other => panic!("{column}: {other:?}"),
    }
}

#[test]
fn a_dataset_folder_holds_parquet_splits_and_a_card_that_match_the_export() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_sample(dir.path());
    let folder = dir.path().join("dataset");
    let o = Options {
        validation_share: 0.1,
        license: "cc-by-4.0".into(),
        ..Default::default()
    };
    let r = hf::export_dataset(&store, &o, &folder, &mut no_progress, &Cancel::new())
        .unwrap()
        .unwrap();
    assert_eq!(r.format, "hf-dataset");
    assert!(r.train > 500 && r.validation > 20, "{r:?}");
    let train = rows(&folder.join("data/train-00000-of-00001.parquet"));
    let valid = rows(&folder.join("data/validation-00000-of-00001.parquet"));
    assert_eq!((train.len(), valid.len()), (r.train, r.validation));
    // The same examples as the JSONL export with the same options, split the same way.
    let jsonl = dir.path().join("same.jsonl");
    let same = export::export(&store, &o, &jsonl, &mut no_progress, &Cancel::new())
        .unwrap()
        .unwrap();
    assert_eq!((same.train, same.validation), (r.train, r.validation));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for (row, line) in train.iter().zip(&lines) {
        assert_eq!(
            text(row, "system"),
            line["messages"][0]["content"].as_str().unwrap()
        );
        assert_eq!(
            text(row, "prompt"),
            line["messages"][1]["content"].as_str().unwrap()
        );
        assert_eq!(
            text(row, "completion"),
            line["messages"][2]["content"].as_str().unwrap()
        );
    }
    // Typed columns: a UTC timestamp and a number, and each id a settlement of the store.
    let first = &train[0];
    assert!(
        matches!(first["created_at"], Field::TimestampMillis(_)),
        "{:?}",
        first["created_at"]
    );
    let Field::Double(acceptance) = first["acceptance"] else {
        panic!("{:?}", first["acceptance"])
    };
    assert!(acceptance >= o.min_acceptance);
    let id = redline_core::model::SettlementId::new(text(first, "id")).unwrap();
    let s = store.get(&id).unwrap().unwrap();
    assert_eq!(text(first, "rejected"), s.ai_output);
    assert_eq!(text(first, "agent"), s.agent.as_str());
    // The card: the Hub's header (licence, both splits, the features) and the counts.
    let card = std::fs::read_to_string(folder.join("README.md")).unwrap();
    assert!(card.starts_with("---\nlicense: cc-by-4.0\n"), "{card}");
    for needle in [
        "  - split: train\n    path: data/train-*",
        "  - split: validation\n    path: data/validation-*",
        "  - name: created_at\n    dtype: timestamp[ms, tz=UTC]",
        &format!("  - name: train\n    num_examples: {}", r.train),
        "Redaction of personal data and secrets: on",
        "load_dataset(\"parquet\"",
    ] {
        assert!(card.contains(needle), "{needle}\n{card}");
    }
    // Nothing but the card and the two files; the work folder is gone.
    let mut names: Vec<String> = walk(&folder);
    names.sort();
    assert_eq!(
        names,
        [
            "README.md",
            "data/train-00000-of-00001.parquet",
            "data/validation-00000-of-00001.parquet"
        ]
    );
    assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with(".redline-export-")));
    let log = redline_core::audit::entries(&store, 5).unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == "export" && e.data["format"] == "hf-dataset"));
}

fn walk(root: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out
}

#[test]
fn a_dataset_needs_a_new_folder_a_licence_id_and_no_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_sample(dir.path());
    let busy = dir.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("keep.txt"), "mine").unwrap();
    let o = Options::default();
    let err = hf::export_dataset(&store, &o, &busy, &mut no_progress, &Cancel::new()).unwrap_err();
    assert!(err.to_string().contains("is not empty"), "{err}");
    assert_eq!(
        std::fs::read_to_string(busy.join("keep.txt")).unwrap(),
        "mine"
    );
    let err = hf::export_dataset(
        &store,
        &Options {
            license: "cc by\n4.0".into(),
            ..Default::default()
        },
        &dir.path().join("x"),
        &mut no_progress,
        &Cancel::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("is not a licence id"), "{err}");
    let secret = Options {
        passphrase: Some(redline_core::secret::SecretString::from(
            "long enough phrase".to_string(),
        )),
        ..Default::default()
    };
    let err = hf::export_dataset(
        &store,
        &secret,
        &dir.path().join("y"),
        &mut no_progress,
        &Cancel::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("unencrypted"), "{err}");
    // An empty folder is fine (the dialog's "new folder"); a cancelled export leaves nothing.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let cancel = Cancel::new();
    cancel.cancel();
    assert!(
        hf::export_dataset(&store, &o, &empty, &mut no_progress, &cancel)
            .unwrap()
            .is_none()
    );
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
    let through_export = Options {
        format: export::Format::HfDataset,
        ..Options::default()
    };
    assert!(export::export(
        &store,
        &through_export,
        &empty,
        &mut no_progress,
        &Cancel::new()
    )
    .unwrap()
    .is_some());
    assert!(empty.join("README.md").exists());
}

#[test]
fn the_tables_hold_every_selected_settlement_and_its_operations_with_their_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_sample(dir.path());
    let folder = dir.path().join("tables");
    let o = Options {
        agents: vec!["The Auditor".into()],
        ..Default::default()
    };
    let t = export::tables::export_tables(&store, &o, &folder, &mut no_progress, &Cancel::new())
        .unwrap()
        .unwrap();
    let settlements = rows(&folder.join("settlements.parquet"));
    let operations = rows(&folder.join("operations.parquet"));
    assert_eq!(
        (settlements.len(), operations.len()),
        (t.settlements, t.operations)
    );
    let auditor = store
        .counts()
        .unwrap()
        .iter()
        .filter(|c| c.agent == "The Auditor")
        .map(|c| c.count as usize)
        .sum::<usize>();
    assert_eq!(t.settlements, auditor);
    assert!(settlements
        .iter()
        .all(|r| text(r, "agent") == "The Auditor"));
    assert!(operations
        .iter()
        .all(|r| ["delete", "insert", "replace"].contains(&text(r, "kind").as_str())));
    for (file, version) in [
        ("settlements.parquet", "settlements/1"),
        ("operations.parquet", "operations/1"),
    ] {
        let reader =
            SerializedFileReader::new(std::fs::File::open(folder.join(file)).unwrap()).unwrap();
        let kv = reader
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .unwrap();
        assert!(kv
            .iter()
            .any(|k| k.key == "redline.schema" && k.value.as_deref() == Some(version)));
    }
    let err = export::tables::export_tables(&store, &o, &folder, &mut no_progress, &Cancel::new())
        .unwrap_err();
    assert!(err.to_string().contains("is not empty"), "{err}");
}
