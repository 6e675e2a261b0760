//! `--check`: apply every series with `git am -3` in a scratch repository
//! that holds the original files, and run the tree's checkpatch.pl on each
//! mail.  The user's tree is only read (checkpatch runs with `--root`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{bail, Context, Result};

use crate::{DriverChange, PatchCheck, SeriesReport};

fn git(dir: &Path, args: &[&str]) -> Result<Output> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "unplug")
        .env("GIT_AUTHOR_EMAIL", "unplug@localhost.invalid")
        .env("GIT_COMMITTER_NAME", "unplug")
        .env("GIT_COMMITTER_EMAIL", "unplug@localhost.invalid")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .with_context(|| format!("running git {}", args.join(" ")))
}

fn tail(o: &Output, n: usize) -> String {
    let mut s = String::from_utf8_lossy(&o.stdout).to_string();
    s += &String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[..lines.len().min(n)].join("\n")
}

/// A scratch git repository with `files` committed.
pub fn scratch_repo(files: &BTreeMap<String, (Vec<u8>, u32)>) -> Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix("unplug-series-check")
        .tempdir()?;
    let p = dir.path();
    let o = git(p, &["init", "-q", "-b", "base"])?;
    if !o.status.success() {
        bail!("git init failed: {}", tail(&o, 5));
    }
    for (rel, (content, mode)) in files {
        let f = p.join(rel);
        std::fs::create_dir_all(f.parent().unwrap())?;
        std::fs::write(&f, content)?;
        #[cfg(unix)]
        if mode & 0o111 != 0 {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    let o = git(p, &["add", "-A", "."])?;
    if !o.status.success() {
        bail!("git add failed: {}", tail(&o, 5));
    }
    let o = git(p, &["commit", "-q", "--allow-empty", "-m", "base"])?;
    if !o.status.success() {
        bail!("git commit failed: {}", tail(&o, 5));
    }
    Ok(dir)
}

/// Applies one mail with `git am -3 --keep-cr` (a CR before a line's end
/// survives the mail only so, as with git's own patches); on failure aborts so the next one can
/// be tried.  Returns (applied, output tail).
pub fn am(repo: &Path, patch: &Path) -> Result<(bool, String)> {
    let abs = std::fs::canonicalize(patch)?;
    let o = git(
        repo,
        &[
            "am",
            "-3",
            "--keep-cr",
            "-q",
            abs.to_str().unwrap_or_default(),
        ],
    )?;
    if o.status.success() {
        return Ok((true, String::new()));
    }
    let detail = tail(&o, 6);
    let _ = git(repo, &["am", "--abort"]);
    Ok((false, detail))
}

/// checkpatch.pl counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckpatchResult {
    pub errors: u32,
    pub warnings: u32,
    pub checks: u32,
    pub output: String,
}

/// Parses checkpatch's `total: N errors, M warnings, K checks, L lines checked`.
pub fn parse_checkpatch_total(out: &str) -> Option<(u32, u32, u32)> {
    let re = regex::Regex::new(
        r"total: (\d+) errors?, (\d+) warnings?,(?: (\d+) checks?,)? \d+ lines checked",
    )
    .unwrap();
    let c = re.captures(out)?;
    Some((
        c[1].parse().ok()?,
        c[2].parse().ok()?,
        c.get(3).and_then(|m| m.as_str().parse().ok()).unwrap_or(0),
    ))
}

/// Runs `<tree>/scripts/checkpatch.pl` on a mail, if the tree has one.
pub fn checkpatch(tree: &Path, patch: &Path, cwd: &Path) -> Result<Option<CheckpatchResult>> {
    let script = tree.join("scripts/checkpatch.pl");
    if !script.is_file() {
        return Ok(None);
    }
    let tree_abs = std::fs::canonicalize(tree)?;
    let abs = std::fs::canonicalize(patch)?;
    let o = Command::new("perl")
        .arg(tree_abs.join("scripts/checkpatch.pl"))
        .arg(format!("--root={}", tree_abs.display()))
        .args(["--no-color", "--show-types"])
        .arg(&abs)
        .current_dir(cwd)
        .output()
        .context("running checkpatch.pl")?;
    let out = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    // no total line: checkpatch could not run; count that as one error
    let (errors, warnings, checks) = parse_checkpatch_total(&out).unwrap_or((1, 0, 0));
    Ok(Some(CheckpatchResult {
        errors,
        warnings,
        checks,
        output: out,
    }))
}

/// Fills `check` of every patch of the report.
pub fn check_report(
    tree: &Path,
    changes: &[DriverChange],
    report: &mut SeriesReport,
) -> Result<()> {
    let by_key: BTreeMap<&str, &DriverChange> =
        changes.iter().map(|c| (c.key.as_str(), c)).collect();
    for s in &mut report.series {
        // original content of every file the series touches
        let mut files: BTreeMap<String, (Vec<u8>, u32)> = BTreeMap::new();
        for p in &s.patches {
            for k in &p.drivers {
                if let Some(c) = by_key.get(k.as_str()) {
                    for f in &c.files {
                        files
                            .entry(f.rel_path.clone())
                            .or_insert_with(|| (f.before.clone(), f.mode));
                    }
                }
            }
        }
        let repo = scratch_repo(&files)?;
        for p in &mut s.patches {
            let path: PathBuf = p.path.clone();
            let (applies, am_detail) = am(repo.path(), &path)?;
            let cp = checkpatch(tree, &path, repo.path())?;
            let mut detail = am_detail;
            if let Some(c) = &cp {
                if c.errors + c.warnings > 0 {
                    let issues: Vec<&str> = c
                        .output
                        .lines()
                        .filter(|l| l.starts_with("ERROR:") || l.starts_with("WARNING:"))
                        .take(5)
                        .collect();
                    if !detail.is_empty() {
                        detail.push('\n');
                    }
                    detail += &issues.join("\n");
                }
            }
            p.check = Some(PatchCheck {
                applies,
                checkpatch_errors: cp.as_ref().map(|c| c.errors),
                checkpatch_warnings: cp.as_ref().map(|c| c.warnings),
                checkpatch_checks: cp.as_ref().map(|c| c.checks),
                detail,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals() {
        assert_eq!(
            parse_checkpatch_total("total: 0 errors, 1 warnings, 22 lines checked"),
            Some((0, 1, 0))
        );
        assert_eq!(
            parse_checkpatch_total("total: 2 errors, 0 warnings, 3 checks, 22 lines checked"),
            Some((2, 0, 3))
        );
    }
}
