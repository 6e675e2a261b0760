//! Placeholder until the harness lands: the CLI contract only.
use clap::Args;

/// Arguments of `unplug verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {}

/// Runs `unplug verify`; returns the process exit code.
pub fn run(_args: &VerifyArgs) -> anyhow::Result<i32> {
    anyhow::bail!("unplug verify is not built yet")
}
