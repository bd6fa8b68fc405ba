//! Validate a fine-tuning dataset file before it trains a model: the OpenAI cookbook's checks
//! and more (docs/export.md, "Validation"). Streamed line by line; never holds the file, never
//! panics on bad input (a binary file, an endless line, invalid UTF-8, deeply nested JSON
//! each get a clear message).
//!
//! Tokens are counted in the `cl100k_base` encoding (with `bpe-openai`, whose counts equal
//! tiktoken's), per the cookbook:
//! 3 tokens per message, +1 per `name`, +3 for the reply — an estimate of what a provider
//! bills.

use crate::export::dedupe;
use crate::patterns::tokens::IdHasher;
use crate::redact::{self, Kind};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::hash::BuildHasherDefault;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

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

/// The number of `cl100k_base` tokens in `text`, counted with GitHub's `bpe-openai` (a linear
/// BPE that gives exactly tiktoken's encoding, several times faster; a test checks the counts
/// against `tiktoken-rs`).
///
/// ASCII text (nearly every dataset line) takes a fast path: the `cl100k_base` pre-tokenizer
/// pattern is applied by hand-written byte rules ([`ascii_pieces`], equal to the regex by
/// property tests) and each piece's count is remembered per thread, so that common words are
/// encoded once; other text goes through `bpe-openai` as it is.
pub fn tokens(text: &str) -> usize {
    if !text.is_ascii() {
        return bpe_openai::cl100k_base().count(text);
    }
    PIECES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() > PIECE_CACHE {
            cache.clear();
        }
        let bpe = &bpe_openai::cl100k_base().bpe;
        ascii_pieces(text.as_bytes())
            .map(|piece| {
                if piece.len() > 24 {
                    return bpe.count(piece);
                }
                let key = piece_key(piece);
                *cache.entry(key).or_insert_with(|| bpe.count(piece) as u32) as usize
            })
            .sum()
    })
}

/// Pieces remembered per thread before the cache starts over.
const PIECE_CACHE: usize = 200_000;

thread_local! {
    static PIECES: std::cell::RefCell<std::collections::HashMap<PieceKey, u32, BuildHasherDefault<IdHasher>>> =
        std::cell::RefCell::new(Default::default());
}

/// A piece of at most 24 bytes as three words (zero-padded, with its length in the top byte).
#[derive(PartialEq, Eq)]
struct PieceKey([u64; 3]);

impl std::hash::Hash for PieceKey {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let [a, b, c] = self.0;
        h.write_u64(crate::hash::mix(
            a ^ crate::hash::mix(b ^ crate::hash::mix(c)),
        ));
    }
}

fn piece_key(piece: &[u8]) -> PieceKey {
    let mut bytes = [0u8; 24];
    bytes[..piece.len()].copy_from_slice(piece);
    let word = |i: usize| u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    PieceKey([word(0), word(1), word(2) ^ ((piece.len() as u64) << 56)])
}

/// `\s` on ASCII: tab, line feed, vertical tab, form feed, carriage return, space.
fn space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

fn newline(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

/// Neither white space, nor a letter, nor a digit.
fn punct(b: u8) -> bool {
    !space(b) && !b.is_ascii_alphanumeric()
}

/// The pieces that `cl100k_base`'s pre-tokenizer cuts ASCII text into — the pattern
/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|
/// \s*[\r\n]+|\s+(?!\S)|\s+`, leftmost-first, applied by byte rules.
pub(crate) fn ascii_pieces(t: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut i = 0;
    std::iter::from_fn(move || {
        if i >= t.len() {
            return None;
        }
        let start = i;
        let run = |mut j: usize, f: fn(u8) -> bool| {
            while j < t.len() && f(t[j]) {
                j += 1;
            }
            j
        };
        let c = t[i];
        let end = 'piece: {
            // 's 't 're 've 'm 'll 'd, any case.
            if c == b'\'' {
                let lower = |k: usize| t.get(i + k).map(u8::to_ascii_lowercase);
                match lower(1) {
                    Some(b's' | b't' | b'm' | b'd') => break 'piece i + 2,
                    Some(b'r') if lower(2) == Some(b'e') => break 'piece i + 3,
                    Some(b'v') if lower(2) == Some(b'e') => break 'piece i + 3,
                    Some(b'l') if lower(2) == Some(b'l') => break 'piece i + 3,
                    _ => {}
                }
            }
            // An optional non-letter, non-digit, non-newline, then letters.
            if !newline(c)
                && !c.is_ascii_alphanumeric()
                && t.get(i + 1).is_some_and(u8::is_ascii_alphabetic)
            {
                break 'piece run(i + 1, |b| b.is_ascii_alphabetic());
            }
            if c.is_ascii_alphabetic() {
                break 'piece run(i, |b| b.is_ascii_alphabetic());
            }
            // One to three digits.
            if c.is_ascii_digit() {
                break 'piece run(i, |b| b.is_ascii_digit()).min(i + 3);
            }
            // An optional space, punctuation, then newlines.
            let p = if c == b' ' && t.get(i + 1).is_some_and(|b| punct(*b)) {
                i + 1
            } else {
                i
            };
            if punct(t[p]) {
                break 'piece run(run(p, punct), newline);
            }
            // White space: up to its last newline; else all of it at the end of the text; else
            // all but its last character; else the one character.
            let ws = run(i, space);
            if let Some(last) = (i..ws).rev().find(|k| newline(t[*k])) {
                break 'piece last + 1;
            }
            if ws == t.len() || ws - i == 1 {
                break 'piece ws;
            }
            ws - 1
        };
        i = end;
        Some(&t[start..end])
    })
}

/// The cookbook's token estimate of one example line (any shape), or 0 if it is malformed.
pub fn example_tokens(v: &Value) -> usize {
    messages(v).map_or(0, |(_, ms)| {
        3 + ms
            .iter()
            .map(|m| 3 + tokens(m.content) + usize::from(m.has_name))
            .sum::<usize>()
    })
}

/// The cookbook's default epochs: 3, raised so that examples × epochs ≥ 100, lowered so that
/// it ≤ 25,000, within 1..=25.
pub fn default_epochs(examples: usize) -> u32 {
    let n = examples.max(1) as f64;
    let mut e = 3.0f64;
    if n * e < 100.0 {
        e = (100.0 / n).ceil().min(25.0);
    } else if n * e > 25_000.0 {
        e = (25_000.0 / n).floor().max(1.0);
    }
    e as u32
}

struct Message<'a> {
    role: &'a str,
    content: &'a str,
    has_name: bool,
}

/// A list of messages (`what` names it in errors).
fn list<'v>(v: Option<&'v Value>, what: &str) -> Result<Vec<Message<'v>>, String> {
    let arr = v
        .and_then(Value::as_array)
        .ok_or_else(|| format!("missing `{what}` list"))?;
    arr.iter()
        .enumerate()
        .map(|(i, m)| {
            let m = m
                .as_object()
                .ok_or_else(|| format!("`{what}[{i}]` is not an object"))?;
            for k in m.keys() {
                if !matches!(k.as_str(), "role" | "content" | "name" | "weight") {
                    return Err(format!("`{what}[{i}]` has an unrecognised key `{k}`"));
                }
            }
            let role = m
                .get("role")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("`{what}[{i}]` has no `role`"))?;
            if !matches!(role, "system" | "user" | "assistant") {
                return Err(format!("`{what}[{i}]` has an unrecognised role `{role}`"));
            }
            let content = m
                .get("content")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("`{what}[{i}]` has no text `content`"))?;
            if content.trim().is_empty() {
                return Err(format!("`{what}[{i}]` ({role}) has empty content"));
            }
            Ok(Message {
                role,
                content,
                has_name: m.contains_key("name"),
            })
        })
        .collect()
}

/// A TRL field that is either a plain string (the standard format, read as one message of
/// `role`) or a list of messages (the conversational format).
fn text_or_list<'v>(
    v: Option<&'v Value>,
    what: &str,
    role: &'static str,
) -> Result<Vec<Message<'v>>, String> {
    match v {
        Some(Value::String(t)) if t.trim().is_empty() => Err(format!("`{what}` is empty")),
        Some(Value::String(t)) => Ok(vec![Message {
            role,
            content: t,
            has_name: false,
        }]),
        other => list(other, what),
    }
}

/// Amazon Nova's messages: content blocks, of which the text ones are read (an image or video
/// block is Bedrock's to check: it points into S3).
fn nova(obj: &serde_json::Map<String, Value>) -> Result<Vec<Message<'_>>, String> {
    for k in obj.keys() {
        if !matches!(k.as_str(), "schemaVersion" | "system" | "messages") {
            return Err(format!(
                "unrecognised key `{k}` (Nova allows `schemaVersion`, `system` and `messages`)"
            ));
        }
    }
    if !obj["schemaVersion"].is_string() {
        return Err("`schemaVersion` is not text".into());
    }
    fn blocks<'v>(v: &'v Value, what: &str) -> Result<Vec<&'v str>, String> {
        let arr = v
            .as_array()
            .ok_or_else(|| format!("`{what}` is not a list of content blocks"))?;
        let mut texts = Vec::new();
        for (i, b) in arr.iter().enumerate() {
            match b.get("text") {
                Some(Value::String(t)) => texts.push(t.as_str()),
                Some(_) => return Err(format!("`{what}[{i}].text` is not text")),
                None if b.get("image").is_some() || b.get("video").is_some() => {}
                None => return Err(format!("`{what}[{i}]` is not a text, image or video block")),
            }
        }
        Ok(texts)
    }
    let mut out = Vec::new();
    let reserved = |text: &str, what: &str| -> Result<(), String> {
        match NOVA_RESERVED.iter().find(|k| text.contains(*k)) {
            Some(k) => Err(format!(
                "{what} holds `{k}`, a word Nova reserves (the training job would fail): reword it"
            )),
            None => Ok(()),
        }
    };
    if let Some(system) = obj.get("system") {
        for t in blocks(system, "system")? {
            reserved(t, "the system prompt")?;
            out.push(Message {
                role: "system",
                content: t,
                has_name: false,
            });
        }
    }
    let ms = obj
        .get("messages")
        .and_then(Value::as_array)
        .ok_or("missing `messages` list")?;
    if ms.len() < 2 {
        return Err("Nova needs at least two messages".into());
    }
    let mut roles = Vec::with_capacity(ms.len());
    for (i, m) in ms.iter().enumerate() {
        let role = match m.get("role").and_then(Value::as_str) {
            Some("user") => "user",
            Some("assistant") => "assistant",
            Some(other) => {
                return Err(format!(
                    "`messages[{i}]` has the role `{other}`; Nova takes user and assistant (the system prompt goes in `system`)"
                ))
            }
            None => return Err(format!("`messages[{i}]` has no `role`")),
        };
        let texts = blocks(
            m.get("content").unwrap_or(&Value::Null),
            &format!("messages[{i}].content"),
        )?;
        let joined: usize = texts.iter().map(|t| t.trim().len()).sum();
        if joined == 0 && role == "assistant" {
            return Err(format!("`messages[{i}]` (assistant) has no text"));
        }
        for t in texts {
            if role == "user" {
                reserved(t, &format!("`messages[{i}]` (user)"))?;
            }
            out.push(Message {
                role,
                content: t,
                has_name: false,
            });
        }
        roles.push(role);
    }
    if roles[0] != "user" || roles[roles.len() - 1] != "assistant" {
        return Err("Nova messages must start with user and end with assistant".into());
    }
    if roles.windows(2).any(|w| w[0] == w[1]) {
        return Err("Nova messages must alternate between user and assistant".into());
    }
    Ok(out)
}

/// The messages of one example in the order a model reads them, or why the line is malformed.
fn messages(v: &Value) -> Result<(Shape, Vec<Message<'_>>), String> {
    let obj = v.as_object().ok_or("not a JSON object")?;
    let need_assistant = |ms: &[Message], what: &str| -> Result<(), String> {
        if ms.iter().any(|m| m.role == "assistant") {
            Ok(())
        } else {
            Err(format!("no assistant message in `{what}`"))
        }
    };
    if obj.contains_key("preferred_output") || obj.contains_key("non_preferred_output") {
        let mut ms = list(
            obj.get("input").and_then(|i| i.get("messages")),
            "input.messages",
        )?;
        let good = list(obj.get("preferred_output"), "preferred_output")?;
        let bad = list(obj.get("non_preferred_output"), "non_preferred_output")?;
        need_assistant(&good, "preferred_output")?;
        need_assistant(&bad, "non_preferred_output")?;
        if good
            .iter()
            .map(|m| m.content)
            .eq(bad.iter().map(|m| m.content))
        {
            return Err("the preferred and non-preferred outputs are identical".into());
        }
        ms.extend(good);
        return Ok((Shape::OpenAiDpo, ms));
    }
    if obj.contains_key("chosen") || obj.contains_key("rejected") {
        let mut ms = list(obj.get("prompt"), "prompt")?;
        let good = list(obj.get("chosen"), "chosen")?;
        let bad = list(obj.get("rejected"), "rejected")?;
        need_assistant(&good, "chosen")?;
        need_assistant(&bad, "rejected")?;
        if good
            .iter()
            .map(|m| m.content)
            .eq(bad.iter().map(|m| m.content))
        {
            return Err("the chosen and rejected outputs are identical".into());
        }
        ms.extend(good);
        return Ok((Shape::TrlDpo, ms));
    }
    if obj.contains_key("schemaVersion") {
        return Ok((Shape::Nova, nova(obj)?));
    }
    if obj.contains_key("completion") || obj.contains_key("label") {
        for k in obj.keys() {
            if !matches!(k.as_str(), "prompt" | "completion" | "label") {
                return Err(format!(
                    "unrecognised key `{k}` (KTO takes `prompt`, `completion` and `label`)"
                ));
            }
        }
        if !obj.get("label").is_some_and(Value::is_boolean) {
            return Err("`label` must be true (desirable) or false (undesirable)".into());
        }
        let mut ms = text_or_list(obj.get("prompt"), "prompt", "user")?;
        let reply = text_or_list(obj.get("completion"), "completion", "assistant")?;
        need_assistant(&reply, "completion")?;
        ms.extend(reply);
        return Ok((Shape::TrlKto, ms));
    }
    if obj.contains_key("system") {
        for k in obj.keys() {
            if !matches!(k.as_str(), "system" | "messages") {
                return Err(format!(
                    "unrecognised key `{k}` (Bedrock allows `system` and `messages`)"
                ));
            }
        }
        let system = obj
            .get("system")
            .and_then(Value::as_str)
            .ok_or("`system` is not text")?;
        let ms = list(obj.get("messages"), "messages")?;
        if ms.len() < 2 {
            return Err("Bedrock needs at least two messages".into());
        }
        if ms.iter().any(|m| m.role == "system") {
            return Err("Bedrock takes the system prompt in `system`, not as a message".into());
        }
        if ms[0].role != "user" || ms[ms.len() - 1].role != "assistant" {
            return Err("Bedrock messages must start with user and end with assistant".into());
        }
        if ms.windows(2).any(|w| w[0].role == w[1].role) {
            return Err("Bedrock messages must alternate between user and assistant".into());
        }
        let mut all = vec![Message {
            role: "system",
            content: system,
            has_name: false,
        }];
        all.extend(ms);
        return Ok((Shape::Bedrock, all));
    }
    let ms = list(obj.get("messages"), "messages")?;
    need_assistant(&ms, "messages")?;
    Ok((Shape::Chat, ms))
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
            reply.extend(crate::text::words(m.content).map(crate::patterns::tokens::word_hash));
            let words = &reply[start..];
            // Mixed (a bijection), so that a set keyed by the value as it is spreads well.
            info.bigrams.extend(
                words
                    .windows(2)
                    .map(|w| crate::hash::mix((u64::from(w[0]) << 32) | u64::from(w[1]))),
            );
        }
        if m.role != "assistant" && m.role != "system" {
            prompt.extend(crate::text::words(m.content).map(crate::patterns::tokens::word_hash));
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
mod tests {
    use super::*;

    fn chat(i: usize) -> String {
        format!(
            "{{\"messages\":[{{\"role\":\"system\",\"content\":\"You are A.\"}},{{\"role\":\"user\",\"content\":\"Question number {i} about the plan\"}},{{\"role\":\"assistant\",\"content\":\"Answer {i}: move item {} on day {} to site {}.\"}}]}}\n",
            i * 7,
            i % 5,
            i * 13
        )
    }

    fn check(text: &[u8]) -> Report {
        validate_reader(text, &Options::default()).unwrap()
    }

    #[test]
    fn a_good_file_passes_with_its_statistics() {
        let body: String = (0..60).map(chat).collect();
        let r = check(body.as_bytes());
        assert!(r.ok, "{:?}", r.failures);
        assert_eq!((r.examples, r.shape), (60, Some(Shape::Chat)));
        assert_eq!(r.messages_per_example.max, 3);
        assert!(
            r.tokens_per_example.min > 9 && r.tokens_per_example.p90 >= r.tokens_per_example.p50
        );
        assert_eq!(r.default_epochs, 3);
        assert_eq!(r.billable_tokens_all_epochs, r.billable_tokens * 3);
    }

    #[test]
    fn bad_input_gets_a_clear_message_never_a_panic() {
        assert!(check(b"\x00\x01\x02binary").failures[0].contains("binary file"));
        let r = check(b"{\"messages\": [}\n[1,2]\n\xff\xfe\n");
        assert_eq!(r.error_count, 3);
        assert!(r.errors[0].message.contains("not JSON"));
        assert!(r.errors[1].message.contains("not a JSON object"));
        assert!(r.errors[2].message.contains("not valid UTF-8"));
        let deep = format!("{}{}\n", "[".repeat(10_000), "]".repeat(10_000));
        let r = check(deep.as_bytes());
        assert!(
            r.errors[0].message.contains("nested too deeply"),
            "{:?}",
            r.errors
        );
        let long = format!("{{\"x\":\"{}\"}}\n{}", "a".repeat(MAX_LINE + 10), chat(1));
        let r = check(long.as_bytes());
        assert!(
            r.errors[0].message.contains("over the 8 MiB limit"),
            "{:?}",
            r.errors
        );
        assert_eq!(r.examples, 1);
        assert!(!r.ok && r.failures.iter().any(|f| f.contains("at least 50")));
    }

    #[test]
    fn format_rules_by_shape() {
        let cases = [
            (
                r#"{"messages":[{"role":"user","content":"hi"}]}"#,
                "no assistant message",
            ),
            (
                r#"{"messages":[{"role":"robot","content":"hi"}]}"#,
                "unrecognised role",
            ),
            (
                r#"{"messages":[{"role":"user","content":"  "},{"role":"assistant","content":"x"}]}"#,
                "empty content",
            ),
            (
                r#"{"messages":[{"role":"user","content":"a","extra":1},{"role":"assistant","content":"x"}]}"#,
                "unrecognised key",
            ),
            (
                r#"{"system":"s","messages":[{"role":"assistant","content":"a"},{"role":"user","content":"b"}]}"#,
                "start with user",
            ),
            (
                r#"{"system":"s","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"assistant","content":"c"}]}"#,
                "alternate",
            ),
            (
                r#"{"prompt":[{"role":"user","content":"q"}],"chosen":[{"role":"assistant","content":"a"}],"rejected":[{"role":"assistant","content":"a"}]}"#,
                "identical",
            ),
            (
                r#"{"input":{"messages":[{"role":"user","content":"q"}]},"preferred_output":[],"non_preferred_output":[{"role":"assistant","content":"b"}]}"#,
                "no assistant message",
            ),
            (
                r#"{"prompt":[{"role":"user","content":"q"}],"completion":[{"role":"assistant","content":"a"}],"label":"yes"}"#,
                "`label` must be true",
            ),
            (
                r#"{"prompt":[{"role":"user","content":"q"}],"completion":[{"role":"user","content":"a"}],"label":true}"#,
                "no assistant message in `completion`",
            ),
            (
                r#"{"prompt":"q","completion":"a","label":false,"score":3}"#,
                "unrecognised key `score`",
            ),
            (
                r#"{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":[{"text":"q"}]}]}"#,
                "at least two messages",
            ),
            (
                r#"{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":[{"text":"q"}]},{"role":"user","content":[{"text":"r"}]},{"role":"assistant","content":[{"text":"a"}]}]}"#,
                "alternate",
            ),
            (
                r#"{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"system","content":[{"text":"s"}]},{"role":"user","content":[{"text":"q"}]},{"role":"assistant","content":[{"text":"a"}]}]}"#,
                "the system prompt goes in `system`",
            ),
            (
                r#"{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":"q"},{"role":"assistant","content":[{"text":"a"}]}]}"#,
                "not a list of content blocks",
            ),
            (
                r#"{"schemaVersion":"bedrock-conversation-2024","system":[{"text":"You are a bot. System: obey"}],"messages":[{"role":"user","content":[{"text":"q"}]},{"role":"assistant","content":[{"text":"a"}]}]}"#,
                "holds `System:`, a word Nova reserves",
            ),
            (
                r#"{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":[{"text":"q"}]},{"role":"assistant","content":[{"text":" "}]}]}"#,
                "(assistant) has no text",
            ),
        ];
        for (line, expected) in cases {
            let r = check(format!("{line}\n").as_bytes());
            assert_eq!(r.error_count, 1, "{line}");
            assert!(
                r.errors[0].message.contains(expected),
                "{line}: {:?}",
                r.errors
            );
        }
    }

    #[test]
    fn duplicates_pii_and_context_are_flagged() {
        let mut body: String = (0..55).map(chat).collect();
        body.push_str(&chat(3));
        body.push_str("{\"messages\":[{\"role\":\"user\",\"content\":\"Mail dana@example.com\"},{\"role\":\"assistant\",\"content\":\"Done.\"}]}\n");
        let r = validate_reader(body.as_bytes(), &Options { context_limit: 20 }).unwrap();
        assert!(r.ok, "{:?}", r.failures);
        assert_eq!(r.duplicates_exact, 1);
        assert_eq!(r.pii[&Kind::Email], 1);
        assert!(r.over_context_limit > 50);
        assert!(r.warnings.iter().any(|w| w.contains("context limit")));
        assert!(r.warnings.iter().any(|w| w.contains("personal data")));
        assert_eq!(r.missing_system, 1);
    }

    proptest::proptest! {
        /// Arbitrary bytes, and mangled copies of a good file, never panic and every line is
        /// accounted for.
        #[test]
        fn any_input_is_handled(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000)) {
            let r = check(&bytes);
            proptest::prop_assert!(r.examples + r.error_count <= r.lines as usize + 1);
        }

        #[test]
        fn mangled_good_lines_are_errors_not_panics(cut in 0usize..300, junk in "[\\{\\}\\[\\]\",:a-z0-9 ]{0,20}") {
            let mut line = chat(1);
            let at = cut.min(line.len() - 1);
            line.insert_str(at, &junk);
            let r = check(line.as_bytes());
            proptest::prop_assert_eq!(r.lines, line.matches('\n').count() as u64 + u64::from(!line.ends_with('\n')));
        }
    }

    #[test]
    fn epochs_follow_the_cookbook() {
        assert_eq!(default_epochs(10), 10);
        assert_eq!(default_epochs(3), 25);
        assert_eq!(default_epochs(50), 3);
        assert_eq!(default_epochs(20_000), 1);
    }
}

#[cfg(test)]
mod token_tests {
    use super::{ascii_pieces, tokens};
    use proptest::prelude::*;

    fn reference(text: &str) -> usize {
        use std::sync::OnceLock;
        static B: OnceLock<tiktoken_rs::CoreBPE> = OnceLock::new();
        B.get_or_init(|| tiktoken_rs::cl100k_base().unwrap())
            .encode_ordinary(text)
            .len()
    }

    #[test]
    fn counts_equal_tiktoken_on_sample_texts_and_edge_cases() {
        let mut texts: Vec<String> = crate::sample::generate(&crate::sample::SampleSpec {
            count: 300,
            ..Default::default()
        })
        .into_iter()
        .flat_map(|s| [s.ai_output, s.final_output, s.intent])
        .collect();
        texts.extend(
            [
                "",
                " ",
                "Hello, world!",
                "naïve café — déjà vu",
                "日本語のテキストです。",
                "emoji 👩‍👩‍👧‍👦 and 🇩🇪 flags",
                "    indented\n\n\ttabs\r\nCRLF",
                "1234567890 3.14159 1e-10",
                "<|endoftext|> is ordinary text here",
            ]
            .map(String::from),
        );
        for t in &texts {
            assert_eq!(tokens(t), reference(t), "{t:?}");
        }
    }

    proptest! {
        #[test]
        fn counts_equal_tiktoken_on_any_text(t in "\\PC{0,200}") {
            prop_assert_eq!(tokens(&t), reference(&t));
        }

        #[test]
        fn ascii_pieces_equal_the_pretokenizer_regex(
            t in "([a-zA-Z]{1,6}|[0-9]{1,5}|'(s|t|re|ve|m|ll|d|S|RE|x)?|[ \t\r\n\x0b\x0c]{1,4}|[.,;:!?()\\[\\]{}<>/\\\\\"#$%&*+=@^_`|~-]{1,3}){0,40}"
        ) {
            let ours: Vec<&[u8]> = ascii_pieces(t.as_bytes()).collect();
            let theirs: Vec<&[u8]> = bpe_openai::cl100k_base().split(&t).map(str::as_bytes).collect();
            prop_assert_eq!(ours, theirs);
            prop_assert_eq!(tokens(&t), bpe_openai::cl100k_base().count(t.as_str()));
        }

        #[test]
        fn ascii_pieces_equal_the_regex_on_any_ascii(t in "[\\x00-\\x7f]{0,120}") {
            let ours: Vec<&[u8]> = ascii_pieces(t.as_bytes()).collect();
            let theirs: Vec<&[u8]> = bpe_openai::cl100k_base().split(&t).map(str::as_bytes).collect();
            prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn ascii_pieces_by_hand() {
        let pieces = |t: &str| -> Vec<String> {
            ascii_pieces(t.as_bytes())
                .map(|p| String::from_utf8(p.to_vec()).unwrap())
                .collect()
        };
        assert_eq!(
            pieces("I'm here, aren't we?"),
            ["I", "'m", " here", ",", " aren", "'t", " we", "?"]
        );
        assert_eq!(pieces("12345 x"), ["123", "45", " x"]);
        assert_eq!(pieces("a  b"), ["a", " ", " b"]);
        assert_eq!(pieces("end  "), ["end", "  "]);
        assert_eq!(pieces("one\n\n  two"), ["one", "\n\n", " ", " two"]);
        assert_eq!(pieces(" ...\n"), [" ...\n"]);
        assert_eq!(pieces("'sand"), ["'s", "and"]);
    }
}
