//! Compiled rule objects and how they match a node: snippets and kinds,
//! the composites `all` / `any` / `not`, named `utils`, and the relations
//! `inside` / `has` / `follows` / `precedes`. Captures are shared: a
//! metavariable bound by one part means the same text in every other part
//! (so `$RES` in a `not: { has: ... }` is the resource the pattern found).

use super::snippet::{Captures, Snippet};
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
    /// `is: $X`: the node spans exactly the bytes `$X` captured.
    Is(String),
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
    /// Comments are invisible to a relation unless it looks for one
    /// (`follows: { kind: comment, stop-by: neighbor }`: the comment right
    /// before a statement).
    pub sees_comments: bool,
    /// Words the text of a node `rule` matches holds (`needs.rs`), found
    /// on first use: the utils they may come from are the file's.
    pub needs: std::sync::OnceLock<Option<Vec<super::needs::Word>>>,
}

/// What matching needs besides the node: the file's texts and tree, the
/// pattern's compiled `utils`, and what the caller already knows of the
/// node's place (its parent, its ancestors), so relations need not search
/// for it from the root.
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
    /// A node whose ancestors the caller already holds (outermost first),
    /// with them: `inside` need not find them again from the root.
    pub path: Option<(Node<'a>, &'a [Node<'a>])>,
    /// Where the words relations need occur in this file.
    pub hits: &'a super::needs::WordHits,
}

impl<'a> Cx<'a> {
    /// A context that knows `parent` is the parent of `node`.
    pub fn knowing(&self, node: Node<'a>, parent: Option<Node<'a>>) -> Cx<'a> {
        Cx {
            parent_of: parent.map(|p| (node, p)),
            path: None,
            ..*self
        }
    }

    /// A context that knows `path` are the ancestors of `node`.
    pub fn within(&self, node: Node<'a>, path: &'a [Node<'a>]) -> Cx<'a> {
        Cx {
            parent_of: path.last().map(|p| (node, *p)),
            path: Some((node, path)),
            ..*self
        }
    }
}

impl Matcher {
    /// Whether this says its node is of kind `kind` (in every part of an
    /// `all`, or one alternative of an `any`; utils aside).
    pub fn names_kind(&self, kind: u16) -> bool {
        match self {
            Matcher::Kind(k) => *k == kind,
            Matcher::All(parts) => parts.iter().any(|p| p.names_kind(kind)),
            Matcher::Any(alts) => alts.iter().any(|a| a.names_kind(kind)),
            _ => false,
        }
    }

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
            Matcher::Not(_) | Matcher::Relation(_) | Matcher::Regex(_) | Matcher::Is(_) => None,
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
            Matcher::Is(name) => caps.get(name) == Some(&node.byte_range()),
            Matcher::Regex(re) => {
                super::regex_caps::match_binding(re, cx.original, node.byte_range(), caps)
            }
            Matcher::All(parts) => {
                let mark = caps.mark();
                let ok = parts.iter().all(|p| p.matches(node, cx, caps));
                if !ok {
                    caps.back_to(mark);
                }
                ok
            }
            Matcher::Any(alts) => alts.iter().any(|a| a.matches(node, cx, caps)),
            Matcher::Not(inner) => {
                let mark = caps.mark();
                let found = inner.matches(node, cx, caps);
                caps.back_to(mark);
                !found
            }
            Matcher::Util(i) => cx.utils[*i].matches(node, cx, caps),
            Matcher::Relation(rel) => rel.matches(node, cx, caps),
        }
    }
}

impl Relation {
    fn matches<'t>(&self, node: Node<'t>, cx: &Cx<'t>, caps: &mut Captures) -> bool {
        // A failed match leaves the captures as they were, so the
        // candidates are tried on the rule's own captures in turn.
        let mut fresh = Captures::new();
        let own = if self.fresh { &mut fresh } else { caps };
        self.any_candidate(node, cx, &mut |n, parent| {
            self.rule.matches(n, &cx.knowing(n, parent), own)
        })
    }

    /// Whether `rule` could match `n`, by the words it needs.
    fn may_match(&self, n: Node, cx: &Cx) -> bool {
        self.words(cx)
            .is_none_or(|w| (cx.hits).any_within(self.key(), w, Self::texts(cx), n.byte_range()))
    }

    /// The words one of which every node `rule` matches holds, when known.
    fn words(&self, cx: &Cx) -> Option<&[super::needs::Word]> {
        (self.needs)
            .get_or_init(|| super::needs::needs(&self.rule, cx.utils))
            .as_deref()
    }

    /// Where the first of `words` (this relation's) occurs at or after
    /// `at` (`usize::MAX` when none does).
    fn next_word_from(&self, words: &[super::needs::Word], at: usize, cx: &Cx) -> usize {
        cx.hits.next_start(self.key(), words, Self::texts(cx), at)
    }

    /// What the file's occurrences of this relation's words are kept by.
    fn key(&self) -> usize {
        self as *const Relation as usize
    }

    fn texts<'c>(cx: &Cx<'c>) -> super::needs::Texts<'c> {
        super::needs::Texts {
            masked: cx.text,
            original: cx.original,
        }
    }

    fn stops<'t>(&self, n: Node<'t>, parent: Option<Node<'t>>, cx: &Cx<'t>) -> bool {
        match &self.stop {
            Stop::Rule(r) => r.matches(n, &cx.knowing(n, parent), &mut Captures::new()),
            _ => false,
        }
    }

    /// Whether `test` holds for one of the nodes the relation looks at,
    /// nearest first, each handed over with its parent when the walk
    /// knows it. The walk stops at the first that does, and allocates
    /// nothing per node: a `has` over a large block, tried from each of
    /// many sites, visits it whole every time.
    fn any_candidate<'t>(
        &self,
        node: Node<'t>,
        cx: &Cx<'t>,
        test: &mut dyn FnMut(Node<'t>, Option<Node<'t>>) -> bool,
    ) -> bool {
        let neighbor = matches!(self.stop, Stop::Neighbor);
        match self.kind {
            RelKind::Inside => {
                let found;
                let path = match cx.path.filter(|(n, _)| *n == node) {
                    Some((_, known)) => known,
                    None => {
                        found = ancestors(cx.root, node);
                        &found
                    }
                };
                for (i, a) in path.iter().enumerate().rev() {
                    let parent = i.checked_sub(1).map(|p| path[p]);
                    if test(*a, parent) {
                        return true;
                    }
                    if neighbor || self.stops(*a, parent, cx) {
                        break;
                    }
                }
                false
            }
            RelKind::Has => self.any_descendant(node, cx, neighbor, test),
            RelKind::Follows | RelKind::Precedes => {
                let parent = cx.parent_of.filter(|(n, _)| *n == node).map(|(_, p)| p);
                let before = self.kind == RelKind::Follows;
                let mut found = false;
                // Going forward with nothing to stop at, the siblings that
                // end before the next place a needed word occurs hold none.
                let skip_by = (!before && matches!(self.stop, Stop::End))
                    .then(|| self.words(cx))
                    .flatten();
                let mut next_word = 0;
                each_sibling(node, parent, before, &mut |s| {
                    if let Some(words) = skip_by {
                        if s.end_byte() > next_word {
                            next_word = self.next_word_from(words, s.start_byte(), cx);
                        }
                        if s.end_byte() <= next_word {
                            return false;
                        }
                    }
                    if s.kind() == "comment" && !self.sees_comments {
                        return false;
                    }
                    found = self.may_match(s, cx) && test(s, parent);
                    found || neighbor || self.stops(s, parent, cx)
                });
                found
            }
        }
    }

    /// `has`: the descendants of `node` in document order (only its
    /// children with `stop-by: neighbor`), not below a node the stop
    /// rule matches; comments are skipped.
    fn any_descendant<'t>(
        &self,
        node: Node<'t>,
        cx: &Cx<'t>,
        neighbor: bool,
        test: &mut dyn FnMut(Node<'t>, Option<Node<'t>>) -> bool,
    ) -> bool {
        let mut cursor = node.walk();
        if !cursor.goto_first_child() {
            return false;
        }
        let mut parents = vec![node];
        loop {
            let n = cursor.node();
            let parent = parents.last().copied();
            let mut descend = false;
            // Nothing below a node without the words matches either.
            if (n.kind() != "comment" || self.sees_comments) && self.may_match(n, cx) {
                if test(n, parent) {
                    return true;
                }
                descend = !neighbor && !self.stops(n, parent, cx);
            }
            if descend && cursor.goto_first_child() {
                parents.push(n);
                continue;
            }
            while !cursor.goto_next_sibling() {
                if parents.len() == 1 || !cursor.goto_parent() {
                    return false;
                }
                parents.pop();
            }
        }
    }
}

/// Calls `step` on the siblings of `node` on one side, nearest first,
/// until it returns true: through a cursor over the known parent's
/// children when there is one (`Node::next_sibling` searches down from
/// the root at every step).
fn each_sibling<'t>(
    node: Node<'t>,
    parent: Option<Node<'t>>,
    before: bool,
    step: &mut dyn FnMut(Node<'t>) -> bool,
) {
    let Some(parent) = parent else {
        let next = |n: Node<'t>| {
            if before {
                n.prev_sibling()
            } else {
                n.next_sibling()
            }
        };
        let mut at = next(node);
        while let Some(s) = at {
            if step(s) {
                return;
            }
            at = next(s);
        }
        return;
    };
    let mut cursor = parent.walk();
    // Later siblings: the cursor starts at the first child reaching past
    // the node's start, found by tree-sitter rather than step by step (a
    // block of thousands of statements, each asking about those after it);
    // an empty node shares its start with its neighbours.
    let started = if before || node.start_byte() == node.end_byte() {
        cursor.goto_first_child()
    } else {
        cursor
            .goto_first_child_for_byte(node.start_byte())
            .is_some()
    };
    if !started {
        return;
    }
    let mut earlier = Vec::new();
    while cursor.node() != node {
        if before {
            earlier.push(cursor.node());
        }
        if !cursor.goto_next_sibling() {
            return;
        }
    }
    if before {
        for s in earlier.into_iter().rev() {
            if step(s) {
                return;
            }
        }
        return;
    }
    while cursor.goto_next_sibling() {
        if step(cursor.node()) {
            return;
        }
    }
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
