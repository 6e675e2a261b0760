//! The length-preserving masking pass.
//!
//! tree-sitter-c does not know the kernel's macros, and a few shapes cause
//! most of its ERROR nodes in `drivers/`. This pass rewrites those shapes
//! into plain C *of the same length* before parsing: every byte offset in
//! the masked text is the same offset in the original file, so a node found
//! in the masked parse addresses the original bytes, and every edit is
//! spliced into the original bytes (masked tokens such as `__exit` survive
//! a rewrite untouched). Newlines are never masked, so lines stay lines.

use crate::lex::{directive_name, tokenize, Tok, TokKind};
use std::ops::Range;

/// Annotations that only sparse or the linker care about: blanked.
const BLANKED: &[&str] = &[
    // sparse address spaces and checks
    "__iomem",
    "__user",
    "__rcu",
    "__percpu",
    "__force",
    "__kernel",
    "__bitwise",
    "__private",
    "__safe",
    "__nocast",
    "__must_check",
    "__acquire",
    "__release",
    // sections and placement
    "__init",
    "__exit",
    "__initdata",
    "__initconst",
    "__exitdata",
    "__refdata",
    "__refconst",
    "__ref",
    "__meminit",
    "__meminitdata",
    "__init_or_module",
    "__devinit",
    "__devexit",
    "__devinitdata",
    "__devinitconst",
    "__devexit_p_unused",
    "__ro_after_init",
    "__read_mostly",
    "__cacheline_aligned",
    "__cacheline_aligned_in_smp",
    "____cacheline_aligned",
    "____cacheline_aligned_in_smp",
    "____cacheline_internodealigned_in_smp",
    "__page_aligned_bss",
    "__page_aligned_data",
    "__initdata_or_meminfo",
    // function and variable attributes
    "__maybe_unused",
    "__always_unused",
    "__packed",
    "__cold",
    "__hot",
    "__weak",
    "__used",
    "__always_inline",
    "noinline",
    "noinline_for_stack",
    "__noreturn",
    "__visible",
    "asmlinkage",
    "__latent_entropy",
    "__randomize_layout",
    "__no_randomize_layout",
    "__nocfi",
    "__sched",
    "__kprobes",
    "notrace",
    "__deprecated",
    "__pure",
    "__attribute_const__",
    "__flatten",
    "__noinline",
    "__malloc",
    "__nonstring",
    "__fallthrough",
    "__ksym",
    "__unused",
];

/// Annotations that take an argument list: blanked with it.
const BLANKED_WITH_ARGS: &[&str] = &[
    "__aligned",
    "__section",
    "__printf",
    "__scanf",
    "__acquires",
    "__releases",
    "__must_hold",
    "__cond_lock",
    "__alloc_size",
    "__counted_by",
    "__guarded_by",
    "__pt_guarded_by",
    "__designated_init",
    "__nonstring_array",
];

/// Words that may follow a `(` yet are not iterator macros.
const NOT_ITERATORS: &[&str] = &[
    "if",
    "while",
    "for",
    "switch",
    "return",
    "sizeof",
    "typeof",
    "__typeof__",
    "__typeof",
    "__attribute__",
    "__attribute",
    "_Alignof",
    "__alignof__",
    "defined",
    "__builtin_expect",
    "likely",
    "unlikely",
    "else",
    "do",
    "case",
    "goto",
];

/// Builtin type words that may appear as a macro argument (`min_t(unsigned int, a, b)`).
const TYPE_WORDS: &[&str] = &["unsigned", "signed", "long", "short", "int", "char"];

/// One of the word lists above, for the question asked of every
/// identifier of every file: sorted for a binary search, behind a table of
/// first bytes that turns most identifiers away at once.
struct WordList {
    first_bytes: [bool; 256],
    sorted: Vec<&'static [u8]>,
}

impl WordList {
    fn new(words: &[&'static str]) -> WordList {
        let mut first_bytes = [false; 256];
        let mut sorted: Vec<&'static [u8]> = words.iter().map(|w| w.as_bytes()).collect();
        for w in &sorted {
            first_bytes[usize::from(w[0])] = true;
        }
        sorted.sort_unstable();
        WordList {
            first_bytes,
            sorted,
        }
    }

    fn contains(&self, word: &[u8]) -> bool {
        word.first()
            .is_some_and(|b| self.first_bytes[usize::from(*b)])
            && self.sorted.binary_search(&word).is_ok()
    }
}

macro_rules! word_list {
    ($name:ident, $words:expr) => {
        fn $name() -> &'static WordList {
            static LIST: std::sync::OnceLock<WordList> = std::sync::OnceLock::new();
            LIST.get_or_init(|| WordList::new($words))
        }
    };
}
word_list!(blanked, BLANKED);
word_list!(blanked_with_args, BLANKED_WITH_ARGS);
word_list!(not_iterators, NOT_ITERATORS);
word_list!(type_words, TYPE_WORDS);

/// The masked text and the regions that were masked out whole.
pub struct Masked {
    pub text: Vec<u8>,
    /// Alternative branches of preprocessor conditionals that cut a
    /// construct: blanked so the first branch parses, but nothing in them
    /// is examined, and anything a pattern looks for there must be reported.
    pub inactive: Vec<Range<usize>>,
    /// Where the file's top-level items end (`top_level_boundaries`),
    /// for the rewrite check of an edit found through this parse.
    pub bounds: Vec<usize>,
}

/// Masks `src`; see the module comment.
pub fn mask(src: &[u8]) -> Masked {
    mask_items(src, |bounds| vec![true; bounds.len()]).0
}

/// Masks `src` as `mask` does, but only the top-level items that `choose`
/// keeps (it gets the item boundaries, and answers for each item between
/// two of them); the others are blanked, keeping their line breaks. Also
/// returns the kept byte ranges, neighbours merged. Every masking step but
/// the conditionals runs on one item at a time (a bracket left open in an
/// item is not matched in the next), so a kept item reads the same as in a
/// whole-file mask, for a fraction of the cost.
pub fn mask_items(
    src: &[u8],
    choose: impl FnOnce(&[usize]) -> Vec<bool>,
) -> (Masked, Vec<Range<usize>>) {
    let ConditionalView {
        mut out,
        inactive,
        visible,
        bounds,
    } = conditional_view(src);
    let keep = choose(&bounds);
    let mut kept: Vec<Range<usize>> = Vec::new();
    // The tokens of a kept item, directives left out; most items are not
    // kept, so their tokens are never copied.
    let mut live: Vec<Tok> = Vec::new();
    let mut first = 0;
    for (i, pair) in bounds.windows(2).enumerate() {
        let count = visible[first..].partition_point(|t| t.start() < pair[1]);
        let item = &visible[first..first + count];
        first += count;
        if !keep.get(i).copied().unwrap_or(false) {
            blank(&mut out, pair[0]..pair[1]);
            continue;
        }
        match kept.last_mut() {
            Some(last) if last.end == pair[0] => last.end = pair[1],
            _ => kept.push(pair[0]..pair[1]),
        }
        live.clear();
        live.extend(item.iter().filter(|t| t.kind != TokKind::Directive));
        let item = live.as_slice();
        mask_annotations(src, item, &mut out);
        mask_type_arguments(src, item, &mut out);
        mask_static_macro_declarations(src, item, &mut out);
        mask_iterator_macros(src, item, &mut out);
        mask_string_macros(src, item, &mut out);
    }
    (
        Masked {
            text: out,
            inactive,
            bounds,
        },
        kept,
    )
}

/// The top-level item boundaries of what the parser sees of `src`: those
/// of `mask(src)`, without the cost of the item-local masking steps.
pub fn top_level_boundaries(src: &[u8]) -> Vec<usize> {
    conditional_view(src).bounds
}

/// `src` with its cutting conditionals masked, the first step of every
/// mask: the text, the branches masked out, the tokens left visible and
/// the top-level item boundaries they give.
struct ConditionalView {
    out: Vec<u8>,
    inactive: Vec<Range<usize>>,
    visible: Vec<Tok>,
    bounds: Vec<usize>,
}

fn conditional_view(src: &[u8]) -> ConditionalView {
    let toks = tokenize(src);
    let mut out = src.to_vec();
    let inactive = mask_cutting_conditionals(src, &toks, &mut out);
    // The conditional mask blanks whole tokens (its directives and the
    // alternative branches), and no token starts with a space.
    let visible: Vec<Tok> = toks
        .into_iter()
        .filter(|t| out[t.start()] != b' ')
        .collect();
    let bounds = crate::lex::top_level_boundaries(&visible, src.len());
    ConditionalView {
        out,
        inactive,
        visible,
        bounds,
    }
}

/// Replaces bytes with spaces, keeping line breaks.
fn blank(out: &mut [u8], range: Range<usize>) {
    for b in &mut out[range] {
        if *b != b'\n' && *b != b'\r' {
            *b = b' ';
        }
    }
}

/// Index of the token closing the bracket opened at `open`, if balanced.
fn matching_close(toks: &[Tok], open: usize) -> Option<usize> {
    let (o, c) = match toks[open].kind {
        TokKind::Punct(b'(') => (b'(', b')'),
        TokKind::Punct(b'{') => (b'{', b'}'),
        TokKind::Punct(b'[') => (b'[', b']'),
        _ => return None,
    };
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        if t.is_punct(o) {
            depth += 1;
        } else if t.is_punct(c) {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

fn mask_annotations(src: &[u8], toks: &[Tok], out: &mut [u8]) {
    for (i, t) in toks.iter().enumerate() {
        if t.kind != TokKind::Ident {
            continue;
        }
        let text = t.text(src);
        if blanked().contains(text) {
            blank(out, t.start()..t.end());
        } else if blanked_with_args().contains(text) {
            let end = match toks.get(i + 1) {
                Some(n) if n.is_punct(b'(') => {
                    matching_close(toks, i + 1).map_or(t.end(), |c| toks[c].end())
                }
                _ => t.end(),
            };
            blank(out, t.start()..end);
        }
    }
}

/// `container_of(p, struct foo, m)`, `min_t(unsigned int, a, b)`: a type
/// where an expression must stand. Joining its words with `_` turns it into
/// one identifier of the same length.
fn mask_type_arguments(src: &[u8], toks: &[Tok], out: &mut [u8]) {
    let mut i = 1;
    while i < toks.len() {
        let before = &toks[i - 1];
        if !(before.is_punct(b'(') || before.is_punct(b',')) || toks[i].kind != TokKind::Ident {
            i += 1;
            continue;
        }
        // In a call only: the `(` of the argument list follows an identifier.
        if before.is_punct(b'(') && !(i >= 2 && toks[i - 2].kind == TokKind::Ident) {
            i += 1;
            continue;
        }
        let first = toks[i].text(src);
        let words = if matches!(first, b"struct" | b"union" | b"enum") {
            if toks.get(i + 1).map(|t| t.kind) == Some(TokKind::Ident) {
                2
            } else {
                0
            }
        } else {
            toks[i..]
                .iter()
                .take_while(|t| t.kind == TokKind::Ident && type_words().contains(t.text(src)))
                .count()
        };
        let closes = toks
            .get(i + words)
            .is_some_and(|t| t.is_punct(b',') || t.is_punct(b')'));
        // `(struct foo){ ... }` is a compound literal, which parses as it is.
        let compound = toks.get(i + words + 1).is_some_and(|t| t.is_punct(b'{'));
        if words >= 2 && closes && !compound {
            let only_spaces = (1..words).all(|k| {
                src[toks[i + k - 1].end()..toks[i + k].start()]
                    .iter()
                    .all(|b| *b == b' ' || *b == b'\t')
            });
            if only_spaces {
                for k in 1..words {
                    for b in &mut out[toks[i + k - 1].end()..toks[i + k].start()] {
                        *b = b'_';
                    }
                }
            }
        }
        i += words.max(1);
    }
}

/// Brace depth at each token, counting the token itself (a `{` is inside).
/// A stray `}` does not take it below the top, as in the item boundaries:
/// the items after it must mask as they do on their own.
fn brace_depths(toks: &[Tok]) -> Vec<i32> {
    let mut depth = 0i32;
    toks.iter()
        .map(|t| {
            match t.kind {
                TokKind::Punct(b'{') => depth += 1,
                TokKind::Punct(b'}') => depth = (depth - 1).max(0),
                _ => {}
            }
            depth
        })
        .collect()
}

/// `static SIMPLE_DEV_PM_OPS(foo_pm, foo_suspend, foo_resume);` at file
/// scope: a macro that expands to a definition. Without its `static` it is a
/// top-level call, which tree-sitter-c reads as an expression statement.
fn mask_static_macro_declarations(src: &[u8], toks: &[Tok], out: &mut [u8]) {
    let depths = brace_depths(toks);
    for (i, t) in toks.iter().enumerate() {
        if depths[i] != 0 || !t.is(src, "static") {
            continue;
        }
        let at_start = i == 0 || toks[i - 1].is_punct(b';') || toks[i - 1].is_punct(b'}');
        let mut j = i + 1;
        while toks.get(j).is_some_and(|t| t.is(src, "const")) {
            j += 1;
        }
        let is_macro_call = toks.get(j).is_some_and(|t| {
            t.kind == TokKind::Ident
                && t.text(src)
                    .iter()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
        }) && toks.get(j + 1).is_some_and(|t| t.is_punct(b'('));
        if !at_start || !is_macro_call {
            continue;
        }
        let Some(close) = matching_close(toks, j + 1) else {
            continue;
        };
        if toks.get(close + 1).is_some_and(|t| t.is_punct(b';')) {
            blank(out, t.start()..toks[j].start());
        }
    }
}

/// `KERN_ERR DRV_NAME ": failed\n"`: macros that expand to string
/// literals, pasted to a literal. Each becomes a literal of the same length
/// (`"      "`), which tree-sitter reads as a concatenated string.
fn mask_string_macros(src: &[u8], toks: &[Tok], out: &mut [u8]) {
    let is_string = |t: &Tok| t.kind == TokKind::Literal && t.text(src).last() == Some(&b'"');
    let is_macro = |t: &Tok| {
        t.kind == TokKind::Ident
            && t.end() - t.start() >= 2
            && t.text(src)
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
    };
    let mut i = 0;
    while i < toks.len() {
        let run = toks[i..]
            .iter()
            .take_while(|t| is_string(t) || is_macro(t))
            .count();
        let run_toks = &toks[i..i + run];
        if run >= 2 && run_toks.iter().any(is_string) && run_toks.iter().any(is_macro) {
            for t in run_toks.iter().filter(|t| is_macro(t)) {
                out[t.start()] = b'"';
                blank(out, t.start() + 1..t.end() - 1);
                out[t.end() - 1] = b'"';
            }
        }
        i += run.max(1);
    }
}

/// `list_for_each_entry(pos, head, member) {`: a call followed by a
/// statement is never C, so it can only be an iterator macro. Renaming it
/// to `while` (padded) keeps the loop structure for the parser.
fn mask_iterator_macros(src: &[u8], toks: &[Tok], out: &mut [u8]) {
    let depths = brace_depths(toks);
    for (i, t) in toks.iter().enumerate() {
        if depths[i] <= 0 || t.kind != TokKind::Ident || t.end() - t.start() < 5 {
            continue;
        }
        if !toks.get(i + 1).is_some_and(|n| n.is_punct(b'(')) {
            continue;
        }
        let text = t.text(src);
        if not_iterators().contains(text) {
            continue;
        }
        // The macro must begin a statement, or `a = f(x) y` would qualify.
        let starts_statement = i == 0
            || matches!(
                toks[i - 1].kind,
                TokKind::Punct(b';')
                    | TokKind::Punct(b'{')
                    | TokKind::Punct(b'}')
                    | TokKind::Punct(b':')
            )
            || toks[i - 1].is(src, "else")
            || (toks[i - 1].is_punct(b')') && is_control_paren(src, toks, i - 1));
        if !starts_statement {
            continue;
        }
        let Some(close) = matching_close(toks, i + 1) else {
            continue;
        };
        let followed_by_statement = toks
            .get(close + 1)
            .is_some_and(|n| n.is_punct(b'{') || n.kind == TokKind::Ident);
        if followed_by_statement {
            out[t.start()..t.start() + 5].copy_from_slice(b"while");
            blank(out, t.start() + 5..t.end());
        }
    }
}

/// Whether the `)` at `close` ends the condition of `if`/`while`/`for`.
fn is_control_paren(src: &[u8], toks: &[Tok], close: usize) -> bool {
    let mut depth = 0i32;
    for k in (0..=close).rev() {
        if toks[k].is_punct(b')') {
            depth += 1;
        } else if toks[k].is_punct(b'(') {
            depth -= 1;
            if depth == 0 {
                return k > 0
                    && ["if", "while", "for"]
                        .iter()
                        .any(|w| toks[k - 1].is(src, w));
            }
        }
    }
    false
}

/// One `#if` ... `#endif` group: its directives and where its branches start.
struct CondGroup {
    /// Directive token indices: the `#if*`, each `#elif`/`#else`, the `#endif`.
    directives: Vec<usize>,
}

/// Conditionals that cut a construct or sit inside an initializer or an
/// expression cannot be read by tree-sitter-c. For those, the first branch
/// is kept and the directive lines and the other branches are blanked.
/// Conditionals at statement or file level that close what they open are
/// left as they are: the parser reads them.
fn mask_cutting_conditionals(src: &[u8], toks: &[Tok], out: &mut [u8]) -> Vec<Range<usize>> {
    let mut groups: Vec<CondGroup> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        if t.kind != TokKind::Directive {
            continue;
        }
        match directive_name(src, t) {
            b"if" | b"ifdef" | b"ifndef" => {
                open.push(groups.len());
                groups.push(CondGroup {
                    directives: vec![i],
                });
            }
            b"elif" | b"else" | b"elifdef" | b"elifndef" => {
                if let Some(&g) = open.last() {
                    groups[g].directives.push(i);
                }
            }
            b"endif" => {
                if let Some(g) = open.pop() {
                    groups[g].directives.push(i);
                }
            }
            _ => {}
        }
    }
    if groups.is_empty() {
        return Vec::new();
    }
    let contexts = bracket_contexts(toks);
    let mut inactive = Vec::new();
    for g in &groups {
        let first = g.directives[0];
        let last = *g.directives.last().unwrap();
        if g.directives.len() < 2 || directive_name(src, &toks[last]) != b"endif" {
            continue; // unterminated: leave it to the parser, it will report
        }
        let in_expression = contexts[first].1;
        let cuts = g.directives.windows(2).any(|w| {
            // A branch cuts a construct when it changes the bracket depth or
            // ends somewhere other than a statement or declaration boundary.
            let last_in_branch = toks[w[0] + 1..w[1]]
                .iter()
                .rev()
                .find(|t| t.kind != TokKind::Directive);
            contexts[w[0]].0 != contexts[w[1]].0
                || last_in_branch.is_some_and(|t| !(t.is_punct(b';') || t.is_punct(b'}')))
        });
        if !(in_expression || cuts) {
            continue;
        }
        for &d in &g.directives {
            blank(out, toks[d].start()..toks[d].end());
        }
        if g.directives.len() > 2 {
            let alt = toks[g.directives[1]].start()..toks[last].start();
            blank(out, alt.clone());
            inactive.push(alt);
        }
    }
    inactive.sort_by_key(|r| r.start);
    inactive
}

/// For each token: (bracket depth, whether the innermost bracket is an
/// initializer `= {`, a parenthesis or a bracket, i.e. not a block).
/// Tokens inside `#else` branches count too, which is why a branch that
/// opens more than it closes shows up as a depth change between directives.
fn bracket_contexts(toks: &[Tok]) -> Vec<(usize, bool)> {
    let mut stack: Vec<bool> = Vec::new();
    let mut result = Vec::with_capacity(toks.len());
    for (i, t) in toks.iter().enumerate() {
        result.push((stack.len(), stack.last().copied().unwrap_or(false)));
        match t.kind {
            TokKind::Punct(b'(') | TokKind::Punct(b'[') => stack.push(true),
            TokKind::Punct(b'{') => {
                let prev = toks[..i]
                    .iter()
                    .rev()
                    .find(|p| p.kind != TokKind::Directive);
                let initializer = prev
                    .is_some_and(|p| p.is_punct(b'=') || p.is_punct(b',') || p.is_punct(b'{'))
                    || stack.last().copied().unwrap_or(false);
                stack.push(initializer);
            }
            TokKind::Punct(b')') | TokKind::Punct(b']') | TokKind::Punct(b'}') => {
                stack.pop();
            }
            _ => {}
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(src: &str) -> String {
        let m = mask(src.as_bytes());
        assert_eq!(m.text.len(), src.len(), "masking must keep the length");
        String::from_utf8(m.text).unwrap()
    }

    const ITEMS: &str = "static int __init a_init(void)\n{\n\treturn 0;\n}\n\
static void b(struct device *dev)\n{\n\
#ifdef CONFIG_FOO\n\tif (dev) {\n#else\n\tif (!dev) {\n#endif\n\
\t\tput_device(dev);\n\t}\n}\n\
static DEFINE_MUTEX(lock);\n\
static int c(void) { return min_t(unsigned int, 1, 2); }\n";

    #[test]
    fn boundaries_are_those_of_the_masked_text() {
        let whole = mask(ITEMS.as_bytes());
        let toks = tokenize(&whole.text);
        assert_eq!(
            top_level_boundaries(ITEMS.as_bytes()),
            crate::lex::top_level_boundaries(&toks, ITEMS.len())
        );
        // The cut conditional is one item with its function, not three.
        assert_eq!(top_level_boundaries(ITEMS.as_bytes()).len(), 6);
    }

    #[test]
    fn kept_items_mask_as_in_the_whole_file_and_the_rest_is_blank() {
        let whole = mask(ITEMS.as_bytes());
        let bounds = top_level_boundaries(ITEMS.as_bytes());
        // Keep the second and the fourth item (of five: a trailing newline).
        let (part, kept) = mask_items(ITEMS.as_bytes(), |b| {
            (0..b.len()).map(|i| i == 1 || i == 3).collect()
        });
        assert_eq!(part.text.len(), ITEMS.len());
        assert_eq!(part.inactive, whole.inactive);
        assert_eq!(kept, vec![bounds[1]..bounds[2], bounds[3]..bounds[4]]);
        for r in &kept {
            assert_eq!(part.text[r.clone()], whole.text[r.clone()]);
        }
        for r in [
            bounds[0]..bounds[1],
            bounds[2]..bounds[3],
            bounds[4]..bounds[5],
        ] {
            assert!(part.text[r].iter().all(|b| *b == b' ' || *b == b'\n'));
        }
        let last = String::from_utf8_lossy(&part.text[kept[1].clone()]).into_owned();
        assert!(last.contains("min_t(unsigned_int, 1, 2)"), "{last}");
    }

    #[test]
    fn blanks_annotations_and_their_arguments() {
        assert_eq!(
            masked("static int __init foo(void __iomem *p) __aligned(8);"),
            "static int        foo(void         *p)             ;"
        );
    }

    #[test]
    fn joins_type_arguments_into_identifiers() {
        assert_eq!(
            masked("x = container_of(p, struct foo, m) + min_t(unsigned int, a, b);"),
            "x = container_of(p, struct_foo, m) + min_t(unsigned_int, a, b);"
        );
        // A parameter list and a compound literal are left alone.
        assert_eq!(masked("int f(struct foo *p);"), "int f(struct foo *p);");
        assert_eq!(
            masked("x = f((struct foo){ 0 });"),
            "x = f((struct foo){ 0 });"
        );
    }

    #[test]
    fn drops_static_before_definition_macros() {
        assert_eq!(
            masked("static SIMPLE_DEV_PM_OPS(pm, s, r);\nstatic int x;"),
            "       SIMPLE_DEV_PM_OPS(pm, s, r);\nstatic int x;"
        );
    }

    #[test]
    fn turns_string_macros_into_literals() {
        assert_eq!(
            masked("printk(KERN_ERR DRV \": x\\n\");"),
            "printk(\"      \" \" \" \": x\\n\");"
        );
        assert_eq!(masked("f(FOO, \"x\");"), "f(FOO, \"x\");");
    }

    #[test]
    fn renames_iterator_macros_to_while() {
        assert_eq!(
            masked("void f(void)\n{\n\tlist_for_each_entry(p, &h, node) {\n\t\tg(p);\n\t}\n}"),
            "void f(void)\n{\n\twhile              (p, &h, node) {\n\t\tg(p);\n\t}\n}"
        );
        // A plain call stays a call.
        assert_eq!(
            masked("void f(void)\n{\n\tlist_add(p, h);\n}"),
            "void f(void)\n{\n\tlist_add(p, h);\n}"
        );
    }

    #[test]
    fn a_stray_closing_brace_does_not_leak_into_later_items() {
        // Found by the fuzz target: the `};` left over from a deleted
        // line made every later function body count as file scope.
        let src = "};\nvoid f(void)\n{\n\tlist_for_each_entry(p, &h, node) {\n\t\tg(p);\n\t}\n}\n";
        assert!(masked(src).contains("\twhile              (p, &h, node) {"));
        let (part, _) = mask_items(src.as_bytes(), |b| (0..b.len()).map(|i| i > 0).collect());
        assert_eq!(&part.text[2..], &mask(src.as_bytes()).text[2..]);
    }

    #[test]
    fn a_bracket_left_open_is_not_matched_in_the_next_item() {
        // Found by the fuzz target: the `(` of an item that ends at its
        // `;` was matched with a `)` of the next item, so the whole-file
        // mask dropped this `static` and the item's own mask did not.
        let src = "static FOO(a;\nb);\n";
        assert_eq!(masked(src), src);
    }

    #[test]
    fn keeps_first_branch_of_conditional_in_initializer() {
        let src = "static struct s x = {\n\t.a = 1,\n#ifdef CONFIG_PM\n\t.b = 2,\n#else\n\t.b = 3,\n#endif\n};\n";
        let m = mask(src.as_bytes());
        let text = String::from_utf8(m.text).unwrap();
        assert_eq!(text, "static struct s x = {\n\t.a = 1,\n                \n\t.b = 2,\n     \n        \n      \n};\n");
        assert_eq!(m.inactive.len(), 1);
        assert_eq!(&src[m.inactive[0].clone()], "#else\n\t.b = 3,\n");
    }

    #[test]
    fn leaves_statement_level_conditionals_alone() {
        let src = "void f(void)\n{\n#ifdef X\n\ta();\n#else\n\tb();\n#endif\n}\n";
        assert_eq!(masked(src), src);
    }

    #[test]
    fn masks_conditionals_that_cut_a_construct() {
        let src =
            "#ifdef X\nstatic int f(int a)\n#else\nstatic int f(void)\n#endif\n{\n\treturn 0;\n}\n";
        let text = masked(src);
        assert!(text.starts_with("        \nstatic int f(int a)\n"));
        assert!(!text.contains("f(void)"));
    }
}
