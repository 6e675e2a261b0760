//! What a caller asks of one run. Its own module so that the engine and
//! the transforms both depend on it instead of on each other.

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Subdirectories of the tree to restrict the walk to.
    pub paths: Vec<String>,
    /// Rewrite even where the tree lacks the target interface (for series
    /// that go on top of the core change).
    pub assume_api: bool,
    /// platform-remove-void: drop callbacks that become empty.
    pub drop_empty: bool,
    /// Show a progress bar (the caller decides: only on a TTY).
    pub progress: bool,
}
