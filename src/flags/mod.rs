//! The command line, and only here: every flag of `unplug` (ripgrep's
//! `crates/core/flags` is the model). Each subcommand's flags become the
//! typed options of the library that does the work; the library returns
//! results, and the binary prints them and picks the exit code.

pub mod report;
pub mod selection;
pub mod series;
pub mod verify;

pub use selection::Selection;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "unplug",
    version,
    about = "Migrate Linux drivers to disconnect-now driver-core interfaces and verify each conversion"
)]
pub struct Cli {
    /// Also load every *.yaml pattern in DIR (overrides built-ins with the same id).
    #[arg(long, global = true, value_name = "DIR")]
    pub patterns: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// List every site with its verdict (auto, needs-prep, manual, blocked, unparsed).
    Scan {
        #[command(flatten)]
        sel: Selection,
        /// Machine-readable output (schema in README.md).
        #[arg(long)]
        json: bool,
        /// Record the scan in this campaign's ledger (created if new):
        /// progress since the last scan is printed on stderr.
        #[arg(long, value_name = "DIR")]
        campaign: Option<PathBuf>,
    },
    /// Print the unified diff of the conversion (or apply it with --in-place).
    Rewrite {
        #[command(flatten)]
        sel: Selection,
        /// Write the changed files (atomically) instead of printing a diff.
        #[arg(long)]
        in_place: bool,
    },
    /// Write the conversion as git format-patch series, one per subsystem, routed by MAINTAINERS.
    Series(series::SeriesArgs),
    /// Progress report of a campaign (Markdown, self-contained HTML or JSON).
    Report(report::ReportArgs),
    /// Exit 1 when a tree or a patch adds users of an interface the campaign retires.
    Check(report::CheckArgs),
    /// List, show and test the campaign patterns.
    Patterns {
        #[command(subcommand)]
        action: PatternsAction,
    },
    /// Boot Debian test kernels in QEMU and verify that unregistering drops every reference.
    Verify(VerifyCmd),
    /// Measurements for developers of unplug.
    Debug {
        #[command(subcommand)]
        action: DebugAction,
    },
}

#[derive(clap::Args)]
pub struct VerifyCmd {
    /// Convert → verify for a campaign: each of its patterns' verifier
    /// fixtures is rewritten by the pattern, the legacy and the converted
    /// variant run in their scenario, and the verdicts go into the ledger.
    /// With --tree (or --driver, --suite drivers): the real drivers with a
    /// recipe for the campaign's patterns, verdicts into the ledger.
    #[arg(long, value_name = "DIR")]
    pub campaign: Option<PathBuf>,
    /// Kernel source tree to build --driver (or --suite drivers) from
    /// (default: Debian's linux-source of each kernel, fetched).
    #[arg(long, value_name = "TREE")]
    pub tree: Option<PathBuf>,
    /// In-tree driver with a recipe in verifier-kmod/drivers (its path,
    /// e.g. drivers/net/ethernet/intel/e1000e, or the recipe's name).
    #[arg(long, value_name = "PATH")]
    pub driver: Option<String>,
    /// Campaign pattern to rewrite the driver with (repeatable; default:
    /// the recipe's).
    #[arg(long = "pattern", value_name = "ID")]
    pub pattern_ids: Vec<String>,
    /// Also write the driver verdicts as KCIDB I/O JSON (schema 5.3) to FILE.
    #[arg(long, value_name = "FILE")]
    pub kcidb: Option<PathBuf>,
    #[command(flatten)]
    pub args: verify::VerifyArgs,
}

#[derive(Subcommand)]
pub enum PatternsAction {
    /// One line per pattern: id, interface version, phases, title.
    List,
    /// A pattern's full description and rules.
    Show { id: String },
    /// Run the fixture cases (default: patterns/tests of this checkout).
    Test {
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum DebugAction {
    /// Print a file as the parser sees it after the masking pass.
    Mask { file: PathBuf },
    /// Share of files with parse errors before and after masking.
    ParseStats {
        tree: PathBuf,
        #[arg(long = "path", value_name = "SUBDIR")]
        paths: Vec<String>,
        #[arg(long)]
        json: bool,
    },
}
