//! Built-in transforms: conversions that need more than a rule can say
//! (following a callback across files, changing a function's type with all
//! its prototypes and users). Keep this list short; each is documented in
//! `patterns/README.md`.

pub mod c_util;
pub mod class_static;
pub mod of_scoped;
pub mod platform_remove_void;
pub mod sysfs_self_delete;

use crate::edit::Edit;
use crate::model::{Finding, Site, Verdict};
use crate::parse::{parse, parse_focused, ErrorMap, Parsed};
use crate::symbols::SymbolIndex;
use crate::tree::{list_sources, SourceFile};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

/// What the engine offers every pattern of one run, each computed once
/// on first use.
pub struct Services<'a> {
    pub root: &'a Path,
    /// Every source file of the walk (`--path` applied).
    pub walk_files: &'a [String],
    pub options: &'a crate::engine::RunOptions,
    /// Every source file of the tree, with the walk's findings.
    tree_files: OnceLock<(Vec<String>, Vec<Finding>)>,
}

impl<'a> Services<'a> {
    pub fn new(
        root: &'a Path,
        walk_files: &'a [String],
        options: &'a crate::engine::RunOptions,
    ) -> Services<'a> {
        Services {
            root,
            walk_files,
            options,
            tree_files: OnceLock::new(),
        }
    }

    /// Every source file of the tree, even outside `--path` (the walk's
    /// own list when it covered the tree), and what its walk found.
    pub fn tree_files(&self) -> (&[String], &[Finding]) {
        if self.options.paths.is_empty() {
            return (self.walk_files, &[]);
        }
        let (files, findings) = self
            .tree_files
            .get_or_init(|| list_sources(self.root, &[]).unwrap_or_default());
        (files, findings)
    }

    /// The symbol index of `names` over the whole tree, with the findings
    /// of the files it could not read.
    pub fn symbols(&self, names: &BTreeSet<String>) -> (SymbolIndex, Vec<Finding>) {
        let (files, walk_findings) = self.tree_files();
        let (index, findings) = SymbolIndex::build(self.root, files, names);
        (
            index,
            walk_findings.iter().cloned().chain(findings).collect(),
        )
    }
}

/// What a transform sees: its candidates and the engine's services.
pub struct TransformCtx<'a> {
    pub root: &'a Path,
    pub pattern_id: &'a str,
    /// Files that contain one of the pattern's anchors.
    pub candidates: &'a [SourceFile],
    pub options: &'a crate::engine::RunOptions,
    pub services: &'a Services<'a>,
}

/// The words of a file's bytes whose top-level items a focused parse keeps.
pub type Focus<'f> = &'f (dyn Fn(&[u8]) -> Vec<&[u8]> + Sync);

/// One parsed file, as `TransformCtx::each_parsed` hands it over.
pub struct ParsedFile<'a> {
    pub file: &'a SourceFile,
    pub parsed: &'a Parsed,
    pub errors: &'a ErrorMap,
}

impl TransformCtx<'_> {
    /// Parses each candidate on every core (whole, or only the top-level
    /// items holding one of the words `focus` gives for its bytes) and
    /// hands it with its error map to `each`; the results come back in
    /// candidate order.
    pub fn each_parsed<T: Send>(
        &self,
        focus: Option<Focus>,
        each: impl Fn(ParsedFile) -> T + Sync,
    ) -> Vec<T> {
        self.candidates
            .par_iter()
            .map(|f| {
                let parsed = match focus {
                    Some(words) => parse_focused(&f.bytes, &words(&f.bytes)),
                    None => parse(&f.bytes),
                };
                let errors = ErrorMap::of(&parsed.tree);
                each(ParsedFile {
                    file: f,
                    parsed: &parsed,
                    errors: &errors,
                })
            })
            .collect()
    }

    /// `each_parsed` for transforms that decide file by file: each file's
    /// output is merged in candidate order.
    pub fn each_file(
        &self,
        each: impl Fn(ParsedFile) -> TransformOutput + Sync,
    ) -> TransformOutput {
        let mut out = TransformOutput::default();
        for one in self.each_parsed(None, each) {
            out.append(one);
        }
        out
    }

    /// The symbol index of `names` over the whole tree (see `Services`).
    pub fn symbols(&self, names: &BTreeSet<String>) -> (SymbolIndex, Vec<Finding>) {
        self.services.symbols(names)
    }

    /// Whether the tree's file `rel` (a header) has a match of `regex`: how
    /// a transform picks the form of the interface the tree offers. A file
    /// that cannot be read has none.
    pub fn probe(&self, rel: &str, regex: &str) -> bool {
        let re = regex::Regex::new(regex).expect("probes are static regexes");
        crate::tree::read_text(self.root, rel).is_some_and(|t| re.is_match(&t))
    }

    /// A site of this pattern at `file:line:column`, `auto`, grouped by
    /// its file, without context, reason or notes yet.
    pub fn site(
        &self,
        rule: &str,
        file: &str,
        (line, column): (usize, usize),
        snippet: String,
    ) -> Site {
        Site {
            pattern: self.pattern_id.to_string(),
            rule: rule.to_string(),
            file: file.to_string(),
            line,
            column,
            context: None,
            verdict: Verdict::Auto,
            reason: None,
            snippet,
            notes: vec![],
            group: file.to_string(),
        }
    }
}

/// What a transform yields: sites, and edits grouped by file with each
/// file's original bytes. Edit `site` fields index `sites`.
#[derive(Default)]
pub struct TransformOutput {
    pub sites: Vec<Site>,
    pub edits: BTreeMap<String, (Vec<u8>, Vec<Edit>)>,
    pub findings: Vec<Finding>,
}

impl TransformOutput {
    pub fn add_edit(&mut self, file: &str, original: &[u8], edit: Edit) {
        self.edits
            .entry(file.to_string())
            .or_insert_with(|| (original.to_vec(), Vec::new()))
            .1
            .push(edit);
    }

    /// Moves `other`'s sites, findings and edits after this one's, its
    /// edits renumbered to the moved sites.
    pub fn append(&mut self, other: TransformOutput) {
        let base = self.sites.len();
        self.sites.extend(other.sites);
        self.findings.extend(other.findings);
        for (file, (orig, edits)) in other.edits {
            for mut e in edits {
                e.site += base;
                self.add_edit(&file, &orig, e);
            }
        }
    }
}

/// A conversion in Rust, over the engine's services (`TransformCtx`):
/// it finds sites and proposes edits; the engine applies them, refusing
/// any that touches a region the parser could not read.
pub trait Transform: Sync {
    fn name(&self) -> &'static str;
    fn run(&self, ctx: &TransformCtx) -> TransformOutput;
}

const ALL: &[&dyn Transform] = &[
    &platform_remove_void::PlatformRemoveVoid,
    &class_static::ClassStatic,
    &of_scoped::OfScoped,
    &sysfs_self_delete::SysfsSelfDelete,
];

pub fn by_name(name: &str) -> Option<&'static dyn Transform> {
    ALL.iter().copied().find(|t| t.name() == name)
}

pub fn names() -> Vec<&'static str> {
    ALL.iter().map(|t| t.name()).collect()
}
