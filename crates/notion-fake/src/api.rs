//! The endpoints: each request of the documented Notion API answered from the [`World`], with
//! its faults, rate limit and version rules.

use super::*;

impl Page {
    /// The page as `version` returns it, with the properties `keep` allows.
    pub(super) fn to_json(&self, version: &str, keep: &dyn Fn(&str, &Value) -> bool) -> Value {
        let mut props = Map::new();
        for (name, value) in &self.properties {
            if keep(name, value) {
                props.insert(name.clone(), value.clone());
            }
        }
        let mut page = json!({
            "object": "page", "id": self.id,
            "created_time": iso(minute(self.created)),
            "last_edited_time": iso(minute(self.last_edited)),
            "created_by": {"object": "user", "id": "u1"},
            "last_edited_by": {"object": "user", "id": "u1"},
            "cover": null, "icon": null,
            "parent": {"type": "database_id", "database_id": "db"},
            "archived": self.archived, "in_trash": self.in_trash,
            "properties": props,
            "url": format!("https://www.notion.so/{}", self.id.replace('-', "")),
            "public_url": null,
        });
        // 2026-03-11 replaced `archived` with `in_trash`.
        if version >= "2026-03-11" {
            page.as_object_mut().expect("an object").remove("archived");
        }
        page
    }
}

/// Every property.
pub(super) fn all(_: &str, _: &Value) -> bool {
    true
}

impl World {
    pub(super) fn new_id(&mut self) -> String {
        self.next_id += 1;
        let hex = format!(
            "{:032x}",
            0xa000_0000_0000_0000_u128 + u128::from(self.next_id)
        );
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }

    /// Add a database with this schema; returns its id.
    pub fn add_database(&mut self, title: &str, schema: Map<String, Value>) -> String {
        let id = self.new_id();
        let data_source_id = self.new_id();
        self.databases.push(Database {
            id: id.clone(),
            data_source_id,
            title: title.into(),
            schema,
            pages: Vec::new(),
        });
        id
    }

    pub fn database(&mut self, id: &str) -> &mut Database {
        self.databases
            .iter_mut()
            .find(|d| d.id == id)
            .expect("a database of the fake")
    }

    /// Add a page with these property values (API read shape); returns its id.
    pub fn add_page(&mut self, database: &str, properties: Map<String, Value>) -> String {
        let id = self.new_id();
        let now = self.now;
        self.database(database).pages.push(Page {
            id: id.clone(),
            created: now,
            last_edited: now,
            archived: false,
            in_trash: false,
            properties,
        });
        id
    }

    /// Change a page's properties; its `last_edited_time` becomes now.
    pub fn edit_page(&mut self, page: &str, change: impl FnOnce(&mut Map<String, Value>)) {
        let now = self.now;
        let p = self.page(page);
        change(&mut p.properties);
        p.last_edited = now;
    }

    pub fn page(&mut self, id: &str) -> &mut Page {
        self.databases
            .iter_mut()
            .flat_map(|d| d.pages.iter_mut())
            .find(|p| p.id == id)
            .expect("a page of the fake")
    }

    /// Remove a page for good (as if deleted from the trash).
    pub fn delete_page(&mut self, id: &str) {
        for d in &mut self.databases {
            d.pages.retain(|p| p.id != id);
        }
    }

    /// Requests logged whose path contains `part`.
    pub fn count(&self, part: &str) -> usize {
        self.log.iter().filter(|l| l.path.contains(part)).count()
    }

    pub(super) fn handle(
        &mut self,
        method: &str,
        path: &str,
        query: &str,
        auth: Option<&str>,
        version: Option<&str>,
        body: &str,
    ) -> (u16, Value, Option<u64>) {
        let body_json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        self.log.push(Logged {
            method: method.into(),
            path: path.into(),
            query: query.into(),
            version: version.map(Into::into),
            body: body_json.clone(),
        });
        if let Some(fault) = self
            .faults
            .pop_front()
            .filter(|f| !matches!(f, Fault::Pass))
        {
            return match fault {
                Fault::Answer(status, body) => (status, body, None),
                Fault::Pass => unreachable!("filtered out above"),
                Fault::RateLimited(after) => {
                    let (s, v) = error(
                        429,
                        "rate_limited",
                        "You have been rate limited. Please try again in a few minutes.",
                    );
                    (s, v, Some(after))
                }
                Fault::Server(status) => {
                    let code = match status {
                        502 => "bad_gateway",
                        503 => "service_unavailable",
                        504 => "gateway_timeout",
                        _ => "internal_server_error",
                    };
                    let (s, v) = error(status, code, "Unexpected error occurred.");
                    (s, v, None)
                }
                Fault::Hangup => (0, Value::Null, None),
            };
        }
        if let Some(limit) = self.rate_limit {
            let now = Instant::now();
            while self
                .recent
                .front()
                .is_some_and(|t| now.duration_since(*t).as_secs_f64() >= 1.0)
            {
                self.recent.pop_front();
            }
            if self.recent.len() as u32 >= limit {
                let (s, v) = error(
                    429,
                    "rate_limited",
                    "You have been rate limited. Please try again in a few minutes.",
                );
                return (s, v, Some(1));
            }
            self.recent.push_back(now);
        }
        if auth != Some(&format!("Bearer {}", self.token)) {
            let (s, v) = error(401, "unauthorized", "API token is invalid.");
            return (s, v, None);
        }
        let Some(version) = version else {
            let (s, v) = error(400, "missing_version", "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.");
            return (s, v, None);
        };
        if !self.versions.iter().any(|v| v == version) {
            let (s, v) = error(
                400,
                "invalid_request",
                &format!(
                    "Notion-Version header failed validation: should be one of {}, instead was `{version}`.",
                    self.versions.join(", ")
                ),
            );
            return (s, v, None);
        }
        let new_api = version >= "2025-09-03";
        let wanted: Vec<String> = form_urlencoded::parse(query.as_bytes())
            .filter(|(k, _)| k == "filter_properties")
            .map(|(_, v)| v.into_owned())
            .collect();
        if !wanted.is_empty() && self.reject_filter_properties {
            let (s, v) = error(
                400,
                "validation_error",
                "query.filter_properties is not a supported parameter here.",
            );
            return (s, v, None);
        }
        let parts: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
        let not_found = |what: &str| {
            let (s, v) = error(404, "object_not_found", &format!("Could not find {what}. Make sure the relevant pages and databases are shared with your integration."));
            (s, v, None)
        };
        match (method, parts.as_slice()) {
            ("GET", ["databases", id]) => {
                let Some(db) = self.databases.iter().find(|d| d.id == *id) else {
                    return not_found(&format!("database with ID: {id}"));
                };
                let title = rich_text(&db.title);
                if new_api {
                    (
                        200,
                        json!({"object": "database", "id": db.id, "title": title,
                        "data_sources": [{"id": db.data_source_id, "name": db.title}]}),
                        None,
                    )
                } else {
                    (
                        200,
                        json!({"object": "database", "id": db.id, "title": title,
                        "properties": db.schema}),
                        None,
                    )
                }
            }
            ("GET", ["data_sources", id]) if new_api => {
                let Some(db) = self.databases.iter().find(|d| d.data_source_id == *id) else {
                    return not_found(&format!("data source with ID: {id}"));
                };
                (
                    200,
                    json!({"object": "data_source", "id": db.data_source_id,
                    "title": rich_text(&db.title), "properties": db.schema}),
                    None,
                )
            }
            ("POST", ["databases", id, "query"]) => {
                let found = self.databases.iter().position(|d| d.id == *id);
                match found {
                    Some(i) => self.query(i, &body_json, version, &wanted),
                    None => not_found(&format!("database with ID: {id}")),
                }
            }
            ("POST", ["data_sources", id, "query"]) if new_api => {
                let found = self.databases.iter().position(|d| d.data_source_id == *id);
                match found {
                    Some(i) => self.query(i, &body_json, version, &wanted),
                    None => not_found(&format!("data source with ID: {id}")),
                }
            }
            ("POST", ["pages"]) => {
                let parent = &body_json["parent"];
                let db = match (
                    parent["database_id"].as_str(),
                    parent["data_source_id"].as_str(),
                ) {
                    (Some(id), _) => self.databases.iter().position(|d| d.id == id),
                    (_, Some(id)) if new_api => {
                        self.databases.iter().position(|d| d.data_source_id == id)
                    }
                    _ => {
                        let (s, v) = error(
                            400,
                            "validation_error",
                            "body.parent should be a database_id or data_source_id",
                        );
                        return (s, v, None);
                    }
                };
                let Some(db) = db else {
                    return not_found("the parent database");
                };
                let props = match self.write_properties(db, &body_json["properties"], None) {
                    Ok(p) => p,
                    Err(e) => return (e.0, e.1, None),
                };
                let id = self.new_id();
                let now = self.now;
                let page = Page {
                    id: id.clone(),
                    created: now,
                    last_edited: now,
                    archived: false,
                    in_trash: false,
                    properties: props,
                };
                let json = page.to_json(version, &all);
                self.databases[db].pages.push(page);
                (200, json, None)
            }
            ("PATCH", ["pages", id]) => {
                let found =
                    self.databases.iter().enumerate().find_map(|(d, db)| {
                        db.pages.iter().position(|p| p.id == *id).map(|p| (d, p))
                    });
                let Some((db, pi)) = found else {
                    return not_found(&format!("page with ID: {id}"));
                };
                let existing = self.databases[db].pages[pi].properties.clone();
                let props =
                    match self.write_properties(db, &body_json["properties"], Some(existing)) {
                        Ok(p) => p,
                        Err(e) => return (e.0, e.1, None),
                    };
                let now = self.now;
                let page = &mut self.databases[db].pages[pi];
                page.properties = props;
                page.last_edited = now;
                (200, page.to_json(version, &all), None)
            }
            _ => {
                let (s, v) = error(400, "invalid_request_url", "Invalid request URL.");
                (s, v, None)
            }
        }
    }

    /// Validate written property values against the schema and Notion's size limits, and turn
    /// them into the read shape.
    pub(super) fn write_properties(
        &self,
        db: usize,
        props: &Value,
        existing: Option<Map<String, Value>>,
    ) -> Result<Map<String, Value>, (u16, Value)> {
        let schema = &self.databases[db].schema;
        let mut out = existing.unwrap_or_default();
        let Some(props) = props.as_object() else {
            return Err(error(
                400,
                "validation_error",
                "body.properties should be an object",
            ));
        };
        for (name, value) in props {
            let Some(def) = schema.get(name) else {
                return Err(error(
                    400,
                    "validation_error",
                    &format!("{name} is not a property that exists."),
                ));
            };
            let kind = def["type"].as_str().unwrap_or("");
            let written = &value[kind];
            if value.get(kind).is_none() {
                return Err(error(
                    400,
                    "validation_error",
                    &format!("{name} is expected to be {kind}."),
                ));
            }
            let read = match kind {
                "title" | "rich_text" => {
                    let items = written.as_array().cloned().unwrap_or_default();
                    if items.len() > 100 {
                        return Err(error(400, "validation_error", &format!("body.properties.{name}.{kind}.length should be ≤ `100`, instead was `{}`.", items.len())));
                    }
                    let mut text = String::new();
                    for item in &items {
                        let content = item["text"]["content"].as_str().unwrap_or("");
                        if content.chars().count() > 2000 {
                            return Err(error(400, "validation_error", &format!("body.properties.{name}.{kind}[0].text.content.length should be ≤ `2000`, instead was `{}`.", content.chars().count())));
                        }
                        text.push_str(content);
                    }
                    rich_text(&text)
                }
                "select" => match written {
                    Value::Null => Value::Null,
                    v => json!({"id": "opt", "name": v["name"], "color": "default"}),
                },
                _ => written.clone(),
            };
            let mut v = json!({"id": def["id"], "type": kind});
            v[kind] = read;
            out.insert(name.clone(), v);
        }
        Ok(out)
    }

    /// `wanted`: the `filter_properties` asked for (ids or names); without them `2026-12-01`
    /// returns only the title.
    pub(super) fn query(
        &self,
        db: usize,
        body: &Value,
        version: &str,
        wanted: &[String],
    ) -> (u16, Value, Option<u64>) {
        let schema = &self.databases[db].schema;
        let named: Vec<&str> = schema
            .iter()
            .filter(|(name, def)| {
                wanted
                    .iter()
                    .any(|w| w == *name || def["id"].as_str() == Some(w.as_str()))
            })
            .map(|(name, _)| name.as_str())
            .collect();
        let title_only = wanted.is_empty() && version >= "2026-12-01";
        let keep = |name: &str, value: &Value| {
            if !wanted.is_empty() {
                named.contains(&name)
            } else if title_only {
                value["type"] == "title"
            } else {
                true
            }
        };
        let size = body["page_size"].as_u64().unwrap_or(100);
        if size == 0 || size > 100 {
            let (s, v) = error(
                400,
                "validation_error",
                "body failed validation: body.page_size should be ≤ `100`.",
            );
            return (s, v, None);
        }
        let filter = &body["filter"];
        let bound = |k: &str| {
            filter["last_edited_time"][k]
                .as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|d| d.with_timezone(&Utc))
        };
        let title_equals = filter["title"]["equals"]
            .as_str()
            .map(|t| (filter["property"].as_str().unwrap_or(""), t));
        if !filter.is_null() && filter["timestamp"] != "last_edited_time" && title_equals.is_none()
        {
            let (s, v) = error(
                400,
                "validation_error",
                "this fake filters on the last_edited_time timestamp or a title equals",
            );
            return (s, v, None);
        }
        let (on_or_after, after) = (bound("on_or_after"), bound("after"));
        let mut pages: Vec<&Page> = self.databases[db]
            .pages
            .iter()
            .filter(|p| !p.archived && !p.in_trash)
            .filter(|p| on_or_after.is_none_or(|b| minute(p.last_edited) >= b))
            .filter(|p| after.is_none_or(|b| minute(p.last_edited) > b))
            .filter(|p| {
                title_equals.is_none_or(|(prop, want)| {
                    let got: String = p.properties[prop]["title"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|t| t["plain_text"].as_str()).collect())
                        .unwrap_or_default();
                    got == want
                })
            })
            .collect();
        let descending = body["sorts"][0]["direction"] == "descending";
        if body["sorts"][0]["timestamp"] == "last_edited_time" {
            pages.sort_by(|a, b| {
                (minute(a.last_edited), &a.id).cmp(&(minute(b.last_edited), &b.id))
            });
            if descending {
                pages.reverse();
            }
        }
        let start: usize = match body["start_cursor"].as_str() {
            None => 0,
            Some(c) => match c.strip_prefix("cursor-").and_then(|n| n.parse().ok()) {
                Some(n) => n,
                None => {
                    let (s, v) = error(
                        400,
                        "validation_error",
                        "start_cursor should be a valid cursor",
                    );
                    return (s, v, None);
                }
            },
        };
        let end = (start + size as usize).min(pages.len());
        let results: Vec<Value> = pages[start.min(end)..end]
            .iter()
            .map(|p| p.to_json(version, &keep))
            .collect();
        let has_more = end < pages.len();
        (
            200,
            json!({"object": "list", "results": results,
            "next_cursor": if has_more { json!(format!("cursor-{end}")) } else { Value::Null },
            "has_more": has_more, "type": "page_or_database", "page_or_database": {}}),
            None,
        )
    }
}
