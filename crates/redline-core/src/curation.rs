//! Curation before export: the admin marks a settlement "exclude from training" (with an
//! optional reason) or "gold" (always include). Marks live in the store's `marks` table, apart
//! from the records, so a re-sync or re-import keeps them; the export honours them.

use crate::model::Settlement;
use crate::store::{Filter, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkKind {
    /// Never exported.
    Exclude,
    /// Exported whatever its acceptance (within the export's agents, intent types and dates).
    Gold,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    pub kind: MarkKind,
    #[serde(default)]
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// Mark (or with `None`, unmark) these settlements.
pub fn set(
    store: &Store,
    ids: &[&str],
    mark: Option<(MarkKind, Option<String>)>,
) -> Result<usize, StoreError> {
    let bytes = mark.map(|(kind, reason)| {
        serde_json::to_vec(&Mark {
            kind,
            reason: reason.filter(|r| !r.trim().is_empty()),
            at: Utc::now(),
        })
        .expect("marks serialise")
    });
    let items: Vec<(&str, Option<&[u8]>)> = ids.iter().map(|id| (*id, bytes.as_deref())).collect();
    for chunk in items.chunks(5000) {
        store.put_marks(chunk)?;
    }
    Ok(ids.len())
}

/// Every mark, by settlement id.
pub fn all(store: &Store) -> Result<HashMap<String, Mark>, StoreError> {
    Ok(store
        .all_marks()?
        .into_iter()
        .filter_map(|(id, b)| Some((id, serde_json::from_slice(&b).ok()?)))
        .collect())
}

/// The marks of these ids.
pub fn of(store: &Store, ids: &[&str]) -> Result<HashMap<String, Mark>, StoreError> {
    Ok(store
        .marks_of(ids)?
        .into_iter()
        .filter_map(|(id, b)| Some((id, serde_json::from_slice(&b).ok()?)))
        .collect())
}

/// The ids of every settlement the filter matches.
pub fn ids_matching(store: &Store, filter: &Filter) -> Result<Vec<String>, StoreError> {
    let mut ids = Vec::new();
    let mut offset = 0;
    loop {
        let page = store.list(filter, offset, 500)?;
        ids.extend(page.items.iter().map(|s| s.id.as_str().to_owned()));
        offset += page.items.len() as u64;
        if page.items.is_empty() || offset >= page.total {
            break;
        }
    }
    Ok(ids)
}

/// Whether a text contains a phrase as whole words, ignoring case and punctuation between them.
pub fn contains_phrase(text: &str, phrase: &str) -> bool {
    holds_phrase(&lower_words(text), &lower_words(phrase))
}

/// The lower-cased words of `text`, as [`contains_phrase`] compares them.
pub(crate) fn lower_words(text: &str) -> Vec<String> {
    crate::text::words(text).map(str::to_lowercase).collect()
}

/// Whether `words` hold `phrase` as consecutive words (both from [`lower_words`]).
pub(crate) fn holds_phrase(words: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty() && words.windows(phrase.len()).any(|w| w == phrase)
}

/// The ids of the settlements in `filter` whose final version still contains `phrase`.
pub fn ids_with_phrase(
    store: &Store,
    filter: &Filter,
    phrase: &str,
) -> Result<Vec<String>, StoreError> {
    let mut ids = Vec::new();
    store.scan(filter.from, filter.to, |s: Settlement| {
        let agent_ok = filter.agent.as_ref().is_none_or(|a| *a == s.agent);
        let kind_ok = filter
            .intent_type
            .as_ref()
            .is_none_or(|k| *k == s.intent_type);
        if agent_ok && kind_ok && contains_phrase(&s.final_output, phrase) {
            ids.push(s.id.as_str().to_owned());
        }
    })?;
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::{self, SampleSpec};

    #[test]
    fn marks_survive_a_re_import_and_can_be_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        let all = sample::generate(&SampleSpec {
            count: 50,
            seed: 1,
            ..Default::default()
        });
        store.upsert_batch(&all).unwrap();
        let (a, b) = (all[0].id.as_str(), all[1].id.as_str());
        set(
            &store,
            &[a],
            Some((MarkKind::Exclude, Some("wrong facts".into()))),
        )
        .unwrap();
        set(&store, &[b], Some((MarkKind::Gold, None))).unwrap();
        // A re-sync or re-import writes the records again, changed or not.
        let mut changed = all.clone();
        changed[0].final_output.push_str(" Edited in the source.");
        store.upsert_batch(&changed).unwrap();
        let marks = all_marks_ok(&store);
        assert_eq!(marks[a].kind, MarkKind::Exclude);
        assert_eq!(marks[a].reason.as_deref(), Some("wrong facts"));
        assert_eq!(marks[b].kind, MarkKind::Gold);
        assert_eq!(of(&store, &[a, "nope"]).unwrap().len(), 1);
        set(&store, &[a, b], None).unwrap();
        assert!(all_marks_ok(&store).is_empty());
    }

    fn all_marks_ok(store: &Store) -> HashMap<String, Mark> {
        all(store).unwrap()
    }

    #[test]
    fn phrases_match_whole_words() {
        assert!(contains_phrase(
            "OK. Let me analyze this, for you!",
            "let me analyze this for you"
        ));
        assert!(!contains_phrase("Let me analyzed this", "let me analyze"));
        assert!(!contains_phrase("anything", ""));
    }
}
