//! Mutations of a seed file, as values proptest can generate and shrink:
//! a failing case shrinks to fewer and simpler mutations of its seed.

use proptest::prelude::*;

/// What C inputs get inserted: the bytes the lexer, the masking pass and
/// tree-sitter treat specially, plus the kernel shapes the patterns look for.
pub const C_TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"(",
    b")",
    b";",
    b",",
    b"#",
    b"\\",
    b"\\\n",
    b"\"",
    b"'",
    b"/*",
    b"*/",
    b"//",
    b"\r",
    b"\r\n",
    b"\n",
    b"\0",
    b"\xff",
    b"\xc3",
    b"\xe2\x80",
    b"\xc3\xa9",
    b"\t",
    b"\n#if 0\n",
    b"\n#ifdef CONFIG_PM\n",
    b"\n#else\n",
    b"\n#elif defined(X)\n",
    b"\n#endif\n",
    b"\n#define X(a) \\\n\tfoo(a)\n",
    b" __iomem ",
    b" __init ",
    b" __aligned(8) ",
    b" __printf(1, 2) ",
    b"static ",
    b"struct ",
    b"unsigned int",
    b"KERN_ERR DRV_NAME \"x\\n\"",
    b"list_for_each_entry(p, &h, node) {",
    b"static SIMPLE_DEV_PM_OPS(pm, a, b);",
    b"return 0;",
    b"return -EBUSY;",
    b"return ret;",
    b"goto out;",
    b"out:",
    b" = {",
    b"};",
    b".remove = foo_remove,",
    b"static int foo_remove(struct platform_device *pdev)\n{\n",
    b"class_create(THIS_MODULE, \"x\")",
    b"del_timer_sync(&t);",
    b"timer_shutdown_sync(&t);",
    b"for_each_child_of_node(np, child) {",
    b"of_node_put(child);",
    b"device_remove_file(dev, &attr);",
    b"sysfs_remove_file_self(",
    b"$X",
];

/// One edit of a file. Positions are taken modulo the file's size at the
/// time the mutation applies, so any value is valid for any seed.
#[derive(Debug, Clone)]
pub enum Mutation {
    FlipBit {
        at: usize,
        bit: u8,
    },
    SetByte {
        at: usize,
        byte: u8,
    },
    Insert {
        at: usize,
        token: usize,
    },
    /// Inserts a token at the end of a line (inside a YAML value, after a
    /// C statement), where it keeps more of the structure than anywhere.
    AppendToLine {
        line: usize,
        token: usize,
    },
    DeleteBytes {
        at: usize,
        len: usize,
    },
    /// Joins a line with the next one (its newline removed).
    JoinLine {
        line: usize,
    },
    /// Ends a line with a backslash: a line splice for the preprocessor.
    SpliceLine {
        line: usize,
    },
    DuplicateLine {
        line: usize,
    },
    DeleteLine {
        line: usize,
    },
    MoveLine {
        from: usize,
        to: usize,
    },
    Truncate {
        at: usize,
    },
}

/// Mutations drawn from `tokens` (an index into it is kept).
pub fn mutation(tokens: usize) -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    prop_oneof![
        1 => (at, 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        1 => (at, any::<u8>()).prop_map(|(at, byte)| Mutation::SetByte { at, byte }),
        4 => (at, 0..tokens).prop_map(|(at, token)| Mutation::Insert { at, token }),
        2 => (at, 0..tokens).prop_map(|(line, token)| Mutation::AppendToLine { line, token }),
        1 => (at, 1usize..64).prop_map(|(at, len)| Mutation::DeleteBytes { at, len }),
        1 => at.prop_map(|line| Mutation::JoinLine { line }),
        1 => at.prop_map(|line| Mutation::SpliceLine { line }),
        2 => at.prop_map(|line| Mutation::DuplicateLine { line }),
        1 => at.prop_map(|line| Mutation::DeleteLine { line }),
        1 => (at, at).prop_map(|(from, to)| Mutation::MoveLine { from, to }),
        1 => at.prop_map(|at| Mutation::Truncate { at }),
    ]
}

/// `seed` with `mutations` applied in order.
pub fn apply(seed: &[u8], mutations: &[Mutation], tokens: &[&[u8]]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for m in mutations {
        apply_one(&mut b, m, tokens);
    }
    b
}

fn apply_one(b: &mut Vec<u8>, m: &Mutation, tokens: &[&[u8]]) {
    let pos = |at: usize, len: usize| at % (len + 1);
    match *m {
        Mutation::FlipBit { at, bit } if !b.is_empty() => {
            let i = at % b.len();
            b[i] ^= 1 << bit;
        }
        Mutation::SetByte { at, byte } if !b.is_empty() => {
            let i = at % b.len();
            b[i] = byte;
        }
        Mutation::Insert { at, token } => {
            let i = pos(at, b.len());
            b.splice(i..i, tokens[token % tokens.len()].iter().copied());
        }
        Mutation::AppendToLine { line, token } => {
            let end = nth_newline(b, line).unwrap_or(b.len());
            b.splice(end..end, tokens[token % tokens.len()].iter().copied());
        }
        Mutation::DeleteBytes { at, len } => {
            let i = pos(at, b.len());
            b.drain(i..(i + len).min(b.len()));
        }
        Mutation::JoinLine { line } => {
            if let Some(nl) = nth_newline(b, line) {
                b.remove(nl);
            }
        }
        Mutation::SpliceLine { line } => {
            if let Some(nl) = nth_newline(b, line) {
                b.insert(nl, b'\\');
            }
        }
        Mutation::DuplicateLine { line } => {
            let r = line_range(b, line);
            let copy = b[r.clone()].to_vec();
            b.splice(r.start..r.start, copy);
        }
        Mutation::DeleteLine { line } => {
            let r = line_range(b, line);
            b.drain(r);
        }
        Mutation::MoveLine { from, to } => {
            let r = line_range(b, from);
            let moved: Vec<u8> = b.drain(r).collect();
            let dest = line_range(b, to).start;
            b.splice(dest..dest, moved);
        }
        Mutation::Truncate { at } => {
            let i = pos(at, b.len());
            b.truncate(i);
        }
        Mutation::FlipBit { .. } | Mutation::SetByte { .. } => {}
    }
}

fn line_starts(b: &[u8]) -> Vec<usize> {
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', b).map(|i| i + 1))
        .filter(|s| *s < b.len())
        .collect()
}

/// The bytes of line `n` (modulo the line count), its newline included.
fn line_range(b: &[u8], n: usize) -> std::ops::Range<usize> {
    let starts = line_starts(b);
    if starts.is_empty() {
        return 0..0;
    }
    let k = n % starts.len();
    starts[k]..starts.get(k + 1).copied().unwrap_or(b.len())
}

fn nth_newline(b: &[u8], n: usize) -> Option<usize> {
    let count = memchr::memchr_iter(b'\n', b).count();
    (count > 0).then(|| memchr::memchr_iter(b'\n', b).nth(n % count))?
}

/// What YAML inputs get inserted: its indicators and the shapes of a
/// pattern file (keys, verdicts, node kinds, snippets, templates).
pub const YAML_TOKENS: &[&[u8]] = &[
    b": ",
    b"- ",
    b"\n- ",
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b"&a ",
    b"*a",
    b"<<: *a\n",
    b"!!str ",
    b"!!binary ",
    b"!tag ",
    b"'",
    b"\"",
    b"|\n",
    b">-\n",
    b"#",
    b"\t",
    b"  ",
    b"\n",
    b"\r\n",
    b"\r",
    b"---\n",
    b"...\n",
    b"\xef\xbb\xbf",
    b"\xc3\xa9",
    b"\xff",
    b"\0",
    b"~",
    b"null",
    b"2",
    b"-1",
    b"99999999999999999999",
    b"\n  - id: x\n    kind: call_expression\n    verdict: manual\n    reason: r\n",
    b"\n  - id: y\n    pattern: foo($X)\n    verdict: auto\n    rewrite: bar($X)\n",
    b"\nrules: []\n",
    b"\ntransform: nope\n",
    b"\nrequires:\n  file: include/linux/x.h\n  regex: \"(\"\n  missing: m\n",
    b"\n    where:\n      X: { regex: \"[\" }\n",
    b"\n    inside: {}",
    b"\n    not-has: { pattern: \"f($Y\" }",
    b"\n    has: { kind: nope }",
    b"\n    context: field",
    b"\n    where:\n      Z: { kind: identifier }",
    b"\n    reason: uses $NOPE",
    b"auto",
    b"needs-prep",
    b"manual",
    b"converted",
    b"call_expression",
    b"identifier",
    b"$X",
    b"$$$ARGS",
    b"$",
    b"$$",
    b"$_",
    b"...",
    b"(",
    b")",
    b";",
    b"\\",
    b"/*",
    b"{ $$$BODY }",
];
