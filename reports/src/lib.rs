//! `reports`: the campaign ledger and its reports.
//!
//! Owns the campaign directory: the ledger's state machine (scans, series
//! and verifier results moving each site), its files, the rendered reports
//! and the new-user check. Reads the other stages' documents as the
//! `model` crate types them. May not: parse a command line, print, or pick
//! an exit code (the binary does, in `src/flags`); write a report or a
//! series inside the campaign directory.
//!
//! A *campaign directory* (default `./unplug-campaign/`) holds
//!
//! * `ledger.json`: the campaign state (schema `unplug-ledger/1`, pretty
//!   printed, keys sorted, one site per key so that `git diff` of two
//!   states reads like a change log);
//! * `history/NNNN-<version>.json`: one snapshot per recorded scan
//!   (schema `unplug-snapshot/1`), the sites seen in that tree.
//!
//! Runs that record lock the campaign directory (`flock`) from reading the
//! state to saving it, write every file atomically and durably, and remove
//! what killed runs left behind; reports and series are never written
//! inside the campaign directory.
//!
//! [`Ledger`] records scans (`unplug scan --campaign`), series
//! (`unplug series`) and verification results (`unplug verify --json`);
//! [`render`] turns it into Markdown, HTML or JSON; [`check`] guards against
//! new users of a retired interface. See `reports/README.md` for the file
//! formats and the state machine.

pub mod campaign;
pub mod check;
pub mod ledger;
pub mod render;
pub mod scan;
mod util;

pub use campaign::{CheckOptions, ReportOptions, ReportRun, DEFAULT_CAMPAIGN};
pub use check::{check_patch, check_tree, CheckResult, NewUser};
pub use ledger::{Ledger, ScanSummary, SiteRecord, SiteState, LEDGER_FILE, LEDGER_SCHEMA};
pub use render::{render, render_with, Format, RenderOptions};
pub use util::set_lock_wait_notice;
