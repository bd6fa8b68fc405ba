//! Incidents: what one cause produces, as one item. A regressing agent shows a drop, the
//! phrases that emerged with it, more rewrites and perhaps a 30-day mean below the bar; each is
//! a finding ([`super::Finding`]) with its own evidence, but the admin has one thing to look
//! at. So the findings of one agent are one incident, led by the most severe of them, and a
//! store without new data is one incident of its own.
//!
//! The findings are stored as records ([`analytics::AlertRecord`], one per finding key), so an
//! incident knows when each part was first raised and whether it was acknowledged.
//! Acknowledging the incident acknowledges every part it holds; a part that appears later
//! (a new episode) opens it again. [`watch`] computes and stores (after an import or a sync, on
//! the app's background thread); [`stored`] only reads what the last watch stored, so Home and
//! the lists open without mining anything.

use super::detect::{auto_detect_regression, Finding};
use crate::analytics::{self, AlertRecord, Raised};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// How urgent an incident is; the order is the order of the lists (most severe first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Acceptance fell, or no data arrives at all (every recent figure is then blind).
    High,
    /// Drafts are rewritten more often, or the agent sits below the bar.
    Medium,
    /// Only new phrases people delete or add.
    Low,
}

/// The kinds of finding in the order they lead an incident.
const LEAD_ORDER: [&str; 5] = [
    "stale",
    "drop",
    "rejections_rising",
    "below_bar",
    "emerging_pattern",
];

impl Severity {
    /// `high`, `medium` or `low` (as serialised).
    pub fn name(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

fn severity_of(kind: &str) -> Severity {
    match kind {
        "stale" | "drop" => Severity::High,
        "rejections_rising" | "below_bar" => Severity::Medium,
        _ => Severity::Low,
    }
}

fn rank(kind: &str) -> usize {
    LEAD_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(LEAD_ORDER.len())
}

/// One incident: an agent's findings (or the store's staleness), most severe first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Incident {
    /// `agent:<name>`, or `stale`.
    pub key: String,
    /// Empty for the store's staleness.
    pub agent: String,
    pub severity: Severity,
    /// The kind of the leading part.
    pub kind: String,
    /// One sentence: the leading part's evidence and what else came with it.
    pub summary: String,
    /// The findings, the leading one first, then by kind and newest first.
    pub parts: Vec<AlertRecord>,
    pub first_raised: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// Some part is not acknowledged.
    pub open: bool,
    /// Some part was raised anew by the watch that returned this incident.
    pub raised: bool,
}

/// The key of the incident a finding belongs to.
pub fn incident_key(agent: &str) -> String {
    if agent.is_empty() {
        "stale".to_owned()
    } else {
        format!("agent:{agent}")
    }
}

/// The key of one finding: one per agent and kind, one per phrase and edit for an emerging
/// pattern.
pub fn finding_key(f: &Finding) -> String {
    match f.kind {
        "stale" => "stale".to_owned(),
        "emerging_pattern" => format!(
            "emerging_pattern:{}:{}:{}",
            f.agent,
            f.evidence["edit"].as_str().unwrap_or(""),
            f.evidence["phrase"].as_str().unwrap_or("")
        ),
        kind => format!("{kind}:{}", f.agent),
    }
}

fn raised_of(f: Finding) -> Raised {
    Raised {
        key: finding_key(&f),
        kind: f.kind.to_owned(),
        agent: f.agent,
        message: f.message,
        evidence: f.evidence,
        examples: f.examples,
    }
}

/// What came with the leading part, in words ("with it: 3 phrases that emerged (“a”, “b”, …)").
fn with_it(rest: &[AlertRecord]) -> Option<String> {
    let mut items = Vec::new();
    for kind in LEAD_ORDER {
        let of: Vec<&AlertRecord> = rest.iter().filter(|r| r.kind == kind).collect();
        if of.is_empty() {
            continue;
        }
        items.push(match kind {
            "drop" => "a drop in acceptance".to_owned(),
            "rejections_rising" => "more drafts rewritten or rejected".to_owned(),
            "below_bar" => "30-day acceptance below the bar".to_owned(),
            "emerging_pattern" => {
                let phrases: Vec<String> = of
                    .iter()
                    .take(3)
                    .filter_map(|r| r.evidence["phrase"].as_str())
                    .map(|p| format!("“{p}”"))
                    .collect();
                let more = if of.len() > 3 { ", …" } else { "" };
                format!(
                    "{} new phrase{} people delete or add ({}{more})",
                    of.len(),
                    if of.len() == 1 { "" } else { "s" },
                    phrases.join(", ")
                )
            }
            other => other.replace('_', " "),
        });
    }
    (!items.is_empty()).then(|| format!("With it: {}.", items.join("; ")))
}

/// Group records (the ones not cleared) into incidents, most severe first; `raised` names the
/// records raised anew.
pub fn group(records: Vec<AlertRecord>, raised: &[String]) -> Vec<Incident> {
    let mut by: BTreeMap<String, Vec<AlertRecord>> = BTreeMap::new();
    for r in records.into_iter().filter(|r| r.cleared.is_none()) {
        by.entry(incident_key(&r.agent)).or_default().push(r);
    }
    let mut out: Vec<Incident> = by
        .into_iter()
        .map(|(key, mut parts)| {
            parts.sort_by(|a, b| {
                (rank(&a.kind), std::cmp::Reverse(a.first_raised), &a.key).cmp(&(
                    rank(&b.kind),
                    std::cmp::Reverse(b.first_raised),
                    &b.key,
                ))
            });
            let lead = &parts[0];
            let summary = match with_it(&parts[1..]) {
                Some(more) => format!("{} {more}", lead.message),
                None => lead.message.clone(),
            };
            Incident {
                agent: lead.agent.clone(),
                severity: severity_of(&lead.kind),
                kind: lead.kind.clone(),
                summary,
                first_raised: parts.iter().map(|p| p.first_raised).min().expect("a part"),
                last_seen: parts.iter().map(|p| p.last_seen).max().expect("a part"),
                open: parts.iter().any(AlertRecord::is_open),
                raised: parts.iter().any(|p| raised.contains(&p.key)),
                key,
                parts,
            }
        })
        .collect();
    // Severity, then the larger drop (its points), then more parts, then the name.
    let weight = |i: &Incident| {
        i.parts[0].evidence["drop"].as_f64().unwrap_or(0.0) * 1000.0 + i.parts.len() as f64
    };
    out.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then(weight(b).total_cmp(&weight(a)))
            .then(a.key.cmp(&b.key))
    });
    out
}

/// What a watch run found.
#[derive(Clone, Debug, Serialize)]
pub struct Watch {
    /// Incidents with a part raised by this run (new, or back after clearing) that are open:
    /// announce these.
    pub raised: Vec<Incident>,
    /// Every incident that holds now, acknowledged or not.
    pub active: Vec<Incident>,
    /// The findings behind them, as computed by this run.
    #[serde(skip)]
    pub findings: Vec<Finding>,
}

/// Run every trigger as of `now` (measuring what is not measured yet), store the outcome and
/// return the incidents.
pub fn watch(store: &Store, now: DateTime<Utc>) -> Result<Watch, StoreError> {
    let findings = auto_detect_regression(store, now)?;
    let current: Vec<Raised> = findings.iter().cloned().map(raised_of).collect();
    let stored: BTreeMap<String, AlertRecord> = analytics::alert_records(store)?
        .into_iter()
        .map(|r| (r.key.clone(), r))
        .collect();
    let (changed, raised) = analytics::reconcile(&stored, &current, now);
    analytics::save_records(store, &changed)?;
    let active = group(analytics::alert_records(store)?, &raised);
    Ok(Watch {
        raised: active
            .iter()
            .filter(|i| i.raised && i.open)
            .cloned()
            .collect(),
        active,
        findings,
    })
}

/// Findings grouped into incidents without storing anything (the weekly report): every part
/// counts as raised now and open.
pub fn of_findings(findings: Vec<Finding>, now: DateTime<Utc>) -> Vec<Incident> {
    let current: Vec<Raised> = findings.into_iter().map(raised_of).collect();
    let (records, raised) = analytics::reconcile(&BTreeMap::new(), &current, now);
    group(records, &raised)
}

/// The incidents as the last [`watch`] stored them (nothing is computed).
pub fn stored(store: &Store) -> Result<Vec<Incident>, StoreError> {
    Ok(group(analytics::alert_records(store)?, &[]))
}

/// Acknowledge an incident (`agent:<name>`, `stale`) with every part it holds, or one part by
/// its own key. Returns the incident as it is now; `None` when no active incident or part has
/// that key.
pub fn acknowledge(
    store: &Store,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<Incident>, StoreError> {
    let Some(incident) = stored(store)?
        .into_iter()
        .find(|i| i.key == key || i.parts.iter().any(|p| p.key == key))
    else {
        return Ok(None);
    };
    let keys: Vec<String> = if incident.key == key {
        incident.parts.iter().map(|p| p.key.clone()).collect()
    } else {
        vec![key.to_owned()]
    };
    analytics::acknowledge(store, &keys, now)?;
    Ok(stored(store)?.into_iter().find(|i| i.key == incident.key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use serde_json::json;

    fn finding(kind: &'static str, agent: &str, extra: serde_json::Value) -> Finding {
        Finding {
            kind,
            agent: agent.into(),
            message: format!("{agent}: {kind}."),
            evidence: extra,
            examples: Vec::new(),
        }
    }

    fn records(findings: Vec<Finding>, now: DateTime<Utc>) -> Vec<AlertRecord> {
        let current: Vec<Raised> = findings.into_iter().map(raised_of).collect();
        analytics::reconcile(&BTreeMap::new(), &current, now).0
    }

    #[test]
    fn one_agent_is_one_incident_led_by_its_most_severe_part() {
        let now = Utc::now();
        let recs = records(
            vec![
                finding(
                    "emerging_pattern",
                    "A",
                    json!({"phrase": "in summary", "edit": "deleted"}),
                ),
                finding(
                    "emerging_pattern",
                    "A",
                    json!({"phrase": "let me know", "edit": "deleted"}),
                ),
                finding("below_bar", "A", json!({})),
                finding("drop", "A", json!({"drop": 0.17})),
                finding("rejections_rising", "A", json!({})),
                finding(
                    "emerging_pattern",
                    "B",
                    json!({"phrase": "as an ai", "edit": "deleted"}),
                ),
                finding("drop", "C", json!({"drop": 0.3})),
                finding("stale", "", json!({})),
            ],
            now,
        );
        let incidents = group(recs, &[]);
        let keys: Vec<&str> = incidents.iter().map(|i| i.key.as_str()).collect();
        // High first (the larger drop before the smaller; staleness has none), then Low.
        assert_eq!(keys, ["agent:C", "agent:A", "stale", "agent:B"]);
        let a = &incidents[1];
        assert_eq!(
            (a.kind.as_str(), a.severity, a.parts.len()),
            ("drop", Severity::High, 5)
        );
        let kinds: Vec<&str> = a.parts.iter().map(|p| p.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "drop",
                "rejections_rising",
                "below_bar",
                "emerging_pattern",
                "emerging_pattern"
            ]
        );
        assert!(
            a.summary
                .starts_with("A: drop. With it: more drafts rewritten"),
            "{}",
            a.summary
        );
        assert!(
            a.summary.contains("2 new phrases people delete or add (“"),
            "{}",
            a.summary
        );
        assert_eq!(incidents[3].severity, Severity::Low);
    }

    #[test]
    fn acknowledging_an_incident_acknowledges_its_parts_and_a_new_part_opens_it_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        let now = Utc::now();
        let first = vec![
            finding("drop", "A", json!({"drop": 0.2})),
            finding(
                "emerging_pattern",
                "A",
                json!({"phrase": "in summary", "edit": "deleted"}),
            ),
        ];
        let save = |findings: Vec<Finding>, at: DateTime<Utc>| {
            let current: Vec<Raised> = findings.into_iter().map(raised_of).collect();
            let stored = analytics::alert_records(&store)
                .unwrap()
                .into_iter()
                .map(|r| (r.key.clone(), r))
                .collect();
            let (changed, raised) = analytics::reconcile(&stored, &current, at);
            analytics::save_records(&store, &changed).unwrap();
            raised
        };
        save(first.clone(), now);
        let acked = acknowledge(&store, "agent:A", now).unwrap().unwrap();
        assert!(!acked.open && acked.parts.iter().all(|p| p.acknowledged.is_some()));
        assert!(acknowledge(&store, "agent:Nobody", now).unwrap().is_none());
        // The same parts again: still quiet.
        let raised = save(first.clone(), now + Duration::minutes(5));
        assert!(raised.is_empty());
        assert!(!stored(&store).unwrap()[0].open);
        // A phrase that was not there when it was acknowledged: open again, with it.
        let mut more = first;
        more.push(finding(
            "emerging_pattern",
            "A",
            json!({"phrase": "let me know", "edit": "deleted"}),
        ));
        let raised = save(more, now + Duration::minutes(10));
        assert_eq!(raised.len(), 1);
        let again = &group(analytics::alert_records(&store).unwrap(), &raised)[0];
        assert!(again.open && again.raised && again.parts.len() == 3);
        // One part alone can be acknowledged by its key.
        let key = again
            .parts
            .iter()
            .find(|p| p.acknowledged.is_none())
            .unwrap()
            .key
            .clone();
        assert!(!acknowledge(&store, &key, now).unwrap().unwrap().open);
    }
}
