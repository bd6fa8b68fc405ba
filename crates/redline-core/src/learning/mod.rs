//! The continuous learning loop (the design's ContinuousLearning, Phase 6): detect regressions
//! and emerging failure patterns, suggest experiments, estimate the time saved, and put it all
//! in a weekly report saved as HTML and Markdown and optionally posted to Slack.

pub mod detect;
pub mod report;
pub mod roi;
pub mod suggest;

pub use detect::{auto_detect_regression, Finding};
pub use report::WeeklyReport;
pub use suggest::{suggest_experiments, Suggestion};

use crate::fsutil;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

/// The environment variable the CLI reads the Slack incoming-webhook URL from (the app keeps it
/// in the OS keychain).
pub const SLACK_ENV: &str = "REDLINE_SLACK_WEBHOOK";

/// Write `redline-report-YYYY-MM-DD.html` and `.md` into `dir` (each atomically); returns both
/// paths.
pub fn save(report: &WeeklyReport, dir: &Path) -> std::io::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let stem = format!("redline-report-{}", report.to.format("%Y-%m-%d"));
    let html = dir.join(format!("{stem}.html"));
    let md = dir.join(format!("{stem}.md"));
    fsutil::write_atomic(&html, report.html().as_bytes())?;
    fsutil::write_atomic(&md, report.markdown().as_bytes())?;
    Ok((html, md))
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(
        "the Slack webhook URL must start with https:// (or http:// for a local test), not '{0}'"
    )]
    BadUrl(String),
    #[error("Slack refused the message ({status}): {body}")]
    Refused { status: u16, body: String },
    #[error("cannot reach Slack: {0}")]
    Unreachable(String),
}

/// The Slack message: the report's headline figures and actions, in Slack's mrkdwn.
pub fn slack_text(report: &WeeklyReport) -> String {
    let mut t = format!(
        "*Redline weekly report* ({} to {})\n",
        report.from.format("%Y-%m-%d"),
        report.to.format("%Y-%m-%d")
    );
    for a in &report.agents {
        t.push_str(&format!(
            "• {}: {} acceptance over 7 days ({} settlements)\n",
            a.agent,
            a.acceptance_7d
                .map_or("–".into(), |v| format!("{:.1}%", v * 100.0)),
            a.settlements_7d
        ));
    }
    if report.actions.is_empty() {
        t.push_str("Nothing needs attention this week.\n");
    } else {
        t.push_str("*Recommended actions*\n");
        for a in report.actions.iter().take(8) {
            t.push_str(&format!("• {a}\n"));
        }
    }
    t
}

/// Post the report's summary to a Slack incoming webhook (`{"text": …}`).
pub fn post_to_slack(report: &WeeklyReport, webhook: &str) -> Result<(), DeliveryError> {
    let url = webhook.trim();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(DeliveryError::BadUrl(url.chars().take(40).collect()));
    }
    let agent = ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(30))
        .build();
    match agent
        .post(url)
        .send_json(serde_json::json!({"text": slack_text(report)}))
    {
        Ok(_) => Ok(()),
        Err(ureq::Error::Status(status, r)) => Err(DeliveryError::Refused {
            status,
            body: r
                .into_string()
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect(),
        }),
        Err(ureq::Error::Transport(t)) => Err(DeliveryError::Unreachable(t.to_string())),
    }
}

/// Whether a weekly report is due: never made, or the last one is 7 days old or more (so a
/// laptop that was off catches up on its next start).
pub fn report_due(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last.is_none_or(|l| now - l >= chrono::Duration::days(7))
}

#[cfg(test)]
mod tests;
