//! Rule language version 2, constructs that follow a name through its
//! file: `references`, `declared-before`, `for-each` (with `join`),
//! `delete` with `unbrace`, rule `notes`, and `probes`.

use rewriter::parse::parse;
use rewriter::pattern::load_str;
use rewriter::rules::run_rules_in_tree;

fn pattern(body: &str) -> String {
    format!("version: 2\nid: t\ntitle: T\nrationale: R\nanchors: [x]\n{body}")
}

/// `line: verdict[: reason]` of every site (notes as `  note LINE: text`),
/// and the source after the edits; `probes` answers the file's probes.
fn run_with(yaml: &str, src: &str, probes: &[bool]) -> (Vec<String>, String) {
    let p = load_str(&pattern(yaml), "t.yaml").unwrap_or_else(|e| panic!("{e:#}"));
    let parsed = parse(src.as_bytes());
    let tree = rewriter::pattern::constraint::TreeFacts::Absent;
    let m = run_rules_in_tree(&p, "f.c", src.as_bytes(), &parsed, &tree, probes);
    let mut sites = Vec::new();
    for s in &m.sites {
        sites.push(match &s.reason {
            Some(r) => format!("{}: {}: {r}", s.line, s.verdict.as_str()),
            None => format!("{}: {}", s.line, s.verdict.as_str()),
        });
        sites.extend(
            s.notes
                .iter()
                .map(|n| format!("  note {}: {}", n.line, n.message)),
        );
    }
    let out = rewriter::edit::apply(src.as_bytes(), m.edits).expect("edits do not overlap");
    (sites, String::from_utf8(out).unwrap())
}

fn run(yaml: &str, src: &str) -> (Vec<String>, String) {
    run_with(yaml, src, &[])
}

fn error(yaml: &str) -> String {
    match load_str(&pattern(yaml), "t.yaml") {
        Ok(_) => panic!("loaded"),
        Err(e) => format!("{e:#}"),
    }
}

const SRC: &str = "static struct obj *o;\n\nvoid a(void)\n{\n\to = make();\n\tuse(o);\n}\n\nvoid b(void)\n{\n\tdrop(o);\n}\n";

#[test]
fn every_reference_must_match_one_rule() {
    let yaml = "rules:\n  - id: r\n    pattern: \"static struct obj *$N;\"\n    where:\n      N:\n        references:\n          every:\n            - inside: { stop-by: neighbor, kind: argument_list }\n            - inside: { stop-by: neighbor, pattern: \"$N = make()\" }\n    verdict: manual\n    reason: ok\n";
    let (sites, _) = run(yaml, SRC);
    assert_eq!(sites, ["1: manual: ok"]);
    // one reference outside those shapes: no match
    let (sites, _) = run(yaml, &SRC.replace("use(o);", "if (!o)\n\t\treturn;"));
    assert!(sites.is_empty(), "{sites:?}");
}

#[test]
fn some_binds_one_counts_none_excludes() {
    let some = "rules:\n  - id: r\n    pattern: \"static struct obj *$N;\"\n    where:\n      N:\n        references:\n          some: { inside: { stop-by: neighbor, all: [ { pattern: $CALL }, { kind: argument_list } ] } }\n    verdict: manual\n    reason: \"first $CALL\"\n    notes: [ { at: $CALL, message: \"first $CALL\" } ]\n";
    let (sites, _) = run(some, SRC);
    assert_eq!(sites, ["1: manual: first (o)", "  note 6: first (o)"]);
    let one = some.replace("some:", "one:");
    let (sites, _) = run(&one, SRC);
    assert!(sites.is_empty(), "two arguments, not one: {sites:?}");
    let (sites, _) = run(&one, &SRC.replace("\tdrop(o);\n", ""));
    assert_eq!(sites, ["1: manual: first (o)", "  note 6: first (o)"]);
    let none = "rules:\n  - id: r\n    pattern: \"static struct obj *$N;\"\n    where:\n      N:\n        references:\n          none: { inside: { stop-by: neighbor, kind: argument_list, inside: { stop-by: neighbor, pattern: \"drop($N)\" } } }\n    verdict: manual\n    reason: never dropped\n";
    assert!(run(none, SRC).0.is_empty());
    assert_eq!(
        run(none, &SRC.replace("drop(o)", "keep(o)")).0,
        ["1: manual: never dropped"]
    );
}

#[test]
fn references_see_functions_without_an_anchor() {
    // the rule looks at every reference, so the file is parsed whole
    let yaml = "anchors: [make]\nrules:\n  - id: r\n    pattern: \"static struct obj *$N;\"\n    where:\n      N: { references: { some: { inside: { kind: call_expression, pattern: \"drop($N)\" } } } }\n    verdict: manual\n    reason: dropped\n";
    let text = pattern(yaml).replace("anchors: [x]\n", "");
    let p = load_str(&text, "t.yaml").unwrap();
    assert!(p.rules[0].whole_file);
    let plain = load_str(
        &pattern("rules:\n  - id: r\n    pattern: make()\n    verdict: manual\n    reason: r\n"),
        "t.yaml",
    )
    .unwrap();
    assert!(!plain.rules[0].whole_file);
}

#[test]
fn a_reference_rule_the_focus_covers_needs_no_whole_file() {
    // `none` of a rule whose node holds `DECLARE_OBJ`: every such node is
    // in an item the focus parses once that word is in `also-parse`.
    let rule = "rules:\n  - id: r\n    pattern: \"use($N)\"\n    where:\n      N: { references: { none: { inside: { kind: call_expression, regex: '^DECLARE_OBJ\\b' } } } }\n    verdict: manual\n    reason: r\n";
    let whole = |yaml: &str| load_str(&pattern(yaml), "t.yaml").unwrap().rules[0].whole_file;
    assert!(whole(rule));
    assert!(!whole(&format!("also-parse: [DECLARE_OBJ]\n{rule}")));
    // `every` reference of a name may be anywhere.
    let every = rule
        .replace("{ none: { inside:", "{ every: [ { inside:")
        .replace("b' } } } }", "b' } } ] } }");
    assert!(whole(&format!("also-parse: [DECLARE_OBJ]\n{every}")));
}

#[test]
fn declared_before_looks_at_file_scope_items_before_a_capture() {
    let yaml = "rules:\n  - id: r\n    pattern: \"$F = $V;\"\n    context: statement\n    where:\n      V: { declared-before: $MARK }\n      F: { rule: { inside: { kind: translation_unit, has: { kind: declaration, has: { stop-by: neighbor, pattern: $MARK, regex: '^marker$' } } } } }\n    verdict: manual\n    reason: \"$V before\"\n";
    let src = "static int early(void);\nstatic int marker;\nstatic int late(void);\n\nvoid f(void)\n{\n\tp = early;\n\tq = late;\n}\n";
    let (sites, _) = run(yaml, src);
    assert_eq!(sites, ["7: manual: early before"]);
    // inside an `#ifdef` that opens before the capture, only what precedes it
    let ifdef = format!(
        "#ifdef CONFIG_X\n{}#endif\n",
        src.replace("static int late(void);\n", "")
    )
    .replace("}\n#endif", "}\nstatic int late(void);\n#endif");
    assert_eq!(run(yaml, &ifdef).0, ["7: manual: early before"]);
    let not = yaml
        .replace("declared-before", "not-declared-before")
        .replace("before\"", "after\"");
    assert_eq!(run(&not, src).0, ["8: manual: late after"]);
    let both = yaml.replace(
        "declared-before: $MARK",
        "declared-before: $MARK, not-declared-before: $MARK",
    );
    assert!(
        error(&both).contains("exclude each other"),
        "{}",
        error(&both)
    );
}

#[test]
fn for_each_edits_every_matching_reference_and_joins_their_text() {
    let yaml = "rules:\n  - id: r\n    pattern: \"static struct obj *$N;\"\n    verdict: auto\n    fix:\n      - for-each:\n          references: $N\n          matching: { inside: { stop-by: neighbor, kind: argument_list } }\n          edits: [ { replace: $REF, with: \"&$N\" } ]\n          join: { into: USES, item: \"/* $REF */\" }\n      - replace: $MATCH\n        with: \"static struct obj $N; $USES\"\n";
    let (sites, out) = run(yaml, SRC);
    assert_eq!(sites, ["1: auto"]);
    assert_eq!(
        out,
        SRC.replace(
            "static struct obj *o;",
            "static struct obj o; /* o *//* o */"
        )
        .replace("use(o)", "use(&o)")
        .replace("drop(o)", "drop(&o)")
    );
}

#[test]
fn for_each_errors_name_their_place() {
    let base = "rules:\n  - id: r\n    pattern: \"static struct obj *$N;\"\n    verdict: auto\n    fix:\n      - for-each:\n          references: $N\n          matching: { kind: identifier }\n          edits: [ { replace: $REF, with: \"&$N\" } ]\n";
    let err = error(&base.replace("references: $N", "references: $M"));
    assert!(err.contains("t.yaml:12:23"), "{err}");
    let err = error(&base.replace("\"&$N\"", "\"$OTHER\""));
    assert!(err.contains("$OTHER"), "{err}");
    let err = error(&format!(
        "{base}      - replace: $MATCH\n        with: $J\n"
    ));
    assert!(
        err.contains("$J"),
        "a join's name is only known with `join`: {err}"
    );
}

#[test]
fn delete_unbrace_drops_braces_left_around_one_statement() {
    let yaml = "rules:\n  - id: r\n    pattern: \"err = get();\"\n    context: statement\n    verdict: auto\n    fix:\n      - delete: $MATCH\n        unbrace: true\n";
    let src = "void f(void)\n{\n\tif (bad) {\n\t\terr = get();\n\t\tgoto out;\n\t}\n\tif (worse) {\n\t\terr = get();\n\t\tlog();\n\t\tgoto out;\n\t}\n}\n";
    let (_, out) = run(yaml, src);
    assert_eq!(
        out,
        "void f(void)\n{\n\tif (bad)\n\t\tgoto out;\n\tif (worse) {\n\t\tlog();\n\t\tgoto out;\n\t}\n}\n"
    );
    let err = error(&yaml.replace("delete: $MATCH", "replace: $MATCH\n        with: x"));
    assert!(err.contains("`unbrace` goes with `delete`"), "{err}");
}

#[test]
fn probes_pick_the_rule_for_the_tree() {
    let yaml = "probes:\n  new-api: { file: include/x.h, regex: 'x\\(void\\)' }\nrules:\n  - id: new\n    pattern: old()\n    probe: { new-api: true }\n    verdict: auto\n    fix: x()\n  - id: old\n    pattern: old()\n    probe: { new-api: false }\n    verdict: manual\n    reason: no x() here\n";
    let src = "void f(void)\n{\n\told();\n}\n";
    assert_eq!(run_with(yaml, src, &[true]).1, src.replace("old()", "x()"));
    assert_eq!(run_with(yaml, src, &[false]).0, ["3: manual: no x() here"]);
    let err = error(&yaml.replace("{ new-api: true }", "{ newer-api: true }"));
    assert!(err.contains("no `probes` entry named `newer-api`"), "{err}");
    // without the tree's answers (a probe not asked is false)
    assert_eq!(run(yaml, src).0, ["3: manual: no x() here"]);
}

#[test]
fn version_1_files_refuse_the_new_keys() {
    let v1 = |body: &str| {
        let text = format!("version: 1\nid: t\ntitle: T\nrationale: R\nanchors: [x]\n{body}");
        format!("{:#}", load_str(&text, "t.yaml").err().expect("refused"))
    };
    let rule = "rules:\n  - id: r\n    pattern: old()\n    verdict: manual\n    reason: r\n";
    let err = v1(&format!("probes:\n  p: {{ file: a.h, regex: a }}\n{rule}"));
    assert!(
        err.contains("t.yaml:7:3: `probes` needs `version: 2`"),
        "{err}"
    );
    let err = v1(&format!(
        "{rule}    notes: [ {{ at: $MATCH, message: m }} ]\n"
    ));
    assert!(err.contains("`notes` needs `version: 2`"), "{err}");
    let err = v1(&format!("{rule}    probe: {{ p: true }}\n"));
    assert!(err.contains("`probe` needs `version: 2`"), "{err}");
}
