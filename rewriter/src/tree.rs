//! Walking a kernel tree: which `.c` and `.h` files to look at, read in
//! parallel, with every unreadable path reported rather than skipped.

use crate::model::Finding;
use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// A source file of the tree, read whole.
pub struct SourceFile {
    /// Relative to the tree root, `/`-separated.
    pub rel: String,
    pub bytes: Vec<u8>,
}

/// The `.c` and `.h` files below `root` (restricted to `subdirs` when
/// given), sorted, as paths relative to `root`. Problems met on the way
/// (permission denied, symlink loops) are findings; the walk goes on.
pub fn list_sources(root: &Path, subdirs: &[String]) -> Result<(Vec<String>, Vec<Finding>)> {
    if !root.is_dir() {
        bail!("{}: not a directory", root.display());
    }
    let starts: Vec<PathBuf> = if subdirs.is_empty() {
        vec![root.to_path_buf()]
    } else {
        subdirs
            .iter()
            .map(|s| {
                let p = root.join(s.trim_end_matches('/'));
                if p.exists() {
                    Ok(p)
                } else {
                    bail!("{}: --path {s} does not exist in the tree", root.display())
                }
            })
            .collect::<Result<_>>()?
    };
    let found: std::sync::Mutex<(Vec<String>, Vec<Finding>)> = Default::default();
    for start in starts {
        // The whole tree is ~80,000 entries: walk it on every core.
        ignore::WalkBuilder::new(&start)
            .standard_filters(false)
            .hidden(true)
            .follow_links(true)
            .build_parallel()
            .run(|| {
                let found = &found;
                Box::new(move |entry| {
                    match entry {
                        Ok(e) => {
                            let is_source =
                                e.path().extension().is_some_and(|x| x == "c" || x == "h");
                            if is_source && e.file_type().is_some_and(|t| t.is_file()) {
                                let rel = relative(root, e.path());
                                found.lock().expect("no walker panics").0.push(rel);
                            }
                        }
                        Err(err) => {
                            let f = walk_finding(root, &err);
                            found.lock().expect("no walker panics").1.push(f);
                        }
                    }
                    ignore::WalkState::Continue
                })
            });
    }
    let (mut files, mut findings) = found.into_inner().expect("no walker panics");
    files.sort();
    files.dedup();
    findings.sort_by(|a, b| a.file.cmp(&b.file).then_with(|| a.message.cmp(&b.message)));
    Ok((files, findings))
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
        None if err.to_string().contains("loop") => "symbolic link loop, not followed".to_string(),
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

/// Reads one source file. Binary files (a NUL byte in the first 8 KiB) are
/// refused with a finding: they cannot be C; so are files whose lines end
/// in a bare CR.
pub fn read_source(root: &Path, rel: &str) -> Result<SourceFile, Finding> {
    let bytes = std::fs::read(root.join(rel))
        .map_err(|e| Finding::error(rel, None, format!("cannot read: {e}")))?;
    if memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some() {
        return Err(Finding::error(
            rel,
            None,
            "binary file (contains NUL bytes), not examined",
        ));
    }
    if cr_line_ends(&bytes) {
        return Err(Finding::error(
            rel,
            None,
            "CR-only line ends (no LF), not examined: convert them to LF first",
        ));
    }
    Ok(SourceFile {
        rel: rel.to_string(),
        bytes,
    })
}

/// Whether lines end in a bare CR (old Mac style) rather than LF: the
/// parser and every line number would see one line, so nothing would be
/// found and nothing said. A CR of a CRLF pair does not count.
fn cr_line_ends(bytes: &[u8]) -> bool {
    let crs = memchr::memchr_iter(b'\r', bytes).count();
    let lfs = memchr::memchr_iter(b'\n', bytes).count();
    let crlfs = memchr::memmem::find_iter(bytes, b"\r\n").count();
    crs - crlfs > lfs
}

/// Reads `rels` in parallel and keeps those for which `keep` says yes,
/// along with what `keep` returned. Read failures become findings.
pub fn read_filtered<T: Send>(
    root: &Path,
    rels: &[String],
    keep: impl Fn(&[u8]) -> Option<T> + Sync,
    tick: impl Fn() + Sync,
) -> (Vec<(SourceFile, T)>, Vec<Finding>) {
    let results: Vec<Result<Option<(SourceFile, T)>, Finding>> = rels
        .par_iter()
        .map(|rel| {
            let file = read_source(root, rel);
            tick();
            let file = file?;
            Ok(keep(&file.bytes).map(|t| (file, t)))
        })
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

/// `6.1.192` from the tree's top Makefile, if it has one.
pub fn kernel_version(root: &Path) -> Option<String> {
    let make = std::fs::read_to_string(root.join("Makefile")).ok()?;
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
