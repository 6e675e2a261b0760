//! Fixture cases that prove a pattern: `patterns/tests/<id>/<case>/` holds
//! `input/` (a small tree), `output/` (the expected content of every file
//! the rewrite changes; every other file must stay as it is), `sites.txt`
//! (one expected site a line: `file:line: verdict[: reason]`, each followed
//! by its notes indented by four spaces: `    file:line: message`) and, if
//! needed, `args` (`--assume-api`, `--drop-empty`, `--path DIR`).
//! A case passes when sites and output match exactly and a second run on
//! the output changes nothing.

use crate::engine::{run, Outcome, RunOptions};
use crate::pattern::Pattern;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct CaseResult {
    pub pattern: String,
    pub case: String,
    /// Empty when the case passed.
    pub failures: Vec<String>,
}

/// Runs every case under `dir` (`<dir>/<pattern-id>/<case>/`) for the
/// loaded `patterns`. A case directory naming an unknown pattern is an error.
pub fn run_all(dir: &Path, patterns: &[Pattern]) -> Result<Vec<CaseResult>> {
    let mut results = Vec::new();
    for pdir in sorted_dirs(dir)? {
        let id = pdir.file_name().unwrap().to_string_lossy().into_owned();
        let Some(pattern) = patterns.iter().find(|p| p.id == id) else {
            bail!("{}: no pattern with id `{id}`", pdir.display());
        };
        for cdir in sorted_dirs(&pdir)? {
            let case = cdir.file_name().unwrap().to_string_lossy().into_owned();
            let failures = run_case(pattern, &cdir).unwrap_or_else(|e| vec![format!("{e:#}")]);
            results.push(CaseResult {
                pattern: id.clone(),
                case,
                failures,
            });
        }
    }
    Ok(results)
}

fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot read fixtures", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    Ok(dirs)
}

fn case_options(case: &Path) -> Result<RunOptions> {
    let mut opts = RunOptions::default();
    let args = std::fs::read_to_string(case.join("args")).unwrap_or_default();
    let mut words = args.split_whitespace();
    while let Some(w) = words.next() {
        match w {
            "--assume-api" => opts.assume_api = true,
            "--drop-empty" => opts.drop_empty = true,
            "--path" => opts.paths.push(
                words
                    .next()
                    .context("--path needs a directory")?
                    .to_string(),
            ),
            other => bail!(
                "{}: unknown fixture argument `{other}`",
                case.join("args").display()
            ),
        }
    }
    Ok(opts)
}

fn run_case(pattern: &Pattern, case: &Path) -> Result<Vec<String>> {
    let opts = case_options(case)?;
    // A case's input may link to the verifier's fixtures, and a walk does
    // not follow links out of its tree: the case runs on a copy.
    let staged = tempfile::tempdir()?;
    copy_tree(&case.join("input"), staged.path())?;
    let input = staged.path();
    let outcome = run(input, &[pattern], &opts)?;
    let mut failures = check_sites(case, &outcome)?;
    failures.extend(check_outputs(case, &outcome)?);
    // Idempotence: a second run over the rewritten tree changes nothing.
    if !outcome.changes.is_empty() && failures.is_empty() {
        let scratch = tempfile::tempdir()?;
        copy_tree(input, scratch.path())?;
        for c in &outcome.changes {
            std::fs::write(scratch.path().join(&c.file), &c.after)?;
        }
        let again = run(scratch.path(), &[pattern], &opts)?;
        for c in &again.changes {
            failures.push(format!("{}: a second run changes it again", c.file));
        }
    }
    Ok(failures)
}

/// The run's sites and their notes against the case's `sites.txt`.
fn check_sites(case: &Path, outcome: &Outcome) -> Result<Vec<String>> {
    let mut got: Vec<String> = Vec::new();
    for s in &outcome.sites {
        got.push(match &s.reason {
            Some(r) => format!("{}:{}: {}: {}", s.file, s.line, s.verdict.as_str(), r),
            None => format!("{}:{}: {}", s.file, s.line, s.verdict.as_str()),
        });
        got.extend(
            s.notes
                .iter()
                .map(|n| format!("    {}:{}: {}", n.file, n.line, n.message)),
        );
    }
    let want_text = std::fs::read_to_string(case.join("sites.txt"))
        .with_context(|| format!("{}: missing sites.txt", case.display()))?;
    let want: Vec<String> = want_text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    if got == want {
        return Ok(vec![]);
    }
    Ok(vec![format!(
        "sites differ:\n  expected:\n    {}\n  got:\n    {}",
        want.join("\n    "),
        got.join("\n    ")
    )])
}

/// The run's rewritten files against the case's `output/` (a file not
/// there must stay unchanged).
fn check_outputs(case: &Path, outcome: &Outcome) -> Result<Vec<String>> {
    let mut failures = Vec::new();
    let mut expected: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let output = case.join("output");
    if output.is_dir() {
        for entry in walk_files(&output)? {
            let rel = entry
                .strip_prefix(&output)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            expected.insert(rel, std::fs::read(&entry)?);
        }
    }
    let changed: BTreeMap<String, Vec<u8>> = outcome
        .changes
        .iter()
        .map(|c| (c.file.clone(), c.after.clone()))
        .collect();
    for (file, want) in &expected {
        match changed.get(file) {
            None => failures.push(format!("{file}: expected a change, got none")),
            Some(got) if got != want => {
                failures.push(format!("{file}: output differs:\n{}", line_diff(want, got)))
            }
            Some(_) => {}
        }
    }
    for file in changed.keys().filter(|f| !expected.contains_key(*f)) {
        failures.push(format!(
            "{file}: changed, but the case expects it unchanged"
        ));
    }
    Ok(failures)
}

fn walk_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for f in walk_files(from)? {
        let dest = to.join(f.strip_prefix(from).unwrap());
        std::fs::create_dir_all(dest.parent().unwrap())?;
        std::fs::copy(&f, &dest)?;
    }
    Ok(())
}

fn line_diff(want: &[u8], got: &[u8]) -> String {
    let d = similar::TextDiff::from_lines(want, got);
    let mut out = Vec::new();
    for hunk in d.unified_diff().header("expected", "got").iter_hunks() {
        hunk.to_writer(&mut out)
            .expect("writing to a Vec cannot fail");
    }
    String::from_utf8_lossy(&out).into_owned()
}
