//! The Notion token and the LLM API key in the OS keychain (Secret Service on Linux, Keychain on macOS, Credential
//! Manager on Windows), never in a file, a log or the store. The UI only learns whether a token
//! is saved and its last four characters.

use crate::error::AppError;
use redline_core::secret::Sensitive;

const SERVICE: &str = "dev.redline.app";
const NOTION_USER: &str = "notion-token";
const LLM_USER: &str = "llm-api-key";
const SLACK_USER: &str = "slack-webhook";

fn slack_entry() -> Result<keyring::Entry, AppError> {
    keyring::Entry::new(SERVICE, SLACK_USER).map_err(unavailable)
}

pub fn save_slack_webhook(url: &str) -> Result<(), AppError> {
    slack_entry()?.set_password(url).map_err(unavailable)
}

/// The saved Slack incoming-webhook URL (it is a secret: anyone with it can post).
pub fn slack_webhook() -> Result<Option<Sensitive<String>>, AppError> {
    match slack_entry()?.get_password() {
        Ok(t) => Ok(Some(Sensitive::new(t))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(unavailable(e)),
    }
}

pub fn remove_slack_webhook() -> Result<(), AppError> {
    match slack_entry()?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(unavailable(e)),
    }
}

fn entry() -> Result<keyring::Entry, AppError> {
    keyring::Entry::new(SERVICE, NOTION_USER).map_err(unavailable)
}

fn llm_entry() -> Result<keyring::Entry, AppError> {
    keyring::Entry::new(SERVICE, LLM_USER).map_err(unavailable)
}

pub fn save_llm_key(key: &str) -> Result<(), AppError> {
    llm_entry()?.set_password(key).map_err(unavailable)
}

/// The saved LLM API key, if any.
pub fn llm_key() -> Result<Option<Sensitive<String>>, AppError> {
    match llm_entry()?.get_password() {
        Ok(t) => Ok(Some(Sensitive::new(t))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(unavailable(e)),
    }
}

pub fn remove_llm_key() -> Result<(), AppError> {
    match llm_entry()?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(unavailable(e)),
    }
}

fn unavailable(e: keyring::Error) -> AppError {
    AppError::new(
        "keychain",
        format!("the OS keychain is not available ({e}); on Linux, a Secret Service such as GNOME Keyring or KWallet must be running"),
    )
}

pub fn save_notion_token(token: &str) -> Result<(), AppError> {
    entry()?.set_password(token).map_err(unavailable)
}

/// The saved token, if any.
pub fn notion_token() -> Result<Option<Sensitive<String>>, AppError> {
    match entry()?.get_password() {
        Ok(t) => Ok(Some(Sensitive::new(t))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(unavailable(e)),
    }
}

pub fn remove_notion_token() -> Result<(), AppError> {
    match entry()?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(unavailable(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Through the real OS backend: needs a Secret Service on the session bus, as
    /// `scripts/test` provides with dbus-run-session and an unlocked gnome-keyring.
    #[test]
    #[ignore = "needs the OS keychain: run by scripts/test inside dbus-run-session"]
    fn the_token_round_trips_through_the_real_keychain() {
        remove_notion_token().unwrap();
        assert!(notion_token().unwrap().is_none());
        save_notion_token("secret_keychain_test_9876").unwrap();
        let got = notion_token().unwrap().unwrap();
        assert_eq!(got.expose(), "secret_keychain_test_9876");
        assert_eq!(got.last4(), "9876");
        save_notion_token("secret_replaced_5555").unwrap();
        assert_eq!(notion_token().unwrap().unwrap().last4(), "5555");
        remove_notion_token().unwrap();
        assert!(notion_token().unwrap().is_none());
        // Removing twice is fine.
        remove_notion_token().unwrap();
        // The LLM key is a separate entry.
        save_llm_key("sk-llm-test-4321").unwrap();
        assert!(notion_token().unwrap().is_none());
        assert_eq!(llm_key().unwrap().unwrap().last4(), "4321");
        remove_llm_key().unwrap();
        assert!(llm_key().unwrap().is_none());
    }
}
