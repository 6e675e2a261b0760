//! Kernel-aware parsing: mask, then parse with tree-sitter-c, with one
//! parser per thread. Also the questions edit safety asks of a tree: is
//! this node inside something the parser could not read?

use crate::mask::{mask, Masked};
use std::cell::RefCell;
use std::ops::Range;
use tree_sitter::{Node, Parser, Tree};

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut p = Parser::new();
        p.set_language(&tree_sitter_c::LANGUAGE.into()).expect("tree-sitter-c grammar matches the runtime");
        p
    });
}

/// A file's bytes, their masked form and its syntax tree.
pub struct Parsed {
    pub masked: Masked,
    pub tree: Tree,
    /// Where the original's lines start.
    pub lines: LineIndex,
}

impl Parsed {
    /// 1-based line and column (in bytes) of an offset of the file.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        self.lines.line_col(offset)
    }

    /// The masked text: what the tree's nodes describe.
    pub fn text(&self) -> &[u8] {
        &self.masked.text
    }

    pub fn root(&self) -> Node<'_> {
        self.tree.root_node()
    }
}

/// Parses the raw tree-sitter view of `src`, without masking.
pub fn parse_raw(src: &[u8]) -> Tree {
    PARSER
        .with(|p| p.borrow_mut().parse(src, None))
        .expect("parsing without a timeout or cancellation always yields a tree")
}

/// Masks and parses `src`.
pub fn parse(src: &[u8]) -> Parsed {
    let masked = mask(src);
    let tree = parse_raw(&masked.text);
    Parsed {
        masked,
        tree,
        lines: LineIndex::new(src),
    }
}

/// The error maps of `before` and of `after`, its rewrite, each masked and
/// parsed; `after` is parsed incrementally from `before`'s tree, which
/// tree-sitter re-reads only around the bytes that differ (the rewrite
/// check parses every edited item twice, and most edits change a word).
pub fn error_maps(before: &[u8], after: &[u8]) -> (ErrorMap, ErrorMap) {
    let (old, new) = (mask(before).text, mask(after).text);
    let old_tree = parse_raw(&old);
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let room = old.len().min(new.len()) - prefix;
    let suffix = (old.iter().rev().zip(new.iter().rev()))
        .take(room)
        .take_while(|(a, b)| a == b)
        .count();
    let point = |text: &[u8], at: usize| {
        let (line, column) = line_col(text, at);
        tree_sitter::Point::new(line - 1, column - 1)
    };
    let edit = tree_sitter::InputEdit {
        start_byte: prefix,
        old_end_byte: old.len() - suffix,
        new_end_byte: new.len() - suffix,
        start_position: point(&old, prefix),
        old_end_position: point(&old, old.len() - suffix),
        new_end_position: point(&new, new.len() - suffix),
    };
    let mut edited = old_tree.clone();
    edited.edit(&edit);
    let new_tree = PARSER
        .with(|p| p.borrow_mut().parse(&new, Some(&edited)))
        .expect("parsing without a timeout or cancellation always yields a tree");
    (ErrorMap::of(&old_tree), ErrorMap::of(&new_tree))
}

/// Masks and parses only the top-level items of `src` that contain one of
/// `words` (as a whole word); every other item is blanked, keeping its
/// newlines, and left out of the parser's included ranges: offsets are
/// unchanged, and a file whose interesting part is one function and one
/// initializer costs a fraction of a full parse. (Blank text is not free
/// to tree-sitter: its lexer steps through whitespace byte by byte, which
/// on the candidate files of `drivers/` cost more than the parse itself.)
pub fn parse_focused(src: &[u8], words: &[&[u8]]) -> Parsed {
    let (masked, kept) = crate::mask::mask_items(src, |bounds| {
        let mut keep = vec![false; bounds.len()];
        for w in words.iter().filter(|w| !w.is_empty()) {
            for off in memchr::memmem::find_iter(src, w) {
                let end = off + w.len();
                let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
                let whole =
                    (off == 0 || !ident(src[off - 1])) && !src.get(end).is_some_and(|b| ident(*b));
                if whole {
                    let chunk = bounds.partition_point(|b| *b <= off).saturating_sub(1);
                    keep[chunk] = true;
                }
            }
        }
        keep
    });
    // Nothing kept: an empty included range list would mean "everything".
    let tree = if kept.is_empty() {
        parse_raw(b"")
    } else {
        parse_ranges(&masked.text, &kept)
    };
    Parsed {
        masked,
        tree,
        lines: LineIndex::new(src),
    }
}

/// Parses only `ranges` of `src` (at least one), with
/// the nodes' offsets and positions those of `src`.
fn parse_ranges(src: &[u8], ranges: &[Range<usize>]) -> Tree {
    if ranges.len() == 1 && ranges[0] == (0..src.len()) {
        return parse_raw(src);
    }
    let mut row = 0;
    let mut line_start = 0;
    let mut scanned = 0;
    let mut point_at = |off: usize| {
        for nl in memchr::memchr_iter(b'\n', &src[scanned..off]) {
            row += 1;
            line_start = scanned + nl + 1;
        }
        scanned = off;
        tree_sitter::Point::new(row, off - line_start)
    };
    let included: Vec<tree_sitter::Range> = ranges
        .iter()
        .map(|r| tree_sitter::Range {
            start_byte: r.start,
            start_point: point_at(r.start),
            end_byte: r.end,
            end_point: point_at(r.end),
        })
        .collect();
    PARSER.with(|p| {
        let mut p = p.borrow_mut();
        p.set_included_ranges(&included)
            .expect("top-level chunks are sorted and disjoint");
        let tree = p.parse(src, None);
        p.set_included_ranges(&[])
            .expect("the empty range list means the whole text");
        tree.expect("parsing without a timeout or cancellation always yields a tree")
    })
}

/// ERROR and MISSING nodes in a tree, as byte ranges, with whether each is
/// a single token (a stray `;` or an unknown word, which does not disturb
/// its neighbours) or spans several (the parser lost the structure there).
pub struct ErrorMap {
    pub errors: Vec<ParseError>,
}

#[derive(Debug, Clone)]
pub struct ParseError {
    pub range: Range<usize>,
    pub line: usize,
    pub end_line: usize,
    pub multi_token: bool,
    pub missing: bool,
}

impl ErrorMap {
    pub fn of(tree: &Tree) -> ErrorMap {
        let mut errors = Vec::new();
        if tree.root_node().has_error() {
            collect_errors(tree.root_node(), &mut errors);
        }
        ErrorMap { errors }
    }

    pub fn count(&self) -> usize {
        self.errors.len()
    }

    /// Why `node` must not be edited, if it must not: it lies under an
    /// ERROR node, or a multi-token ERROR overlaps it. (An ERROR above it
    /// is found among the errors, by range: the outermost ones are all
    /// there, and walking up `Node::parent` costs the square of the depth.)
    pub fn refusal(&self, node: Node) -> Option<String> {
        let range = node.byte_range();
        let first = self.errors.partition_point(|e| e.range.end < range.end);
        let under = self.errors[first..]
            .iter()
            .take_while(|e| e.range.start <= range.start)
            .find(|e| {
                !e.missing && e.range.end >= range.end && !(node.is_error() && e.range == range)
            });
        if let Some(e) = under {
            return Some(format!(
                "inside a region the parser could not read (lines {}-{})",
                e.line, e.end_line
            ));
        }
        self.overlapping(node.byte_range()).map(|e| {
            format!(
                "overlaps a region the parser could not read (line {})",
                e.line
            )
        })
    }

    /// The error `range` lies inside (an empty range: strictly inside), or
    /// the first multi-token one it overlaps: where no edit may go.
    pub fn inside_or_across(&self, range: Range<usize>) -> Option<&ParseError> {
        let first = self.errors.partition_point(|e| e.range.end < range.end);
        let inside = self.errors[first..]
            .iter()
            .take_while(|e| e.range.start <= range.start)
            .find(|e| {
                !e.missing
                    && e.range.end >= range.end
                    && (!range.is_empty()
                        || (e.range.start < range.start && range.end < e.range.end))
            });
        inside.or_else(|| self.overlapping(range))
    }

    /// The first multi-token error overlapping `range`. The errors are
    /// disjoint and in document order (an ERROR node's inside is not
    /// searched), so a binary search finds the first candidate: a lookup per
    /// site stays cheap on a file with thousands of errors.
    pub fn overlapping(&self, range: Range<usize>) -> Option<&ParseError> {
        let first = self.errors.partition_point(|e| e.range.end <= range.start);
        self.errors[first..]
            .iter()
            .take_while(|e| e.range.start < range.end.max(range.start + 1))
            .find(|e| e.multi_token && e.range.start < range.end && range.start < e.range.end)
    }
}

fn collect_errors(node: Node, out: &mut Vec<ParseError>) {
    if node.is_error() || node.is_missing() {
        out.push(ParseError {
            range: node.byte_range(),
            line: node.start_position().row + 1,
            end_line: node.end_position().row + 1,
            multi_token: node.is_error() && count_leaves(node) > 1,
            missing: node.is_missing(),
        });
        if node.is_error() {
            return;
        }
    }
    if !node.has_error() {
        return;
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        collect_errors(child, out);
    }
}

fn count_leaves(node: Node) -> usize {
    if node.child_count() == 0 {
        return 1;
    }
    let mut cursor = node.walk();
    node.children(&mut cursor).map(count_leaves).sum()
}

/// The children of `node`, comments included, in order. (Through a cursor:
/// `Node::child(i)` walks the siblings each time.)
pub fn children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.children(&mut cursor).collect()
}

/// The offsets at which a file's lines start: a site's line and column in
/// O(log lines), where `line_col` scans the file up to the site (once per
/// site, which is quadratic on a file with many sites).
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(src: &[u8]) -> LineIndex {
        let after_newlines = memchr::memchr_iter(b'\n', src).map(|p| p + 1);
        LineIndex {
            starts: std::iter::once(0).chain(after_newlines).collect(),
            len: src.len(),
        }
    }

    /// 1-based line and column (in bytes) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|s| *s <= offset);
        (line, offset - self.starts[line - 1] + 1)
    }

    /// The offset at which the line holding `offset` starts.
    pub fn line_start(&self, offset: usize) -> usize {
        self.starts[self.starts.partition_point(|s| *s <= offset) - 1]
    }

    /// The offset of the line break ending the line that holds `offset`
    /// (the end of the file on the last line).
    pub fn line_end(&self, offset: usize) -> usize {
        let next = self.starts.partition_point(|s| *s <= offset);
        self.starts.get(next).map_or(self.len, |s| s - 1)
    }
}

/// 1-based line and column (in bytes) of a byte offset, for a single
/// lookup (a file with many uses it through a `LineIndex`).
pub fn line_col(src: &[u8], offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let col = offset
        - before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, col)
}

/// The name of the function whose definition contains `node`, if any.
pub fn enclosing_function<'a>(node: Node<'a>, text: &[u8]) -> Option<String> {
    let mut up = Some(node);
    while let Some(n) = up {
        if n.kind() == "function_definition" {
            return function_name(n, text);
        }
        up = n.parent();
    }
    None
}

/// The declared name of a function definition or declaration node.
pub fn function_name(def: Node, text: &[u8]) -> Option<String> {
    let mut decl = def.child_by_field_name("declarator")?;
    loop {
        match decl.kind() {
            "function_declarator" => {
                let name = decl.child_by_field_name("declarator")?;
                return match name.kind() {
                    "identifier" => name.utf8_text(text).ok().map(str::to_owned),
                    "parenthesized_declarator" => {
                        name.named_child(0)?.utf8_text(text).ok().map(str::to_owned)
                    }
                    _ => None,
                };
            }
            "pointer_declarator" | "parenthesized_declarator" | "attributed_declarator" => {
                decl = decl
                    .child_by_field_name("declarator")
                    .or_else(|| decl.named_child(0))?;
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_removes_typical_kernel_errors() {
        let src =
            b"static int __init foo_init(void)\n{\n\tvoid __iomem *base = NULL;\n\treturn 0;\n}\n";
        assert!(parse_raw(src).root_node().has_error());
        let parsed = parse(src);
        assert!(!parsed.root().has_error());
        let def = parsed.root().named_child(0).unwrap();
        assert_eq!(
            function_name(def, parsed.text()).as_deref(),
            Some("foo_init")
        );
    }

    #[test]
    fn incremental_error_maps_are_those_of_fresh_parses() {
        let before = "void f(void)\n{\n\tif (a)\n\t\tg(1);\n\th(2, 3);\n}\n";
        let afters = [
            before.replace("g(1)", "gg(1)"),
            before.replace("g(1);", "g(1 +);"),
            before.replace("\th(2, 3);\n", ""),
            before.replace("h(2, 3)", "h(2, 3"),
            before.replace("void f", "static void f"),
            before.replace("}\n", "}\nint x = (;\n"),
        ];
        let ranges = |m: &ErrorMap| m.errors.iter().map(|e| e.range.clone()).collect::<Vec<_>>();
        for after in &afters {
            let (old, new) = error_maps(before.as_bytes(), after.as_bytes());
            let fresh = ErrorMap::of(&parse(after.as_bytes()).tree);
            assert_eq!(old.count(), 0, "{after}");
            assert_eq!(ranges(&new), ranges(&fresh), "{after}");
        }
        let broken = error_maps(afters[1].as_bytes(), before.as_bytes());
        assert!(broken.0.count() > 0 && broken.1.count() == 0);
    }

    #[test]
    fn error_map_refuses_nodes_under_errors() {
        let parsed = parse(b"void f(void)\n{\n\tg(1 +);\n}\nint b = 2;\n");
        let errors = ErrorMap::of(&parsed.tree);
        assert!(errors.count() > 0);
        let root = parsed.root();
        let last = root.named_child(root.named_child_count() - 1).unwrap();
        assert!(
            errors.refusal(last).is_none(),
            "the clean declaration after the error is editable"
        );
    }

    #[test]
    fn refusal_by_range_agrees_with_walking_up_the_parents() {
        let parsed = parse(b"void f(void)\n{\n\tg(1 +);\n\th(2);\n}\nint b = (2;\nint c = ) 3;\n");
        let errors = ErrorMap::of(&parsed.tree);
        let mut stack = vec![parsed.root()];
        let mut seen_under = 0;
        while let Some(n) = stack.pop() {
            let under_error =
                std::iter::successors(n.parent(), |p| p.parent()).any(|p| p.is_error());
            let by_range = errors.refusal(n).is_some_and(|r| r.starts_with("inside"));
            if !n.byte_range().is_empty() {
                assert_eq!(
                    by_range,
                    under_error,
                    "{} at {:?}",
                    n.kind(),
                    n.byte_range()
                );
                seen_under += usize::from(under_error);
            }
            stack.extend(children(n));
        }
        assert!(seen_under > 0, "the sample has nodes under an ERROR");
    }

    #[test]
    fn focused_parse_sees_only_the_chosen_items_where_they_are() {
        let src = b"static int a(void)\n{\n\treturn 1;\n}\n\n\
int x = 2;\n\
static void target(struct device *dev)\n{\n\tput_device(dev);\n}\n\
static struct drv d = {\n\t.remove = target,\n};\n\
static int z(void)\n{\n\treturn 3;\n}\n";
        let full = parse(src);
        let focused = parse_focused(src, &[b"target"]);
        assert!(!focused.root().has_error());
        let items = |p: &Parsed| -> Vec<(String, usize, tree_sitter::Point, tree_sitter::Point)> {
            children(p.root())
                .into_iter()
                .map(|n| {
                    (
                        n.kind().to_string(),
                        n.start_byte(),
                        n.start_position(),
                        n.end_position(),
                    )
                })
                .collect()
        };
        let all = items(&full);
        let kept = items(&focused);
        // The definition and the initializer that name `target`, nothing
        // else, at the very offsets and rows of the full parse.
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert_eq!(kept[..], all[2..4]);
        assert_eq!(kept[0].2.row, 6);
    }

    #[test]
    fn line_col_is_one_based() {
        assert_eq!(line_col(b"ab\ncd", 4), (2, 2));
        assert_eq!(line_col(b"ab\ncd", 0), (1, 1));
        let index = LineIndex::new(b"ab\ncd\n");
        for off in 0..=6 {
            assert_eq!(index.line_col(off), line_col(b"ab\ncd\n", off), "{off}");
        }
        assert_eq!(index.line_start(4), 3);
        assert_eq!(index.line_end(4), 5);
        assert_eq!(index.line_end(0), 2);
        assert_eq!(LineIndex::new(b"ab").line_end(1), 2);
    }
}
