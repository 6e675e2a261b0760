//! A small C lexer: just enough structure (identifiers, punctuation,
//! strings, comments, preprocessor lines) for the masking pass to find the
//! kernel shapes tree-sitter-c cannot read, without parsing.

/// What a token is; comments and white space are not tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokKind {
    Ident,
    Number,
    /// A string or character literal.
    Literal,
    /// One punctuation byte (multi-byte operators come as several tokens).
    Punct(u8),
    /// A whole preprocessor line, continuation lines included.
    Directive,
}

/// Offsets are kept in 32 bits: a file the parser takes is far smaller
/// (`tree::MAX_READ_BYTES`), and a token list half as wide is half the
/// memory to fill and filter for every candidate file.
#[derive(Debug, Clone, Copy)]
pub struct Tok {
    pub kind: TokKind,
    start: u32,
    end: u32,
}

impl Tok {
    fn new(kind: TokKind, start: usize, end: usize) -> Tok {
        let at = |off: usize| u32::try_from(off).expect("a source file is under 4 GiB");
        Tok {
            kind,
            start: at(start),
            end: at(end),
        }
    }

    pub fn start(&self) -> usize {
        self.start as usize
    }

    pub fn end(&self) -> usize {
        self.end as usize
    }

    pub fn text<'a>(&self, src: &'a [u8]) -> &'a [u8] {
        &src[self.start()..self.end()]
    }

    pub fn is(&self, src: &[u8], word: &str) -> bool {
        self.kind == TokKind::Ident && self.text(src) == word.as_bytes()
    }

    pub fn is_punct(&self, p: u8) -> bool {
        self.kind == TokKind::Punct(p)
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_byte(b: u8) -> bool {
    IDENT[b as usize]
}

/// The bytes of an identifier, as a table: the lexer's inner loop.
static IDENT: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    t
};

/// The end of a block comment, searched for with one searcher built once.
static COMMENT_END: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"*/"));

/// Splits `src` into tokens. Never fails: bytes it does not know become
/// punctuation, so the masking pass stays total on any input.
pub fn tokenize(src: &[u8]) -> Vec<Tok> {
    let mut toks = Vec::with_capacity(src.len() / 4);
    let mut i = 0;
    let mut at_line_start = true;
    while i < src.len() {
        let b = src[i];
        // One match over the byte that starts a token: its arms are C's
        // lexical classes, sharing the cursor and the line-start state.
        match b {
            b'\n' => {
                at_line_start = true;
                i += 1;
            }
            b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c' => i += 1,
            b'/' if src.get(i + 1) == Some(&b'/') => {
                i = memchr::memchr(b'\n', &src[i..]).map_or(src.len(), |p| i + p);
            }
            b'/' if src.get(i + 1) == Some(&b'*') => {
                i = COMMENT_END
                    .find(&src[i + 2..])
                    .map_or(src.len(), |p| i + 2 + p + 2);
            }
            b'#' if at_line_start => {
                let start = i;
                i = directive_end(src, i);
                toks.push(Tok::new(TokKind::Directive, start, i));
            }
            b'"' | b'\'' => {
                let start = i;
                i = literal_end(src, i);
                toks.push(Tok::new(TokKind::Literal, start, i));
                at_line_start = false;
            }
            _ if is_ident_start(b) || b.is_ascii_digit() => {
                let (kind, end) = word(src, i);
                toks.push(Tok::new(kind, i, end));
                i = end;
                at_line_start = false;
            }
            _ => {
                toks.push(Tok::new(TokKind::Punct(b), i, i + 1));
                i += 1;
                at_line_start = false;
            }
        }
    }
    toks
}

/// The kind and end of the identifier, keyword or number at `i`; an
/// encoding prefix glued to a literal (L"x", u8"x") is part of the literal.
fn word(src: &[u8], i: usize) -> (TokKind, usize) {
    let mut end = i;
    if src[i].is_ascii_digit() {
        while end < src.len() && (is_ident_byte(src[end]) || src[end] == b'.') {
            end += 1;
        }
        return (TokKind::Number, end);
    }
    while end < src.len() && is_ident_byte(src[end]) {
        end += 1;
    }
    if end < src.len() && (src[end] == b'"' || src[end] == b'\'') && end - i <= 2 {
        return (TokKind::Literal, literal_end(src, end));
    }
    (TokKind::Ident, end)
}

/// End of a preprocessor line starting at `i`: the newline that is not
/// escaped by a backslash and not inside a block comment.
fn directive_end(src: &[u8], mut i: usize) -> usize {
    while i < src.len() {
        match src[i] {
            b'\n' => return i,
            b'\\' if src.get(i + 1) == Some(&b'\n') => i += 2,
            b'\\' if src.get(i + 1) == Some(&b'\r') && src.get(i + 2) == Some(&b'\n') => i += 3,
            b'/' if src.get(i + 1) == Some(&b'*') => {
                i = memchr::memmem::find(&src[i + 2..], b"*/").map_or(src.len(), |p| i + 2 + p + 2);
            }
            b'/' if src.get(i + 1) == Some(&b'/') => {
                while i < src.len() && src[i] != b'\n' {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    i
}

/// End of a string or character literal starting at `i` (its quote). An
/// unterminated literal ends at the line end, as the compiler would complain.
fn literal_end(src: &[u8], mut i: usize) -> usize {
    let quote = src[i];
    i += 1;
    while i < src.len() {
        match src[i] {
            b'\\' => i += 2,
            b'\n' => return i,
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    src.len()
}

/// The name of a directive token: `ifdef` for `#  ifdef FOO`.
pub fn directive_name<'a>(src: &'a [u8], tok: &Tok) -> &'a [u8] {
    let text = tok.text(src);
    let mut i = 1;
    while i < text.len() && (text[i] == b' ' || text[i] == b'\t') {
        i += 1;
    }
    let start = i;
    while i < text.len() && is_ident_byte(text[i]) {
        i += 1;
    }
    &text[start..i]
}

/// Offsets where a top-level item ends: after a `;` or a function body's
/// `}` at brace depth 0, and around preprocessor lines at depth 0; `toks`
/// are the tokens of a text `len` bytes long.
pub fn top_level_boundaries(toks: &[Tok], len: usize) -> Vec<usize> {
    let mut out = vec![0];
    let mut depth = 0i32;
    let mut body_open: Vec<bool> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            TokKind::Punct(b'{') => {
                body_open.push(depth == 0 && i > 0 && toks[i - 1].is_punct(b')'));
                depth += 1;
            }
            TokKind::Punct(b'}') => {
                depth = (depth - 1).max(0); // unbalanced input: never below the top
                if body_open.pop().unwrap_or(false) && depth == 0 {
                    out.push(t.end());
                }
            }
            TokKind::Punct(b';') if depth == 0 => out.push(t.end()),
            TokKind::Directive if depth == 0 => {
                out.push(t.start());
                out.push(t.end());
            }
            _ => {}
        }
    }
    out.push(len);
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(TokKind, String)> {
        tokenize(src.as_bytes())
            .iter()
            .map(|t| {
                (
                    t.kind,
                    String::from_utf8_lossy(t.text(src.as_bytes())).into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn skips_comments_and_keeps_literals_whole() {
        let toks = kinds("a /* b */ \"c // d\" 'e' // f\n g");
        let texts: Vec<_> = toks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(texts, ["a", "\"c // d\"", "'e'", "g"]);
    }

    #[test]
    fn directives_span_continuation_lines() {
        let src = "#define X(a) \\\n\tfoo(a)\nint y;";
        let toks = tokenize(src.as_bytes());
        assert_eq!(toks[0].kind, TokKind::Directive);
        assert_eq!(toks[0].text(src.as_bytes()), b"#define X(a) \\\n\tfoo(a)");
        assert!(toks[1].is(src.as_bytes(), "int"));
        assert_eq!(directive_name(src.as_bytes(), &toks[0]), b"define");
    }

    #[test]
    fn hash_inside_a_line_is_punctuation() {
        let toks = kinds("x = a # b");
        assert_eq!(toks[3], (TokKind::Punct(b'#'), "#".into()));
    }
}
