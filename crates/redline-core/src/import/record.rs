//! One interchange record, validated field by field into a [`Settlement`], with an error that
//! names the field and says what was wrong with it. JSONL and CSV rows share this code.

use crate::model::{
    parse_timestamp, Acceptance, AgentName, IntentType, Settlement, SettlementId, Source,
};

/// A raw field value as a line carries it.
#[derive(Clone, Copy, Debug)]
pub enum Raw<'a> {
    Null,
    Str(&'a str),
    /// A whole number, exactly as written (JSON integers up to 64 bits).
    Int(i128),
    /// Any other number (a JSON float, or an integer too large for 64 bits, as `f64`).
    Num(f64),
    Bool(bool),
    /// An array or object where a scalar was expected.
    Nested,
}

/// Access to one record's fields by interchange name; `None` for a field that is absent.
pub trait Fields {
    fn field(&self, name: &str) -> Option<Raw<'_>>;
}

impl Fields for serde_json::Map<String, serde_json::Value> {
    fn field(&self, name: &str) -> Option<Raw<'_>> {
        use serde_json::Value;
        self.get(name).map(|v| match v {
            Value::Null => Raw::Null,
            Value::String(s) => Raw::Str(s),
            Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => Raw::Int(i128::from(u)),
                (_, Some(i)) => Raw::Int(i128::from(i)),
                _ => n.as_f64().map_or(Raw::Nested, Raw::Num),
            },
            Value::Bool(b) => Raw::Bool(*b),
            Value::Array(_) | Value::Object(_) => Raw::Nested,
        })
    }
}

fn describe(raw: Raw<'_>) -> String {
    match raw {
        Raw::Null => "null".into(),
        Raw::Str(s) => {
            let short: String = s.chars().take(40).collect();
            format!("\"{short}\"")
        }
        Raw::Int(n) => n.to_string(),
        Raw::Num(n) => n.to_string(),
        Raw::Bool(b) => b.to_string(),
        Raw::Nested => "a list or object".into(),
    }
}

/// The text of a field; an empty CSV cell or a JSON null counts as absent.
fn text<'a>(f: &'a impl Fields, name: &str) -> Result<Option<&'a str>, String> {
    match f.field(name) {
        None | Some(Raw::Null) => Ok(None),
        Some(Raw::Str(s)) => Ok(Some(s)),
        Some(other) => Err(format!("`{name}` must be text, not {}", describe(other))),
    }
}

fn required<'a>(f: &'a impl Fields, name: &str) -> Result<&'a str, String> {
    text(f, name)?.ok_or_else(|| format!("missing field `{name}`"))
}

/// Optional text, where an empty string means absent too.
fn optional(f: &impl Fields, name: &str) -> Result<Option<String>, String> {
    Ok(text(f, name)?
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned))
}

fn number(f: &impl Fields, name: &str) -> Result<Option<(f64, bool)>, String> {
    match f.field(name) {
        None | Some(Raw::Null) => Ok(None),
        Some(Raw::Num(n)) => Ok(Some((n, false))),
        Some(Raw::Int(n)) => Ok(Some((n as f64, false))),
        Some(Raw::Str(s)) if s.trim().is_empty() => Ok(None),
        Some(Raw::Str(s)) => {
            let t = s.trim();
            let (digits, percent) = match t.strip_suffix('%') {
                Some(d) => (d.trim(), true),
                None => (t, false),
            };
            digits
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(|n| Some((n, percent)))
                .ok_or_else(|| format!("`{name}` must be a number, not \"{t}\""))
        }
        Some(other) => Err(format!(
            "`{name}` must be a number, not {}",
            describe(other)
        )),
    }
}

fn acceptance(f: &impl Fields) -> Result<Option<Acceptance>, String> {
    let Some((n, percent)) = number(f, "acceptance_rate")? else {
        return Ok(None);
    };
    let value = if percent { n / 100.0 } else { n };
    Acceptance::new(value).map(Some).map_err(|_| {
        if percent {
            format!("`acceptance_rate` {n}% is outside 0%..100%")
        } else {
            format!(
                "`acceptance_rate` {n} is outside 0..1 (write a share such as 0.85, or \"85%\")"
            )
        }
    })
}

fn processing_ms(f: &impl Fields) -> Result<Option<u64>, String> {
    match number(f, "processing_ms")? {
        None => Ok(None),
        Some((n, false)) if n >= 0.0 && n <= u64::MAX as f64 => Ok(Some(n.round() as u64)),
        Some((n, _)) => Err(format!(
            "`processing_ms` must be a whole number of milliseconds ≥ 0, not {n}"
        )),
    }
}

fn flag(f: &impl Fields, name: &str) -> Result<Option<bool>, String> {
    match f.field(name) {
        None | Some(Raw::Null) => Ok(None),
        Some(Raw::Bool(b)) => Ok(Some(b)),
        Some(Raw::Num(n)) if n == 0.0 || n == 1.0 => Ok(Some(n == 1.0)),
        Some(Raw::Int(n)) if n == 0 || n == 1 => Ok(Some(n == 1)),
        Some(Raw::Str(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "true" | "yes" | "1" => Ok(Some(true)),
            "false" | "no" | "0" => Ok(Some(false)),
            _ => Err(format!(
                "`{name}` must be true or false, not \"{}\"",
                s.trim()
            )),
        },
        Some(other) => Err(format!(
            "`{name}` must be true or false, not {}",
            describe(other)
        )),
    }
}

/// The largest whole number every `f64` below it holds exactly (2^53).
const EXACT_F64: f64 = 9_007_199_254_740_992.0;

fn id(f: &impl Fields) -> Result<SettlementId, String> {
    let raw = match f.field("id") {
        // Exactly as written: 2^53 and 2^53 + 1 are two records.
        Some(Raw::Int(n)) => n.to_string(),
        Some(Raw::Num(n)) if n.fract() == 0.0 && n.abs() < EXACT_F64 => format!("{n:.0}"),
        Some(Raw::Num(n)) => {
            return Err(format!(
            "`id` {n} is not a whole number that can be read exactly: write it as text (in quotes)"
        ))
        }
        _ => required(f, "id")?.to_owned(),
    };
    SettlementId::new(raw).map_err(|_| "`id` is empty".to_string())
}

/// Validate one record into a settlement from `source`.
pub fn to_settlement(f: &impl Fields, source: &Source) -> Result<Settlement, String> {
    let missing: Vec<String> = super::REQUIRED
        .iter()
        .filter(|name| matches!(f.field(name), None | Some(Raw::Null)))
        .map(|name| format!("`{name}`"))
        .collect();
    match missing.len() {
        0 => {}
        1 => return Err(format!("missing field {}", missing[0])),
        _ => return Err(format!("missing fields {}", missing.join(", "))),
    }
    let id = id(f)?;
    let agent =
        AgentName::new(required(f, "agent")?).map_err(|_| "`agent` is empty".to_string())?;
    let created = required(f, "created_at")?;
    let created_at = parse_timestamp(created).ok_or_else(|| {
        format!(
            "`created_at` \"{}\" is not a timestamp (use RFC 3339, e.g. 2026-03-01T09:30:00Z)",
            created.chars().take(40).collect::<String>()
        )
    })?;
    Ok(Settlement {
        id,
        agent,
        intent_type: IntentType::new(text(f, "intent_type")?.unwrap_or("")),
        intent: text(f, "intent")?.unwrap_or("").to_owned(),
        system_prompt: text(f, "system_prompt")?
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned),
        ai_output: required(f, "ai_output")?.to_owned(),
        final_output: required(f, "final_output")?.to_owned(),
        created_at,
        acceptance_rate: acceptance(f)?,
        prompt_version: optional(f, "prompt_version")?,
        processing_ms: processing_ms(f)?,
        error: flag(f, "error")?,
        source: source.clone(),
    })
}

/// A settlement as one interchange record (the inverse of [`to_settlement`]; the source is
/// not part of the format).
pub fn to_interchange(s: &Settlement) -> serde_json::Value {
    serde_json::json!({
        "id": s.id,
        "agent": s.agent,
        "intent_type": s.intent_type,
        "intent": s.intent,
        "system_prompt": s.system_prompt,
        "ai_output": s.ai_output,
        "final_output": s.final_output,
        "created_at": s.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "acceptance_rate": s.acceptance_rate,
        "prompt_version": s.prompt_version,
        "processing_ms": s.processing_ms,
        "error": s.error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SourceKind;
    use serde_json::json;

    fn source() -> Source {
        Source {
            kind: SourceKind::Import,
            id: "t.jsonl".into(),
            last_edited: None,
        }
    }

    fn check(v: serde_json::Value) -> Result<Settlement, String> {
        to_settlement(v.as_object().unwrap(), &source())
    }

    fn base() -> serde_json::Value {
        json!({"id": "s1", "agent": "The Auditor", "ai_output": "a", "final_output": "b",
               "created_at": "2026-03-01T09:30:00Z"})
    }

    #[test]
    fn minimal_record_is_accepted() {
        let s = check(base()).unwrap();
        assert_eq!(s.agent.as_str(), "The Auditor");
        assert!(s.intent_type.is_unknown());
        assert_eq!(s.acceptance_rate, None);
    }

    #[test]
    fn errors_name_the_field() {
        let mut v = base();
        v.as_object_mut().unwrap().remove("agent");
        assert_eq!(check(v).unwrap_err(), "missing field `agent`");
        let mut v = base();
        v["created_at"] = json!("yesterday");
        assert!(check(v).unwrap_err().contains("`created_at` \"yesterday\""));
        let mut v = base();
        v["acceptance_rate"] = json!(85);
        assert!(check(v).unwrap_err().contains("outside 0..1"));
        let mut v = base();
        v["ai_output"] = json!(["x"]);
        assert_eq!(
            check(v).unwrap_err(),
            "`ai_output` must be text, not a list or object"
        );
        let mut v = base();
        v["error"] = json!("maybe");
        assert!(check(v)
            .unwrap_err()
            .contains("`error` must be true or false"));
    }

    #[test]
    fn numeric_ids_are_read_exactly() {
        // Through f64, 2^53 and 2^53 + 1 would be one record.
        let line = |id: &str| {
            let text = base().to_string().replacen("\"s1\"", id, 1);
            check(serde_json::from_str(&text).unwrap())
        };
        assert_eq!(
            line("9007199254740992").unwrap().id.as_str(),
            "9007199254740992"
        );
        assert_eq!(
            line("9007199254740993").unwrap().id.as_str(),
            "9007199254740993"
        );
        assert_eq!(
            line("18446744073709551615").unwrap().id.as_str(),
            "18446744073709551615"
        );
        assert_eq!(line("-7").unwrap().id.as_str(), "-7");
        assert_eq!(line("42.0").unwrap().id.as_str(), "42");
        // Too large for 64 bits, or a fraction: not guessed.
        assert!(line("18446744073709551616")
            .unwrap_err()
            .contains("write it as text"));
        assert!(line("1.5").unwrap_err().contains("`id` 1.5"));
    }

    #[test]
    fn lenient_where_meaning_is_clear() {
        let mut v = base();
        v["id"] = json!(42);
        v["acceptance_rate"] = json!("85%");
        v["processing_ms"] = json!("1200");
        v["error"] = json!("no");
        v["intent_type"] = json!(" Strategic");
        let s = check(v).unwrap();
        assert_eq!(s.id.as_str(), "42");
        assert_eq!(s.acceptance_rate.unwrap().get(), 0.85);
        assert_eq!(s.processing_ms, Some(1200));
        assert_eq!(s.error, Some(false));
        assert_eq!(s.intent_type.as_str(), "strategic");
    }

    #[test]
    fn interchange_round_trip() {
        for s in crate::sample::generate(&crate::sample::SampleSpec {
            count: 50,
            ..Default::default()
        }) {
            let v = to_interchange(&s);
            let back = to_settlement(v.as_object().unwrap(), &s.source).unwrap();
            assert_eq!(back, s);
        }
    }

    #[test]
    fn timestamps() {
        for ok in [
            "2026-03-01T09:30:00Z",
            "2026-03-01T10:30:00+01:00",
            "2026-03-01 09:30:00",
            "2026-03-01T09:30",
        ] {
            assert_eq!(
                parse_timestamp(ok).unwrap().to_rfc3339(),
                "2026-03-01T09:30:00+00:00",
                "{ok}"
            );
        }
        assert!(parse_timestamp("2026-03-01").is_some());
        assert!(parse_timestamp("01/03/2026").is_none());
    }
}
