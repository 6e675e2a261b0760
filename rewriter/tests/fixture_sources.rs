//! The legacy drivers that serve as fixtures in three places have one
//! source each: `verifier-kmod/fixtures` (the modules the verifier loads)
//! and `examples/sample-tree` (the tree the README's examples scan).
//! `patterns/tests` links to them; the sample tree keeps copies of the
//! verifier's fixtures, since a scan never follows a link out of its tree.
//! These tests fail when a copy drifts from its source, when a fixture
//! case copies a source instead of linking it, and when a link leads
//! anywhere else.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The sample tree's copy of the verifier fixture `name` equals it.
fn assert_sample_copy_matches(name: &str) {
    let copy = repo().join("examples/sample-tree/drivers/misc").join(name);
    let source = repo().join("verifier-kmod/fixtures").join(name);
    let (c, s) = (
        std::fs::read(&copy).unwrap(),
        std::fs::read(&source).unwrap(),
    );
    assert!(
        c == s,
        "{} drifted from {}: copy the source over it",
        copy.display(),
        source.display()
    );
}

macro_rules! sample_copy {
    ($($test:ident: $name:literal,)*) => {$(
        #[test]
        fn $test() {
            assert_sample_copy_matches($name);
        }
    )*};
}

sample_copy! {
    sample_tree_child_walk_legacy_is_the_verifier_fixture: "child_walk_legacy.c",
    sample_tree_rearm_timer_legacy_is_the_verifier_fixture: "rearm_timer_legacy.c",
    sample_tree_selfremove_legacy_is_the_verifier_fixture: "selfremove_legacy.c",
}

/// Every file below `dir` (links included, not followed), sorted.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// The C sources that are fixtures of their own: the verifier's modules
/// and the sample tree's drivers.
fn sources() -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in ["verifier-kmod/fixtures", "examples/sample-tree/drivers"] {
        for p in files_below(&repo().join(dir)) {
            if p.extension().is_some_and(|x| x == "c") {
                let bytes = std::fs::read(&p).unwrap();
                out.push((p, bytes));
            }
        }
    }
    out
}

#[test]
fn pattern_fixtures_link_sources_instead_of_copying_them() {
    let sources = sources();
    let mut copies = Vec::new();
    for p in files_below(&repo().join("patterns/tests")) {
        if p.is_symlink() || p.extension().is_none_or(|x| x != "c") {
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        if let Some((s, _)) = sources.iter().find(|(_, b)| *b == bytes) {
            copies.push(format!("{} copies {}", p.display(), s.display()));
        }
    }
    assert!(
        copies.is_empty(),
        "make these links:\n{}",
        copies.join("\n")
    );
}

#[test]
fn pattern_fixture_links_lead_to_sources() {
    let allowed = [
        repo()
            .join("verifier-kmod/fixtures")
            .canonicalize()
            .unwrap(),
        repo().join("examples/sample-tree").canonicalize().unwrap(),
    ];
    let mut links = 0;
    for p in files_below(&repo().join("patterns/tests")) {
        if !p.is_symlink() {
            continue;
        }
        let target = p
            .canonicalize()
            .unwrap_or_else(|e| panic!("{}: link leads nowhere: {e}", p.display()));
        assert!(
            allowed.iter().any(|a| target.starts_with(a)),
            "{} links to {}, not to a fixture source",
            p.display(),
            target.display()
        );
        links += 1;
    }
    assert!(links >= 11, "only {links} links: were sources copied back?");
}
