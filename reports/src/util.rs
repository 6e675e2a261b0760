//! Small helpers: UTC timestamps without a date crate, git commit of a
//! tree, and the file-system pieces of the ledger's safety (durable atomic
//! writes, the campaign lock, leftover cleanup, path resolution).

use anyhow::{bail, Context, Result};
use std::fs::File;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// Prefix of the temporary files [`write_atomic`] creates next to its
/// target: a run killed mid-write leaves one, and the next save into the
/// campaign recognizes and removes it.
pub const TMP_PREFIX: &str = ".unplug-tmp-";

/// `2026-11-25T18:45:00Z` for now (or `UNPLUG_NOW` when set, for tests and
/// reproducible reports).
pub fn now_utc() -> String {
    if let Ok(v) = std::env::var("UNPLUG_NOW") {
        if !v.is_empty() {
            return v;
        }
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    format_utc(secs)
}

pub fn format_utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = series::mbox::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// `drivers/gpio/gpio-foo.c` -> `gpio_foo` (the module name kbuild gives a
/// one-file driver).
pub fn module_of_file(file: &str) -> String {
    let base = file.rsplit('/').next().unwrap_or(file);
    let stem = base.strip_suffix(".c").unwrap_or(base);
    stem.replace('-', "_")
}

/// Replaces `path` with `bytes` so that a reader (or a crash) sees either
/// the old or the new content, never a mix: a temporary file in the same
/// directory, written, given the final mode (the replaced file's, else what
/// the umask gives a new file) and fsynced, is renamed over `path`; the
/// directory is fsynced so that the rename survives a power cut.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let existing = std::fs::metadata(path).ok().map(|m| m.permissions());
    let mut builder = tempfile::Builder::new();
    builder.prefix(TMP_PREFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // open(2) applies the umask to this, as to any new file.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .with_context(|| format!("{}: cannot create a temporary file", dir.display()))?;
    tmp.write_all(bytes)
        .with_context(|| format!("{}: write failed", path.display()))?;
    if let Some(p) = existing {
        tmp.as_file().set_permissions(p)?;
    }
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("{}: fsync failed", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("{}: cannot replace", path.display()))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("{}: fsync of the directory failed", dir.display()))
}

/// Told the campaign directory when a run must wait for another unplug
/// holding its lock (a wait that would otherwise look like a hang); the
/// program shows it, the library never prints. Set once, at start-up.
static WAIT_NOTICE: std::sync::OnceLock<fn(&Path)> = std::sync::OnceLock::new();

/// Has `notice` told of every wait for a campaign lock (see [`DirLock`]).
/// Only the first call counts: the program sets it once.
pub fn set_lock_wait_notice(notice: fn(&Path)) {
    let _ = WAIT_NOTICE.set(notice);
}

/// An exclusive advisory lock (`flock`) on a directory, held until dropped.
/// The kernel releases it when the process dies, so a killed run never
/// leaves a stale lock; locking the directory itself leaves no lock file.
pub struct DirLock {
    _held: File,
}

impl DirLock {
    /// Waits until no other process holds the lock, telling the notice of
    /// [`set_lock_wait_notice`] first when it has to wait.
    pub fn acquire(dir: &Path) -> Result<DirLock> {
        let f = File::open(dir).with_context(|| format!("{}: cannot open", dir.display()))?;
        match f.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                if let Some(notice) = WAIT_NOTICE.get() {
                    notice(dir);
                }
                f.lock()
                    .with_context(|| format!("{}: cannot lock", dir.display()))?;
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("{}: cannot lock", dir.display()))
            }
        }
        Ok(DirLock { _held: f })
    }
}

/// A temporary file of a killed write: ours ([`TMP_PREFIX`]), or
/// `.tmpXXXXXX`, the name earlier unplug versions used.
fn is_tmp_leftover(name: &str) -> bool {
    if name.starts_with(TMP_PREFIX) {
        return true;
    }
    name.strip_prefix(".tmp")
        .is_some_and(|r| r.len() == 6 && r.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Removes the temporary files of killed writes from `dir` (only call it
/// under the lock of the directory's campaign: any such file is then a
/// leftover, not a write in progress). A missing `dir` has none.
pub fn remove_tmp_leftovers(dir: &Path) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("{}: cannot read", dir.display())),
    };
    for e in entries {
        let e = e?;
        let leftover = e.file_name().to_str().is_some_and(is_tmp_leftover);
        if leftover && e.file_type()?.is_file() {
            std::fs::remove_file(e.path())
                .with_context(|| format!("{}: cannot remove", e.path().display()))?;
        }
    }
    Ok(())
}

/// Where `p` leads: an absolute path with `.`, `..` and symlinks resolved.
/// The longest existing prefix is canonicalized; the rest, which a writer
/// would create as plain directories and files, is applied lexically. A
/// symlink that leads nowhere (dangling, or a loop) is an error: where it
/// would write cannot be told.
pub fn resolve(p: &Path) -> Result<PathBuf> {
    let abs = std::path::absolute(p).with_context(|| format!("{}: bad path", p.display()))?;
    let parts: Vec<Component> = abs.components().collect();
    for i in (1..=parts.len()).rev() {
        let prefix: PathBuf = parts[..i].iter().collect();
        if let Ok(mut out) = std::fs::canonicalize(&prefix) {
            for c in &parts[i..] {
                match c {
                    Component::ParentDir => {
                        out.pop();
                    }
                    Component::Normal(n) => out.push(n),
                    _ => {}
                }
            }
            return Ok(out);
        }
        if std::fs::symlink_metadata(&prefix).is_ok() {
            bail!(
                "{}: {} is a symlink that leads nowhere",
                p.display(),
                prefix.display()
            );
        }
    }
    bail!("{}: no part of this path exists", p.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(1_795_632_300), "2026-11-25T18:45:00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn leftover_names() {
        assert!(is_tmp_leftover(".unplug-tmp-a1B2c3"));
        assert!(is_tmp_leftover(".tmpAb3dE9"));
        assert!(!is_tmp_leftover(".tmp"));
        assert!(!is_tmp_leftover(".tmpfile-of-mine"));
        assert!(!is_tmp_leftover("ledger.json"));
    }

    #[test]
    fn resolved_paths() {
        let tmp = tempfile::tempdir().unwrap();
        let top = std::fs::canonicalize(tmp.path()).unwrap();
        std::fs::create_dir(top.join("a")).unwrap();
        std::os::unix::fs::symlink(top.join("a"), top.join("l")).unwrap();
        let r = |p: &str| resolve(&top.join(p)).unwrap();
        assert_eq!(r("l/x.md"), top.join("a/x.md"));
        assert_eq!(r("new/../a/./x"), top.join("a/x"));
        assert_eq!(r("a/new/deeper/../x"), top.join("a/new/x"));
        std::os::unix::fs::symlink(top.join("nowhere"), top.join("d")).unwrap();
        assert!(resolve(&top.join("d/x")).is_err());
    }

    #[test]
    fn modules() {
        assert_eq!(module_of_file("drivers/gpio/gpio-foo.c"), "gpio_foo");
    }

    static WAITED_ON: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(vec![]);

    fn waited(dir: &Path) {
        WAITED_ON.lock().unwrap().push(dir.to_path_buf());
    }

    /// A run that must wait for the lock tells the program's notice (the
    /// library prints nothing), then gets the lock once the holder is done.
    #[test]
    fn waiting_for_the_lock_is_told() {
        set_lock_wait_notice(waited);
        let d = tempfile::tempdir().unwrap();
        let held = DirLock::acquire(d.path()).unwrap();
        assert!(WAITED_ON.lock().unwrap().is_empty());
        let dir = d.path().to_path_buf();
        let waiter = std::thread::spawn(move || DirLock::acquire(&dir).map(drop));
        while WAITED_ON.lock().unwrap().is_empty() {
            std::thread::yield_now();
        }
        assert_eq!(*WAITED_ON.lock().unwrap(), [d.path().to_path_buf()]);
        drop(held);
        waiter.join().unwrap().unwrap();
    }
}
