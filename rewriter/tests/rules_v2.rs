//! Rule language version 2: each construct on a small source, and the
//! errors a pattern file gets, with their `file:line:column`.

use rewriter::parse::parse;
use rewriter::pattern::load_str;
use rewriter::rules::run_rules;

/// A version 2 pattern with `body` as its rules (and anything before them).
fn pattern(body: &str) -> String {
    format!("version: 2\nid: t\ntitle: T\nrationale: R\nanchors: [x]\n{body}")
}

/// `line: verdict` of every site, and the source after the edits.
fn run(yaml: &str, src: &str) -> (Vec<String>, String) {
    let p = load_str(&pattern(yaml), "t.yaml").unwrap_or_else(|e| panic!("{e:#}"));
    let parsed = parse(src.as_bytes());
    let m = run_rules(&p, "f.c", src.as_bytes(), &parsed);
    let sites = m
        .sites
        .iter()
        .map(|s| match &s.reason {
            Some(r) => format!("{}: {}: {r}", s.line, s.verdict.as_str()),
            None => format!("{}: {}", s.line, s.verdict.as_str()),
        })
        .collect();
    let out = rewriter::edit::apply(src.as_bytes(), m.edits).expect("edits do not overlap");
    (sites, String::from_utf8(out).unwrap())
}

fn error(yaml: &str) -> String {
    match load_str(&pattern(yaml), "t.yaml") {
        Ok(_) => panic!("loaded"),
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn composites_share_captures() {
    let yaml = "rules:\n  - id: r\n    all:\n      - pattern: get($A, $B)\n      - not: { pattern: \"get($A, $A)\" }\n      - any: [ { pattern: \"get(dev, $B)\" }, { pattern: \"get(pdev, $B)\" } ]\n    verdict: manual\n    reason: \"$A $B\"\n";
    let src =
        "void f(void)\n{\n\tget(dev, 1);\n\tget(dev, dev);\n\tget(other, 2);\n\tget(pdev, 3);\n}\n";
    let (sites, _) = run(yaml, src);
    assert_eq!(sites, ["3: manual: dev 1", "6: manual: pdev 3"]);
}

#[test]
fn relations_share_captures_and_stop() {
    // the `$P` put must be the pointer the pattern freed
    let yaml = "rules:\n  - id: r\n    pattern: kfree($P)\n    follows: { pattern: \"put($P);\", context: statement, stop-by: end }\n    verdict: manual\n    reason: \"put then free $P\"\n";
    let src = "void f(void)\n{\n\tput(a);\n\tkfree(b);\n\tkfree(a);\n}\n";
    let yaml = yaml.replace(
        "kfree($P)\n    follows",
        "kfree($P);\n    context: statement\n    follows",
    );
    let (sites, _) = run(&yaml, src);
    assert_eq!(sites, ["5: manual: put then free a"]);
    // neighbor: only the statement right before
    let near = yaml.replace("stop-by: end", "stop-by: neighbor");
    let (sites, _) = run(
        &near,
        "void f(void)\n{\n\tput(a);\n\tx();\n\tkfree(a);\n}\n",
    );
    assert!(sites.is_empty(), "{sites:?}");
    // inside with a stop rule: the loop is found only up to the function
    let inside = "rules:\n  - id: r\n    pattern: use($X)\n    inside: { kind: for_statement, stop-by: { kind: compound_statement } }\n    verdict: manual\n    reason: loop\n";
    let src = "void f(void)\n{\n\tfor (;;)\n\t\tuse(1);\n\tfor (;;) {\n\t\tuse(2);\n\t}\n}\n";
    let (sites, _) = run(inside, src);
    assert_eq!(sites, ["4: manual: loop"]);
}

#[test]
fn utils_anchors_and_merge_keys() {
    let yaml = "utils:\n  call: &call { pattern: \"get($A)\" }\nrules:\n  - id: r\n    matches: call\n    verdict: manual\n    reason: \"$A\"\n  - id: s\n    <<: *call\n    pattern: \"put($A)\"\n    verdict: manual\n    reason: \"put $A\"\n";
    let (sites, _) = run(yaml, "void f(void)\n{\n\tget(1);\n\tput(2);\n}\n");
    assert_eq!(sites, ["3: manual: 1", "4: manual: put 2"]);
}

#[test]
fn sequences_fire_on_every_match_and_respect_gaps() {
    let yaml = "rules:\n  - id: r\n    pattern: |\n      $R = get($D);\n      ...\n      put($R);\n    when:\n      not-has: { pattern: \"$R = $V\" }\n    where:\n      R: { assigned-in-gap: false }\n    verdict: auto\n    fix:\n      - delete: $STMT1\n      - delete: $STMT2\n";
    let src = "void f(void)\n{\n\ta = get(d);\n\tuse(a);\n\tput(a);\n\tb = get(d);\n\tput(b);\n\tc = get(d);\n\tc = other();\n\tput(c);\n}\n";
    let (sites, out) = run(yaml, src);
    assert_eq!(sites, ["3: auto", "6: auto"]);
    assert_eq!(
        out,
        "void f(void)\n{\n\tuse(a);\n\tc = get(d);\n\tc = other();\n\tput(c);\n}\n"
    );
}

#[test]
fn dataflow_escapes_and_declarations() {
    let yaml = "rules:\n  - id: r\n    pattern: |\n      $P = alloc();\n      ...\n      release($P);\n    where:\n      P: { escapes: false, escape-calls: [use] }\n    verdict: auto\n    fix:\n      - replace: $STMT1\n        with: \"$P = alloc_auto();\"\n      - delete: $STMT2\n      - delete-declaration-if-unused: $P\n";
    let kept = "void f(void)\n{\n\tint *p, *q;\n\n\tp = alloc();\n\tuse(p);\n\trelease(p);\n}\n";
    let (sites, out) = run(yaml, kept);
    assert_eq!(sites, ["5: auto"]);
    assert_eq!(
        out, "void f(void)\n{\n\tint *p, *q;\n\n\tp = alloc_auto();\n\tuse(p);\n}\n",
        "p is still used: its declaration stays"
    );
    let escaping =
        "void f(struct s *s)\n{\n\tint *p;\n\n\tp = alloc();\n\ts->p = p;\n\trelease(p);\n}\n";
    let (sites, _) = run(yaml, escaping);
    assert!(sites.is_empty(), "{sites:?}");
    let unused = "void f(void)\n{\n\tint *q, *p;\n\n\tp = alloc();\n\trelease(p);\n}\n";
    let yaml = yaml.replace(
        "      - replace: $STMT1\n        with: \"$P = alloc_auto();\"\n",
        "      - delete: $STMT1\n",
    );
    let (_, out) = run(&yaml, unused);
    assert_eq!(
        out, "void f(void)\n{\n\tint *q;\n}\n",
        "no stray blank line"
    );
}

#[test]
fn templates_fold_literals_and_wrap_long_lines() {
    let yaml = "rules:\n  - id: r\n    pattern: set_range($DEV, 0, $END)\n    verdict: auto\n    fix: set_range_inclusive_with_a_much_longer_name($DEV, 0, $END - 1)\n";
    let src = "void f(void)\n{\n\tret = set_range(the_device_with_a_long_name, 0, 256);\n\t\t\tret = set_range(dev_a_b_c_d_e_f_g, 0, 256);\n}\n";
    let (_, out) = run(yaml, src);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[2],
        "\tret = set_range_inclusive_with_a_much_longer_name(the_device_with_a_long_name, 0, 255);"
    );
    assert_eq!(
        lines[3],
        "\t\t\tret = set_range_inclusive_with_a_much_longer_name(dev_a_b_c_d_e_f_g, 0,"
    );
    assert_eq!(
        lines[4], "\t\t\t\t\t\t\t\t\t  255);",
        "under the parenthesis"
    );
}

#[test]
fn no_edit_is_made_under_a_parse_error() {
    let yaml = "rules:\n  - id: r\n    pattern: old($A)\n    verdict: auto\n    fix:\n      - replace: $MATCH\n        with: new($A)\n";
    let src = "void f(void)\n{\n\told(1);\n\tfoo bar baz old(2) qux;\n}\n";
    let (sites, out) = run(yaml, src);
    assert_eq!(sites[0], "3: auto");
    assert!(
        sites[1..].iter().all(|s| s.contains("unparsed")),
        "{sites:?}"
    );
    assert!(out.contains("old(2)"), "{out}");
}

#[test]
fn errors_name_the_place_and_the_version() {
    let v1 = "version: 1\nid: t\ntitle: T\nrationale: R\nanchors: [x]\nrules:\n  - id: r\n    all: [ { pattern: x() } ]\n    verdict: converted\n";
    let err = format!("{:#}", load_str(v1, "t.yaml").err().unwrap());
    assert!(
        err.contains("t.yaml:8:10: `all` needs `version: 2`"),
        "{err}"
    );
    let err = error("rules:\n  - id: r\n    matches: nope\n    verdict: converted\n");
    assert!(
        err.contains("t.yaml:8:14: no `utils` entry named `nope`"),
        "{err}"
    );
    let err = error("utils:\n  a: { matches: b }\n  b: { matches: a }\nrules:\n  - id: r\n    matches: a\n    verdict: converted\n");
    assert!(err.contains("cycle"), "{err}");
    let err = error(
        "rules:\n  - id: r\n    pattern: f($A)\n    verdict: auto\n    fix:\n      - replace: $A\n",
    );
    assert!(err.contains("t.yaml:11:9: `replace` needs `with`"), "{err}");
    let err = error(
        "rules:\n  - id: r\n    pattern: f($A)\n    verdict: auto\n    fix:\n      - delete: $B\n",
    );
    assert!(
        err.contains("t.yaml:11:17: $B is not captured by the rule"),
        "{err}"
    );
    let err = error(
        "rules:\n  - id: r\n    pattern: \"a();\\n...\\nb();\"\n    verdict: auto\n    fix: c()\n",
    );
    assert!(
        err.contains("a statement sequence is fixed by a list of edits"),
        "{err}"
    );
    let err = error("rules:\n  - id: r\n    pattern: f($A)\n    has: { pattern: g(), stop-by: sometimes }\n    verdict: converted\n");
    assert!(
        err.contains("t.yaml:9:35: unknown `stop-by` `sometimes`"),
        "{err}"
    );
}

#[test]
fn tree_facts_count_references_in_other_files() {
    let yaml = pattern(
        "rules:\n  - id: private\n    pattern: hook($F)\n    where:\n      F: { symbol: { other-references: 0 } }\n    verdict: manual\n    reason: \"$F is used here only\"\n  - id: shared\n    pattern: hook($F)\n    verdict: manual\n    reason: \"$F is used elsewhere\"\n",
    );
    let tree = tempfile::tempdir().unwrap();
    let dir = tree.path().join("drivers");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.c"), "int helper(void)\n{\n\treturn 0;\n}\n\nvoid x(void)\n{\n\thook(helper);\n\thook(lonely);\n}\n").unwrap();
    std::fs::write(
        dir.join("b.c"),
        "int helper(void);\n\nvoid y(void)\n{\n\thelper();\n}\n",
    )
    .unwrap();
    let mut patterns = [load_str(&yaml, "t.yaml").unwrap()];
    patterns[0].anchors = vec!["hook".into()];
    let refs: Vec<&rewriter::pattern::Pattern> = patterns.iter().collect();
    let out = rewriter::engine::run(tree.path(), &refs, &Default::default()).unwrap();
    let reasons: Vec<String> = out.sites.iter().filter_map(|s| s.reason.clone()).collect();
    assert_eq!(
        reasons,
        ["helper is used elsewhere", "lonely is used here only"]
    );
    // without the caller in b.c, the only reference is the match itself
    std::fs::write(dir.join("b.c"), "int helper(void);\n").unwrap();
    let out = rewriter::engine::run(tree.path(), &refs, &Default::default()).unwrap();
    let reasons: Vec<String> = out.sites.iter().filter_map(|s| s.reason.clone()).collect();
    assert_eq!(
        reasons,
        ["helper is used here only", "lonely is used here only"]
    );
}
