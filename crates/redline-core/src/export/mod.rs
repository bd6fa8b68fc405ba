//! Fine-tuning export (the design's FineTuningDataPrep and export_for_fine_tuning): the
//! settlements people approved, as training examples in a provider's JSONL format (or CSV for
//! analysis), filtered, de-duplicated, redacted, split into training and validation, and
//! written atomically — streamed, one settlement at a time. Formats and rules: docs/export.md.

use crate::dedupe;
mod folder;
mod format;
pub mod hf;
pub mod tables;
pub mod targets;

pub use format::Format;

use crate::analytics::observe;
use crate::curation::{Mark, MarkKind};
use crate::fsutil::AtomicFile;
use crate::job::{Cancel, Progress, Step};
use crate::model::Settlement;
use crate::redact::{Kind, Redactor};
use crate::secret::{ExposeSecret, SecretString};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
mod preview;
mod write;
pub use preview::{preview, Preview};
use write::*;
pub use write::{decrypt, describe_skips, export};

/// What to export.
#[derive(Clone, Debug)]
pub struct Options {
    pub format: Format,
    /// Only settlements with at least this acceptance (the source's rate, else the share of
    /// the AI output's words kept).
    pub min_acceptance: f64,
    /// Empty = every agent.
    pub agents: Vec<String>,
    /// Empty = every intent type.
    pub intent_types: Vec<String>,
    /// Empty = every prompt version / experiment variant.
    pub prompt_versions: Vec<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Leave out settlements flagged as errors.
    pub exclude_errors: bool,
    /// Leave out outputs accepted without any edit.
    pub only_edited: bool,
    /// Only settlements marked gold.
    pub only_gold: bool,
    pub redact: bool,
    pub dedupe: bool,
    /// Share of examples written to the validation file (0 = no validation file).
    pub validation_share: f64,
    /// System prompts per agent, used when a settlement does not carry its own.
    pub system_prompts: BTreeMap<String, String>,
    /// Encrypt the files with this passphrase in the `age` format (decrypt with `age -d`).
    pub passphrase: Option<SecretString>,
    /// [`Format::HfDataset`]: the licence id its dataset card states.
    pub license: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: Format::OpenAiChat,
            min_acceptance: crate::analytics::DEFAULT_ACCEPT_THRESHOLD,
            agents: Vec::new(),
            intent_types: Vec::new(),
            prompt_versions: Vec::new(),
            from: None,
            to: None,
            exclude_errors: true,
            only_edited: false,
            only_gold: false,
            redact: true,
            dedupe: true,
            validation_share: 0.0,
            system_prompts: BTreeMap::new(),
            passphrase: None,
            license: "other".into(),
        }
    }
}

/// The per-agent system prompts the admin set (used when a settlement carries none).
pub fn system_prompts(store: &Store) -> Result<BTreeMap<String, String>, StoreError> {
    Ok(crate::settings::Settings::load(store)?.system_prompts)
}

/// Set (or, with an empty text, remove) an agent's system prompt.
pub fn set_system_prompt(store: &Store, agent: &str, text: &str) -> Result<(), StoreError> {
    crate::settings::Settings::update(store, |s| {
        if text.trim().is_empty() {
            s.system_prompts.remove(agent);
        } else {
            s.system_prompts
                .insert(agent.to_owned(), text.trim().to_owned());
        }
        Ok(())
    })
}

/// Where `format` was last exported to from the app (a path the admin chose in a dialog).
pub fn last_destination(store: &Store, format: &Format) -> Result<Option<PathBuf>, StoreError> {
    Ok(crate::settings::Settings::load(store)?
        .export_destinations
        .remove(format.name()))
}

/// Remember where `format` was exported to, so the next export is one click.
pub fn remember_destination(store: &Store, format: &Format, path: &Path) -> Result<(), StoreError> {
    crate::settings::Settings::update(store, |s| {
        s.export_destinations
            .insert(format.name().to_owned(), path.to_owned());
        Ok(())
    })
}

/// Each agent's system prompt: its active version in the prompt registry, overridden by a
/// text saved for exports, overridden by any given in the options.
fn with_saved_prompts(store: &Store, o: &Options) -> Result<Options, ExportError> {
    let registry = |e: crate::prompts::PromptError| match e {
        crate::prompts::PromptError::Store(e) => ExportError::Store(e),
        other => ExportError::Invalid(other.to_string()),
    };
    let mut prompts = BTreeMap::new();
    for agent in crate::prompts::all(store).map_err(registry)?.into_keys() {
        if let Some(v) = crate::prompts::active(store, &agent).map_err(registry)? {
            prompts.insert(agent, v.text);
        }
    }
    prompts.extend(system_prompts(store)?);
    prompts.extend(o.system_prompts.clone());
    Ok(Options {
        system_prompts: prompts,
        ..o.clone()
    })
}

/// The system prompt used when neither the settlement nor the settings give one.
pub fn default_system_prompt(agent: &str, intent_type: &str) -> String {
    let kind = if intent_type.is_empty() {
        String::new()
    } else {
        format!(" {intent_type}")
    };
    format!(
        "You are {agent}. Answer the admin's{kind} request directly, in plain words, ready to use."
    )
}

/// Why settlements were left out, and what was written.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    pub format: String,
    pub read: usize,
    pub written: usize,
    pub train: usize,
    pub validation: usize,
    pub path: Option<PathBuf>,
    pub validation_path: Option<PathBuf>,
    pub bytes: u64,
    /// Written encrypted with a passphrase (`age` format).
    pub encrypted: bool,
    pub skipped_filtered: usize,
    pub skipped_below_threshold: usize,
    pub skipped_errors: usize,
    pub skipped_unedited: usize,
    pub skipped_no_intent: usize,
    /// Preference formats: the final version equals the AI output (no preference to learn).
    pub skipped_no_preference: usize,
    pub duplicates_exact: usize,
    pub duplicates_near: usize,
    /// Marked "exclude from training", with how many per reason.
    pub skipped_excluded: usize,
    pub excluded_reasons: BTreeMap<String, usize>,
    /// Not marked gold, when only gold was asked for.
    pub skipped_not_gold: usize,
    /// Gold settlements exported (they pass the acceptance, error and edit filters).
    pub gold: usize,
    /// KTO: drafts written as undesirable (`false`) examples, beside the `written` settlements'
    /// desirable finals.
    pub undesirable: usize,
    pub redactions: BTreeMap<Kind, usize>,
    pub per_agent: BTreeMap<String, usize>,
    /// The written training file, validated (JSONL formats).
    pub validation_report: Option<crate::validate::Report>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write {path}: {cause}")]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("nothing to export: no settlement passes the filters ({0})")]
    Empty(String),
    #[error("{0}")]
    Invalid(String),
}

/// One training example before formatting.
pub struct Example {
    pub id: String,
    pub agent: String,
    pub intent_type: String,
    pub created_at: DateTime<Utc>,
    pub acceptance: f64,
    pub system: String,
    pub user: String,
    /// The approved final version.
    pub chosen: String,
    /// The AI output (the rejected side of a preference pair).
    pub rejected: String,
    /// The settlement's acceptance is below the export's bar: with KTO its draft is written
    /// as an undesirable (`false`) example.
    pub draft_below_bar: bool,
}

/// Whether `v` is one of `list`, an empty list meaning "any".
fn listed(list: &[String], v: &str) -> bool {
    list.is_empty() || list.iter().any(|x| x == v)
}

/// Whether a settlement passes the options' filters (counting why not); its acceptance.
fn admit(
    s: &Settlement,
    known: Option<f64>,
    o: &Options,
    marks: &HashMap<String, Mark>,
    r: &mut Report,
) -> Option<f64> {
    let version = s.prompt_version.as_deref().unwrap_or("");
    if !listed(&o.agents, s.agent.as_str())
        || !listed(&o.intent_types, s.intent_type.as_str())
        || !listed(&o.prompt_versions, version)
        || o.from.is_some_and(|f| s.created_at < f)
        || o.to.is_some_and(|t| s.created_at > t)
    {
        r.skipped_filtered += 1;
        return None;
    }
    let mark = marks.get(s.id.as_str());
    if let Some(m) = mark.filter(|m| m.kind == MarkKind::Exclude) {
        r.skipped_excluded += 1;
        let why = m.reason.clone().unwrap_or_else(|| "no reason given".into());
        *r.excluded_reasons.entry(why).or_default() += 1;
        return None;
    }
    let gold = mark.is_some_and(|m| m.kind == MarkKind::Gold);
    if o.only_gold && !gold {
        r.skipped_not_gold += 1;
        return None;
    }
    if s.intent.trim().is_empty() {
        r.skipped_no_intent += 1;
        return None;
    }
    let edited = s.ai_output != s.final_output;
    if o.format.is_preference() && !edited {
        r.skipped_no_preference += 1;
        return None;
    }
    // The source's rate when it gave one; else the measured share, diffing the texts only
    // when no measure is cached.
    let acceptance = match s.acceptance_rate {
        Some(a) => a.get(),
        None => known.unwrap_or_else(|| observe(s).acceptance),
    };
    if gold {
        // The admin vouched for it: the quality filters do not apply.
        r.gold += 1;
        return Some(acceptance);
    }
    if o.exclude_errors && s.error == Some(true) {
        r.skipped_errors += 1;
        return None;
    }
    if o.only_edited && !edited {
        r.skipped_unedited += 1;
        return None;
    }
    // KTO learns from the drafts below the bar too (as undesirable examples).
    if acceptance < o.min_acceptance && o.format != Format::TrlKto {
        r.skipped_below_threshold += 1;
        return None;
    }
    Some(acceptance)
}

fn example(
    s: &Settlement,
    acceptance: f64,
    o: &Options,
    redactor: Option<&mut Redactor>,
) -> Example {
    let system = s
        .system_prompt
        .clone()
        .filter(|p| !p.trim().is_empty())
        .or_else(|| o.system_prompts.get(s.agent.as_str()).cloned())
        .unwrap_or_else(|| default_system_prompt(s.agent.as_str(), s.intent_type.as_str()));
    // The AI output is only written by the preference formats, KTO and CSV.
    let uses_rejected = o.format.uses_ai_output();
    let (system, user, chosen, rejected) = match redactor {
        Some(r) => (
            // Every text field: a settlement's own system prompt can carry a name or a key.
            r.redact(&system),
            r.redact(&s.intent),
            r.redact(&s.final_output),
            if uses_rejected {
                r.redact(&s.ai_output)
            } else {
                String::new()
            },
        ),
        None => (
            system,
            s.intent.clone(),
            s.final_output.clone(),
            s.ai_output.clone(),
        ),
    };
    Example {
        id: s.id.as_str().to_owned(),
        agent: s.agent.as_str().to_owned(),
        intent_type: s.intent_type.to_string(),
        created_at: s.created_at,
        acceptance,
        system,
        user,
        chosen,
        rejected,
        draft_below_bar: acceptance < o.min_acceptance,
    }
}

/// Which file an example goes to: validation when SplitMix64(FNV-1a(id)) falls in the first
/// `share` of the hash space — deterministic, and the same share of every agent in expectation.
pub fn is_validation(id: &str, share: f64) -> bool {
    if share <= 0.0 {
        return false;
    }
    let h = crate::hash::fnv1a(crate::hash::FNV_SEED, id.as_bytes());
    // SplitMix64's finaliser spreads FNV's low-bit differences over the whole word.
    let z = crate::hash::mix(h);
    (z as f64 / u64::MAX as f64) < share
}

/// The validation file's path beside the training file: `data.jsonl` → `data.validation.jsonl`.
pub fn validation_path(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map_or_else(|| "export".into(), |s| s.to_string_lossy().into_owned());
    let ext = path
        .extension()
        .map_or_else(String::new, |e| format!(".{}", e.to_string_lossy()));
    path.with_file_name(format!("{stem}.validation{ext}"))
}

/// Settlements prepared at once on every core.
const EXPORT_BATCH: usize = 1024;

/// A batch on its way through the pipeline.
#[derive(Default)]
struct Batch {
    /// Settlements read.
    read: usize,
    /// Why the others were left out.
    counts: Report,
    items: Vec<Prepared>,
    /// One per item, from the de-duplication stage.
    verdicts: Vec<dedupe::Verdict>,
}

/// One admitted settlement, ready to write unless it repeats an earlier one.
struct Prepared {
    agent: String,
    /// Present when de-duplicating.
    signature: Option<dedupe::Signature>,
    redactions: Vec<(Kind, usize)>,
    to_validation: bool,
    /// The formatted example (a JSONL line or a CSV row).
    line: Vec<u8>,
}

/// Filter (counting why not into `counts`), redact, sign and format one settlement.
fn prepare(
    s: &Settlement,
    known: Option<f64>,
    o: &Options,
    marks: &HashMap<String, Mark>,
    split: bool,
    counts: &mut Report,
) -> Option<Prepared> {
    let acceptance = admit(s, known, o, marks, counts)?;
    let mut redactor = o.redact.then(Redactor::new);
    let ex = example(s, acceptance, o, redactor.as_mut());
    let to_validation = split && is_validation(&ex.id, o.validation_share);
    let mut line = Vec::with_capacity(ex.system.len() + ex.user.len() + ex.chosen.len() + 128);
    format::write(o.format, &ex, to_validation, &mut line).expect("writing to memory");
    Some(Prepared {
        signature: o
            .dedupe
            .then(|| dedupe::Signature::of(&ex.user, &ex.chosen)),
        redactions: redactor.map_or_else(Vec::new, |r| r.counts.into_iter().collect()),
        to_validation,
        line,
        agent: ex.agent,
    })
}

impl Report {
    /// Add another report's reasons for leaving settlements out.
    fn add_skips(&mut self, o: Report) {
        self.skipped_filtered += o.skipped_filtered;
        self.skipped_below_threshold += o.skipped_below_threshold;
        self.skipped_errors += o.skipped_errors;
        self.skipped_unedited += o.skipped_unedited;
        self.skipped_no_intent += o.skipped_no_intent;
        self.skipped_no_preference += o.skipped_no_preference;
        self.skipped_excluded += o.skipped_excluded;
        for (why, n) in o.excluded_reasons {
            *self.excluded_reasons.entry(why).or_default() += n;
        }
        self.skipped_not_gold += o.skipped_not_gold;
        self.gold += o.gold;
    }
}

/// A source of settlements: it calls the visitor once per settlement, in order, with the
/// settlement's acceptance when it was already measured (`None`: diff the texts if needed).
pub type Settlements<'a> =
    &'a mut dyn FnMut(&mut dyn FnMut(Settlement, Option<f64>)) -> Result<(), StoreError>;

/// The store's settlements in `from..=to` with their cached acceptance, for [`export_to`]:
/// settlements measured before (by the Dashboard, `summary`, the app's background check) are
/// not diffed again.
pub fn scan_store(
    store: &Store,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    visit: &mut dyn FnMut(Settlement, Option<f64>),
) -> Result<(), StoreError> {
    store.scan_with_measures(from, to, |s, cached| {
        // Only needed when the source gave no rate.
        let acceptance = cached
            .filter(|_| s.acceptance_rate.is_none())
            .and_then(|b| postcard::from_bytes::<crate::analytics::Observation>(b).ok())
            .map(|o| o.acceptance);
        visit(s, acceptance)
    })
}

/// Run the export over `settlements` (visited in order), writing to `train` and, when
/// `validation_share > 0`, to `validation`. Returns `None` when cancelled.
pub fn export_to(
    settlements: Settlements<'_>,
    o: &Options,
    marks: &HashMap<String, Mark>,
    train: &mut dyn Write,
    mut validation: Option<&mut dyn Write>,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<Report>, ExportError> {
    let mut r = Report {
        format: o.format.name().to_owned(),
        ..Default::default()
    };
    let mut failure: Option<std::io::Error> = None;
    let mut bytes = 0u64;
    if o.format == Format::Csv {
        bytes += format::csv_header(train).map_err(|e| ExportError::Write {
            path: PathBuf::new(),
            cause: e,
        })?;
        if let Some(v) = validation.as_deref_mut() {
            format::csv_header(v).map_err(|e| ExportError::Write {
                path: PathBuf::new(),
                cause: e,
            })?;
        }
    }
    let split = validation.is_some();
    let kto = o.format == Format::TrlKto;
    // A pipeline of three stages, so that reading, preparing and de-duplicating overlap: this
    // thread reads settlements and writes finished batches; a preparing stage filters, redacts,
    // signs and formats each batch on every core; a de-duplication stage decides on each
    // example in reading order. At most a few batches are in flight.
    std::thread::scope(|scope| -> Result<(), ExportError> {
        // Unbounded, so the de-duplication stage never waits on this thread (which may itself
        // be waiting to hand the preparing stage a batch): it fills only while this thread reads
        // the next batch, a few batches at most.
        let (to_write, finished) = std::sync::mpsc::channel::<Batch>();
        let mut seen = dedupe::Seen::new();
        let mut to_prepare = crate::parallel::ordered(
            scope,
            |batch: Vec<(Settlement, Option<f64>)>| {
                let mut out = Batch {
                    read: batch.len(),
                    ..Default::default()
                };
                out.items = batch
                    .iter()
                    .filter_map(|(s, known)| prepare(s, *known, o, marks, split, &mut out.counts))
                    .collect();
                out
            },
            // De-duplication, in reading order.
            move |mut batch: Batch| {
                batch.verdicts = batch
                    .items
                    .iter()
                    .map(|i| {
                        i.signature
                            .as_ref()
                            .map_or(dedupe::Verdict::New, |s| seen.check_signature(s))
                    })
                    .collect();
                // Only refused when the export stopped early.
                let _ = to_write.send(batch);
            },
        );
        let mut write = |b: Batch, r: &mut Report| -> std::io::Result<()> {
            r.read += b.read;
            r.add_skips(b.counts);
            for (item, verdict) in b.items.into_iter().zip(b.verdicts) {
                match verdict {
                    dedupe::Verdict::New => {}
                    dedupe::Verdict::Exact => {
                        r.duplicates_exact += 1;
                        continue;
                    }
                    dedupe::Verdict::Near => {
                        r.duplicates_near += 1;
                        continue;
                    }
                }
                for (k, n) in item.redactions {
                    *r.redactions.entry(k).or_default() += n;
                }
                let out: &mut dyn Write = match (item.to_validation, validation.as_deref_mut()) {
                    (true, Some(v)) => v,
                    _ => &mut *train,
                };
                out.write_all(&item.line)?;
                bytes += item.line.len() as u64;
                r.written += 1;
                // A KTO item is the final's line, and its draft's when that is undesirable.
                r.undesirable += item
                    .line
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    .saturating_sub(1)
                    * usize::from(kto);
                if item.to_validation {
                    r.validation += 1;
                } else {
                    r.train += 1;
                }
                *r.per_agent.entry(item.agent).or_default() += 1;
            }
            on_step(Step {
                done: r.read as u64,
                total: None,
                items: r.written as u64,
            });
            Ok(())
        };
        let mut batch: Vec<(Settlement, Option<f64>)> = Vec::with_capacity(EXPORT_BATCH);
        settlements(&mut |s, known| {
            if failure.is_some() || cancel.is_cancelled() {
                return;
            }
            batch.push((s, known));
            if batch.len() >= EXPORT_BATCH {
                to_prepare.send(std::mem::replace(
                    &mut batch,
                    Vec::with_capacity(EXPORT_BATCH),
                ));
                while let Ok(done) = finished.try_recv() {
                    if let Err(e) = write(done, &mut r) {
                        failure = Some(e);
                        return;
                    }
                }
            }
        })?;
        if failure.is_none() && !cancel.is_cancelled() {
            to_prepare.send(batch);
            drop(to_prepare);
            for done in finished {
                if let Err(e) = write(done, &mut r) {
                    failure = Some(e);
                    break;
                }
            }
        }
        Ok(())
    })?;
    if let Some(e) = failure {
        return Err(ExportError::Write {
            path: PathBuf::new(),
            cause: e,
        });
    }
    if cancel.is_cancelled() {
        return Ok(None);
    }
    r.bytes = bytes;
    on_step(Step {
        done: r.read as u64,
        total: Some(r.read as u64),
        items: r.written as u64,
    });
    Ok(Some(r))
}

#[cfg(test)]
mod tests;
