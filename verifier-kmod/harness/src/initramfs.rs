//! The guest's initramfs: static busybox, /init, our modules and the
//! dependency closure of the kernel modules a scenario needs, with a
//! modules.dep made on the host (the image package has none).

use crate::kbuild;
use crate::packages::Kernel;
use anyhow::{anyhow, bail, Context, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every module file of the image by kernel name (`-` folded to `_`).
pub fn module_index(kernel: &Kernel) -> Result<BTreeMap<String, PathBuf>> {
    let mut idx = BTreeMap::new();
    let mut stack = vec![kernel.modules.join("kernel")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains(".ko"))
            {
                idx.insert(kbuild::module_name(&p), p);
            }
        }
    }
    Ok(idx)
}

/// Names of built-in modules (`modules.builtin`), which need no file. A
/// kernel without the file has none; one that cannot be read is an error
/// (every built-in module would otherwise be looked for as a file).
fn builtins(kernel: &Kernel) -> Result<BTreeSet<String>> {
    let path = kernel.modules.join("modules.builtin");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("{}: cannot read", path.display())),
    };
    Ok(text
        .lines()
        .map(|l| kbuild::module_name(Path::new(l)))
        .collect())
}

/// The modules named plus everything they depend on.
pub fn closure(
    kernel: &Kernel,
    idx: &BTreeMap<String, PathBuf>,
    names: &[String],
    extra_deps: &[String],
) -> Result<Vec<PathBuf>> {
    let built_in = builtins(kernel)?;
    let mut seen = BTreeSet::new();
    let mut out = vec![];
    let mut todo: Vec<String> = names
        .iter()
        .chain(extra_deps)
        .map(|n| n.replace('-', "_"))
        .collect();
    while let Some(n) = todo.pop() {
        if !seen.insert(n.clone()) || built_in.contains(&n) {
            continue;
        }
        let p = idx.get(&n).ok_or_else(|| {
            anyhow!(
                "kernel {} has no module {n:?} (neither built in nor in lib/modules)",
                kernel.krel
            )
        })?;
        for d in kbuild::modinfo(p, "depends")?
            .split(',')
            .filter(|d| !d.is_empty())
        {
            todo.push(d.replace('-', "_"));
        }
        out.push(p.clone());
    }
    Ok(out)
}

/// A static busybox: the dynamic one cannot run without a libc in the guest.
pub fn find_busybox() -> Result<PathBuf> {
    for c in ["/bin/busybox", "/usr/bin/busybox"] {
        let p = PathBuf::from(c);
        if let Ok(bytes) = std::fs::read(&p) {
            if bytes.windows(14).any(|w| w == b"/lib64/ld-linu") {
                bail!("{c} is dynamically linked: install busybox-static");
            }
            return Ok(p);
        }
    }
    bail!("busybox not found: install busybox-static")
}

pub struct Spec<'a> {
    pub kernel: &'a Kernel,
    pub init: &'a str,
    /// Kernel modules of the image (closure already computed).
    pub kernel_modules: &'a [PathBuf],
    /// Our modules, installed under `extra/`.
    pub extra: &'a [PathBuf],
}

/// Build the initramfs (uncompressed newc cpio) at `out`.
pub fn build(spec: &Spec, out: &Path) -> Result<()> {
    let stage = tempfile::tempdir()?;
    let root = stage.path();
    let krel = &spec.kernel.krel;
    let mdir = root.join("lib/modules").join(krel);
    for d in ["bin", "sbin", "proc", "sys", "dev", "tmp", "run"] {
        std::fs::create_dir_all(root.join(d))?;
    }
    std::fs::create_dir_all(mdir.join("extra"))?;
    std::fs::copy(find_busybox()?, root.join("bin/busybox"))?;
    std::fs::write(root.join("init"), spec.init)?;
    std::fs::set_permissions(root.join("init"), std::fs::Permissions::from_mode(0o755))?;

    for p in spec.kernel_modules {
        let rel = p.strip_prefix(&spec.kernel.modules).unwrap_or(p);
        let name = rel.to_string_lossy();
        let dest = mdir.join(name.trim_end_matches(".xz").trim_end_matches(".zst"));
        std::fs::create_dir_all(dest.parent().unwrap())?;
        decompress(p, &dest)?;
    }
    for p in spec.extra {
        std::fs::copy(
            p,
            mdir.join("extra")
                .join(format!("{}.ko", kbuild::module_name(p))),
        )?;
    }
    for f in [
        "modules.order",
        "modules.builtin",
        "modules.builtin.modinfo",
    ] {
        let src = spec.kernel.modules.join(f);
        if src.exists() {
            std::fs::copy(&src, mdir.join(f))?;
        }
    }
    let st = Command::new(root.join("bin/busybox"))
        .args(["depmod", "-b"])
        .arg(root)
        .arg(krel)
        .status()
        .context("running busybox depmod")?;
    if !st.success() {
        bail!("busybox depmod failed for {krel}");
    }
    let mut w = std::io::BufWriter::new(std::fs::File::create(out)?);
    write_cpio(root, &mut w)?;
    w.flush()?;
    Ok(())
}

/// Busybox loads .ko.xz only after a failed finit_module: decompress here.
fn decompress(src: &Path, dest: &Path) -> Result<()> {
    let name = src.to_string_lossy();
    let tool = if name.ends_with(".xz") {
        "xz"
    } else if name.ends_with(".zst") {
        "zstd"
    } else {
        std::fs::copy(src, dest)?;
        return Ok(());
    };
    let out = Command::new(tool)
        .arg("-dc")
        .arg(src)
        .output()
        .with_context(|| format!("running {tool}"))?;
    if !out.status.success() {
        bail!("{tool} -dc {} failed", src.display());
    }
    std::fs::write(dest, out.stdout)?;
    Ok(())
}

fn cpio_entry(
    w: &mut dyn Write,
    ino: u32,
    name: &str,
    mode: u32,
    data: &[u8],
    rdev: (u32, u32),
) -> Result<()> {
    let namesize = name.len() + 1;
    write!(
        w,
        "070701{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}",
        ino,
        mode,
        0,
        0,
        1,
        0,
        data.len(),
        0,
        0,
        rdev.0,
        rdev.1,
        namesize,
        0
    )?;
    w.write_all(name.as_bytes())?;
    w.write_all(&[0])?;
    let pad = |n: usize| (4 - n % 4) % 4;
    w.write_all(&[0u8; 4][..pad(110 + namesize)])?;
    w.write_all(data)?;
    w.write_all(&[0u8; 4][..pad(data.len())])?;
    Ok(())
}

/// newc archive of a directory tree, plus /dev/console so init has stdio.
pub fn write_cpio(root: &Path, w: &mut dyn Write) -> Result<()> {
    let mut ino = 1;
    let mut stack = vec![PathBuf::new()];
    let mut entries = vec![];
    while let Some(rel) = stack.pop() {
        let full = root.join(&rel);
        let mut names: Vec<_> = std::fs::read_dir(&full)?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        names.sort();
        for n in names {
            let r = rel.join(&n);
            let md = std::fs::symlink_metadata(root.join(&r))?;
            entries.push((r.clone(), md.clone()));
            if md.is_dir() {
                stack.push(r);
            }
        }
    }
    for (rel, md) in entries {
        let name = rel.to_string_lossy().to_string();
        let perm = md.permissions().mode() & 0o7777;
        if md.is_dir() {
            cpio_entry(w, ino, &name, 0o040000 | perm, &[], (0, 0))?;
        } else if md.file_type().is_symlink() {
            let t = std::fs::read_link(root.join(&rel))?;
            cpio_entry(
                w,
                ino,
                &name,
                0o120777,
                t.to_string_lossy().as_bytes(),
                (0, 0),
            )?;
        } else {
            let data = std::fs::read(root.join(&rel))?;
            cpio_entry(w, ino, &name, 0o100000 | perm, &data, (0, 0))?;
        }
        ino += 1;
    }
    cpio_entry(w, ino, "dev/console", 0o020600, &[], (5, 1))?;
    cpio_entry(w, 0, "TRAILER!!!", 0, &[], (0, 0))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel_with_modules(dir: &Path) -> Kernel {
        Kernel {
            krel: "6.1.0-test".into(),
            label: "test".into(),
            vmlinuz: dir.join("vmlinuz"),
            modules: dir.to_path_buf(),
            headers: None,
        }
    }

    #[test]
    fn an_unreadable_builtin_list_is_an_error_a_missing_one_is_empty() {
        let d = tempfile::tempdir().unwrap();
        let k = kernel_with_modules(d.path());
        assert!(builtins(&k).unwrap().is_empty());
        std::fs::write(
            d.path().join("modules.builtin"),
            "kernel/drivers/a/b_c.ko\n",
        )
        .unwrap();
        assert!(builtins(&k).unwrap().contains("b_c"));
        std::fs::remove_file(d.path().join("modules.builtin")).unwrap();
        // A directory where the list should be: the read fails.
        std::fs::create_dir(d.path().join("modules.builtin")).unwrap();
        let e = format!("{:#}", builtins(&k).unwrap_err());
        assert!(e.contains("modules.builtin: cannot read"), "{e}");
        assert!(closure(&k, &BTreeMap::new(), &[], &[]).is_err());
    }

    #[test]
    fn cpio_is_aligned_newc() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("bin")).unwrap();
        std::fs::write(d.path().join("bin/x"), b"hello").unwrap();
        let mut v = vec![];
        write_cpio(d.path(), &mut v).unwrap();
        assert!(v.starts_with(b"070701"));
        assert_eq!(v.len() % 4, 0);
        let s = String::from_utf8_lossy(&v);
        assert!(s.contains("bin/x\0"));
        assert!(s.contains("hello"));
        assert!(s.contains("dev/console\0"));
        assert!(s.contains("TRAILER!!!\0"));
        // The file entry announces five bytes of data.
        let at = s.find("bin/x\0").unwrap();
        let hdr = &s[at - 110..at];
        assert_eq!(&hdr[54..62], "00000005");
    }
}
