//! Writing files so that a reader never sees half of one: write a temporary file beside the
//! target, flush it to disk, then rename it over the target and flush the folder. A failure or a
//! cancelled job leaves the target as it was and removes the temporary file.
//!
//! The temporary file is `tempfile`'s: a random name created with `O_EXCL` (a file or symlink
//! already there is never followed or reused) and, on Unix, mode 0600 — what Redline writes
//! (exports, reports) holds people's text, so only its owner may read it; the renamed file keeps
//! the mode.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// A file being written; [`AtomicFile::commit`] puts it in place, dropping it without commit
/// removes it.
pub struct AtomicFile {
    target: PathBuf,
    dir: PathBuf,
    file: Option<io::BufWriter<NamedTempFile>>,
}

impl AtomicFile {
    pub fn create(target: &Path) -> io::Result<AtomicFile> {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?;
        let prefix = format!(".{}.", name.to_string_lossy());
        remove_stale_parts(&dir, &prefix);
        let file = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(".part")
            .tempfile_in(&dir)?;
        Ok(AtomicFile {
            target: target.to_owned(),
            dir,
            file: Some(io::BufWriter::new(file)),
        })
    }

    /// Flush, sync, rename into place and sync the folder (so that the rename survives a
    /// power cut too).
    pub fn commit(mut self) -> io::Result<()> {
        let file = self.file.take().expect("not committed twice");
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.as_file().sync_all()?;
        file.persist(&self.target).map_err(|e| e.error)?;
        sync_dir(&self.dir)
    }
}

/// A temporary file untouched for this long was left by a write that was killed (a crash, a
/// power cut, SIGKILL): nothing will finish it.
const STALE_PART: std::time::Duration = std::time::Duration::from_secs(3600);

/// Remove the temporary files of every killed write in `dir` (`.*.part` files untouched for an
/// hour): what the app and the CLI do at start in the data folder and the reports folder.
pub fn remove_stale_parts_in(dir: &Path) {
    remove_stale_parts(dir, ".")
}

/// Remove the temporary files of earlier writes of the same target (`{prefix}*.part` in `dir`)
/// that were killed before they finished, so a killed export leaves no plaintext behind once
/// the same file is written again. Best effort: what cannot be read or removed stays.
fn remove_stale_parts(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(prefix) && name.ends_with(".part")) {
            continue;
        }
        let old = entry
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= STALE_PART);
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Flush a folder's entries to disk (Unix; elsewhere the rename is as durable as the system
/// makes it).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.as_mut().expect("open").write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().expect("open").flush()
    }
}

/// Create an empty file only its owner may read and write (0600 on Unix), failing if anything
/// is there already (`O_EXCL`: a symlink planted there is not followed).
pub fn create_private(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Write `data` to `target` atomically.
pub fn write_atomic(target: &Path, data: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(target)?;
    f.write_all(data)?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_replaces_and_dropped_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        std::fs::write(&target, "old").unwrap();
        {
            let mut f = AtomicFile::create(&target).unwrap();
            f.write_all(b"half").unwrap();
            // Dropped without commit: a cancelled or failed write.
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        write_atomic(&target, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let err = write_atomic(&dir.path().join("missing/x.csv"), b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn a_killed_write_leaves_no_part_once_the_file_is_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("train.jsonl");
        let killed = dir.path().join(".train.jsonl.Ab12Cd.part");
        let recent = dir.path().join(".train.jsonl.Zz99Yy.part");
        let other = dir.path().join(".other.jsonl.Ab12Cd.part");
        for p in [&killed, &recent, &other] {
            std::fs::write(p, "plaintext").unwrap();
        }
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        for p in [&killed, &other] {
            File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(two_hours_ago)
                .unwrap();
        }
        write_atomic(&target, b"new").unwrap();
        assert!(!killed.exists(), "the killed write's part is removed");
        assert!(
            recent.exists(),
            "a part written just now may be another write's: kept"
        );
        assert!(other.exists(), "another target's part is not ours");
    }

    #[cfg(unix)]
    #[test]
    fn written_files_are_private_and_a_planted_symlink_is_not_followed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("export.jsonl");
        // Someone expects the old predictable temporary name and plants a link there.
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let planted = dir
            .path()
            .join(format!(".export.jsonl.{}.part", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        write_atomic(&target, b"data").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
        let private = dir.path().join("store.redb");
        create_private(&private).unwrap();
        let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
        assert_eq!(
            create_private(&planted).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
    }
}
