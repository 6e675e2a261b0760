//! `unplug check`: does a tree, or a patch on top of a tree, add users of
//! an interface the campaign is retiring?

use crate::ledger::record_scan::keyed_sites;
use crate::ledger::{Ledger, SiteState};
use crate::scan::{run_patterns, scan_document};
use anyhow::{bail, Context, Result};
use model::scan::{Site, Verdict};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A legacy site the campaign did not know.
#[derive(Debug, Clone, Serialize)]
pub struct NewUser {
    pub pattern: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub context: Option<String>,
    pub snippet: String,
    /// Why it counts as new (unknown, or converted/gone in the ledger).
    pub why: String,
}

impl NewUser {
    fn of(s: &Site, why: String) -> NewUser {
        NewUser {
            pattern: s.pattern.clone(),
            file: s.file.clone(),
            line: s.line,
            column: s.column,
            context: s.context.clone(),
            snippet: s.snippet.clone(),
            why,
        }
    }
}

impl std::fmt::Display for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: ERROR: new user of {}, an interface this campaign retires{}: {}\n+{}",
            self.file,
            self.line,
            self.pattern,
            self.context
                .as_deref()
                .map(|c| format!(" [{c}]"))
                .unwrap_or_default(),
            self.why,
            self.snippet
        )
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckResult {
    pub new_users: Vec<NewUser>,
    /// Legacy sites the campaign already tracks (not errors).
    pub known: usize,
    /// Files the check looked at (for a patch: the touched C files).
    pub files: usize,
}

impl CheckResult {
    /// Lines in checkpatch style, then a total.
    pub fn print(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        for n in &self.new_users {
            writeln!(w, "{n}")?;
        }
        writeln!(
            w,
            "total: {} new user(s) of retired interfaces, {} known site(s), {} file(s) checked",
            self.new_users.len(),
            self.known,
            self.files
        )
    }
}

/// Checks the whole `tree` (restricted to `paths`) against the ledger: a
/// legacy site is new when the ledger does not track it as open (unknown,
/// or tracked as applied, gone or converted), in a file some recorded scan
/// covered or under a directory it covered.
pub fn check_tree(
    ledger: &Ledger,
    tree: &Path,
    paths: &[String],
    extra_patterns: Option<&Path>,
) -> Result<CheckResult> {
    if ledger.state.scans.is_empty() {
        bail!("the campaign has no recorded scan to compare with: record one with `unplug scan TREE --campaign DIR`");
    }
    let outcome = run_patterns(tree, ledger.patterns(), paths, extra_patterns)?;
    let doc = scan_document(tree, &outcome, Some(paths));
    let mut res = CheckResult {
        files: outcome.stats.files,
        ..Default::default()
    };
    for (key, s) in keyed_sites(&doc)? {
        if s.verdict == Verdict::Converted {
            continue;
        }
        let why = match ledger.state.sites.get(&key) {
            Some(r) if matches!(r.state, SiteState::Open | SiteState::InSeries) => {
                res.known += 1;
                continue;
            }
            Some(r) if r.state == SiteState::NewUser => {
                "already recorded as a new user".to_string()
            }
            Some(r) => format!("{} in the campaign ledger", r.state),
            None => {
                if moved_open_site(ledger, tree, &s.pattern, s.context.as_deref()) {
                    res.known += 1;
                    continue;
                }
                "not in the campaign ledger".to_string()
            }
        };
        res.new_users.push(NewUser::of(s, why));
    }
    Ok(res)
}

/// An open site with this pattern and context whose file is not in `tree`
/// (the driver moved): best-effort rename tolerance.
fn moved_open_site(ledger: &Ledger, tree: &Path, pattern: &str, context: Option<&str>) -> bool {
    let Some(ctx) = context else { return false };
    ledger.state.sites.values().any(|r| {
        r.pattern == pattern
            && r.context.as_deref() == Some(ctx)
            && r.state.is_legacy()
            && !tree.join(&r.file).exists()
    })
}

/// Files a patch touches: (pre-image paths, post-image paths), `a/`/`b/`
/// stripped, `/dev/null` left out. The patch is bytes (file contents may
/// be in any encoding); names git quoted (`"a/x\ty.c"`) are unquoted.
pub fn patch_files(patch: &[u8]) -> Result<(Vec<String>, Vec<String>)> {
    let mut pre = BTreeSet::new();
    let mut post = BTreeSet::new();
    for line in patch.split(|&b| b == b'\n') {
        let (set, name, prefixed) =
            if let Some(p) = strip_any(line, &[b"rename from ", b"copy from "]) {
                (&mut pre, p, false)
            } else if let Some(p) = strip_any(line, &[b"rename to ", b"copy to "]) {
                (&mut post, p, false)
            } else if let Some(p) = line.strip_prefix(b"--- ") {
                (&mut pre, p, true)
            } else if let Some(p) = line.strip_prefix(b"+++ ") {
                (&mut post, p, true)
            } else {
                continue;
            };
        if let Some(name) = header_name(name, prefixed)? {
            set.insert(name);
        }
    }
    Ok((pre.into_iter().collect(), post.into_iter().collect()))
}

fn strip_any<'a>(line: &'a [u8], prefixes: &[&[u8]]) -> Option<&'a [u8]> {
    prefixes.iter().find_map(|p| line.strip_prefix(*p))
}

/// The path a header line names: C-unquoted when quoted, else up to a tab
/// (a timestamp may follow); `a/`/`b/` stripped when `prefixed`; `None`
/// for `/dev/null`.
fn header_name(raw: &[u8], prefixed: bool) -> Result<Option<String>> {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let name: Vec<u8> = if raw.starts_with(b"\"") {
        let (name, _) = gix_quote::ansi_c::undo(raw.into()).map_err(|e| {
            anyhow::anyhow!("bad quoted name {}: {e}", String::from_utf8_lossy(raw))
        })?;
        name.to_vec()
    } else {
        let end = raw.iter().position(|&b| b == b'\t').unwrap_or(raw.len());
        raw[..end].trim_ascii().to_vec()
    };
    let name = String::from_utf8(name).map_err(|e| {
        anyhow::anyhow!(
            "file name {:?} is not UTF-8: not supported",
            String::from_utf8_lossy(e.as_bytes())
        )
    })?;
    if name == "/dev/null" {
        return Ok(None);
    }
    let name = match prefixed {
        true => name
            .strip_prefix("a/")
            .or_else(|| name.strip_prefix("b/"))
            .unwrap_or(&name),
        false => &name,
    };
    Ok(Some(name.to_string()))
}

/// Applies `patch` (a unified diff or a `git format-patch` mail, `-p1`) to
/// scratch copies of the files it touches, taken from `tree`, and reports
/// the legacy sites of the post-image that the pre-image did not have.
/// `tree` itself is never modified.
pub fn check_patch(
    ledger: &Ledger,
    patch_file: &Path,
    tree: &Path,
    extra_patterns: Option<&Path>,
) -> Result<CheckResult> {
    let bytes = std::fs::read(patch_file)
        .with_context(|| format!("{}: cannot read the patch", patch_file.display()))?;
    let (pre_files, post_files) =
        patch_files(&bytes).with_context(|| format!("{}", patch_file.display()))?;
    if pre_files.is_empty() && post_files.is_empty() {
        bail!("{}: not a patch (no file headers)", patch_file.display());
    }
    let scratch = tempfile::tempdir()?;
    let pre_root = scratch.path().join("pre");
    let post_root = scratch.path().join("post");
    copy_preimage(patch_file, tree, &pre_files, &[&pre_root, &post_root])?;
    apply_in(patch_file, tree, &post_root, scratch.path())?;
    let pre_c = existing_sources(&pre_files, &pre_root);
    let post_c = existing_sources(&post_files, &post_root);
    let mut res = CheckResult {
        files: post_c.len(),
        ..Default::default()
    };
    if post_c.is_empty() {
        return Ok(res);
    }
    let before = LegacyBefore::scan(ledger, &pre_root, &pre_c, extra_patterns)?;
    let o = run_patterns(&post_root, ledger.patterns(), &post_c, extra_patterns)?;
    let doc = scan_document(&post_root, &o, Some(&post_c));
    for (key, s) in keyed_sites(&doc)? {
        if s.verdict == Verdict::Converted {
            continue;
        }
        if before.has(&key, s) {
            res.known += 1;
            continue;
        }
        res.new_users.push(new_user(ledger, &key, s));
    }
    Ok(res)
}

/// Copies the files the patch reads from `tree` into each scratch root.
fn copy_preimage(patch_file: &Path, tree: &Path, files: &[String], roots: &[&Path]) -> Result<()> {
    for root in roots {
        std::fs::create_dir_all(root)?;
    }
    for f in files {
        if f.contains("..") {
            bail!("{}: path {f:?} leaves the tree", patch_file.display());
        }
        let src = tree.join(f);
        if !src.is_file() {
            continue; // git apply will say it does not exist
        }
        for root in roots {
            let dst = root.join(f);
            std::fs::create_dir_all(dst.parent().unwrap())?;
            std::fs::copy(&src, &dst).with_context(|| format!("copying {}", src.display()))?;
        }
    }
    Ok(())
}

/// `git apply` of the patch in `root`, never looking above `scratch`.
fn apply_in(patch_file: &Path, tree: &Path, root: &Path, scratch: &Path) -> Result<()> {
    let abs_patch: PathBuf = std::fs::canonicalize(patch_file)?;
    let out = Command::new("git")
        .arg("apply")
        .arg("--whitespace=nowarn")
        .arg(&abs_patch)
        .current_dir(root)
        .env("GIT_CEILING_DIRECTORIES", scratch)
        .output()
        .context("running git apply")?;
    if !out.status.success() {
        bail!(
            "{}: does not apply to {}: {}",
            patch_file.display(),
            tree.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// The `.c`/`.h` files of `files` that exist under `root`.
fn existing_sources(files: &[String], root: &Path) -> Vec<String> {
    files
        .iter()
        .filter(|f| (f.ends_with(".c") || f.ends_with(".h")) && root.join(f).is_file())
        .cloned()
        .collect()
}

/// The legacy sites of the pre-image: by key, and by (pattern, context)
/// so that a site the patch only moved is not new.
struct LegacyBefore {
    keys: BTreeSet<String>,
    contexts: BTreeSet<(String, String)>,
}

impl LegacyBefore {
    fn scan(
        ledger: &Ledger,
        root: &Path,
        files: &[String],
        extra_patterns: Option<&Path>,
    ) -> Result<LegacyBefore> {
        let doc = if files.is_empty() {
            None
        } else {
            let o = run_patterns(root, ledger.patterns(), files, extra_patterns)?;
            Some(scan_document(root, &o, Some(files)))
        };
        let sites = match &doc {
            Some(d) => keyed_sites(d)?,
            None => vec![],
        };
        let legacy = || {
            sites
                .iter()
                .filter(|(_, s)| s.verdict != Verdict::Converted)
        };
        Ok(LegacyBefore {
            keys: legacy().map(|(k, _)| k.clone()).collect(),
            contexts: legacy()
                .filter_map(|(_, s)| s.context.clone().map(|c| (s.pattern.clone(), c)))
                .collect(),
        })
    }

    fn has(&self, key: &str, s: &Site) -> bool {
        self.keys.contains(key)
            || s.context
                .as_ref()
                .is_some_and(|c| self.contexts.contains(&(s.pattern.clone(), c.clone())))
    }
}

fn new_user(ledger: &Ledger, key: &str, s: &Site) -> NewUser {
    let why = match ledger.state.sites.get(key) {
        Some(r) => format!("added by the patch ({} in the campaign ledger)", r.state),
        None => "added by the patch".to_string(),
    };
    NewUser::of(s, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_of_a_patch() {
        let p = "From x\nSubject: y\n---\ndiff --git a/drivers/a.c b/drivers/a.c\n--- a/drivers/a.c\n+++ b/drivers/a.c\n@@ -1 +1 @@\n-x\n+y\ndiff --git a/drivers/new.c b/drivers/new.c\nnew file mode 100644\n--- /dev/null\n+++ b/drivers/new.c\n";
        let (pre, post) = patch_files(p.as_bytes()).unwrap();
        assert_eq!(pre, vec!["drivers/a.c"]);
        assert_eq!(post, vec!["drivers/a.c", "drivers/new.c"]);
    }

    #[test]
    fn quoted_names_and_raw_bytes() {
        let p = b"diff --git \"a/d/t\\tab.c\" \"b/d/t\\tab.c\"\n--- \"a/d/t\\tab.c\"\n+++ \"b/d/t\\tab.c\"\n@@ -1 +1 @@\n-\xff\n+\xfe\n--- a/d/sp ace.c\t\n+++ b/d/sp ace.c\t\nrename from \"d/\\303\\251.c\"\nrename to d/e.c\n";
        let (pre, post) = patch_files(p).unwrap();
        assert_eq!(pre, vec!["d/sp ace.c", "d/t\tab.c", "d/é.c"]);
        assert_eq!(post, vec!["d/e.c", "d/sp ace.c", "d/t\tab.c"]);
        assert!(patch_files(b"--- \"a/\\377.c\"\n").is_err());
    }
}
