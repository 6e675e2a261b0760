//! What the rule-language tests share: one pattern run over one source.

use rewriter::parse::parse;
use rewriter::pattern::load_str;
use rewriter::rules::run_rules;

/// `line: verdict[: reason]` of every site of the pattern `yaml` over
/// `src`, each followed by its notes (`  line: message`), and the source
/// after the edits.
pub fn sites_of(yaml: &str, src: &str) -> (Vec<String>, String) {
    let p = load_str(yaml, "t.yaml").unwrap_or_else(|e| panic!("{e:#}"));
    let parsed = parse(src.as_bytes());
    let m = run_rules(&p, "f.c", src.as_bytes(), &parsed);
    let mut out = Vec::new();
    for s in &m.sites {
        out.push(match &s.reason {
            Some(r) => format!("{}: {}: {r}", s.line, s.verdict.as_str()),
            None => format!("{}: {}", s.line, s.verdict.as_str()),
        });
        out.extend(
            s.notes
                .iter()
                .map(|n| format!("  {}: {}", n.line, n.message)),
        );
    }
    let new = rewriter::edit::apply(src.as_bytes(), m.edits).expect("edits do not overlap");
    (out, String::from_utf8(new).unwrap())
}

/// The error loading the pattern `yaml` gives, with its causes.
pub fn load_error(yaml: &str) -> String {
    match load_str(yaml, "t.yaml") {
        Ok(_) => panic!("loaded"),
        Err(e) => format!("{e:#}"),
    }
}
