//! Where the store lives: `--db PATH`, else `REDLINE_DB`, else the OS data directory
//! (`~/.local/share/redline/redline.redb` on Linux, `~/Library/Application Support/dev.Redline.Redline`
//! on macOS, `%APPDATA%\Redline\Redline\data` on Windows).

use std::path::PathBuf;

/// The environment variable that overrides the store's path.
pub const DB_ENV: &str = "REDLINE_DB";

/// The store file's name inside the data directory.
pub const DB_FILE: &str = "redline.redb";

/// The default store path in the OS data directory, if the OS has one for this user.
pub fn default_db_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("dev", "Redline", "Redline").map(|d| d.data_dir().join(DB_FILE))
}

/// The store path to use: an explicit path, else `REDLINE_DB`, else the default.
pub fn resolve_db_path(explicit: Option<PathBuf>) -> Option<PathBuf> {
    explicit
        .or_else(|| {
            std::env::var_os(DB_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .or_else(default_db_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_path_wins() {
        let p = PathBuf::from("/tmp/x.redb");
        assert_eq!(resolve_db_path(Some(p.clone())), Some(p));
    }

    #[test]
    fn default_path_ends_with_the_file_name() {
        if let Some(p) = default_db_path() {
            assert!(p.ends_with(DB_FILE));
        }
    }
}
