//! Writing an export: the examples streamed to a temporary file (age-encrypted when asked),
//! renamed into place whole when the export succeeds, with its audit entry.

use super::*;

/// Export the store's settlements to `path` (and its validation file), atomically: the files
/// appear whole when the export succeeds, and a failed or cancelled export leaves nothing.
pub fn export(
    store: &Store,
    o: &Options,
    path: &Path,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<Report>, ExportError> {
    if o.format == Format::HfDataset {
        return hf::export_dataset(store, o, path, on_step, cancel);
    }
    export_with(store, o, path, on_step, cancel, true)
}

/// [`export`] without its audit entry: a step of a larger export that records its own
/// ([`hf::export_dataset`]).
pub(crate) fn export_unaudited(
    store: &Store,
    o: &Options,
    path: &Path,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<Report>, ExportError> {
    export_with(store, o, path, on_step, cancel, false)
}

pub(super) fn export_with(
    store: &Store,
    o: &Options,
    path: &Path,
    on_step: Progress<'_>,
    cancel: &Cancel,
    audit: bool,
) -> Result<Option<Report>, ExportError> {
    if !(0.0..=1.0).contains(&o.min_acceptance) {
        return Err(ExportError::Invalid(format!(
            "the minimum acceptance must be between 0 and 1, not {}",
            o.min_acceptance
        )));
    }
    if !(0.0..0.5).contains(&o.validation_share) {
        return Err(ExportError::Invalid(format!(
            "the validation share must be at least 0 and below 0.5, not {}",
            o.validation_share
        )));
    }
    let write_err = |p: &Path| {
        let p = p.to_owned();
        move |e| ExportError::Write { path: p, cause: e }
    };
    if o.passphrase
        .as_ref()
        .is_some_and(|p| p.expose_secret().chars().count() < 8)
    {
        return Err(ExportError::Invalid(
            "the passphrase must have at least 8 characters".into(),
        ));
    }
    let o = &with_saved_prompts(store, o)?;
    let vpath = validation_path(path);
    let mut train = Sink::create(path, o.passphrase.as_ref()).map_err(write_err(path))?;
    let mut valid = if o.validation_share > 0.0 {
        Some(Sink::create(&vpath, o.passphrase.as_ref()).map_err(write_err(&vpath))?)
    } else {
        None
    };
    let (from, to) = (o.from, o.to);
    let marks = crate::curation::all(store)?;
    let report = export_to(
        &mut |visit| super::scan_store(store, from, to, visit),
        o,
        &marks,
        &mut train,
        valid.as_mut().map(|v| v as &mut dyn Write),
        on_step,
        cancel,
    )
    .map_err(|e| match e {
        ExportError::Write { cause, .. } => ExportError::Write {
            path: path.to_owned(),
            cause,
        },
        other => other,
    })?;
    let Some(mut report) = report else {
        return Ok(None);
    };
    if report.written == 0 {
        return Err(ExportError::Empty(describe_skips(&report)));
    }
    train.commit().map_err(write_err(path))?;
    report.path = Some(path.to_owned());
    report.encrypted = o.passphrase.is_some();
    if let Some(v) = valid {
        v.commit().map_err(write_err(&vpath))?;
        report.validation_path = Some(vpath);
    }
    if o.format != Format::Csv {
        let checked = match &o.passphrase {
            None => crate::validate::validate_file(path, &crate::validate::Options::default())
                .map_err(|e| ExportError::Invalid(e.to_string()))?,
            Some(p) => {
                let file = std::fs::File::open(path).map_err(write_err(path))?;
                let reader = decrypt(std::io::BufReader::new(file), p).map_err(|e| {
                    ExportError::Invalid(format!("cannot read back {}: {e}", path.display()))
                })?;
                crate::validate::validate_reader(reader, &crate::validate::Options::default())
                    .map_err(write_err(path))?
            }
        };
        report.validation_report = Some(checked);
    }
    if !audit {
        return Ok(Some(report));
    }
    crate::audit::record(
        store,
        "export",
        format!(
            "exported {} examples ({}) to {} ({})",
            report.written,
            report.format,
            path.display(),
            if report.encrypted {
                "encrypted"
            } else {
                "not encrypted"
            }
        ),
        serde_json::json!({
            "format": report.format,
            "written": report.written,
            "train": report.train,
            "validation": report.validation,
            "path": path,
            "validation_path": report.validation_path,
            "encrypted": report.encrypted,
            "filters": {
                "min_acceptance": o.min_acceptance,
                "agents": o.agents,
                "intent_types": o.intent_types,
                "prompt_versions": o.prompt_versions,
                "from": o.from,
                "to": o.to,
                "exclude_errors": o.exclude_errors,
                "only_edited": o.only_edited,
                "only_gold": o.only_gold,
                "redact": o.redact,
                "dedupe": o.dedupe,
            },
            "redactions": report.redactions,
        }),
    )?;
    Ok(Some(report))
}

/// Where an export is written: a file that appears whole on commit, optionally through an
/// `age` passphrase encryption stream.
pub(super) enum Sink {
    Plain(AtomicFile),
    Encrypted(age::stream::StreamWriter<AtomicFile>),
}

impl Sink {
    pub(super) fn create(path: &Path, passphrase: Option<&SecretString>) -> std::io::Result<Sink> {
        let file = AtomicFile::create(path)?;
        Ok(match passphrase {
            None => Sink::Plain(file),
            Some(p) => {
                let secret = age::secrecy::SecretString::from(p.expose_secret().to_owned());
                Sink::Encrypted(age::Encryptor::with_user_passphrase(secret).wrap_output(file)?)
            }
        })
    }

    pub(super) fn commit(self) -> std::io::Result<()> {
        match self {
            Sink::Plain(f) => f.commit(),
            Sink::Encrypted(w) => w.finish()?.commit(),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Plain(f) => f.write(buf),
            Sink::Encrypted(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Plain(f) => f.flush(),
            Sink::Encrypted(w) => w.flush(),
        }
    }
}

/// Read an `age` file encrypted with a passphrase.
pub fn decrypt<R: std::io::BufRead>(
    input: R,
    passphrase: &SecretString,
) -> Result<impl std::io::Read, age::DecryptError> {
    let identity = age::scrypt::Identity::new(age::secrecy::SecretString::from(
        passphrase.expose_secret().to_owned(),
    ));
    age::Decryptor::new_buffered(input)?.decrypt(std::iter::once(&identity as &dyn age::Identity))
}

/// Why settlements were left out, in words.
pub fn describe_skips(r: &Report) -> String {
    let parts: Vec<String> = [
        (
            r.skipped_filtered,
            "outside the chosen agents, intent types, versions or dates",
        ),
        (r.skipped_below_threshold, "below the minimum acceptance"),
        (r.skipped_errors, "flagged as errors"),
        (r.skipped_unedited, "not edited"),
        (r.skipped_no_intent, "without an intent text"),
        (
            r.skipped_no_preference,
            "with no edit to learn a preference from",
        ),
        (r.duplicates_exact, "exact duplicates"),
        (r.duplicates_near, "near duplicates"),
        (r.skipped_excluded, "marked \"exclude from training\""),
        (r.skipped_not_gold, "not marked gold"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, why)| format!("{n} {why}"))
    .collect();
    if parts.is_empty() {
        format!("{} settlements read", r.read)
    } else {
        format!("{} settlements read: {}", r.read, parts.join(", "))
    }
}
