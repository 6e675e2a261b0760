//! Rule language version 2, the constructs `sysfs-self-delete`'s
//! work-item shape brought when it moved out of Rust: `quiet-anchors`,
//! notes that quote their line, edits at captures of an `any`
//! alternative the match did not take, relations that look for comments,
//! deletions of items whose storage class the mask hid, and the words a
//! rule needs of a file before it is tried there; and a rule that applies
//! under a run option only (`option`, platform-remove-void's
//! `--drop-empty`).

mod common;

use rewriter::engine::{run, RunOptions};
use rewriter::pattern::load_str;

fn pattern(body: &str) -> String {
    format!("version: 2\nid: t\ntitle: T\nrationale: R\n{body}")
}

fn sites_of(yaml: &str, src: &str) -> (Vec<String>, String) {
    common::sites_of(&pattern(yaml), src)
}

/// The sites of a run over a tree of one file, `drivers/a.c`.
fn tree_sites(yaml: &str, src: &str) -> Vec<String> {
    let p = load_str(&pattern(yaml), "t.yaml").unwrap_or_else(|e| panic!("{e:#}"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("drivers")).unwrap();
    std::fs::write(dir.path().join("drivers/a.c"), src).unwrap();
    let out = run(dir.path(), &[&p], &RunOptions::default()).unwrap();
    (out.sites.iter())
        .map(|s| format!("{}: {}", s.line, s.verdict.as_str()))
        .collect()
}

#[test]
fn quiet_anchors_make_candidates_without_unparsed_sites() {
    // `take` in a macro body the parser does not read: an anchor there is
    // an `unparsed` site, a quiet anchor is not; both find the call.
    let rules = "rules:\n  - id: r\n    pattern: take($X)\n    verdict: manual\n    reason: r\n";
    let src = "#define TAKE_ALL(x) take(x)\n\nvoid f(void)\n{\n\ttake(a);\n}\n";
    let loud = tree_sites(&format!("anchors: [take]\n{rules}"), src);
    assert_eq!(loud, ["1: unparsed", "5: manual"]);
    let quiet = tree_sites(
        &format!("anchors: [nothing]\nquiet-anchors: [take]\n{rules}"),
        src,
    );
    assert_eq!(quiet, ["5: manual"]);
}

#[test]
fn a_note_without_a_message_quotes_its_line() {
    let yaml = "anchors: [stop]\nrules:\n  - id: r\n    pattern: stop($T)\n    inside: { kind: expression_statement, stop-by: neighbor, precedes: { pattern: $NEXT } }\n    verdict: manual\n    reason: r\n    notes: [ { at: $NEXT } ]\n";
    let src = "void f(void)\n{\n\tstop(&t);\n\t\tarm(&t,  1);\n}\n";
    let (sites, _) = sites_of(yaml, src);
    assert_eq!(sites, ["3: manual: r", "  4: arm(&t,  1);"]);
}

#[test]
fn a_comment_right_before_goes_with_its_statement_when_there_is_one() {
    // `follows` looks for a comment, so it sees one; the alternative that
    // binds none leaves `$C` unbound, and its deletion is skipped.
    let yaml = "anchors: [stop]\nrules:\n  - id: r\n    pattern: \"stop($T);\"\n    context: statement\n    any:\n      - follows: { stop-by: neighbor, kind: comment, pattern: $C }\n      - not: { follows: { stop-by: neighbor, kind: comment } }\n    verdict: auto\n    fix: [ { delete: $C }, { delete: $MATCH } ]\n";
    let src = "void f(void)\n{\n\tgo();\n\t/* why */\n\tstop(&a);\n\tgo();\n\tstop(&b);\n}\n";
    let (sites, out) = sites_of(yaml, src);
    assert_eq!(sites, ["5: auto", "7: auto"]);
    assert_eq!(out, "void f(void)\n{\n\tgo();\n\tgo();\n}\n");
    // A relation that does not ask for a comment does not see one.
    let plain = "anchors: [stop]\nrules:\n  - id: r\n    pattern: \"stop($T);\"\n    context: statement\n    follows: { stop-by: neighbor, pattern: $P }\n    verdict: manual\n    reason: after $P\n";
    let (sites, _) = sites_of(plain, src);
    assert_eq!(sites, ["5: manual: after go();", "7: manual: after go();"]);
}

#[test]
fn a_deleted_item_takes_the_storage_class_the_mask_hid() {
    // `static DECLARE_WORK(...)` reads as a call once `static` is masked.
    let yaml = "anchors: [DECLARE_WORK]\nrules:\n  - id: r\n    pattern: DECLARE_WORK($W, $F)\n    inside: { stop-by: neighbor, kind: expression_statement, pattern: $ITEM }\n    verdict: auto\n    fix: [ { delete: $ITEM } ]\n";
    let src = "static int a;\n\nstatic DECLARE_WORK(w, w_fn);\n\nstatic int b;\n";
    let (sites, out) = sites_of(yaml, src);
    assert_eq!(sites, ["3: auto"]);
    assert_eq!(out, "static int a;\n\nstatic int b;\n");
    // Another item on the line, blanked by a focused parse, is no word
    // the mask hid: the line is not deleted, and what the deletion leaves
    // (`static` alone) does not parse, so the file is left as it was.
    let p = load_str(&pattern(yaml), "t.yaml").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("drivers")).unwrap();
    let shared = "static int a; static DECLARE_WORK(w, w_fn);\n";
    std::fs::write(dir.path().join("drivers/a.c"), shared).unwrap();
    let out = run(dir.path(), &[&p], &RunOptions::default()).unwrap();
    assert!(out.changes.is_empty());
    assert_eq!(out.sites[0].verdict.as_str(), "manual");
}

#[test]
fn a_rule_is_tried_only_where_the_file_holds_its_words() {
    // The queue call after the get is needed: a file without one cannot
    // hold a match, and the rule says so before any node is tried.
    let yaml = "anchors: [take]\nrules:\n  - id: r\n    pattern: take($X)\n    inside: { kind: expression_statement, stop-by: neighbor, precedes: { pattern: \"queue($W)\", context: statement } }\n    verdict: manual\n    reason: r\n";
    let p = load_str(&pattern(yaml), "t.yaml").unwrap();
    let rule = &p.rules[0];
    assert!(rule.may_match_in(b"take(x); queue(w);"));
    assert!(!rule.may_match_in(b"take(x); flush(w);"));
    let src = "void f(void)\n{\n\ttake(x);\n\tqueue(w);\n}\n";
    assert_eq!(sites_of(yaml, src).0, ["3: manual: r"]);
}

#[test]
fn a_rule_may_apply_under_a_run_option_only() {
    // `--drop-empty` asks for more than the default run does.
    let yaml = "anchors: [teardown]\nrules:\n  - id: drop\n    pattern: teardown($X)\n    option: { drop-empty: true }\n    verdict: manual\n    reason: dropped\n  - id: keep\n    pattern: teardown($X)\n    verdict: manual\n    reason: kept\n";
    let p = load_str(&pattern(yaml), "t.yaml").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("drivers")).unwrap();
    std::fs::write(
        dir.path().join("drivers/a.c"),
        "void f(void)\n{\n\tteardown(a);\n}\n",
    )
    .unwrap();
    let reason = |drop_empty| {
        let opts = RunOptions {
            drop_empty,
            ..RunOptions::default()
        };
        let out = run(dir.path(), &[&p], &opts).unwrap();
        out.sites[0].reason.clone().unwrap()
    };
    assert_eq!(reason(false), "kept");
    assert_eq!(reason(true), "dropped");
    let e = common::load_error(&pattern(&yaml.replace("drop-empty: true", "dry-run: true")));
    assert!(
        e.contains("unknown run option `dry-run` (expected one of: drop-empty)"),
        "{e}"
    );
}
