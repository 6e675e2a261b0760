//! What a site says besides its verdict: its `reason` and its `notes`
//! (further places that explain it, each `file:line: message`). Both are
//! templates over the rule's captures; `${NAME:line}` is the line a
//! capture starts on, so a reason can point at the call it is about.

use super::snippet::{render, Captures};
use crate::model::Note;
use crate::parse::Parsed;
use anyhow::{bail, Result};
use regex::Regex;
use std::collections::BTreeSet;

/// The nodes inside a capture that match a rule (`each: { within: $X,
/// matching: R }`): the capture's name and the rule.
pub type Each = (String, super::references::RefRule);

/// A text of a rule's messages (`join`): the nodes `each` finds, each
/// rendered by `item` and joined by `separator`, or counted when there is
/// no `item`.
pub struct JoinText {
    pub into: String,
    pub each: Each,
    pub item: Option<String>,
    pub separator: String,
}

/// A note of a rule: at the line of capture `at`, saying `message`, or
/// quoting that line when there is none (the call in the way). With
/// `each`, one such note per node inside a capture that matches a rule,
/// with that node's captures (`$REF`, the node).
pub struct NoteTemplate {
    pub at: String,
    pub message: Option<String>,
    pub each: Option<Each>,
}

fn line_refs() -> Regex {
    Regex::new(r"\$\{([A-Z][A-Z0-9_]*):line\}").expect("static regex")
}

/// Checks the `${NAME:line}` references of a message template: each names
/// a capture of the rule, and no other `${...}` form is used.
pub fn check_lines(text: &str, at: &str, captured: &BTreeSet<String>) -> Result<()> {
    let refs = line_refs();
    for c in refs.captures_iter(text) {
        if !captured.contains(&c[1]) {
            bail!(
                "{at}: the template uses ${{{}:line}}, which the pattern does not capture",
                &c[1]
            );
        }
    }
    if let Some(i) = refs.replace_all(text, "").find("${") {
        let rest: String = text[i..].chars().take(20).collect();
        bail!("{at}: expected `${{NAME:line}}` (the line of a capture), at `{rest}`");
    }
    Ok(())
}

/// Fills a message: `${NAME:line}` with the capture's line, then every
/// `$NAME` with its text as written.
pub fn render_message(
    template: &str,
    caps: &Captures,
    original: &[u8],
    parsed: &Parsed,
) -> Result<String> {
    let mut missing = None;
    let with_lines =
        line_refs().replace_all(template, |c: &regex::Captures| match caps.get(&c[1]) {
            Some(r) => parsed.line_col(r.start).0.to_string(),
            None => {
                missing = Some(c[1].to_string());
                String::new()
            }
        });
    if let Some(name) = missing {
        bail!("the template uses ${{{name}:line}}, which the match did not capture");
    }
    let text = render(&with_lines, caps, original)?;
    Ok(String::from_utf8_lossy(&text).into_owned())
}

impl NoteTemplate {
    /// The note of one match, or none when its capture is missing (a
    /// capture of an alternative the match did not take).
    pub fn render(
        &self,
        caps: &Captures,
        texts: &[(String, Vec<u8>)],
        rel: &str,
        original: &[u8],
        parsed: &Parsed,
    ) -> Option<Note> {
        let at = caps.get(self.at.as_str())?;
        let message = match &self.message {
            Some(m) => {
                let m = super::references::expand(m, texts);
                render_message(&m, caps, original, parsed).ok()?
            }
            None => {
                let line = parsed.lines.line_start(at.start)..parsed.lines.line_end(at.start);
                String::from_utf8_lossy(&original[line]).trim().to_string()
            }
        };
        Some(Note {
            file: rel.to_string(),
            line: parsed.line_col(at.start).0,
            message,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_captures_fill_messages() {
        let src = b"void f(void)\n{\n\tdel_timer(&t);\n\tmod_timer(&t, 1);\n}\n";
        let parsed = crate::parse::parse(src);
        let mut caps = Captures::new();
        caps.insert("ARM".into(), 32..41);
        let m = render_message("$ARM() on line ${ARM:line}", &caps, src, &parsed).unwrap();
        assert_eq!(m, "mod_timer() on line 4");
        assert!(render_message("${NOPE:line}", &caps, src, &parsed).is_err());
        let known: BTreeSet<String> = ["ARM".to_string()].into();
        assert!(check_lines("on line ${ARM:line}", "t.yaml:1:1", &known).is_ok());
        let e = check_lines("${ARM:col}", "t.yaml:1:1", &known).unwrap_err();
        assert!(e.to_string().contains("${NAME:line}"), "{e}");
        assert!(check_lines("${X:line}", "t.yaml:1:1", &known).is_err());
    }
}
