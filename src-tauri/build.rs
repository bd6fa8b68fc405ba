//! The app's config and capabilities are in `tauri.conf.json` beside this file; the UI it
//! serves (`ui/`) and the icons (`icons/`, drawn by `scripts/icons`) are at the workspace root.

/// Every command the window may call: Tauri generates an `allow-…` permission for each, and the
/// window's capability (tauri.conf.json) grants them one by one — a command missing from the
/// capability is refused (`src/acl.rs` checks the three lists agree).
const COMMANDS: &[&str] = &[
    "app_status",
    "facets",
    "list_settlements",
    "get_settlement",
    "set_marks",
    "mark_matching",
    "pick_import_file",
    "import_file",
    "load_sample",
    "cancel_job",
    "ui_ready",
    "notion_status",
    "notion_save_token",
    "notion_remove_token",
    "notion_connect",
    "notion_save_connection",
    "notion_set_base_url",
    "notion_set_auto_sync",
    "notion_sync",
    "dashboard",
    "list_alerts",
    "acknowledge_alert",
    "get_settings",
    "set_threshold",
    "save_file",
    "mine_patterns",
    "replay_patterns",
    "compare_agents",
    "audit_log",
    "export_preview",
    "pick_export_path",
    "export_destination",
    "run_export",
    "pick_tables_folder",
    "run_tables_export",
    "export_targets",
    "system_prompts",
    "set_system_prompt",
    "list_prompts",
    "add_prompt",
    "pick_prompt_file",
    "prompt_diff",
    "activate_prompt",
    "adopt_prompts",
    "generate_variants",
    "create_experiment",
    "list_experiments",
    "experiment_results",
    "complete_experiment",
    "deploy_experiment",
    "connect_ab_tests",
    "ab_tests_target",
    "diff_texts",
    "llm_status",
    "llm_configure",
    "llm_remove_key",
    "llm_set_consent",
    "generate_variants_llm",
    "evaluate_variant",
    "home_overview",
    "start_suggested",
    "generate_report",
    "report_status",
    "set_report_schedule",
    "save_slack_webhook",
    "save_email_settings",
    "set_roi_settings",
];

fn main() {
    println!("cargo:rerun-if-changed=tauri.conf.json");
    println!("cargo:rerun-if-changed=../ui");
    println!("cargo:rerun-if-changed=../icons");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
