//! Unified diffs of file changes, byte-exact (non-UTF-8 bytes and CRLF
//! lines pass through unchanged), with `a/` and `b/` paths relative to the
//! tree root so that `git apply` and `patch -p1` accept them.

use crate::model::FileChange;
use similar::TextDiff;
use std::io::{self, Write};

/// Writes the unified diff of one change, three lines of context.
pub fn write_unified(change: &FileChange, w: &mut impl Write) -> io::Result<()> {
    let diff = TextDiff::configure()
        .algorithm(similar::Algorithm::Myers)
        .diff_lines(change.before.as_slice(), change.after.as_slice());
    let udiff = diff.unified_diff();
    let mut hunks = udiff.iter_hunks().peekable();
    if hunks.peek().is_none() {
        return Ok(());
    }
    writeln!(w, "diff -u a/{0} b/{0}", change.file)?;
    writeln!(w, "--- a/{}", change.file)?;
    writeln!(w, "+++ b/{}", change.file)?;
    for hunk in hunks {
        hunk.to_writer(&mut *w)?;
    }
    Ok(())
}

/// The whole diff of `changes`, in file order (each file's diff is
/// computed on its own thread: on a treewide run this is no small part).
pub fn unified(changes: &[FileChange]) -> Vec<u8> {
    use rayon::prelude::*;
    let parts: Vec<Vec<u8>> = changes
        .par_iter()
        .map(|c| {
            let mut out = Vec::new();
            write_unified(c, &mut out).expect("writing to a Vec cannot fail");
            out
        })
        .collect();
    parts.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_crlf_and_raw_bytes() {
        let change = FileChange {
            file: "drivers/x.c".into(),
            before: b"a\r\nb\xff\r\nc\r\n".to_vec(),
            after: b"a\r\nB\xff\r\nc\r\n".to_vec(),
            groups: vec![],
        };
        let d = unified(&[change]);
        assert!(d.starts_with(b"diff -u a/drivers/x.c b/drivers/x.c\n--- a/drivers/x.c\n+++ b/drivers/x.c\n@@ -1,3 +1,3 @@\n"));
        assert!(d.windows(6).any(|w| w == b"-b\xff\r\n+"));
    }

    #[test]
    fn no_change_no_output() {
        let change = FileChange {
            file: "x.c".into(),
            before: b"a\n".to_vec(),
            after: b"a\n".to_vec(),
            groups: vec![],
        };
        assert!(unified(&[change]).is_empty());
    }
}
