//! The pattern file format, version 1, as read from YAML. Documented in
//! `patterns/README.md`; unknown keys are errors so a typo never silently
//! turns a rule off.

use serde::Deserialize;
use std::collections::BTreeMap;

/// One `also-parse` entry: a word, or a regex naming words per file.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum AlsoParseSpec {
    Word(String),
    Names { names: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternSpec {
    /// Format version: 1, or 2 for the composite, relational and
    /// sequence rules and multi-edit fixes.
    pub version: u32,
    pub id: String,
    pub title: String,
    /// Subject line text of the patches (after the subsystem prefix).
    #[serde(default)]
    pub subject: Option<String>,
    /// Commit-message body: why the conversion is right.
    pub rationale: String,
    /// Literal strings; a file is parsed only if it contains one of them.
    pub anchors: Vec<String>,
    /// Literal strings a candidate file must also contain, every one of them.
    #[serde(default, rename = "all-anchors")]
    pub all_anchors: Vec<String>,
    /// Version 2: words whose top-level items a candidate file also has
    /// parsed, for rules that look there (a setup in another function),
    /// or `{ names: REGEX }`: the names its first group captures in the
    /// file; they do not make a file a candidate.
    #[serde(default, rename = "also-parse")]
    pub also_parse: Vec<AlsoParseSpec>,
    #[serde(default)]
    pub requires: Option<RequiresSpec>,
    /// Run only when named with --pattern (an alternative form of another
    /// campaign's conversion would conflict with it).
    #[serde(default, rename = "opt-in")]
    pub opt_in: bool,
    /// The kernel version that introduced the target interface (for listings).
    #[serde(default)]
    pub since: Option<String>,
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    /// Version 2: named rule objects that rules use with `matches: NAME`.
    #[serde(default)]
    pub utils: BTreeMap<String, RuleSpec>,
    /// A built-in transform written in Rust, for what rules cannot say.
    #[serde(default)]
    pub transform: Option<String>,
    /// Words that make a file a candidate, and the items holding them
    /// parsed, without an occurrence the parser did not read becoming an
    /// `unparsed` site (a call in every other driver, in macro bodies too,
    /// that starts a rare shape).
    #[serde(default, rename = "quiet-anchors")]
    pub quiet_anchors: Vec<String>,
    /// The transform's tables (names, forms): a mapping the transform
    /// reads into its own type when the pattern is loaded.
    #[serde(default)]
    pub parameters: Option<serde_yaml::Value>,
    /// Version 2: named questions to the tree (a regex over one of its
    /// files), asked once per run; a rule's `probe` picks the answer it
    /// needs.
    #[serde(default)]
    pub probes: BTreeMap<String, ProbeSpec>,
    /// The change sets around the conversion: `introduce` adds the new
    /// interface next to the old one, `retire` removes the old one once no
    /// user is left. The conversion itself (the rules above) is `convert`.
    #[serde(default)]
    pub phases: PhasesSpec,
    /// Verifier fixtures that prove the conversion: `unplug verify
    /// --campaign` rewrites `legacy` with this pattern, builds the result as
    /// `converted`, and runs `scenario` on the test kernels.
    #[serde(default)]
    pub verify: Vec<VerifySpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifySpec {
    /// A scenario of verifier-kmod/scenarios (file stem).
    pub scenario: String,
    /// The legacy fixture module (verifier-kmod/fixtures/<legacy>.c).
    pub legacy: String,
    /// The module name the scenario loads for the converted variant.
    pub converted: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhasesSpec {
    #[serde(default)]
    pub introduce: Option<PhaseSpec>,
    #[serde(default)]
    pub retire: Option<PhaseSpec>,
}

/// A change set to core files: rules like a pattern's, on `paths`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseSpec {
    /// Subject prefix of the phase's patch (`driver core: platform:`): a
    /// core change is named after the core, not after the files' paths.
    #[serde(default)]
    pub prefix: Option<String>,
    pub subject: String,
    pub rationale: String,
    pub anchors: Vec<String>,
    /// Files or directories the change set applies to (empty: the tree).
    #[serde(default)]
    pub paths: Vec<String>,
    pub rules: Vec<RuleSpec>,
}

/// A question to the tree: does `file` match `regex`?
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeSpec {
    pub file: String,
    pub regex: String,
}

/// Whether the tree has the target interface: a regex over one of its files.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiresSpec {
    pub file: String,
    pub regex: String,
    /// Shown as the reason of `blocked` sites when the probe fails.
    pub missing: String,
}

/// A rule of a list (`id` and `verdict` set), or a rule object nested in
/// `all`, `any`, `not`, a relation, `utils` or `where` (neither set). One
/// type for both so that every matcher key means the same everywhere; the
/// compiler rejects what a place does not allow, and version 1 files the
/// keys of version 2.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    #[serde(default)]
    pub id: Option<String>,
    /// A C snippet with `$NAME` (one node) and `$$$NAME` (a sequence); in
    /// version 2 several statements with `...` lines between them.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Where the snippet stands when its text alone is ambiguous:
    /// `top-level`, `statement`, `field` (a struct member) or `initializer`
    /// (an entry such as `.remove_new = $F`).
    #[serde(default)]
    pub context: Option<String>,
    /// Or: any node of this tree-sitter kind.
    #[serde(default)]
    pub kind: Option<String>,
    /// Version 2: the node's text matches this regular expression.
    #[serde(default)]
    pub regex: Option<String>,
    /// Version 2: `$X`, a capture bound before: the node is the one it
    /// captured (its bytes, not the same text elsewhere).
    #[serde(default)]
    pub is: Option<String>,
    /// Version 2, on a rule of `rules`: the search goes on inside a node
    /// this rule matched, so a site may hold sites (a loop in a loop).
    #[serde(default)]
    pub descend: bool,
    /// Version 2: every one of these must match the node, in order, their
    /// captures shared.
    #[serde(default)]
    pub all: Option<Vec<RuleSpec>>,
    /// Version 2: the first of these that matches.
    #[serde(default)]
    pub any: Option<Vec<RuleSpec>>,
    /// Version 2: this must not match the node.
    #[serde(default)]
    pub not: Option<Box<RuleSpec>>,
    /// Version 2: a named fragment of the file's `utils`.
    #[serde(default)]
    pub matches: Option<String>,
    #[serde(default)]
    pub inside: Option<Box<RuleSpec>>,
    #[serde(default, rename = "not-inside")]
    pub not_inside: Option<Box<RuleSpec>>,
    #[serde(default)]
    pub has: Option<Box<RuleSpec>>,
    #[serde(default, rename = "not-has")]
    pub not_has: Option<Box<RuleSpec>>,
    /// Version 2: a sibling before the node matches.
    #[serde(default)]
    pub follows: Option<Box<RuleSpec>>,
    /// Version 2: a sibling after the node matches.
    #[serde(default)]
    pub precedes: Option<Box<RuleSpec>>,
    /// Version 2, in a relation: how far it looks (`neighbor`, `end`, or a
    /// rule whose first match ends the search).
    #[serde(default, rename = "stop-by")]
    pub stop_by: Option<StopBySpec>,
    /// Version 2, with a `...` pattern: what each gap may not (or must)
    /// contain.
    #[serde(default)]
    pub when: Option<Box<WhenSpec>>,
    /// Constraints on metavariables, by name without `$`.
    #[serde(default, rename = "where")]
    pub where_: BTreeMap<String, MetaConstraint>,
    #[serde(default)]
    pub verdict: Option<VerdictSpec>,
    /// Why, for `needs-prep` and `manual`; may use metavariables.
    #[serde(default)]
    pub reason: Option<String>,
    /// Replacement for the matched node, for `auto`; may use metavariables.
    #[serde(default)]
    pub rewrite: Option<String>,
    /// Version 2: the edits of an `auto` match, at several captured nodes.
    #[serde(default)]
    pub fix: Option<FixSpec>,
    /// Version 2, on a rule of a list: the answers of the file's `probes`
    /// it needs (`{ const-class: true }`).
    #[serde(default)]
    pub probe: BTreeMap<String, bool>,
    /// Version 2: the run options the rule applies under
    /// (`option: { drop-empty: true }`).
    #[serde(default)]
    pub option: BTreeMap<String, bool>,
    /// Version 2: further places that explain the verdict.
    #[serde(default)]
    pub notes: Vec<NoteSpec>,
    /// Version 2: what is wrong, each written as a note: the rule applies
    /// where one is found, the earliest is the reason, the others notes.
    #[serde(default)]
    pub problems: Vec<NoteSpec>,
    /// Version 2: texts made of the nodes inside a capture, for the
    /// reason and the notes (`$LEAKS`, `$COUNT`).
    #[serde(default)]
    pub join: Vec<RuleJoinSpec>,
}

/// `join: [{ into: NAME, each: { within: $X, matching: R }, item:
/// TEMPLATE, separator: ", " }]`, or `count: true` instead of `item`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleJoinSpec {
    pub into: String,
    pub each: EachSpec,
    #[serde(default)]
    pub item: Option<String>,
    #[serde(default)]
    pub separator: String,
    #[serde(default)]
    pub count: bool,
}

/// A note of a site: `file:line: message` at the line of a capture.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteSpec {
    /// The capture whose line the note names (`$FREE`); with `each`, by
    /// default the node visited (`$REF`).
    #[serde(default)]
    pub at: Option<String>,
    /// One note per node inside a capture that matches a rule.
    #[serde(default)]
    pub each: Option<EachSpec>,
    /// What it says; a template over the captures. Without one, the note
    /// quotes its line as written.
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum StopBySpec {
    Word(String),
    Rule(Box<RuleSpec>),
}

/// What the gaps of a `...` pattern may contain.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhenSpec {
    /// No node of a gap matches this.
    #[serde(default, rename = "not-has")]
    pub not_has: Option<RuleSpec>,
    /// Some node of every gap matches this.
    #[serde(default)]
    pub has: Option<RuleSpec>,
}

/// A fix: one template for the whole match, or a list of edits.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum FixSpec {
    Template(String),
    Edits(Vec<EditSpec>),
}

/// One edit of a fix, at a captured node.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditSpec {
    /// Replace the node with `with`.
    #[serde(default)]
    pub replace: Option<String>,
    /// Delete the node (its lines, when it is alone on them; its list
    /// separator, in a list).
    #[serde(default)]
    pub delete: Option<String>,
    /// Insert `with` on lines of its own before / after the node.
    #[serde(default, rename = "insert-before")]
    pub insert_before: Option<String>,
    #[serde(default, rename = "insert-after")]
    pub insert_after: Option<String>,
    /// Delete the declaration of this local variable when, after the
    /// other edits, nothing in its function uses it.
    #[serde(default, rename = "delete-declaration-if-unused")]
    pub delete_declaration_if_unused: Option<String>,
    #[serde(default)]
    pub with: Option<String>,
    /// With `delete`: a block left with one statement as the body of an
    /// `if` without `else` (or of a loop) loses its braces.
    #[serde(default)]
    pub unbrace: bool,
    /// Version 2: the `edits` below, once per reference of a capture
    /// (see `references`), with that reference's captures.
    #[serde(default, rename = "for-each")]
    pub for_each: Option<Box<ForEachSpec>>,
}

/// `for-each`: the references of an identifier that match a rule, each
/// edited; `join` makes the text of each, concatenated, a capture.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForEachSpec {
    /// `$NAME`: the identifier whose references are visited.
    #[serde(default)]
    pub references: Option<String>,
    /// `$X`: the capture whose nodes (itself aside) are visited.
    #[serde(default)]
    pub within: Option<String>,
    /// The rule a reference must match (captures `$REF` and its own).
    pub matching: RuleSpec,
    #[serde(default)]
    pub edits: Vec<EditSpec>,
    #[serde(default)]
    pub join: Option<JoinSpec>,
}

/// `each: { within: $X, matching: R }`: the nodes inside a capture
/// that match a rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EachSpec {
    pub within: String,
    pub matching: RuleSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinSpec {
    /// The name (without `$`) later templates use for the text.
    pub into: String,
    /// The template rendered once per reference.
    pub item: String,
}

/// `references`: what the other references of an identifier in the file
/// (outside the match) are. Each is matched as the identifier node, bound
/// as `$REF`; a rule's `where` sees its captures.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferencesSpec {
    /// Every reference matches one of these (the first that does).
    #[serde(default)]
    pub every: Option<Vec<RuleSpec>>,
    /// At least one matches; the captures of the first are kept.
    #[serde(default)]
    pub some: Option<RuleSpec>,
    /// Exactly one matches; its captures are kept.
    #[serde(default)]
    pub one: Option<RuleSpec>,
    /// None matches.
    #[serde(default)]
    pub none: Option<RuleSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaConstraint {
    #[serde(default)]
    pub regex: Option<String>,
    #[serde(default, rename = "not-regex")]
    pub not_regex: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    /// Version 2: the captured node must match this rule (captures shared).
    #[serde(default)]
    pub rule: Option<RuleSpec>,
    /// Version 2: `false`: the identifier is not used in its function
    /// outside the matched statements (its declaration aside).
    #[serde(default, rename = "used-elsewhere")]
    pub used_elsewhere: Option<bool>,
    /// Version 2: `false`: no gap of the match assigns the identifier (or
    /// takes its address).
    #[serde(default, rename = "assigned-in-gap")]
    pub assigned_in_gap: Option<bool>,
    /// Version 2: `false`: outside the matched statements, the identifier
    /// is not stored into a field, a global or through a pointer, not
    /// returned, and not passed to a call other than `escape-calls`.
    #[serde(default)]
    pub escapes: Option<bool>,
    #[serde(default, rename = "escape-calls")]
    pub escape_calls: Vec<String>,
    /// Version 2: the identifier occurs (`used-in`) or does not occur
    /// (`not-used-in`) in the text another capture covers (`$BODY`).
    #[serde(default, rename = "used-in")]
    pub used_in: Option<String>,
    #[serde(default, rename = "not-used-in")]
    pub not_used_in: Option<String>,
    /// Version 2: facts about the function or variable the capture names.
    #[serde(default)]
    pub symbol: Option<SymbolSpec>,
    /// Version 2: what the identifier's other references in the file are.
    #[serde(default)]
    pub references: Option<Box<ReferencesSpec>>,
    /// Version 2: the identifier is declared (or defined) at file scope
    /// before the node `$X` captured (`not-declared-before`: it is not).
    #[serde(default, rename = "declared-before")]
    pub declared_before: Option<String>,
    #[serde(default, rename = "not-declared-before")]
    pub not_declared_before: Option<String>,
}

/// What the tree says about a named function.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SymbolSpec {
    /// Its definition is in the matched file (`true`), or not.
    #[serde(default, rename = "defined-here")]
    pub defined_here: Option<bool>,
    /// It is `static`.
    #[serde(default, rename = "static")]
    pub is_static: Option<bool>,
    /// How many references it has besides its definition, its prototypes
    /// and the matched node, across the tree.
    #[serde(default, rename = "other-references")]
    pub other_references: Option<usize>,
    /// Its definition (in the matched file) matches this rule; captures
    /// are shared, so a fix may edit the definition.
    #[serde(default)]
    pub definition: Option<Box<RuleSpec>>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum VerdictSpec {
    Auto,
    NeedsPrep,
    Manual,
    /// The new form: counted so the ledger can see conversions land.
    Converted,
}
