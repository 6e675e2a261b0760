//! A run is not limited in the number of patterns it carries: each
//! candidate file records every pattern that wants it, past 64 too.

use rewriter::engine::{run, RunOptions};
use rewriter::model::Verdict;
use rewriter::pattern::{load_str, Pattern};

/// Pattern `n` rewrites `old_call_n(x)` into `new_call_n(x)`.
fn pattern(n: usize) -> Pattern {
    let yaml = format!(
        "version: 1\nid: many-{n}\ntitle: t{n}\nsubject: s{n}\nrationale: r{n}\n\
         anchors: [old_call_{n}]\nrules:\n  - id: rename\n    pattern: old_call_{n}($X)\n\
         \x20   verdict: auto\n    rewrite: new_call_{n}($X)\n"
    );
    load_str(&yaml, &format!("many-{n}.yaml")).unwrap()
}

#[test]
fn the_seventieth_pattern_finds_its_sites() {
    let dir = tempfile::tempdir().unwrap();
    let src = "static void f(int a)\n{\n\told_call_69(a);\n\told_call_3(a);\n}\n";
    std::fs::create_dir_all(dir.path().join("drivers")).unwrap();
    std::fs::write(dir.path().join("drivers/x.c"), src).unwrap();
    let patterns: Vec<Pattern> = (0..70).map(pattern).collect();
    let refs: Vec<&Pattern> = patterns.iter().collect();
    let out = run(dir.path(), &refs, &RunOptions::default()).unwrap();
    let ids: Vec<(&str, usize, Verdict)> = out
        .sites
        .iter()
        .map(|s| (s.pattern.as_str(), s.line, s.verdict))
        .collect();
    assert_eq!(
        ids,
        vec![("many-69", 3, Verdict::Auto), ("many-3", 4, Verdict::Auto)]
    );
    let after = String::from_utf8(out.changes[0].after.clone()).unwrap();
    assert!(
        after.contains("\tnew_call_69(a);\n\tnew_call_3(a);\n"),
        "{after}"
    );
}
