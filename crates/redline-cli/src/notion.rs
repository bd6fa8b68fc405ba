//! `redline notion …`: connect a database, sync it, show the state. The token comes from
//! `REDLINE_NOTION_TOKEN` (the app keeps its own in the OS keychain).

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use redline_core::job::Cancel;
use redline_core::notion::mapping::{self, Field};
use redline_core::notion::sync::{self, SyncOptions, SyncProgress, SyncState};
use redline_core::notion::{ApiVersion, Client, TOKEN_ENV};
use redline_core::secret::SecretString;
use redline_core::service;
use redline_core::store::Store;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum NotionCommand {
    /// Connect the Training Data database (a link or id) and save the proposed mapping.
    Connect {
        database: String,
        /// Override a field's property: FIELD=PROPERTY, e.g. ai_output=AI_Raw_Output.
        #[arg(long = "map", value_name = "FIELD=PROPERTY")]
        map: Vec<String>,
        /// The Notion API version to speak (a server that rejects 2026-12-01 is spoken to in
        /// 2025-09-03, and the connection says so).
        #[arg(long, default_value = "2026-12-01", value_parser = ["2026-12-01", "2025-09-03", "2022-06-28"])]
        api_version: String,
    },
    /// Fetch pages edited since the last sync (all of them the first time).
    Sync {
        /// Also remove settlements whose page was deleted or archived in Notion.
        #[arg(long)]
        reconcile: bool,
        /// Let a reconcile remove more than 20% of the settlements cached from Notion (without
        /// it, such a reconcile stops and removes nothing: an incomplete listing must not wipe
        /// the cache).
        #[arg(long, requires = "reconcile")]
        force: bool,
        /// Print a line per batch to stderr instead of a spinner.
        #[arg(long)]
        progress_lines: bool,
        #[arg(long)]
        json: bool,
    },
    /// The connected database, its mapping, and the last sync.
    Status {
        #[arg(long)]
        json: bool,
    },
}

/// The `--api-version` argument (clap allows only the versions Redline speaks).
pub(crate) fn api_version_of(arg: &str) -> ApiVersion {
    ApiVersion::parse(arg).unwrap_or(ApiVersion::V2026)
}

/// The token in `REDLINE_NOTION_TOKEN` (the CLI's only source of it).
pub(crate) fn token() -> Result<SecretString> {
    service::notion::token_from_env().with_context(|| format!("set {TOKEN_ENV} to the integration token (Notion → Settings → Connections → Develop or manage integrations)"))
}

/// A client speaking `version`, to connect a database.
pub(crate) fn client(store: &Store, version: ApiVersion) -> Result<Client> {
    Ok(service::notion::client(store, token()?, version)?)
}

fn parse_field(name: &str) -> Result<Field> {
    serde_json::from_value(serde_json::Value::String(name.trim().to_string())).with_context(|| {
        let names: Vec<String> = Field::ALL
            .iter()
            .map(|f| {
                serde_json::to_value(f)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        format!("'{name}' is not a field; fields: {}", names.join(", "))
    })
}

pub fn run(store: Store, command: NotionCommand) -> Result<ExitCode> {
    match command {
        NotionCommand::Connect {
            database,
            map,
            api_version,
        } => {
            let client = client(&store, api_version_of(&api_version))?;
            let mut conn = sync::connect(&client, &database, &Cancel::new())?;
            for pair in &map {
                let (field, property) = pair
                    .split_once('=')
                    .with_context(|| format!("--map takes FIELD=PROPERTY, not '{pair}'"))?;
                conn.mapping
                    .0
                    .insert(parse_field(field)?, property.trim().to_string());
            }
            let problems = mapping::validate(&conn.mapping, &conn.schema);
            print_mapping(&conn.mapping);
            if !problems.is_empty() {
                for p in &problems {
                    tell!("problem: {p}");
                }
                bail!("the mapping does not fit the database; fix it with --map FIELD=PROPERTY");
            }
            if let Some(n) = &conn.notice {
                tell!("note: {n}");
            }
            let title = conn.title.clone();
            sync::save_connection(&store, conn)?;
            say!("connected \"{title}\"; run `redline notion sync` to fetch its pages");
            Ok(ExitCode::SUCCESS)
        }
        NotionCommand::Sync {
            reconcile,
            force,
            progress_lines,
            json,
        } => {
            let client = service::notion::sync_client(&store, token)?
                .context("no database is connected: run `redline notion connect LINK` first")?;
            let bar = indicatif::ProgressBar::new_spinner();
            let mut on_progress = |p: &SyncProgress| {
                let line = describe(p);
                if progress_lines {
                    tell!("progress: {line}");
                } else {
                    bar.set_message(line);
                    bar.tick();
                }
            };
            let cancel = crate::ctrl_c_cancel();
            let report = sync::sync(
                &store,
                &client,
                SyncOptions { reconcile, force },
                &mut on_progress,
                &cancel,
            )?;
            bar.finish_and_clear();
            if let Some(n) = &report.notice {
                tell!("note: {n}");
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                say!("{}", describe(&report.progress));
                for s in &report.skipped {
                    tell!("skipped {}: {}", s.url, s.reason);
                }
                if report.cancelled {
                    say!("cancelled: what was fetched is kept; the next sync goes on from there");
                }
            }
            Ok(if report.skipped.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(3)
            })
        }
        NotionCommand::Status { json } => {
            let state = SyncState::load(&store)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&state)?);
                return Ok(ExitCode::SUCCESS);
            }
            let Some(conn) = &state.connection else {
                say!("no Notion database is connected");
                return Ok(ExitCode::SUCCESS);
            };
            say!("database:     {} ({})", conn.title, conn.database_id);
            if let Some(ds) = &conn.data_source_id {
                say!("data source:  {ds}");
            }
            say!(
                "API version:  {}{}",
                conn.version.header(),
                if conn.filter_properties {
                    ""
                } else {
                    " (lists every property: the server rejected filter_properties)"
                }
            );
            if let Some(n) = &conn.notice {
                say!("note:         {n}");
            }
            let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
                t.map_or("never".to_string(), |t| t.to_rfc3339())
            };
            say!("last sync:    {}", when(state.last_sync));
            say!("cursor:       {}", when(state.cursor));
            say!("reconciled:   {}", when(state.last_reconcile));
            print_mapping(&conn.mapping);
            if !state.skipped.is_empty() {
                say!("skipped by the last sync: {}", state.skipped.len());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// One line on a sync's progress or outcome.
fn describe(p: &SyncProgress) -> String {
    format!(
        "{} pages read: {} new, {} updated, {} unchanged, {} removed, {} skipped; {} requests, {} rate-limit waits",
        p.pages,
        p.written.inserted,
        p.written.updated,
        p.written.unchanged,
        p.written.deleted,
        p.skipped,
        p.requests,
        p.rate_limited
    )
}

fn print_mapping(m: &mapping::Mapping) {
    say!("mapping:");
    for f in Field::ALL {
        let name = serde_json::to_value(f).unwrap();
        say!(
            "  {:<16} {}",
            name.as_str().unwrap(),
            m.get(f).unwrap_or("–")
        );
    }
}
