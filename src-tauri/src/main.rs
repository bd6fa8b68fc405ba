//! Redline's desktop shell. It opens the store, registers the commands and runs the window;
//! everything it knows about settlements comes from `redline-core`.
//!
//! Usage: `redline-app [--db PATH]` (default: `$REDLINE_DB`, else the OS data directory).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[cfg(test)]
mod acl;
mod analytics;
mod background;
mod commands;
mod destinations;
mod error;
mod experiments;
mod export;
mod keychain;
mod learning;
mod llm;
mod mining;
mod notion;
mod prompts;
mod state;

use std::path::PathBuf;

/// mimalloc, not the system allocator: it gives freed memory back to the OS soon after a
/// large job (glibc's per-thread arenas kept a mining's peak for the life of the process) and
/// is faster under the miner's many short-lived vectors (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn db_arg() -> Option<PathBuf> {
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--db" {
            return args.next().map(PathBuf::from);
        }
        if let Some(path) = arg.to_str().and_then(|a| a.strip_prefix("--db=")) {
            return Some(PathBuf::from(path));
        }
    }
    None
}

fn main() {
    state::purge_at_once();
    state::no_huge_pages();
    let state = state::AppState::open(db_arg());
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .manage(state)
        .setup(|app| {
            use tauri::Manager as _;
            state::release_idle_miners(app.state::<state::AppState>().miners.clone());
            notion::start_auto_sync(app.handle().clone());
            learning::schedule(app.handle());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::facets,
            commands::list_settlements,
            commands::get_settlement,
            commands::set_marks,
            commands::mark_matching,
            commands::pick_import_file,
            commands::import_file,
            commands::load_sample,
            commands::cancel_job,
            commands::ui_ready,
            notion::notion_status,
            notion::notion_save_token,
            notion::notion_remove_token,
            notion::notion_connect,
            notion::notion_save_connection,
            notion::notion_set_base_url,
            notion::notion_set_auto_sync,
            notion::notion_sync,
            analytics::dashboard,
            analytics::list_alerts,
            analytics::acknowledge_alert,
            analytics::get_settings,
            analytics::set_threshold,
            destinations::save_file,
            mining::mine_patterns,
            mining::replay_patterns,
            analytics::compare_agents,
            analytics::audit_log,
            export::export_preview,
            export::pick_export_path,
            export::export_destination,
            export::run_export,
            export::pick_tables_folder,
            export::run_tables_export,
            export::export_targets,
            export::system_prompts,
            export::set_system_prompt,
            prompts::list_prompts,
            prompts::add_prompt,
            prompts::pick_prompt_file,
            prompts::prompt_diff,
            prompts::activate_prompt,
            prompts::adopt_prompts,
            prompts::generate_variants,
            experiments::create_experiment,
            experiments::list_experiments,
            experiments::experiment_results,
            experiments::complete_experiment,
            experiments::deploy_experiment,
            experiments::connect_ab_tests,
            experiments::ab_tests_target,
            experiments::diff_texts,
            llm::llm_status,
            llm::llm_configure,
            llm::llm_remove_key,
            llm::llm_set_consent,
            llm::generate_variants_llm,
            llm::evaluate_variant,
            learning::home_overview,
            learning::start_suggested,
            learning::generate_report,
            learning::report_status,
            learning::set_report_schedule,
            learning::save_slack_webhook,
            learning::save_email_settings,
            learning::set_roi_settings,
        ])
        .run(tauri::generate_context!())
        .expect("the Redline window could not start");
}
