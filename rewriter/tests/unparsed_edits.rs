//! No edit inside a region the parser could not read reaches a file,
//! whatever the transform that proposes it does: the engine refuses it
//! where it applies the edits of every pattern.

use rewriter::edit::Edit;
use rewriter::engine::{run, RunOptions};
use rewriter::model::Verdict;
use rewriter::pattern::load_str;
use rewriter::services::{TransformCtx, TransformOutput};
use rewriter::transforms::Transform;

/// Line 4 of `drivers/bad.c` is an ERROR of several tokens.
const BAD: &str = "int g(void)\n{\n\tint x;\n\treturn ) 1 (;\n}\n";
const GOOD: &str = "int f(void)\n{\n\treturn 1;\n}\n";

/// Rewrites every `1` of every candidate into `2`, without looking at
/// the parse at all.
struct Blind;

impl Transform for Blind {
    fn name(&self) -> &'static str {
        "blind"
    }

    fn run(&self, ctx: &TransformCtx) -> TransformOutput {
        let mut out = TransformOutput::default();
        for f in ctx.candidates {
            let at = f.bytes.iter().position(|b| *b == b'1').unwrap();
            let line = f.bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
            out.sites
                .push(ctx.site("one", &f.rel, (line, 1), String::new()));
            let edit = Edit {
                range: at..at + 1,
                replacement: b"2".to_vec(),
                site: out.sites.len() - 1,
            };
            out.add_edit(&f.rel, &f.bytes, edit);
        }
        out
    }
}

#[test]
fn an_edit_inside_an_error_node_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("drivers")).unwrap();
    std::fs::write(dir.path().join("drivers/bad.c"), BAD).unwrap();
    std::fs::write(dir.path().join("drivers/good.c"), GOOD).unwrap();
    let yaml = "version: 1\nid: blind\ntitle: t\nsubject: s\nrationale: r\nanchors: [return]\n\
                rules:\n  - id: none\n    pattern: never_called($X)\n    verdict: manual\n    reason: none\n";
    let mut pattern = load_str(yaml, "blind.yaml").unwrap();
    pattern.transform = Some(&Blind);
    let out = run(dir.path(), &[&pattern], &RunOptions::default()).unwrap();

    let changed: Vec<&str> = out.changes.iter().map(|c| c.file.as_str()).collect();
    assert_eq!(changed, vec!["drivers/good.c"]);
    assert_eq!(out.changes[0].after, b"int f(void)\n{\n\treturn 2;\n}\n");
    let bad = out
        .sites
        .iter()
        .find(|s| s.file == "drivers/bad.c")
        .unwrap();
    assert_eq!(bad.verdict, Verdict::Manual);
    assert_eq!(out.findings.len(), 1);
    assert_eq!(out.findings[0].file, "drivers/bad.c");
    assert_eq!(
        out.findings[0].message,
        "an edit at line 4 lies inside a region the parser could not read (lines 4-4); file left unchanged"
    );
}
