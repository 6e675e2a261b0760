//! MAINTAINERS parsing and routing with `scripts/get_maintainer.pl` semantics.
//!
//! This mirrors what `get_maintainer.pl --no-git --no-rolestats --no-roles
//! <patch>` does (Linux 6.x):
//!
//! * `F:`/`X:` values are turned into a Perl regex the way the script does it
//!   (`.` -> `\.`, `*` -> `.*`, `?` -> `.`; a value naming a directory of the
//!   tree gets a trailing `/`).  A pattern ending in `/` matches everything
//!   below it; any other pattern matches from the start of the path and only
//!   if the path has as many `/` as the pattern (so `*` never crosses `/`).
//! * `X:` exclusions are tested first and exclude the whole section.
//! * `N:` regexes are matched against the path, `K:` regexes against the
//!   patch text (every line before the first `---`/`+++` file line, then only
//!   `+`/`-` lines), both in Perl `/x` mode.
//! * Every matching section contributes addresses (not only the most
//!   specific one): `M:` and `R:` people, then `L:` lists (subscribers-only
//!   lists are skipped, moderated ones kept); addresses are de-duplicated by
//!   name and by address, mapped through the tree's `.mailmap`, and the chief
//!   penguin (Linus, from `THE REST`) is dropped while `THE REST`'s list
//!   (LKML) stays.
//! * The *owning* section of a file (used to group patches into series) is the
//!   matching section with the deepest pattern (`F:` depth as computed by the
//!   script; `N:` matches count as depth 0, `THE REST` as -1).
//!
//! Not mirrored: `--git-fallback` (needs the tree's git history; it only
//! adds people for files that have no maintained, exact section) and
//! `Fixes:` signers.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use anyhow::{bail, Context, Result};
use regex::bytes::{Regex, RegexBuilder};
use serde::Serialize;

/// Role of an address in a patch's routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// `M:` entry.  Goes to `To:`.
    Maintainer,
    /// `R:` entry.  Goes to `Cc:`.
    Reviewer,
    /// `L:` entry.  Goes to `Cc:`.
    List,
}

#[derive(Debug, Clone)]
enum FilePat {
    /// The converted value is a plain path prefix.
    Literal {
        prefix: String,
        dir: bool,
        slashes: usize,
    },
    Regex {
        re: Regex,
        dir: bool,
        slashes: usize,
    },
}

impl FilePat {
    fn new(raw: &str, tree: &Path) -> Option<(FilePat, String)> {
        // Same conversion as read_maintainer_file().
        let mut v = raw.replace('.', "\\.");
        v = v.replace('*', ".*");
        v = v.replace('?', ".");
        if !v.ends_with('/') && !v.is_empty() && tree.join(&v).is_dir() {
            v.push('/');
        }
        let dir = v.ends_with('/');
        let slashes = v.matches('/').count();
        let meta = |c: char| "[](){}+^$|*?.\\".contains(c);
        // Is it a literal once `\.` is unescaped?
        let unescaped = v.replace("\\.", "\u{0}");
        let pat = if !unescaped.chars().any(meta) {
            FilePat::Literal {
                prefix: unescaped.replace('\u{0}', "."),
                dir,
                slashes,
            }
        } else {
            let re = RegexBuilder::new(&format!("^(?:{v})"))
                .unicode(false)
                .build()
                .or_else(|_| RegexBuilder::new(&format!("^(?:{v})")).build())
                .ok()?;
            FilePat::Regex { re, dir, slashes }
        };
        Some((pat, v))
    }

    /// `file_match_pattern()`.
    fn matches(&self, file: &str) -> bool {
        let (hit, dir, slashes) = match self {
            FilePat::Literal {
                prefix,
                dir,
                slashes,
            } => (file.starts_with(prefix.as_str()), *dir, *slashes),
            FilePat::Regex { re, dir, slashes } => (re.is_match(file.as_bytes()), *dir, *slashes),
        };
        if !hit {
            return false;
        }
        dir || file.matches('/').count() == slashes
    }
}

#[derive(Debug, Clone)]
struct FileEntry {
    pat: FilePat,
    /// The converted value (as the script stores it), for depth computation.
    value: String,
}

/// One MAINTAINERS section.
#[derive(Debug, Clone)]
pub struct Section {
    /// Index in file order.
    pub index: usize,
    /// The header line, e.g. `GPIO SUBSYSTEM`.
    pub name: String,
    /// `M:` values, as written.
    pub maintainers: Vec<String>,
    /// `R:` values.
    pub reviewers: Vec<String>,
    /// `L:` values (address and optional remark such as `(moderated ...)`).
    pub lists: Vec<String>,
    /// `S:` value.
    pub status: Option<String>,
    /// `T:` values.
    pub trees: Vec<String>,
    files: Vec<FileEntry>,
    excludes: Vec<FileEntry>,
    names: Vec<Regex>,
    keywords: Vec<Regex>,
    /// `^[+-].*` glued in front of the keyword text, as the script does for
    /// diff lines (so a top-level `|` in a K: pattern escapes the prefix).
    diff_keywords: Vec<Regex>,
    /// Lines in typevalue order, for the role emission order of add_categories.
    order: Vec<(char, String)>,
}

impl Section {
    /// A section named `name` with no lines yet.
    fn empty(index: usize, name: String) -> Section {
        Section {
            index,
            name,
            maintainers: vec![],
            reviewers: vec![],
            lists: vec![],
            status: None,
            trees: vec![],
            files: vec![],
            excludes: vec![],
            names: vec![],
            keywords: vec![],
            diff_keywords: vec![],
            order: vec![],
        }
    }

    /// Takes one tagged line (`t:` `v`). Patterns the script could not use
    /// (a bad regex) are left out as it leaves them out; every line is kept
    /// in `order`.
    fn add_line(&mut self, t: char, v: &str, tree: &Path) {
        match t {
            'M' => self.maintainers.push(v.to_string()),
            'R' => self.reviewers.push(v.to_string()),
            'L' => self.lists.push(v.to_string()),
            'S' => self.status = Some(v.to_string()),
            'T' => self.trees.push(v.to_string()),
            'F' | 'X' => {
                if let Some((pat, value)) = FilePat::new(v, tree) {
                    let e = FileEntry { pat, value };
                    if t == 'F' {
                        self.files.push(e)
                    } else {
                        self.excludes.push(e)
                    }
                }
            }
            'N' => {
                if let Some(re) = perl_re(v) {
                    self.names.push(re)
                }
            }
            'K' => {
                if let (Some(re), Some(dre)) = (perl_re(v), perl_re(&format!("^[+-].*{v}"))) {
                    self.keywords.push(re);
                    self.diff_keywords.push(dre);
                }
            }
            _ => {}
        }
        self.order.push((t, v.to_string()));
    }

    pub fn is_orphan(&self) -> bool {
        self.status
            .as_deref()
            .map(|s| s.to_ascii_lowercase().contains("orphan"))
            .unwrap_or(false)
    }
}

/// Parsed `.mailmap` (the subset get_maintainer.pl reads).
#[derive(Debug, Default, Clone)]
struct Mailmap {
    names: HashMap<String, String>,
    addresses: HashMap<String, String>,
}

/// The maintainers database of one tree.
#[derive(Debug, Clone)]
pub struct Maintainers {
    pub sections: Vec<Section>,
    mailmap: Mailmap,
}

/// Where one file belongs.
#[derive(Debug, Clone, Serialize)]
pub struct FileOwner {
    pub file: String,
    /// Index of the most specific matching section (None if nothing matched).
    #[serde(skip)]
    pub section: Option<usize>,
    pub section_name: Option<String>,
    pub depth: i64,
    pub orphan: bool,
}

/// An address chosen for a patch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipient {
    pub address: String,
    pub role: Role,
}

/// Result of routing one patch.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Routing {
    /// In get_maintainer.pl output order (people first, then lists).
    pub recipients: Vec<Recipient>,
    /// Names of all sections that contributed (file and keyword matches).
    pub sections: Vec<String>,
    /// True if a section matched by file is `S: Orphan`.
    pub orphan: bool,
}

impl Routing {
    pub fn to(&self) -> Vec<String> {
        self.recipients
            .iter()
            .filter(|r| r.role == Role::Maintainer)
            .map(|r| r.address.clone())
            .collect()
    }
    pub fn cc(&self) -> Vec<String> {
        self.recipients
            .iter()
            .filter(|r| r.role != Role::Maintainer)
            .map(|r| r.address.clone())
            .collect()
    }
    pub fn addresses(&self) -> BTreeSet<String> {
        self.recipients.iter().map(|r| r.address.clone()).collect()
    }
}

fn perl_re(value: &str) -> Option<Regex> {
    // Perl /x; the script reads bytes, so ASCII semantics first.
    RegexBuilder::new(value)
        .ignore_whitespace(true)
        .unicode(false)
        .build()
        .or_else(|_| RegexBuilder::new(value).ignore_whitespace(true).build())
        .ok()
}

const CHIEF_PENGUINS: &[&str] = &["Linus Torvalds <torvalds@linux-foundation.org>"];

/// The script's `deduplicate_email` with the mailmap: the first address
/// seen under a name (or the first name seen with an address) stands for
/// every later spelling of it.
#[derive(Default)]
struct EmailDedup {
    by_name: HashMap<String, (String, String)>,
    by_address: HashMap<String, (String, String)>,
}

impl EmailDedup {
    fn canonical(&mut self, mailmap: &Mailmap, e: &str) -> String {
        let (name, address) = parse_email(e);
        let email = mailmap.map(&format_email(&name, &address));
        let (name, address) = parse_email(&email);
        let known = (!name.is_empty())
            .then(|| self.by_name.get(&name.to_lowercase()))
            .flatten()
            .or_else(|| self.by_address.get(&address.to_lowercase()))
            .cloned();
        let (name, address) = match known {
            Some(k) => k,
            None => {
                let v = (name.clone(), address.clone());
                self.by_name.insert(name.to_lowercase(), v.clone());
                self.by_address.insert(address.to_lowercase(), v);
                (name, address)
            }
        };
        mailmap.map(&format_email(&name, &address))
    }
}

/// `parse_email()` of get_maintainer.pl.
pub fn parse_email(s: &str) -> (String, String) {
    let mut name = String::new();
    let mut address = String::new();
    // /^([^<]+)<(.+\@.*)>.*$/ -- greedy: last '>' after an '@'.
    let try1 = || -> Option<(String, String)> {
        let lt = s.find('<')?;
        if lt == 0 {
            return None;
        }
        let rest = &s[lt + 1..];
        let gt = rest.rfind('>')?;
        let addr = &rest[..gt];
        if !addr.contains('@') || addr.is_empty() || addr.starts_with('@') && addr.len() == 1 {
            return None;
        }
        // (.+\@.*) needs at least one char before '@'
        if addr.find('@')? == 0 && addr.matches('@').count() == 1 {
            return None;
        }
        Some((s[..lt].to_string(), addr.to_string()))
    };
    if let Some((n, a)) = try1() {
        name = n;
        address = a;
    } else {
        let t = s.trim_start();
        if let Some(r) = t.strip_prefix('<') {
            if let Some(gt) = r.find('>') {
                let a = &r[..gt];
                if a.contains('@') && !a[a.find('@').unwrap()..].contains(char::is_whitespace) {
                    address = a.to_string();
                }
            }
        }
        if address.is_empty() {
            // /^(.+\@\S*).*$/
            if let Some(at) = s.rfind('@') {
                if at > 0 {
                    let end = s[at..]
                        .find(char::is_whitespace)
                        .map(|i| at + i)
                        .unwrap_or(s.len());
                    address = s[..end].to_string();
                }
            }
        }
    }
    let name = quote_name(&name);
    (name, address.trim().to_string())
}

fn strip_quotes(n: &str) -> String {
    let n = n.trim();
    let n = n.strip_prefix('"').unwrap_or(n);
    let n = n.strip_suffix('"').unwrap_or(n);
    n.to_string()
}

fn quote_name(name: &str) -> String {
    let name = strip_quotes(name);
    let must_quote = name
        .bytes()
        .any(|b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b' ' || b == b'-'));
    if must_quote {
        let mut out = String::from("\"");
        let mut prev = '\0';
        for c in name.chars() {
            if c == '"' && prev != '\\' {
                out.push('\\');
            }
            out.push(c);
            prev = c;
        }
        out.push('"');
        out
    } else {
        name
    }
}

/// `format_email($name, $address, 1)`.
pub fn format_email(name: &str, address: &str) -> String {
    let name = quote_name(name);
    let address = address.trim();
    if name.is_empty() {
        address.to_string()
    } else {
        format!("{name} <{address}>")
    }
}

impl Mailmap {
    fn read(path: &Path) -> Mailmap {
        let mut m = Mailmap::default();
        let Ok(data) = std::fs::read(path) else {
            return m;
        };
        let text = String::from_utf8_lossy(&data);
        let re1 = regex::Regex::new(r"^([^<]+)<([^>]+)>$").unwrap();
        let re2 = regex::Regex::new(r"^<([^>]+)>\s*<([^>]+)>$").unwrap();
        let re3 = regex::Regex::new(r"^(.+)<([^>]+)>\s*<([^>]+)>$").unwrap();
        let re4 = regex::Regex::new(r"^(.+)<([^>]+)>\s*(.+)\s*<([^>]+)>$").unwrap();
        for line in text.lines() {
            let line = match line.find('#') {
                Some(i) => &line[..i],
                None => line,
            };
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if let Some(c) = re1.captures(line) {
                let (n, a) = parse_email(&format!("{} <{}>", c[1].trim_end(), &c[2]));
                m.names.insert(a, n);
            } else if let Some(c) = re2.captures(line) {
                m.addresses.insert(c[2].to_string(), c[1].to_string());
            } else if let Some(c) = re3.captures(line) {
                let (n, a) = parse_email(&format!("{} <{}>", c[1].trim_end(), &c[2]));
                m.names.insert(c[3].to_string(), n);
                m.addresses.insert(c[3].to_string(), a);
            } else if let Some(c) = re4.captures(line) {
                let (rn, ra) = parse_email(&format!("{} <{}>", c[1].trim_end(), &c[2]));
                let (wn, wa) = parse_email(&format!("{} <{}>", c[3].trim_end(), &c[4]));
                let wrong = format_email(&wn, &wa);
                m.names.insert(wrong.clone(), rn);
                m.addresses.insert(wrong, ra);
            }
        }
        m
    }

    /// `mailmap_email()`.
    fn map(&self, line: &str) -> String {
        let (name, address) = parse_email(line);
        let email = format_email(&name, &address);
        let mut real_name = name;
        let mut real_address = address.clone();
        if self.names.contains_key(&email) || self.addresses.contains_key(&email) {
            if let Some(n) = self.names.get(&email) {
                real_name = n.clone();
            }
            if let Some(a) = self.addresses.get(&email) {
                real_address = a.clone();
            }
        } else {
            if let Some(n) = self.names.get(&address) {
                real_name = n.clone();
            }
            if let Some(a) = self.addresses.get(&address) {
                real_address = a.clone();
            }
        }
        format_email(&real_name, &real_address)
    }
}

/// Files and keyword hits found in a patch, the way get_maintainer.pl scans it.
#[derive(Debug, Default, Clone)]
pub struct PatchScan {
    pub files: Vec<String>,
    /// (section index, keyword index) hits.
    pub keyword_sections: BTreeSet<usize>,
}

impl Maintainers {
    /// Reads `<tree>/MAINTAINERS` (or a `MAINTAINERS` directory of files, as
    /// newer trees have) and `<tree>/.mailmap`. A tree without one, or one
    /// with no section naming files (`F:`), is an error: every patch would
    /// go to nobody.
    pub fn load(tree: &Path) -> Result<Maintainers> {
        let p = tree.join("MAINTAINERS");
        if !p.exists() {
            bail!(
                "{}: no such file: patches are routed by the tree's MAINTAINERS (is {} a kernel tree?)",
                p.display(),
                tree.display()
            );
        }
        let mut texts = Vec::new();
        if p.is_dir() {
            let mut names: Vec<_> = std::fs::read_dir(&p)?
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|f| !f.file_name().unwrap().to_string_lossy().starts_with('.'))
                .collect();
            names.sort();
            for n in names {
                texts.push(std::fs::read(&n).with_context(|| format!("reading {}", n.display()))?);
            }
        } else {
            texts.push(std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?);
        }
        let mut all = Vec::new();
        for t in texts {
            all.extend_from_slice(&t);
            if !all.ends_with(b"\n") {
                all.push(b'\n');
            }
        }
        let mut m = Self::parse(&String::from_utf8_lossy(&all), tree);
        if !m
            .sections
            .iter()
            .any(|s| s.order.iter().any(|(t, _)| *t == 'F'))
        {
            bail!(
                "{}: not a MAINTAINERS file: no section names files (`F:` lines), so no patch could be routed",
                p.display()
            );
        }
        m.mailmap = Mailmap::read(&tree.join(".mailmap"));
        Ok(m)
    }

    /// Parses MAINTAINERS text; `tree` is used for the script's "is this
    /// pattern a directory" test.
    pub fn parse(text: &str, tree: &Path) -> Maintainers {
        // Build typevalue exactly like the script: tagged lines, plus any other
        // non-blank, non-comment line.  A section is a maximal run of tagged
        // lines; its name is the untagged line before it.
        enum Tv<'a> {
            Tag(char, &'a str),
            Other(&'a str),
        }
        let mut tv = Vec::new();
        for line in text.lines() {
            let b = line.as_bytes();
            if b.len() >= 2 && b[0].is_ascii_uppercase() && b[1] == b':' {
                tv.push(Tv::Tag(b[0] as char, line[2..].trim_start()));
            } else if !(line.trim().is_empty() || line.trim_start().starts_with('#')) {
                tv.push(Tv::Other(line));
            }
        }
        let mut sections = Vec::new();
        let mut i = 0;
        // find_first_section: skip until the first tagged line
        while i < tv.len() && !matches!(tv[i], Tv::Tag(..)) {
            i += 1;
        }
        while i < tv.len() {
            // a run of tags starting at i; the header is the line before it
            let name = if i > 0 {
                match tv[i - 1] {
                    Tv::Other(s) => s.to_string(),
                    Tv::Tag(..) => String::new(),
                }
            } else {
                String::new()
            };
            let mut s = Section::empty(sections.len(), name);
            while i < tv.len() {
                let Tv::Tag(t, v) = tv[i] else { break };
                s.add_line(t, v.trim_end_matches(['\r']), tree);
                i += 1;
            }
            sections.push(s);
            // skip the untagged lines up to the next run
            while i < tv.len() && !matches!(tv[i], Tv::Tag(..)) {
                i += 1;
            }
        }
        Maintainers {
            sections,
            mailmap: Mailmap::default(),
        }
    }

    /// Sections matching `file` by F:/N: (after X:), with the script's depth.
    pub fn matches(&self, file: &str) -> Vec<(usize, i64)> {
        let file_pd = file.matches('/').count() as i64;
        let _ = file_pd;
        let mut out = Vec::new();
        for s in &self.sections {
            if s.excludes.iter().any(|x| x.pat.matches(file)) {
                continue;
            }
            let mut depth: Option<i64> = None;
            for f in &s.files {
                if f.pat.matches(file) {
                    let mut pd = f.value.matches('/').count() as i64;
                    if !f.value.ends_with('/') {
                        pd += 1;
                    }
                    if f.value.starts_with(".*") {
                        pd = -1;
                    }
                    // the script overwrites with the last matching entry
                    depth = Some(pd);
                }
            }
            for n in &s.names {
                if n.is_match(file.as_bytes()) {
                    depth = Some(0);
                }
            }
            // N: entries come in file order with F:; the script keeps the last
            // assignment in typevalue order.  Recompute in that order.
            if depth.is_some() {
                depth = Some(self.depth_in_order(s, file));
                out.push((s.index, depth.unwrap()));
            }
        }
        out
    }

    fn depth_in_order(&self, s: &Section, file: &str) -> i64 {
        let mut fi = 0;
        let mut ni = 0;
        let mut depth = 0;
        for (t, _) in &s.order {
            match t {
                'F' => {
                    if let Some(f) = s.files.get(fi) {
                        if f.pat.matches(file) {
                            let mut pd = f.value.matches('/').count() as i64;
                            if !f.value.ends_with('/') {
                                pd += 1;
                            }
                            if f.value.starts_with(".*") {
                                pd = -1;
                            }
                            depth = pd;
                        }
                    }
                    fi += 1;
                }
                'N' => {
                    if let Some(n) = s.names.get(ni) {
                        if n.is_match(file.as_bytes()) {
                            depth = 0;
                        }
                    }
                    ni += 1;
                }
                _ => {}
            }
        }
        depth
    }

    /// Does section `idx` only borrow `file`: it has directories of its
    /// own (`F:` entries ending in `/`) and none of them contains the file?
    /// (PWM SUBSYSTEM lists drivers/gpio/gpio-mvebu.c, but its home is
    /// drivers/pwm/.)
    pub fn borrows(&self, idx: usize, file: &str) -> bool {
        let s = &self.sections[idx];
        let dirs: Vec<&FileEntry> = s
            .files
            .iter()
            .filter(|f| f.value.ends_with('/') && !f.value.starts_with(".*"))
            .collect();
        !dirs.is_empty() && !dirs.iter().any(|d| d.pat.matches(file))
    }

    /// The owning section of a file: the most specific matching section
    /// (deepest pattern), preferring sections that do not merely
    /// [borrow](Self::borrows) the file and that are not `THE REST`; ties go
    /// to a section with maintainers, then to the earlier one.
    pub fn owner(&self, file: &str) -> FileOwner {
        let m = self.matches(file);
        let key = |&(idx, depth): &(usize, i64)| {
            let s = &self.sections[idx];
            (
                depth >= 0,
                !self.borrows(idx, file),
                depth,
                !s.maintainers.is_empty(),
                std::cmp::Reverse(idx),
            )
        };
        let best = m.iter().max_by_key(|e| key(e)).copied();
        FileOwner {
            file: file.to_string(),
            section: best.map(|b| b.0),
            section_name: best.map(|b| self.sections[b.0].name.clone()),
            depth: best.map(|b| b.1).unwrap_or(-2),
            orphan: best
                .map(|b| self.sections[b.0].is_orphan())
                .unwrap_or(false),
        }
    }

    /// The most specific section that names a git tree (`T:`), i.e. the one
    /// whose maintainers apply the patch.  Falls back to [`Self::owner`].
    pub fn tree_owner(&self, file: &str) -> FileOwner {
        let m = self.matches(file);
        let best = m
            .iter()
            .filter(|(idx, depth)| !self.sections[*idx].trees.is_empty() && *depth >= 0)
            .max_by_key(|&&(idx, depth)| (!self.borrows(idx, file), depth, std::cmp::Reverse(idx)))
            .copied();
        match best {
            Some((idx, depth)) => FileOwner {
                file: file.to_string(),
                section: Some(idx),
                section_name: Some(self.sections[idx].name.clone()),
                depth,
                orphan: self.sections[idx].is_orphan(),
            },
            None => self.owner(file),
        }
    }

    /// Scans patch text like get_maintainer.pl does for a patch argument.
    pub fn scan_patch(&self, patch: &str) -> PatchScan {
        let mut scan = PatchScan::default();
        let mut in_diff = false;
        let re_mode = regex::Regex::new(r"^ mode change [0-7]+ => [0-7]+ (\S+)\s*$").unwrap();
        let re_rename = regex::Regex::new(r"^rename (?:from|to) (\S+)\s*$").unwrap();
        let re_diff = regex::Regex::new(r"^diff --git a/(\S+) b/(\S+)\s*$").unwrap();
        let re_fixes = regex::Regex::new(r"^Fixes:\s+[0-9a-fA-F]{6,40}").unwrap();
        let re_file = regex::Regex::new(r"^(?:\+\+\+|---)\s+(\S+)").unwrap();
        let re_hunk = regex::Regex::new(r"^@@ -\d+,\d+").unwrap();
        let kw: Vec<(usize, &Regex)> = self
            .sections
            .iter()
            .flat_map(|s| s.keywords.iter().map(move |k| (s.index, k)))
            .collect();
        let dkw: Vec<(usize, &Regex)> = self
            .sections
            .iter()
            .flat_map(|s| s.diff_keywords.iter().map(move |k| (s.index, k)))
            .collect();
        for line in patch.split_inclusive('\n') {
            if let Some(c) = re_mode.captures(line) {
                scan.files.push(c[1].to_string());
            } else if let Some(c) = re_rename.captures(line) {
                scan.files.push(c[1].to_string());
            } else if let Some(c) = re_diff.captures(line) {
                scan.files.push(c[1].to_string());
                scan.files.push(c[2].to_string());
            } else if re_fixes.is_match(line) {
            } else if let Some(c) = re_file.captures(line) {
                let f = &c[1];
                let f = match f.find('/') {
                    Some(i) => &f[i + 1..],
                    None => f,
                };
                scan.files.push(f.to_string());
                in_diff = true;
            } else if re_hunk.is_match(line) {
            } else {
                let hay = line.as_bytes();
                for (si, k) in if in_diff { &dkw } else { &kw } {
                    if !scan.keyword_sections.contains(si) && k.is_match(hay) {
                        scan.keyword_sections.insert(*si);
                    }
                }
            }
        }
        scan.files.sort();
        scan.files.dedup();
        scan
    }

    /// Keyword sections for a plain file's content (`-f` mode).
    pub fn keyword_sections_in_text(&self, text: &[u8]) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        for s in &self.sections {
            if s.keywords.iter().any(|k| k.is_match(text)) {
                out.insert(s.index);
            }
        }
        out
    }

    /// Routes a rendered patch (mbox text): the addresses get_maintainer.pl
    /// prints for it.
    pub fn route_patch(&self, patch: &str) -> Routing {
        let scan = self.scan_patch(patch);
        self.route(&scan.files, &scan.keyword_sections)
    }

    /// Core of get_maintainers(): sections for files (deepest first), then
    /// keyword sections; collect, de-duplicate, mailmap, drop chief penguins.
    pub fn route(&self, files: &[String], keyword_sections: &BTreeSet<usize>) -> Routing {
        let mut st = Collect::default();
        let mut orphan = false;
        let mut names = Vec::new();
        for file in files {
            let mut m = self.matches(file);
            m.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            for (idx, _) in &m {
                let s = &self.sections[*idx];
                if s.is_orphan() && s.name != "THE REST" {
                    orphan = true;
                }
                names.push(s.name.clone());
                st.add_categories(s);
            }
        }
        // the script sorts keyword indexes as strings; the order only matters
        // for name-based de-duplication
        let mut kws: Vec<usize> = keyword_sections.iter().copied().collect();
        kws.sort_by_key(|k| k.to_string());
        for k in kws {
            let s = &self.sections[k];
            names.push(s.name.clone());
            st.add_categories(s);
        }
        let mut dd = EmailDedup::default();
        let mut dedup = |e: &str| dd.canonical(&self.mailmap, e);
        let mut people: Vec<Recipient> = st
            .email_to
            .iter()
            .map(|(e, r)| Recipient {
                address: dedup(e),
                role: *r,
            })
            .collect();
        let lists: Vec<Recipient> = st
            .list_to
            .iter()
            .map(|e| Recipient {
                address: dedup(e),
                role: Role::List,
            })
            .collect();
        people.retain(|r| !CHIEF_PENGUINS.iter().any(|c| r.address.contains(c)));
        let mut seen = HashSet::new();
        let mut recipients = Vec::new();
        for r in people.into_iter().chain(lists) {
            if seen.insert(r.address.clone()) {
                recipients.push(r);
            }
        }
        let mut sn = Vec::new();
        for n in names {
            if !sn.contains(&n) {
                sn.push(n);
            }
        }
        Routing {
            recipients,
            sections: sn,
            orphan,
        }
    }

    /// Routes plain files (`-f` mode): keywords are matched on each file's
    /// content, read from `tree`.
    pub fn route_files(&self, tree: &Path, files: &[String]) -> Routing {
        let mut kw = BTreeSet::new();
        for f in files {
            if f != "MAINTAINERS" {
                if let Ok(t) = std::fs::read(tree.join(f)) {
                    kw.extend(self.keyword_sections_in_text(&t));
                }
            }
        }
        self.route(files, &kw)
    }

    pub fn section_by_name(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }
}

#[derive(Default)]
struct Collect {
    email_to: Vec<(String, Role)>,
    hash_name: HashSet<String>,
    hash_address: HashSet<String>,
    list_to: Vec<String>,
    hash_list: HashSet<String>,
}

impl Collect {
    fn push_email(&mut self, line: &str, role: Role) {
        let (name, address) = parse_email(line);
        if address.is_empty() {
            return;
        }
        let inuse = (!name.is_empty() && self.hash_name.contains(&name.to_lowercase()))
            || self.hash_address.contains(&address.to_lowercase());
        if !inuse {
            self.email_to.push((format_email(&name, &address), role));
            if !name.is_empty() {
                self.hash_name.insert(name.to_lowercase());
            }
            self.hash_address.insert(address.to_lowercase());
        }
    }

    fn push_emails(&mut self, value: &str, role: Role) {
        // rfc822_validlist: a comma separated list of addresses
        if value.matches('@').count() > 1 && value.contains(',') {
            for part in value.split(',') {
                if !part.trim().is_empty() {
                    self.push_email(part.trim(), role);
                }
            }
        } else {
            self.push_email(value, role);
        }
    }

    fn add_categories(&mut self, s: &Section) {
        for (t, v) in &s.order {
            match t {
                'L' => {
                    let (addr, extra) = match v.split_once(char::is_whitespace) {
                        Some((a, e)) => (a.to_string(), e.to_string()),
                        None => (v.clone(), String::new()),
                    };
                    if extra.contains("subscribers-only") {
                        continue;
                    }
                    if self.hash_list.insert(addr.to_lowercase()) {
                        self.list_to.push(addr);
                    }
                }
                'M' => self.push_emails(v, Role::Maintainer),
                'R' => self.push_emails(v, Role::Reviewer),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_quote() {
        assert_eq!(
            parse_email("Linus Walleij <linus.walleij@linaro.org>"),
            ("Linus Walleij".into(), "linus.walleij@linaro.org".into())
        );
        assert_eq!(
            parse_email("Uwe Kleine-König <u@p.de>").0,
            "\"Uwe Kleine-König\""
        );
        assert_eq!(format_email("J. Doe", "j@d.org"), "\"J. Doe\" <j@d.org>");
        assert_eq!(
            parse_email("list@vger.kernel.org"),
            (String::new(), "list@vger.kernel.org".into())
        );
    }

    #[test]
    fn slash_rule() {
        let d = tempfile::tempdir().unwrap();
        let (p, _) = FilePat::new("drivers/gpio/gpio-*.c", d.path()).unwrap();
        assert!(p.matches("drivers/gpio/gpio-foo.c"));
        assert!(!p.matches("drivers/gpio/gpio-x/y.c"));
        let (p, _) = FilePat::new("drivers/gpio/", d.path()).unwrap();
        assert!(p.matches("drivers/gpio/x/y.c"));
    }
}
