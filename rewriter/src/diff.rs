//! The diff stage: unified diffs of file changes, the way `git diff`
//! writes them, for every output of unplug (`rewrite` prints them, the
//! `series` crate puts them into its mails). One engine, so that the same
//! change shows the same hunks everywhere: git's change grouping with the
//! indent heuristic ([`compact`]), hunks with git's function context
//! chosen by the tree's `.gitattributes` ([`funcname`], [`hunks`]).
//!
//! Diffs are byte-exact, with `a/` and `b/` paths relative to the tree
//! root so that `git apply` and `patch -p1` accept them. Lines end at `\n`
//! only, as git reads them: CRLF, a bare CR inside a line, CR-only line
//! ends and non-UTF-8 bytes all pass through unchanged, and a last line
//! without `\n` gets `\ No newline at end of file`. Paths are quoted the
//! way git quotes them.

mod compact;
pub mod funcname;
pub mod hunks;

pub use funcname::{Attributes, FuncName};
pub use hunks::{unified_hunks, Hunks};

use crate::model::FileChange;
use std::io::{self, Write};

/// `prefix` + `path` for a diff header, C-quoted as git quotes it with
/// `core.quotePath` on (its default): a name holding a control byte, a
/// double quote, a backslash or a byte outside printable ASCII is written
/// in double quotes with C escapes (tab as `\t`, other bytes in octal);
/// any other name as it is.
pub fn quote_path(prefix: &str, path: &str) -> String {
    let full = format!("{prefix}{path}");
    let quoted = gix_quote::ansi_c::quote(full.as_bytes().into());
    String::from_utf8(quoted.into_owned().into()).expect("a quoted name is ASCII")
}

/// Writes the unified diff of one change, three lines of context, with
/// function context in the hunk headers as `attrs` chooses it.
pub fn write_unified(
    change: &FileChange,
    attrs: &Attributes,
    w: &mut impl Write,
) -> io::Result<()> {
    let hunks = unified_hunks(
        &change.before,
        &change.after,
        3,
        attrs.funcname(&change.file),
    );
    if hunks.text.is_empty() {
        return Ok(());
    }
    let (a, b) = (
        quote_path("a/", &change.file),
        quote_path("b/", &change.file),
    );
    // git ends a name holding a space with a tab (for GNU patch)
    let tab = if change.file.contains(' ') { "\t" } else { "" };
    writeln!(w, "diff -u {a} {b}")?;
    writeln!(w, "--- {a}{tab}")?;
    writeln!(w, "+++ {b}{tab}")?;
    w.write_all(&hunks.text)
}

/// The whole diff of `changes`, in file order, hunk headers as a tree
/// with `attrs` for its `.gitattributes` gets them from git (each file's
/// diff is computed on its own thread: on a treewide run this is no small
/// part).
pub fn unified_with(changes: &[FileChange], attrs: &Attributes) -> Vec<u8> {
    use rayon::prelude::*;
    let parts: Vec<Vec<u8>> = changes
        .par_iter()
        .map(|c| {
            let mut out = Vec::new();
            write_unified(c, attrs, &mut out).expect("writing to a Vec cannot fail");
            out
        })
        .collect();
    parts.concat()
}

/// [`unified_with`] for a tree without `.gitattributes` (git's default
/// funcname rule for every file).
pub fn unified(changes: &[FileChange]) -> Vec<u8> {
    unified_with(changes, &Attributes::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;

    fn change(file: &str, before: &[u8], after: &[u8]) -> FileChange {
        FileChange {
            file: file.into(),
            before: before.to_vec(),
            after: after.to_vec(),
            groups: vec![],
        }
    }

    /// Writes `before` into a fresh git repository and runs `git apply`
    /// on our diff there; returns the file's content afterwards.
    fn git_apply(c: &FileChange) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let out = Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "git {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        git(&["init", "-q"]);
        let path = dir.path().join(&c.file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &c.before).unwrap();
        std::fs::write(dir.path().join("p.diff"), unified(std::slice::from_ref(c))).unwrap();
        git(&["apply", "--check", "p.diff"]);
        git(&["apply", "p.diff"]);
        std::fs::read(Path::new(&path)).unwrap()
    }

    #[test]
    fn keeps_crlf_and_raw_bytes() {
        let c = change(
            "drivers/x.c",
            b"a\r\nb\xff\r\nc\r\n",
            b"a\r\nB\xff\r\nc\r\n",
        );
        let d = unified(std::slice::from_ref(&c));
        assert!(d.starts_with(b"diff -u a/drivers/x.c b/drivers/x.c\n--- a/drivers/x.c\n+++ b/drivers/x.c\n@@ -1,3 +1,3 @@\n"));
        assert!(d.windows(6).any(|w| w == b"-b\xff\r\n+"));
        assert_eq!(git_apply(&c), c.after);
    }

    #[test]
    fn bare_cr_inside_a_line_applies() {
        let before = b"int a;\nint b; /* x\ry */\nint c;\nint d;\n";
        let after = b"int a;\nint b; /* x\ry */\nint C;\nint d;\n";
        let c = change("x.c", before, after);
        let d = unified(std::slice::from_ref(&c));
        assert!(
            d.windows(4).any(|w| w == b"@@ -"),
            "{}",
            String::from_utf8_lossy(&d)
        );
        assert_eq!(git_apply(&c), c.after);
        let c = change(
            "x.c",
            before,
            b"int a;\nint b; /* x\rY */\nint c;\nint d;\n",
        );
        assert_eq!(git_apply(&c), c.after);
    }

    #[test]
    fn cr_only_line_ends_apply() {
        let c = change(
            "x.c",
            b"int a;\rint b;\rint c;\r",
            b"int a;\rint B;\rint c;\r",
        );
        let d = unified(std::slice::from_ref(&c));
        assert!(d.ends_with(b"\n\\ No newline at end of file\n"));
        assert_eq!(git_apply(&c), c.after);
    }

    #[test]
    fn missing_final_newline() {
        let c = change("x.c", b"a\nb", b"a\nB\n");
        let d = unified(std::slice::from_ref(&c));
        assert!(d.ends_with(b"-b\n\\ No newline at end of file\n+B\n"));
        assert_eq!(git_apply(&c), c.after);
        let c = change("x.c", b"a\nb\n", b"a\nb");
        assert_eq!(git_apply(&c), c.after);
    }

    #[test]
    fn odd_names_quoted_like_git() {
        assert_eq!(quote_path("a/", "drivers/x y.c"), "a/drivers/x y.c");
        assert_eq!(quote_path("a/", "x\ty.c"), r#""a/x\ty.c""#);
        assert_eq!(quote_path("b/", "q\"b\\s.c"), r#""b/q\"b\\s.c""#);
        assert_eq!(quote_path("a/", "n\nl\x01.c"), r#""a/n\nl\001.c""#);
        assert_eq!(quote_path("a/", "é.c"), r#""a/\303\251.c""#);
        for name in [
            "dir/tab\there.c",
            "sp ace.c",
            "sp\tace.c",
            "q\"uote.c",
            "back\\slash.c",
            "new\nline.c",
            "ünï.c",
        ] {
            let c = change(name, b"a\nb\n", b"a\nB\n");
            assert_eq!(git_apply(&c), c.after, "{name:?}");
        }
    }

    #[test]
    fn no_change_no_output() {
        assert!(unified(&[change("x.c", b"a\n", b"a\n")]).is_empty());
    }
}
