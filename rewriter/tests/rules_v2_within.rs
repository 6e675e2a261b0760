//! Rule language version 2, the nodes inside a match: an edit and a note
//! for every node inside a capture that matches a rule (`for-each: {
//! within: $X }`, a note's `each: { within: $X }`: "every `return 0;` of
//! the callback becomes `return;`, every other return is a note"), node
//! identity (`is: $X`: "a `break` of *this* loop"), sites inside sites
//! (`descend`: a loop in a loop), every problem of a match reported
//! (`problems`) and the nodes joined into one text (`join`).

mod common;

fn pattern(body: &str) -> String {
    format!("version: 2\nid: t\ntitle: T\nrationale: R\nanchors: [teardown]\n{body}")
}

fn sites_of(yaml: &str, src: &str) -> (Vec<String>, String) {
    common::sites_of(&pattern(yaml), src)
}

const RULES: &str = r#"utils:
  other-return: { kind: return_statement, not: { pattern: "return 0;", context: statement } }
rules:
  - id: needs-prep
    pattern: "static int teardown($P) { $$$BODY; }"
    context: top-level
    has: { matches: other-return }
    verdict: manual
    reason: returns something else
    notes: [ { each: { within: $MATCH, matching: { matches: other-return } } } ]
  - id: void
    all:
      - pattern: "static int teardown($P) { $$$BODY; }"
        context: top-level
      - has: { stop-by: neighbor, kind: primitive_type, pattern: $TYPE }
      - has: { stop-by: neighbor, kind: compound_statement, pattern: $B }
    verdict: auto
    fix:
      - replace: $TYPE
        with: void
      - for-each:
          within: $B
          matching: { pattern: "return 0;", context: statement }
          edits: [ { replace: $REF, with: "return;" } ]
"#;

#[test]
fn every_node_of_a_kind_inside_a_capture_is_edited() {
    let src = "static int teardown(struct dev *d)\n{\n\tif (!d->up)\n\t\treturn 0;\n\tstop(d);\n\tif (d->extra) {\n\t\tstop(d->extra);\n\t\treturn 0;\n\t}\n\treturn 0;\n}\n";
    let (sites, out) = sites_of(RULES, src);
    assert_eq!(sites, ["1: auto"]);
    assert_eq!(
        out,
        "static void teardown(struct dev *d)\n{\n\tif (!d->up)\n\t\treturn;\n\tstop(d);\n\tif (d->extra) {\n\t\tstop(d->extra);\n\t\treturn;\n\t}\n\treturn;\n}\n"
    );
}

#[test]
fn every_node_of_a_kind_inside_a_capture_is_a_note() {
    // Each return that is not `return 0;` is a note quoting its line, in
    // the order of the file; `return 0;` is none.
    let src = "static int teardown(struct dev *d)\n{\n\tif (!d->up)\n\t\treturn -ENODEV;\n\tif (stop(d))\n\t\treturn 0;\n\treturn d->err;\n}\n";
    let (sites, out) = sites_of(RULES, src);
    assert_eq!(
        sites,
        [
            "1: manual: returns something else",
            "  4: return -ENODEV;",
            "  7: return d->err;"
        ]
    );
    assert_eq!(out, src);
}

#[test]
fn for_each_takes_one_of_references_and_within() {
    let both = RULES.replace(
        "          within: $B\n",
        "          within: $B\n          references: $B\n",
    );
    let e = common::load_error(&pattern(&both));
    assert!(
        e.contains("`for-each` takes one of `references` and `within`"),
        "{e}"
    );
}

/// The loop rules of the identity and nesting tests: a `while` loop with
/// a `break` of its own, the innermost loop or `switch` around the break.
const LOOPS: &str = r#"utils:
  breakable: { any: [ { kind: while_statement }, { kind: for_statement }, { kind: switch_statement } ] }
rules:
  - id: own-break
    all: [ { kind: while_statement }, { pattern: $LOOP } ]
    has:
      kind: break_statement
      inside: { is: $LOOP, stop-by: { matches: breakable } }
    verdict: manual
    reason: breaks out
"#;

#[test]
fn is_matches_the_captured_node_itself() {
    // Two loops of the same text stay apart; the break of a `switch` is
    // not the loop's.
    let src = "void teardown(void)\n{\n\twhile (a) {\n\t\tif (x)\n\t\t\tbreak;\n\t}\n\twhile (b) {\n\t\tswitch (y) {\n\t\tcase 1:\n\t\t\tbreak;\n\t\t}\n\t}\n\twhile (a) {\n\t\tif (x)\n\t\t\tbreak;\n\t}\n}\n";
    assert_eq!(
        sites_of(LOOPS, src).0,
        ["3: manual: breaks out", "13: manual: breaks out"]
    );
    let unbound = LOOPS.replace("is: $LOOP", "is: $NOPE");
    let e = common::load_error(&pattern(&unbound));
    assert!(e.contains("$NOPE"), "{e}");
}

#[test]
fn descend_finds_sites_inside_sites() {
    // The inner loop breaks out of itself; without `descend` the outer
    // match hides it.
    let src = "void teardown(void)\n{\n\twhile (a) {\n\t\twhile (b) {\n\t\t\tif (x)\n\t\t\t\tbreak;\n\t\t}\n\t\tif (y)\n\t\t\tbreak;\n\t}\n}\n";
    assert_eq!(sites_of(LOOPS, src).0, ["3: manual: breaks out"]);
    let nested = LOOPS.replace(
        "    verdict: manual\n",
        "    descend: true\n    verdict: manual\n",
    );
    assert_eq!(
        sites_of(&nested, src).0,
        ["3: manual: breaks out", "4: manual: breaks out"]
    );
}

/// Every problem of a loop, whichever kind is found first in the file:
/// the earliest is the reason, the others notes; a loop without one is
/// left to the next rule.
const PROBLEMS: &str = r#"rules:
  - id: in-the-way
    all: [ { kind: while_statement }, { pattern: $LOOP } ]
    verdict: manual
    problems:
      - each: { within: $LOOP, matching: { pattern: "put($C);", context: statement, not: { precedes: { stop-by: neighbor, kind: break_statement } } } }
        message: "put($C) is not on an exit"
      - each: { within: $LOOP, matching: { pattern: "keep($C)" } }
        message: "keep() may hold $C"
  - id: clean
    kind: while_statement
    verdict: manual
    reason: nothing in the way
"#;

#[test]
fn problems_give_the_earliest_as_the_reason_and_the_rest_as_notes() {
    let src = "void teardown(void)\n{\n\twhile (next(&c)) {\n\t\tkeep(c);\n\t\tput(c);\n\t\tif (x) {\n\t\t\tput(c);\n\t\t\tbreak;\n\t\t}\n\t}\n\twhile (next(&d)) {\n\t\tput(d);\n\t\tif (y)\n\t\t\tkeep(d);\n\t}\n\twhile (next(&e)) {\n\t\tif (z) {\n\t\t\tput(e);\n\t\t\tbreak;\n\t\t}\n\t}\n}\n";
    assert_eq!(
        sites_of(PROBLEMS, src).0,
        [
            "3: manual: keep() may hold c",
            "  5: put(c) is not on an exit",
            "11: manual: put(d) is not on an exit",
            "  14: keep() may hold d",
            "16: manual: nothing in the way",
        ]
    );
    let both = PROBLEMS.replace(
        "    verdict: manual\n    problems:",
        "    verdict: manual\n    reason: r\n    problems:",
    );
    let e = common::load_error(&pattern(&both));
    assert!(e.contains("takes its reason from them"), "{e}");
}

#[test]
fn join_makes_one_text_of_the_nodes_inside_a_capture() {
    // Every return but `return 0;` in one sentence, and how many there are.
    let yaml = r#"utils:
  other-return: { kind: return_statement, not: { pattern: "return 0;", context: statement } }
rules:
  - id: needs-prep
    pattern: "static int teardown($P) { $$$BODY; }"
    context: top-level
    has: { matches: other-return }
    join:
      - { into: WHERE, each: { within: $MATCH, matching: { matches: other-return } }, item: "`$REF` on line ${REF:line}", separator: ", " }
      - { into: N, each: { within: $MATCH, matching: { matches: other-return } }, count: true }
    verdict: manual
    reason: "returns something else on $N path(s): $WHERE"
"#;
    let src = "static int teardown(struct dev *d)\n{\n\tif (!d->up)\n\t\treturn -ENODEV;\n\tif (stop(d))\n\t\treturn 0;\n\treturn d->err;\n}\n";
    assert_eq!(
        sites_of(yaml, src).0,
        ["1: manual: returns something else on 2 path(s): `return -ENODEV;` on line 4, `return d->err;` on line 7"]
    );
    let both = yaml.replace("count: true", "count: true, item: x");
    let e = common::load_error(&pattern(&both));
    assert!(e.contains("takes one of `item` and `count: true`"), "{e}");
}
