//! Built-in transforms: conversions that need more than a rule can say
//! (following a callback across files, changing a function's type with all
//! its prototypes and users). Keep this list short; each is documented in
//! `patterns/README.md`. They run on the engine's services
//! (`crate::services`); this module holds the trait, the parameters a
//! pattern hands its transform, and the registry.

pub mod of_scoped;
pub mod platform_remove_void;

use crate::services::{TransformCtx, TransformOutput};
use std::sync::Mutex;

/// A conversion in Rust, over the engine's services (`TransformCtx`):
/// it finds sites and proposes edits; the engine applies them, refusing
/// any that touches a region the parser could not read.
pub trait Transform: Sync {
    fn name(&self) -> &'static str;
    fn run(&self, ctx: &TransformCtx) -> TransformOutput;
}

/// What a pattern hands its transform when it loads: its `parameters`,
/// and what they are checked against.
pub struct Parameters<'a> {
    /// The pattern's `parameters`, if it has them.
    pub value: Option<&'a serde_yaml::Value>,
    /// The pattern's `anchors` and `quiet-anchors`: a name a
    /// transform's sites start from must be one, or no file holding it is
    /// ever read.
    pub anchors: &'a [String],
    /// The file the pattern's `requires` reads.
    pub requires_file: Option<&'a str>,
}

/// Why a transform's parameters do not load: the path of the value at
/// fault under `parameters` (`iterators.2.macro`; empty: the mapping, or
/// the `transform` key when there is none) and what is wrong.
#[derive(Debug)]
pub struct ParamError {
    pub path: String,
    pub message: String,
}

impl ParamError {
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> ParamError {
        ParamError {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl Parameters<'_> {
    /// The parameters read into the transform's own type (which refuses
    /// unknown keys), the path of the value at fault on error.
    pub fn read<T: serde::de::DeserializeOwned>(&self, transform: &str) -> Result<T, ParamError> {
        let Some(value) = self.value else {
            return Err(ParamError::at(
                "",
                format!("the transform `{transform}` needs `parameters` (see patterns/README.md)"),
            ));
        };
        serde_path_to_error::deserialize(value.clone()).map_err(|e| {
            let path: Vec<String> = e
                .path()
                .iter()
                .map(|seg| match seg {
                    serde_path_to_error::Segment::Seq { index } => index.to_string(),
                    other => other.to_string(),
                })
                .collect();
            ParamError::at(path.join("."), e.into_inner().to_string())
        })
    }

    /// For a transform that takes no parameters: an error if it was given some.
    pub fn none(&self, transform: &str) -> Result<(), ParamError> {
        match self.value {
            None => Ok(()),
            Some(_) => Err(ParamError::at(
                "",
                format!("the transform `{transform}` takes no `parameters`"),
            )),
        }
    }

    /// An error unless `name` is one of the pattern's anchors.
    pub fn anchored(&self, name: &str, path: &str, what: &str) -> Result<(), ParamError> {
        if self.anchors.iter().any(|a| a == name) {
            return Ok(());
        }
        Err(ParamError::at(
            path,
            format!("{what} `{name}` is not among the pattern's `anchors` or `quiet-anchors`: no file holding it would be read"),
        ))
    }
}

/// An error at `path` (under `parameters`) unless `s` is a C name.
pub fn c_name(s: &str, path: &str) -> Result<(), ParamError> {
    let ok = !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match ok {
        true => Ok(()),
        false => Err(ParamError::at(path, format!("`{s}` is not a C name"))),
    }
}

/// What `kept` tells transforms apart by: the name, the parameters and
/// the file `requires` reads.
type KeptKey = (String, Option<serde_yaml::Value>, Option<String>);

/// The transform `make` builds from `params`, kept for the process (a
/// pattern holds a `&'static dyn Transform`): loads with equal parameters
/// share one, so loading the patterns again (each command, each test)
/// does not grow memory. `make` reads nothing but `params.value` and
/// `params.requires_file`.
pub fn kept(
    name: &str,
    params: &Parameters,
    make: impl FnOnce() -> Box<dyn Transform>,
) -> &'static dyn Transform {
    static KEPT: Mutex<Vec<(KeptKey, &'static dyn Transform)>> = Mutex::new(Vec::new());
    let key: KeptKey = (
        name.to_string(),
        params.value.cloned(),
        params.requires_file.map(str::to_string),
    );
    let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, t)) = kept.iter().find(|(k, _)| *k == key) {
        return *t;
    }
    let t: &'static dyn Transform = Box::leak(make());
    kept.push((key, t));
    t
}

/// Reads a pattern's parameters into a transform.
type Load = fn(&Parameters) -> Result<&'static dyn Transform, ParamError>;

const ALL: &[(&str, Load)] = &[
    ("platform-remove-void", load_platform_remove_void),
    ("of-node-scoped-iterators", of_scoped::load),
];

/// `platform-remove-void` takes no parameters.
fn load_platform_remove_void(params: &Parameters) -> Result<&'static dyn Transform, ParamError> {
    params.none("platform-remove-void")?;
    Ok(&platform_remove_void::PlatformRemoveVoid)
}

/// The built-in transform `name` configured by `params`; `None` when
/// there is no such transform.
pub fn load(name: &str, params: &Parameters) -> Option<Result<&'static dyn Transform, ParamError>> {
    ALL.iter()
        .find(|(n, _)| *n == name)
        .map(|(_, load)| load(params))
}

pub fn names() -> Vec<&'static str> {
    ALL.iter().map(|(n, _)| *n).collect()
}

/// The `parameters` of a pattern file compiled into unplug, for tests.
#[cfg(test)]
pub(crate) fn builtin_parameters<T: serde::de::DeserializeOwned>(file: &str) -> T {
    let (_, text) = (crate::pattern::BUILTIN.iter())
        .find(|(name, _)| *name == file)
        .expect("a built-in pattern file");
    let v: serde_yaml::Value = serde_yaml::from_str(text).expect("built-ins parse");
    serde_yaml::from_value(v["parameters"].clone()).expect("built-in parameters load")
}
