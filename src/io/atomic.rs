//! Output files, written safely.
//!
//! - A regular file (or a new one) is written to a temporary file in the same folder, flushed
//!   to disk, then renamed over the target: a reader, or a crash, sees the old file or the new
//!   one, never half of one.
//! - The temporary file's name is unpredictable and it is created with `O_CREAT | O_EXCL`,
//!   which never follows a symbolic link: a link planted in the folder cannot redirect the
//!   write to another file.
//! - A target that exists and is not a regular file (`/dev/null`, `/dev/stdout`, a FIFO) is
//!   written directly: renaming over it would replace a device with a plain file.
//! - An output that is one of the run's inputs is refused ([`refuse_input`]).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Creates a new, empty temporary file for `name` in `dir`, exclusively (see the module
/// docs); returns it with its path.
pub fn create_temp(dir: &Path, name: &str) -> std::io::Result<(File, PathBuf)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    for _ in 0..64 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let seed = format!(
            "{}:{}:{nanos}:{:p}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            &COUNTER
        );
        let tag = twox_hash::XxHash3_128::oneshot(seed.as_bytes());
        let tmp = dir.join(format!(".{name}.{:016x}.tmp", tag as u64));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((f, tmp)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!(
            "could not create a temporary file in {} (64 names taken)",
            dir.display()
        ),
    ))
}

/// The folder a file is written in (`.` for a bare name).
pub fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Whether `path` exists and is not a regular file or a folder: a device or a FIFO, written
/// in place.
pub fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Writes a file atomically (see the module docs).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if is_special(path) {
        let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
        return f.write_all(bytes).and_then(|()| f.flush());
    }
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a folder; name a file to write",
        ));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let (mut f, tmp) = create_temp(folder_of(path), &name)?;
    let result = (|| {
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// An error when `output` is the same file as one of `inputs` (the same device and inode:
/// through links and other spellings too). Writing it would destroy the input the report
/// is about.
pub fn refuse_input<'a>(
    output: &Path,
    inputs: impl IntoIterator<Item = &'a Path>,
) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let Ok(out) = std::fs::metadata(output) else {
        return Ok(());
    };
    if !out.is_file() {
        return Ok(());
    }
    for input in inputs {
        if let Ok(m) = std::fs::metadata(input) {
            if m.dev() == out.dev() && m.ino() == out.ino() {
                return Err(format!(
                    "{}: the output is the input file {}; writing it would destroy the input. Name another output",
                    output.display(),
                    input.display()
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("out.json");
        std::fs::write(&p, "old").unwrap();
        write_atomic(&p, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    /// Hostile input, class 11: a symlink planted where the old predictable temporary name
    /// was is never followed; temporary names differ from call to call.
    #[test]
    fn temporaries_are_exclusive_and_unpredictable() {
        let tmp = tempfile::tempdir().unwrap();
        let (_, a) = create_temp(tmp.path(), "x").unwrap();
        let (_, b) = create_temp(tmp.path(), "x").unwrap();
        assert_ne!(a, b);
        let victim = tmp.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let planted = tmp.path().join(format!(".out.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, planted).unwrap();
        write_atomic(&tmp.path().join("out"), b"report").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("out")).unwrap(),
            "report"
        );
    }

    /// Hostile input, class 12: a device is written in place, never replaced by a file.
    #[test]
    fn devices_are_written_in_place() {
        write_atomic(Path::new("/dev/null"), b"report").unwrap();
        let m = std::fs::metadata("/dev/null").unwrap();
        assert!(!m.is_file(), "/dev/null must stay a device");
    }

    #[test]
    fn an_input_is_not_an_output() {
        let tmp = tempfile::tempdir().unwrap();
        let input = tmp.path().join("in.geojson");
        std::fs::write(&input, "{}").unwrap();
        let link = tmp.path().join("link.geojson");
        std::fs::hard_link(&input, &link).unwrap();
        assert!(refuse_input(&link, [input.as_path()]).is_err());
        assert!(refuse_input(&tmp.path().join("new.json"), [input.as_path()]).is_ok());
    }
}
