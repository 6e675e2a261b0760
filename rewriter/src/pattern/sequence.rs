//! Statement sequences: a pattern of several statements, with `...` lines
//! standing for gaps of any statements between them (SmPL's `...`). A
//! sequence matches a run of statements of one block; statements written
//! next to each other must be next to each other in the block. Gaps are
//! tried shortest first, and a block yields every match that does not
//! overlap an earlier one.

use super::snippet::{build, encode_metavars, match_pnode, Captures, PNode};
use crate::parse::parse_raw;
use anyhow::{bail, Result};
use tree_sitter::Node;

pub enum Step {
    Stmt(PNode),
    Gap,
}

pub struct Sequence {
    pub steps: Vec<Step>,
    pub metavars: Vec<String>,
    /// How many statements (not gaps) the pattern has.
    pub statements: usize,
}

/// A match: the statements matched, in order, and the statements of each gap.
pub struct SeqMatch<'t> {
    pub stmts: Vec<Node<'t>>,
    pub gaps: Vec<Vec<Node<'t>>>,
}

/// Decides a candidate match: whether the gaps are acceptable (`when`) and
/// whether the whole match is (`where`). Captures may grow on acceptance.
pub trait Judge<'t> {
    fn gap(&self, gap: &[Node<'t>], caps: &mut Captures) -> bool;
    fn accept(&self, m: &SeqMatch<'t>, caps: &mut Captures) -> bool;
}

impl Sequence {
    /// Compiles `text` as a sequence when it has a `...` line or several
    /// statements; `Ok(None)` when it is one statement or not statements.
    pub fn compile(text: &str) -> Result<Option<Sequence>> {
        let mut chunks: Vec<Option<String>> = vec![Some(String::new())];
        for line in text.lines() {
            if line.trim() == "..." {
                chunks.push(None);
                chunks.push(Some(String::new()));
            } else if let Some(Some(c)) = chunks.last_mut() {
                c.push_str(line);
                c.push('\n');
            }
        }
        let has_gap = chunks.len() > 1;
        let mut steps = Vec::new();
        let mut metavars = Vec::new();
        for chunk in chunks {
            let Some(chunk) = chunk else {
                steps.push(Step::Gap);
                continue;
            };
            if chunk.trim().is_empty() {
                bail!("a `...` must stand between two statements of the pattern");
            }
            let (source, names) = encode_metavars(&chunk)?;
            let wrapped = format!("void __unplug_snippet(void)\n{{\n{source}\n}}\n");
            let tree = parse_raw(wrapped.as_bytes());
            if tree.root_node().has_error() {
                if !has_gap {
                    return Ok(None);
                }
                bail!(
                    "the statements `{}` do not parse as C statements",
                    chunk.trim()
                );
            }
            let body = tree
                .root_node()
                .named_child(0)
                .and_then(|f| f.child_by_field_name("body"));
            let Some(body) = body else { return Ok(None) };
            let stmts = statements(body);
            for s in stmts {
                steps.push(Step::Stmt(build(s, wrapped.as_bytes())));
            }
            for n in names {
                if !metavars.contains(&n) {
                    metavars.push(n);
                }
            }
        }
        let statements = steps.iter().filter(|s| matches!(s, Step::Stmt(_))).count();
        if !has_gap && statements < 2 {
            return Ok(None);
        }
        Ok(Some(Sequence {
            steps,
            metavars,
            statements,
        }))
    }

    /// The first match in `stmts` starting at `from` or later that the
    /// judge accepts, with its captures.
    pub fn find<'t>(
        &self,
        stmts: &[Node<'t>],
        from: usize,
        text: &[u8],
        judge: &dyn Judge<'t>,
    ) -> Option<(SeqMatch<'t>, Captures)> {
        let search = Search {
            seq: self,
            stmts,
            text,
            judge,
        };
        (from..stmts.len()).find_map(|start| {
            let mut m = SeqMatch {
                stmts: Vec::new(),
                gaps: Vec::new(),
            };
            let mut caps = Captures::new();
            search
                .steps_from(0, start, &mut m, &mut caps)
                .then_some((m, caps))
        })
    }
}

/// One search of a sequence over the statements of a block.
struct Search<'a, 't> {
    seq: &'a Sequence,
    stmts: &'a [Node<'t>],
    text: &'a [u8],
    judge: &'a dyn Judge<'t>,
}

impl<'t> Search<'_, 't> {
    /// Matches `steps[step..]` against `stmts[at..]`, backtracking over gap
    /// lengths; on success `m` and `caps` hold the accepted match.
    fn steps_from(
        &self,
        step: usize,
        at: usize,
        m: &mut SeqMatch<'t>,
        caps: &mut Captures,
    ) -> bool {
        match self.seq.steps.get(step) {
            None => self.judge.accept(m, caps),
            Some(Step::Stmt(p)) => {
                let Some(node) = self.stmts.get(at) else {
                    return false;
                };
                let mut trial = caps.clone();
                if !match_pnode(p, *node, self.text, &mut trial) {
                    return false;
                }
                m.stmts.push(*node);
                if self.steps_from(step + 1, at + 1, m, &mut trial) {
                    *caps = trial;
                    return true;
                }
                m.stmts.pop();
                false
            }
            Some(Step::Gap) => {
                for end in at..self.stmts.len() {
                    let mut trial = caps.clone();
                    let gap = &self.stmts[at..end];
                    if !self.judge.gap(gap, &mut trial) {
                        continue;
                    }
                    m.gaps.push(gap.to_vec());
                    if self.steps_from(step + 1, end, m, &mut trial) {
                        *caps = trial;
                        return true;
                    }
                    m.gaps.pop();
                }
                false
            }
        }
    }
}

/// The statements of a block, comments left out.
pub fn statements(block: Node) -> Vec<Node> {
    let mut cursor = block.walk();
    block
        .named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    struct Any;
    impl<'t> Judge<'t> for Any {
        fn gap(&self, _: &[Node<'t>], _: &mut Captures) -> bool {
            true
        }
        fn accept(&self, _: &SeqMatch<'t>, _: &mut Captures) -> bool {
            true
        }
    }

    fn body_of(parsed: &crate::parse::Parsed) -> Node<'_> {
        parsed
            .root()
            .named_child(0)
            .unwrap()
            .child_by_field_name("body")
            .unwrap()
    }

    #[test]
    fn gaps_take_the_shortest_run_and_captures_agree() {
        let seq = Sequence::compile("$R = get($D);\n...\nput($R);\n")
            .unwrap()
            .unwrap();
        assert_eq!(seq.statements, 2);
        let src = "void f(void)\n{\n\ta = get(d);\n\tuse(a);\n\tput(b);\n\tput(a);\n\tput(a);\n}\n";
        let parsed = parse(src.as_bytes());
        let stmts = statements(body_of(&parsed));
        let (m, caps) = seq.find(&stmts, 0, parsed.text(), &Any).unwrap();
        assert_eq!(m.stmts.len(), 2);
        assert_eq!(m.gaps[0].len(), 2, "use(a); put(b); lie in the gap");
        assert_eq!(&src[caps["R"].clone()], "a");
        assert_eq!(m.stmts[1].start_position().row, 5);
    }

    #[test]
    fn one_statement_is_no_sequence_and_edges_need_statements() {
        assert!(Sequence::compile("foo($X);").unwrap().is_none());
        assert!(Sequence::compile("...\nfoo($X);").is_err());
        assert!(Sequence::compile("a();\nb();").unwrap().is_some());
    }
}
