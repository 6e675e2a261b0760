//! Turning a rule's fix into byte edits of the original file: a template
//! for the matched node, or several edits at captured nodes (replace,
//! delete, insert, drop a declaration that became unused). Only the bytes
//! an edit is about change: lines between edits keep theirs.

use super::dataflow::{declaration_of, enclosing_function, uses};
use super::matcher::node_at;
use super::snippet::Captures;
use super::template::{render_folded, wrap_long_lines};
use super::{Fix, FixEdit, FixOp};
use crate::parse::{ErrorMap, Parsed};
use std::ops::Range;
use tree_sitter::Node;

/// Why a fix could not be made: the site is `unparsed` or `manual`.
pub enum Refusal {
    Unparsed(String),
    Manual(String),
}

/// What a fix works on.
pub struct FixCx<'a, 't> {
    pub original: &'a [u8],
    pub parsed: &'t Parsed,
    pub errors: &'a ErrorMap,
    pub caps: &'a Captures,
    pub anchor: Node<'t>,
    /// The match and its matcher, for `for-each` edits.
    pub rules: Option<super::references::RuleCx<'a, 't>>,
}

/// A replacement of a byte range, before it becomes an `Edit`.
pub type Change = (Range<usize>, Vec<u8>);

/// The changes of `fix` for one match.
pub fn changes(fix: &Fix, cx: &FixCx) -> Result<Vec<Change>, Refusal> {
    match fix {
        Fix::Template(t) => {
            let node = cx.anchor;
            refuse_unparsed(node, cx)?;
            refuse_lost_comment(node, cx)?;
            Ok(vec![replace(node, t, cx)?])
        }
        Fix::Edits(list) => {
            let mut deleted: Vec<Range<usize>> = Vec::new();
            let mut out = edit_list(list, cx, &mut Vec::new(), &mut deleted)?;
            for e in list
                .iter()
                .filter(|e| e.op == FixOp::DeleteDeclarationIfUnused)
            {
                out.extend(drop_declaration(e, cx, &out)?);
            }
            Ok(merge_line_deletions(out, cx.original))
        }
    }
}

/// The edits of `list` but the declarations to drop, in order; a
/// `for-each` with `join` adds its text to `texts` for the edits after it.
/// An edit at a capture the match did not bind (one of an `any`
/// alternative it did not take: a comment that may be there) is skipped,
/// as its note is.
pub fn edit_list(
    list: &[FixEdit],
    cx: &FixCx,
    texts: &mut Vec<(String, Vec<u8>)>,
    deleted: &mut Vec<Range<usize>>,
) -> Result<Vec<Change>, Refusal> {
    let mut out = Vec::new();
    for e in list
        .iter()
        .filter(|e| e.op != FixOp::DeleteDeclarationIfUnused)
        .filter(|e| cx.caps.get(e.target.as_str()).is_some())
    {
        if e.op == FixOp::ForEach {
            out.extend(super::references::for_each(e, cx, texts, deleted)?);
        } else {
            out.push(one_edit(e, cx, deleted, texts)?);
        }
    }
    Ok(out)
}

fn target<'t>(e: &FixEdit, cx: &FixCx<'_, 't>) -> Result<Node<'t>, Refusal> {
    let range = cx
        .caps
        .get(e.target.as_str())
        .ok_or_else(|| Refusal::Manual(format!("${} was not captured by this match", e.target)))?;
    node_at(cx.parsed.root(), range.clone())
        .ok_or_else(|| Refusal::Manual(format!("${} is not one node", e.target)))
}

fn one_edit(
    e: &FixEdit,
    cx: &FixCx,
    deleted: &mut Vec<Range<usize>>,
    texts: &[(String, Vec<u8>)],
) -> Result<Change, Refusal> {
    let with = super::references::expand(e.with.as_deref().unwrap_or_default(), texts);
    if matches!(e.op, FixOp::InsertBefore | FixOp::InsertAfter) {
        return insert(e, &with, cx);
    }
    let node = target(e, cx)?;
    refuse_unparsed(node, cx)?;
    match e.op {
        FixOp::Replace => {
            refuse_lost_comment(node, cx)?;
            replace(node, &with, cx)
        }
        FixOp::Delete => {
            refuse_comment_inside(node)?;
            let unbraced = e
                .unbrace
                .then(|| super::references::unbraced_deletion(statement_of(node), cx.original))
                .flatten();
            if let Some((range, text)) = unbraced {
                deleted.push(range.clone());
                return Ok((range, text));
            }
            let range = deletion(node, cx.original, cx.parsed.text());
            deleted.push(range.clone());
            Ok((range, Vec::new()))
        }
        _ => unreachable!("inserts and declarations are handled apart"),
    }
}

fn refuse_unparsed(node: Node, cx: &FixCx) -> Result<(), Refusal> {
    match cx.errors.refusal(node) {
        Some(why) => Err(Refusal::Unparsed(why)),
        None => Ok(()),
    }
}

/// A comment inside `node` outside every capture would be lost by a
/// template rebuilding it.
fn refuse_lost_comment(node: Node, cx: &FixCx) -> Result<(), Refusal> {
    let lost = comments(node).into_iter().find(|c| {
        !cx.caps
            .iter()
            .filter(|(name, _)| name.as_ref() != "MATCH" && !name.starts_with("STMT"))
            .any(|(_, r)| r.start <= c.start_byte() && c.end_byte() <= r.end)
    });
    match lost {
        Some(c) => Err(Refusal::Manual(format!(
            "the rewrite would drop the comment on line {}",
            c.start_position().row + 1
        ))),
        None => Ok(()),
    }
}

/// A comment inside a deleted node would be lost; a comment the fix
/// names and deletes is not.
fn refuse_comment_inside(node: Node) -> Result<(), Refusal> {
    if node.kind() == "comment" {
        return Ok(());
    }
    match comments(node).first() {
        Some(c) => Err(Refusal::Manual(format!(
            "the deletion would drop the comment on line {}",
            c.start_position().row + 1
        ))),
        None => Ok(()),
    }
}

/// The comments inside `node`, in document order.
fn comments(node: Node) -> Vec<Node> {
    let mut all = crate::c_util::descendants(node);
    all.retain(|n| n.kind() == "comment");
    all
}

/// `node` replaced by the rendered template, laid out in its lines.
fn replace(node: Node, template: &str, cx: &FixCx) -> Result<Change, Refusal> {
    let new = render_folded(template, cx.caps, cx.original)
        .map_err(|e| Refusal::Manual(e.to_string()))?;
    let (range, mut new) = crate::rules::layout(cx.original, &cx.parsed.lines, node, new);
    // A line that does not grow needs no wrapping; nor does a line no one
    // wrote by hand (generated tables run to megabytes, and judging it per
    // site would cost its length each time).
    let lines = &cx.parsed.lines;
    let start = lines.line_start(range.start);
    let end = if range.end > range.start {
        range.end - 1
    } else {
        range.end
    };
    let line_end = lines.line_end(end).max(range.end);
    if new.len() <= range.len() || line_end - start > MAX_WRAPPED_LINE {
        return Ok((range, new));
    }
    // The line is judged whole: with what stands before and after the node.
    let lead = &cx.original[start..range.start];
    new.extend_from_slice(&cx.original[range.end..line_end]);
    Ok((range.start..line_end, wrap_long_lines(&new, lead)))
}

/// The longest line a fix re-wraps.
const MAX_WRAPPED_LINE: usize = 1024;

/// The bytes that deleting `node` removes: in a list, the node with one
/// separator; a node alone on its lines, those lines, and a blank line
/// that would be left stray (after an opening brace, before a closing
/// one, or next to another blank line); otherwise just the node. Words
/// the mask hid in front of it (`static` before `DECLARE_WORK(...)`,
/// which the parser reads as a call) belong to it: `masked` is the text
/// the parser read. (Only words: what a focused parse blanked of another
/// item on the line, `int a;`, stays.)
pub fn deletion(node: Node, original: &[u8], masked: &[u8]) -> Range<usize> {
    if let Some(r) = list_element(node) {
        return r;
    }
    let node = statement_of(node);
    let range = node.byte_range();
    let ls = line_start(original, range.start);
    let le = line_end(original, range.end);
    let blank = |s: &[u8]| s.iter().all(|b| *b == b' ' || *b == b'\t');
    let words = |s: &[u8]| (s.iter()).all(|b| b.is_ascii_alphanumeric() || b"_ \t".contains(b));
    let hidden = blank(&masked[ls..range.start]) && words(&original[ls..range.start]);
    if !(hidden && blank(&original[range.end..le])) {
        return range;
    }
    let end = (le + 1).min(original.len());
    tidy_blank_lines(original, ls..end)
}

/// An expression that is a statement of its own is deleted as the statement.
fn statement_of(node: Node) -> Node {
    match node.parent() {
        Some(p) if p.kind() == "expression_statement" && p.named_child_count() == 1 => p,
        _ => node,
    }
}

/// A parameter, argument, initializer entry or declarator among others:
/// it goes with the comma after it, or with the one before it when last.
fn list_element(node: Node) -> Option<Range<usize>> {
    let parent = node.parent()?;
    let listy = matches!(
        parent.kind(),
        "parameter_list" | "argument_list" | "initializer_list"
    ) || (parent.kind() == "declaration"
        && parent.child_by_field_name("type") != Some(node)
        && parent.named_child_count() > 2);
    if !listy {
        return None;
    }
    let next = node.next_sibling().filter(|n| n.kind() == ",");
    let prev = node.prev_sibling().filter(|n| n.kind() == ",");
    match (next, prev) {
        (Some(comma), _) => {
            let after = comma
                .next_sibling()
                .map_or(comma.end_byte(), |n| n.start_byte());
            let same_line = comma.end_position().row == node.start_position().row;
            Some(node.start_byte()..if same_line { after } else { comma.end_byte() })
        }
        (None, Some(comma)) => {
            let before = comma.prev_sibling()?;
            Some(before.end_byte()..node.end_byte())
        }
        _ => None,
    }
}

fn line_start(s: &[u8], at: usize) -> usize {
    s[..at]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1)
}

fn line_end(s: &[u8], at: usize) -> usize {
    s[at..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(s.len(), |p| at + p)
}

/// Deletions of whole lines that meet become one, tidied again: two
/// statements deleted one after the other must not leave the blank line
/// that neither left alone.
fn merge_line_deletions(mut changes: Vec<Change>, original: &[u8]) -> Vec<Change> {
    let whole = |(r, new): &Change| {
        new.is_empty()
            && (r.start == 0 || original[r.start - 1] == b'\n')
            && (r.end == original.len() || original[r.end - 1] == b'\n')
    };
    let (mut lines, rest): (Vec<Change>, Vec<Change>) = changes.drain(..).partition(whole);
    lines.sort_by_key(|(r, _)| r.start);
    let mut merged: Vec<Range<usize>> = Vec::new();
    for (r, _) in lines {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let mut out: Vec<Change> = merged
        .into_iter()
        .map(|r| (tidy_blank_lines(original, r), Vec::new()))
        .collect();
    out.extend(rest);
    out
}

/// Extends a deletion of whole lines so it leaves no stray blank line.
fn tidy_blank_lines(s: &[u8], lines: Range<usize>) -> Range<usize> {
    let is_blank = |r: Range<usize>| s[r].iter().all(|b| b.is_ascii_whitespace());
    let prev = (lines.start > 0).then(|| line_start(s, lines.start - 1)..lines.start);
    let next = (lines.end < s.len()).then(|| lines.end..(line_end(s, lines.end) + 1).min(s.len()));
    let trimmed = |r: &Range<usize>| {
        let t: Vec<u8> = s[r.clone()]
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        t
    };
    let prev_blank = prev.clone().is_some_and(is_blank);
    let next_blank = next.clone().is_some_and(is_blank);
    let next_closes = next
        .as_ref()
        .is_some_and(|r| trimmed(r).first() == Some(&b'}'));
    let prev_opens = prev
        .as_ref()
        .is_some_and(|r| trimmed(r).last() == Some(&b'{'));
    match (prev, next) {
        (Some(p), _) if prev_blank && (next_blank || next_closes) => p.start..lines.end,
        (_, Some(n)) if next_blank && prev_opens => lines.start..n.end,
        _ => lines,
    }
}

/// `with` on lines of its own before or after the lines of the target
/// (a node, or the statements of a `$$$` capture), with their indentation;
/// a declaration put before a statement gets the blank line kernel style
/// wants after declarations.
fn insert(e: &FixEdit, with: &str, cx: &FixCx) -> Result<Change, Refusal> {
    let range = cx
        .caps
        .get(e.target.as_str())
        .cloned()
        .filter(|r| r.start <= r.end && r.end <= cx.original.len());
    let range = range
        .ok_or_else(|| Refusal::Manual(format!("${} has nothing to insert next to", e.target)))?;
    let first = cx
        .parsed
        .root()
        .descendant_for_byte_range(range.start, range.start);
    if let Some(why) = first.and_then(|n| cx.errors.refusal(n)) {
        return Err(Refusal::Unparsed(why));
    }
    let text =
        render_folded(with, cx.caps, cx.original).map_err(|e| Refusal::Manual(e.to_string()))?;
    let ls = line_start(cx.original, range.start);
    let indent: Vec<u8> = cx.original[ls..]
        .iter()
        .take_while(|b| **b == b' ' || **b == b'\t')
        .copied()
        .collect();
    let mut block = Vec::new();
    for line in text.split(|b| *b == b'\n') {
        if !line.is_empty() {
            block.extend_from_slice(&indent);
            block.extend_from_slice(line);
        }
        block.push(b'\n');
    }
    let mut block = wrap_long_lines(&block, b"");
    if e.op == FixOp::InsertBefore {
        let before_statement = first
            .map(|n| outermost_at(n, range.start))
            .is_some_and(|n| !node_is_declaration(n));
        if is_declaration(&text) && before_statement {
            block.push(b'\n');
        }
        return Ok((ls..ls, block));
    }
    let end = (line_end(cx.original, range.end) + 1).min(cx.original.len());
    Ok((end..end, block))
}

/// The largest node that starts at `at` (a statement, not its first token).
fn outermost_at(mut n: Node, at: usize) -> Node {
    while let Some(p) = n.parent() {
        if p.start_byte() != at || p.kind() == "compound_statement" {
            break;
        }
        n = p;
    }
    n
}

fn is_declaration(text: &[u8]) -> bool {
    let src = [b"void f(void)\n{\n".as_slice(), text, b"\n}\n"].concat();
    let tree = crate::parse::parse_raw(&src);
    let body = tree
        .root_node()
        .named_child(0)
        .and_then(|f| f.child_by_field_name("body"));
    body.and_then(|b| b.named_child(0))
        .is_some_and(|n| n.kind() == "declaration" && !tree.root_node().has_error())
}

fn node_is_declaration(node: Node) -> bool {
    node.kind() == "declaration" || node.parent().is_some_and(|p| p.kind() == "declaration")
}

/// Deletes the declaration of the local named by `e.target` when, after
/// the other changes, nothing in its function uses it; no change otherwise
/// (or when its initializer could have an effect).
fn drop_declaration(e: &FixEdit, cx: &FixCx, done: &[Change]) -> Result<Vec<Change>, Refusal> {
    let range = cx
        .caps
        .get(e.target.as_str())
        .ok_or_else(|| Refusal::Manual(format!("${} was not captured by this match", e.target)))?;
    let name = &cx.original[range.clone()];
    let Some(func) = enclosing_function(cx.anchor) else {
        return Ok(vec![]);
    };
    let text = cx.parsed.text();
    let Some((declarator, declaration)) = declaration_of(func, name, text) else {
        return Ok(vec![]);
    };
    if declaration.kind() != "declaration" || has_effectful_init(declarator) {
        return Ok(vec![]);
    }
    let removed = |n: Node| {
        done.iter()
            .any(|(r, _)| r.start <= n.start_byte() && n.end_byte() <= r.end)
    };
    let still_used = uses(func, name, text)
        .into_iter()
        .filter(|u| {
            !(declarator.start_byte() <= u.start_byte() && u.end_byte() <= declarator.end_byte())
        })
        .any(|u| !removed(u))
        || done.iter().any(|(_, new)| contains_word(new, name));
    if still_used {
        return Ok(vec![]);
    }
    refuse_unparsed(declaration, cx)?;
    let declarators = declaration
        .children_by_field_name("declarator", &mut declaration.walk())
        .count();
    let node = if declarators == 1 {
        declaration
    } else {
        declarator
    };
    Ok(vec![(
        deletion(node, cx.original, cx.parsed.text()),
        Vec::new(),
    )])
}

fn has_effectful_init(declarator: Node) -> bool {
    declarator.kind() == "init_declarator"
        && declarator.child_by_field_name("value").is_some_and(|v| {
            !matches!(
                v.kind(),
                "number_literal" | "identifier" | "null" | "true" | "false"
            )
        })
}

fn contains_word(hay: &[u8], word: &[u8]) -> bool {
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    memchr::memmem::find_iter(hay, word).any(|i| {
        (i == 0 || !ident(hay[i - 1])) && !hay.get(i + word.len()).is_some_and(|b| ident(*b))
    })
}
