//! The pattern file format, version 1, as read from YAML. Documented in
//! `patterns/README.md`; unknown keys are errors so a typo never silently
//! turns a rule off.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternSpec {
    /// Format version; only 1 exists.
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
    /// A built-in transform written in Rust, for what rules cannot say.
    #[serde(default)]
    pub transform: Option<String>,
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

/// Whether the tree has the target interface: a regex over one of its files.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiresSpec {
    pub file: String,
    pub regex: String,
    /// Shown as the reason of `blocked` sites when the probe fails.
    pub missing: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    /// A C snippet with `$NAME` (one node) and `$$$NAME` (a sequence).
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
    /// Constraints on metavariables, by name without `$`.
    #[serde(default, rename = "where")]
    pub where_: BTreeMap<String, MetaConstraint>,
    #[serde(default)]
    pub inside: Option<NodeSpec>,
    #[serde(default, rename = "not-inside")]
    pub not_inside: Option<NodeSpec>,
    #[serde(default)]
    pub has: Option<NodeSpec>,
    #[serde(default, rename = "not-has")]
    pub not_has: Option<NodeSpec>,
    pub verdict: VerdictSpec,
    /// Why, for `needs-prep` and `manual`; may use metavariables.
    #[serde(default)]
    pub reason: Option<String>,
    /// Replacement for the matched node, for `auto`; may use metavariables.
    #[serde(default)]
    pub rewrite: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaConstraint {
    #[serde(default)]
    pub regex: Option<String>,
    #[serde(default, rename = "not-regex")]
    pub not_regex: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
}

/// A structural relative: a node of some kind and/or matching a snippet.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub pattern: Option<String>,
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
