//! Where each node of a pattern file stands. serde_yaml gives positions
//! only for syntax errors, so the semantic checks (a bad snippet, a rule
//! without `rewrite`, a duplicate id) look the YAML parser's marks up by
//! path: `rules.2` is the third rule, `rules.2.pattern` its snippet.

use saphyr_parser::{Event, Parser, Span};
use std::collections::HashMap;

/// `line:column` (both from 1) of every node of one YAML document, by path.
pub struct Marks {
    origin: String,
    at: HashMap<String, (usize, usize)>,
    /// Where a second document starts, if the text has one.
    second_document: Option<(usize, usize)>,
}

/// An open mapping (with the key whose value comes next) or sequence.
enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, next: usize },
}

impl Marks {
    /// The marks of `text`; a document the parser rejects has none (its
    /// syntax error is reported by serde_yaml, with its own position).
    pub fn of(text: &str, origin: &str) -> Marks {
        let mut at = HashMap::new();
        let mut stack: Vec<Frame> = Vec::new();
        let mut documents = 0;
        let mut second_document = None;
        // A byte order mark inside the text stops the parser; a space
        // keeps every line and column where they are.
        let text = text.replace('\u{feff}', " ");
        for ev in Parser::new_from_str(&text) {
            let Ok((ev, span)) = ev else { break };
            match ev {
                Event::DocumentStart(..) => {
                    documents += 1;
                    if documents == 2 {
                        second_document = Some(mark(&span));
                    }
                }
                Event::Scalar(value, ..) => leaf(&mut stack, &mut at, &value, &span),
                // an alias stands where a scalar would: as a key or a value
                Event::Alias(..) => leaf(&mut stack, &mut at, "*", &span),
                Event::MappingStart(..) | Event::SequenceStart(..) => {
                    let path = value_path(&mut stack).unwrap_or_default();
                    at.insert(path.clone(), mark(&span));
                    stack.push(match ev {
                        Event::MappingStart(..) => Frame::Map { path, key: None },
                        _ => Frame::Seq { path, next: 0 },
                    });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    stack.pop();
                }
                _ => {}
            }
        }
        Marks {
            origin: origin.to_string(),
            at,
            second_document,
        }
    }

    /// `origin:line:column` of the second document, if there is one.
    pub fn second_document(&self) -> Option<String> {
        self.second_document
            .map(|(line, col)| format!("{}:{line}:{col}", self.origin))
    }

    /// `origin:line:column` of the node at `path`, or of its nearest
    /// ancestor that has a mark, or just `origin`.
    pub fn at(&self, path: &str) -> String {
        let mut p = path;
        loop {
            if let Some((line, col)) = self.at.get(p) {
                return format!("{}:{line}:{col}", self.origin);
            }
            match p.rfind('.') {
                Some(i) => p = &p[..i],
                None if !p.is_empty() => p = "",
                None => return self.origin.clone(),
            }
        }
    }
}

/// A scalar (or alias): the next key of a mapping waiting for one, else a
/// value, whose place is recorded.
fn leaf(stack: &mut [Frame], at: &mut HashMap<String, (usize, usize)>, text: &str, span: &Span) {
    if let Some(Frame::Map {
        key: key @ None, ..
    }) = stack.last_mut()
    {
        *key = Some(text.to_string());
    } else if let Some(path) = value_path(stack) {
        at.insert(path, mark(span));
    }
}

fn mark(span: &Span) -> (usize, usize) {
    (span.start.line(), span.start.col() + 1)
}

/// The path of the value that starts now, given the innermost open node
/// (a mapping's pending key is consumed; a sequence moves to its next item).
fn value_path(stack: &mut [Frame]) -> Option<String> {
    let join = |p: &str, k: &str| {
        if p.is_empty() {
            k.to_string()
        } else {
            format!("{p}.{k}")
        }
    };
    match stack.last_mut()? {
        Frame::Map { path, key } => Some(join(path, &key.take()?)),
        Frame::Seq { path, next } => {
            *next += 1;
            Some(join(path, &(*next - 1).to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_nested_nodes() {
        let text = "version: 1\nid: t\nrules:\n  - id: r\n    pattern: |\n      foo($X)\n    where:\n      X: { regex: a }\n  - id: s\n";
        let m = Marks::of(text, "t.yaml");
        assert_eq!(m.at("version"), "t.yaml:1:10");
        assert_eq!(m.at("rules.0"), "t.yaml:4:5");
        assert_eq!(m.at("rules.0.id"), "t.yaml:4:9");
        assert_eq!(m.at("rules.0.pattern"), "t.yaml:6:7"); // a block scalar: its text
        assert_eq!(m.at("rules.0.where.X.regex"), "t.yaml:8:19");
        assert_eq!(m.at("rules.1"), "t.yaml:9:5");
        assert_eq!(m.at("rules.1.rewrite"), "t.yaml:9:5");
        assert_eq!(m.at(""), "t.yaml:1:1");
        let aliased = "a: &x 1\nb: *x\nc: 2\n";
        assert_eq!(Marks::of(aliased, "t").at("c"), "t:3:4");
    }
}
