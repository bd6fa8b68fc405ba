//! `redline report` and `redline email`: the weekly report, made and delivered by the service layer.

use crate::{open_store, EmailAction};
use anyhow::{bail, Result};
use redline_core::service::{self, report::Delivery};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(crate) struct ReportArgs {
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Post the summary to the Slack incoming webhook in REDLINE_SLACK_WEBHOOK.
    #[arg(long)]
    pub(crate) slack: bool,
    /// E-mail it with the saved SMTP settings (`redline email set`); the password comes
    /// from REDLINE_SMTP_PASSWORD.
    #[arg(long)]
    pub(crate) email: bool,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(clap::Args)]
pub(crate) struct EmailArgs {
    #[command(subcommand)]
    pub(crate) action: EmailAction,
}

/// `redline email`.
pub(crate) fn run_email(db: Option<PathBuf>, args: EmailArgs) -> Result<ExitCode> {
    let EmailArgs { action } = args;
    let store = open_store(db)?;
    match action {
        EmailAction::Set {
            host,
            port,
            security,
            username,
            from,
            to,
        } => {
            let security = match security.as_str() {
                "tls" => redline_core::delivery::Security::Tls,
                "starttls" => redline_core::delivery::Security::Starttls,
                _ => redline_core::delivery::Security::None,
            };
            redline_core::delivery::set_email_settings(
                &store,
                &redline_core::delivery::EmailSettings {
                    host,
                    port,
                    security,
                    username,
                    from,
                    to,
                },
            )?;
            say!("saved");
        }
        EmailAction::Status => match redline_core::delivery::email_settings(&store)? {
            Some(s) => println!("{}", serde_json::to_string_pretty(&s)?),
            None => {
                say!("no e-mail settings: `redline email set --host … --from … --to …`")
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}

/// `redline report`.
pub(crate) fn run_report(db: Option<PathBuf>, args: ReportArgs) -> Result<ExitCode> {
    let ReportArgs {
        out,
        slack,
        email,
        json,
    } = args;
    let store = open_store(db)?;
    let env = service::secret_from_env;
    let delivery = Delivery {
        slack: slack.then(|| {
            env(redline_core::delivery::SLACK_ENV).ok_or_else(|| {
                format!(
                    "set {} to the Slack incoming-webhook URL",
                    redline_core::delivery::SLACK_ENV
                )
            })
        }),
        email: email.then(|| env(redline_core::delivery::SMTP_PASSWORD_ENV)),
    };
    let made = service::report::make(&store, &out, &delivery, chrono::Utc::now())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&made.report)?);
    } else {
        say!(
            "wrote {} and {}",
            made.html.display(),
            made.markdown.display()
        );
        for a in &made.report.actions {
            say!("- {a}");
        }
    }
    if made.slack_posted {
        tell!("posted to Slack");
    }
    if made.emailed {
        tell!("e-mailed to {}", made.emailed_to.join(", "));
    }
    // The report is saved either way; a delivery asked for that failed fails the run.
    let failed: Vec<String> = [
        made.slack_error.map(|e| format!("Slack: {e}")),
        made.email_error.map(|e| format!("e-mail: {e}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !failed.is_empty() {
        bail!(
            "the report was saved but not delivered: {}",
            failed.join("; ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
