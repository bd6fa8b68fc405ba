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
    super::secret_from_env(notion::TOKEN_ENV)
}

/// A client speaking `version`, to connect a database.
pub fn client(
    store: &Store,
    token: SecretString,
    version: ApiVersion,
) -> Result<Client, NotionError> {
    let saved = SyncState::load(store)?.base_url;
    Ok(with_base_url(token, version, saved.as_deref()))
}

fn with_base_url(token: SecretString, version: ApiVersion, saved: Option<&str>) -> Client {
    Client::new(
        token,
        ClientConfig {
            version,
            base_url: notion::base_url(saved),
            ..Default::default()
        },
    )
}

/// A client for syncing the connected Training Data database; `None` when none is connected.
/// The token is asked for only when one is (so "connect a database first" comes before "no
/// token").
pub fn sync_client<E: From<NotionError>>(
    store: &Store,
    token: impl FnOnce() -> Result<SecretString, E>,
) -> Result<Option<Client>, E> {
    let state = SyncState::load(store)?;
    let Some(conn) = state.connection else {
        return Ok(None);
    };
    Ok(Some(with_base_url(
        token()?,
        conn.version,
        state.base_url.as_deref(),
    )))
}

/// A client for writing the connected DB_AB_Tests database; `None` when none is connected
/// (the token is asked for only when one is).
pub fn ab_tests_client<E: From<NotionError>>(
    store: &Store,
    token: impl FnOnce() -> Result<SecretString, E>,
) -> Result<Option<Client>, E> {
    let Some(target) = writeback::target(store).map_err(NotionError::from)? else {
        return Ok(None);
    };
    client(store, token()?, target.version())
        .map(Some)
        .map_err(E::from)
}
