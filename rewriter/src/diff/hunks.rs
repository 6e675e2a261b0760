//! The `@@` hunks of one file's unified diff, as `git diff` writes them:
//! git's change grouping (see [`super::compact`]), hunks merged when at
//! most twice the context lies between them, and the function context
//! after the `@@` (see [`super::funcname`]).

use super::compact::{changes, Change};
use super::funcname::{func_of, FuncName};

/// One file's hunks and their line counts (for a diffstat).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hunks {
    /// The hunks, from the first `@@` on; empty when nothing changed.
    pub text: Vec<u8>,
    pub added: usize,
    pub deleted: usize,
}

/// Lines including their terminating `\n` (the last may lack it). A CR is
/// part of the line like any other byte: git splits at `\n` only, and a
/// diff split elsewhere does not apply.
pub fn split_lines(data: &[u8]) -> Vec<&[u8]> {
    data.split_inclusive(|&b| b == b'\n').collect()
}

/// The hunks of the change from `old` to `new`, with `ctx` lines of
/// context and function context found by `mode`.
pub fn unified_hunks(old: &[u8], new: &[u8], ctx: usize, mode: FuncName) -> Hunks {
    let a = split_lines(old);
    let b = split_lines(new);
    let chs = changes(&a, &b);
    let mut out = Hunks::default();
    let mut k = 0;
    while k < chs.len() {
        let last = hunk_end(&chs, k, ctx);
        write_hunk(&chs[k..=last], (&a, &b), ctx, mode, &mut out);
        k = last + 1;
    }
    out
}

/// git's `xdl_get_hunk`: the last change of the hunk starting with
/// `chs[k]` (changes at most `2 * ctx` lines apart share a hunk).
fn hunk_end(chs: &[Change], k: usize, ctx: usize) -> usize {
    let mut last = k;
    while last + 1 < chs.len() && chs[last + 1].i1 - (chs[last].i1 + chs[last].c1) <= 2 * ctx {
        last += 1;
    }
    last
}

/// One hunk holding `chs`: header with function context, then its lines.
fn write_hunk(
    chs: &[Change],
    (a, b): (&[&[u8]], &[&[u8]]),
    ctx: usize,
    mode: FuncName,
    out: &mut Hunks,
) {
    let (first, lc) = (chs[0], chs[chs.len() - 1]);
    let s1 = first.i1.saturating_sub(ctx);
    let s2 = first.i2.saturating_sub(ctx);
    let e1 = (lc.i1 + lc.c1 + ctx).min(a.len());
    let e2 = (lc.i2 + lc.c2 + ctx).min(b.len());
    let t = &mut out.text;
    t.extend_from_slice(
        format!("@@ -{} +{} @@", range(s1, e1 - s1), range(s2, e2 - s2)).as_bytes(),
    );
    // function context: the last function line of the preimage above the hunk
    if let Some(f) = (0..s1).rev().find_map(|i| func_of(a[i], mode)) {
        if !f.is_empty() {
            t.push(b' ');
            t.extend_from_slice(&f);
        }
    }
    t.push(b'\n');
    let mut i1 = s1;
    for c in chs {
        emit_lines(b' ', &a[i1..c.i1], t);
        emit_lines(b'-', &a[c.i1..c.i1 + c.c1], t);
        emit_lines(b'+', &b[c.i2..c.i2 + c.c2], t);
        out.deleted += c.c1;
        out.added += c.c2;
        i1 = c.i1 + c.c1;
    }
    emit_lines(b' ', &a[i1..e1], t);
}

/// A hunk header's `start,count`: `start` is 1-based, or the line before
/// an empty range; a count of one is left out.
fn range(start: usize, count: usize) -> String {
    match count {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        n => format!("{},{n}", start + 1),
    }
}

/// `lines`, each after `prefix`; a last line without `\n` gets git's
/// `\ No newline at end of file`.
fn emit_lines(prefix: u8, lines: &[&[u8]], out: &mut Vec<u8>) {
    for l in lines {
        out.push(prefix);
        out.extend_from_slice(l);
        if !l.ends_with(b"\n") {
            out.extend_from_slice(b"\n\\ No newline at end of file\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunk_header_names_the_function() {
        let old = b"int a;\n\nstatic int foo(void)\n{\n\tint x;\n\n\tx = 1;\n\treturn 0;\n}\n";
        let new = b"int a;\n\nstatic int foo(void)\n{\n\tint x;\n\n\tx = 1;\n\treturn 1;\n}\n";
        let h = unified_hunks(old, new, 3, FuncName::Default);
        assert_eq!((h.added, h.deleted), (1, 1));
        assert_eq!(
            String::from_utf8(h.text).unwrap(),
            "@@ -5,5 +5,5 @@ static int foo(void)\n \tint x;\n \n \tx = 1;\n-\treturn 0;\n+\treturn 1;\n }\n"
        );
    }

    /// An added block that could sit one step lower (it starts and ends
    /// with `x = 1;`): git's indent heuristic puts it before the blank
    /// line, without the heuristic it would come after `x = 1;` (both
    /// checked with `git diff --no-index [--no-indent-heuristic]`).
    #[test]
    fn indent_heuristic_places_an_added_block_like_git() {
        let old = b"int f(void)\n{\n\tint x;\n\n\tx = 1;\n\treturn x;\n}\n";
        let new = b"int f(void)\n{\n\tint x;\n\n\tx = 1;\n\tif (x)\n\t\treturn 2;\n\n\tx = 1;\n\treturn x;\n}\n";
        let h = unified_hunks(old, new, 3, FuncName::Cpp);
        assert_eq!(
            String::from_utf8(h.text).unwrap(),
            "@@ -2,6 +2,10 @@ int f(void)\n {\n \tint x;\n \n+\tx = 1;\n+\tif (x)\n+\t\treturn 2;\n+\n \tx = 1;\n \treturn x;\n }\n"
        );
    }

    #[test]
    fn ranges_like_git() {
        assert_eq!(range(0, 0), "0,0");
        assert_eq!(range(4, 1), "5");
        assert_eq!(range(4, 3), "5,3");
    }
}
