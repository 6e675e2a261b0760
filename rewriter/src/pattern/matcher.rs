//! Compiled rule objects and how they match a node: snippets and kinds,
//! the composites `all` / `any` / `not`, named `utils`, and the relations
//! `inside` / `has` / `follows` / `precedes`. Captures are shared: a
//! metavariable bound by one part means the same text in every other part
//! (so `$RES` in a `not: { has: ... }` is the resource the pattern found).

use super::snippet::{Captures, Snippet};
use crate::parse::children;
use tree_sitter::Node;

pub enum Matcher {
    Snippet(Snippet),
    Kind(u16),
    /// The node's text matches.
    Regex(regex::Regex),
    All(Vec<Matcher>),
    Any(Vec<Matcher>),
    Not(Box<Matcher>),
    /// A fragment of the file's `utils`, by index.
    Util(usize),
    Relation(Box<Relation>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelKind {
    Inside,
    Has,
    Follows,
    Precedes,
}

pub enum Stop {
    /// Only the parent, the children, or the adjacent sibling.
    Neighbor,
    /// As far as the tree goes.
    End,
    /// Up to and including the first node this matches.
    Rule(Matcher),
}

pub struct Relation {
    pub kind: RelKind,
    pub rule: Matcher,
    pub stop: Stop,
    /// Version 1 relations match with captures of their own and give none
    /// back; version 2 relations share them with the rule they qualify.
    pub fresh: bool,
}

/// What matching needs besides the node: the file's masked text and the
/// pattern's compiled `utils`.
pub struct Cx<'a> {
    pub text: &'a [u8],
    /// The file as written: what a `regex` reads (masked tokens such as
    /// `__exit` included; the offsets are the masked text's).
    pub original: &'a [u8],
    pub utils: &'a [Matcher],
    /// The file's syntax tree.
    pub root: Node<'a>,
    /// A node whose parent the caller already holds, with that parent:
    /// `Node::prev_sibling`/`next_sibling` search down from the root, so a
    /// relation stepping through the siblings of each of the ancestors
    /// `inside` visits would cost the square of the depth.
    pub parent_of: Option<(Node<'a>, Node<'a>)>,
}

impl<'a> Cx<'a> {
    /// A context that knows `parent` is the parent of `node`.
    pub fn knowing(&self, node: Node<'a>, parent: Option<Node<'a>>) -> Cx<'a> {
        Cx {
            parent_of: parent.map(|p| (node, p)),
            ..*self
        }
    }

    /// The siblings of `node` on one side, nearest first: through the
    /// known parent's children when there is one.
    fn siblings(&self, node: Node<'a>, before: bool) -> Vec<Node<'a>> {
        let Some((_, parent)) = self.parent_of.filter(|(n, _)| *n == node) else {
            let step = |n: Node<'a>| if before { n.prev_sibling() } else { n.next_sibling() };
            return std::iter::successors(step(node), |n| step(*n)).collect();
        };
        let all = children(parent);
        let at = all.iter().position(|n| *n == node).unwrap_or(all.len());
        if before {
            all[..at].iter().rev().copied().collect()
        } else {
            all.get(at + 1..).unwrap_or_default().to_vec()
        }
    }
}

impl Matcher {
    /// The node kinds this can match, when it says (a prefilter: most
    /// nodes of a file are rejected by their kind alone).
    pub fn root_kinds(&self, utils: &[Matcher]) -> Option<Vec<u16>> {
        match self {
            Matcher::Snippet(s) => s.root_kind().map(|k| vec![k]),
            Matcher::Kind(k) => Some(vec![*k]),
            Matcher::All(parts) => parts.iter().find_map(|p| p.root_kinds(utils)),
            Matcher::Any(alts) => {
                let mut all = Vec::new();
                for a in alts {
                    all.extend(a.root_kinds(utils)?);
                }
                Some(all)
            }
            Matcher::Util(i) => utils[*i].root_kinds(utils),
            Matcher::Not(_) | Matcher::Relation(_) | Matcher::Regex(_) => None,
        }
    }

    /// Whether this matches `node`; on success the captures it made are
    /// added to `caps`, on failure `caps` is unchanged.
    pub fn matches<'t>(&self, node: Node<'t>, cx: &Cx<'t>, caps: &mut Captures) -> bool {
        match self {
            Matcher::Snippet(s) => {
                s.root_kind().is_none_or(|k| k == node.kind_id())
                    && s.match_into(node, cx.text, caps)
            }
            Matcher::Kind(k) => *k == node.kind_id(),
            Matcher::Regex(re) => {
                super::regex_caps::match_binding(re, cx.original, node.byte_range(), caps)
            }
            Matcher::All(parts) => {
                let mut trial = caps.clone();
                let ok = parts.iter().all(|p| p.matches(node, cx, &mut trial));
                if ok {
                    *caps = trial;
                }
                ok
            }
            Matcher::Any(alts) => alts.iter().any(|a| a.matches(node, cx, caps)),
            Matcher::Not(inner) => !inner.matches(node, cx, &mut caps.clone()),
            Matcher::Util(i) => cx.utils[*i].matches(node, cx, caps),
            Matcher::Relation(rel) => rel.matches(node, cx, caps),
        }
    }
}

impl Relation {
    fn matches<'t>(&self, node: Node<'t>, cx: &Cx<'t>, caps: &mut Captures) -> bool {
        let mut own = if self.fresh {
            Captures::new()
        } else {
            caps.clone()
        };
        let found = self
            .candidates(node, cx)
            .into_iter()
            .any(|(n, parent)| self.rule.matches(n, &cx.knowing(n, parent), &mut own));
        if found && !self.fresh {
            *caps = own;
        }
        found
    }

    /// The nodes the relation looks at, nearest first, each with its
    /// parent when the walk knows it.
    fn candidates<'t>(&self, node: Node<'t>, cx: &Cx<'t>) -> Vec<(Node<'t>, Option<Node<'t>>)> {
        let stops = |n: Node<'t>, parent: Option<Node<'t>>| match &self.stop {
            Stop::Rule(r) => r.matches(n, &cx.knowing(n, parent), &mut Captures::new()),
            _ => false,
        };
        let neighbor = matches!(self.stop, Stop::Neighbor);
        match self.kind {
            RelKind::Inside => {
                let path = ancestors(cx.root, node);
                let mut out = Vec::new();
                for (i, a) in path.iter().enumerate().rev() {
                    let parent = i.checked_sub(1).map(|p| path[p]);
                    out.push((*a, parent));
                    if neighbor || stops(*a, parent) {
                        break;
                    }
                }
                out
            }
            RelKind::Has if neighbor => with_parent(significant(children(node)), node),
            RelKind::Has => {
                let mut out = Vec::new();
                let mut stack = with_parent(significant(children(node)), node);
                stack.reverse();
                while let Some((n, parent)) = stack.pop() {
                    out.push((n, parent));
                    if !stops(n, parent) {
                        stack.extend(with_parent(significant(children(n)), n).into_iter().rev());
                    }
                }
                out
            }
            RelKind::Follows | RelKind::Precedes => {
                let parent = cx.parent_of.filter(|(n, _)| *n == node).map(|(_, p)| p);
                let mut out = Vec::new();
                for s in cx.siblings(node, self.kind == RelKind::Follows) {
                    if s.kind() != "comment" {
                        out.push((s, parent));
                        if neighbor || stops(s, parent) {
                            break;
                        }
                    }
                }
                out
            }
        }
    }
}

fn with_parent<'t>(nodes: Vec<Node<'t>>, parent: Node<'t>) -> Vec<(Node<'t>, Option<Node<'t>>)> {
    nodes.into_iter().map(|n| (n, Some(parent))).collect()
}

/// The ancestors of `node`, outermost first, found from `root` down:
/// `Node::parent` itself searches down from the root, so a chain of
/// parents would cost the square of the depth (a call inside thousands of
/// nested blocks).
fn ancestors<'t>(root: Node<'t>, node: Node<'t>) -> Vec<Node<'t>> {
    let mut path = Vec::new();
    let mut at = root;
    while at != node {
        let Some(next) = at.child_with_descendant(node) else {
            break;
        };
        path.push(at);
        at = next;
    }
    path
}

fn significant(nodes: Vec<Node>) -> Vec<Node> {
    nodes
        .into_iter()
        .filter(|n| n.kind() != "comment")
        .collect()
}

/// The outermost node that spans exactly `range` (a capture's node: a
/// statement rather than the call it holds, when they end alike only the
/// outer one is meant if it is the same bytes).
pub fn node_at<'t>(root: Node<'t>, range: std::ops::Range<usize>) -> Option<Node<'t>> {
    let mut n = root.descendant_for_byte_range(range.start, range.end)?;
    if n.byte_range() != range {
        return None;
    }
    while let Some(p) = n.parent() {
        if p.byte_range() != range {
            break;
        }
        n = p;
    }
    Some(n)
}
