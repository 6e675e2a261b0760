//! The rewriter: kernel-aware C parsing, YAML conversion patterns and
//! formatting-faithful rewrites. Data flows
//! tree → parse (mask + tree-sitter) → match (rules, transforms) → edit → diff.

pub mod align;
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
pub mod stdout;
pub mod symbols;
pub mod transforms;
pub mod tree;
