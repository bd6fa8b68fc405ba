//! Validate a fine-tuning dataset file before it trains a model: the OpenAI cookbook's checks
//! and more (docs/export.md, "Validation"). Streamed line by line; never holds the file, never
//! panics on bad input (a binary file, an endless line, invalid UTF-8, deeply nested JSON
//! each get a clear message).
//!
//! Tokens are counted in the `cl100k_base` encoding (with `bpe-openai`, whose counts equal
//! tiktoken's), per the cookbook:
//! 3 tokens per message, +1 per `name`, +3 for the reply — an estimate of what a provider
//! bills.

use crate::dedupe;
use crate::hash::IdHasher;
use crate::redact::{self, Kind};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::hash::BuildHasherDefault;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
mod shapes;
mod tokens;
use shapes::*;
pub use tokens::{default_epochs, example_tokens, tokens};

/// Lines longer than this are reported, not parsed (and never held in memory).
pub const MAX_LINE: usize = 8 << 20;
/// The design's minimum for a fine-tuning dataset.
pub const MIN_EXAMPLES: usize = 50;
/// Line errors listed in full (the rest are counted).
const LISTED: usize = 100;

#[derive(Clone, Debug)]
pub struct Options {
    /// Examples over this many tokens are flagged (the cookbook's default is 4,096; use the
    /// target model's context window).
    pub context_limit: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            context_limit: 4096,
        }
    }
}

/// The dataset shape a line has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// `{"messages": [...]}`: OpenAI chat, TRL SFT.
    Chat,
    /// `{"system": ..., "messages": [...]}`: Amazon Bedrock, Claude.
    Bedrock,
    /// `{"input": ..., "preferred_output": ..., "non_preferred_output": ...}`.
    OpenAiDpo,
    /// `{"prompt": ..., "chosen": ..., "rejected": ...}`.
    TrlDpo,
    /// `{"prompt": ..., "completion": ..., "label": true|false}`: TRL unpaired preference (KTO).
    TrlKto,
    /// `{"schemaVersion": ..., "system": [{"text"}], "messages": [{"role", "content": [{"text"}]}]}`:
    /// Amazon Nova on Bedrock.
    Nova,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

/// Distribution of a count.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Distribution {
    pub min: usize,
    pub max: usize,
    pub mean: f64,
    pub p50: usize,
    pub p90: usize,
}

fn distribution(mut v: Vec<usize>) -> Distribution {
    if v.is_empty() {
        return Distribution::default();
    }
    v.sort_unstable();
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    Distribution {
        min: v[0],
        max: v[v.len() - 1],
        mean: v.iter().sum::<usize>() as f64 / v.len() as f64,
        p50: at(0.5),
        p90: at(0.9),
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    /// Passed: readable, no format error, at least [`MIN_EXAMPLES`] examples.
    pub ok: bool,
    /// Why it failed, in words (empty when it passed).
    pub failures: Vec<String>,
    /// Worth a look, but not a failure.
    pub warnings: Vec<String>,
    pub lines: u64,
    pub examples: usize,
    pub shape: Option<Shape>,
    pub errors: Vec<LineError>,
    pub error_count: usize,
    pub errors_by_kind: BTreeMap<String, usize>,
    pub missing_system: usize,
    pub missing_user: usize,
    pub messages_per_example: Distribution,
    pub tokens_per_example: Distribution,
    pub tokens_per_assistant_message: Distribution,
    pub context_limit: usize,
    pub over_context_limit: usize,
    /// Tokens a provider bills per epoch (each example counted up to the context limit).
    pub billable_tokens: u64,
    /// The epochs a provider would choose by default for this many examples (the cookbook's
    /// rule), and the billable tokens over all of them.
    pub default_epochs: u32,
    pub billable_tokens_all_epochs: u64,
    pub duplicates_exact: usize,
    pub duplicates_near: usize,
    /// Distinct word bigrams ÷ all bigrams of the assistant messages (1 = no repetition).
    pub distinct_bigrams: f64,
    /// The largest share of examples that share one system prompt (one agent, usually).
    pub largest_system_share: f64,
    pub system_prompts: usize,
    /// Personal data left in the texts, by kind.
    pub pii: BTreeMap<Kind, usize>,
    pub tokenizer: &'static str,
    /// KTO: examples labelled desirable (`true`) and undesirable (`false`).
    pub labels: Option<Labels>,
}

/// The labels of a KTO dataset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Labels {
    pub desirable: usize,
    pub undesirable: usize,
}

/// The most examples Fireworks takes in one dataset (its fine-tuning guide; see
/// `export::targets`).
pub const FIREWORKS_MAX_EXAMPLES: usize = 3_000_000;

/// Words Amazon Nova reserves: a user or system prompt holding one fails the training job
/// (Amazon Nova user guide, "Preparing data for fine-tuning Understanding models").
pub const NOVA_RESERVED: [&str; 7] = [
    "User:",
    "Bot:",
    "Assistant:",
    "System:",
    "<image>",
    "<video>",
    "[EOS]",
];

#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error("cannot read {path}: {cause}")]
    Read { path: String, cause: std::io::Error },
}

/// Read the next line into `buf` (without the newline), at most [`MAX_LINE`] bytes; a longer
/// line is skipped to its end and reported as `Some(length)`.
fn next_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<Option<Result<(), u64>>> {
    buf.clear();
    let mut total = 0u64;
    let mut too_long = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            if total == 0 {
                return Ok(None);
            }
            break;
        }
        let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        total += take as u64;
        if !too_long && buf.len() + take <= MAX_LINE {
            buf.extend_from_slice(&chunk[..take]);
        } else {
            too_long = true;
            buf.clear();
        }
        r.consume(take + usize::from(done));
        if done {
            total += 1;
            break;
        }
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(if too_long { Err(total) } else { Ok(()) }))
}

/// Validate the dataset at `path`.
pub fn validate_file(path: &Path, o: &Options) -> Result<Report, ValidateError> {
    let read_err = |e| ValidateError::Read {
        path: path.display().to_string(),
        cause: e,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    validate_reader(file, o).map_err(read_err)
}

/// What one line holds, worked out on any core.
enum Outcome {
    Blank,
    Error { kind: &'static str, message: String },
    Example(Box<LineInfo>),
}

struct LineInfo {
    shape: Shape,
    messages: usize,
    has_system: bool,
    has_user: bool,
    tokens: usize,
    assistant_tokens: Vec<usize>,
    bigrams: Vec<u64>,
    pii: Vec<Kind>,
    system: Option<u64>,
    signature: dedupe::Signature,
    /// KTO's label.
    label: Option<bool>,
}

fn fnv(bytes: &[u8]) -> u64 {
    crate::hash::fnv1a(crate::hash::FNV_SEED, bytes)
}

fn analyse(line: u64, raw: Result<&[u8], u64>) -> Outcome {
    let buf = match raw {
        Ok(b) => b,
        Err(len) => {
            return Outcome::Error {
                kind: "line too long",
                message: format!(
                    "line {line} is {len} bytes long, over the {} MiB limit; skipped",
                    MAX_LINE >> 20
                ),
            }
        }
    };
    if buf.iter().all(u8::is_ascii_whitespace) {
        return Outcome::Blank;
    }
    let text = match std::str::from_utf8(buf) {
        Ok(t) => t,
        Err(e) => {
            return Outcome::Error {
                kind: "invalid UTF-8",
                message: format!(
                    "line {line} is not valid UTF-8 (at byte {})",
                    e.valid_up_to()
                ),
            }
        }
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) if e.to_string().contains("recursion limit") => {
            return Outcome::Error {
                kind: "nested too deeply",
                message: format!("line {line} is nested too deeply to be an example"),
            }
        }
        Err(e) => {
            return Outcome::Error {
                kind: "not JSON",
                message: format!("line {line} is not JSON: {e}"),
            }
        }
    };
    let (shape, ms) = match messages(&value) {
        Ok(x) => x,
        Err(m) => {
            return Outcome::Error {
                kind: "format",
                message: format!("line {line}: {m}"),
            }
        }
    };
    let mut info = LineInfo {
        shape,
        messages: ms.len(),
        has_system: ms.iter().any(|m| m.role == "system"),
        has_user: ms.iter().any(|m| m.role == "user"),
        tokens: 3, // the reply's priming
        assistant_tokens: Vec::new(),
        bigrams: Vec::new(),
        pii: Vec::new(),
        system: ms
            .iter()
            .find(|m| m.role == "system")
            .map(|m| fnv(m.content.as_bytes())),
        signature: dedupe::Signature::default(), // filled in below
        label: value.get("label").and_then(Value::as_bool),
    };
    // Word hashes of the prompt (all but system and assistant messages) and of the reply, in
    // order, for de-duplication.
    let (mut prompt, mut reply) = (Vec::new(), Vec::new());
    for m in &ms {
        let t = tokens(m.content);
        info.tokens += 3 + t + usize::from(m.has_name);
        if m.role == "assistant" {
            info.assistant_tokens.push(t);
            let start = reply.len();
            reply.extend(crate::text::words(m.content).map(crate::hash::word_hash));
            let words = &reply[start..];
            // Mixed (a bijection), so that a set keyed by the value as it is spreads well.
            info.bigrams.extend(
                words
                    .windows(2)
                    .map(|w| crate::hash::mix((u64::from(w[0]) << 32) | u64::from(w[1]))),
            );
        }
        if m.role != "assistant" && m.role != "system" {
            prompt.extend(crate::text::words(m.content).map(crate::hash::word_hash));
        }
        info.pii.extend(redact::has_pii(m.content));
    }
    info.signature = dedupe::Signature::of_words(&prompt, &reply);
    Outcome::Example(Box::new(info))
}

/// Lines read per batch: each batch is analysed on every core, then merged in order.
const BATCH_LINES: usize = 2048;

/// Validate a dataset read from `input`.
pub fn validate_reader(input: impl Read, o: &Options) -> std::io::Result<Report> {
    let mut r = Report {
        context_limit: o.context_limit,
        tokenizer: "cl100k_base (bpe-openai, identical to tiktoken)",
        ..Default::default()
    };
    let mut reader = BufReader::with_capacity(1 << 16, input);
    // A binary file: a NUL byte near the start.
    if reader.fill_buf()?.iter().take(8192).any(|b| *b == 0) {
        r.failures
            .push("this is a binary file, not JSONL (it contains NUL bytes)".into());
        return Ok(r);
    }
    let mut per_example = Vec::new();
    let mut per_assistant = Vec::new();
    let mut message_counts = Vec::new();
    let mut seen = dedupe::Seen::new();
    let mut systems: BTreeMap<u64, usize> = BTreeMap::new();
    let mut bigrams = 0usize;
    let mut distinct: HashSet<u64, BuildHasherDefault<IdHasher>> = HashSet::default();
    // The results of each batch, in order.
    let merge = |outcomes: Vec<(u64, Outcome)>| {
        for (n, outcome) in outcomes {
            let mut error = |kind: &str, message: String| {
                r.error_count += 1;
                *r.errors_by_kind.entry(kind.to_owned()).or_default() += 1;
                if r.errors.len() < LISTED {
                    r.errors.push(LineError { line: n, message });
                }
            };
            let info = match outcome {
                Outcome::Blank => continue,
                Outcome::Error { kind, message } => {
                    error(kind, message);
                    continue;
                }
                Outcome::Example(info) => info,
            };
            match r.shape {
                None => r.shape = Some(info.shape),
                Some(s) if s != info.shape => {
                    error(
                        "mixed formats",
                        format!(
                            "line {n} is {:?}, but the file started as {s:?}",
                            info.shape
                        ),
                    );
                    continue;
                }
                _ => {}
            }
            r.examples += 1;
            if let Some(label) = info.label.filter(|_| info.shape == Shape::TrlKto) {
                let l = r.labels.get_or_insert_with(Labels::default);
                if label {
                    l.desirable += 1;
                } else {
                    l.undesirable += 1;
                }
            }
            r.missing_system += usize::from(!info.has_system);
            r.missing_user += usize::from(!info.has_user);
            message_counts.push(info.messages);
            per_assistant.extend(&info.assistant_tokens);
            bigrams += info.bigrams.len();
            distinct.extend(info.bigrams.iter().copied());
            for kind in &info.pii {
                *r.pii.entry(*kind).or_default() += 1;
            }
            per_example.push(info.tokens);
            if info.tokens > o.context_limit {
                r.over_context_limit += 1;
            }
            r.billable_tokens += info.tokens.min(o.context_limit) as u64;
            if let Some(h) = info.system {
                *systems.entry(h).or_default() += 1;
            }
            match seen.check_signature(&info.signature) {
                dedupe::Verdict::New => {}
                dedupe::Verdict::Exact => r.duplicates_exact += 1,
                dedupe::Verdict::Near => r.duplicates_near += 1,
            }
        }
    };
    // Three stages that overlap: this thread cuts the input into batches of lines, one thread
    // per core checks whole batches, and a merging thread adds them up in order.
    let mut lines = 0u64;
    std::thread::scope(|scope| -> std::io::Result<()> {
        let mut to_analyse = crate::parallel::ordered(
            scope,
            |batch: Vec<(u64, Result<Vec<u8>, u64>)>| {
                batch
                    .iter()
                    .map(|(n, raw)| (*n, analyse(*n, raw.as_deref().map_err(|e| *e))))
                    .collect::<Vec<_>>()
            },
            merge,
        );
        let mut buf = Vec::new();
        loop {
            let mut batch = Vec::new();
            let mut bytes = 0usize;
            let mut done = false;
            while batch.len() < BATCH_LINES && bytes < 32 << 20 {
                match next_line(&mut reader, &mut buf)? {
                    None => {
                        done = true;
                        break;
                    }
                    Some(got) => {
                        lines += 1;
                        bytes += buf.len();
                        batch.push((lines, got.map(|()| std::mem::take(&mut buf))));
                    }
                }
            }
            to_analyse.send(batch);
            if done {
                return Ok(());
            }
        }
    })?;
    r.lines = lines;
    r.messages_per_example = distribution(message_counts);
    r.tokens_per_example = distribution(per_example);
    r.tokens_per_assistant_message = distribution(per_assistant);
    r.default_epochs = default_epochs(r.examples);
    r.billable_tokens_all_epochs = r.billable_tokens * u64::from(r.default_epochs);
    r.distinct_bigrams = if bigrams > 0 {
        distinct.len() as f64 / bigrams as f64
    } else {
        0.0
    };
    r.system_prompts = systems.len();
    r.largest_system_share = systems
        .values()
        .max()
        .map_or(0.0, |m| *m as f64 / r.examples.max(1) as f64);

    // Verdict.
    if r.error_count > 0 {
        r.failures
            .push(format!("{} lines have format errors", r.error_count));
    }
    if r.examples < MIN_EXAMPLES {
        r.failures.push(format!(
            "only {} examples: at least {MIN_EXAMPLES} are needed",
            r.examples
        ));
    }
    if r.over_context_limit > 0 {
        r.warnings.push(format!(
            "{} examples are over the {}-token context limit and would be truncated",
            r.over_context_limit, o.context_limit
        ));
    }
    if r.duplicates_exact + r.duplicates_near > 0 {
        r.warnings.push(format!(
            "{} exact and {} near duplicates",
            r.duplicates_exact, r.duplicates_near
        ));
    }
    if !r.pii.is_empty() {
        let kinds: Vec<String> = r
            .pii
            .iter()
            .map(|(k, n)| format!("{} {n}", k.placeholder().to_lowercase()))
            .collect();
        r.warnings.push(format!(
            "personal data left in the texts: {}",
            kinds.join(", ")
        ));
    }
    if r.missing_system > 0 {
        r.warnings.push(format!(
            "{} examples have no system message",
            r.missing_system
        ));
    }
    if r.missing_user > 0 {
        r.warnings
            .push(format!("{} examples have no user message", r.missing_user));
    }
    if r.examples >= MIN_EXAMPLES && r.system_prompts > 1 && r.largest_system_share > 0.8 {
        r.warnings.push(format!(
            "unbalanced: {:.0}% of examples share one system prompt",
            r.largest_system_share * 100.0
        ));
    }
    if r.examples > FIREWORKS_MAX_EXAMPLES {
        r.warnings.push(format!(
            "{} examples: Fireworks takes at most {FIREWORKS_MAX_EXAMPLES} per dataset; split the file",
            r.examples
        ));
    }
    if let Some(l) = r.labels {
        if l.desirable == 0 || l.undesirable == 0 {
            r.warnings.push(format!(
                "KTO: {} desirable and {} undesirable examples; KTO learns from both kinds",
                l.desirable, l.undesirable
            ));
        } else {
            // TRL's KTO trainer: weight the two kinds so that desirable_weight × desirable ÷
            // (undesirable_weight × undesirable) lies between 1 and 4/3.
            let ratio = l.desirable as f64 / l.undesirable as f64;
            if !(1.0..=4.0 / 3.0).contains(&ratio) {
                r.warnings.push(format!(
                    "KTO: {} desirable to {} undesirable examples ({ratio:.2} : 1); set the trainer's desirable_weight / undesirable_weight so that the weighted ratio is between 1 and 4/3 (e.g. desirable_weight = {:.2})",
                    l.desirable,
                    l.undesirable,
                    (1.0 / ratio).clamp(0.01, 100.0)
                ));
            }
        }
    }
    if bigrams > 1000 && r.distinct_bigrams < 0.2 {
        r.warnings.push(format!(
            "low diversity: only {:.0}% of the assistant bigrams are distinct",
            r.distinct_bigrams * 100.0
        ));
    }
    r.ok = r.failures.is_empty();
    Ok(r)
}

#[cfg(test)]
mod tests;
