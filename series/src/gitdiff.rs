//! The parts of `git format-patch` output around the diffs: the
//! `diff --git` file header with blob hashes, the `--stat` block, and git's
//! text wrapping. The hunks themselves come from the diff stage
//! ([`rewriter::diff`]), the same engine `unplug rewrite` prints with.

use rewriter::diff::{quote_path as quoted, unified_hunks, FuncName, Hunks};

/// `git hash-object` of a blob.
pub fn blob_hash(content: &[u8]) -> String {
    let mut h = sha1_smol::Sha1::new();
    h.update(format!("blob {}\0", content.len()).as_bytes());
    h.update(content);
    h.digest().to_string()
}

/// Counts for the diffstat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileStat {
    pub path: String,
    pub added: usize,
    pub deleted: usize,
}

/// A complete `diff --git` section for one modified (or added/removed) file.
pub fn file_diff(
    path: &str,
    old: Option<&[u8]>,
    new: Option<&[u8]>,
    mode: u32,
    abbrev: usize,
    funcname: FuncName,
) -> (Vec<u8>, FileStat) {
    let oldc = old.unwrap_or(b"");
    let newc = new.unwrap_or(b"");
    let zero = "0".repeat(abbrev);
    let oh = if old.is_some() {
        blob_hash(oldc)[..abbrev].to_string()
    } else {
        zero.clone()
    };
    let nh = if new.is_some() {
        blob_hash(newc)[..abbrev].to_string()
    } else {
        zero
    };
    let (qa, qb) = (quoted("a/", path), quoted("b/", path));
    let mut out = format!("diff --git {qa} {qb}\n");
    match (old, new) {
        (None, Some(_)) => out += &format!("new file mode {mode:06o}\nindex {oh}..{nh}\n"),
        (Some(_), None) => out += &format!("deleted file mode {mode:06o}\nindex {oh}..{nh}\n"),
        _ => out += &format!("index {oh}..{nh} {mode:06o}\n"),
    }
    let Hunks {
        text: hunks,
        added,
        deleted,
    } = unified_hunks(oldc, newc, 3, funcname);
    let mut out = out.into_bytes();
    if !hunks.is_empty() {
        // git ends a name holding a space with a tab (for GNU patch)
        let tab = if path.contains(' ') { "\t" } else { "" };
        let a = if old.is_some() {
            qa + tab
        } else {
            "/dev/null".into()
        };
        let b = if new.is_some() {
            qb + tab
        } else {
            "/dev/null".into()
        };
        out.extend_from_slice(format!("--- {a}\n+++ {b}\n").as_bytes());
        out.extend_from_slice(&hunks);
    }
    (
        out,
        FileStat {
            path: path.to_string(),
            added,
            deleted,
        },
    )
}

fn decimal_width(n: usize) -> usize {
    n.to_string().len()
}

fn scale_linear(it: usize, width: usize, max_change: usize) -> usize {
    if it == 0 {
        return 0;
    }
    1 + (it * (width - 1) / max_change)
}

/// git's `--stat` block as format-patch prints it (width 72), followed by
/// the summary line.  `files` must be in output (path) order.
pub fn diffstat(files: &[FileStat], width: usize) -> String {
    let shown: Vec<&FileStat> = files.iter().filter(|f| f.added + f.deleted > 0).collect();
    let max_len = shown
        .iter()
        .map(|f| quoted("", &f.path).chars().count())
        .max()
        .unwrap_or(0);
    let max_change = shown.iter().map(|f| f.added + f.deleted).max().unwrap_or(0);
    let number_width = decimal_width(max_change);
    let mut width = width;
    if width < 16 + 6 + number_width {
        width = 16 + 6 + number_width;
    }
    let mut graph_width = max_change;
    let mut name_width = max_len;
    if name_width + number_width + 6 + graph_width > width {
        let lim = (width * 3 / 8).saturating_sub(number_width + 6);
        if graph_width > lim {
            graph_width = lim.max(6);
        }
        if name_width > width - number_width - 6 - graph_width {
            name_width = width - number_width - 6 - graph_width;
        } else {
            graph_width = width - number_width - 6 - name_width;
        }
    }
    let mut out = String::new();
    let (mut adds, mut dels) = (0, 0);
    for f in &shown {
        let mut prefix = "";
        let mut len = name_width;
        let chars: Vec<char> = quoted("", &f.path).chars().collect();
        let mut start = 0;
        if name_width < chars.len() {
            prefix = "...";
            len = len.saturating_sub(3);
            while chars.len() - start > len {
                start += 1;
            }
            if let Some(p) = chars[start..].iter().position(|&c| c == '/') {
                start += p;
            }
        }
        let name: String = chars[start..].iter().collect();
        let padding = len.saturating_sub(name.chars().count());
        let (mut add, mut del) = (f.added, f.deleted);
        if graph_width <= max_change {
            let mut total = scale_linear(add + del, graph_width, max_change);
            if total < 2 && add > 0 && del > 0 {
                total = 2;
            }
            if add < del {
                add = scale_linear(add, graph_width, max_change);
                del = total - add;
            } else {
                del = scale_linear(del, graph_width, max_change);
                add = total - del;
            }
        }
        let n = f.added + f.deleted;
        out += &format!(
            " {prefix}{name}{:padding$} | {n:>number_width$}{}{}{}\n",
            "",
            if n > 0 { " " } else { "" },
            "+".repeat(add),
            "-".repeat(del),
        );
        adds += f.added;
        dels += f.deleted;
    }
    out += &stat_summary(shown.len(), adds, dels);
    out.push('\n');
    out
}

fn stat_summary(files: usize, ins: usize, del: usize) -> String {
    if files == 0 {
        return " 0 files changed".into();
    }
    let mut s = if files == 1 {
        " 1 file changed".to_string()
    } else {
        format!(" {files} files changed")
    };
    if ins > 0 || del == 0 {
        s += &if ins == 1 {
            ", 1 insertion(+)".to_string()
        } else {
            format!(", {ins} insertions(+)")
        };
    }
    if del > 0 || ins == 0 {
        s += &if del == 1 {
            ", 1 deletion(-)".to_string()
        } else {
            format!(", {del} deletions(-)")
        };
    }
    s
}

/// git's `strbuf_add_wrapped_text()` for single-paragraph text without
/// newlines: words are kept whole; a line is at most `width` columns; the
/// first line starts at column `indent1` (negative: that many columns are
/// already used), following lines are indented by `indent2` spaces.
pub fn git_wrap(text: &str, indent1: isize, indent2: usize, width: usize) -> String {
    let mut out = String::new();
    let (mut col, first_indent) = if indent1 < 0 {
        ((-indent1) as usize, 0)
    } else {
        (indent1 as usize, indent1 as usize)
    };
    let mut line_has_word = false;
    out.push_str(&" ".repeat(first_indent));
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let wl = word.chars().count();
        if line_has_word && col + 1 + wl > width {
            out.push('\n');
            out.push_str(&" ".repeat(indent2));
            col = indent2;
            line_has_word = false;
        }
        if line_has_word {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += wl;
        line_has_word = true;
    }
    out
}

/// Wraps a commit message body at `width` columns, paragraph by paragraph.
/// Lines that start with whitespace, look like list items or trailers, or
/// are already short are kept as they are.
pub fn wrap_body(text: &str, width: usize) -> String {
    let mut out = Vec::new();
    for para in text.trim_matches('\n').split("\n\n") {
        let lines: Vec<&str> = para.lines().collect();
        let verbatim = lines.iter().any(|l| {
            l.starts_with(' ') || l.starts_with('\t') || l.starts_with("- ") || l.starts_with("* ")
        });
        if verbatim {
            out.push(para.trim_end().to_string());
            continue;
        }
        let joined = lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
        let mut cur = String::new();
        let mut wrapped = Vec::new();
        for w in joined.split_whitespace() {
            if !cur.is_empty() && cur.chars().count() + 1 + w.chars().count() > width {
                wrapped.push(std::mem::take(&mut cur));
            }
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(w);
        }
        if !cur.is_empty() {
            wrapped.push(cur);
        }
        out.push(wrapped.join("\n"));
    }
    out.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_empty_blob() {
        assert_eq!(blob_hash(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    }

    #[test]
    fn shortlog_wrap_like_git() {
        let s = git_wrap(
            "p10: subject number 10 with some words to make it a long shortlog entry xx",
            2,
            4,
            72,
        );
        assert_eq!(
            s,
            "  p10: subject number 10 with some words to make it a long shortlog\n    entry xx"
        );
        let s = git_wrap(
            "gpio: mvebu: Convert to platform remove callback returning void, and a very long subject that goes on",
            -24,
            1,
            78,
        );
        assert_eq!(s, "gpio: mvebu: Convert to platform remove callback\n returning void, and a very long subject that goes on");
    }

    #[test]
    fn stat_like_git() {
        let files = vec![
            FileStat {
                path: "a.c".into(),
                added: 1,
                deleted: 0,
            },
            FileStat {
                path: "big.txt".into(),
                added: 111,
                deleted: 111,
            },
            FileStat {
                path:
                    "drivers/very/long/path/name/that/goes/on/and/on/forever/some-long-file-name.c"
                        .into(),
                added: 1,
                deleted: 0,
            },
        ];
        assert_eq!(
            diffstat(&files, 72),
            " a.c                                           |   1 +\n big.txt                                       | 222 +++++++++---------\n .../on/and/on/forever/some-long-file-name.c   |   1 +\n 3 files changed, 113 insertions(+), 111 deletions(-)\n"
        );
    }
}
