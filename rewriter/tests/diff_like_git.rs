//! Our hunks equal `git diff`'s for real rewrites: every built-in
//! pattern's changes on the sample tree and on each fixture case's input
//! tree, and, when `UNPLUG_DIFF_TREE` names a kernel tree, on its
//! `UNPLUG_DIFF_PATHS` (comma-separated, default `drivers/gpio`). Each
//! tree's changes go into a scratch git repository carrying the kernel's
//! `.gitattributes` rules for C (`diff=cpp`); git's output for each file,
//! from the first `@@` on, must equal ours byte for byte. Skipped (with a
//! note) when git is not installed.

use rewriter::diff::{unified_hunks, Attributes};
use rewriter::engine::{run, RunOptions};
use rewriter::model::FileChange;
use std::path::{Path, PathBuf};
use std::process::Command;

const KERNEL_ATTRIBUTES: &str = "*.c\tdiff=cpp\n*.h\tdiff=cpp\n";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .into()
}

fn have_git() -> bool {
    let ok = Command::new("git").arg("--version").output().is_ok();
    if !ok {
        eprintln!("git is not installed: the comparison with git diff is skipped");
    }
    ok
}

/// Every built-in pattern's changes on `tree` (below `paths`, if any).
fn changes(tree: &Path, paths: &[String]) -> Vec<FileChange> {
    let patterns = rewriter::pattern::load_all(None).unwrap();
    let refs: Vec<_> = patterns.iter().collect();
    let opts = RunOptions {
        paths: paths.to_vec(),
        assume_api: true,
        ..Default::default()
    };
    run(tree, &refs, &opts).unwrap().changes
}

/// Runs git in `dir` with no user or system configuration.
fn git(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("git")
        .args(["-c", "core.quotePath=true", "-c", "core.autocrlf=false"])
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `git diff`'s hunks for each change, `before` staged and `after` in the
/// work tree.
fn git_hunks(changes: &[FileChange]) -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    std::fs::write(d.join(".gitattributes"), KERNEL_ATTRIBUTES).unwrap();
    for c in changes {
        let p = d.join(&c.file);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &c.before).unwrap();
    }
    git(d, &["add", "-A"]);
    for c in changes {
        std::fs::write(d.join(&c.file), &c.after).unwrap();
    }
    changes
        .iter()
        .map(|c| {
            let out = git(
                d,
                &["diff", "--no-color", "--no-ext-diff", "-U3", "--", &c.file],
            );
            let at = out
                .windows(3)
                .position(|w| w == b"@@ ")
                .unwrap_or(out.len());
            out[at..].to_vec()
        })
        .collect()
}

/// Asserts that our hunks equal git's for every change; returns how many
/// files were compared.
fn assert_like_git(name: &str, changes: &[FileChange]) -> usize {
    let attrs = Attributes::parse(KERNEL_ATTRIBUTES);
    for (c, want) in changes.iter().zip(git_hunks(changes)) {
        let ours = unified_hunks(&c.before, &c.after, 3, attrs.funcname(&c.file)).text;
        assert!(
            ours == want,
            "{name}: {}: our hunks differ from git diff's\n--- ours\n{}\n--- git\n{}",
            c.file,
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&want)
        );
    }
    changes.len()
}

#[test]
fn sample_tree_rewrites_have_git_diffs_hunks() {
    if !have_git() {
        return;
    }
    let cs = changes(&repo().join("examples/sample-tree"), &[]);
    assert!(!cs.is_empty(), "the sample tree has rewrites");
    assert_like_git("sample-tree", &cs);
}

/// Each fixture case's input tree, rewritten (through a copy: the fixture
/// inputs hold links to the verifier's fixtures, which a walk skips).
#[test]
fn fixture_rewrites_have_git_diffs_hunks() {
    if !have_git() {
        return;
    }
    let mut files = 0;
    let fixtures = repo().join("patterns/tests");
    for pattern in sorted_dirs(&fixtures) {
        for case in sorted_dirs(&pattern) {
            let input = case.join("input");
            if !input.is_dir() {
                continue;
            }
            let copy = tempfile::tempdir().unwrap();
            copy_following_links(&input, copy.path());
            let name = case.strip_prefix(&fixtures).unwrap().display().to_string();
            files += assert_like_git(&name, &changes(copy.path(), &[]));
        }
    }
    assert!(
        files > 10,
        "only {files} rewritten files among the fixtures"
    );
}

/// A kernel tree named by `UNPLUG_DIFF_TREE` (none: nothing to do).
#[test]
fn kernel_tree_rewrites_have_git_diffs_hunks() {
    let Some(tree) = std::env::var_os("UNPLUG_DIFF_TREE") else {
        eprintln!("UNPLUG_DIFF_TREE is not set: no kernel tree compared");
        return;
    };
    if !have_git() {
        return;
    }
    let paths: Vec<String> = std::env::var("UNPLUG_DIFF_PATHS")
        .unwrap_or_else(|_| "drivers/gpio".into())
        .split(',')
        .map(String::from)
        .collect();
    let cs = changes(Path::new(&tree), &paths);
    let n = assert_like_git("kernel tree", &cs);
    eprintln!("{n} rewritten files: hunks equal git diff's");
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

fn copy_following_links(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_following_links(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}
