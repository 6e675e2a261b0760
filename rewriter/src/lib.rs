//! The rewriter: kernel-aware C parsing, YAML conversion patterns and
//! formatting-faithful rewrites. Data flows
//! tree → parse (mask + tree-sitter) → match (rules, transforms) → edit → diff.
//!
//! Owns the first stages of the pipeline: reading the tree (regular files
//! only, within limits, every failure a finding), parsing, matching,
//! edits that are re-parsed before they are kept (the rewrite check), and
//! unified diffs. Its sites and findings are `model::scan` types
//! (re-exported in [`model`]). May not: know about series, ledgers or the
//! kernel verifier, or print (the fixture runner's report aside).

pub mod align;
pub mod c_util;
pub mod diff;
pub mod edit;
pub mod engine;
pub mod fixtures;
pub mod lex;
pub mod literals;
pub mod mask;
pub mod model;
pub mod options;
pub mod parse;
pub mod pattern;
pub mod rules;
pub mod services;
pub mod symbols;
pub mod transforms;
pub mod tree;
