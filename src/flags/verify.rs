//! `unplug verify`: its flags, the typed options they make for the
//! verifier crate, and how outcomes are printed.

use anyhow::Result;
use clap::Args;
use model::verify::VerifyOutcome;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Arguments of `unplug verify` that the verifier itself takes.
#[derive(Debug, Clone, Default, Args)]
pub struct VerifyArgs {
    /// Test kernel: 6.1, 6.12, or a directory with an unpacked kernel
    /// (boot/vmlinuz-<krel>, lib/modules/<krel>, usr/src/linux-headers-<krel>).
    /// Default: each scenario's own kernels.
    #[arg(long)]
    pub kernel: Option<String>,
    /// Debian flavour of --kernel: cloud or generic.
    #[arg(long)]
    pub flavour: Option<String>,
    /// Scenario YAML file (repeatable).
    #[arg(long = "scenario", value_name = "FILE")]
    pub scenarios: Vec<PathBuf>,
    /// Module to check: a module of the test kernel by name, a built .ko,
    /// or a directory with a Kbuild file (repeatable).  Without a scenario
    /// runs the default driver check: load, unbind and rebind every bound
    /// device, unload.
    #[arg(long = "module", value_name = "NAME|KO|DIR")]
    pub modules: Vec<String>,
    /// Run a named suite: `ci` runs every shipped scenario, `drivers` every
    /// driver recipe (verifier-kmod/drivers) against --tree.
    #[arg(long)]
    pub suite: Option<String>,
    /// Print results as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Keep each run's work directory (initramfs, init script, console log).
    #[arg(long)]
    pub keep: bool,
    /// Seconds before a guest counts as hung (default: scenario's, else 120).
    #[arg(long)]
    pub timeout: Option<u64>,
    /// Grace period in ms after the RCU barrier before judging an operation.
    #[arg(long)]
    pub settle_ms: Option<u32>,
    /// Directory holding the module sources, fixtures/ and scenarios/.
    #[arg(long, value_name = "DIR")]
    pub kmod_dir: Option<PathBuf>,
    /// Echo the guest console to stderr as it arrives.
    #[arg(long)]
    pub console: bool,
    /// Have unplug_verify also name the objects each operation released.
    #[arg(long)]
    pub verbose: bool,
}

/// Progress lines go to stderr when a person watches it.
fn progress(msg: &str) {
    if std::io::stderr().is_terminal() {
        eprintln!("unplug verify: {msg}");
    }
}

fn notice(msg: &str) {
    eprintln!("unplug verify: {msg}");
}

fn console_line(line: &str) {
    eprintln!("{line}");
}

impl VerifyArgs {
    /// The verifier's options for these flags.
    pub fn options(&self) -> verifier::VerifyOptions {
        verifier::VerifyOptions {
            kernel: self.kernel.clone(),
            flavour: self.flavour.clone(),
            scenarios: self.scenarios.clone(),
            modules: self.modules.clone(),
            suite: self.suite.clone(),
            keep: self.keep,
            timeout: self.timeout,
            settle_ms: self.settle_ms,
            kmod_dir: self.kmod_dir.clone(),
            verbose: self.verbose,
            progress,
            notice,
            console: self.console.then_some(console_line as fn(&str)),
        }
    }
}

/// `unplug verify` with scenarios or modules: the table (or JSON) on
/// stdout; exit 1 when a run did not pass.
pub fn run(args: &VerifyArgs) -> Result<u8> {
    let outcomes = verifier::run(&args.options())?;
    show(&outcomes, args.json, &mut std::io::stdout().lock())?;
    Ok(if outcomes.iter().all(|o| o.passed) {
        crate::exit::OK
    } else {
        crate::exit::FINDINGS
    })
}

/// Prints the outcomes as JSON or as the table. A reader gone (`| head`)
/// changes nothing about the verdict: the exit code stays the run's.
fn show(outcomes: &[VerifyOutcome], json: bool, out: &mut dyn std::io::Write) -> Result<()> {
    let shown = if json {
        writeln!(out, "{}", serde_json::to_string_pretty(outcomes)?)
    } else {
        verifier::report::write_table(out, outcomes)
    };
    match shown {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_stdout_is_no_error() {
        struct Closed;
        impl std::io::Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let o = VerifyOutcome {
            scenario: "s".into(),
            kernel: "k".into(),
            passed: false,
            seconds: 0.0,
            operations: vec![],
            problems: vec!["p".into()],
            log: None,
        };
        for json in [true, false] {
            show(std::slice::from_ref(&o), json, &mut Closed).unwrap();
        }
    }

    #[test]
    fn flags_make_the_verifier_options() {
        let a = VerifyArgs {
            kernel: Some("6.1".into()),
            console: true,
            keep: true,
            ..Default::default()
        };
        let o = a.options();
        assert_eq!(o.kernel.as_deref(), Some("6.1"));
        assert!(o.keep && o.console.is_some());
        assert!(VerifyArgs::default().options().console.is_none());
    }
}
