//! Measures for a time range from the store's `measures` cache; settlements not measured yet
//! are measured now (in parallel, in batches) and saved for next time.

use super::{observation, Observation};
use crate::job::{Cancel, Progress, Step};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

/// Settlements measured and saved per batch.
const BATCH: usize = 2000;

/// The measures cached for `from..=to` (unordered), and the ids of the settlements in it that
/// are not measured yet (or whose entry is unreadable).
fn cached(
    store: &Store,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<(Vec<Observation>, Vec<String>), StoreError> {
    let mut out: Vec<Observation> = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    store.scan_measures(from, to, |id, cached| {
        match cached.map(postcard::from_bytes::<Observation>) {
            Some(Ok(o)) => out.push(o),
            // A missing or unreadable entry is simply measured again.
            Some(Err(_)) | None => missing.push(id.to_owned()),
        }
    })?;
    Ok((out, missing))
}

/// The measures already cached for `from..=to`, oldest first, and how many settlements in it
/// are not measured yet: what can be shown while another thread measures, without measuring
/// the same settlements twice.
pub fn measured_only(
    store: &Store,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<(Vec<Observation>, usize), StoreError> {
    let (mut out, missing) = cached(store, from, to)?;
    out.sort_by_key(|o| o.at);
    Ok((out, missing.len()))
}

/// Every settlement's measures in `from..=to`, oldest first.
pub fn observations(
    store: &Store,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<Observation>, StoreError> {
    if from.is_none() && to.is_none() {
        // Everything: read the cache sequentially when it is complete.
        let mut out = Vec::new();
        let mut readable = true;
        let complete = store.all_measures_if_complete(|bytes| {
            match postcard::from_bytes::<Observation>(bytes) {
                Ok(o) => out.push(o),
                Err(_) => readable = false,
            }
        })?;
        if complete.is_some() && readable {
            out.sort_by_key(|o| o.at);
            return Ok(out);
        }
    }
    let (mut out, missing) = cached(store, from, to)?;
    let memo = crate::patterns::tone::SentimentMemo::new();
    for ids in missing.chunks(BATCH) {
        out.extend(measure(store, ids, &memo)?);
    }
    out.sort_by_key(|o| o.at);
    Ok(out)
}

/// Measure the settlements `ids` and save their measures. A settlement whose pattern analysis
/// is stored is measured from it (no diff); the others are analysed now, once for both: their
/// measures and their analyses are saved together, so that a mining after this reads them back.
fn measure(
    store: &Store,
    ids: &[String],
    memo: &crate::patterns::tone::SentimentMemo,
) -> Result<Vec<Observation>, StoreError> {
    let records = store.records_to_measure(ids)?;
    #[allow(clippy::type_complexity)]
    let measured: Vec<(u64, Observation, Option<(u64, Vec<u8>)>)> =
        crate::parallel::map(&records, |(s, print, stored)| {
            let kept = stored
                .as_ref()
                .and_then(|(key, bytes)| crate::patterns::stored_edits(s, (*key, bytes)));
            match kept {
                Some(edits) => (*print, observation(s, &edits), None),
                None => {
                    let (analysis, edits) = crate::patterns::analyse_for_store(s, memo);
                    (*print, observation(s, &edits), analysis)
                }
            }
        });
    let mut items = Vec::with_capacity(measured.len());
    let mut analyses = Vec::new();
    let mut out = Vec::with_capacity(measured.len());
    for ((s, _, _), (print, o, analysis)) in records.iter().zip(measured) {
        let id = s.id.as_str().to_owned();
        items.push((
            id.clone(),
            print,
            postcard::to_stdvec(&o).expect("observations encode"),
        ));
        if let Some((key, bytes)) = analysis {
            analyses.push((id, key, bytes));
        }
        out.push(o);
    }
    store.put_measures(&items, &analyses)?;
    Ok(out)
}

/// Measure every settlement not measured yet, in batches, with progress (`done` of `total`
/// settlements to measure) and a cancel checked between batches. Returns how many were
/// measured; `None` if cancelled (what was measured is kept: it is a cache).
pub fn measure_missing(
    store: &Store,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<usize>, StoreError> {
    let (_, missing) = cached(store, None, None)?;
    let total = missing.len() as u64;
    on_step(Step {
        done: 0,
        total: Some(total),
        items: 0,
    });
    let mut done = 0u64;
    let memo = crate::patterns::tone::SentimentMemo::new();
    for ids in missing.chunks(BATCH) {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        measure(store, ids, &memo)?;
        done += ids.len() as u64;
        on_step(Step {
            done,
            total: Some(total),
            items: done,
        });
    }
    Ok(Some(missing.len()))
}
