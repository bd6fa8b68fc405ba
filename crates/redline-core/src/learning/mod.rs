//! The continuous learning loop (the design's ContinuousLearning, Phase 6): detect regressions
//! and emerging failure patterns, suggest experiments, estimate the time saved, and put it all
//! in a weekly report saved as HTML and Markdown and optionally posted to Slack.

pub mod detect;
pub mod incidents;
pub mod report;
pub mod roi;
pub mod suggest;

pub use detect::{auto_detect_regression, Finding};
pub use incidents::{Incident, Severity};
pub use report::WeeklyReport;
pub use suggest::{suggest_experiments, Suggestion};

use crate::fsutil;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

/// Write `redline-report-YYYY-MM-DD.html` and `.md` into `dir` (each atomically); returns both
/// paths.
pub fn save(report: &WeeklyReport, dir: &Path) -> std::io::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    // Each report has a name of its own (its date): the parts of killed earlier ones go now.
    fsutil::remove_stale_parts_in(dir);
    let stem = format!("redline-report-{}", report.to.format("%Y-%m-%d"));
    let html = dir.join(format!("{stem}.html"));
    let md = dir.join(format!("{stem}.md"));
    fsutil::write_atomic(&html, report.html().as_bytes())?;
    fsutil::write_atomic(&md, report.markdown().as_bytes())?;
    Ok((html, md))
}

/// Whether a weekly report is due: never made, or the last one is 7 days old or more (so a
/// laptop that was off catches up on its next start).
pub fn report_due(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last.is_none_or(|l| now - l >= chrono::Duration::days(7))
}

#[cfg(test)]
mod tests;

pub use crate::settings::ReportSettings;
use crate::settings::{Row, Settings};

pub fn report_settings(
    store: &crate::store::Store,
) -> Result<ReportSettings, crate::store::StoreError> {
    Ok(Settings::load(store)?.report)
}

pub fn set_report_settings(
    store: &crate::store::Store,
    s: &ReportSettings,
) -> Result<(), crate::store::StoreError> {
    Settings::update(store, |all| {
        all.report = s.clone();
        Ok(())
    })
}

/// A running experiment and when it will have its planned sample.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RunningExperiment {
    pub id: String,
    pub agent: String,
    pub n_a: usize,
    pub n_b: usize,
    pub planned: (u64, u64),
    /// Days until both arms reach the plan at the rate seen so far (`None` before any data).
    pub eta_days: Option<f64>,
    pub verdict: String,
}

/// What the Home view shows first.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Overview {
    /// The previous visit, if any.
    pub since: Option<DateTime<Utc>>,
    /// Settlements dated after the previous visit.
    pub new_settlements: u64,
    /// When the incidents and suggestions were computed (after the last import or sync, by
    /// [`refresh`]; now when nothing was stored yet).
    pub computed: DateTime<Utc>,
    /// What needs attention: one incident per agent (and one for a store without new data).
    pub incidents: Vec<Incident>,
    pub suggestions: Vec<Suggestion>,
    pub running: Vec<RunningExperiment>,
    pub report: ReportSettings,
    /// Editing time and the ROI estimate.
    pub roi: roi::Roi,
    /// Settlements the ROI estimate left out because they are not measured yet (another
    /// thread is measuring them: see [`overview_while_busy`]).
    pub unmeasured: usize,
    /// When the check that will replace these incidents and suggestions started, if one is
    /// running (the app fills it in).
    pub refreshing: Option<DateTime<Utc>>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredSuggestions {
    at: DateTime<Utc>,
    /// The store's change number when the refresh started (see [`crate::store::Store::change_seq`]).
    #[serde(default)]
    seq: Option<u64>,
    suggestions: Vec<Suggestion>,
}

/// When the last stored [`refresh`] started, and the store's change number then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LastRefresh {
    pub at: DateTime<Utc>,
    pub seq: Option<u64>,
}

impl LastRefresh {
    /// Whether a check asked for at `asked` would redo this one: not when this one started
    /// after it was asked for, nor when nothing in the store changed since and it is less than
    /// [`REFRESH_FRESH_MINUTES`] old at `now` (the time windows have barely moved).
    pub fn covers(&self, asked: DateTime<Utc>, seq: u64, now: DateTime<Utc>) -> bool {
        self.at >= asked
            || (self.seq == Some(seq)
                && now - self.at < chrono::Duration::minutes(REFRESH_FRESH_MINUTES))
    }
}

/// How long a refresh stays good for a store that did not change.
pub const REFRESH_FRESH_MINUTES: i64 = 10;

/// Compute what needs mining — the incidents (stored by [`incidents::watch`]) and the suggested
/// experiments — and store it for Home. Run after each import or sync (the app does so on its
/// background thread), so that Home only reads.
pub fn refresh(
    store: &crate::store::Store,
    now: DateTime<Utc>,
) -> Result<(incidents::Watch, Vec<Suggestion>), crate::store::StoreError> {
    let seq = store.change_seq()?;
    let w = incidents::watch(store, now)?;
    let suggestions = suggest_experiments(store, now, &w.findings)?;
    Row::HomeSuggestions.put(
        store,
        &serde_json::to_vec(&StoredSuggestions {
            at: now,
            seq: Some(seq),
            suggestions: suggestions.clone(),
        })
        .expect("suggestions serialise"),
    )?;
    Ok((w, suggestions))
}

/// The last [`refresh`] that stored its outcome, if one did.
pub fn last_refresh(
    store: &crate::store::Store,
) -> Result<Option<LastRefresh>, crate::store::StoreError> {
    Ok(Row::HomeSuggestions
        .get(store)?
        .and_then(|b| serde_json::from_slice::<StoredSuggestions>(&b).ok())
        .map(|s| LastRefresh {
            at: s.at,
            seq: s.seq,
        }))
}

/// The Home view's figures as of `now`, from what the last [`refresh`] stored (computed now if
/// nothing is); records `now` as the last visit.
pub fn overview(
    store: &crate::store::Store,
    now: DateTime<Utc>,
) -> Result<Overview, crate::store::StoreError> {
    overview_measuring(store, now, &mut crate::job::no_progress)
}

/// [`overview`], saying through `on_measured` how far the measuring has come when nothing is
/// stored yet: a store never checked has every settlement measured first, most of the time
/// that first Home takes (43 s at 100k long documents on a 2-core laptop).
pub fn overview_measuring(
    store: &crate::store::Store,
    now: DateTime<Utc>,
    on_measured: crate::job::Progress<'_>,
) -> Result<Overview, crate::store::StoreError> {
    Ok(overview_with(store, now, Some(on_measured))?.expect("computed when nothing is stored"))
}

/// [`overview`] while another thread refreshes or measures: only what is stored, nothing
/// mined or measured (the ROI estimate counts the settlements measured so far and says how
/// many it left out). `None` when nothing is stored yet: then there is nothing to show but the
/// refresh's own result.
pub fn overview_while_busy(
    store: &crate::store::Store,
    now: DateTime<Utc>,
) -> Result<Option<Overview>, crate::store::StoreError> {
    overview_with(store, now, None)
}

/// `measure`: `Some` computes what is not stored yet, measuring first and reporting that to
/// it; `None` reads only what is stored.
fn overview_with(
    store: &crate::store::Store,
    now: DateTime<Utc>,
    mut measure: Option<crate::job::Progress<'_>>,
) -> Result<Option<Overview>, crate::store::StoreError> {
    let since = Settings::load(store)?.last_visit;
    let new_settlements = match since {
        Some(from) => {
            store
                .list(
                    &crate::store::Filter {
                        from: Some(from),
                        ..Default::default()
                    },
                    0,
                    1,
                )?
                .total
        }
        None => 0,
    };
    // What takes mining (incidents, suggestions) comes from the last refresh; what the person
    // changes here (acknowledgements, prompts, experiments, ROI settings) is read now.
    let stored: Option<StoredSuggestions> = Row::HomeSuggestions
        .get(store)?
        .and_then(|b| serde_json::from_slice(&b).ok());
    let (incidents, suggestions, computed) = match stored {
        Some(s) => (incidents::stored(store)?, s.suggestions, s.at),
        None => {
            let Some(on_measured) = measure.as_mut() else {
                return Ok(None);
            };
            crate::analytics::measure_missing(store, *on_measured, &crate::job::Cancel::new())?;
            let (w, suggestions) = refresh(store, now)?;
            (w.active, suggestions, now)
        }
    };
    let suggestions = suggest::on_current_prompts(store, suggestions);
    let mut running = Vec::new();
    for e in crate::experiments::list(store)?
        .into_iter()
        .filter(|e| e.status == crate::experiments::Status::Running)
    {
        let r = crate::experiments::results(store, &e)?;
        let days = (now - e.created).num_seconds() as f64 / 86_400.0;
        let need = |planned: u64, n: usize, share: f64| {
            let rate = (r.a.n + r.b.n) as f64 * share / days.max(1e-9);
            (planned as f64 - n as f64).max(0.0) / rate.max(1e-9)
        };
        let eta_days = (r.a.n + r.b.n > 0 && days > 0.0).then(|| {
            need(e.planned.0, r.a.n, 1.0 - e.split).max(need(e.planned.1, r.b.n, e.split))
        });
        running.push(RunningExperiment {
            id: e.id.clone(),
            agent: e.agent.clone(),
            n_a: r.a.n,
            n_b: r.b.n,
            planned: e.planned,
            eta_days,
            verdict: r.verdict.reason,
        });
    }
    let (roi, unmeasured) = if measure.is_some() {
        (roi::estimate(store, now)?, 0)
    } else {
        roi::estimate_measured(store, now)?
    };
    Settings::update(store, |s| {
        s.last_visit = Some(now);
        Ok::<_, crate::store::StoreError>(())
    })?;
    Ok(Some(Overview {
        since,
        new_settlements,
        computed,
        incidents,
        suggestions,
        running,
        report: report_settings(store)?,
        roi,
        unmeasured,
        refreshing: None,
    }))
}
