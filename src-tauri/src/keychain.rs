//! The Notion token, the LLM API key, the Slack webhook URL and the SMTP password in the OS
//! keychain (Secret
//! Service on Linux, Keychain on macOS, Credential Manager on Windows), never in a file, a log or
//! the store. The UI only learns whether a secret is saved and its last four characters.

use crate::error::AppError;
use redline_core::secret::SecretString;

const SERVICE: &str = "dev.redline.app";
const NOTION_USER: &str = "notion-token";
const LLM_USER: &str = "llm-api-key";
const SLACK_USER: &str = "slack-webhook";
const SMTP_USER: &str = "smtp-password";

fn unavailable(e: keyring::Error) -> AppError {
    AppError::new(
        "keychain",
        format!("the OS keychain is not available ({e}); on Linux, a Secret Service such as GNOME Keyring or KWallet must be running"),
    )
}

fn entry(user: &str) -> Result<keyring::Entry, AppError> {
    keyring::Entry::new(SERVICE, user).map_err(unavailable)
}

fn save(user: &str, secret: &str) -> Result<(), AppError> {
    entry(user)?.set_password(secret).map_err(unavailable)
}

fn load(user: &str) -> Result<Option<SecretString>, AppError> {
    match entry(user)?.get_password() {
        Ok(t) => Ok(Some(SecretString::from(t))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(unavailable(e)),
    }
}

/// Remove a secret; removing one that is not there is fine.
fn remove(user: &str) -> Result<(), AppError> {
    match entry(user)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(unavailable(e)),
    }
}

pub fn save_notion_token(token: &str) -> Result<(), AppError> {
    save(NOTION_USER, token)
}

/// The saved token, if any.
pub fn notion_token() -> Result<Option<SecretString>, AppError> {
    load(NOTION_USER)
}

pub fn remove_notion_token() -> Result<(), AppError> {
    remove(NOTION_USER)
}

/// The keychain entry of the LLM key for one recipient (provider and base URL): a key saved
/// for one is never sent to another.
fn llm_user(binding: &str) -> String {
    format!("{LLM_USER} {binding}")
}

pub fn save_llm_key(binding: &str, key: &str) -> Result<(), AppError> {
    save(&llm_user(binding), key)
}

/// The LLM API key saved for this recipient, if any.
pub fn llm_key(binding: &str) -> Result<Option<SecretString>, AppError> {
    load(&llm_user(binding))
}

pub fn remove_llm_key(binding: &str) -> Result<(), AppError> {
    remove(&llm_user(binding))
}

pub fn save_slack_webhook(url: &str) -> Result<(), AppError> {
    save(SLACK_USER, url)
}

/// The saved Slack incoming-webhook URL (a secret: anyone with it can post).
pub fn slack_webhook() -> Result<Option<SecretString>, AppError> {
    load(SLACK_USER)
}

pub fn remove_slack_webhook() -> Result<(), AppError> {
    remove(SLACK_USER)
}

pub fn save_smtp_password(password: &str) -> Result<(), AppError> {
    save(SMTP_USER, password)
}

/// The saved SMTP password, if any.
pub fn smtp_password() -> Result<Option<SecretString>, AppError> {
    load(SMTP_USER)
}

#[cfg(test)]
mod tests {
    use super::*;
    use redline_core::secret::ExposeSecret;

    /// Through the real OS backend: needs a Secret Service on the session bus, as
    /// `scripts/test` provides with dbus-run-session and an unlocked gnome-keyring.
    #[test]
    #[ignore = "needs the OS keychain: run by scripts/test inside dbus-run-session"]
    fn the_token_round_trips_through_the_real_keychain() {
        remove_notion_token().unwrap();
        assert!(notion_token().unwrap().is_none());
        save_notion_token("secret_keychain_test_9876").unwrap();
        let got = notion_token().unwrap().unwrap();
        assert_eq!(got.expose_secret(), "secret_keychain_test_9876");
        assert_eq!(redline_core::secret::last4(&got), "9876");
        save_notion_token("secret_replaced_5555").unwrap();
        assert_eq!(
            redline_core::secret::last4(&notion_token().unwrap().unwrap()),
            "5555"
        );
        remove_notion_token().unwrap();
        assert!(notion_token().unwrap().is_none());
        // Removing twice is fine.
        remove_notion_token().unwrap();
        // The LLM key is a separate entry, bound to its provider and base URL.
        let cloud = "Anthropic https://api.anthropic.com";
        save_llm_key(cloud, "sk-llm-test-4321").unwrap();
        assert!(notion_token().unwrap().is_none());
        assert_eq!(
            redline_core::secret::last4(&llm_key(cloud).unwrap().unwrap()),
            "4321"
        );
        assert!(llm_key("Anthropic https://proxy.example.com")
            .unwrap()
            .is_none());
        assert!(llm_key("Openai https://api.anthropic.com")
            .unwrap()
            .is_none());
        remove_llm_key(cloud).unwrap();
        assert!(llm_key(cloud).unwrap().is_none());
    }
}
