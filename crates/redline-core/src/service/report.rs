//! Make the weekly report now: build it, save it, deliver it (Slack, e-mail) as asked, record
//! the time as the last report and write the audit entry. The app (a click, or the weekly
//! schedule) and `redline report` both call [`make`]; only where the secrets come from differs
//! (the OS keychain, or the environment), so the driver passes them in.

use crate::learning::{self, report::WeeklyReport};
use crate::secret::{ExposeSecret, SecretString};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// How to deliver a report besides saving it.
#[derive(Debug, Default)]
pub struct Delivery {
    /// Post the summary to Slack: the incoming-webhook URL, or why there is none at hand.
    pub slack: Option<Result<SecretString, String>>,
    /// E-mail it with the saved SMTP settings, logging in with this password (if any).
    pub email: Option<Option<SecretString>>,
}

/// A report made: where it went, and how each delivery asked for went.
#[derive(Clone, Debug, Serialize)]
pub struct ReportMade {
    pub html: PathBuf,
    pub markdown: PathBuf,
    pub slack_posted: bool,
    /// Why posting to Slack failed, if it was asked for and failed.
    pub slack_error: Option<String>,
    pub emailed: bool,
    /// Why e-mailing failed, if it was asked for and failed.
    pub email_error: Option<String>,
    /// The e-mail's recipients, when it was sent.
    pub emailed_to: Vec<String>,
    #[serde(skip)]
    pub report: WeeklyReport,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the report into {folder}: {source}")]
    Save {
        folder: PathBuf,
        source: std::io::Error,
    },
}

/// Build, save into `folder` and deliver the report as of `now`; then save `now` as the last
/// report and `folder` as the reports' folder, and write an audit entry. A failed delivery is
/// reported in the result, not as an error: the report is saved either way.
pub fn make(
    store: &Store,
    folder: &Path,
    delivery: &Delivery,
    now: DateTime<Utc>,
) -> Result<ReportMade, ReportError> {
    let report = learning::report::build(store, now)?;
    let (html, markdown) = learning::save(&report, folder).map_err(|source| ReportError::Save {
        folder: folder.to_path_buf(),
        source,
    })?;
    let (mut slack_posted, mut slack_error) = (false, None);
    match &delivery.slack {
        None => {}
        Some(Err(why)) => slack_error = Some(why.clone()),
        Some(Ok(url)) => match crate::delivery::post_to_slack(&report, url.expose_secret()) {
            Ok(()) => slack_posted = true,
            Err(e) => slack_error = Some(e.to_string()),
        },
    }
    let (mut emailed, mut email_error, mut emailed_to) = (false, None, Vec::new());
    if let Some(password) = &delivery.email {
        match crate::delivery::email_settings(store)? {
            Some(settings) => {
                let password = password.as_ref().map(|p| p.expose_secret());
                match crate::delivery::send_email(&report, &settings, password) {
                    Ok(()) => {
                        emailed = true;
                        emailed_to = settings.to;
                    }
                    Err(e) => email_error = Some(e.to_string()),
                }
            }
            None => email_error = Some("no e-mail settings are saved".into()),
        }
    }
    let mut settings = learning::report_settings(store)?;
    settings.last = Some(now);
    settings.folder = Some(folder.to_path_buf());
    learning::set_report_settings(store, &settings)?;
    crate::audit::record(
        store,
        "report",
        format!("Weekly report saved in {}", folder.display()),
        serde_json::json!({
            "html": html, "markdown": markdown, "slack": slack_posted, "email": emailed,
        }),
    )?;
    Ok(ReportMade {
        html,
        markdown,
        slack_posted,
        slack_error,
        emailed,
        email_error,
        emailed_to,
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_saved_recorded_as_the_last_and_audited_and_a_missing_secret_is_said() {
        let (dir, store) = super::super::testing::sample_store(200, 3);
        let now = super::super::testing::now();
        let folder = dir.path().join("reports");
        let delivery = Delivery {
            slack: Some(Err("no Slack webhook is saved".into())),
            email: Some(None),
        };
        let made = make(&store, &folder, &delivery, now).unwrap();
        assert!(made.html.is_file() && made.markdown.is_file());
        assert!(!made.slack_posted && !made.emailed);
        assert_eq!(
            made.slack_error.as_deref(),
            Some("no Slack webhook is saved")
        );
        assert_eq!(
            made.email_error.as_deref(),
            Some("no e-mail settings are saved")
        );
        let settings = learning::report_settings(&store).unwrap();
        assert_eq!(settings.last, Some(now));
        assert_eq!(settings.folder.as_deref(), Some(folder.as_path()));
        let audit = crate::audit::entries(&store, 5).unwrap();
        assert_eq!(audit[0].action, "report");
        assert_eq!(audit[0].data["slack"], false);
    }

    #[test]
    fn a_folder_that_cannot_be_written_is_an_error_that_names_it_and_records_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, "x").unwrap();
        let err = make(&store, &file, &Delivery::default(), Utc::now()).unwrap_err();
        assert!(err.to_string().contains("a-file"), "{err}");
        assert_eq!(learning::report_settings(&store).unwrap().last, None);
        assert!(crate::audit::entries(&store, 5).unwrap().is_empty());
    }
}
