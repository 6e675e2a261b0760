//! C snippets with metavariables, compiled to an owned pattern tree and
//! matched structurally against tree-sitter nodes.
//!
//! `$NAME` matches one node and captures it; `$$$NAME` matches a run of
//! zero or more siblings. Inner nodes match when their kinds are equal and
//! their children match in order; leaves match by text. Comments are
//! skipped on both sides. A metavariable used twice must capture the same
//! text both times.

use crate::parse::parse_raw;
use anyhow::{bail, Result};
use std::ops::Range;
use tree_sitter::Node;

const ONE_PREFIX: &str = "__unplug_mv_";
const SEQ_PREFIX: &str = "__unplug_mvs_";

#[derive(Debug, Clone)]
pub enum PNode {
    One(String),
    Seq(String),
    Leaf(Vec<u8>),
    Inner { kind: u16, children: Vec<PNode> },
}

/// A compiled snippet.
#[derive(Debug, Clone)]
pub struct Snippet {
    pub root: PNode,
    pub metavars: Vec<String>,
}

/// What a match captured: byte ranges in the matched file.
pub use super::captures::Captures;

impl Snippet {
    /// Compiles `text`. Without a context it is tried as a top-level item
    /// first, then as a statement, then as an expression; the first reading
    /// without parse errors wins. A context forces one reading, which is how
    /// a struct member (`int (*remove)(struct platform_device *);`, which
    /// also reads as a top-level declaration) or an initializer entry
    /// (`.remove_new = $F`) is written.
    pub fn compile(text: &str) -> Result<Snippet> {
        Self::compile_in(text, None)
    }

    pub fn compile_in(text: &str, context: Option<Context>) -> Result<Snippet> {
        Self::compile_with(text, context, true)
    }

    /// Version 2 with `context: statement`: `foo(x);` is the statement,
    /// so relations such as `follows` see its siblings.
    pub fn compile_statement(text: &str) -> Result<Snippet> {
        Self::compile_with(text, Some(Context::Statement), false)
    }

    fn compile_with(text: &str, context: Option<Context>, unwrap: bool) -> Result<Snippet> {
        let (source, metavars) = encode_metavars(text)?;
        let body = source.trim();
        let bare = body.trim_end_matches(';');
        let all = [
            (Context::TopLevel, format!("{body}\n")),
            (
                Context::Statement,
                format!("void __unplug_snippet(void)\n{{\n{bare};\n}}\n"),
            ),
            (
                Context::Statement,
                format!("void __unplug_snippet(void)\n{{\n{body}\n}}\n"),
            ),
            (
                Context::Field,
                format!("struct __unplug_snippet {{\n{body}\n}};\n"),
            ),
            (
                Context::Parameter,
                format!(
                    "void __unplug_snippet({});\n",
                    body.trim_end_matches([',', ';'])
                ),
            ),
            (
                Context::Initializer,
                format!(
                    "static struct __unplug_snippet __unplug_v = {{\n{},\n}};\n",
                    body.trim_end_matches(',')
                ),
            ),
        ];
        for (ctx, candidate) in all
            .iter()
            // A parameter reads like a declaration: only when asked for.
            .filter(|(c, _)| match context {
                Some(want) => want == *c,
                None => *c != Context::Parameter,
            })
        {
            let tree = parse_raw(candidate.as_bytes());
            if tree.root_node().has_error() {
                continue;
            }
            let root = tree.root_node();
            let Some(node) = snippet_node(root, *ctx) else {
                continue;
            };
            let node = if unwrap { unwrap_statement(node) } else { node };
            return Ok(Snippet {
                root: build(node, candidate.as_bytes()),
                metavars,
            });
        }
        match context {
            Some(c) => bail!(
                "the C snippet `{}` does not parse as {}",
                text.trim(),
                c.describe()
            ),
            None => bail!(
                "the C snippet `{}` does not parse as one declaration, statement or expression",
                text.trim()
            ),
        }
    }

    /// The tree-sitter kind the root must have, if the root is not a metavariable.
    pub fn root_kind(&self) -> Option<u16> {
        match &self.root {
            PNode::Inner { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// Matches the snippet against `node`, whose source is `text`.
    #[cfg(test)]
    pub fn matches(&self, node: Node, text: &[u8]) -> Option<Captures> {
        let mut caps = Captures::new();
        match_node(&self.root, node, text, &mut caps).then_some(caps)
    }

    /// Matches with the captures already made: a metavariable bound there
    /// must capture the same text here. `caps` grows only on a match.
    pub fn match_into(&self, node: Node, text: &[u8], caps: &mut Captures) -> bool {
        match_pnode(&self.root, node, text, caps)
    }
}

/// Matches one compiled pattern node, keeping `caps` unchanged on failure.
pub fn match_pnode(p: &PNode, node: Node, text: &[u8], caps: &mut Captures) -> bool {
    let mark = caps.mark();
    let ok = match_node(p, node, text, caps);
    if !ok {
        caps.back_to(mark);
    }
    ok
}

/// Where a snippet stands, when its text alone is ambiguous.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    TopLevel,
    Statement,
    Field,
    Initializer,
    Parameter,
}

impl Context {
    pub fn parse(name: &str) -> Option<Context> {
        match name {
            "top-level" => Some(Context::TopLevel),
            "statement" => Some(Context::Statement),
            "field" => Some(Context::Field),
            "initializer" => Some(Context::Initializer),
            "parameter" => Some(Context::Parameter),
            _ => None,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Context::TopLevel => "one top-level item",
            Context::Statement => "one statement or expression",
            Context::Field => "one struct member",
            Context::Initializer => "one initializer entry",
            Context::Parameter => "one function parameter",
        }
    }
}

/// The one node the snippet is, inside its wrapper.
fn snippet_node(root: Node, ctx: Context) -> Option<Node> {
    fn single(n: Node) -> Option<Node> {
        let kids: Vec<Node> = named_children(n).collect();
        (kids.len() == 1).then(|| kids[0])
    }
    match ctx {
        Context::TopLevel => single(root),
        Context::Statement => single(root.named_child(0)?.child_by_field_name("body")?),
        Context::Field => single(first_of_kind(root, "field_declaration_list")?),
        Context::Initializer => single(first_of_kind(root, "initializer_list")?),
        Context::Parameter => single(first_of_kind(root, "parameter_list")?),
    }
}

fn first_of_kind<'a>(n: Node<'a>, kind: &str) -> Option<Node<'a>> {
    if n.kind() == kind {
        return Some(n);
    }
    let mut cursor = n.walk();
    let kids: Vec<Node> = n.children(&mut cursor).collect();
    kids.into_iter().find_map(|k| first_of_kind(k, kind))
}

fn named_children(node: Node) -> impl Iterator<Item = Node> {
    (0..node.named_child_count())
        .filter_map(move |i| node.named_child(i))
        .filter(|n| n.kind() != "comment")
}

/// `foo(x);` as a pattern means the call, not the statement.
fn unwrap_statement(node: Node) -> Node {
    if node.kind() == "expression_statement" && node.named_child_count() == 1 {
        node.named_child(0).unwrap()
    } else {
        node
    }
}

/// `$$$ARGS` → `__unplug_mvs_ARGS`, `$NAME` → `__unplug_mv_NAME`: C identifiers.
pub(crate) fn encode_metavars(text: &str) -> Result<(String, Vec<String>)> {
    let mut out = String::with_capacity(text.len() + 32);
    let mut names = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            let ch = text[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
            continue;
        }
        let seq = text[i..].starts_with("$$$");
        let start = if seq { i + 3 } else { i + 1 };
        let end = start
            + text[start..]
                .bytes()
                .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
                .count();
        if end == start {
            bail!("`$` in a snippet must start a metavariable such as $NAME or $$$ARGS (upper case), at `{}`", &text[i..]);
        }
        let name = &text[start..end];
        out.push_str(if seq { SEQ_PREFIX } else { ONE_PREFIX });
        out.push_str(name);
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
        i = end;
    }
    Ok((out, names))
}

pub(crate) fn build(node: Node, src: &[u8]) -> PNode {
    let text = &src[node.byte_range()];
    if let Some(name) = metavar_of(node, src) {
        return name;
    }
    // `$$$REST;` in a block stands for statements, not for one expression
    // statement: the statement around a lone metavariable is the metavariable.
    if node.kind() == "expression_statement" && node.named_child_count() == 1 {
        if let Some(mv) = metavar_of(node.named_child(0).unwrap(), src) {
            return mv;
        }
    }
    let children: Vec<Node> = (0..node.child_count())
        .filter_map(|i| node.child(i))
        .filter(|c| c.kind() != "comment")
        .collect();
    if children.is_empty() {
        return PNode::Leaf(text.to_vec());
    }
    PNode::Inner {
        kind: node.kind_id(),
        children: children.iter().map(|c| build(*c, src)).collect(),
    }
}

fn metavar_of(node: Node, src: &[u8]) -> Option<PNode> {
    let text = std::str::from_utf8(&src[node.byte_range()]).ok()?;
    if let Some(name) = text.strip_prefix(SEQ_PREFIX) {
        return is_name(name).then(|| PNode::Seq(name.to_string()));
    }
    if let Some(name) = text.strip_prefix(ONE_PREFIX) {
        return is_name(name).then(|| PNode::One(name.to_string()));
    }
    None
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

fn bind(caps: &mut Captures, name: &str, range: Range<usize>, text: &[u8]) -> bool {
    match caps.get(name) {
        Some(prev) => text[prev.clone()] == text[range],
        None => {
            caps.insert(name.into(), range);
            true
        }
    }
}

fn match_node(p: &PNode, node: Node, text: &[u8], caps: &mut Captures) -> bool {
    match p {
        PNode::One(name) => bind(caps, name, node.byte_range(), text),
        PNode::Seq(name) => bind(caps, name, node.byte_range(), text),
        PNode::Leaf(want) => node.child_count() == 0 && &text[node.byte_range()] == want.as_slice(),
        PNode::Inner { kind, children, .. } => {
            if node.kind_id() != *kind {
                return false;
            }
            let mut cursor = node.walk();
            let targets: Vec<Node> = node
                .children(&mut cursor)
                .filter(|c| c.kind() != "comment")
                .collect();
            match_seq(children, &targets, text, caps)
        }
    }
}

/// Matches pattern children against target children, `$$$` taking the
/// shortest run that lets the rest match.
fn match_seq(pats: &[PNode], targets: &[Node], text: &[u8], caps: &mut Captures) -> bool {
    let Some((first, rest)) = pats.split_first() else {
        return targets.is_empty();
    };
    if let PNode::Seq(name) = first {
        for take in 0..=targets.len() {
            let mark = caps.mark();
            let range = if take == 0 {
                let at = targets.first().map_or(usize::MAX, |t| t.start_byte());
                at..at
            } else {
                targets[0].start_byte()..targets[take - 1].end_byte()
            };
            let bound = if take == 0 && range.start == usize::MAX {
                caps.bind_new(name, 0..0);
                true
            } else {
                bind(caps, name, range, text)
            };
            if bound && match_seq(rest, &targets[take..], text, caps) {
                return true;
            }
            caps.back_to(mark);
        }
        return false;
    }
    let Some((t, trest)) = targets.split_first() else {
        return false;
    };
    let mark = caps.mark();
    if match_node(first, *t, text, caps) && match_seq(rest, trest, text, caps) {
        return true;
    }
    caps.back_to(mark);
    false
}

/// Fills a template: each `$NAME` / `$$$NAME` becomes the captured bytes
/// from `original` (the unmasked file, so masked tokens survive).
pub fn render(template: &str, caps: &Captures, original: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(template.len() + 64);
    let bytes = template.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let start = if template[i..].starts_with("$$$") {
            i + 3
        } else {
            i + 1
        };
        let end = start
            + template[start..]
                .bytes()
                .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
                .count();
        let name = &template[start..end];
        match caps.get(name) {
            Some(r) if r.start <= r.end && r.end <= original.len() => {
                out.extend_from_slice(&original[r.clone()])
            }
            _ => bail!("the template uses ${name}, which the pattern does not capture"),
        }
        i = end;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn find_all(snippet: &Snippet, src: &str) -> Vec<std::collections::HashMap<String, String>> {
        let parsed = parse(src.as_bytes());
        let mut found = Vec::new();
        let mut stack = vec![parsed.root()];
        while let Some(n) = stack.pop() {
            if let Some(c) = snippet.matches(n, parsed.text()) {
                found.push(
                    c.into_iter()
                        .map(|(k, r)| (k.to_string(), src[r].to_string()))
                        .collect(),
                );
            }
            for i in (0..n.child_count()).rev() {
                stack.push(n.child(i).unwrap());
            }
        }
        found
    }

    #[test]
    fn captures_single_nodes_and_literal_arguments() {
        let s = Snippet::compile("class_create(THIS_MODULE, $NAME)").unwrap();
        let m = find_all(&s, "void f(void)\n{\n\tc = class_create(THIS_MODULE, \"foo\");\n\td = class_create(owner, \"bar\");\n}\n");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0]["NAME"], "\"foo\"");
    }

    #[test]
    fn sequences_take_runs_of_siblings() {
        let s = Snippet::compile("foo($A, $$$REST)").unwrap();
        let m = find_all(&s, "void f(void)\n{\n\tfoo(1, 2, 3);\n\tfoo(1);\n}\n");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0]["A"], "1");
        assert_eq!(m[0]["REST"], "2, 3");
    }

    #[test]
    fn sequence_statements_in_blocks() {
        let s = Snippet::compile_in(
            "if ($D->remove) { int $R = $D->remove($P); $$$REST; }",
            Some(Context::Statement),
        )
        .unwrap();
        let m = find_all(&s, "void f(void)\n{\n\tif (drv->remove) {\n\t\tint ret = drv->remove(dev);\n\n\t\tif (ret)\n\t\t\twarn();\n\t\tdone();\n\t}\n}\n");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0]["REST"], "if (ret)\n\t\t\twarn();\n\t\tdone();");
    }

    #[test]
    fn repeated_metavariables_must_agree() {
        let s = Snippet::compile("$X = $X + 1").unwrap();
        let m = find_all(&s, "void f(void)\n{\n\ta = a + 1;\n\ta = b + 1;\n}\n");
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn comments_do_not_break_a_match() {
        let s = Snippet::compile("g($A, $B)").unwrap();
        assert_eq!(
            find_all(&s, "void f(void)\n{\n\tg(1, /* why */ 2);\n}\n").len(),
            1
        );
    }

    #[test]
    fn contexts_read_members_and_initializer_entries() {
        let member = Snippet::compile_in(
            "int (*remove)(struct platform_device *);",
            Some(Context::Field),
        )
        .unwrap();
        let src = "struct platform_driver {\n\tint (*probe)(struct platform_device *);\n\tint (*remove)(struct platform_device *);\n};\nint (*remove)(struct platform_device *);\n";
        assert_eq!(
            find_all(&member, src).len(),
            1,
            "only the struct member, not the global"
        );
        let entry = Snippet::compile_in(".remove_new = $F", Some(Context::Initializer)).unwrap();
        let m = find_all(
            &entry,
            "static struct platform_driver d = {\n\t.remove_new = foo_remove,\n\t.probe = p,\n};\n",
        );
        assert_eq!(m.len(), 1);
        assert_eq!(m[0]["F"], "foo_remove");
    }

    #[test]
    fn bad_snippets_and_templates_are_errors() {
        assert!(Snippet::compile("foo(").is_err());
        assert!(Snippet::compile("foo($lower)").is_err());
        assert!(render("bar($NOPE)", &Captures::new(), b"").is_err());
    }

    #[test]
    fn render_uses_original_bytes() {
        let mut caps = Captures::new();
        caps.insert("X".into(), 0..3);
        assert_eq!(render("f($X)", &caps, b"abc").unwrap(), b"f(abc)");
    }
}
