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
        let file = tempfile::Builder::new()
            .prefix(&format!(".{}.", name.to_string_lossy()))
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
