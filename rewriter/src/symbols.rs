//! The tree symbol index: for a set of function names, where each is
//! defined (and whether static), its prototypes, and every other reference,
//! across the files it is given (the whole tree, not only `--path`: a
//! shared helper's prototype sits in `include/`, its users anywhere).
//!
//! One multi-literal scan decides which files mention a name at all; only
//! those are parsed (focused on the names) and lexed, in parallel.
//! Definitions and prototypes come from the syntax tree; references from
//! the lexer, so a use inside a macro body or an `#else` branch counts,
//! and nothing in a comment or a string does.

use crate::lex::{tokenize, TokKind};
use crate::literals::LiteralSet;
use crate::model::Finding;
use crate::parse::{children, parse_focused, Parsed};
use crate::tree::{parse_limit_exceeded, read_source, SourceFile, MAX_READ_BYTES};
use rayon::prelude::*;
use rustix::fs::{Mode, OFlags};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;
use tree_sitter::Node;

/// A place in the tree: 1-based line and byte column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SymbolLoc {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// A function definition, located at its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SymbolDef {
    pub loc: SymbolLoc,
    pub is_static: bool,
}

/// What the tree says about one name, each list in file and line order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SymbolFacts {
    pub definitions: Vec<SymbolDef>,
    /// Declarations of the function (`int foo(void);`), in headers and
    /// `.c` files, located at the name.
    pub prototypes: Vec<SymbolLoc>,
    /// Every other occurrence of the name as an identifier.
    pub references: Vec<SymbolLoc>,
}

#[derive(Default)]
pub struct SymbolIndex {
    facts: BTreeMap<String, SymbolFacts>,
    /// The files whose text holds one of the names, in the order given.
    files: Vec<SourceFile>,
}

impl SymbolIndex {
    /// Indexes `names` over `all_files` (paths relative to `root`). A file
    /// that cannot be read, or mentions a name but cannot be examined
    /// (binary, too large to parse), is a finding.
    pub fn build(
        root: &Path,
        all_files: &[String],
        names: &BTreeSet<String>,
    ) -> (SymbolIndex, Vec<Finding>) {
        let mut index = SymbolIndex {
            facts: names
                .iter()
                .map(|n| (n.clone(), SymbolFacts::default()))
                .collect(),
            files: vec![],
        };
        if names.is_empty() {
            return (index, vec![]);
        }
        let words: Vec<&String> = names.iter().collect();
        let longest = names.iter().map(String::len).max().unwrap_or(0);
        let (files, findings) =
            files_mentioning(root, all_files, &LiteralSet::new(&words), longest);
        let per_file: Vec<BTreeMap<String, SymbolFacts>> = files
            .par_iter()
            .map(|f| facts_in(f, &index.names_in(f)))
            .collect();
        for found in per_file {
            for (name, f) in found {
                let into = index.facts.get_mut(&name).expect("only asked names");
                into.definitions.extend(f.definitions);
                into.prototypes.extend(f.prototypes);
                into.references.extend(f.references);
            }
        }
        index.files = files;
        (index, findings)
    }

    /// The facts of `name`: `None` when it was not one of the names
    /// indexed, empty lists when the tree does not mention it.
    pub fn facts(&self, name: &str) -> Option<&SymbolFacts> {
        self.facts.get(name)
    }

    /// The files that mention one of the names (as text: a mention in a
    /// comment counts here), for a caller that looks closer at them.
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// The indexed names that `file`'s text holds.
    pub fn names_in(&self, file: &SourceFile) -> BTreeSet<String> {
        self.facts
            .keys()
            .filter(|n| memchr::memmem::find(&file.bytes, n.as_bytes()).is_some())
            .cloned()
            .collect()
    }

    /// Whether `file` defines `name` as a static function: its other uses
    /// there speak of that function, not of a global one.
    pub fn static_in(&self, name: &str, file: &str) -> bool {
        self.facts(name).is_some_and(|f| {
            f.definitions
                .iter()
                .any(|d| d.is_static && d.loc.file == file)
        })
    }
}

/// The files of `all_files` whose text holds one of the words (the
/// longest `longest` bytes), read as `read_source` reads them (its
/// findings included, and a finding for a file too large to parse).
/// Every file of the tree goes through here, so the others cost as little
/// as can be: each directory is opened once and its files relative to it
/// (resolving every path from the root again cost a tenth of the scan),
/// and each file is only streamed through one small buffer per thread
/// (copying it into memory that is not in the cache cost more than
/// searching it). A file that cannot mention a name cannot matter; one
/// that cannot be read is a finding.
fn files_mentioning(
    root: &Path,
    all_files: &[String],
    words: &LiteralSet,
    longest: usize,
) -> (Vec<SourceFile>, Vec<Finding>) {
    let parent = |rel: &String| rel.rfind('/').map_or("", |i| &rel[..i]).to_string();
    let dirs: Vec<&[String]> = all_files.chunk_by(|a, b| parent(a) == parent(b)).collect();
    let results: Vec<Vec<Result<Option<SourceFile>, Finding>>> = dirs
        .par_iter()
        .map(|files| {
            let dir = open_dir(&root.join(parent(&files[0])));
            files
                .iter()
                .map(|rel| {
                    let name = &rel[rel.rfind('/').map_or(0, |i| i + 1)..];
                    let mentions = dir.as_ref().map_err(|e| e.kind()).map(|d| {
                        BUF.with(|b| mentions(d, name, words, longest, &mut b.borrow_mut()))
                    });
                    if matches!(mentions, Ok(Ok(false))) {
                        return Ok(None);
                    }
                    // A hit, or a read that failed: the ordinary read says which.
                    let file = read_source(root, rel)?;
                    match parse_limit_exceeded(&file.bytes) {
                        Some(why) => Err(Finding::error(rel, None, why)),
                        None => Ok(words.any_in(&file.bytes).then_some(file)),
                    }
                })
                .collect()
        })
        .collect();
    let mut files = Vec::new();
    let mut findings = Vec::new();
    for r in results.into_iter().flatten() {
        match r {
            Ok(f) => files.extend(f),
            Err(f) => findings.push(f),
        }
    }
    (files, findings)
}

thread_local! {
    static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn open_dir(path: &Path) -> std::io::Result<std::fs::File> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    Ok(rustix::fs::open(path, flags, Mode::empty())?.into())
}

/// Whether the file `name` of `dir` holds one of `words`, read in chunks
/// through `buf`, each chunk searched with the end of the one before (a
/// word may straddle them). The open neither blocks (a FIFO put there
/// since the walk) nor follows a link, and the read stops at the read
/// limit (a device): whatever it meets, the ordinary read of a hit
/// decides.
fn mentions(
    dir: &std::fs::File,
    name: &str,
    words: &LiteralSet,
    longest: usize,
    buf: &mut Vec<u8>,
) -> std::io::Result<bool> {
    const CHUNK: usize = 128 << 10;
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut file = std::fs::File::from(rustix::fs::openat(dir, name, flags, Mode::empty())?);
    let carry = longest.saturating_sub(1);
    buf.resize(carry + CHUNK, 0);
    let (mut held, mut total) = (0, 0u64);
    loop {
        let n = match file.read(&mut buf[held..held + CHUNK]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        total += n as u64;
        if n == 0 || total > MAX_READ_BYTES {
            // Past the read limit, the ordinary read reports it.
            return Ok(n != 0);
        }
        let end = held + n;
        if words.any_in(&buf[..end]) {
            return Ok(true);
        }
        held = carry.min(end);
        buf.copy_within(end - held..end, 0);
    }
}

/// The facts of `names` in one file.
fn facts_in(f: &SourceFile, names: &BTreeSet<String>) -> BTreeMap<String, SymbolFacts> {
    let words: Vec<&[u8]> = names.iter().map(|n| n.as_bytes()).collect();
    let parsed = parse_focused(&f.bytes, &words);
    let mut out: BTreeMap<String, SymbolFacts> = BTreeMap::new();
    let mut declared = BTreeSet::new();
    let loc = |off: usize| {
        let (line, column) = parsed.line_col(off);
        SymbolLoc {
            file: f.rel.clone(),
            line,
            column,
        }
    };
    let mut stack = vec![parsed.root()];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "function_definition" => {
                if let Some(id) = declared_name(n, &parsed, names) {
                    declared.insert(id.start_byte());
                    out.entry(node_text(id, &parsed).to_string())
                        .or_default()
                        .definitions
                        .push(SymbolDef {
                            loc: loc(id.start_byte()),
                            is_static: is_static(n, &parsed),
                        });
                }
            }
            "declaration" | "field_declaration" => {
                let mut c = n.walk();
                for d in n.children_by_field_name("declarator", &mut c) {
                    if let Some(id) = prototype_name(d, &parsed, names) {
                        declared.insert(id.start_byte());
                        out.entry(node_text(id, &parsed).to_string())
                            .or_default()
                            .prototypes
                            .push(loc(id.start_byte()));
                    }
                }
            }
            _ => {}
        }
        stack.extend(children(n).into_iter().rev());
    }
    for (name, off) in identifier_uses(&f.bytes, names) {
        if !declared.contains(&off) {
            out.entry(name).or_default().references.push(loc(off));
        }
    }
    out
}

fn node_text<'a>(n: Node, parsed: &'a Parsed) -> &'a str {
    std::str::from_utf8(&parsed.text()[n.byte_range()]).unwrap_or("")
}

/// The name identifier of a function definition, if it is one of `names`.
fn declared_name<'a>(def: Node<'a>, parsed: &Parsed, names: &BTreeSet<String>) -> Option<Node<'a>> {
    prototype_name(def.child_by_field_name("declarator")?, parsed, names)
}

/// The name of a function declarator (through pointers and parentheses:
/// `struct foo *bar(void)`), if it is one of `names`.
fn prototype_name<'a>(
    mut d: Node<'a>,
    parsed: &Parsed,
    names: &BTreeSet<String>,
) -> Option<Node<'a>> {
    while matches!(d.kind(), "pointer_declarator" | "attributed_declarator") {
        d = d.child_by_field_name("declarator")?;
    }
    if d.kind() != "function_declarator" {
        return None;
    }
    let mut id = d.child_by_field_name("declarator")?;
    while id.kind() == "parenthesized_declarator" {
        id = id.named_child(0)?;
    }
    (id.kind() == "identifier" && names.contains(node_text(id, parsed))).then_some(id)
}

fn is_static(def: Node, parsed: &Parsed) -> bool {
    children(def)
        .iter()
        .any(|c| c.kind() == "storage_class_specifier" && node_text(*c, parsed) == "static")
}

/// Every occurrence of one of `names` as an identifier token, outside
/// comments, strings and character literals, preprocessor lines included
/// (a macro body that calls the function uses it).
fn identifier_uses(src: &[u8], names: &BTreeSet<String>) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    collect_uses(src, 0, names, &mut out);
    out
}

fn collect_uses(src: &[u8], base: usize, names: &BTreeSet<String>, out: &mut Vec<(String, usize)>) {
    for tok in tokenize(src) {
        match tok.kind {
            TokKind::Ident => {
                if let Some(name) = std::str::from_utf8(tok.text(src))
                    .ok()
                    .filter(|t| names.contains(*t))
                {
                    out.push((name.to_string(), base + tok.start()));
                }
            }
            // Past the `#`, a directive's text is tokens again.
            TokKind::Directive => collect_uses(
                &src[tok.start() + 1..tok.end()],
                base + tok.start() + 1,
                names,
                out,
            ),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn at(file: &str, line: usize, column: usize) -> SymbolLoc {
        SymbolLoc {
            file: file.into(),
            line,
            column,
        }
    }

    #[test]
    fn definitions_prototypes_and_references_across_files() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "include/h.h",
            "int shared_remove(struct platform_device *pdev);\n\
             struct foo *make_foo(void);\n",
        );
        write(
            dir.path(),
            "drivers/a.c",
            "/* shared_remove() in a comment */\n\
             int shared_remove(struct platform_device *pdev)\n{\n\treturn 0;\n}\n\
             EXPORT_SYMBOL(shared_remove);\n",
        );
        write(
            dir.path(),
            "drivers/b.c",
            "#define REMOVE shared_remove\n\
             static const char *s = \"shared_remove\";\n\
             static struct platform_driver b = {\n\t.remove = shared_remove,\n};\n",
        );
        write(
            dir.path(),
            "drivers/c.c",
            "static int make_foo(void)\n{\n\treturn 1;\n}\n",
        );
        write(dir.path(), "drivers/d.c", "int unrelated;\n");
        let files: Vec<String> = [
            "drivers/a.c",
            "drivers/b.c",
            "drivers/c.c",
            "drivers/d.c",
            "include/h.h",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let names: BTreeSet<String> = ["shared_remove", "make_foo", "absent"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (index, findings) = SymbolIndex::build(dir.path(), &files, &names);
        assert!(findings.is_empty());
        let f = index.facts("shared_remove").unwrap();
        assert_eq!(
            f.definitions,
            vec![SymbolDef {
                loc: at("drivers/a.c", 2, 5),
                is_static: false
            }]
        );
        assert_eq!(f.prototypes, vec![at("include/h.h", 1, 5)]);
        assert_eq!(
            f.references,
            vec![
                at("drivers/a.c", 6, 15),
                at("drivers/b.c", 1, 16),
                at("drivers/b.c", 4, 12)
            ]
        );
        let m = index.facts("make_foo").unwrap();
        assert_eq!(m.prototypes, vec![at("include/h.h", 2, 13)]);
        assert!(m.definitions[0].is_static && index.static_in("make_foo", "drivers/c.c"));
        assert_eq!(index.facts("absent"), Some(&SymbolFacts::default()));
        assert_eq!(index.facts("never_asked"), None);
        let hit: Vec<&str> = index.files().iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(
            hit,
            vec!["drivers/a.c", "drivers/b.c", "drivers/c.c", "include/h.h"]
        );
    }

    #[test]
    fn a_name_across_two_read_chunks_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let chunk = 128 << 10;
        for (at, rel) in [
            (chunk - 5, "a.c"),
            (2 * chunk - 1, "b.c"),
            (3 * chunk, "c.c"),
        ] {
            // Short lines: a line past the parse limit would be a finding.
            let mut text: String = (0..at)
                .map(|i| if i % 64 == 63 { '\n' } else { ' ' })
                .collect();
            text.push_str("straddle_me();\n");
            write(dir.path(), rel, &text);
        }
        write(dir.path(), "d.c", &"straddle_m\n".repeat(40_000));
        let files: Vec<String> = ["a.c", "b.c", "c.c", "d.c"].map(String::from).to_vec();
        let names = BTreeSet::from(["straddle_me".to_string()]);
        let (index, findings) = SymbolIndex::build(dir.path(), &files, &names);
        assert!(findings.is_empty());
        let hit: Vec<&str> = index.files().iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(hit, vec!["a.c", "b.c", "c.c"]);
        assert_eq!(index.facts("straddle_me").unwrap().references.len(), 3);
    }

    #[test]
    fn read_errors_are_findings() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "drivers/ok.c", "void f(void) { g(); }\n");
        write(dir.path(), "drivers/bin.c", "g\0binary\n");
        // Binary, but without the name: it cannot matter.
        write(dir.path(), "drivers/other.c", "h\0binary\n");
        let files = vec![
            "drivers/bin.c".into(),
            "drivers/gone.c".into(),
            "drivers/ok.c".into(),
            "drivers/other.c".into(),
        ];
        let names = BTreeSet::from(["g".to_string()]);
        let (index, findings) = SymbolIndex::build(dir.path(), &files, &names);
        let named: Vec<&str> = findings.iter().map(|f| f.file.as_str()).collect();
        assert_eq!(named, vec!["drivers/bin.c", "drivers/gone.c"]);
        assert_eq!(
            index.facts("g").unwrap().references,
            vec![at("drivers/ok.c", 1, 16)]
        );
    }
}
