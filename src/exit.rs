//! Exit codes, documented in README.md.

/// Everything ran; nothing went wrong.
pub const OK: u8 = 0;
/// The run completed, but something was not examined or not changed
/// (unreadable files, refused edits), a fixture failed, or a check found
/// new users of a retiring interface.
pub const FINDINGS: u8 = 1;
/// Bad invocation or bad input (a pattern that does not load, a tree
/// that does not exist): nothing was done.
pub const USAGE: u8 = 2;
