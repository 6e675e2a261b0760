//! The tree and the patterns a command runs on, shared by `scan`,
//! `rewrite` and `series`.

use std::path::PathBuf;

#[derive(clap::Args, Clone)]
pub struct Selection {
    /// The kernel source tree.
    pub tree: PathBuf,
    /// Campaign pattern id (repeatable; default: every pattern).
    #[arg(long = "pattern", value_name = "ID")]
    pub pattern_ids: Vec<String>,
    /// Restrict to this subdirectory of the tree (repeatable).
    #[arg(long = "path", value_name = "SUBDIR")]
    pub paths: Vec<String>,
    /// Rewrite even where the tree lacks the target interface (for series
    /// that go on top of the core change).
    #[arg(long)]
    pub assume_api: bool,
    /// platform-remove-void: remove callbacks that become empty, with their
    /// initializer line.
    #[arg(long)]
    pub drop_empty: bool,
}
