//! The Notion clients the use cases need, built alike for both drivers: each speaks the API
//! version its database was connected with and goes to the base URL chosen in Settings (or
//! `REDLINE_NOTION_BASE_URL`). Where the token comes from is the driver's (the OS keychain, or
//! the environment).

use crate::notion::sync::SyncState;
use crate::notion::{self, writeback, ApiVersion, Client, ClientConfig, NotionError};
use crate::secret::SecretString;
use crate::store::Store;

/// The token in `REDLINE_NOTION_TOKEN`, if set (headless use: the CLI, CI, the app without a
/// keychain).
pub fn token_from_env() -> Option<SecretString> {
    std::env::var(notion::TOKEN_ENV)
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .map(SecretString::from)
}

/// A client speaking `version`, to connect a database.
pub fn client(
    store: &Store,
    token: SecretString,
    version: ApiVersion,
) -> Result<Client, NotionError> {
    let saved = SyncState::load(store)?.base_url;
    Ok(Client::new(
        token,
        ClientConfig {
            version,
            base_url: notion::base_url(saved.as_deref()),
            ..Default::default()
        },
    ))
}

/// A client for syncing the connected Training Data database; `None` when none is connected.
pub fn sync_client(store: &Store, token: SecretString) -> Result<Option<Client>, NotionError> {
    let Some(conn) = SyncState::load(store)?.connection else {
        return Ok(None);
    };
    client(store, token, conn.version).map(Some)
}

/// A client for writing the connected DB_AB_Tests database; `None` when none is connected.
pub fn ab_tests_client(store: &Store, token: SecretString) -> Result<Option<Client>, NotionError> {
    let Some(target) = writeback::target(store)? else {
        return Ok(None);
    };
    client(store, token, target.version()).map(Some)
}
