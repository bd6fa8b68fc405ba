//! Delivering the weekly report: posted to a Slack incoming webhook, or e-mailed over SMTP
//! (lettre), with the e-mail settings kept in the store (the password is not: the app keeps
//! it in the OS keychain, the CLI reads it from the environment). Secrets never appear in an
//! error.

use crate::learning::report::WeeklyReport;
use crate::store::{Store, StoreError};

/// The environment variable the CLI reads the Slack incoming-webhook URL from (the app keeps it
/// in the OS keychain).
pub const SLACK_ENV: &str = "REDLINE_SLACK_WEBHOOK";

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(
        "the Slack webhook URL must start with https:// (or http:// to this machine, for a local test); {0} is not one"
    )]
    BadUrl(String),
    #[error("Slack refused the message ({status}): {body}")]
    Refused { status: u16, body: String },
    #[error("cannot reach Slack: {0}")]
    Unreachable(String),
    #[error("the e-mail settings are incomplete: {0}")]
    EmailSettings(String),
    #[error("the e-mail could not be sent: {0}")]
    Email(String),
}

/// The environment variable the CLI reads the SMTP password from (the app keeps it in the OS
/// keychain).
pub const SMTP_PASSWORD_ENV: &str = "REDLINE_SMTP_PASSWORD";

use crate::settings::Settings;
pub use crate::settings::{EmailSettings, Security};

pub fn email_settings(store: &Store) -> Result<Option<EmailSettings>, StoreError> {
    Ok(Settings::load(store)?.email)
}

/// Check and save the e-mail settings.
pub fn set_email_settings(store: &Store, s: &EmailSettings) -> Result<(), DeliveryError> {
    email_message(s, "check", "check", "check")?;
    check_sign_in(s)?;
    if s.host.trim().is_empty() || s.port == 0 {
        return Err(DeliveryError::EmailSettings(
            "a server name and port are needed".into(),
        ));
    }
    Settings::update(store, |all| {
        all.email = Some(s.clone());
        Ok::<_, StoreError>(())
    })
    .map_err(|e| DeliveryError::EmailSettings(e.to_string()))
}

/// Sign-in only over an encrypted connection: with `none` the password would cross the network
/// in clear text.
fn check_sign_in(s: &EmailSettings) -> Result<(), DeliveryError> {
    let signs_in = s.username.as_deref().is_some_and(|u| !u.trim().is_empty());
    if signs_in && s.security == Security::None {
        return Err(DeliveryError::EmailSettings(
            "signing in to the SMTP server needs TLS or STARTTLS: with no encryption the password would be sent in clear text".into(),
        ));
    }
    Ok(())
}

fn email_message(
    s: &EmailSettings,
    subject: &str,
    text: &str,
    html: &str,
) -> Result<lettre::Message, DeliveryError> {
    let bad = |what: &str, value: &str| {
        DeliveryError::EmailSettings(format!("'{value}' is not an e-mail address ({what})"))
    };
    let mut builder = lettre::Message::builder()
        .from(s.from.trim().parse().map_err(|_| bad("from", &s.from))?)
        .subject(subject);
    if s.to.iter().all(|t| t.trim().is_empty()) {
        return Err(DeliveryError::EmailSettings("no recipient".into()));
    }
    for to in s.to.iter().filter(|t| !t.trim().is_empty()) {
        builder = builder.to(to.trim().parse().map_err(|_| bad("to", to))?);
    }
    builder
        .multipart(lettre::message::MultiPart::alternative_plain_html(
            text.to_owned(),
            html.to_owned(),
        ))
        .map_err(|e| DeliveryError::EmailSettings(e.to_string()))
}

/// E-mail the report (Markdown as the plain part, the HTML page as the HTML part).
pub fn send_email(
    report: &WeeklyReport,
    s: &EmailSettings,
    password: Option<&str>,
) -> Result<(), DeliveryError> {
    use lettre::Transport;
    let message = email_message(
        s,
        &format!("Redline weekly report {}", report.to.format("%Y-%m-%d")),
        &report.markdown(),
        &report.html(),
    )?;
    let host = s.host.trim();
    check_sign_in(s)?;
    let builder = match s.security {
        Security::None => lettre::SmtpTransport::builder_dangerous(host),
        Security::Starttls => lettre::SmtpTransport::starttls_relay(host)
            .map_err(|e| DeliveryError::Email(e.to_string()))?,
        Security::Tls => {
            lettre::SmtpTransport::relay(host).map_err(|e| DeliveryError::Email(e.to_string()))?
        }
    };
    let mut builder = builder
        .port(s.port)
        .timeout(Some(std::time::Duration::from_secs(30)));
    if let Some(user) = s.username.as_deref().filter(|u| !u.trim().is_empty()) {
        builder = builder.credentials(lettre::transport::smtp::authentication::Credentials::new(
            user.trim().to_owned(),
            password.unwrap_or_default().to_owned(),
        ));
    }
    builder
        .build()
        .send(&message)
        .map(|_| ())
        .map_err(|e| DeliveryError::Email(format!("{e} (server {host}:{})", s.port)))
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
    // The webhook URL is itself the secret: it never appears in an error.
    let url = webhook.trim();
    if !crate::secret::secure_transport(url) {
        return Err(DeliveryError::BadUrl(crate::secret::url_origin(url)));
    }
    let http = crate::http::client(
        std::time::Duration::from_secs(10),
        std::time::Duration::from_secs(30),
    )
    .map_err(DeliveryError::Unreachable)?;
    let clean = |text: String| crate::secret::scrub(&text, url);
    let request = http
        .post(url)
        .json(&serde_json::json!({"text": slack_text(report)}));
    let r = crate::http::send(request)
        .map_err(|f| DeliveryError::Unreachable(clean(f.detail().to_owned())))?;
    let status = r.status().as_u16();
    if (300..400).contains(&status) {
        return Err(DeliveryError::Refused {
            status,
            body: "a redirect, which Redline does not follow with the webhook".into(),
        });
    }
    if !r.status().is_success() {
        let body = crate::http::read_text(r, 4096);
        return Err(DeliveryError::Refused {
            status,
            body: clean(body.chars().take(200).collect()),
        });
    }
    Ok(())
}
