//! Walking a kernel tree: which `.c` and `.h` files to look at, read in
//! parallel, with every unreadable path reported rather than skipped. The
//! tree is a boundary: `--path` must resolve inside it, the walk never
//! follows a symbolic link, only regular files are read, and `--in-place`
//! writes only regular files inside it.

use crate::model::Finding;
use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A source file larger than this is not read at all (a finding).
pub const MAX_READ_BYTES: u64 = 64 << 20;
/// A file that contains an anchor is parsed only up to this size...
pub const MAX_PARSE_BYTES: usize = 8 << 20;
/// ...and only if no line is longer than this (the parser's error recovery
/// and every per-line step cost more on one long line than on many short ones).
pub const MAX_LINE_BYTES: usize = 64 << 10;

/// A source file of the tree, read whole.
pub struct SourceFile {
    /// Relative to the tree root, `/`-separated.
    pub rel: String,
    pub bytes: Vec<u8>,
}

/// The `.c` and `.h` files below `root` (restricted to `subdirs` when
/// given), sorted, as paths relative to `root`. Problems met on the way
/// (permission denied, a symbolic link leaving the tree, a FIFO named
/// `.c`) are findings; the walk goes on.
pub fn list_sources(root: &Path, subdirs: &[String]) -> Result<(Vec<String>, Vec<Finding>)> {
    if !root.is_dir() {
        bail!("{}: not a directory", root.display());
    }
    let real_root = std::fs::canonicalize(root)
        .with_context(|| format!("{}: cannot resolve the tree", root.display()))?;
    let starts = resolve_subdirs(root, &real_root, subdirs)?;
    let found: std::sync::Mutex<(Vec<String>, Vec<Finding>)> = Default::default();
    for start in starts {
        // The whole tree is ~80,000 entries: walk it on every core.
        ignore::WalkBuilder::new(&start)
            .standard_filters(false)
            .hidden(true)
            .follow_links(false)
            .build_parallel()
            .run(|| {
                let (found, real_root) = (&found, &real_root);
                Box::new(move |entry| {
                    let (file, finding) = match entry {
                        Ok(e) => classify(real_root, &e),
                        Err(err) => (None, Some(walk_finding(real_root, &err))),
                    };
                    let mut found = found.lock().expect("no walker panics");
                    found.0.extend(file);
                    found.1.extend(finding);
                    ignore::WalkState::Continue
                })
            });
    }
    let (mut files, mut findings) = found.into_inner().expect("no walker panics");
    files.sort();
    files.dedup();
    findings.sort_by(|a, b| a.file.cmp(&b.file).then_with(|| a.message.cmp(&b.message)));
    findings.dedup_by(|a, b| a.file == b.file && a.message == b.message);
    Ok((files, findings))
}

/// Each `--path` as a real directory or file inside the tree (after `..`
/// and symbolic links); one that leaves the tree or does not exist is bad
/// input. An absolute path inside the tree is accepted.
fn resolve_subdirs(root: &Path, real_root: &Path, subdirs: &[String]) -> Result<Vec<PathBuf>> {
    if subdirs.is_empty() {
        return Ok(vec![real_root.to_path_buf()]);
    }
    subdirs
        .iter()
        .map(|s| {
            let real = std::fs::canonicalize(root.join(s)).map_err(|_| {
                anyhow::anyhow!("{}: --path {s} does not exist in the tree", root.display())
            })?;
            if !real.starts_with(real_root) {
                bail!(
                    "{}: --path {s} resolves to {}, outside the tree",
                    root.display(),
                    real.display()
                );
            }
            Ok(real)
        })
        .collect()
}

fn is_source_name(path: &Path) -> bool {
    path.extension().is_some_and(|x| x == "c" || x == "h")
}

/// What one walk entry contributes: a source file to read, or a finding.
/// Symbolic links are never followed. One whose target lies inside the
/// tree is skipped silently (the target is walked under its own name, and
/// writing through the link would change a file twice or under the wrong
/// name); one that leaves the tree or leads nowhere is skipped with a
/// finding when it names a source file or leads to a directory.
fn classify(real_root: &Path, e: &ignore::DirEntry) -> (Option<String>, Option<Finding>) {
    let Some(kind) = e.file_type() else {
        return (None, None);
    };
    let rel = || relative(real_root, e.path());
    if kind.is_symlink() {
        let target = std::fs::canonicalize(e.path());
        let finding = match target {
            Ok(t) if t.starts_with(real_root) => None,
            Ok(t) if t.is_dir() || is_source_name(e.path()) => Some(format!(
                "symbolic link to {} outside the tree, not followed",
                t.display()
            )),
            Ok(_) => None,
            Err(err) if is_source_name(e.path()) => Some(format!(
                "symbolic link that leads nowhere ({err}), not followed"
            )),
            Err(_) => None,
        };
        return (None, finding.map(|m| Finding::error(rel(), None, m)));
    }
    if !is_source_name(e.path()) || kind.is_dir() {
        return (None, None);
    }
    // Sites, findings, diffs and the ledger name files as UTF-8 text: a
    // name that is not cannot be read back or written under its own name.
    if e.path().to_str().is_none() {
        let what = "file name is not UTF-8: not examined";
        return (None, Some(Finding::error(rel(), None, what.to_string())));
    }
    if kind.is_file() {
        return (Some(rel()), None);
    }
    let what = format!("{}, not a regular file: not examined", special_kind(kind));
    (None, Some(Finding::error(rel(), None, what)))
}

fn special_kind(kind: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else {
        "a special file"
    }
}

/// `path` relative to `root`, `/`-separated. Joined from its components
/// (a backslash is an ordinary byte of a Unix file name, not a separator).
fn relative(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) => {
            let parts: Vec<_> = rel.iter().map(|c| c.to_string_lossy()).collect();
            parts.join("/")
        }
        Err(_) => path.to_string_lossy().into_owned(),
    }
}

fn walk_finding(root: &Path, err: &ignore::Error) -> Finding {
    let path = walk_error_path(err)
        .map(|p| relative(root, p))
        .unwrap_or_else(|| root.display().to_string());
    let message = match err.io_error() {
        Some(io) => format!("cannot read: {io}"),
        None => err.to_string(),
    };
    Finding::error(path, None, message)
}

fn walk_error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } => walk_error_path(err),
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

/// Opens `path` for reading only if it is a regular file, checked on the
/// opened descriptor: the open does not block on a FIFO (`O_NONBLOCK`) and
/// does not follow a final symbolic link when `no_follow` is set.
pub fn open_regular(path: &Path, no_follow: bool) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let flags = libc::O_NONBLOCK | if no_follow { libc::O_NOFOLLOW } else { 0 };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)?;
    let kind = file.metadata()?.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a directory"
        } else {
            special_kind(kind)
        };
        return Err(std::io::Error::other(format!("{what}, not a regular file")));
    }
    Ok(file)
}

/// Reads a regular file whole, refusing one larger than `limit` bytes
/// (and one that grows past it while being read).
pub fn read_regular(path: &Path, no_follow: bool, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    read_regular_into(path, no_follow, limit, &mut bytes)?;
    Ok(bytes)
}

/// `read_regular` into `bytes`, replacing what it held: a caller that
/// reads many files and keeps few reuses one buffer.
fn read_regular_into(
    path: &Path,
    no_follow: bool,
    limit: u64,
    bytes: &mut Vec<u8>,
) -> std::io::Result<()> {
    let file = open_regular(path, no_follow)?;
    let len = file.metadata()?.len();
    let too_big = || std::io::Error::other(format!("larger than {} MiB, not read", limit >> 20));
    if len > limit {
        return Err(too_big());
    }
    bytes.clear();
    bytes.reserve(len as usize);
    file.take(limit + 1).read_to_end(bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(())
}

/// Reads one source file. Binary files (a NUL byte in the first 8 KiB) are
/// refused with a finding: they cannot be C; so are files whose lines end
/// in a bare CR.
pub fn read_source(root: &Path, rel: &str) -> Result<SourceFile, Finding> {
    let mut bytes = Vec::new();
    read_source_into(root, rel, &mut bytes)?;
    Ok(SourceFile {
        rel: rel.to_string(),
        bytes,
    })
}

/// `read_source` into `bytes`.
fn read_source_into(root: &Path, rel: &str, bytes: &mut Vec<u8>) -> Result<(), Finding> {
    read_regular_into(&root.join(rel), true, MAX_READ_BYTES, bytes)
        .map_err(|e| Finding::error(rel, None, format!("cannot read: {e}")))?;
    if memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some() {
        return Err(Finding::error(
            rel,
            None,
            "binary file (contains NUL bytes), not examined",
        ));
    }
    if cr_line_ends(bytes) {
        return Err(Finding::error(
            rel,
            None,
            "CR-only line ends (no LF), not examined: convert them to LF first",
        ));
    }
    Ok(())
}

/// Whether lines end in a bare CR (old Mac style) rather than LF: the
/// parser and every line number would see one line, so nothing would be
/// found and nothing said. A CR of a CRLF pair does not count.
fn cr_line_ends(bytes: &[u8]) -> bool {
    // Nearly every file has no CR at all: one pass decides it.
    if memchr::memchr(b'\r', bytes).is_none() {
        return false;
    }
    let crs = memchr::memchr_iter(b'\r', bytes).count();
    let lfs = memchr::memchr_iter(b'\n', bytes).count();
    let crlfs = memchr::memmem::find_iter(bytes, b"\r\n").count();
    crs - crlfs > lfs
}

/// A file of the tree (a header a pattern probes) as text; `None` when the
/// tree has no such file. Any other failure to read it is a finding: the
/// probe's answer would otherwise be a silent guess.
pub fn read_probe(root: &Path, rel: &str) -> Result<Option<String>, Finding> {
    match read_regular(&root.join(rel), false, MAX_READ_BYTES) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Finding::error(
            rel,
            None,
            format!("cannot read, so the tree's interface is taken as absent: {e}"),
        )),
    }
}

/// Why a file is too large to parse, if it is: see `MAX_PARSE_BYTES` and
/// `MAX_LINE_BYTES` (documented in README.md, Limits).
pub fn parse_limit_exceeded(bytes: &[u8]) -> Option<String> {
    if bytes.len() > MAX_PARSE_BYTES {
        return Some(format!(
            "{} bytes, more than the {} MiB a file is parsed up to: not examined",
            bytes.len(),
            MAX_PARSE_BYTES >> 20
        ));
    }
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', bytes).chain([bytes.len()]);
    for (line, end) in (1..).zip(ends) {
        if end - start > MAX_LINE_BYTES {
            return Some(format!(
                "line {line} is {} bytes long, more than the {} KiB a line may have: not examined",
                end - start,
                MAX_LINE_BYTES >> 10
            ));
        }
        start = end + 1;
    }
    None
}

/// Reads `rels` in parallel and keeps those for which `keep` says yes,
/// along with what `keep` returned. Read failures, and kept files past
/// the parse limits, become findings.
pub fn read_filtered<T: Send>(
    root: &Path,
    rels: &[String],
    keep: impl Fn(&[u8]) -> Option<T> + Sync,
    tick: impl Fn() + Sync,
) -> (Vec<(SourceFile, T)>, Vec<Finding>) {
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    // Each file is read into its thread's buffer and copied out only when
    // kept: most files of a tree are not, and a fresh allocation for each
    // cost more in page faults than the reading.
    let read_one = |rel: &String, buf: &mut Vec<u8>| {
        let read = read_source_into(root, rel, buf);
        tick();
        read?;
        let Some(t) = keep(buf) else {
            return Ok(None);
        };
        match parse_limit_exceeded(buf) {
            Some(why) => Err(Finding::error(rel, None, why)),
            None => Ok(Some((
                SourceFile {
                    rel: rel.clone(),
                    bytes: buf.clone(),
                },
                t,
            ))),
        }
    };
    let results: Vec<Result<Option<(SourceFile, T)>, Finding>> = rels
        .par_iter()
        .map(|rel| BUF.with(|b| read_one(rel, &mut b.borrow_mut())))
        .collect();
    let mut kept = Vec::new();
    let mut findings = Vec::new();
    for r in results {
        match r {
            Ok(Some(x)) => kept.push(x),
            Ok(None) => {}
            Err(f) => findings.push(f),
        }
    }
    (kept, findings)
}

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory, renamed over the original, which keeps its permissions.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .context("a file path has a parent directory")?;
    let perms = std::fs::metadata(path).map(|m| m.permissions()).ok();
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("{}: cannot create a temporary file", dir.display()))?;
    tmp.write_all(bytes)
        .with_context(|| format!("{}: write failed", path.display()))?;
    tmp.as_file().sync_all()?;
    if let Some(p) = perms {
        tmp.as_file().set_permissions(p)?;
    }
    tmp.persist(path)
        .with_context(|| format!("{}: cannot replace", path.display()))?;
    Ok(())
}

/// Replaces the file `rel` of the tree at `root` by `after`, atomically (a
/// temporary file in the same directory, fsynced, renamed over it, with
/// the original's permissions), only if it still is a regular file inside
/// the tree (not a symbolic link, not under a directory that leads out of
/// the tree) and still holds `before`: an edit someone made while we ran
/// is never overwritten. The check is made right before the rename.
pub fn write_in_place(root: &Path, rel: &str, before: &[u8], after: &[u8]) -> Result<(), Finding> {
    let refuse = |why: String| Finding::error(rel, None, format!("{why}; not written"));
    let path = root.join(rel);
    let real_root = std::fs::canonicalize(root).map_err(|e| refuse(format!("tree: {e}")))?;
    let dir = path
        .parent()
        .ok_or_else(|| refuse("no parent directory".into()))?;
    let real_dir = std::fs::canonicalize(dir).map_err(|e| refuse(e.to_string()))?;
    if !real_dir.starts_with(&real_root) {
        return Err(refuse(format!(
            "its directory resolves to {}, outside the tree",
            real_dir.display()
        )));
    }
    let target = real_dir.join(
        path.file_name()
            .ok_or_else(|| refuse("no file name".into()))?,
    );
    let tmp = temp_with(&target, &real_dir, after).map_err(|e| refuse(format!("{e:#}")))?;
    let now = read_regular(&target, true, MAX_READ_BYTES)
        .map_err(|e| refuse(format!("no longer a regular file we can read ({e})")))?;
    if now != before {
        return Err(refuse(
            "changed since it was read (edited while unplug ran)".into(),
        ));
    }
    tmp.persist(&target)
        .map_err(|e| refuse(format!("cannot replace: {}", e.error)))?;
    Ok(())
}

/// A temporary file beside `target` holding `bytes`, synced, with the
/// permissions `target` has.
fn temp_with(target: &Path, dir: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile> {
    use std::io::Write;
    let perms = std::fs::symlink_metadata(target)
        .map(|m| m.permissions())
        .ok();
    // Named for what it is, should a kill leave it behind in the tree.
    let mut tmp = tempfile::Builder::new()
        .prefix(".unplug-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("{}: cannot create a temporary file", dir.display()))?;
    tmp.write_all(bytes).context("write failed")?;
    tmp.as_file().sync_all()?;
    if let Some(p) = perms {
        tmp.as_file().set_permissions(p)?;
    }
    Ok(tmp)
}

/// `6.1.192` from the tree's top Makefile, if it has one.
pub fn kernel_version(root: &Path) -> Option<String> {
    let make = read_regular(&root.join("Makefile"), false, MAX_READ_BYTES).ok()?;
    let make = String::from_utf8_lossy(&make);
    let field = |name: &str| {
        make.lines().find_map(|l| {
            l.strip_prefix(name)
                .and_then(|r| r.trim_start().strip_prefix('='))
                .map(|v| v.trim().to_string())
        })
    };
    let (v, p, s) = (
        field("VERSION")?,
        field("PATCHLEVEL")?,
        field("SUBLEVEL").unwrap_or_default(),
    );
    Some(if s.is_empty() {
        format!("{v}.{p}")
    } else {
        format!("{v}.{p}.{s}")
    })
}
