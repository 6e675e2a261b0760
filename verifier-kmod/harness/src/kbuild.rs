//! Out-of-tree module builds against the unpacked Debian headers, cached
//! by a hash of the sources, and the vermagic check for prebuilt modules.

use crate::packages::Kernel;
use anyhow::{anyhow, bail, Context, Result};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Source files of a Kbuild directory, sorted.
fn sources(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n == "Kbuild" || n.ends_with(".c") || n.ends_with(".h")
        })
        .collect();
    v.sort();
    if !v.iter().any(|p| p.ends_with("Kbuild")) {
        bail!("{}: no Kbuild file", dir.display());
    }
    Ok(v)
}

/// Build the modules of `src` for `kernel`; returns the .ko files. Each
/// compiler warning of a fresh build is told to `notice` as
/// `build warning: LINE` (the caller shows it; a cached build has none).
pub fn build(kernel: &Kernel, src: &Path, cache: &Path, notice: fn(&str)) -> Result<Vec<PathBuf>> {
    let headers = kernel.headers.as_ref().ok_or_else(|| {
        anyhow!(
            "no headers for {}: cannot build {}",
            kernel.krel,
            src.display()
        )
    })?;
    let files = sources(src)?;
    let mut h = DefaultHasher::new();
    kernel.krel.hash(&mut h);
    for f in &files {
        f.file_name().hash(&mut h);
        std::fs::read(f)?.hash(&mut h);
    }
    let name = src.file_name().and_then(|n| n.to_str()).unwrap_or("module");
    let out = cache
        .join(&kernel.krel)
        .join("build")
        .join(format!("{name}-{:016x}", h.finish()));
    // The build directory's listing: an error is the build's error.
    let kos = |d: &Path| -> Result<Vec<PathBuf>> {
        let mut v = vec![];
        for e in std::fs::read_dir(d).with_context(|| format!("{}: cannot list", d.display()))? {
            let p = e?.path();
            if p.extension().is_some_and(|x| x == "ko") {
                v.push(p);
            }
        }
        v.sort();
        Ok(v)
    };
    if out.join(".done").exists() {
        return kos(&out);
    }
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;
    for f in &files {
        std::fs::copy(f, out.join(f.file_name().unwrap()))?;
    }
    // Niced: the machine is shared, and a module build is no hurry.
    let res = Command::new("nice")
        .args(["-n", "10", "make", "-C"])
        .arg(headers)
        .arg(format!("M={}", out.display()))
        // Debian 6.12 headers want pahole for BTF; we do not need BTF.
        .args(["CONFIG_DEBUG_INFO_BTF_MODULES=", "-j2", "modules"])
        .output()
        .context("running make")?;
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&res.stdout),
        String::from_utf8_lossy(&res.stderr)
    );
    let log_file = out.join("build.log");
    std::fs::write(&log_file, &log)?;
    if !res.status.success() {
        let tail: Vec<&str> = log.lines().rev().take(25).collect();
        bail!(
            "building {} against {} failed (log: {}):\n{}",
            src.display(),
            kernel.krel,
            log_file.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    tell_warnings(&log, notice);
    std::fs::write(out.join(".done"), "")?;
    let v = kos(&out)?;
    if v.is_empty() {
        bail!("{}: the build produced no .ko", src.display());
    }
    Ok(v)
}

/// Tells `notice` each compiler warning line of a build log.
fn tell_warnings(log: &str, notice: fn(&str)) {
    for l in log.lines().filter(|l| l.contains("warning:")) {
        notice(&format!("build warning: {l}"));
    }
}

/// The modules of the verifier's build: `unplug_verify.ko`, and its test
/// modules (`test_unplug_verify.ko`), which scenarios load like fixtures.
pub fn split_verifier(kos: Vec<PathBuf>) -> Result<(PathBuf, Vec<PathBuf>)> {
    let (verifier, tests): (Vec<PathBuf>, Vec<PathBuf>) = kos
        .into_iter()
        .partition(|k| module_name(k) == "unplug_verify");
    let verifier = verifier
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("the verifier build produced no unplug_verify.ko"))?;
    Ok((verifier, tests))
}

/// The modules a Kbuild file builds (`obj-m` lines), without `.o`.
pub fn kbuild_modules(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("obj-m"))
        .flat_map(|l| l.split_whitespace())
        .filter_map(|w| w.strip_suffix(".o"))
        .collect()
}

/// `modinfo -F <field>` of a module file.
pub fn modinfo(ko: &Path, field: &str) -> Result<String> {
    let out = Command::new("modinfo")
        .args(["-F", field])
        .arg(ko)
        .output()
        .context("running modinfo (install kmod)")?;
    if !out.status.success() {
        bail!(
            "{}: not a kernel module ({})",
            ko.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Refuse a module built for another kernel before booting anything.
pub fn check_vermagic(ko: &Path, krel: &str) -> Result<()> {
    let vm = modinfo(ko, "vermagic")?;
    let built_for = vm.split_whitespace().next().unwrap_or("");
    if built_for != krel {
        bail!(
            "{} was built for kernel {:?}, not {krel}; rebuild it or pass its source directory",
            ko.display(),
            built_for
        );
    }
    Ok(())
}

/// Module name of a .ko file, as the kernel sees it.
pub fn module_name(ko: &Path) -> String {
    let stem = ko.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let stem = stem.split(".ko").next().unwrap_or(stem);
    stem.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(module_name(Path::new("/x/scsi-debug.ko.xz")), "scsi_debug");
        assert_eq!(module_name(Path::new("unplug_verify.ko")), "unplug_verify");
    }

    #[test]
    fn verifier_and_test_modules() {
        let kos = vec![
            PathBuf::from("/b/test_unplug_verify.ko"),
            PathBuf::from("/b/unplug_verify.ko"),
        ];
        let (v, t) = split_verifier(kos).unwrap();
        assert_eq!(v, PathBuf::from("/b/unplug_verify.ko"));
        assert_eq!(t, vec![PathBuf::from("/b/test_unplug_verify.ko")]);
        let err = split_verifier(vec![PathBuf::from("/b/x.ko")]).unwrap_err();
        assert!(err.to_string().contains("no unplug_verify.ko"), "{err}");
    }

    #[test]
    fn modules_of_a_kbuild() {
        let text = "obj-m += unplug_verify.o\nunplug_verify-y := uv_main.o uv_ops.o\nobj-m += test_unplug_verify.o\n";
        assert_eq!(
            kbuild_modules(text),
            ["unplug_verify", "test_unplug_verify"]
        );
    }

    #[test]
    fn needs_kbuild() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.c"), "").unwrap();
        assert!(sources(d.path())
            .unwrap_err()
            .to_string()
            .contains("no Kbuild"));
    }

    thread_local! {
        static TOLD: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(vec![]) };
    }

    fn record(msg: &str) {
        TOLD.with(|t| t.borrow_mut().push(msg.to_string()));
    }

    /// The library tells warnings to its caller instead of printing them,
    /// with the words the binary has always shown after `unplug verify: `.
    #[test]
    fn warnings_go_to_the_notice() {
        let log = "  CC [M]  /b/a.o\n/b/a.c:3:5: warning: unused variable 'x'\n  LD [M]  /b/a.ko\n";
        tell_warnings(log, record);
        assert_eq!(
            TOLD.with(|t| t.take()),
            ["build warning: /b/a.c:3:5: warning: unused variable 'x'"]
        );
    }
}
