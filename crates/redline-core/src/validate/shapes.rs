//! The shapes a fine-tuning line may take (chat messages, prompt/completion, Bedrock Nova,
//! preference pairs) read into one list of messages, with the error that says what is wrong.

use super::*;

pub(super) struct Message<'a> {
    pub(super) role: &'a str,
    pub(super) content: &'a str,
    pub(super) has_name: bool,
}

/// A list of messages (`what` names it in errors).
pub(super) fn list<'v>(v: Option<&'v Value>, what: &str) -> Result<Vec<Message<'v>>, String> {
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
pub(super) fn text_or_list<'v>(
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
pub(super) fn nova(obj: &serde_json::Map<String, Value>) -> Result<Vec<Message<'_>>, String> {
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
pub(super) fn messages(v: &Value) -> Result<(Shape, Vec<Message<'_>>), String> {
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
