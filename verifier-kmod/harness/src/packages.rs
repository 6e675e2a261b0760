//! Debian test kernels: resolve the current ABI, download and unpack the
//! image and headers into a private cache.  Nothing is ever installed.

use anyhow::{anyhow, bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Series {
    V6_1,
    V6_12,
}

impl Series {
    pub fn parse(s: &str) -> Result<Series> {
        match s {
            "6.1" => Ok(Series::V6_1),
            "6.12" => Ok(Series::V6_12),
            _ => bail!("unknown kernel series {s:?} (known: 6.1, 6.12)"),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Series::V6_1 => "6.1",
            Series::V6_12 => "6.12",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavour {
    Cloud,
    Generic,
}

impl Flavour {
    pub fn parse(s: &str) -> Result<Flavour> {
        match s {
            "cloud" => Ok(Flavour::Cloud),
            "generic" => Ok(Flavour::Generic),
            _ => bail!("unknown flavour {s:?} (known: cloud, generic)"),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Flavour::Cloud => "cloud",
            Flavour::Generic => "generic",
        }
    }
}

/// The headers meta-package that always depends on the current ABI.
pub fn meta_package(series: Series, flavour: Flavour) -> &'static str {
    match (series, flavour) {
        (Series::V6_1, Flavour::Cloud) => "linux-headers-cloud-amd64",
        (Series::V6_1, Flavour::Generic) => "linux-headers-amd64",
        (Series::V6_12, Flavour::Cloud) => "linux-headers-6.12-cloud-amd64",
        (Series::V6_12, Flavour::Generic) => "linux-headers-6.12-amd64",
    }
}

/// An unpacked test kernel.
#[derive(Debug, Clone)]
pub struct Kernel {
    /// e.g. `6.12.117+deb12-cloud-amd64`
    pub krel: String,
    pub label: String,
    pub vmlinuz: PathBuf,
    /// `lib/modules/<krel>` of the image.
    pub modules: PathBuf,
    /// `usr/src/linux-headers-<krel>`, ready for `make -C`.
    pub headers: Option<PathBuf>,
}

pub fn cache_root() -> PathBuf {
    if let Some(x) = std::env::var_os("UNPLUG_CACHE") {
        return PathBuf::from(x);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    base.join("unplug")
}

/// `Depends:` lines of `apt-cache depends`, in order.
pub fn parse_depends(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.trim().trim_start_matches('|').strip_prefix("Depends: "))
        .map(|s| s.trim().to_string())
        .collect()
}

fn apt_depends(pkg: &str) -> Result<Vec<String>> {
    let out = Command::new("apt-cache")
        .args(["depends", pkg])
        .output()
        .context("running apt-cache (is this a Debian system?)")?;
    let deps = parse_depends(&String::from_utf8_lossy(&out.stdout));
    if !out.status.success() || deps.is_empty() {
        bail!(
            "kernel package {pkg} not found by apt-cache ({}); run `apt-get update`",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(deps)
}

/// Resolve, fetch and unpack the kernel of a series and flavour.
pub fn fetch(series: Series, flavour: Flavour, progress: &dyn Fn(&str)) -> Result<Kernel> {
    let cache = cache_root();
    let stamp = cache.join(format!("{}-{}.krel", series.as_str(), flavour.as_str()));
    let meta = meta_package(series, flavour);
    let krel = match apt_depends(meta) {
        Ok(deps) => {
            let krel = deps
                .iter()
                .find_map(|d| d.strip_prefix("linux-headers-"))
                .ok_or_else(|| anyhow!("{meta} has no linux-headers-<krel> dependency"))?
                .to_string();
            std::fs::create_dir_all(&cache)?;
            std::fs::write(&stamp, &krel)?;
            krel
        }
        // Offline: the last resolved ABI is still good if it was unpacked.
        Err(e) => match std::fs::read_to_string(&stamp) {
            Ok(k) if cache.join(k.trim()).join("image/.done").exists() => k.trim().to_string(),
            _ => return Err(e),
        },
    };
    let dir = cache.join(&krel);
    let image = dir.join("image");
    let root = dir.join("root");
    if !image.join(".done").exists() || !root.join(".done").exists() {
        progress(&format!("fetching Debian kernel {krel}"));
        let hdeps = apt_depends(&format!("linux-headers-{krel}"))?;
        let common = hdeps
            .iter()
            .find(|d| d.starts_with("linux-headers-") && d.ends_with("-common"))
            .ok_or_else(|| anyhow!("linux-headers-{krel} has no -common dependency"))?;
        let kbuild = hdeps
            .iter()
            .find(|d| d.starts_with("linux-kbuild-"))
            .ok_or_else(|| anyhow!("linux-headers-{krel} has no linux-kbuild dependency"))?;
        let debs = cache.join("debs");
        std::fs::create_dir_all(&debs)?;
        let img = download(&debs, &format!("linux-image-{krel}-unsigned"))?;
        let headers = [
            download(&debs, &format!("linux-headers-{krel}"))?,
            download(&debs, common)?,
            download(&debs, kbuild)?,
        ];
        if !image.join(".done").exists() {
            unpack(&img, &image)?;
            std::fs::write(image.join(".done"), "")?;
        }
        if !root.join(".done").exists() {
            for d in &headers {
                unpack(d, &root)?;
            }
            fix_headers_makefile(&root, &krel)?;
            std::fs::write(root.join(".done"), "")?;
        }
    }
    let k = from_tree(&image, Some(&root), &krel)?;
    Ok(Kernel {
        label: format!("{} {} ({krel})", series.as_str(), flavour.as_str()),
        ..k
    })
}

/// Debian's `linux-source-<series>` (the source of the test kernel),
/// fetched and unpacked into the cache like the kernel packages:
/// `unplug/src/<package>_<version>/linux-source-<series>`.
pub fn source_tree(series: Series, progress: &dyn Fn(&str)) -> Result<PathBuf> {
    let cache = cache_root();
    let debs = cache.join("debs");
    std::fs::create_dir_all(&debs)?;
    let pkg = format!("linux-source-{}", series.as_str());
    let deb = download(&debs, &pkg)?;
    let stem = deb.file_stem().unwrap().to_string_lossy().to_string();
    let dir = cache.join("src").join(&stem);
    let tree = dir.join(&pkg);
    if dir.join(".done").exists() {
        return Ok(tree);
    }
    progress(&format!("unpacking {stem}"));
    let _ = std::fs::remove_dir_all(&dir);
    unpack(&deb, &dir)?;
    let tarball = dir.join(format!("usr/src/{pkg}.tar.xz"));
    let st = Command::new("tar")
        .arg("-xJf")
        .arg(&tarball)
        .arg("-C")
        .arg(&dir)
        .status()
        .context("running tar")?;
    if !st.success() || !tree.join("Makefile").exists() {
        bail!("{}: unpacking {} failed", deb.display(), tarball.display());
    }
    std::fs::remove_dir_all(dir.join("usr"))?;
    std::fs::write(dir.join(".done"), "")?;
    Ok(tree)
}

/// A kernel given as a directory: `boot/vmlinuz-<krel>`, `lib/modules/<krel>`
/// and optionally `usr/src/linux-headers-<krel>` (same or `../root`).
pub fn from_path(path: &Path) -> Result<Kernel> {
    let image = if path.join("image").is_dir() {
        path.join("image")
    } else {
        path.to_path_buf()
    };
    let boot = image.join("boot");
    let krel = std::fs::read_dir(&boot)
        .with_context(|| format!("{}: not a kernel tree (no boot/)", path.display()))?
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_prefix("vmlinuz-")
                .map(String::from)
        })
        .next()
        .ok_or_else(|| anyhow!("{}: no boot/vmlinuz-*", boot.display()))?;
    let root = [image.clone(), path.join("root")]
        .into_iter()
        .find(|r| r.join(format!("usr/src/linux-headers-{krel}")).is_dir());
    let k = from_tree(&image, root.as_deref(), &krel)?;
    Ok(Kernel {
        label: format!("{} ({krel})", path.display()),
        ..k
    })
}

fn from_tree(image: &Path, root: Option<&Path>, krel: &str) -> Result<Kernel> {
    let vmlinuz = image.join(format!("boot/vmlinuz-{krel}"));
    let modules = image.join(format!("lib/modules/{krel}"));
    if !vmlinuz.exists() || !modules.is_dir() {
        bail!("{}: incomplete kernel image for {krel}", image.display());
    }
    let headers = root
        .map(|r| r.join(format!("usr/src/linux-headers-{krel}")))
        .filter(|h| h.is_dir());
    Ok(Kernel {
        krel: krel.to_string(),
        label: krel.to_string(),
        vmlinuz,
        modules,
        headers,
    })
}

fn download(debs: &Path, pkg: &str) -> Result<PathBuf> {
    let find = || -> Option<PathBuf> {
        std::fs::read_dir(debs)
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&format!("{pkg}_")) && n.ends_with(".deb"))
            })
    };
    if let Some(p) = find() {
        return Ok(p);
    }
    let out = Command::new("apt-get")
        .args(["download", "-q", pkg])
        .current_dir(debs)
        .output()
        .context("running apt-get download")?;
    if !out.status.success() {
        bail!(
            "kernel package {pkg} could not be downloaded: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    find().ok_or_else(|| anyhow!("apt-get download {pkg} left no .deb in {}", debs.display()))
}

fn unpack(deb: &Path, into: &Path) -> Result<()> {
    std::fs::create_dir_all(into)?;
    let st = Command::new("dpkg-deb")
        .arg("-x")
        .arg(deb)
        .arg(into)
        .status()
        .context("running dpkg-deb")?;
    if !st.success() {
        bail!("dpkg-deb -x {} failed", deb.display());
    }
    Ok(())
}

/// The flavour Makefile includes the -common one by absolute path.
fn fix_headers_makefile(root: &Path, krel: &str) -> Result<()> {
    let mk = root.join(format!("usr/src/linux-headers-{krel}/Makefile"));
    let text = std::fs::read_to_string(&mk).with_context(|| format!("reading {}", mk.display()))?;
    let prefix = format!("include {}/usr/src/", root.display());
    let fixed: String = text
        .lines()
        .map(|l| match l.strip_prefix("include /usr/src/") {
            Some(rest) => format!("{prefix}{rest}\n"),
            None => format!("{l}\n"),
        })
        .collect();
    std::fs::write(&mk, fixed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depends_lines() {
        let out = "linux-headers-6.12-cloud-amd64\n  Depends: linux-headers-6.12.117+deb12-cloud-amd64\n |Depends: linux-image-x\n  Recommends: y\n";
        assert_eq!(
            parse_depends(out),
            vec!["linux-headers-6.12.117+deb12-cloud-amd64", "linux-image-x"]
        );
    }

    #[test]
    fn missing_package_is_a_clear_error() {
        if Command::new("apt-cache").arg("--version").output().is_err() {
            return; // not a Debian host
        }
        let e = apt_depends("linux-headers-6.99.0-unplug-missing-amd64")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("kernel package linux-headers-6.99.0-unplug-missing-amd64 not found"),
            "{e}"
        );
    }

    #[test]
    fn series_and_flavour() {
        assert_eq!(Series::parse("6.12").unwrap(), Series::V6_12);
        assert!(Series::parse("6.2").is_err());
        assert_eq!(
            meta_package(Series::V6_1, Flavour::Generic),
            "linux-headers-amd64"
        );
    }

    #[test]
    fn makefile_fixup() {
        let d = tempfile::tempdir().unwrap();
        let h = d.path().join("usr/src/linux-headers-k");
        std::fs::create_dir_all(&h).unwrap();
        std::fs::write(
            h.join("Makefile"),
            "include /usr/src/linux-headers-c/Makefile\nX=1\n",
        )
        .unwrap();
        fix_headers_makefile(d.path(), "k").unwrap();
        let t = std::fs::read_to_string(h.join("Makefile")).unwrap();
        assert_eq!(
            t,
            format!(
                "include {}/usr/src/linux-headers-c/Makefile\nX=1\n",
                d.path().display()
            )
        );
    }
}
