//! Filling a fix's template: captures copied from the original bytes (so
//! their line breaks and masked tokens survive), integer literals folded
//! (`$END - 1` with `$END` = `256` gives `255`), and a line that would
//! pass 100 columns wrapped the kernel's way, after a comma, continued
//! under the character after the open parenthesis.

use super::snippet::{render, Captures};
use crate::align::columns;
use anyhow::Result;

/// The column a line must not pass (checkpatch's limit).
pub const MAX_COLUMNS: usize = 100;

/// Renders `template`, folding `$NAME + N` / `$NAME - N` where the capture
/// is an integer literal and nothing binds tighter around the sum.
pub fn render_folded(template: &str, caps: &Captures, original: &[u8]) -> Result<Vec<u8>> {
    render(&fold(template, caps, original), caps, original)
}

fn fold(template: &str, caps: &Captures, original: &[u8]) -> String {
    let re = regex::Regex::new(r"\$([A-Z][A-Z0-9_]*)[ \t]*([-+])[ \t]*([0-9]+)\b")
        .expect("static regex");
    let mut out = String::with_capacity(template.len());
    let mut last = 0;
    for m in re.captures_iter(template) {
        let whole = m.get(0).expect("group 0");
        let value = caps
            .get(&m[1])
            .and_then(|r| std::str::from_utf8(&original[r.clone()]).ok())
            .and_then(int_literal);
        let (Some(a), Ok(b)) = (value, m[3].parse::<i128>()) else {
            continue;
        };
        if !loose_before(&template[..whole.start()]) || !loose_after(&template[whole.end()..]) {
            continue;
        }
        let folded = if &m[2] == "+" { a + b } else { a - b };
        out.push_str(&template[last..whole.start()]);
        out.push_str(&folded.to_string());
        last = whole.end();
    }
    out.push_str(&template[last..]);
    out
}

fn int_literal(text: &str) -> Option<i128> {
    let t = text.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => i128::from_str_radix(hex, 16).ok(),
        None if t.len() > 1 && t.starts_with('0') => None, // octal: leave it be
        None => t.parse().ok(),
    }
}

/// Nothing before the sum binds tighter than `+`/`-`.
fn loose_before(before: &str) -> bool {
    let t = before.trim_end();
    t.is_empty()
        || t.ends_with(['(', ',', '=', '[', '{', '?', ':', ';'])
        || t.ends_with("return") && !t.ends_with("_return")
}

/// Nothing after the sum binds tighter than `+`/`-`.
fn loose_after(after: &str) -> bool {
    let t = after.trim_start();
    t.is_empty() || t.starts_with([')', ',', ';', ']', '}', '?', ':'])
}

/// Wraps every line of `text` that passes the limit; `lead` is the width
/// already taken on the first line by what stands before `text`.
pub fn wrap_long_lines(text: &[u8], lead: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for (i, line) in text.split(|b| *b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        let prefix: &[u8] = if i == 0 { lead } else { b"" };
        let mut full = prefix.to_vec();
        full.extend_from_slice(line);
        let wrapped = wrap_line(&full);
        out.extend_from_slice(&wrapped[prefix.len()..]);
    }
    out
}

/// One line, wrapped after commas of the first parenthesis whose
/// arguments let it fit; unchanged when none does.
pub fn wrap_line(line: &[u8]) -> Vec<u8> {
    if columns(line) <= MAX_COLUMNS {
        return line.to_vec();
    }
    let opens: Vec<usize> = line
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'(')
        .map(|(i, _)| i)
        .collect();
    for open in opens {
        if let Some(w) = wrap_at(line, open) {
            return w;
        }
    }
    line.to_vec()
}

/// Wraps the arguments of the parenthesis at `open`, greedily, each
/// continuation aligned one column after it.
fn wrap_at(line: &[u8], open: usize) -> Option<Vec<u8>> {
    let commas = top_level_commas(line, open)?;
    if commas.is_empty() {
        return None;
    }
    let indent = continuation(columns(&line[..=open]));
    let mut out = Vec::new();
    let mut start = 0; // of the current output line, in `line`
    let mut cut = Vec::new(); // comma offsets where a break goes
    let width = |from: usize, to: usize, first: bool| {
        let seg = trim_start(&line[from..to], !first);
        if first {
            columns(seg)
        } else {
            columns(&indent) + columns(seg)
        }
    };
    for (i, c) in commas.iter().enumerate() {
        let next_end = commas.get(i + 1).map_or(line.len(), |n| n + 1);
        if width(start, next_end, start == 0) > MAX_COLUMNS {
            cut.push(*c);
            start = c + 1;
        }
    }
    if cut.is_empty() {
        return None;
    }
    let mut from = 0;
    for c in cut {
        out.extend_from_slice(trim_start(&line[from..=c], from != 0));
        out.push(b'\n');
        out.extend_from_slice(&indent);
        from = c + 1;
    }
    out.extend_from_slice(trim_start(&line[from..], true));
    let fits = out
        .split(|b| *b == b'\n')
        .all(|l| columns(l) <= MAX_COLUMNS);
    fits.then_some(out)
}

fn trim_start(s: &[u8], trim: bool) -> &[u8] {
    if !trim {
        return s;
    }
    let n = s.iter().take_while(|b| **b == b' ' || **b == b'\t').count();
    &s[n..]
}

/// Tabs, then spaces, reaching `col`.
fn continuation(col: usize) -> Vec<u8> {
    let mut out = vec![b'\t'; col / 8];
    out.resize(col / 8 + col % 8, b' ');
    out
}

/// The offsets of the commas directly inside the parenthesis at `open`
/// (not in nested brackets or strings); `None` when it does not close on
/// this line.
fn top_level_commas(line: &[u8], open: usize) -> Option<Vec<usize>> {
    let mut depth = 0usize;
    let mut out = Vec::new();
    let mut in_str: Option<u8> = None;
    let mut i = open;
    while i < line.len() {
        let b = line[i];
        match (in_str, b) {
            (Some(q), b'\\') if q != 0 => i += 1,
            (Some(q), _) if b == q => in_str = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => in_str = Some(b),
            (None, b'(' | b'[' | b'{') => depth += 1,
            (None, b')' | b']' | b'}') => {
                depth -= 1;
                if depth == 0 {
                    return Some(out);
                }
            }
            (None, b',') if depth == 1 => out.push(i),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(pairs: &[(&str, std::ops::Range<usize>)]) -> Captures {
        pairs
            .iter()
            .map(|(k, r)| ((*k).into(), r.clone()))
            .collect()
    }

    #[test]
    fn folds_only_where_nothing_binds_tighter() {
        let c = caps(&[("END", 0..3), ("N", 4..5)]);
        let src = b"256 n";
        assert_eq!(
            render_folded("f(0, $END - 1);", &c, src).unwrap(),
            b"f(0, 255);"
        );
        assert_eq!(
            render_folded("x = 2 * $END - 1;", &c, src).unwrap(),
            b"x = 2 * 256 - 1;"
        );
        assert_eq!(render_folded("a[$END + 1]", &c, src).unwrap(), b"a[257]");
        assert_eq!(render_folded("f($N - 1)", &c, src).unwrap(), b"f(n - 1)");
    }

    #[test]
    fn long_lines_wrap_after_a_comma_under_the_parenthesis() {
        let line = format!(
            "\tbase = devm_platform_ioremap_resource_byname(pdev, \"{}\", {});",
            "x".repeat(30),
            "y".repeat(20)
        );
        let out = String::from_utf8(wrap_line(line.as_bytes())).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(lines.iter().all(|l| columns(l.as_bytes()) <= MAX_COLUMNS));
        let open = columns(&lines[0].as_bytes()[..=lines[0].find('(').unwrap()]);
        let lead = lines[1].len() - lines[1].trim_start().len();
        assert_eq!(columns(&lines[1].as_bytes()[..lead]), open, "{out}");
        assert!(
            lines[1].starts_with("\t\t\t\t\t\t  "),
            "tabs then spaces: {out:?}"
        );
        let short = b"\tfoo(a, b);";
        assert_eq!(wrap_line(short), short);
    }
}
