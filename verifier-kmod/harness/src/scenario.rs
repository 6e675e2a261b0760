//! Scenario files: what to boot, what to run in the guest, what to expect.
//!
//! Unknown keys are rejected so that a typo never silently disables a
//! check; errors carry `file:line:column`.

use anyhow::{anyhow, bail, Result};
use model::verify::OpVerdict;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Kernels this scenario runs on when none is forced on the command line.
    pub kernels: Vec<KernelNeed>,
    #[serde(default)]
    pub qemu: QemuSpec,
    /// Kernel modules put in the initramfs (with their dependencies).
    #[serde(default)]
    pub modules: Vec<String>,
    /// Fixture modules (verifier-kmod/fixtures) and the verifier's test
    /// modules (`test_unplug_verify`) put in the initramfs.
    #[serde(default)]
    pub fixtures: Vec<String>,
    /// Modules and drivers unplug_verify watches; empty watches all.
    #[serde(default)]
    pub watch: Vec<String>,
    #[serde(default)]
    pub settle_ms: Option<u32>,
    pub steps: Vec<ScenarioStep>,
    #[serde(default)]
    pub expect: Vec<Expect>,
    /// Kernel warnings are failures unless the scenario provokes them.
    #[serde(default)]
    pub allow_splat: bool,
    #[serde(default)]
    pub timeout_s: Option<u64>,
    /// A driver recipe (verifier-kmod/drivers): the in-tree driver the
    /// steps load with `insmod: MODULE`, built from a kernel tree.
    #[serde(default)]
    pub driver: Option<DriverSpec>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KernelNeed {
    pub kernel: String,
    #[serde(default = "default_flavour")]
    pub flavour: String,
}

fn default_flavour() -> String {
    "cloud".into()
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QemuSpec {
    #[serde(default = "default_smp")]
    pub smp: u32,
    #[serde(default = "default_mem")]
    pub memory_mb: u32,
    /// A raw disk on AHCI port 0 (ata1, host0, sda) of this size.
    #[serde(default)]
    pub ahci_disk_mb: Option<u32>,
    /// Extra `-device` arguments, e.g. `virtio-net-pci` or `e1000`.
    #[serde(default)]
    pub devices: Vec<String>,
    /// Run all vCPUs on one host thread (`-accel tcg,thread=single`), the
    /// default.  Multi-threaded TCG (QEMU 7.2 and 10) lets a vCPU keep
    /// running a kprobe's int3 after the kernel removed it, which hangs
    /// 6.1 and oopses 6.12 (scenarios/stress/qemu-int3-flip-mttcg.yaml).
    #[serde(default = "default_single_thread_tcg")]
    pub single_thread_tcg: bool,
    /// QEMU machine (`-M`): q35 by default; `microvm` has virtio-mmio
    /// transports (and no PCI, AHCI disk or ICH9).
    #[serde(default = "default_machine")]
    pub machine: String,
}

fn default_smp() -> u32 {
    1
}
fn default_mem() -> u32 {
    512
}
fn default_machine() -> String {
    "q35".into()
}
fn default_single_thread_tcg() -> bool {
    true
}

impl Default for QemuSpec {
    fn default() -> Self {
        QemuSpec {
            smp: default_smp(),
            memory_mb: default_mem(),
            ahci_disk_mb: None,
            devices: vec![],
            single_thread_tcg: default_single_thread_tcg(),
            machine: default_machine(),
        }
    }
}

/// The `driver:` block of a recipe.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DriverSpec {
    /// The driver in the tree, relative to its root: its directory, or its
    /// one `.c` file.
    pub path: String,
    /// The module object as the tree's Makefile names it (`e1000e`,
    /// `gpio-ich`, `sym53c8xx`).
    pub module: String,
    /// Campaign patterns that rewrite this driver.
    pub patterns: Vec<String>,
    /// What the bound driver gives the guest (netdev, block, scsi_host,
    /// watchdog, input, mmc_host, firmware, gpiochip): documentation, the
    /// steps' `wait:` paths are the check.
    #[serde(default)]
    pub devices: Vec<String>,
}

impl DriverSpec {
    /// The module name as the kernel sees it.
    pub fn module_name(&self) -> String {
        self.module.replace('-', "_")
    }
}

/// One guest step.  Exactly one action key per step (the default has
/// none: fill one in).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScenarioStep {
    /// A shell command.
    #[serde(default)]
    pub run: Option<String>,
    /// modprobe a kernel module of the scenario.
    #[serde(default)]
    pub modprobe: Option<String>,
    /// insmod a fixture (or --module) .ko by module name.
    #[serde(default)]
    pub insmod: Option<String>,
    /// rmmod one module.
    #[serde(default)]
    pub rmmod: Option<String>,
    /// Unbind every device bound to this driver (any bus).
    #[serde(default)]
    pub unbind: Option<String>,
    /// Bind again what `unbind` released from this driver.
    #[serde(default)]
    pub bind: Option<String>,
    /// Wait (up to 10 s) until this path exists.
    #[serde(default)]
    pub wait: Option<String>,
    /// Hold this file open (for writing) in a background process.
    #[serde(default)]
    pub hold: Option<String>,
    /// Close every file held open so far.
    #[serde(default)]
    pub release: Option<bool>,
    /// Wrap the step in a verification bracket with this label.
    #[serde(default)]
    pub verify: Option<String>,
    /// A failing command is part of the scenario (e.g. rmmod of a busy module).
    #[serde(default)]
    pub may_fail: bool,
}

impl ScenarioStep {
    /// The single action of the step, checked at load time.
    pub fn action(&self) -> Result<Action<'_>> {
        let mut found = vec![];
        if let Some(c) = &self.run {
            found.push(Action::Run(c));
        }
        if let Some(m) = &self.modprobe {
            found.push(Action::Modprobe(m));
        }
        if let Some(m) = &self.insmod {
            found.push(Action::Insmod(m));
        }
        if let Some(m) = &self.rmmod {
            found.push(Action::Rmmod(m));
        }
        if let Some(d) = &self.unbind {
            found.push(Action::Unbind(d));
        }
        if let Some(d) = &self.bind {
            found.push(Action::Bind(d));
        }
        if let Some(p) = &self.wait {
            found.push(Action::Wait(p));
        }
        if let Some(p) = &self.hold {
            found.push(Action::Hold(p));
        }
        if self.release == Some(true) {
            found.push(Action::Release);
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => bail!("step has no action (run, modprobe, insmod, rmmod, unbind, bind, wait, hold, release)"),
            _ => bail!("step has more than one action"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action<'a> {
    Run(&'a str),
    Modprobe(&'a str),
    Insmod(&'a str),
    Rmmod(&'a str),
    Unbind(&'a str),
    Bind(&'a str),
    Wait(&'a str),
    Hold(&'a str),
    Release,
}

/// The step as the scenario spells it, a long script cut to its first
/// line: what a failure message names.
impl std::fmt::Display for Action<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let (key, arg) = match self {
            Action::Run(s) => ("run", *s),
            Action::Modprobe(s) => ("modprobe", *s),
            Action::Insmod(s) => ("insmod", *s),
            Action::Rmmod(s) => ("rmmod", *s),
            Action::Unbind(s) => ("unbind", *s),
            Action::Bind(s) => ("bind", *s),
            Action::Wait(s) => ("wait", *s),
            Action::Hold(s) => ("hold", *s),
            Action::Release => return f.write_str("release"),
        };
        let first = arg.trim().lines().next().unwrap_or("");
        let more = first.chars().count() > 60 || arg.trim().lines().nth(1).is_some();
        let first: String = first.chars().take(60).collect();
        write!(f, "{key}: {first}{}", if more { " ..." } else { "" })
    }
}

/// An expected operation result.  `op` matches a KTAP test name exactly,
/// or as a prefix when it ends with `*`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub op: String,
    pub verdict: OpVerdict,
    /// Exact number of objects the operation unregistered.
    #[serde(default)]
    pub objects: Option<u32>,
    /// Substrings that must appear in the operation's diagnostics.
    #[serde(default)]
    pub reason: Vec<String>,
    /// Kernel series this expectation applies to (default: all).
    #[serde(default)]
    pub kernel: Option<String>,
}

impl Expect {
    pub fn matches(&self, name: &str) -> bool {
        match self.op.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == self.op,
        }
    }
}

/// Parse a scenario; `origin` names the file in error messages.
pub fn parse(text: &str, origin: &str) -> Result<Scenario> {
    let sc: Scenario = serde_yaml::from_str(text).map_err(|e| match e.location() {
        Some(loc) => anyhow!(
            "{}:{}:{}: {}",
            origin,
            loc.line(),
            loc.column(),
            strip_location(&e.to_string())
        ),
        None => anyhow!("{}: {}", origin, e),
    })?;
    validate(&sc).map_err(|e| anyhow!("{}: {}", origin, e))?;
    Ok(sc)
}

/// serde_yaml appends " at line L column C": we already lead with it.
fn strip_location(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

fn validate(sc: &Scenario) -> Result<()> {
    if sc.kernels.is_empty() {
        bail!("scenario {}: `kernels` is empty", sc.name);
    }
    for k in &sc.kernels {
        crate::packages::Series::parse(&k.kernel)?;
        crate::packages::Flavour::parse(&k.flavour)?;
    }
    for (i, s) in sc.steps.iter().enumerate() {
        s.action()
            .map_err(|e| anyhow!("scenario {}: step {}: {}", sc.name, i + 1, e))?;
        if let Some(label) = &s.verify {
            if label.is_empty() || label.len() > 60 || label.contains(['\n', '#', '\'']) {
                bail!(
                    "scenario {}: step {}: bad verify label {:?}",
                    sc.name,
                    i + 1,
                    label
                );
            }
        }
    }
    for (i, e) in sc.expect.iter().enumerate() {
        if !producible(e, &sc.steps) {
            bail!(
                "scenario {}: expect {} (op {:?}): no step can produce this operation \
                 (it needs a step with that `verify` label, or an rmmod, unbind or run step it fits)",
                sc.name,
                i + 1,
                e.op
            );
        }
    }
    // It becomes a QEMU argument: a machine name and its options only.
    if sc.qemu.machine.is_empty()
        || !sc
            .qemu
            .machine
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.,=".contains(c))
    {
        bail!(
            "scenario {}: bad qemu machine {:?}",
            sc.name,
            sc.qemu.machine
        );
    }
    for m in sc.modules.iter().chain(&sc.fixtures).chain(&sc.watch) {
        if m.is_empty()
            || !m
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            bail!("scenario {}: bad module name {:?}", sc.name, m);
        }
    }
    Ok(())
}

pub fn load(path: &Path) -> Result<Scenario> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow!("{}: {}", path.display(), e))?;
    parse(&text, &path.display().to_string())
}

/// Whether some step can make the guest report an operation `e` matches:
/// a bracket with a `verify` label, `rmmod m` (its module's
/// `rmmod`/`going` and its drivers' unbinds), `insmod`/`modprobe m` (a
/// failed load is `going m`), `unbind d` (`unbind d DEVICE`), or a `run`
/// script, which may unload or unbind anything.
fn producible(e: &Expect, steps: &[ScenarioStep]) -> bool {
    let module = |m: &str| m.replace('-', "_");
    steps.iter().any(|s| {
        s.verify.as_deref().is_some_and(|l| e.matches(l))
            || match s.action() {
                Ok(Action::Rmmod(m)) => {
                    e.matches(&format!("rmmod {}", module(m)))
                        || e.matches(&format!("going {}", module(m)))
                        || may_match(e, "unbind ")
                }
                Ok(Action::Insmod(m) | Action::Modprobe(m)) => {
                    e.matches(&format!("going {}", module(m)))
                }
                Ok(Action::Unbind(d)) => may_match(e, &format!("unbind {d} ")),
                Ok(Action::Run(_)) => ["rmmod ", "going ", "unbind "]
                    .iter()
                    .any(|p| may_match(e, p)),
                _ => false,
            }
    })
}

/// Whether `e` matches some operation name that starts with `prefix`.
fn may_match(e: &Expect, prefix: &str) -> bool {
    match e.op.strip_suffix('*') {
        Some(q) => q.starts_with(prefix) || prefix.starts_with(q),
        None => e.op.starts_with(prefix),
    }
}

/// [`load`], and every fixture the scenario names is one that
/// `<kmod_dir>/fixtures/Kbuild` builds: checked before any kernel is
/// fetched or booted.
pub fn load_for(path: &Path, kmod_dir: &Path) -> Result<Scenario> {
    let sc = load(path)?;
    let kbuild = kmod_dir.join("fixtures/Kbuild");
    let text =
        std::fs::read_to_string(&kbuild).map_err(|e| anyhow!("{}: {e}", kbuild.display()))?;
    let mut built = crate::kbuild::kbuild_modules(&text);
    // The verifier's own test modules (test_unplug_verify) load the same way.
    let verifier_kbuild = kmod_dir.join("Kbuild");
    let verifier_text = match std::fs::read_to_string(&verifier_kbuild) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => bail!("{}: {e}", verifier_kbuild.display()),
    };
    built.extend(
        crate::kbuild::kbuild_modules(&verifier_text)
            .into_iter()
            .filter(|m| *m != "unplug_verify"),
    );
    if let Some(f) = sc.fixtures.iter().find(|f| !built.contains(&f.as_str())) {
        bail!(
            "{}: scenario {}: unknown fixture {f:?} (fixtures: {})",
            path.display(),
            sc.name,
            built.join(", ")
        );
    }
    Ok(sc)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\
name: demo
kernels:
  - kernel: \"6.12\"
modules: [scsi_debug]
steps:
  - modprobe: scsi_debug
  - run: echo 1 > /sys/bus/pseudo/drivers/scsi_debug/add_host
    verify: add-host
expect:
  - op: add-host
    verdict: ok
    objects: 0
  - op: rmmod *
    verdict: ok
";

    #[test]
    fn loads_a_good_scenario() {
        let sc = parse(GOOD, "demo.yaml").unwrap();
        assert_eq!(sc.name, "demo");
        assert_eq!(sc.kernels[0].flavour, "cloud");
        assert_eq!(sc.qemu.smp, 1);
        assert!(sc.qemu.single_thread_tcg, "single-threaded TCG by default");
        let mttcg = parse(
            &GOOD.replace(
                "modules:",
                "qemu: {smp: 2, single_thread_tcg: false}\nmodules:",
            ),
            "demo.yaml",
        )
        .unwrap();
        assert!(!mttcg.qemu.single_thread_tcg && mttcg.qemu.smp == 2);
        assert_eq!(mttcg.qemu.machine, "q35");
        let bad = GOOD.replace("modules:", "qemu: {machine: \"q35 -x\"}\nmodules:");
        let e = parse(&bad, "m.yaml").unwrap_err().to_string();
        assert!(e.contains("bad qemu machine"), "{e}");
        assert_eq!(sc.steps[1].verify.as_deref(), Some("add-host"));
        assert!(matches!(
            sc.steps[0].action().unwrap(),
            Action::Modprobe("scsi_debug")
        ));
        assert!(sc.expect[1].matches("rmmod scsi_debug"));
        assert_eq!(
            sc.steps[0].action().unwrap().to_string(),
            "modprobe: scsi_debug"
        );
        let script = Action::Run("mem() { sync; }\nbefore=$(mem)\n");
        assert_eq!(script.to_string(), "run: mem() { sync; } ...");
        let long = "x".repeat(70);
        assert_eq!(
            Action::Run(&long).to_string(),
            format!("run: {} ...", &long[..60])
        );
        assert!(!sc.expect[0].matches("add-host2"));
    }

    #[test]
    fn rejects_unknown_key_with_position() {
        let bad = GOOD.replace("    verify: add-host", "    verfiy: add-host");
        let err = parse(&bad, "demo.yaml").unwrap_err().to_string();
        assert!(err.starts_with("demo.yaml:8:5: "), "{err}");
        assert!(err.contains("unknown field `verfiy`"), "{err}");
    }

    #[test]
    fn rejects_step_with_two_actions() {
        let bad = GOOD.replace(
            "  - modprobe: scsi_debug",
            "  - modprobe: scsi_debug\n    rmmod: scsi_debug",
        );
        let err = parse(&bad, "x.yaml").unwrap_err().to_string();
        assert!(err.contains("more than one action"), "{err}");
    }

    #[test]
    fn rejects_unknown_kernel() {
        let bad = GOOD.replace("\"6.12\"", "\"5.10\"");
        assert!(parse(&bad, "x.yaml")
            .unwrap_err()
            .to_string()
            .contains("5.10"));
    }

    #[test]
    fn rejects_an_expectation_no_step_produces() {
        let sc = |steps: &str, op: &str| {
            format!("name: t\nkernels: [{{kernel: \"6.12\"}}]\nsteps:\n{steps}expect:\n  - {{op: \"{op}\", verdict: ok}}\n")
        };
        let steps =
            "  - modprobe: scsi-debug\n  - unbind: sd\n  - insmod: fx\n    verify: load fx\n";
        for (op, ok) in [
            ("going scsi_debug", true),
            ("rmmod scsi_debug", false),
            ("rmmod *", false),
            ("unbind sd 0:0:0:0", true),
            ("unbind sd *", true),
            ("unbind *", true),
            ("unbind e1000 x", false),
            ("load fx", true),
            ("load f*", true),
            ("load fy", false),
        ] {
            let r = parse(&sc(steps, op), "x.yaml");
            assert_eq!(r.is_ok(), ok, "{op}: {r:?}");
            if let Err(e) = r {
                let e = e.to_string();
                assert!(e.starts_with("x.yaml: scenario t: expect 1 (op "), "{e}");
                assert!(e.contains("no step can produce"), "{e}");
            }
        }
        // a script may unload or unbind anything; an rmmod unbinds its drivers
        let more = format!("{steps}  - run: echo\n");
        assert!(parse(&sc(&more, "rmmod scsi_debug"), "x.yaml").is_ok());
        let more = format!("{steps}  - rmmod: fx\n");
        assert!(parse(&sc(&more, "unbind fx_drv fx.0"), "x.yaml").is_ok());
        assert!(parse(&sc(&more, "rmmod fx"), "x.yaml").is_ok());
    }

    #[test]
    fn unknown_fixture_is_an_error_before_any_boot() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("fixtures")).unwrap();
        std::fs::write(
            dir.path().join("fixtures/Kbuild"),
            "obj-m += a_legacy.o a_converted.o\n",
        )
        .unwrap();
        let sc = dir.path().join("s.yaml");
        std::fs::write(
            &sc,
            GOOD.replace(
                "modules: [scsi_debug]",
                "modules: [scsi_debug]\nfixtures: [a_legacy, b_legacy]",
            ),
        )
        .unwrap();
        let err = load_for(&sc, dir.path()).unwrap_err().to_string();
        assert!(err.contains("s.yaml: scenario demo: unknown fixture \"b_legacy\" (fixtures: a_legacy, a_converted)"), "{err}");
        std::fs::write(
            &sc,
            GOOD.replace("modules: [scsi_debug]", "fixtures: [a_converted]"),
        )
        .unwrap();
        assert!(load_for(&sc, dir.path()).is_ok());
    }

    #[test]
    fn the_verifiers_test_module_loads_like_a_fixture() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("fixtures")).unwrap();
        std::fs::write(dir.path().join("fixtures/Kbuild"), "obj-m += a_legacy.o\n").unwrap();
        let sc = dir.path().join("s.yaml");
        let named = |f: &str| GOOD.replace("modules: [scsi_debug]", &format!("fixtures: [{f}]"));
        std::fs::write(&sc, named("test_unplug_verify")).unwrap();
        let err = load_for(&sc, dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("unknown fixture \"test_unplug_verify\" (fixtures: a_legacy)"),
            "{err}"
        );
        std::fs::write(
            dir.path().join("Kbuild"),
            "obj-m += unplug_verify.o\nobj-m += test_unplug_verify.o\n",
        )
        .unwrap();
        assert!(load_for(&sc, dir.path()).is_ok());
        // The verifier itself is always loaded, never named.
        std::fs::write(&sc, named("unplug_verify")).unwrap();
        let err = load_for(&sc, dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("(fixtures: a_legacy, test_unplug_verify)"),
            "{err}"
        );
    }

    #[test]
    fn rejects_bad_verdict() {
        let bad = GOOD.replace("verdict: ok\n    objects", "verdict: fine\n    objects");
        let err = parse(&bad, "x.yaml").unwrap_err().to_string();
        assert!(err.starts_with("x.yaml:11:14: "), "{err}");
        assert!(err.contains("unknown variant `fine`"), "{err}");
    }
}
