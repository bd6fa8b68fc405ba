//! Measures for a time range from the store's `measures` cache; settlements not measured yet
//! are measured now (in parallel, in batches) and saved for next time.

use super::{observe, Observation};
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
    for ids in missing.chunks(BATCH) {
        let records = store.records_for_measuring(ids)?;
        let measured: Vec<(String, u64, Observation)> =
            crate::parallel::map(&records, |(s, print)| {
                (s.id.as_str().to_owned(), *print, observe(s))
            });
        let items: Vec<(String, u64, Vec<u8>)> = measured
            .iter()
            .map(|(id, print, o)| {
                (
                    id.clone(),
                    *print,
                    postcard::to_stdvec(o).expect("observations encode"),
                )
            })
            .collect();
        store.put_measures(&items)?;
        out.extend(measured.into_iter().map(|(_, _, o)| o));
    }
    out.sort_by_key(|o| o.at);
    Ok(out)
}
