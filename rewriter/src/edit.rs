//! Edits are byte-range replacements in a file's original bytes. This
//! module applies them, refusing overlaps, and checks that a rewritten
//! file parses no worse than before.

use crate::parse::error_maps;

use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub replacement: Vec<u8>,
    /// Index of the site (in the run's site list) this edit serves.
    pub site: usize,
}

impl Edit {
    /// An edit replacing `range` of `original` with `new`, shrunk to the
    /// bytes that really change, so neighbouring edits rarely collide and
    /// untouched bytes are never rewritten.
    pub fn minimal(original: &[u8], range: Range<usize>, new: Vec<u8>, site: usize) -> Edit {
        let old = &original[range.clone()];
        let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
        let max_suffix = old.len().min(new.len()) - prefix;
        let suffix = old
            .iter()
            .rev()
            .zip(new.iter().rev())
            .take(max_suffix)
            .take_while(|(a, b)| a == b)
            .count();
        Edit {
            range: range.start + prefix..range.end - suffix,
            replacement: new[prefix..new.len() - suffix].to_vec(),
            site,
        }
    }
}

/// `edits` sorted, identical duplicates (the same prototype reached from
/// two sites) kept once.
fn distinct(mut edits: Vec<Edit>) -> Vec<Edit> {
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    edits.dedup_by(|b, a| a.range == b.range && a.replacement == b.replacement);
    edits
}

/// Two edits that touch the same bytes.
#[derive(Debug)]
pub struct Conflict {
    pub first: Edit,
    pub second: Edit,
}

/// Applies `edits` to `original`. Identical duplicate edits (the same
/// prototype reached from two sites) count once; overlapping different
/// edits are a conflict and nothing is applied.
pub fn apply(original: &[u8], edits: Vec<Edit>) -> Result<Vec<u8>, Box<Conflict>> {
    let edits = distinct(edits);
    for pair in edits.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let touching_inserts =
            a.range.is_empty() && b.range.is_empty() && a.range.start == b.range.start;
        if b.range.start < a.range.end || touching_inserts {
            return Err(Box::new(Conflict {
                first: a.clone(),
                second: b.clone(),
            }));
        }
    }
    let mut out = Vec::with_capacity(original.len());
    let mut at = 0;
    for e in &edits {
        out.extend_from_slice(&original[at..e.range.start]);
        out.extend_from_slice(&e.replacement);
        at = e.range.end;
    }
    out.extend_from_slice(&original[at..]);
    Ok(out)
}

/// Why a rewrite must not be kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// An edit (at `line` of the original) lies inside a region the parser
    /// could not read (`from`-`to`), or overlaps one that spans several
    /// tokens: whatever produced it, it was not reading code.
    InsideError { line: usize, from: usize, to: usize },
    /// The code it touches parses with more ERROR or MISSING nodes than
    /// before; `line` (in `after`) of the first new one.
    AddsError { line: usize },
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Refused::InsideError { line, from, to } => write!(
                f,
                "an edit at line {line} lies inside a region the parser could not read (lines {from}-{to})"
            ),
            Refused::AddsError { line } => {
                write!(f, "the rewrite would add a parse error near line {line}")
            }
        }
    }
}

/// Whether the rewrite of `before` into `after` by `edits` may be kept:
/// every edit must lie in code the parser read, and the code it touches
/// must parse no worse than before. This is where every edit of every
/// rule and transform passes, so no edit inside an unparsed region can
/// reach a file, whatever produced it.
///
/// Only the top-level items that contain an edit are parsed again, before
/// and after: a function or declaration parses the same on its own as in
/// its file, and re-parsing whole files would double the cost of a run.
pub fn check_rewrite(before: &[u8], after: &[u8], edits: &[Edit]) -> Result<(), Refused> {
    check_rewrite_within(
        before,
        &crate::mask::top_level_boundaries(before),
        after,
        edits,
    )
}

/// `check_rewrite` with the top-level item boundaries of `before` known
/// (`mask::top_level_boundaries`: the parse that found the edits has them).
pub fn check_rewrite_within(
    before: &[u8],
    bounds: &[usize],
    after: &[u8],
    edits: &[Edit],
) -> Result<(), Refused> {
    // Counted once, as `apply` does, or each chunk after a duplicate would
    // be looked for too far on in `after`.
    let edits = &distinct(edits.to_vec());
    let mut shift: isize = 0;
    let mut i = 0;
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| e.range.start);
    // The boundaries are sorted: each lookup is a binary search, so a file
    // with thousands of items and edits costs no more than linear time.
    let first_at_or_after = |at: usize| {
        let i = bounds.partition_point(|b| *b < at);
        bounds.get(i).copied().unwrap_or(before.len())
    };
    while i < sorted.len() {
        // The chunk around this edit, grown while further edits fall in it.
        let start = bounds
            .partition_point(|b| *b <= sorted[i].range.start)
            .checked_sub(1)
            .map_or(0, |k| bounds[k]);
        let mut end = first_at_or_after(sorted[i].range.end.max(start + 1));
        let after_start = (start as isize + shift) as usize;
        let first = i;
        while i < sorted.len() && sorted[i].range.start < end.max(start + 1) {
            end = end.max(first_at_or_after(sorted[i].range.end));
            shift += sorted[i].replacement.len() as isize - sorted[i].range.len() as isize;
            i += 1;
        }
        let after_end = (end as isize + shift) as usize;
        let (old, new) = error_maps(&before[start..end], &after[after_start..after_end]);
        let lines_before = |at: usize| before[..at].iter().filter(|b| **b == b'\n').count();
        for e in &sorted[first..i] {
            if let Some(err) = old.inside_or_across(e.range.start - start..e.range.end - start) {
                let skipped = lines_before(start);
                return Err(Refused::InsideError {
                    line: lines_before(e.range.start) + 1,
                    from: skipped + err.line,
                    to: skipped + err.end_line,
                });
            }
        }
        if new.count() > old.count() {
            let first_line = after[..after_start].iter().filter(|b| **b == b'\n').count();
            return Err(Refused::AddsError {
                line: first_line + new.errors.first().map_or(1, |e| e.line),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(r: Range<usize>, s: &str) -> Edit {
        Edit {
            range: r,
            replacement: s.as_bytes().to_vec(),
            site: 0,
        }
    }

    #[test]
    fn applies_in_order() {
        assert_eq!(
            apply(b"abcdef", vec![e(4..5, "E"), e(0..1, "A")]).unwrap(),
            b"AbcdEf"
        );
    }

    #[test]
    fn refuses_overlaps_but_merges_duplicates() {
        assert!(apply(b"abcdef", vec![e(0..3, "x"), e(2..4, "y")]).is_err());
        assert_eq!(
            apply(b"abcdef", vec![e(0..3, "x"), e(0..3, "x")]).unwrap(),
            b"xdef"
        );
    }

    #[test]
    fn minimal_edit_keeps_common_bytes() {
        let m = Edit::minimal(
            b"xx class_create(THIS_MODULE, n) yy",
            3..31,
            b"class_create(n)".to_vec(),
            0,
        );
        assert_eq!(m.range, 16..29);
        assert!(m.replacement.is_empty());
    }

    #[test]
    fn duplicate_edits_count_once_when_reparsing() {
        // Found by the fuzz target: two sites asking for the same edit
        // shifted the re-parsed chunk twice, past the end of the file.
        let before = b"int a;\nint f(void)\n{\n\treturn 1;\n}";
        let edit = e(29..30, "10");
        let after = apply(before, vec![edit.clone(), edit.clone()]).unwrap();
        assert_eq!(check_rewrite(before, &after, &[edit.clone(), edit]), Ok(()));
    }

    #[test]
    fn detects_new_parse_errors() {
        let before = b"int a;\nint f(void)\n{\n\treturn 1;\n}\nint c;\n";
        let bad = e(22..31, "return (;");
        let after = apply(before, vec![bad.clone()]).unwrap();
        assert_eq!(
            check_rewrite(before, &after, &[bad]),
            Err(Refused::AddsError { line: 4 })
        );
        let good = e(29..30, "0");
        let after = apply(before, vec![good.clone()]).unwrap();
        assert_eq!(check_rewrite(before, &after, &[good]), Ok(()));
    }

    #[test]
    fn refuses_edits_inside_unparsed_regions() {
        // Line 3 is a region tree-sitter cannot read (one ERROR of several
        // tokens); an edit inside it is refused even though the result
        // parses no worse, and one in the clean function next to it is not.
        let before =
            b"int a;\nint g(void)\n{\n\treturn ) 1 (;\n}\nint f(void)\n{\n\treturn 1;\n}\n";
        let text = std::str::from_utf8(before).unwrap();
        let inside = text.find(") 1 (").unwrap() + 2;
        let bad = e(inside..inside + 1, "2");
        let after = apply(before, vec![bad.clone()]).unwrap();
        assert_eq!(
            check_rewrite(before, &after, &[bad]),
            Err(Refused::InsideError {
                line: 4,
                from: 4,
                to: 4
            })
        );
        let clean = text.rfind('1').unwrap();
        let good = e(clean..clean + 1, "0");
        let after = apply(before, vec![good.clone()]).unwrap();
        assert_eq!(check_rewrite(before, &after, &[good]), Ok(()));
    }
}
