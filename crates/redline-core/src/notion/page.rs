//! One Notion page → one settlement, through the mapping, or the reason to skip it. Long texts
//! arrive as many rich-text fragments: all of them are joined, nothing is truncated.

use super::mapping::{Field, Mapping, Property, Shape};
use crate::model::parse_timestamp;
use crate::model::{
    Acceptance, AgentName, IntentType, Settlement, SettlementId, Source, SourceKind,
};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// A page that could not become a settlement.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Skipped {
    pub page_id: String,
    pub url: String,
    pub reason: String,
}

/// The page's id, URL and last edit, which every page has.
pub struct PageMeta {
    pub id: String,
    pub url: String,
    pub last_edited: Option<DateTime<Utc>>,
    pub created: Option<DateTime<Utc>>,
    /// Archived or in the trash: the page no longer counts.
    pub gone: bool,
}

pub fn meta(page: &Value) -> PageMeta {
    let time = |k: &str| page[k].as_str().and_then(parse_timestamp);
    PageMeta {
        id: page["id"].as_str().unwrap_or("").to_owned(),
        url: page["url"].as_str().unwrap_or("").to_owned(),
        last_edited: time("last_edited_time"),
        created: time("created_time"),
        gone: is_gone(page),
    }
}

/// Archived or in the trash (`in_trash` since 2026-03-11, `archived` before).
pub fn is_gone(page: &Value) -> bool {
    page["archived"].as_bool() == Some(true) || page["in_trash"].as_bool() == Some(true)
}

/// Whether the page carries none of these properties at all (not even empty): a listing that
/// left them out, as 2026-12-01 does without `filter_properties`.
pub fn lacks_all(page: &Value, names: &[String]) -> bool {
    let props = &page["properties"];
    names.iter().all(|n| props.get(n).is_none())
}

fn rich_text(items: &Value) -> Option<String> {
    let items = items.as_array()?;
    let mut out = String::new();
    for item in items {
        let piece = item["plain_text"]
            .as_str()
            .or_else(|| item["text"]["content"].as_str())
            .unwrap_or("");
        out.push_str(piece);
    }
    Some(out)
}

/// A property value as text, number, date or flag; `Ok(None)` when the property is empty.
fn value(page: &Value, name: &str, shape: Shape) -> Result<Option<Value>, String> {
    let prop = &page["properties"][name];
    if prop.is_null() {
        return Err(format!("property `{name}` is missing"));
    }
    let kind = prop["type"].as_str().unwrap_or("");
    let v = &prop[kind];
    let wrong = || {
        Err(format!(
            "property `{name}` is a {kind}, which cannot be read as {}",
            shape_name(shape)
        ))
    };
    let formula = |f: &Value| -> Value {
        let t = f["type"].as_str().unwrap_or("");
        f[t].clone()
    };
    let out = match (shape, kind) {
        (Shape::Text | Shape::Label, "title" | "rich_text") => rich_text(v).map(Value::String),
        (Shape::Label, "select" | "status") => v["name"].as_str().map(|s| Value::String(s.into())),
        (Shape::Label, "multi_select") => v.as_array().map(|a| {
            Value::String(
                a.iter()
                    .filter_map(|o| o["name"].as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        }),
        (Shape::Number, "number") => v.as_f64().map(Value::from),
        (Shape::Date, "date") => v["start"].as_str().map(|s| Value::String(s.into())),
        (Shape::Date, "created_time" | "last_edited_time") => {
            v.as_str().map(|s| Value::String(s.into()))
        }
        (Shape::Flag, "checkbox") => v.as_bool().map(Value::Bool),
        (_, "formula") => {
            let f = formula(v);
            match (shape, &f) {
                (_, Value::Null) => None,
                (Shape::Text | Shape::Label, Value::String(_)) => Some(f),
                (Shape::Number, Value::Number(_)) => Some(f),
                (Shape::Date, Value::Object(_)) => {
                    f["start"].as_str().map(|s| Value::String(s.into()))
                }
                (Shape::Flag, Value::Bool(_)) => Some(f),
                _ => return wrong(),
            }
        }
        _ => return wrong(),
    };
    Ok(out.filter(|v| !matches!(v, Value::String(s) if s.is_empty())))
}

fn shape_name(shape: Shape) -> &'static str {
    match shape {
        Shape::Text => "text",
        Shape::Label => "a name",
        Shape::Number => "a number",
        Shape::Date => "a date",
        Shape::Flag => "a checkbox",
    }
}

fn field(page: &Value, mapping: &Mapping, f: Field) -> Result<Option<Value>, String> {
    match mapping.get(f) {
        Some(name) => value(page, name, f.shape()),
        None => Ok(None),
    }
}

fn text(page: &Value, mapping: &Mapping, f: Field) -> Result<Option<String>, String> {
    Ok(field(page, mapping, f)?.and_then(|v| v.as_str().map(str::to_owned)))
}

/// Convert a page. `schema` supplies number formats (a `percent` number is already a share).
pub fn to_settlement(
    page: &Value,
    mapping: &Mapping,
    schema: &[Property],
) -> Result<Settlement, String> {
    let m = meta(page);
    let id = SettlementId::new(m.id.clone()).map_err(|_| "the page has no id".to_string())?;
    let required = |f: Field| -> Result<String, String> {
        text(page, mapping, f)?.ok_or_else(|| {
            format!(
                "property `{}` ({}) is empty",
                mapping.get(f).unwrap_or("?"),
                f.label()
            )
        })
    };
    let ai_output = required(Field::AiOutput)?;
    // The person may have cleared the text; an empty final version is a real outcome.
    let final_output = text(page, mapping, Field::FinalOutput)?.unwrap_or_default();
    let agent = AgentName::new(required(Field::Agent)?).map_err(|e| e.to_string())?;
    let created_at = match field(page, mapping, Field::Created)? {
        Some(Value::String(s)) => parse_timestamp(&s).ok_or_else(|| {
            format!(
                "property `{}` holds the date \"{s}\", which cannot be read",
                mapping.get(Field::Created).unwrap_or("?")
            )
        })?,
        _ => m
            .created
            .ok_or_else(|| "the page has no created_time".to_string())?,
    };
    let acceptance_rate = match field(page, mapping, Field::AcceptanceRate)? {
        Some(v) => {
            let n = v.as_f64().unwrap_or(f64::NAN);
            let name = mapping.get(Field::AcceptanceRate).unwrap_or("?");
            let percent_format = schema
                .iter()
                .any(|p| p.name == name && p.number_format.as_deref() == Some("percent"));
            // A plain number above 1 is a percentage written as 0–100.
            let share = if !percent_format && n > 1.0 && n <= 100.0 {
                n / 100.0
            } else {
                n
            };
            Some(Acceptance::new(share).map_err(|_| {
                format!(
                    "property `{name}` holds {n}, which is not an acceptance rate (0–1 or 0–100%)"
                )
            })?)
        }
        None => None,
    };
    let processing_ms = match field(page, mapping, Field::ProcessingMs)? {
        Some(v) => {
            let n = v.as_f64().unwrap_or(-1.0);
            if n < 0.0 {
                return Err(format!(
                    "property `{}` holds {n}, which is not a processing time",
                    mapping.get(Field::ProcessingMs).unwrap_or("?")
                ));
            }
            Some(n.round() as u64)
        }
        None => None,
    };
    Ok(Settlement {
        id,
        agent,
        intent_type: IntentType::new(&text(page, mapping, Field::IntentType)?.unwrap_or_default()),
        intent: text(page, mapping, Field::Intent)?.unwrap_or_default(),
        system_prompt: text(page, mapping, Field::SystemPrompt)?,
        ai_output,
        final_output,
        created_at,
        acceptance_rate,
        prompt_version: text(page, mapping, Field::PromptVersion)?,
        processing_ms,
        error: field(page, mapping, Field::Error)?.and_then(|v| v.as_bool()),
        source: Source {
            kind: SourceKind::Notion,
            id: m.id,
            last_edited: m.last_edited,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notion::mapping::propose;
    use serde_json::json;

    fn rt(parts: &[&str]) -> Value {
        json!(parts
            .iter()
            .map(|p| json!({"type": "text", "text": {"content": p}, "plain_text": p}))
            .collect::<Vec<_>>())
    }

    fn schema() -> Vec<Property> {
        let p = |n: &str, k: &str, f: Option<&str>| Property {
            name: n.into(),
            id: None,
            kind: k.into(),
            number_format: f.map(Into::into),
        };
        vec![
            p("Name", "title", None),
            p("AI_Raw_Output", "rich_text", None),
            p("Scenario_Options", "rich_text", None),
            p("Agent_Name", "select", None),
            p("Intent Type", "select", None),
            p("Acceptance Rate", "number", Some("percent")),
        ]
    }

    fn page(props: Value) -> Value {
        json!({"object": "page", "id": "p-1", "url": "https://www.notion.so/p1",
               "created_time": "2026-11-01T10:00:00.000Z", "last_edited_time": "2026-11-02T11:03:00.000Z",
               "archived": false, "in_trash": false, "properties": props})
    }

    #[test]
    fn joins_every_fragment() {
        let long: Vec<String> = (0..5).map(|i| format!("{i}").repeat(2000)).collect();
        let parts: Vec<&str> = long.iter().map(String::as_str).collect();
        let p = page(json!({
            "Name": {"type": "title", "title": rt(&["Plan the move"])},
            "AI_Raw_Output": {"type": "rich_text", "rich_text": rt(&parts)},
            "Scenario_Options": {"type": "rich_text", "rich_text": rt(&["Short."])},
            "Agent_Name": {"type": "select", "select": {"name": "The Auditor"}},
            "Intent Type": {"type": "select", "select": null},
            "Acceptance Rate": {"type": "number", "number": 0.42},
        }));
        let s = to_settlement(&p, &propose(&schema()), &schema()).unwrap();
        assert_eq!(s.ai_output.len(), 10_000);
        assert_eq!(s.intent, "Plan the move");
        assert_eq!(s.acceptance_rate.unwrap().get(), 0.42);
        assert!(s.intent_type.is_unknown());
        assert_eq!(s.created_at.to_rfc3339(), "2026-11-01T10:00:00+00:00");
        assert_eq!(s.source.kind, SourceKind::Notion);
    }

    #[test]
    fn reasons_name_the_property() {
        let m = propose(&schema());
        let p = page(json!({
            "AI_Raw_Output": {"type": "number", "number": 3},
            "Scenario_Options": {"type": "rich_text", "rich_text": rt(&["x"])},
            "Agent_Name": {"type": "select", "select": {"name": "A"}},
        }));
        assert_eq!(
            to_settlement(&p, &m, &schema()).unwrap_err(),
            "property `AI_Raw_Output` is a number, which cannot be read as text"
        );
        let p = page(json!({
            "AI_Raw_Output": {"type": "rich_text", "rich_text": rt(&["x"])},
            "Scenario_Options": {"type": "rich_text", "rich_text": rt(&["x"])},
        }));
        assert_eq!(
            to_settlement(&p, &m, &schema()).unwrap_err(),
            "property `Agent_Name` is missing"
        );
        let p = page(json!({
            "AI_Raw_Output": {"type": "rich_text", "rich_text": []},
            "Scenario_Options": {"type": "rich_text", "rich_text": rt(&["x"])},
            "Agent_Name": {"type": "select", "select": {"name": "A"}},
        }));
        assert_eq!(
            to_settlement(&p, &m, &schema()).unwrap_err(),
            "property `AI_Raw_Output` (AI output) is empty"
        );
    }
}
