//! Which line a hunk header names as its function context: git's
//! funcname rules (`xemit.c` `match_func_rec`), chosen per path by the
//! tree's `.gitattributes` (the kernel's says `*.c diff=cpp`).

use regex::bytes::Regex;
use std::io;
use std::path::Path;
use std::sync::OnceLock;

/// How hunk headers get their function context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FuncName {
    /// git's default: the last line before the hunk that starts with a
    /// letter, `_` or `$`.
    Default,
    /// git's builtin `cpp` driver (`*.c diff=cpp` in the kernel's
    /// `.gitattributes`): like the default, but skips goto labels.
    Cpp,
}

/// A tree's top-level `.gitattributes`, read for one question: which
/// funcname rule git would use for a path (only `diff=cpp` is recognised;
/// any other driver or none means the default rule).
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    /// (pattern, driver) in file order; `None` unsets the driver.
    rules: Vec<(String, Option<String>)>,
}

impl Attributes {
    /// Reads `tree/.gitattributes`; a tree without one has no rules (git
    /// then uses the default funcname rule everywhere).
    pub fn load(tree: &Path) -> io::Result<Attributes> {
        let path = tree.join(".gitattributes");
        match std::fs::read(&path) {
            Ok(t) => Ok(Attributes::parse(&String::from_utf8_lossy(&t))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Attributes::default()),
            Err(e) => Err(io::Error::new(
                e.kind(),
                format!("reading {}: {e}", path.display()),
            )),
        }
    }

    /// Parses the text of a `.gitattributes` file.
    pub fn parse(text: &str) -> Attributes {
        let mut rules = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut it = line.split_whitespace();
            let Some(pat) = it.next() else { continue };
            for attr in it {
                if let Some(d) = attr.strip_prefix("diff=") {
                    rules.push((pat.to_string(), Some(d.to_string())));
                } else if attr == "-diff" || attr == "!diff" || attr == "diff" {
                    rules.push((pat.to_string(), None));
                }
            }
        }
        Attributes { rules }
    }

    /// The rule for `path` (relative to the tree root): the last matching
    /// line wins, as in git.
    pub fn funcname(&self, path: &str) -> FuncName {
        let mut driver: Option<&str> = None;
        for (pat, d) in &self.rules {
            let target = if pat.contains('/') {
                path.trim_start_matches('/')
            } else {
                path.rsplit('/').next().unwrap_or(path)
            };
            if glob_match(pat.trim_start_matches('/').as_bytes(), target.as_bytes()) {
                driver = d.as_deref();
            }
        }
        match driver {
            Some("cpp") => FuncName::Cpp,
            _ => FuncName::Default,
        }
    }
}

/// Minimal fnmatch: `*` (not crossing `/`), `?`, literal.
fn glob_match(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (None, Some(_)) => false,
        (Some(b'*'), _) => {
            glob_match(&p[1..], s) || (!s.is_empty() && s[0] != b'/' && glob_match(p, &s[1..]))
        }
        (Some(b'?'), Some(c)) if *c != b'/' => glob_match(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => glob_match(&p[1..], &s[1..]),
        _ => false,
    }
}

/// git's builtin `cpp` funcname patterns: a line matching the first (a
/// goto label) is never a function line; otherwise the second picks it.
fn cpp_regexes() -> &'static (Regex, Regex) {
    static R: OnceLock<(Regex, Regex)> = OnceLock::new();
    R.get_or_init(|| {
        (
            Regex::new(r"(?-u)^[ \t]*[A-Za-z_][A-Za-z_0-9]*:[[:space:]]*($|/[/*])")
                .expect("a valid pattern"),
            Regex::new(r"(?-u)^((::[[:space:]]*)?[A-Za-z_].*)$").expect("a valid pattern"),
        )
    })
}

/// git keeps at most this many bytes of the function line.
const FUNC_LINE_MAX: usize = 80;

/// The function context `line` (with its newline) gives under `mode`, if
/// it is a function line at all.
pub(super) fn func_of(line: &[u8], mode: FuncName) -> Option<Vec<u8>> {
    let found = match mode {
        FuncName::Default => {
            let c = *line.first()?;
            if !(c.is_ascii_alphabetic() || c == b'_' || c == b'$') {
                return None;
            }
            line
        }
        FuncName::Cpp => {
            let l = line.strip_suffix(b"\n").unwrap_or(line);
            let l = if line.ends_with(b"\n") {
                l.strip_suffix(b"\r").unwrap_or(l)
            } else {
                l
            };
            let (label, func) = cpp_regexes();
            if label.is_match(l) {
                return None;
            }
            let m = func.captures(l)?.get(1)?;
            &l[m.start()..m.end()]
        }
    };
    let mut res = &found[..found.len().min(FUNC_LINE_MAX)];
    while let [rest @ .., last] = res {
        if !is_space(*last) {
            break;
        }
        res = rest;
    }
    Some(res.to_vec())
}

/// C's `isspace` in the C locale, as git's xdiff uses it.
pub(super) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpp_skips_labels() {
        assert_eq!(func_of(b"out:\n", FuncName::Cpp), None);
        assert_eq!(
            func_of(b"out:\n", FuncName::Default),
            Some(b"out:".to_vec())
        );
        assert_eq!(
            func_of(b"static int x(void)\n", FuncName::Cpp),
            Some(b"static int x(void)".to_vec())
        );
    }

    #[test]
    fn kernel_attributes_pick_cpp_for_c_files_only() {
        let a = Attributes::parse("*.c   diff=cpp\n*.h   diff=cpp\n# x\n/Documentation/* -diff\n");
        assert_eq!(a.funcname("drivers/gpio/gpio-x.c"), FuncName::Cpp);
        assert_eq!(a.funcname("include/linux/x.h"), FuncName::Cpp);
        assert_eq!(a.funcname("Makefile"), FuncName::Default);
        assert_eq!(a.funcname("Documentation/x.c"), FuncName::Default);
    }

    #[test]
    fn a_missing_gitattributes_means_the_default_rule() {
        let dir = tempfile::tempdir().unwrap();
        let a = Attributes::load(dir.path()).unwrap();
        assert_eq!(a.funcname("x.c"), FuncName::Default);
    }

    #[test]
    fn an_unreadable_gitattributes_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".gitattributes")).unwrap();
        let e = Attributes::load(dir.path()).unwrap_err();
        assert!(e.to_string().contains(".gitattributes"), "{e}");
    }
}
