//! Subject prefixes ("gpio: mvebu:", "hwrng: xgene -", "drm/mediatek:").
//!
//! Order of precedence:
//! 1. an override (`SeriesOptions::prefix_overrides`) whose key is the
//!    file's path, a directory prefix of it (longest wins), or the name of
//!    the owning MAINTAINERS section;
//! 2. the most common prefix of the last subjects touching the file in the
//!    tree's git history (`git log --no-merges --format=%s -- <file>`);
//! 3. a prefix derived from the path.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;

/// How many recent subjects are looked at per file.
pub const HISTORY_DEPTH: usize = 40;

/// Extracts the prefix of one subject: the leading `word: ` components
/// (each without blanks), plus a trailing `name -` as crypto/hwrng write it.
/// Returns None when the subject has no prefix.
pub fn subject_prefix(subject: &str) -> Option<String> {
    let s = subject.trim();
    if s.starts_with("Revert ") || s.starts_with("Merge ") {
        return None;
    }
    let mut comps: Vec<&str> = Vec::new();
    let mut rest = s;
    loop {
        match rest.find(": ") {
            Some(i) if i > 0 && !rest[..i].contains(char::is_whitespace) && comps.len() < 5 => {
                comps.push(&rest[..i]);
                rest = &rest[i + 2..];
            }
            _ => break,
        }
    }
    // "hwrng: xgene - Fix" / "crypto: caam - add"
    let dash = rest
        .find(" - ")
        .filter(|&i| i > 0 && !rest[..i].contains(char::is_whitespace));
    if comps.is_empty() {
        return None;
    }
    let mut p = comps
        .iter()
        .map(|c| format!("{c}:"))
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(i) = dash {
        p = format!("{p} {} -", &rest[..i]);
    }
    Some(p)
}

/// Picks the most common prefix among subjects (ties: the one seen first,
/// i.e. the most recent).  Subsystem-wide subjects ("gpio: Use ...") are
/// common in a driver's history; when the winner has a more specific
/// extension ("gpio: mvebu:") seen at least twice or at least 40% as often,
/// the most common such extension wins instead.
pub fn most_common_prefix<'a>(subjects: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut counts: HashMap<String, (usize, usize)> = HashMap::new();
    for (i, s) in subjects.into_iter().enumerate() {
        if let Some(p) = subject_prefix(s) {
            if p == "treewide:" || p.starts_with("Revert") {
                continue;
            }
            let e = counts.entry(p).or_insert((0, i));
            e.0 += 1;
        }
    }
    let best = |it: &mut dyn Iterator<Item = (&String, &(usize, usize))>| {
        it.max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.1 .1.cmp(&a.1 .1)))
            .map(|(p, c)| (p.clone(), c.0))
    };
    let (top, n) = best(&mut counts.iter())?;
    let ext = best(
        &mut counts
            .iter()
            .filter(|(p, _)| p.starts_with(&format!("{top} "))),
    );
    match ext {
        Some((e, m)) if m >= 2 || m * 10 >= n * 4 => Some(e),
        _ => Some(top),
    }
}

/// Is `tree` the top of a git work tree?  (A tree that merely sits inside
/// another repository, like a test fixture, has no history of its own.)
pub fn is_git_tree(tree: &Path) -> bool {
    let Ok(o) = Command::new("git")
        .arg("-C")
        .arg(tree)
        .args(["rev-parse", "--show-toplevel"])
        .output()
    else {
        return false;
    };
    if !o.status.success() {
        return false;
    }
    let top = String::from_utf8_lossy(&o.stdout).trim().to_string();
    match (std::fs::canonicalize(&top), std::fs::canonicalize(tree)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Recent subjects of commits touching `file`.
pub fn git_subjects(tree: &Path, file: &str) -> Vec<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(tree)
        .args(["log", "--no-merges", "--format=%s", "-n"])
        .arg(HISTORY_DEPTH.to_string())
        .arg("--")
        .arg(file)
        .output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| l.to_string())
            .collect(),
        _ => Vec::new(),
    }
}

/// Directories whose files are named after the subsystem with no further
/// meaning ("busses", "host").
const NEUTRAL_DIRS: &[&str] = &[
    "busses",
    "host",
    "controllers",
    "chips",
    "algos",
    "master",
    "muxes",
];

/// Special path families, as (path prefix, template).  `{dir}` is the first
/// directory below the prefix (or the stem if the file sits directly in it),
/// `{name}` the file stem.
const PATH_TEMPLATES: &[(&str, &str)] = &[
    ("drivers/gpu/drm/", "drm/{dir}:"),
    ("drivers/char/hw_random/", "hwrng: {name} -"),
    ("drivers/crypto/", "crypto: {dir} -"),
    ("drivers/mtd/nand/raw/", "mtd: rawnand: {dir}:"),
    ("drivers/input/", "Input: {name} -"),
    ("drivers/iio/", "iio: {dir}: {name}:"),
    ("drivers/mtd/nand/spi/", "mtd: spinand: {name}:"),
    ("drivers/net/ethernet/", "net: ethernet: {drv}:"),
    ("drivers/net/wireless/", "wifi: {dir}:"),
    ("drivers/media/platform/", "media: {dir}:"),
    ("drivers/media/", "media: {name}:"),
    ("drivers/staging/", "staging: {dir}:"),
    ("sound/soc/codecs/", "ASoC: codecs: {name}:"),
    ("sound/soc/", "ASoC: {dir}:"),
    ("arch/arm/", "ARM: {dir}:"),
    ("arch/arm64/", "arm64: {dir}:"),
];

fn stem(path: &str) -> &str {
    let base = path.rsplit('/').next().unwrap_or(path);
    match base.rfind('.') {
        Some(i) if i > 0 => &base[..i],
        _ => base,
    }
}

/// Strips the subsystem name from a driver stem: `gpio-mvebu` -> `mvebu`,
/// `i2c_foo` -> `foo`, `xgene-rng` with sub "rng" -> `xgene`.
pub fn strip_subsystem(stem: &str, sub: &str) -> String {
    let variants = [
        sub.to_string(),
        sub.replace('-', "_"),
        sub.replace('_', "-"),
    ];
    for v in &variants {
        for sep in ['-', '_'] {
            if let Some(r) = stem.strip_prefix(&format!("{v}{sep}")) {
                if !r.is_empty() {
                    return r.to_string();
                }
            }
            if let Some(r) = stem.strip_suffix(&format!("{sep}{v}")) {
                if !r.is_empty() {
                    return r.to_string();
                }
            }
        }
    }
    stem.to_string()
}

/// Drops suffixes that say nothing about the driver (`altera_tse_main`).
fn strip_noise(name: &str) -> String {
    for suf in [
        "-nand-controller",
        "_nand_controller",
        "_nand",
        "-nand",
        "_main",
        "-main",
        "_drv",
        "-drv",
    ] {
        if let Some(r) = name.strip_suffix(suf) {
            if !r.is_empty() {
                return r.to_string();
            }
        }
    }
    name.to_string()
}

/// Derives a prefix from the path alone.
pub fn path_prefix(path: &str) -> String {
    for (base, tmpl) in PATH_TEMPLATES {
        if let Some(rest) = path.strip_prefix(base) {
            let parts: Vec<&str> = rest.split('/').collect();
            let st = stem(path);
            let dir = if parts.len() > 1 {
                parts[0].to_string()
            } else {
                st.to_string()
            };
            let sub = base.trim_end_matches('/').rsplit('/').next().unwrap_or("");
            let name = match *base {
                "drivers/char/hw_random/" => strip_subsystem(&strip_subsystem(st, "rng"), "hwrng"),
                _ => strip_noise(&strip_subsystem(&strip_subsystem(st, sub), parts[0])),
            };
            // a file directly below the base has no directory of its own
            let dir = if parts.len() > 1 { dir } else { name.clone() };
            // {drv}: the driver's own directory (vendor/driver/file.c) or the stem
            let drv = if parts.len() > 2 {
                parts[parts.len() - 2].to_string()
            } else {
                st.to_string()
            };
            return tmpl
                .replace("{dir}", &dir)
                .replace("{name}", &name)
                .replace("{drv}", &drv);
        }
    }
    let parts: Vec<&str> = path.split('/').collect();
    let st = stem(path);
    if parts.len() >= 3 && parts[0] == "drivers" {
        let sub = parts[1];
        // a driver in its own directory below the subsystem: use that dir
        let mid: Vec<&str> = parts[2..parts.len() - 1]
            .iter()
            .copied()
            .filter(|d| !NEUTRAL_DIRS.contains(d))
            .collect();
        let name = if let Some(d) = mid.last() {
            strip_subsystem(d, sub)
        } else {
            strip_subsystem(st, sub)
        };
        if name == sub || parts.len() == 3 && (st == sub || st == "core") {
            return format!("{sub}:");
        }
        return format!("{sub}: {name}:");
    }
    if parts.len() >= 2 {
        let sub = parts[parts.len() - 2];
        return format!("{sub}: {}:", strip_subsystem(st, sub));
    }
    format!("{st}:")
}

/// The shared part of several prefixes, component-wise ("gpio: a:" and
/// "gpio: b:" -> "gpio:").
pub fn common_prefix(prefixes: &[String]) -> Option<String> {
    let first = prefixes.first()?;
    if prefixes.iter().all(|p| p == first) {
        return Some(first.clone());
    }
    let split = |p: &str| {
        p.split_inclusive(": ")
            .map(|s| s.trim().to_string())
            .collect::<Vec<_>>()
    };
    let mut common = split(first);
    for p in &prefixes[1..] {
        let c = split(p);
        let n = common.iter().zip(&c).take_while(|(a, b)| a == b).count();
        common.truncate(n);
    }
    if common.is_empty() {
        // no shared component: take the subsystem component of the first
        return None;
    }
    let s = common.join(" ");
    Some(if s.ends_with(':') || s.ends_with('-') {
        s
    } else {
        format!("{s}:")
    })
}

/// Resolves prefixes for files of one tree, caching git lookups.
pub struct PrefixResolver<'a> {
    tree: &'a Path,
    git: bool,
    overrides: &'a BTreeMap<String, String>,
    cache: HashMap<String, (String, PrefixSource)>,
}

/// Where a prefix came from (reported in the JSON output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PrefixSource {
    Override,
    History,
    Path,
}

impl<'a> PrefixResolver<'a> {
    pub fn new(tree: &'a Path, overrides: &'a BTreeMap<String, String>) -> Self {
        PrefixResolver {
            tree,
            git: is_git_tree(tree),
            overrides,
            cache: HashMap::new(),
        }
    }

    fn normalize(p: &str) -> String {
        let p = p.trim();
        if p.ends_with(':') || p.ends_with(" -") {
            p.to_string()
        } else {
            format!("{p}:")
        }
    }

    /// Override lookup: exact path, longest directory prefix, section name.
    pub fn override_for(&self, file: &str, section: Option<&str>) -> Option<String> {
        if let Some(p) = self.overrides.get(file) {
            return Some(Self::normalize(p));
        }
        let mut best: Option<(&String, &String)> = None;
        for (k, v) in self.overrides {
            let k2 = k.trim_end_matches('/');
            if file.starts_with(&format!("{k2}/"))
                && best.map(|b| b.0.len() < k.len()).unwrap_or(true)
            {
                best = Some((k, v));
            }
        }
        if let Some((_, v)) = best {
            return Some(Self::normalize(v));
        }
        if let Some(s) = section {
            for (k, v) in self.overrides {
                if k.eq_ignore_ascii_case(s) {
                    return Some(Self::normalize(v));
                }
            }
        }
        None
    }

    pub fn for_file(&mut self, file: &str, section: Option<&str>) -> (String, PrefixSource) {
        if let Some(p) = self.override_for(file, section) {
            return (p, PrefixSource::Override);
        }
        if let Some(c) = self.cache.get(file) {
            return c.clone();
        }
        let mut r = (path_prefix(file), PrefixSource::Path);
        if self.git {
            let subj = git_subjects(self.tree, file);
            if let Some(p) = most_common_prefix(subj.iter().map(|s| s.as_str())) {
                r = (p, PrefixSource::History);
            }
        }
        self.cache.insert(file.to_string(), r.clone());
        r
    }

    /// Prefix for a patch touching several files.  The "main" file (the
    /// driver key if it is one of them) decides when they disagree.
    pub fn for_files(
        &mut self,
        files: &[String],
        main: Option<&str>,
        section: Option<&str>,
    ) -> (String, PrefixSource) {
        // only .c files speak for a driver when there are some
        let mut cands: Vec<&String> = files.iter().filter(|f| f.ends_with(".c")).collect();
        if cands.is_empty() {
            cands = files.iter().collect();
        }
        if let Some(m) = main {
            if let Some(f) = cands.iter().find(|f| f.as_str() == m) {
                if cands.len() == 1 {
                    return self.for_file(f, section);
                }
            }
        }
        let got: Vec<(String, PrefixSource)> =
            cands.iter().map(|f| self.for_file(f, section)).collect();
        let ps: Vec<String> = got.iter().map(|g| g.0.clone()).collect();
        let src = got.first().map(|g| g.1).unwrap_or(PrefixSource::Path);
        if let Some(p) = common_prefix(&ps) {
            return (p, src);
        }
        // no shared part: the driver's own file speaks for the patch
        if let Some(i) = main.and_then(|m| cands.iter().position(|f| f.as_str() == m)) {
            return got[i].clone();
        }
        got.into_iter()
            .next()
            .unwrap_or(("".into(), PrefixSource::Path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_prefixes() {
        assert_eq!(
            subject_prefix("gpio: mvebu: Convert to x").as_deref(),
            Some("gpio: mvebu:")
        );
        assert_eq!(
            subject_prefix("hwrng: xgene - Use devm").as_deref(),
            Some("hwrng: xgene -")
        );
        assert_eq!(
            subject_prefix("drm/mediatek: Fix it").as_deref(),
            Some("drm/mediatek:")
        );
        assert_eq!(
            subject_prefix("mtd: rawnand: atmel: Do it").as_deref(),
            Some("mtd: rawnand: atmel:")
        );
        assert_eq!(subject_prefix("Fix the thing: really"), None);
    }

    #[test]
    fn path_prefixes() {
        assert_eq!(path_prefix("drivers/gpio/gpio-mvebu.c"), "gpio: mvebu:");
        assert_eq!(path_prefix("drivers/i2c/busses/i2c-foo.c"), "i2c: foo:");
        assert_eq!(path_prefix("drivers/spi/spi-bar.c"), "spi: bar:");
        assert_eq!(
            path_prefix("drivers/gpu/drm/mediatek/mtk_dsi.c"),
            "drm/mediatek:"
        );
        assert_eq!(
            path_prefix("drivers/char/hw_random/xgene-rng.c"),
            "hwrng: xgene -"
        );
        assert_eq!(
            path_prefix("drivers/net/ethernet/renesas/rtsn.c"),
            "net: ethernet: rtsn:"
        );
        assert_eq!(
            path_prefix("drivers/net/ethernet/intel/e1000e/netdev.c"),
            "net: ethernet: e1000e:"
        );
        assert_eq!(
            path_prefix("drivers/mtd/nand/raw/atmel/nand-controller.c"),
            "mtd: rawnand: atmel:"
        );
    }

    #[test]
    fn specific_prefix_beats_subsystem_wide_ones() {
        let subj = [
            "gpio: Use a",
            "gpio: mvebu: Fix b",
            "gpio: Use c",
            "gpio: mvebu: Do d",
            "gpio: Drop e",
        ];
        assert_eq!(most_common_prefix(subj).as_deref(), Some("gpio: mvebu:"));
        let subj = [
            "gpio: Use a",
            "gpio: Use c",
            "gpio: Drop e",
            "gpio: Drop f",
            "gpio: Drop g",
            "gpio: x: once",
        ];
        assert_eq!(most_common_prefix(subj).as_deref(), Some("gpio:"));
    }

    #[test]
    fn common() {
        assert_eq!(
            common_prefix(&["gpio: a:".into(), "gpio: b:".into()]).as_deref(),
            Some("gpio:")
        );
        assert_eq!(common_prefix(&["gpio: a:".into(), "spi: b:".into()]), None);
    }
}
