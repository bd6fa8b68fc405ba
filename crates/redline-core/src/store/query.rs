//! Read-side queries: filtered, paginated lists (newest first), facets for the filter bar, and
//! counts by agent, intent type and month.
//!
//! A list page reads only the small [`Summary`] rows of one index: `by_agent_time` when the
//! filter names an agent, else `by_time`, each restricted to the date range. A text search also
//! reads the full record of every candidate, so it costs more and is measured separately.

use super::schema::*;
use super::{decode, Store, StoreError};
use crate::model::{AgentName, IntentType, Settlement, SettlementId};
use chrono::{DateTime, NaiveDate, Utc};
use redb::{ReadableDatabase, ReadableTable};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many characters of the intent a summary keeps as its preview.
const PREVIEW_CHARS: usize = 160;

/// The row a list shows for one settlement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub id: SettlementId,
    pub agent: AgentName,
    pub intent_type: IntentType,
    pub created_at: DateTime<Utc>,
    pub acceptance_rate: Option<f64>,
    pub edited: bool,
    pub error: Option<bool>,
    pub prompt_version: Option<String>,
    /// The start of the intent (or of the AI output, when there is no intent).
    pub preview: String,
}

impl Summary {
    pub fn of(s: &Settlement) -> Summary {
        let source = if s.intent.trim().is_empty() {
            &s.ai_output
        } else {
            &s.intent
        };
        let mut preview: String = source.chars().take(PREVIEW_CHARS).collect();
        if preview.len() < source.len() {
            preview.push('…');
        }
        Summary {
            id: s.id.clone(),
            agent: s.agent.clone(),
            intent_type: s.intent_type.clone(),
            created_at: s.created_at,
            acceptance_rate: s.acceptance_rate.map(f64::from),
            edited: s.is_edited(),
            error: s.error,
            prompt_version: s.prompt_version.clone(),
            preview,
        }
    }
}

/// Which settlements a list shows. Every part is optional; dates are inclusive.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    pub agent: Option<AgentName>,
    pub intent_type: Option<IntentType>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Case-insensitive text that the id, intent, AI output or final version must contain.
    pub text: Option<String>,
}

impl Filter {
    /// The start of a calendar day (UTC), for a `from` bound given as `YYYY-MM-DD`.
    pub fn day_start(day: &str) -> Result<DateTime<Utc>, String> {
        let d = parse_day(day)?;
        Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
    }

    /// The last millisecond of a calendar day (UTC), for a `to` bound given as `YYYY-MM-DD`.
    pub fn day_end(day: &str) -> Result<DateTime<Utc>, String> {
        let d = parse_day(day)?;
        Ok(d.and_hms_milli_opt(23, 59, 59, 999)
            .expect("end of day exists")
            .and_utc())
    }

    fn text_needle(&self) -> Option<String> {
        self.text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase)
    }

    fn bounds(&self) -> (i64, i64) {
        let from = self.from.map_or(i64::MIN, |d| d.timestamp_millis());
        let to = self.to.map_or(i64::MAX, |d| d.timestamp_millis());
        (from, to)
    }
}

fn parse_day(day: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d")
        .map_err(|_| format!("'{day}' is not a date of the form YYYY-MM-DD"))
}

/// One page of a list, newest first, with the number of all matches.
#[derive(Clone, Debug, Serialize)]
pub struct Page {
    pub items: Vec<Summary>,
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
}

/// What the filter bar offers: agents and intent types with counts, and the date span.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Facets {
    pub total: u64,
    pub agents: Vec<(String, u64)>,
    pub intent_types: Vec<(String, u64)>,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
}

/// Settlements per agent, intent type and month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CountRow {
    pub agent: String,
    pub intent_type: String,
    pub month: String,
    pub count: u64,
}

impl Store {
    /// A page of the settlements that match `filter`, newest first.
    pub fn list(&self, filter: &Filter, offset: u64, limit: u64) -> Result<Page, StoreError> {
        let txn = self.db.begin_read()?;
        let records = txn.open_table(SETTLEMENTS)?;
        let needle = filter.text_needle();
        let (from, to) = filter.bounds();
        let mut page = Page {
            items: Vec::new(),
            total: 0,
            offset,
            limit,
        };
        if from > to {
            return Ok(page);
        }
        let mut visit = |summary_bytes: &[u8], id: &str| -> Result<(), StoreError> {
            if let Some(kind) = &filter.intent_type {
                // The intent type is in the summary; decode it only when it is filtered on.
                let summary: Summary = decode(summary_bytes)?;
                if &summary.intent_type != kind {
                    return Ok(());
                }
            }
            if let Some(needle) = &needle {
                let Some(record) = records.get(id)? else {
                    return Ok(());
                };
                let s: Settlement = decode(record.value())?;
                if !matches_text(&s, needle) {
                    return Ok(());
                }
            }
            if page.total >= offset && page.total < offset.saturating_add(limit) {
                page.items.push(decode(summary_bytes)?);
            }
            page.total += 1;
            Ok(())
        };
        if let Some(agent) = &filter.agent {
            let table = txn.open_table(BY_AGENT_TIME)?;
            let a = agent.as_str();
            let range = table.range((a, from, "")..=(a, to, "\u{10FFFF}"))?;
            for entry in range.rev() {
                let (key, value) = entry?;
                visit(value.value(), key.value().2)?;
            }
        } else {
            let table = txn.open_table(BY_TIME)?;
            for entry in table.range((from, "")..=(to, "\u{10FFFF}"))?.rev() {
                let (key, value) = entry?;
                visit(value.value(), key.value().1)?;
            }
        }
        Ok(page)
    }

    /// Visit every settlement created in `from..=to` (either bound open), oldest first, one
    /// at a time, so a scan of the whole store never holds more than one record.
    pub fn scan(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        mut visit: impl FnMut(Settlement),
    ) -> Result<(), StoreError> {
        let Some(keys) = time_keys(from, to) else {
            return Ok(());
        };
        let txn = self.db.begin_read()?;
        let records = txn.open_table(SETTLEMENTS)?;
        let by_time = txn.open_table(BY_TIME)?;
        for entry in by_time.range(keys)? {
            let (key, _) = entry?;
            if let Some(record) = records.get(key.value().1)? {
                visit(decode(record.value())?);
            }
        }
        Ok(())
    }

    /// Agents, intent types and the date span, for the filter bar.
    pub fn facets(&self) -> Result<Facets, StoreError> {
        let mut agents: BTreeMap<String, u64> = BTreeMap::new();
        let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
        let mut total = 0;
        for row in self.counts()? {
            *agents.entry(row.agent).or_default() += row.count;
            *kinds.entry(row.intent_type).or_default() += row.count;
            total += row.count;
        }
        let txn = self.db.begin_read()?;
        let by_time = txn.open_table(BY_TIME)?;
        let first = by_time.first()?.map(|(k, _)| k.value().0);
        let last = by_time.last()?.map(|(k, _)| k.value().0);
        Ok(Facets {
            total,
            agents: agents.into_iter().collect(),
            intent_types: kinds.into_iter().collect(),
            first: first.and_then(DateTime::from_timestamp_millis),
            last: last.and_then(DateTime::from_timestamp_millis),
        })
    }

    /// Settlements per agent, intent type and month, sorted by those three.
    pub fn counts(&self) -> Result<Vec<CountRow>, StoreError> {
        let txn = self.db.begin_read()?;
        let counts = txn.open_table(COUNTS)?;
        let mut rows = Vec::new();
        for entry in counts.iter()? {
            let (key, value) = entry?;
            let (agent, intent_type, month) = key.value();
            rows.push(CountRow {
                agent: agent.to_owned(),
                intent_type: intent_type.to_owned(),
                month: month.to_owned(),
                count: value.value(),
            });
        }
        Ok(rows)
    }
}

/// The `by_time` keys of the settlements created in `from..=to` (either bound open); `None`
/// when the range is empty.
pub(super) fn time_keys(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Option<std::ops::RangeInclusive<(i64, &'static str)>> {
    let from = from.map_or(i64::MIN, |d| d.timestamp_millis());
    let to = to.map_or(i64::MAX, |d| d.timestamp_millis());
    (from <= to).then_some((from, "")..=(to, "\u{10FFFF}"))
}

fn matches_text(s: &Settlement, needle: &str) -> bool {
    [
        s.id.as_str(),
        s.intent.as_str(),
        s.ai_output.as_str(),
        s.final_output.as_str(),
    ]
    .iter()
    .any(|field| contains_ignore_case(field, needle))
}

/// Whether `haystack` contains `needle` (already lower-case), ignoring case. ASCII needles are
/// compared byte by byte without allocating; others fall back to full Unicode lower-casing.
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if needle.is_ascii() {
        let n = needle.as_bytes();
        let h = haystack.as_bytes();
        if n.len() > h.len() {
            return false;
        }
        let first = n[0];
        (0..=h.len() - n.len()).any(|i| {
            h[i].to_ascii_lowercase() == first && h[i..i + n.len()].eq_ignore_ascii_case(n)
        })
    } else {
        haystack.to_lowercase().contains(needle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_search() {
        assert!(contains_ignore_case("Let me ANALYZE this", "analyze"));
        assert!(!contains_ignore_case("short", "much longer needle"));
        assert!(contains_ignore_case("Ünïcode Straße", "straße"));
        assert!(!contains_ignore_case("abc", "abd"));
    }

    #[test]
    fn day_bounds() {
        assert_eq!(
            Filter::day_start("2026-03-01").unwrap().to_rfc3339(),
            "2026-03-01T00:00:00+00:00"
        );
        assert_eq!(
            Filter::day_end("2026-03-01").unwrap().timestamp_millis() % 1000,
            999
        );
        assert!(Filter::day_start("March 1").is_err());
    }
}
