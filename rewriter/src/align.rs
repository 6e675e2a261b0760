//! Keeping tab-aligned columns when a word before them changes length:
//! `.remove\t\t= foo,` becomes `.remove_new\t= foo,`, the `=` staying in
//! its column (tab width 8), as the kernel's initializers are written.

/// Display width of `text` starting at column 0, tabs to the next multiple of 8.
pub fn columns(text: &[u8]) -> usize {
    text.iter()
        .fold(0, |c, b| if *b == b'\t' { (c / 8 + 1) * 8 } else { c + 1 })
}

/// The white space to put between `prefix + word` (from the start of the
/// line) and the aligned token, which stood at `target` columns after the
/// old gap `old_gap`. A gap of one space was not there to align anything
/// and stays as it is; a word that reaches the column gets one separator
/// of the kind the gap used.
pub fn gap_to_column(prefix_and_word: &[u8], old_gap: &[u8], target: usize) -> Vec<u8> {
    let uses_tabs = old_gap.contains(&b'\t');
    if !uses_tabs && old_gap.len() <= 1 {
        return old_gap.to_vec();
    }
    let mut c = columns(prefix_and_word);
    if c >= target {
        return vec![if uses_tabs { b'\t' } else { b' ' }];
    }
    let mut out = Vec::new();
    if uses_tabs {
        while (c / 8 + 1) * 8 <= target {
            out.push(b'\t');
            c = (c / 8 + 1) * 8;
        }
    }
    out.resize(out.len() + (target - c), b' ');
    out
}

/// Re-aligns one rewritten line: `old_line` had `=` (the first one) at
/// some column; in `new_line` the text before the `=` changed. Returns
/// `new_line` with the gap before its `=` recomputed.
pub fn realign_line(old_line: &[u8], new_line: &[u8]) -> Vec<u8> {
    let (Some(old_eq), Some(new_eq)) = (eq_position(old_line), eq_position(new_line)) else {
        return new_line.to_vec();
    };
    let old_word_end = old_line[..old_eq]
        .iter()
        .rposition(|b| *b != b' ' && *b != b'\t')
        .map_or(0, |p| p + 1);
    let new_word_end = new_line[..new_eq]
        .iter()
        .rposition(|b| *b != b' ' && *b != b'\t')
        .map_or(0, |p| p + 1);
    let target = columns(&old_line[..old_eq]);
    let gap = gap_to_column(
        &new_line[..new_word_end],
        &old_line[old_word_end..old_eq],
        target,
    );
    let mut out = new_line[..new_word_end].to_vec();
    out.extend_from_slice(&gap);
    out.extend_from_slice(&new_line[new_eq..]);
    out
}

/// The first `=` that is an assignment (not `==`, `<=`, ...).
fn eq_position(line: &[u8]) -> Option<usize> {
    (0..line.len()).find(|&i| {
        line[i] == b'='
            && line.get(i + 1) != Some(&b'=')
            && (i == 0 || !b"=!<>+-*/%&|^".contains(&line[i - 1]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_column_of_the_equals_sign() {
        assert_eq!(
            realign_line(b"\t.remove\t\t= foo,", b"\t.remove_new\t\t= foo,"),
            b"\t.remove_new\t= foo,"
        );
        assert_eq!(
            realign_line(b"\t.remove_new\t= foo,", b"\t.remove\t= foo,"),
            b"\t.remove\t\t= foo,"
        );
        assert_eq!(
            realign_line(b"\t.remove = foo,", b"\t.remove_new = foo,"),
            b"\t.remove_new = foo,"
        );
        assert_eq!(
            realign_line(b"\t.remove     = foo,", b"\t.remove_new     = foo,"),
            b"\t.remove_new = foo,"
        );
    }
}
