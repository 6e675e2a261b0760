//! Campaign ledger and progress reports (being built).
