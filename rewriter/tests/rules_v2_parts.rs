//! Rule language version 2, the constructs `timer-shutdown-on-teardown`
//! brought: regexes over the source as written whose named groups
//! capture, `notes` and `${NAME:line}`, `also-parse` (words and `names`), and
//! the load errors of these keys.

mod common;

use rewriter::engine::{run, RunOptions};
use rewriter::pattern::load_str;

fn pattern(body: &str) -> String {
    format!("version: 2\nid: t\ntitle: T\nrationale: R\nanchors: [stop]\n{body}")
}

fn sites_of(yaml: &str, src: &str) -> (Vec<String>, String) {
    common::sites_of(&pattern(yaml), src)
}

fn error(yaml: &str) -> String {
    common::load_error(&pattern(yaml))
}

#[test]
fn regex_groups_capture_parts_of_a_node() {
    // `$SYNC` is part of the name, `$OWNER` part of the argument; the
    // second stop's owner is freed, the first's is not.
    let yaml = r#"rules:
  - id: freed
    all:
      - pattern: $F($T)
      - has: { kind: identifier, stop-by: neighbor, regex: '^stop(?P<SYNC>(?:_sync)?)$' }
      - has: { kind: argument_list, stop-by: neighbor, has: { pattern: $T, stop-by: neighbor, regex: '^&(?P<OWNER>\w+)->' } }
      - inside:
          kind: expression_statement
          stop-by: neighbor
          precedes: { pattern: "kfree($OWNER);", context: statement }
    verdict: auto
    fix: [{ replace: $F, with: shut$SYNC }]
"#;
    let src = "void f(struct a *a, struct b *b)\n{\n\tstop(&a->t);\n\tstop_sync(&b->t);\n\tkfree(b);\n}\n";
    let (sites, out) = sites_of(yaml, src);
    assert_eq!(sites, ["4: auto"]);
    assert!(
        out.contains("\tstop(&a->t);\n\tshut_sync(&b->t);\n"),
        "{out}"
    );
}

#[test]
fn regex_reads_the_source_as_written() {
    // `__exit` is masked for the parser, not for a regex.
    let yaml = "rules:\n  - id: exit\n    pattern: stop($T)\n    inside: { kind: function_definition, regex: '^[^{]*__exit' }\n    verdict: manual\n    reason: in an exit\n";
    let src = "static void __exit a_exit(void)\n{\n\tstop(&t);\n}\n\nstatic void b(void)\n{\n\tstop(&t);\n}\n";
    let (sites, _) = sites_of(yaml, src);
    assert_eq!(sites, ["3: manual: in an exit"]);
}

#[test]
fn notes_and_lines_of_captures() {
    let yaml = "rules:\n  - id: rearmed\n    pattern: stop($T)\n    inside:\n      kind: expression_statement\n      stop-by: neighbor\n      precedes: { has: { pattern: \"arm($T, $$$A)\", all: [{ has: { kind: identifier, pattern: $ARM, stop-by: neighbor } }] } }\n    verdict: manual\n    reason: \"armed again on line ${ARM:line}\"\n    notes:\n      - { at: $ARM, message: \"$ARM($T, ...)\" }\n";
    let src = "void f(void)\n{\n\tstop(&t);\n\tx();\n\tarm(&t, 1);\n}\n";
    let (sites, _) = sites_of(yaml, src);
    assert_eq!(
        sites,
        ["3: manual: armed again on line 5", "  5: arm(&t, ...)"]
    );
}

#[test]
fn also_parse_reads_the_items_a_rule_looks_at() {
    // The setup sits in another function, without an anchor: only
    // `also-parse` has it parsed, so only then is it seen.
    let yaml = "{also}rules:\n  - id: set-up\n    pattern: stop($T)\n    inside: { kind: translation_unit, has: { pattern: \"setup($T)\" } }\n    verdict: manual\n    reason: set up elsewhere\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("drivers")).unwrap();
    let src = "static void a_probe(void)\n{\n\tsetup(&t);\n}\n\nstatic void a_remove(void)\n{\n\tstop(&t);\n}\n";
    std::fs::write(dir.path().join("drivers/a.c"), src).unwrap();
    let count = |also: &str| {
        let p = load_str(&pattern(&yaml.replace("{also}", also)), "t.yaml").unwrap();
        run(dir.path(), &[&p], &RunOptions::default())
            .unwrap()
            .sites
            .len()
    };
    assert_eq!(count(""), 0);
    assert_eq!(count("also-parse: [setup]\n"), 1);
}

#[test]
fn also_parse_names_reads_the_items_holding_each_captured_name() {
    // `.ops = a_ops` names the object whose items a rule looks at; the
    // name differs per file, so no word could list it.
    let yaml = "also-parse:\n  - names: '\\.ops\\s*=\\s*(\\w+)'\nrules:\n  - id: shared\n    pattern: stop($T)\n    inside: { kind: translation_unit, has: { pattern: \"$F($T)\", regex: '^a_setup' } }\n    verdict: manual\n    reason: set up elsewhere\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("drivers")).unwrap();
    let src = "static void a_setup(void)\n{\n\ta_setup_timer(&t);\n}\n\nstatic struct ops x = {\n\t.ops = a_setup,\n};\n\nstatic void a_remove(void)\n{\n\tstop(&t);\n}\n";
    let run_with = |src: &str| {
        std::fs::write(dir.path().join("drivers/a.c"), src).unwrap();
        let p = load_str(&pattern(yaml), "t.yaml").unwrap_or_else(|e| panic!("{e:#}"));
        run(dir.path(), &[&p], &RunOptions::default())
            .unwrap()
            .sites
            .len()
    };
    assert_eq!(run_with(src), 1);
    // Named by nothing, the setup is not parsed, so not seen.
    assert_eq!(
        run_with(&src.replace(".ops = a_setup", ".ops = b_other")),
        0
    );
    let e = error("also-parse:\n  - names: '\\.ops = \\w+'\nrules:\n  - id: r\n    pattern: stop($T)\n    verdict: manual\n    reason: r\n");
    assert!(e.contains("t.yaml:7:12: `names` needs a group"), "{e}");
}

#[test]
fn errors_of_the_new_keys() {
    let base = "rules:\n  - id: r\n    pattern: stop($T)\n    verdict: manual\n    reason: r\n";
    let e = error(&format!("{base}    notes: [{{ at: $NOPE, message: m }}]\n"));
    assert!(e.contains("t.yaml:11:19: expected a capture"), "{e}");
    let e = error(&format!(
        "{base}    notes: [{{ at: $T, message: \"${{T:col}}\" }}]\n"
    ));
    assert!(e.contains("expected `${NAME:line}`"), "{e}");
    let e = error(&base.replace("reason: r", "reason: \"${X:line}\""));
    assert!(
        e.contains("${X:line}, which the pattern does not capture"),
        "{e}"
    );
    let e = error(&base.replace("reason: r", "reason: \"$OWNER\""));
    assert!(e.contains("$OWNER"), "{e}");
    let rel = base.replace(
        "verdict: manual",
        "inside: { kind: x_y, notes: [{ at: $T, message: m }] }\n    verdict: manual",
    );
    assert!(error(&rel).contains("no `id`, `verdict`, `where` or `notes`"));
    let v1 = format!(
        "version: 1\nid: t\ntitle: T\nrationale: R\nanchors: [stop]\nalso-parse: [setup]\n{base}"
    );
    let e = format!("{:#}", load_str(&v1, "t.yaml").err().unwrap());
    assert!(
        e.contains("t.yaml:6:13: `also-parse` needs `version: 2`"),
        "{e}"
    );
}
