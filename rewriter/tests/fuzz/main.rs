//! Property-based fuzzing of the rewriter on stable Rust (proptest): the
//! masking pass, the parser bridge, the pattern loader and the whole
//! engine, over mutations of the project's own C fixtures and patterns
//! (and of a kernel tree's drivers when one is at hand; see
//! `corpus::kernel_root`).
//!
//! Bounded by default (a fixed case count per target and a fixed seed);
//! `UNPLUG_FUZZ_CASES=N` sets the count of every target, `UNPLUG_FUZZ_SEED`
//! a seed (a number, or `random`). A failing case is shrunk, its input
//! saved under `target/tmp/fuzz-failures/`, and the test fails naming the
//! file and the broken property; a fixed defect's input goes to
//! `tests/fuzz_corpus/{c,yaml}/`, replayed unmutated on every run.

mod checks;
mod corpus;
mod mutate;

use checks::Check;
use corpus::Corpus;
use mutate::{Mutation, C_TOKENS};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use rewriter::engine::RunOptions;
use rewriter::pattern::Pattern;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Kernel files sampled into the seed corpus when a tree is at hand.
const KERNEL_SAMPLE: usize = 48;

fn corpus() -> &'static Corpus {
    static C: OnceLock<Corpus> = OnceLock::new();
    C.get_or_init(|| corpus::load(KERNEL_SAMPLE))
}

fn c_files() -> &'static [(String, &'static [u8])] {
    static F: OnceLock<Vec<(String, &'static [u8])>> = OnceLock::new();
    F.get_or_init(|| corpus().c_files())
}

fn patterns() -> &'static [Pattern] {
    static P: OnceLock<Vec<Pattern>> = OnceLock::new();
    P.get_or_init(|| rewriter::pattern::load_all(None).expect("built-in patterns load"))
}

/// Every built-in pattern's anchors: the words a focused parse keeps.
fn anchor_words() -> Vec<&'static [u8]> {
    patterns()
        .iter()
        .flat_map(|p| p.anchors.iter().map(|a| a.as_bytes()))
        .collect()
}

/// The seed: `UNPLUG_FUZZ_SEED` (a number, or `random` for a fresh one,
/// which a failure names so that it can be run again), 13 by default.
fn seed() -> u64 {
    match std::env::var("UNPLUG_FUZZ_SEED").as_deref() {
        Ok("random") => {
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos()),
            );
            h.finish()
        }
        Ok(n) => n.parse().expect("UNPLUG_FUZZ_SEED is a number or `random`"),
        Err(_) => 13,
    }
}

fn config(default_cases: u32, seed: u64) -> Config {
    let cases = std::env::var("UNPLUG_FUZZ_CASES")
        .ok()
        .map(|v| v.parse().expect("UNPLUG_FUZZ_CASES is a number"))
        .unwrap_or(default_cases);
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        // Failures are kept by hand, as inputs in tests/fuzz_corpus.
        failure_persistence: None,
        max_shrink_iters: 1024,
        max_shrink_time: 60_000,
        ..Config::default()
    }
}

/// Runs `check` on `cases` values of `strategy`. On a failure, the
/// shrunk input (`input` makes it) is saved and the test fails.
fn fuzz<S: Strategy>(
    target: &str,
    cases: u32,
    strategy: S,
    input: impl Fn(&S::Value) -> (String, Vec<u8>),
    check: impl Fn(&S::Value) -> Check,
) where
    S::Value: Clone,
{
    let seed = seed();
    let config = config(cases, seed);
    let cases = config.cases;
    let mut runner = TestRunner::new(config);
    let result = runner.run(&strategy, |v| check(&v).map_err(TestCaseError::fail));
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, value)) => {
            let (name, bytes) = input(&value);
            let saved = save_failure(target, &name, &bytes);
            panic!(
                "{target}: {why}\n  seed file: {name}\n  input saved as {}\n  case: {value:?}\n  \
                 again: UNPLUG_FUZZ_SEED={seed} UNPLUG_FUZZ_CASES={cases}",
                saved.display()
            );
        }
        Err(e) => panic!("{target} (UNPLUG_FUZZ_SEED={seed}): {e}"),
    }
}

fn save_failure(target: &str, name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    std::fs::create_dir_all(&dir).expect("target dir is writable");
    let base = name.rsplit(['/', ':']).next().unwrap_or(name);
    let path = dir.join(format!("{target}-{base}"));
    std::fs::write(&path, bytes).expect("target dir is writable");
    path
}

fn mutations(tokens: usize) -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutate::mutation(tokens), 0..8)
}

/// A mutated C file: (seed index, mutations).
fn c_case() -> impl Strategy<Value = (usize, Vec<Mutation>)> {
    (0..c_files().len(), mutations(C_TOKENS.len()))
}

fn c_input(seed: usize, muts: &[Mutation]) -> (String, Vec<u8>) {
    let (name, bytes) = &c_files()[seed];
    (name.clone(), mutate::apply(bytes, muts, C_TOKENS))
}

#[test]
fn masking_keeps_length_and_lines() {
    fuzz(
        "mask",
        20_000,
        (c_case(), any::<u64>()),
        |((seed, muts), _)| c_input(*seed, muts),
        |((seed, muts), keep)| checks::mask_properties(&c_input(*seed, muts).1, *keep),
    );
}

#[test]
fn parses_map_back_to_the_original() {
    let words = anchor_words();
    fuzz(
        "parse",
        4000,
        c_case(),
        |(seed, muts)| c_input(*seed, muts),
        |(seed, muts)| checks::parse_properties(&c_input(*seed, muts).1, &words),
    );
}

fn yaml_input(seed: usize, muts: &[Mutation]) -> (String, String) {
    let (name, text) = &corpus().yaml[seed];
    let bytes = mutate::apply(text.as_bytes(), muts, mutate::YAML_TOKENS);
    (name.clone(), String::from_utf8_lossy(&bytes).into_owned())
}

/// A mutated pattern loads or fails with an error naming the file, and
/// one that loads runs over a C seed without a panic.
fn yaml_check(text: &str, c_seed: usize) -> Check {
    let Some(pattern) = checks::load_properties(text)? else {
        return Ok(());
    };
    let (name, bytes) = &c_files()[c_seed];
    let rel = name.rsplit(':').next().unwrap_or(name);
    checks::pattern_properties(&pattern, rel, bytes)
}

#[test]
fn pattern_loader_errors_never_panics() {
    fuzz(
        "yaml",
        8000,
        (
            0..corpus().yaml.len(),
            mutations(mutate::YAML_TOKENS.len()),
            0..c_files().len(),
        ),
        |(seed, muts, _)| {
            let (name, text) = yaml_input(*seed, muts);
            (name, text.into_bytes())
        },
        |(seed, muts, c_seed)| yaml_check(&yaml_input(*seed, muts).1, *c_seed),
    );
}

/// A seed tree with one source file mutated: (tree, file choice,
/// mutations, `--drop-empty`, `--assume-api`).
type EngineCase = (usize, usize, Vec<Mutation>, bool, bool);

/// Files of a tree: relative paths and their bytes.
type Files = Vec<(String, Vec<u8>)>;

/// The case's tree, its mutated file's name and index (none for a tree
/// without sources).
fn engine_tree(case: &EngineCase) -> (Files, String, Option<usize>) {
    let (tree, pick, muts, _, _) = case;
    let t = &corpus().trees[*tree];
    let sources = t.sources();
    let mut files = t.files.clone();
    if sources.is_empty() {
        return (files, t.name.clone(), None);
    }
    let i = sources[pick % sources.len()];
    files[i].1 = mutate::apply(&files[i].1, muts, C_TOKENS);
    (files, t.file_name(i), Some(i))
}

/// Writes `files` to a fresh directory and runs the engine checks there
/// with every built-in pattern.
fn engine_check(files: &[(String, Vec<u8>)], drop_empty: bool, assume_api: bool) -> Check {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    for (rel, bytes) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("a file has a parent"))
            .and_then(|_| std::fs::write(&path, bytes))
            .map_err(|e| format!("{rel}: {e}"))?;
    }
    let all: Vec<&Pattern> = patterns().iter().collect();
    let opts = RunOptions {
        drop_empty,
        assume_api,
        ..RunOptions::default()
    };
    checks::engine_properties(dir.path(), &all, &opts)
}

#[test]
fn engine_scans_and_rewrites_mutated_trees() {
    fuzz(
        "engine",
        1000,
        (
            0..corpus().trees.len(),
            any::<usize>(),
            mutations(C_TOKENS.len()),
            any::<bool>(),
            any::<bool>(),
        ),
        |case| {
            let (mut files, name, mutated) = engine_tree(case);
            let bytes = mutated.map_or_else(Vec::new, |i| files.swap_remove(i).1);
            (name, bytes)
        },
        |case| engine_check(&engine_tree(case).0, case.3, case.4),
    );
}

/// The inputs of fixed defects, unmutated, through every check.
#[test]
fn regression_corpus_holds() {
    let words = anchor_words();
    let mut failures = Vec::new();
    for (name, bytes) in &corpus().regressions_c {
        let files = vec![(format!("drivers/fuzz/{name}"), bytes.clone())];
        let checks = [
            checks::mask_properties(bytes, u64::MAX),
            checks::mask_properties(bytes, 0x5555_5555_5555_5555),
            checks::parse_properties(bytes, &words),
            engine_check(&files, false, true),
        ];
        failures.extend(
            checks
                .into_iter()
                .filter_map(|c| c.err())
                .map(|e| format!("c/{name}: {e}")),
        );
    }
    for (name, text) in &corpus().regressions_yaml {
        for c_seed in 0..c_files().len() {
            if let Err(e) = yaml_check(text, c_seed) {
                failures.push(format!("yaml/{name}: {e}"));
                break;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Defects found here: the pattern files of `tests/fuzz_corpus/located/`
/// failed to load with an error that named the file but no line and
/// column: a BOM inside a comment (the marks' YAML parser stopped at it),
/// and a second document (serde_yaml's error has no position).
#[test]
fn pattern_errors_are_located() {
    let dir = corpus::regression_dir().join("located");
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/fuzz_corpus/located exists") {
        let path = entry.expect("readable").path();
        let text = std::fs::read_to_string(&path).expect("UTF-8");
        if let Err(e) = checks::load_error_located(&text) {
            failures.push(format!("{}: {e}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
