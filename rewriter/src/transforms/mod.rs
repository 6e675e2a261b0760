//! Built-in transforms: conversions that need more than a rule can say
//! (following a callback across files, changing a function's type with all
//! its prototypes and users). Keep this list short; each is documented in
//! `patterns/README.md`.

pub mod c_util;
pub mod class_static;
pub mod of_scoped;
pub mod platform_remove_void;
pub mod sysfs_self_delete;
pub mod timer_shutdown;

use crate::edit::Edit;
use crate::model::{Finding, Site};
use crate::tree::SourceFile;
use std::collections::BTreeMap;
use std::path::Path;

/// What a transform sees.
pub struct TransformCtx<'a> {
    pub root: &'a Path,
    pub pattern_id: &'a str,
    /// Files that contain one of the pattern's anchors.
    pub candidates: &'a [SourceFile],
    /// Every source file of the walk (for cross-file lookups).
    pub all_files: &'a [String],
    pub options: &'a crate::engine::RunOptions,
}

/// What a transform yields: sites, and edits grouped by file with each
/// file's original bytes. Edit `site` fields index `sites`.
#[derive(Default)]
pub struct TransformOutput {
    pub sites: Vec<Site>,
    pub edits: BTreeMap<String, (Vec<u8>, Vec<Edit>)>,
    pub findings: Vec<Finding>,
}

impl TransformOutput {
    pub fn add_edit(&mut self, file: &str, original: &[u8], edit: Edit) {
        self.edits
            .entry(file.to_string())
            .or_insert_with(|| (original.to_vec(), Vec::new()))
            .1
            .push(edit);
    }
}

pub trait Transform: Sync {
    fn name(&self) -> &'static str;
    fn run(&self, ctx: &TransformCtx) -> TransformOutput;
}

const ALL: &[&dyn Transform] = &[
    &platform_remove_void::PlatformRemoveVoid,
    &class_static::ClassStatic,
    &timer_shutdown::TimerShutdown,
    &of_scoped::OfScoped,
    &sysfs_self_delete::SysfsSelfDelete,
];

pub fn by_name(name: &str) -> Option<&'static dyn Transform> {
    ALL.iter().copied().find(|t| t.name() == name)
}

pub fn names() -> Vec<&'static str> {
    ALL.iter().map(|t| t.name()).collect()
}
