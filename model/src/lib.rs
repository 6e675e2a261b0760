//! `model`: the documents that cross crate boundaries, typed.
//!
//! Owns the wire formats one stage hands to the next: the scan document
//! (`unplug-scan/1`: sites, findings, interface status; written by the
//! rewriter's run, read by the ledger), the series report as the ledger
//! imports it (`series.json`), and the verifier's outcomes
//! (`unplug verify --json`, `unplug-verify-results/1`). Each is
//! `Serialize + Deserialize`; documents carry their schema id.
//!
//! May not: read files, run anything, print, or depend on another crate of
//! the workspace. Every other crate may depend on it.

pub mod scan;
pub mod series;
pub mod verify;

pub use scan::{
    Finding, InterfaceStatus, Note, ScanDoc, ScanStats, Severity, Site, TreeId, Verdict,
};
