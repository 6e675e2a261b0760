//! `--check --build`: every object a change touches is compiled before and
//! after the change, with `W=1`, on the first architecture whose
//! `allmodconfig` builds it (x86_64 first, then cross compilers).
//!
//! * The user's tree is only read: builds run in a hard-link copy of it
//!   (`<cache>/<tree>/src`); a changed file is written there by rename
//!   (the link to the user's file is broken, never written through) and
//!   linked back afterwards.
//! * Per architecture one `O=` directory (`<cache>/<tree>/<arch>`),
//!   configured and prepared once; later runs only compile.
//! * Kbuild compiles a single object whatever the configuration says, so
//!   whether a configuration builds an object is read from the Makefiles
//!   (`obj-$(CONFIG_X) += name.o`, composite objects, the directories
//!   above) and the `.config`.
//! * All objects of an architecture are built in one `make -k -jN` run
//!   before, and one after, the changes; warnings are compared per file
//!   on their text without line and column (the change moves lines).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::DriverChange;

/// One architecture: kernel `ARCH=`, compiler prefix, extra config lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arch {
    /// Name in results and cache directories, e.g. `arm64`, `powerpc32`.
    pub name: String,
    pub karch: String,
    /// `CROSS_COMPILE=` (empty for the host compiler).
    pub cross: String,
    /// `allmodconfig` or `allyesconfig` (what builds a driver that
    /// depends on its bus being built in).
    pub target: String,
    /// Lines for `KCONFIG_ALLCONFIG` besides `CONFIG_WERROR=n`: a platform
    /// of a `choice` that the plain config leaves out.
    pub allconfig: Vec<String>,
}

impl Arch {
    fn new(name: &str, karch: &str, cross: &str, allconfig: &[&str]) -> Arch {
        Arch {
            name: name.into(),
            karch: karch.into(),
            cross: cross.into(),
            target: "allmodconfig".into(),
            allconfig: allconfig.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// What the results call the configuration.
    pub fn config_name(&self) -> String {
        if self.allconfig.is_empty() {
            self.target.clone()
        } else {
            format!("{} {}", self.target, self.allconfig.join(" "))
        }
    }

    fn compiler_found(&self) -> bool {
        Command::new(format!("{}gcc", self.cross))
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

/// The architectures tried, in order (Debian's cross compilers:
/// `gcc-aarch64-linux-gnu`, `gcc-arm-linux-gnueabihf`, ...); those whose
/// compiler is not installed are left out by [`available_arches`]. After
/// the plain `allmodconfig`s come variants for drivers of a platform a
/// `choice` leaves out (Alchemy, Octeon, 44x, ARMv5, ...), of 32-bit x86,
/// and `allyesconfig` for drivers that need their bus built in.
pub fn default_arches() -> Vec<Arch> {
    let mut yes = Arch::new("x86_64-allyes", "x86_64", "", &[]);
    yes.target = "allyesconfig".into();
    vec![
        Arch::new("x86_64", "x86_64", "", &[]),
        Arch::new("arm64", "arm64", "aarch64-linux-gnu-", &[]),
        Arch::new("arm", "arm", "arm-linux-gnueabihf-", &[]),
        Arch::new("riscv", "riscv", "riscv64-linux-gnu-", &[]),
        Arch::new("powerpc", "powerpc", "powerpc64-linux-gnu-", &[]),
        Arch::new(
            "powerpc32",
            "powerpc",
            "powerpc-linux-gnu-",
            &["CONFIG_PPC64=n"],
        ),
        Arch::new("mips", "mips", "mips-linux-gnu-", &[]),
        Arch::new("m68k", "m68k", "m68k-linux-gnu-", &[]),
        Arch::new("sh", "sh", "sh4-linux-gnu-", &[]),
        yes,
        Arch::new("i386", "i386", "", &[]),
        Arch::new(
            "arm-v5",
            "arm",
            "arm-linux-gnueabihf-",
            &[
                "CONFIG_ARCH_MULTI_V7=n",
                "CONFIG_ARCH_MULTI_V6=n",
                "CONFIG_ARCH_MULTI_V5=y",
            ],
        ),
        Arch::new(
            "powerpc44x",
            "powerpc",
            "powerpc-linux-gnu-",
            &["CONFIG_PPC64=n", "CONFIG_44x=y"],
        ),
        Arch::new(
            "mips-alchemy",
            "mips",
            "mips-linux-gnu-",
            &["CONFIG_MIPS_ALCHEMY=y"],
        ),
        Arch::new("mips-ath79", "mips", "mips-linux-gnu-", &["CONFIG_ATH79=y"]),
        Arch::new(
            "mips-lantiq",
            "mips",
            "mips-linux-gnu-",
            &["CONFIG_LANTIQ=y", "CONFIG_SOC_XWAY=y"],
        ),
        Arch::new(
            "mips-octeon",
            "mips",
            "mips-linux-gnu-",
            &["CONFIG_CAVIUM_OCTEON_SOC=y", "CONFIG_64BIT=y"],
        ),
        Arch::new(
            "sh-sh7760",
            "sh",
            "sh4-linux-gnu-",
            &["CONFIG_CPU_SUBTYPE_SH7760=y"],
        ),
    ]
}

/// `arches` whose compiler is installed, and the names of the others.
pub fn available_arches(arches: Vec<Arch>) -> (Vec<Arch>, Vec<String>) {
    let (found, missing): (Vec<Arch>, Vec<Arch>) =
        arches.into_iter().partition(Arch::compiler_found);
    (found, missing.into_iter().map(|a| a.name).collect())
}

/// Options of [`build_changes`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildOptions {
    /// Root of the cached source copies and `O=` directories.
    pub cache: PathBuf,
    pub arches: Vec<Arch>,
    /// `make -j` (objects compile in parallel).
    pub jobs: usize,
}

/// Outcome of one patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BuildStatus {
    /// Every touched object built after the change without new warnings.
    Built,
    /// No configuration tried builds an object (or it does not build before the change).
    NotBuilt,
    /// New warnings, or an object that built before fails after.
    Regression,
}

/// `build` object of a patch in series.json.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchBuild {
    pub status: BuildStatus,
    /// Architectures that built the objects.
    pub arch: Option<String>,
    pub config: Option<String>,
    pub objects: Vec<String>,
    pub new_warnings: Vec<String>,
    /// Why not built, or what failed.
    pub reason: Option<String>,
}

impl PatchBuild {
    fn not_built(objects: Vec<String>, reason: String) -> PatchBuild {
        PatchBuild {
            status: BuildStatus::NotBuilt,
            arch: None,
            config: None,
            objects,
            new_warnings: Vec::new(),
            reason: Some(reason),
        }
    }

    /// Several drivers in one patch: the worst status, everything listed.
    pub fn merge(parts: &[&PatchBuild]) -> Option<PatchBuild> {
        let worst = parts.iter().max_by_key(|b| b.status)?;
        let mut out = (*worst).clone();
        let join = |f: &dyn Fn(&PatchBuild) -> Option<String>| {
            let v: BTreeSet<String> = parts.iter().filter_map(|b| f(b)).collect();
            (!v.is_empty()).then(|| v.into_iter().collect::<Vec<_>>().join(", "))
        };
        out.arch = join(&|b| b.arch.clone());
        out.config = join(&|b| b.config.clone());
        out.objects = parts.iter().flat_map(|b| b.objects.clone()).collect();
        out.new_warnings = parts.iter().flat_map(|b| b.new_warnings.clone()).collect();
        out.reason = join(&|b| b.reason.clone());
        Some(out)
    }
}

/// What [`build_changes`] reports while it runs.
pub enum Progress<'a> {
    /// A step (configure, prepare, build before/after) of an architecture.
    Step(&'a str),
    /// How many compiles the step will run.
    Compiles(usize),
    /// make printed `CC` for this object.
    Compiled(&'a str),
    /// An architecture could not be configured or prepared (its objects
    /// go on to the next one): name, error.
    ArchFailed(&'a str, String),
}

/// Builds every change's objects before and after it. Key: driver key.
pub fn build_changes(
    tree: &Path,
    changes: &[&DriverChange],
    opts: &BuildOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<BTreeMap<String, PatchBuild>> {
    let cache = Cache::open(tree, &opts.cache)?;
    let mut pending: Vec<(&DriverChange, Vec<String>)> = Vec::new();
    let mut out = BTreeMap::new();
    for c in changes {
        let objs: Vec<String> = c
            .files
            .iter()
            .filter_map(|f| f.rel_path.strip_suffix(".c").map(|s| format!("{s}.o")))
            .collect();
        if objs.is_empty() {
            out.insert(
                c.key.clone(),
                PatchBuild::not_built(objs, "touches no .c file".into()),
            );
        } else {
            pending.push((c, objs));
        }
    }
    let mut tried: Vec<String> = Vec::new();
    for arch in &opts.arches {
        if pending.is_empty() {
            break;
        }
        progress(Progress::Step(&format!("{}: configure", arch.name)));
        let configured = cache
            .configure(arch, opts.jobs)
            .and_then(|dir| read_config(&dir.join(".config")).map(|c| (dir, c)));
        let (dir, config) = match configured {
            Ok(x) => x,
            Err(e) => {
                progress(Progress::ArchFailed(&arch.name, format!("{e:#}")));
                continue;
            }
        };
        let (here, rest): (Vec<_>, Vec<_>) = pending.into_iter().partition(|(_, objs)| {
            objs.iter()
                .all(|o| blocking_symbol(tree, o, &config).is_none())
        });
        pending = rest;
        tried.push(arch.name.clone());
        if here.is_empty() {
            continue;
        }
        progress(Progress::Step(&format!("{}: prepare", arch.name)));
        if let Err(e) = cache.prepare(arch, &dir, opts.jobs) {
            progress(Progress::ArchFailed(&arch.name, format!("{e:#}")));
            tried.pop();
            pending.extend(here);
            continue;
        }
        for (key, b) in build_on(&cache, arch, &dir, &here, opts.jobs, progress)? {
            out.insert(key, b);
        }
    }
    for (c, objs) in pending {
        out.insert(
            c.key.clone(),
            PatchBuild::not_built(objs.clone(), no_config_reason(tree, &cache, &objs, &tried)),
        );
    }
    Ok(out)
}

/// "no config builds it": the first object's blocking symbol, where it is
/// declared and what it depends on.
fn no_config_reason(tree: &Path, cache: &Cache, objs: &[String], tried: &[String]) -> String {
    let configs: Vec<BTreeMap<String, String>> = tried
        .iter()
        .filter_map(|a| read_config(&cache.root.join(a).join(".config")).ok())
        .collect();
    for o in objs {
        let blocked: Vec<String> = configs
            .iter()
            .filter_map(|c| blocking_symbol(tree, o, c))
            .collect();
        if blocked.len() == configs.len() {
            if let Some(sym) = blocked.first() {
                let why = kconfig_depends(tree, o, sym)
                    .map(|d| format!(" (depends on {d})"))
                    .or_else(|| {
                        let by = kconfig_selected_by(&tree.join("arch"), sym);
                        (!by.is_empty()).then(|| format!(" (selected by {})", by.join(", ")))
                    })
                    .unwrap_or_default();
                return format!(
                    "no config builds {o}: CONFIG_{sym} is set by none of the {} configs tried{why}",
                    tried.len()
                );
            }
        }
    }
    format!(
        "no config builds {} on {}",
        objs.join(", "),
        tried.join(", ")
    )
}

/// The source copy and build directories of one tree.
struct Cache {
    tree: PathBuf,
    root: PathBuf,
    src: PathBuf,
}

impl Cache {
    /// `<cache>/<tree name>-<hash of its path>/src`, a hard-link copy of
    /// the tree made on first use.
    fn open(tree: &Path, cache: &Path) -> Result<Cache> {
        let tree = std::fs::canonicalize(tree)
            .with_context(|| format!("{}: cannot open the tree", tree.display()))?;
        if !tree.join("Makefile").is_file() || !tree.join("scripts/Makefile.build").is_file() {
            bail!(
                "{}: not a kernel source tree with its build system (no scripts/Makefile.build): --build needs one",
                tree.display()
            );
        }
        let name = tree
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let mut h = sha1_smol::Sha1::new();
        h.update(tree.to_string_lossy().as_bytes());
        std::fs::create_dir_all(cache)
            .with_context(|| format!("creating the build cache {}", cache.display()))?;
        // canonical: gcc's messages name the sources by this path
        let cache = std::fs::canonicalize(cache)?;
        let root = cache.join(format!("{name}-{}", &h.digest().to_string()[..12]));
        let src = root.join("src");
        if !src.join(".unplug-linked").exists() {
            let _ = std::fs::remove_dir_all(&src);
            std::fs::create_dir_all(&root)
                .with_context(|| format!("creating the build cache {}", root.display()))?;
            run(
                Command::new("cp").arg("-al").arg(&tree).arg(&src),
                "cp -al of the tree into the build cache",
            )?;
            std::fs::write(src.join(".unplug-linked"), b"")?;
        }
        Ok(Cache { tree, root, src })
    }

    fn make(&self, arch: &Arch, dir: &Path, jobs: usize) -> Command {
        let mut c = Command::new("make");
        c.arg("-C")
            .arg(&self.src)
            .arg(format!("O={}", dir.display()))
            .arg(format!("ARCH={}", arch.karch))
            .arg(format!("-j{}", jobs.max(1)));
        if !arch.cross.is_empty() {
            c.arg(format!("CROSS_COMPILE={}", arch.cross));
        }
        c
    }

    /// `allmodconfig` (with `CONFIG_WERROR=n`: W=1 warnings are compared,
    /// not fatal) in `<root>/<arch>`, once.
    fn configure(&self, arch: &Arch, jobs: usize) -> Result<PathBuf> {
        let dir = self.root.join(&arch.name);
        if dir.join(".unplug-configured").exists() {
            return Ok(dir);
        }
        std::fs::create_dir_all(&dir)?;
        let all = dir.join(".unplug-allconfig");
        let mut lines = vec!["CONFIG_WERROR=n".to_string()];
        lines.extend(arch.allconfig.iter().cloned());
        std::fs::write(&all, lines.join("\n") + "\n")?;
        let mut c = self.make(arch, &dir, jobs);
        c.arg(&arch.target).env("KCONFIG_ALLCONFIG", &all);
        run(&mut c, &format!("make {} for {}", arch.target, arch.name))?;
        std::fs::write(dir.join(".unplug-configured"), b"")?;
        Ok(dir)
    }

    /// `make prepare`, once per build directory.
    fn prepare(&self, arch: &Arch, dir: &Path, jobs: usize) -> Result<()> {
        if dir.join(".unplug-prepared").exists() {
            return Ok(());
        }
        let mut c = self.make(arch, dir, jobs);
        c.arg("prepare");
        run(&mut c, &format!("make prepare for {}", arch.name))?;
        std::fs::write(dir.join(".unplug-prepared"), b"")?;
        Ok(())
    }

    /// The copy's `rel` becomes `content` (by rename: the hard link to the
    /// user's file is replaced, never written through).
    fn put(&self, rel: &str, content: &[u8]) -> Result<()> {
        let dst = self.src.join(rel);
        let tmp = dst.with_extension("unplug-tmp");
        std::fs::write(&tmp, content).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &dst).with_context(|| format!("replacing {}", dst.display()))?;
        Ok(())
    }

    /// The copy's `rel` is the user's file again (linked back).
    fn restore(&self, rel: &str) -> Result<()> {
        let dst = self.src.join(rel);
        let _ = std::fs::remove_file(&dst);
        std::fs::hard_link(self.tree.join(rel), &dst)
            .or_else(|_| std::fs::copy(self.tree.join(rel), &dst).map(|_| ()))
            .with_context(|| format!("restoring {}", dst.display()))
    }
}

fn run(c: &mut Command, what: &str) -> Result<()> {
    let o = c.output().with_context(|| format!("{what}: cannot run"))?;
    if !o.status.success() {
        let err = String::from_utf8_lossy(&o.stderr);
        let tail: Vec<&str> = err.lines().rev().take(8).collect();
        bail!(
            "{what} failed: {}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    Ok(())
}

/// `CONFIG_X` -> value, for the set ones.
fn read_config(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| l.strip_prefix("CONFIG_")?.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

/// Builds `here` on `arch` before and after the changes.
fn build_on(
    cache: &Cache,
    arch: &Arch,
    dir: &Path,
    here: &[(&DriverChange, Vec<String>)],
    jobs: usize,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<(String, PatchBuild)>> {
    let objs: Vec<&str> = here
        .iter()
        .flat_map(|(_, o)| o.iter().map(String::as_str))
        .collect();
    let files: Vec<&crate::FileEdit> = here.iter().flat_map(|(c, _)| c.files.iter()).collect();
    progress(Progress::Compiles(2 * objs.len()));
    for f in &files {
        cache.restore(&f.rel_path)?;
    }
    progress(Progress::Step(&format!("{}: build before", arch.name)));
    let before = compile(cache, arch, dir, &objs, jobs, progress)?;
    for f in &files {
        cache.put(&f.rel_path, &f.after)?;
    }
    progress(Progress::Step(&format!("{}: build after", arch.name)));
    let after = compile(cache, arch, dir, &objs, jobs, progress);
    for f in &files {
        cache.restore(&f.rel_path)?;
    }
    let after = after?;
    Ok(here
        .iter()
        .map(|(c, o)| (c.key.clone(), compare(arch, c, o, &before, &after)))
        .collect())
}

/// One make run's outcome: objects produced, diagnostics per source file.
struct Compiled {
    built: BTreeSet<String>,
    /// file -> diagnostics (`warning: text [-Wx]`, `error: …`), without
    /// line and column.
    diags: BTreeMap<String, Vec<String>>,
}

fn compile(
    cache: &Cache,
    arch: &Arch,
    dir: &Path,
    objs: &[&str],
    jobs: usize,
    progress: &mut dyn FnMut(Progress),
) -> Result<Compiled> {
    for o in objs {
        let _ = std::fs::remove_file(dir.join(o));
    }
    let mut c = cache.make(arch, dir, jobs);
    c.args(["-k", "W=1"]).args(objs);
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c
        .spawn()
        .with_context(|| format!("make for {}: cannot run", arch.name))?;
    let stderr = child.stderr.take().expect("piped");
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut s);
        s
    });
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line?;
        if let Some(o) = line.trim_start().strip_prefix("CC") {
            progress(Progress::Compiled(o.trim_start_matches(" [M]").trim()));
        }
    }
    child.wait()?;
    let err = err_reader.join().unwrap_or_default();
    let built = objs
        .iter()
        .filter(|o| dir.join(o).is_file())
        .map(|o| o.to_string())
        .collect();
    Ok(Compiled {
        built,
        diags: diagnostics(&err, &cache.src),
    })
}

/// gcc's `path:line:col: warning: text` lines, keyed by the path relative
/// to the source copy.
fn diagnostics(stderr: &str, src: &Path) -> BTreeMap<String, Vec<String>> {
    let prefix = format!("{}/", src.display());
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for l in stderr.lines() {
        let l = l.strip_prefix(&prefix).unwrap_or(l);
        let mut parts = l.splitn(4, ':');
        let (Some(file), Some(line), Some(_col), Some(rest)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let rest = rest.trim();
        if line.parse::<u32>().is_err()
            || !(rest.starts_with("warning:") || rest.starts_with("error:"))
        {
            continue;
        }
        out.entry(file.to_string())
            .or_default()
            .push(rest.to_string());
    }
    out
}

fn compare(
    arch: &Arch,
    c: &DriverChange,
    objs: &[String],
    before: &Compiled,
    after: &Compiled,
) -> PatchBuild {
    let mut b = PatchBuild {
        status: BuildStatus::Built,
        arch: Some(arch.name.clone()),
        config: Some(arch.config_name()),
        objects: objs.to_vec(),
        new_warnings: Vec::new(),
        reason: None,
    };
    let failed_before: Vec<&String> = objs.iter().filter(|o| !before.built.contains(*o)).collect();
    if !failed_before.is_empty() {
        b.status = BuildStatus::NotBuilt;
        b.reason = Some(format!(
            "does not build before the change on {}: {}",
            arch.name,
            first_errors(c, before)
        ));
        return b;
    }
    for f in &c.files {
        let mut old: Vec<&String> = before
            .diags
            .get(&f.rel_path)
            .into_iter()
            .flatten()
            .collect();
        for d in after.diags.get(&f.rel_path).into_iter().flatten() {
            match old.iter().position(|x| *x == d) {
                Some(i) => {
                    old.remove(i);
                }
                None => b.new_warnings.push(format!("{}: {d}", f.rel_path)),
            }
        }
    }
    let failed: Vec<&String> = objs.iter().filter(|o| !after.built.contains(*o)).collect();
    if !failed.is_empty() {
        b.status = BuildStatus::Regression;
        b.reason = Some(format!(
            "{} fails after the change: {}",
            failed
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            first_errors(c, after)
        ));
    } else if !b.new_warnings.is_empty() {
        b.status = BuildStatus::Regression;
        b.reason = Some(format!("{} new warning(s) with W=1", b.new_warnings.len()));
    }
    b
}

fn first_errors(c: &DriverChange, r: &Compiled) -> String {
    let errs: Vec<String> = c
        .files
        .iter()
        .flat_map(|f| {
            r.diags
                .get(&f.rel_path)
                .into_iter()
                .flatten()
                .map(move |d| format!("{}: {d}", f.rel_path))
        })
        .filter(|d| d.contains("error:"))
        .take(3)
        .collect();
    if errs.is_empty() {
        "no compiler error in its files (see make's output)".into()
    } else {
        errs.join("; ")
    }
}

/// The Makefile's assignments, continuation lines joined: (lhs, words).
fn makefile_assignments(path: &Path) -> Vec<(String, Vec<String>)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let joined = text.replace("\\\n", " ");
    joined
        .lines()
        .filter_map(|l| {
            let l = l.split('#').next().unwrap_or("");
            let (lhs, rhs) = l
                .split_once("+=")
                .or_else(|| l.split_once(":="))
                .or_else(|| l.split_once('='))?;
            Some((
                lhs.trim().to_string(),
                rhs.split_whitespace().map(String::from).collect(),
            ))
        })
        .collect()
}

/// The first config symbol (without `CONFIG_`) that keeps `obj` (relative
/// to the tree) out of this configuration, or None when it is built.
/// Reads `obj-$(CONFIG_X) += name.o`, composite objects (`foo-y`,
/// `foo-objs`, `foo-$(CONFIG_Y)`) and the directories above.
pub fn blocking_symbol(
    tree: &Path,
    obj: &str,
    config: &BTreeMap<String, String>,
) -> Option<String> {
    let (dir, name) = obj.rsplit_once('/')?;
    let mut seen = BTreeSet::new();
    symbols_of(tree, dir, name, &mut seen)
        .into_iter()
        .find(|s| !matches!(config.get(s).map(String::as_str), Some("y" | "m")))
}

fn symbols_of(tree: &Path, dir: &str, word: &str, seen: &mut BTreeSet<String>) -> Vec<String> {
    if !seen.insert(format!("{dir}/{word}")) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (lhs, words) in makefile_assignments(&tree.join(dir).join("Makefile")) {
        if !words.iter().any(|w| w == word) {
            continue;
        }
        let cfg = |s: &str| {
            s.strip_prefix("$(CONFIG_")
                .and_then(|r| r.strip_suffix(')'))
                .map(String::from)
        };
        if let Some(rest) = lhs.strip_prefix("obj-") {
            out.extend(cfg(rest));
            // the directory itself must be reached from its parent
            if let Some((parent, sub)) = dir.rsplit_once('/') {
                out.extend(symbols_of(tree, parent, &format!("{sub}/"), seen));
            }
            return out;
        }
        // composite: `name-y`, `name-objs`, `name-$(CONFIG_X)`
        if let Some((name, sel)) = lhs.rsplit_once('-') {
            out.extend(cfg(sel));
            if sel == "y" || sel == "objs" || sel == "m" || cfg(sel).is_some() {
                out.extend(symbols_of(tree, dir, &format!("{name}.o"), seen));
                return out;
            }
        }
    }
    out
}

/// `depends on` lines of `config SYM` in the Kconfig files of the
/// object's directory and the one above, joined with `&&`.
fn kconfig_depends(tree: &Path, obj: &str, sym: &str) -> Option<String> {
    let dir = Path::new(obj).parent()?;
    for d in [Some(dir), dir.parent()].into_iter().flatten() {
        let Ok(text) = std::fs::read_to_string(tree.join(d).join("Kconfig")) else {
            continue;
        };
        let mut lines = text
            .lines()
            .skip_while(|l| l.trim() != format!("config {sym}"));
        if lines.next().is_none() {
            continue;
        }
        let deps: Vec<&str> = lines
            .take_while(|l| {
                !l.starts_with("config ")
                    && !l.starts_with("menuconfig ")
                    && !l.starts_with("endmenu")
                    && !l.starts_with("if ")
            })
            .filter_map(|l| l.trim().strip_prefix("depends on "))
            .collect();
        return (!deps.is_empty()).then(|| deps.join(" && "));
    }
    None
}

/// The platform symbols under `dir` (the tree's `arch/`) whose `config`
/// entry selects `sym`: what sets a symbol that has no prompt.
fn kconfig_selected_by(dir: &Path, sym: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            out.extend(kconfig_selected_by(&p, sym));
            continue;
        }
        if !e.file_name().to_string_lossy().starts_with("Kconfig") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let mut current: Option<&str> = None;
        for l in text.lines() {
            let t = l.trim();
            if let Some(c) = t
                .strip_prefix("config ")
                .or_else(|| t.strip_prefix("menuconfig "))
            {
                current = Some(c.trim());
            } else if t
                .strip_prefix("select ")
                .and_then(|r| r.split_whitespace().next())
                == Some(sym)
            {
                out.extend(current.map(String::from));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}
