//! Small syntax-tree helpers shared by the transforms: node text,
//! walking, call names, and whole-line and statement deletions that leave
//! kernel-style layout behind.

use crate::parse::{children, Parsed};
use std::ops::Range;
use tree_sitter::Node;

/// A node's text in the masked view (identical to the original for every
/// token the mask keeps, which is all the transforms compare).
pub fn text<'a>(n: Node, parsed: &'a Parsed) -> &'a str {
    std::str::from_utf8(&parsed.text()[n.byte_range()]).unwrap_or("")
}

/// `text` with all whitespace removed, to compare expressions written
/// with different spacing (`& priv->timer` and `&priv->timer`).
pub fn squeezed(n: Node, parsed: &Parsed) -> String {
    text(n, parsed).split_whitespace().collect()
}

/// The text of `n` on one line: each run of white space one blank.
pub fn one_line(n: Node, parsed: &Parsed) -> String {
    text(n, parsed)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every node below `n`, in document order.
pub fn descendants(n: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut stack = children(n);
    stack.reverse();
    while let Some(c) = stack.pop() {
        out.push(c);
        let mut kids = children(c);
        kids.reverse();
        stack.extend(kids);
    }
    out
}

/// The callee name of a call expression, when it is a plain identifier.
pub fn callee<'a>(call: Node, parsed: &'a Parsed) -> Option<&'a str> {
    let f = call.child_by_field_name("function")?;
    (f.kind() == "identifier").then(|| text(f, parsed))
}

/// The arguments of a call, comments left out.
pub fn call_args(call: Node) -> Vec<Node> {
    call.child_by_field_name("arguments")
        .map(|a| {
            children(a)
                .into_iter()
                .filter(|n| n.is_named() && n.kind() != "comment")
                .collect()
        })
        .unwrap_or_default()
}

/// The nodes from `root` down to `n` (included), outermost first, found
/// from the root down: `Node::parent` itself searches down from the root,
/// so following a chain of parents costs the square of the depth (the
/// price of a call inside thousands of nested blocks).
pub fn path_to<'a>(root: Node<'a>, n: Node<'a>) -> Vec<Node<'a>> {
    let mut path = vec![root];
    let mut at = root;
    while at != n {
        match at.child_with_descendant(n) {
            Some(c) => at = c,
            None => break,
        }
        path.push(at);
    }
    path
}

/// The function definition around `n` (or `n` itself), among its `path`.
pub fn enclosing_definition<'a>(path: &[Node<'a>]) -> Option<Node<'a>> {
    path.iter()
        .rev()
        .find(|p| p.kind() == "function_definition")
        .copied()
}

/// The range of the lines `n` covers, newline included, when nothing else
/// shares them; otherwise just the node.
pub fn line_range(bytes: &[u8], n: Range<usize>) -> Range<usize> {
    let start = bytes[..n.start]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let end = memchr::memchr(b'\n', &bytes[n.end..]).map_or(bytes.len(), |p| n.end + p + 1);
    let alone = bytes[start..n.start]
        .iter()
        .all(|b| *b == b' ' || *b == b'\t')
        && bytes[n.end..end].iter().all(|b| b.is_ascii_whitespace());
    if alone {
        start..end
    } else {
        n
    }
}

/// Removes the final `return 0;` with its line when it stands alone, and a
/// blank line left before the closing brace. A comment on that line stays.
pub fn remove_statement(
    bytes: &[u8],
    range: std::ops::Range<usize>,
) -> (std::ops::Range<usize>, Vec<u8>) {
    let line_start = bytes[..range.start]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let line_end =
        memchr::memchr(b'\n', &bytes[range.end..]).map_or(bytes.len(), |p| range.end + p + 1);
    let before = &bytes[line_start..range.start];
    let after = &bytes[range.end..line_end];
    let blank = |s: &[u8]| s.iter().all(|b| b.is_ascii_whitespace());
    if !(blank(before) && blank(after)) {
        // Something else shares the line (a comment): take the statement only.
        let mut end = range.end;
        while end < line_end
            && (bytes[end] == b' ' || bytes[end] == b'\t')
            && !blank(&bytes[end..line_end])
        {
            end += 1;
        }
        return (range.start..end, vec![]);
    }
    // The line before: if blank, it would stand before the closing brace.
    let mut start = line_start;
    if line_start > 0 {
        let prev_start = bytes[..line_start - 1]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |p| p + 1);
        if blank(&bytes[prev_start..line_start]) {
            start = prev_start;
        }
    }
    (start..line_end, vec![])
}

/// The whole lines `range` touches, the last one's newline included.
pub fn whole_lines(bytes: &[u8], range: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let start = bytes[..range.start]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let end = memchr::memchr(b'\n', &bytes[range.end..]).map_or(bytes.len(), |p| range.end + p + 1);
    start..end
}

/// `whole_lines`, with the blank line before them when there is one (a
/// deleted top-level item takes its separating blank line along).
pub fn with_blank_line_before(
    bytes: &[u8],
    range: std::ops::Range<usize>,
) -> std::ops::Range<usize> {
    let r = whole_lines(bytes, range);
    if r.start >= 2 && bytes[r.start - 1] == b'\n' && bytes[r.start - 2] == b'\n' {
        return r.start - 1..r.end;
    }
    r
}

/// Whether the line starting at `at` is empty.
pub fn blank_line_at(bytes: &[u8], at: usize) -> bool {
    bytes.get(at) == Some(&b'\n')
        || (bytes.get(at) == Some(&b'\r') && bytes.get(at + 1) == Some(&b'\n'))
}

/// The length of the line break at `at` (0 when there is none).
pub fn newline_len(bytes: &[u8], at: usize) -> usize {
    match bytes.get(at) {
        Some(b'\n') => 1,
        Some(b'\r') if bytes.get(at + 1) == Some(&b'\n') => 2,
        _ => 0,
    }
}

/// The indentation (tabs and spaces) of the line holding `at`.
pub fn indent_of(bytes: &[u8], at: usize) -> String {
    let start = bytes[..at]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    bytes[start..]
        .iter()
        .take_while(|b| **b == b' ' || **b == b'\t')
        .map(|b| *b as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_to_is_the_chain_of_parents() {
        let parsed = crate::parse::parse(
            b"void f(int a)\n{\n\tif (a) {\n\t\tg(a, h(1));\n\t}\n}\nint x = (1 +;\n",
        );
        let root = parsed.root();
        for n in descendants(root) {
            let mut parents: Vec<Node> = std::iter::successors(Some(n), |p| p.parent()).collect();
            parents.reverse();
            assert_eq!(path_to(root, n), parents, "{}", n.kind());
        }
    }

    #[test]
    fn line_range_takes_whole_lines_only_when_alone() {
        let src = b"a;\n\tb;\nc; d;\n";
        assert_eq!(line_range(src, 4..6), 3..7);
        assert_eq!(line_range(src, 7..9), 7..9);
    }
}
