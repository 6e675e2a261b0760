//! `verifier`: the kernel verifier's harness. Boots Debian test kernels in
//! QEMU with unplug_verify.ko loaded, runs scenarios (or the default driver
//! check of a module), and judges the KTAP verdicts against what each
//! scenario expects.
//!
//! Owns the kernel packages cache, the module builds, the initramfs, the
//! boot, the KTAP reading and the judging; returns typed outcomes
//! (`model::verify`). May not: parse a command line, print on stdout or
//! pick an exit code (the binary's `src/flags/verify.rs` does), or know
//! about campaigns and ledgers. What it is doing goes to the callbacks of
//! [`VerifyOptions`].

pub mod driver_runs;
pub mod drivers;
pub mod guest;
pub mod initramfs;
pub mod kbuild;
pub mod kcidb;
pub mod ktap;
pub mod packages;
pub mod qemu;
pub mod report;
pub mod scenario;

use anyhow::{anyhow, bail, Context, Result};
use model::verify::VerifyOutcome;
use packages::{Flavour, Kernel, Series};
use scenario::{KernelNeed, QemuSpec, Scenario, ScenarioStep};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a run of the verifier does (the binary's `unplug verify` flags,
/// typed): which kernels, scenarios and modules, and where it tells what
/// it is doing.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Test kernel: 6.1, 6.12, or a directory with an unpacked kernel.
    /// None: each scenario's own kernels.
    pub kernel: Option<String>,
    /// Debian flavour of `kernel`: cloud or generic.
    pub flavour: Option<String>,
    /// Scenario YAML files.
    pub scenarios: Vec<PathBuf>,
    /// Modules to check: by name, a built .ko, or a Kbuild directory.
    /// Without a scenario: the default driver check.
    pub modules: Vec<String>,
    /// `ci`: every shipped scenario (`drivers` is the binary's, with a tree).
    pub suite: Option<String>,
    /// Keep each run's work directory.
    pub keep: bool,
    /// Seconds before a guest counts as hung (None: scenario's, else 120).
    pub timeout: Option<u64>,
    /// Grace period in ms after the RCU barrier before judging an operation.
    pub settle_ms: Option<u32>,
    /// Directory holding the module sources, fixtures/ and scenarios/.
    pub kmod_dir: Option<PathBuf>,
    /// Have unplug_verify also name the objects each operation released.
    pub verbose: bool,
    /// Told each step (fetching, building, running); the caller shows it or not.
    pub progress: fn(&str),
    /// Told what the user must know (a kept work directory).
    pub notice: fn(&str),
    /// Told each guest console line as it arrives, when set.
    pub console: Option<fn(&str)>,
}

fn quiet(_: &str) {}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            kernel: None,
            flavour: None,
            scenarios: vec![],
            modules: vec![],
            suite: None,
            keep: false,
            timeout: None,
            settle_ms: None,
            kmod_dir: None,
            verbose: false,
            progress: quiet,
            notice: quiet,
            console: None,
        }
    }
}

/// Runs the scenarios (or the default driver check of the modules) and
/// returns one judged outcome per scenario and kernel.
pub fn run(opts: &VerifyOptions) -> Result<Vec<VerifyOutcome>> {
    let kmod_dir = kmod_dir(opts)?;
    let user_mods = opts
        .modules
        .iter()
        .map(|m| UserModule::parse(m))
        .collect::<Result<Vec<_>>>()?;
    let mut scenarios = vec![];
    for p in &opts.scenarios {
        scenarios.push(scenario::load_for(p, &kmod_dir)?);
    }
    match opts.suite.as_deref() {
        None => {}
        Some("ci") => scenarios.extend(shipped_scenarios(&kmod_dir)?),
        Some(s) => bail!("unknown suite {s:?} (known: ci, drivers)"),
    }
    // The default driver check is generated per kernel, once the user's
    // modules are built; this placeholder only carries its kernel.
    let default_check = scenarios.is_empty();
    if default_check {
        if user_mods.is_empty() {
            bail!("nothing to verify: give --scenario FILE, --module NAME|KO|DIR or --suite ci");
        }
        scenarios.push(default_driver_check(&[], &[]));
    }
    let mut outcomes = vec![];
    for (target, idxs) in &plan(opts, &scenarios)? {
        let run = PlannedRun {
            scenarios: &scenarios,
            idxs,
            default_check,
            user_mods: &user_mods,
            kmod_dir: &kmod_dir,
        };
        outcomes.extend(run_on(target, &run, opts)?);
    }
    Ok(outcomes)
}

/// One kernel fetch and one set of builds per target kernel: the
/// scenarios (by index) each target runs.
fn plan(opts: &VerifyOptions, scenarios: &[Scenario]) -> Result<BTreeMap<Target, Vec<usize>>> {
    let forced = match &opts.kernel {
        Some(k) => Some(Target::from_arg(k, opts.flavour.as_deref())?),
        None if opts.flavour.is_some() => bail!("--flavour needs --kernel"),
        None => None,
    };
    let mut plan: BTreeMap<Target, Vec<usize>> = BTreeMap::new();
    for (i, sc) in scenarios.iter().enumerate() {
        let targets = match &forced {
            Some(t) => vec![t.for_scenario(sc)],
            None => sc
                .kernels
                .iter()
                .map(Target::from_need)
                .collect::<Result<Vec<_>>>()?,
        };
        for t in targets {
            plan.entry(t).or_default().push(i);
        }
    }
    Ok(plan)
}

/// What one target kernel of a [`run`] runs.
struct PlannedRun<'a> {
    scenarios: &'a [Scenario],
    idxs: &'a [usize],
    /// The scenario is the generated default driver check.
    default_check: bool,
    user_mods: &'a [UserModule],
    kmod_dir: &'a Path,
}

/// Fetches the target kernel, builds the verifier, the fixtures and the
/// user's modules for it, and runs its scenarios.
fn run_on(target: &Target, run: &PlannedRun, opts: &VerifyOptions) -> Result<Vec<VerifyOutcome>> {
    let progress = opts.progress;
    let kernel = target.fetch(progress)?;
    let cache = packages::cache_root();
    let (verifier_ko, test_kos) = build_verifier(&kernel, run.kmod_dir, opts)?;
    let mut fixtures = if run
        .idxs
        .iter()
        .any(|&i| !run.scenarios[i].fixtures.is_empty())
    {
        progress("building fixtures");
        kbuild::build(&kernel, &run.kmod_dir.join("fixtures"), &cache, opts.notice)?
    } else {
        vec![]
    };
    fixtures.extend(test_kos);
    let (user_kos, user_names) = prepare_user_modules(run.user_mods, &kernel, &cache, opts)?;
    let index = initramfs::module_index(&kernel)?;
    let mut outcomes = vec![];
    for &i in run.idxs {
        let generated;
        let sc = if run.default_check {
            generated = default_driver_check(&user_kos, &user_names);
            &generated
        } else {
            &run.scenarios[i]
        };
        progress(&format!("running {} on {}", sc.name, kernel.label));
        let ctx = RunCtx {
            kernel: &kernel,
            series: target.series(&kernel),
            index: &index,
            verifier: &verifier_ko,
            fixtures: &fixtures,
            user_kos: &user_kos,
            user_names: &user_names,
            opts,
        };
        outcomes.push(run_one(sc, &ctx));
    }
    Ok(outcomes)
}

/// unplug_verify.ko built for `kernel`, and its test modules (loaded by
/// scenarios like fixtures).
fn build_verifier(
    kernel: &Kernel,
    kmod_dir: &Path,
    opts: &VerifyOptions,
) -> Result<(PathBuf, Vec<PathBuf>)> {
    (opts.progress)(&format!("building unplug_verify for {}", kernel.krel));
    kbuild::split_verifier(kbuild::build(
        kernel,
        kmod_dir,
        &packages::cache_root(),
        opts.notice,
    )?)
}

/// Build each variant of a driver recipe against the kernel of `series`
/// (the flavour the recipe names for it), and run the recipe once per
/// variant: one boot each, since both variants carry the module's name.
/// A variant whose build fails is an `error` naming the step and its log;
/// the other variants still run.
pub fn verify_driver(
    sc: &Scenario,
    variants: &[drivers::Variant],
    series: &str,
    opts: &VerifyOptions,
) -> Result<Vec<drivers::DriverOutcome>> {
    let need = sc
        .kernels
        .iter()
        .find(|k| k.kernel == series)
        .ok_or_else(|| anyhow!("recipe {} does not run on {series}", sc.name))?;
    let target = Target::from_need(need)?;
    let kernel = target.fetch(opts.progress)?;
    let cache = packages::cache_root();
    let (verifier_ko, _tests) = build_verifier(&kernel, &kmod_dir(opts)?, opts)?;
    let index = initramfs::module_index(&kernel)?;
    let mut out = vec![];
    for v in variants {
        (opts.progress)(&format!(
            "building {} ({}) for {}",
            sc.name, v.name, kernel.krel
        ));
        let kos = match kbuild::build(&kernel, &v.dir, &cache, opts.notice) {
            Ok(k) => k,
            Err(e) => {
                out.push(drivers::DriverOutcome::error(
                    sc, series, &v.name, "build", &e,
                ));
                continue;
            }
        };
        let run_sc = drivers::scenario_for(sc, &v.name);
        (opts.progress)(&format!("running {} on {}", run_sc.name, kernel.label));
        let ctx = RunCtx {
            kernel: &kernel,
            series: Some(series.to_string()),
            index: &index,
            verifier: &verifier_ko,
            fixtures: &[],
            user_kos: &kos,
            user_names: &[],
            opts,
        };
        let o = run_one(&run_sc, &ctx);
        out.push(drivers::DriverOutcome::from_run(sc, series, &v.name, o));
    }
    Ok(out)
}

/// The verifier-kmod directory: --kmod-dir, `UNPLUG_VERIFIER_DIR`, `./verifier-kmod`, this checkout's.
pub fn kmod_dir(opts: &VerifyOptions) -> Result<PathBuf> {
    let candidates = [
        opts.kmod_dir.clone(),
        std::env::var_os("UNPLUG_VERIFIER_DIR").map(PathBuf::from),
        Some(PathBuf::from("verifier-kmod")),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("..")),
    ];
    for c in candidates.into_iter().flatten() {
        if c.join("unplug_verify.h").exists() {
            return Ok(c.canonicalize()?);
        }
        if opts.kmod_dir.as_ref() == Some(&c) {
            bail!("{}: no unplug_verify.h", c.display());
        }
    }
    bail!("cannot find the verifier-kmod directory: pass --kmod-dir")
}

fn shipped_scenarios(kmod_dir: &Path) -> Result<Vec<Scenario>> {
    let dir = kmod_dir.join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| scenario::load_for(f, kmod_dir))
        .collect()
}

/// Which kernel a run boots.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Debian(u8, u8),
    Path(PathBuf),
}

impl Target {
    fn debian(series: Series, flavour: Flavour) -> Target {
        Target::Debian(series as u8, flavour as u8)
    }
    fn decode(&self) -> Option<(Series, Flavour)> {
        match self {
            Target::Debian(s, f) => Some((
                if *s == Series::V6_1 as u8 {
                    Series::V6_1
                } else {
                    Series::V6_12
                },
                if *f == Flavour::Cloud as u8 {
                    Flavour::Cloud
                } else {
                    Flavour::Generic
                },
            )),
            Target::Path(_) => None,
        }
    }
    fn from_arg(k: &str, flavour: Option<&str>) -> Result<Target> {
        if k.contains('/') || Path::new(k).is_dir() {
            if flavour.is_some() {
                bail!("--flavour applies to 6.1 and 6.12, not to a kernel directory");
            }
            return Ok(Target::Path(PathBuf::from(k)));
        }
        let s = Series::parse(k)?;
        // Sentinel flavour 255: "as the scenario declares, else cloud".
        let f = match flavour {
            Some(f) => Flavour::parse(f)? as u8,
            None => 255,
        };
        Ok(Target::Debian(s as u8, f))
    }
    fn from_need(n: &KernelNeed) -> Result<Target> {
        Ok(Target::debian(
            Series::parse(&n.kernel)?,
            Flavour::parse(&n.flavour)?,
        ))
    }
    fn for_scenario(&self, sc: &Scenario) -> Target {
        match self {
            Target::Debian(s, 255) => {
                let series = if *s == Series::V6_1 as u8 {
                    "6.1"
                } else {
                    "6.12"
                };
                let f = sc
                    .kernels
                    .iter()
                    .find(|n| n.kernel == series)
                    .and_then(|n| Flavour::parse(&n.flavour).ok())
                    .unwrap_or(Flavour::Cloud);
                Target::Debian(*s, f as u8)
            }
            t => t.clone(),
        }
    }
    fn fetch(&self, progress: fn(&str)) -> Result<Kernel> {
        match (self, self.decode()) {
            (Target::Path(p), _) => packages::from_path(p),
            (_, Some((s, f))) => packages::fetch(s, f, &progress),
            _ => unreachable!(),
        }
    }
    fn series(&self, kernel: &Kernel) -> Option<String> {
        if let Some((s, _)) = self.decode() {
            return Some(s.as_str().to_string());
        }
        let mut parts = kernel.krel.split(['.', '-']);
        Some(format!("{}.{}", parts.next()?, parts.next()?))
    }
}

/// A --module argument.
#[derive(Debug, Clone)]
enum UserModule {
    Name(String),
    Ko(PathBuf),
    Dir(PathBuf),
}

impl UserModule {
    fn parse(s: &str) -> Result<UserModule> {
        let p = Path::new(s);
        if p.is_dir() {
            if !p.join("Kbuild").exists() {
                bail!("{s}: directory has no Kbuild file");
            }
            return Ok(UserModule::Dir(p.to_path_buf()));
        }
        if s.ends_with(".ko") {
            if !p.is_file() {
                bail!("{s}: no such module file");
            }
            return Ok(UserModule::Ko(p.to_path_buf()));
        }
        if s.contains('/')
            || !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            bail!("{s}: not a module name, .ko file or Kbuild directory");
        }
        Ok(UserModule::Name(s.replace('-', "_")))
    }
}

/// Build or check the user's modules for this kernel: (.ko files, kernel module names).
fn prepare_user_modules(
    mods: &[UserModule],
    kernel: &Kernel,
    cache: &Path,
    opts: &VerifyOptions,
) -> Result<(Vec<PathBuf>, Vec<String>)> {
    let (mut kos, mut names) = (vec![], vec![]);
    for m in mods {
        match m {
            UserModule::Name(n) => names.push(n.clone()),
            UserModule::Ko(p) => {
                kbuild::check_vermagic(p, &kernel.krel)?;
                kos.push(p.clone());
            }
            UserModule::Dir(d) => {
                (opts.progress)(&format!("building {}", d.display()));
                kos.extend(kbuild::build(kernel, d, cache, opts.notice)?);
            }
        }
    }
    Ok((kos, names))
}

/// Load, unbind and rebind every device the module's drivers bound, unload.
fn default_driver_check(kos: &[PathBuf], kernel_mods: &[String]) -> Scenario {
    let mut steps = vec![];
    let mut names = vec![];
    for n in kernel_mods {
        steps.push(ScenarioStep {
            modprobe: Some(n.clone()),
            ..ScenarioStep::default()
        });
        names.push(n.clone());
    }
    for ko in kos {
        let n = kbuild::module_name(ko);
        steps.push(ScenarioStep {
            insmod: Some(n.clone()),
            ..ScenarioStep::default()
        });
        names.push(n);
    }
    // Probing may finish asynchronously (e.g. SCSI scans).
    steps.push(ScenarioStep {
        run: Some("sleep 0.5".into()),
        ..ScenarioStep::default()
    });
    let loop_ = format!(
        "for m in {}; do for drv in /sys/module/$m/drivers/*; do [ -e \"$drv\" ] || continue; \
         for d in \"$drv\"/*; do [ -L \"$d\" ] || continue; n=${{d##*/}}; [ \"$n\" = module ] && continue; \
         echo \"$n\" > \"$drv/unbind\" || exit 1; echo \"$n\" > \"$drv/bind\" || exit 1; done; done; done",
        names.join(" ")
    );
    steps.push(ScenarioStep {
        run: Some(loop_),
        ..ScenarioStep::default()
    });
    for n in names.iter().rev() {
        steps.push(ScenarioStep {
            rmmod: Some(n.clone()),
            ..ScenarioStep::default()
        });
    }
    Scenario {
        name: format!("driver check {}", names.join(" ")),
        description: String::new(),
        kernels: vec![KernelNeed {
            kernel: "6.12".into(),
            flavour: "cloud".into(),
        }],
        qemu: QemuSpec {
            ahci_disk_mb: Some(16),
            devices: vec!["virtio-net-pci".into(), "e1000".into()],
            ..QemuSpec::default()
        },
        modules: kernel_mods.to_vec(),
        fixtures: vec![],
        watch: names,
        settle_ms: None,
        steps,
        expect: vec![],
        allow_splat: false,
        timeout_s: None,
        driver: None,
    }
}

struct RunCtx<'a> {
    kernel: &'a Kernel,
    series: Option<String>,
    index: &'a BTreeMap<String, PathBuf>,
    verifier: &'a Path,
    fixtures: &'a [PathBuf],
    user_kos: &'a [PathBuf],
    user_names: &'a [String],
    opts: &'a VerifyOptions,
}

fn run_one(sc: &Scenario, ctx: &RunCtx) -> report::VerifyOutcome {
    let start = std::time::Instant::now();
    let mut outcome = report::VerifyOutcome {
        scenario: sc.name.clone(),
        kernel: ctx.kernel.label.clone(),
        passed: false,
        seconds: 0.0,
        operations: vec![],
        problems: vec![],
        log: None,
    };
    let log = console_log_path(sc, ctx.kernel);
    match boot_scenario(sc, ctx, &log) {
        Ok(console) => {
            let (rows, problems) = report::judge(sc, ctx.series.as_deref(), &console);
            outcome.passed = problems.is_empty();
            outcome.operations = rows;
            outcome.problems = problems;
        }
        Err(e) => outcome.problems.push(format!("{e:#}")),
    }
    // A failed boot may still have left a log (a hung or crashed guest).
    if (!outcome.passed || ctx.opts.keep) && log.exists() {
        outcome.log = Some(log.display().to_string());
    }
    outcome.seconds = start.elapsed().as_secs_f64();
    outcome
}

/// Where a run's console log goes; a later run of the same scenario on the
/// same kernel replaces it.
fn console_log_path(sc: &Scenario, kernel: &packages::Kernel) -> PathBuf {
    packages::cache_root().join("logs").join(format!(
        "{}-{}.log",
        sc.name.replace([' ', '/'], "_"),
        kernel.krel
    ))
}

/// The modules the guest gets: the verifier, the scenario's fixtures and
/// the user's modules (files put in the initramfs), and the kernel's own
/// modules they and the scenario need, with their dependencies.
fn guest_modules(sc: &Scenario, ctx: &RunCtx) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let mut extra = vec![ctx.verifier.to_path_buf()];
    for f in &sc.fixtures {
        let ko = ctx
            .fixtures
            .iter()
            .find(|k| kbuild::module_name(k) == *f)
            .ok_or_else(|| anyhow!("scenario {}: unknown fixture {f:?}", sc.name))?;
        extra.push(ko.clone());
    }
    extra.extend(ctx.user_kos.iter().cloned());
    // Kernel modules the scenario and the user's modules depend on.
    let mut deps = vec![];
    for ko in extra.iter().skip(1) {
        deps.extend(
            kbuild::modinfo(ko, "depends")?
                .split(',')
                .filter(|d| !d.is_empty())
                .map(String::from),
        );
    }
    let mut wanted = sc.modules.clone();
    wanted.extend(
        ctx.user_names
            .iter()
            .filter(|n| !sc.modules.contains(n))
            .cloned(),
    );
    let kmods = initramfs::closure(ctx.kernel, ctx.index, &wanted, &deps)?;
    Ok((extra, kmods))
}

/// Build the initramfs, boot, return the console text (also written to
/// `log` as it arrives).
fn boot_scenario(sc: &Scenario, ctx: &RunCtx, log: &Path) -> Result<String> {
    let cache = packages::cache_root();
    let runs = cache.join("runs");
    std::fs::create_dir_all(&runs)?;
    let work = tempfile::Builder::new().prefix("run-").tempdir_in(&runs)?;
    let (extra, kmods) = guest_modules(sc, ctx)?;

    let mut watch = sc.watch.clone();
    watch.extend(ctx.user_kos.iter().map(|k| kbuild::module_name(k)));
    let settle = ctx.opts.settle_ms.or(sc.settle_ms).unwrap_or(300);
    let script = guest::init_script(sc, &watch, settle, ctx.opts.verbose)?;
    std::fs::write(work.path().join("init"), &script)?;
    let initrd = work.path().join("initramfs.cpio");
    initramfs::build(
        &initramfs::Spec {
            kernel: ctx.kernel,
            init: &script,
            kernel_modules: &kmods,
            extra: &extra,
        },
        &initrd,
    )?;
    let disk = match sc.qemu.ahci_disk_mb {
        Some(mb) => {
            let d = work.path().join("disk.img");
            std::fs::File::create(&d)?.set_len(u64::from(mb) << 20)?;
            Some(d)
        }
        None => None,
    };
    // A stale log from an earlier run must not pass for this one's.
    match std::fs::remove_file(log) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("{}: cannot remove the old log", log.display()))
        }
        _ => {}
    }
    std::fs::create_dir_all(log.parent().unwrap())?;
    let timeout = ctx.opts.timeout.or(sc.timeout_s).unwrap_or(120);
    let echo = ctx.opts.console;
    let console = qemu::run(
        &qemu::Boot {
            vmlinuz: &ctx.kernel.vmlinuz,
            initrd: &initrd,
            smp: sc.qemu.smp,
            memory_mb: sc.qemu.memory_mb,
            disk: disk.as_deref(),
            devices: &sc.qemu.devices,
            single_thread_tcg: sc.qemu.single_thread_tcg,
            machine: &sc.qemu.machine,
            timeout: Duration::from_secs(timeout),
            log,
        },
        &mut |l| {
            if let Some(echo) = echo {
                echo(l);
            }
        },
    )?;
    if ctx.opts.keep {
        let kept = work.keep();
        (ctx.opts.notice)(&format!("kept {}", kept.display()));
    }
    Ok(console.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_arguments() {
        assert!(matches!(UserModule::parse("e1000").unwrap(), UserModule::Name(n) if n == "e1000"));
        assert!(UserModule::parse("/nonexistent/x.ko")
            .unwrap_err()
            .to_string()
            .contains("no such module file"));
        assert!(UserModule::parse("a/b").is_err());
    }

    #[test]
    fn kernel_targets() {
        let sc = default_driver_check(&[], &["e1000".into()]);
        assert_eq!(sc.watch, vec!["e1000"]);
        assert!(sc.steps.last().unwrap().rmmod.as_deref() == Some("e1000"));
        let t = Target::from_arg("6.1", None).unwrap();
        let need = Scenario {
            kernels: vec![KernelNeed {
                kernel: "6.1".into(),
                flavour: "generic".into(),
            }],
            ..sc
        };
        assert_eq!(
            t.for_scenario(&need),
            Target::debian(Series::V6_1, Flavour::Generic)
        );
        assert!(Target::from_arg("6.1", Some("cloudy")).is_err());
    }
}
