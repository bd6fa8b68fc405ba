//! Which database property holds which settlement field. Redline proposes a mapping from the
//! database schema — by name (the design's `AI_Raw_Output`, `Scenario_Options`, `Agent_Name`,
//! and common variants) and by type — the user corrects it, and it is validated against the live
//! schema before every sync, so a renamed or retyped property is reported by name.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A settlement field a property can fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    AiOutput,
    FinalOutput,
    Agent,
    IntentType,
    Intent,
    SystemPrompt,
    AcceptanceRate,
    Created,
    PromptVersion,
    ProcessingMs,
    Error,
}

/// The shape of value a field needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Text,
    Label,
    Number,
    Date,
    Flag,
}

impl Field {
    pub const ALL: [Field; 11] = [
        Field::AiOutput,
        Field::FinalOutput,
        Field::Agent,
        Field::IntentType,
        Field::Intent,
        Field::SystemPrompt,
        Field::AcceptanceRate,
        Field::Created,
        Field::PromptVersion,
        Field::ProcessingMs,
        Field::Error,
    ];

    /// Fields a sync cannot do without.
    pub fn required(self) -> bool {
        matches!(self, Field::AiOutput | Field::FinalOutput | Field::Agent)
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::AiOutput => "AI output",
            Field::FinalOutput => "final version",
            Field::Agent => "agent",
            Field::IntentType => "intent type",
            Field::Intent => "intent text",
            Field::SystemPrompt => "system prompt",
            Field::AcceptanceRate => "acceptance rate",
            Field::Created => "created time",
            Field::PromptVersion => "prompt version / variant",
            Field::ProcessingMs => "processing time",
            Field::Error => "error flag",
        }
    }

    pub fn shape(self) -> Shape {
        match self {
            Field::AiOutput | Field::FinalOutput | Field::Intent | Field::SystemPrompt => {
                Shape::Text
            }
            Field::Agent | Field::IntentType | Field::PromptVersion => Shape::Label,
            Field::AcceptanceRate | Field::ProcessingMs => Shape::Number,
            Field::Created => Shape::Date,
            Field::Error => Shape::Flag,
        }
    }

    /// Normalised property names that mean this field, best first.
    fn names(self) -> &'static [&'static str] {
        match self {
            Field::AiOutput => &[
                "airawoutput",
                "aioutput",
                "rawoutput",
                "aidraft",
                "draft",
                "aitext",
                "original",
            ],
            Field::FinalOutput => &[
                "scenariooptions",
                "finaloutput",
                "finalversion",
                "final",
                "humanversion",
                "edited",
                "editedoutput",
                "humanoutput",
            ],
            Field::Agent => &["agentname", "agent"],
            Field::IntentType => &["intenttype", "intentcategory", "type", "category"],
            Field::Intent => &[
                "intent",
                "intenttext",
                "request",
                "query",
                "question",
                "input",
            ],
            Field::SystemPrompt => &["systemprompt", "prompt"],
            Field::AcceptanceRate => &["acceptancerate", "acceptance", "acceptedrate", "score"],
            Field::Created => &["timestamp", "createdat", "created", "createdtime", "date"],
            Field::PromptVersion => &["promptversion", "variant", "experimentvariant", "version"],
            Field::ProcessingMs => &[
                "processingtime",
                "processingms",
                "processingtimems",
                "latency",
                "latencyms",
                "duration",
            ],
            Field::Error => &["error", "failed", "iserror", "errorflag"],
        }
    }
}

/// Whether a Notion property type can give a value of `shape`.
pub fn type_fits(shape: Shape, kind: &str) -> bool {
    match shape {
        Shape::Text => matches!(kind, "title" | "rich_text" | "formula"),
        Shape::Label => matches!(
            kind,
            "select" | "status" | "rich_text" | "title" | "multi_select" | "formula"
        ),
        Shape::Number => matches!(kind, "number" | "formula"),
        Shape::Date => matches!(kind, "date" | "created_time" | "formula"),
        Shape::Flag => matches!(kind, "checkbox" | "formula"),
    }
}

/// One property of the database schema.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Property {
    pub name: String,
    /// Notion's id of the property (what `filter_properties` names); absent in a connection
    /// saved before Redline read it.
    #[serde(default)]
    pub id: Option<String>,
    /// The Notion type: `title`, `rich_text`, `number`, `select`, `date`, …
    pub kind: String,
    /// For numbers: Notion's display format (`percent`, `number`, …).
    pub number_format: Option<String>,
}

/// The properties of a database (or data source), from its schema object.
pub fn schema_from(object: &Value) -> Vec<Property> {
    let mut props: Vec<Property> = object["properties"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(name, p)| Property {
                    name: name.clone(),
                    id: p["id"].as_str().map(str::to_owned),
                    kind: p["type"].as_str().unwrap_or("unknown").to_owned(),
                    number_format: p["number"]["format"].as_str().map(str::to_owned),
                })
                .collect()
        })
        .unwrap_or_default();
    props.sort_by(|a, b| a.name.cmp(&b.name));
    props
}

/// Field → property name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Mapping(pub BTreeMap<Field, String>);

impl Mapping {
    pub fn get(&self, field: Field) -> Option<&str> {
        self.0.get(&field).map(String::as_str)
    }
}

fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A mapping guessed from the schema: for each field, the property whose name means it (best
/// name first) and whose type fits; the title property holds the intent when nothing else does.
pub fn propose(schema: &[Property]) -> Mapping {
    let mut mapping = Mapping::default();
    let mut used: Vec<&str> = Vec::new();
    for field in Field::ALL {
        let found = field.names().iter().find_map(|wanted| {
            schema.iter().find(|p| {
                normalise(&p.name) == *wanted
                    && type_fits(field.shape(), &p.kind)
                    && !used.contains(&p.name.as_str())
            })
        });
        if let Some(p) = found {
            used.push(&p.name);
            mapping.0.insert(field, p.name.clone());
        }
    }
    if mapping.get(Field::Intent).is_none() {
        if let Some(title) = schema
            .iter()
            .find(|p| p.kind == "title" && !used.contains(&p.name.as_str()))
        {
            mapping.0.insert(Field::Intent, title.name.clone());
        }
    }
    mapping
}

/// What a listing must be asked for so that its pages carry the mapped properties: their ids in
/// `schema` (their names where the schema has no id), each once, in field order. With API
/// 2026-12-01 a listing carries only the title without them; with any version they make the
/// answers smaller.
pub fn filter_properties(mapping: &Mapping, schema: &[Property]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for field in Field::ALL {
        let Some(name) = mapping.get(field) else {
            continue;
        };
        let wanted = schema
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.id.clone())
            .unwrap_or_else(|| name.to_owned());
        if !out.contains(&wanted) {
            out.push(wanted);
        }
    }
    out
}

/// What is wrong with a mapping against the live schema: each problem names the property.
pub fn validate(mapping: &Mapping, schema: &[Property]) -> Vec<String> {
    let mut problems = Vec::new();
    for field in Field::ALL {
        match mapping.get(field) {
            None if field.required() => problems.push(format!(
                "no property is chosen for the {} (required)",
                field.label()
            )),
            None => {}
            Some(name) => match schema.iter().find(|p| p.name == name) {
                None => problems.push(format!(
                    "property `{name}` ({}) is no longer in the database",
                    field.label()
                )),
                Some(p) if !type_fits(field.shape(), &p.kind) => problems.push(format!(
                    "property `{name}` ({}) is a {} property, which cannot hold the {}",
                    field.label(),
                    p.kind,
                    field.label()
                )),
                Some(_) => {}
            },
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prop(name: &str, kind: &str) -> Property {
        Property {
            name: name.into(),
            id: None,
            kind: kind.into(),
            number_format: None,
        }
    }

    fn design_schema() -> Vec<Property> {
        vec![
            prop("Name", "title"),
            prop("AI_Raw_Output", "rich_text"),
            prop("Scenario_Options", "rich_text"),
            prop("Agent_Name", "select"),
            prop("Intent Type", "select"),
            prop("Acceptance Rate", "number"),
            prop("Timestamp", "date"),
            prop("Modifications", "rich_text"),
        ]
    }

    #[test]
    fn proposes_the_design_properties() {
        let m = propose(&design_schema());
        assert_eq!(m.get(Field::AiOutput), Some("AI_Raw_Output"));
        assert_eq!(m.get(Field::FinalOutput), Some("Scenario_Options"));
        assert_eq!(m.get(Field::Agent), Some("Agent_Name"));
        assert_eq!(m.get(Field::IntentType), Some("Intent Type"));
        assert_eq!(m.get(Field::AcceptanceRate), Some("Acceptance Rate"));
        assert_eq!(m.get(Field::Created), Some("Timestamp"));
        assert_eq!(m.get(Field::Intent), Some("Name"));
        assert_eq!(m.get(Field::Error), None);
        assert!(validate(&m, &design_schema()).is_empty());
    }

    #[test]
    fn types_must_fit() {
        let schema = vec![prop("Agent", "files"), prop("Acceptance", "rich_text")];
        let m = propose(&schema);
        assert_eq!(m.get(Field::Agent), None);
        assert_eq!(m.get(Field::AcceptanceRate), None);
    }

    #[test]
    fn validation_names_vanished_and_retyped_properties() {
        let m = propose(&design_schema());
        let mut changed = design_schema();
        changed.retain(|p| p.name != "AI_Raw_Output");
        changed
            .iter_mut()
            .find(|p| p.name == "Acceptance Rate")
            .unwrap()
            .kind = "rich_text".into();
        let problems = validate(&m, &changed);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("`AI_Raw_Output` (AI output) is no longer in the database"));
        assert!(problems[1].contains("`Acceptance Rate` (acceptance rate) is a rich_text property"));
        assert!(validate(&Mapping::default(), &changed)[0].contains("AI output (required)"));
    }
}
