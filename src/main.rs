//! `unplug`: migrate Linux drivers to disconnect-now driver-core
//! interfaces, per subsystem, and verify each conversion.

mod campaign_verify;
mod commands;
mod driver_verify;
mod output;
mod parse_stats;
mod series_cmd;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit codes, documented in README.md.
pub mod exit {
    /// Everything ran; nothing went wrong.
    pub const OK: u8 = 0;
    /// The run completed, but something was not examined or not changed
    /// (unreadable files, refused edits), a fixture failed, or a check found
    /// new users of a retiring interface.
    pub const FINDINGS: u8 = 1;
    /// Bad invocation or bad input (a pattern that does not load, a tree
    /// that does not exist): nothing was done.
    pub const USAGE: u8 = 2;
}

#[derive(Parser)]
#[command(
    name = "unplug",
    version,
    about = "Migrate Linux drivers to disconnect-now driver-core interfaces and verify each conversion"
)]
struct Cli {
    /// Also load every *.yaml pattern in DIR (overrides built-ins with the same id).
    #[arg(long, global = true, value_name = "DIR")]
    patterns: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
pub struct Selection {
    /// The kernel source tree.
    pub tree: PathBuf,
    /// Campaign pattern id (repeatable; default: every pattern).
    #[arg(long = "pattern", value_name = "ID")]
    pub pattern_ids: Vec<String>,
    /// Restrict to this subdirectory of the tree (repeatable).
    #[arg(long = "path", value_name = "SUBDIR")]
    pub paths: Vec<String>,
    /// Rewrite even where the tree lacks the target interface (for series
    /// that go on top of the core change).
    #[arg(long)]
    pub assume_api: bool,
    /// platform-remove-void: remove callbacks that become empty, with their
    /// initializer line.
    #[arg(long)]
    pub drop_empty: bool,
}

#[derive(Subcommand)]
enum Command {
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
    Series(series_cmd::SeriesArgs),
    /// Progress report of a campaign (Markdown, self-contained HTML or JSON).
    Report(reports::cli::ReportArgs),
    /// Exit 1 when a tree or a patch adds users of an interface the campaign retires.
    Check(reports::cli::CheckArgs),
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
struct VerifyCmd {
    /// Convert → verify for a campaign: each of its patterns' verifier
    /// fixtures is rewritten by the pattern, the legacy and the converted
    /// variant run in their scenario, and the verdicts go into the ledger.
    /// With --tree (or --driver, --suite drivers): the real drivers with a
    /// recipe for the campaign's patterns, verdicts into the ledger.
    #[arg(long, value_name = "DIR")]
    campaign: Option<PathBuf>,
    /// Kernel source tree to build --driver (or --suite drivers) from
    /// (default: Debian's linux-source of each kernel, fetched).
    #[arg(long, value_name = "TREE")]
    tree: Option<PathBuf>,
    /// In-tree driver with a recipe in verifier-kmod/drivers (its path,
    /// e.g. drivers/net/ethernet/intel/e1000e, or the recipe's name).
    #[arg(long, value_name = "PATH")]
    driver: Option<String>,
    /// Campaign pattern to rewrite the driver with (repeatable; default:
    /// the recipe's).
    #[arg(long = "pattern", value_name = "ID")]
    pattern_ids: Vec<String>,
    /// Also write the driver verdicts as KCIDB I/O JSON (schema 5.3) to FILE.
    #[arg(long, value_name = "FILE")]
    kcidb: Option<PathBuf>,
    #[command(flatten)]
    args: verifier::VerifyArgs,
}

#[derive(Subcommand)]
enum PatternsAction {
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
enum DebugAction {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan {
            sel,
            json,
            campaign,
        } => commands::scan(cli.patterns.as_deref(), &sel, json, campaign.as_deref()),
        Command::Report(args) => reports::cli::run_report(&args),
        Command::Check(mut args) => {
            args.extra_patterns = cli.patterns.clone();
            reports::cli::run_check(&args)
        }
        Command::Rewrite { sel, in_place } => {
            commands::rewrite(cli.patterns.as_deref(), &sel, in_place)
        }
        Command::Series(args) => series_cmd::run(cli.patterns.as_deref(), &args),
        Command::Patterns { action } => match action {
            PatternsAction::List => commands::patterns_list(cli.patterns.as_deref()),
            PatternsAction::Show { id } => commands::patterns_show(cli.patterns.as_deref(), &id),
            PatternsAction::Test { dir } => commands::patterns_test(cli.patterns.as_deref(), dir),
        },
        Command::Verify(v)
            if v.driver.is_some()
                || v.args.suite.as_deref() == Some("drivers")
                || (v.campaign.is_some() && v.tree.is_some()) =>
        {
            driver_verify::run_drivers(&driver_verify::DriverArgs {
                tree: v.tree.as_deref(),
                driver: v.driver.as_deref(),
                patterns: &v.pattern_ids,
                kcidb: v.kcidb.as_deref(),
                campaign: v.campaign.as_deref(),
                extra_patterns: cli.patterns.as_deref(),
                args: &v.args,
            })
        }
        Command::Verify(v)
            if v.tree.is_some() || v.kcidb.is_some() || !v.pattern_ids.is_empty() =>
        {
            Err(anyhow::anyhow!(
                "--tree, --pattern and --kcidb go with --driver PATH or --suite drivers"
            ))
        }
        Command::Verify(VerifyCmd {
            campaign: Some(dir),
            args,
            ..
        }) => campaign_verify::run_campaign(
            cli.patterns.as_deref(),
            &dir,
            args.kernel.as_deref(),
            args.flavour.as_deref(),
            args.json,
        ),
        Command::Verify(VerifyCmd {
            campaign: None,
            args,
            ..
        }) => verifier::run(&args).map(|code| code.clamp(0, 255) as u8),
        Command::Debug { action } => match action {
            DebugAction::ParseStats { tree, paths, json } => parse_stats::run(&tree, &paths, json),
            DebugAction::Mask { file } => parse_stats::print_masked(&file),
        },
    };
    match result {
        Ok(code) => ExitCode::from(code),
        // `| head` took what it wanted: that is no error of the run.
        Err(e) if broken_pipe(&e) && output::stdout_closed() => ExitCode::from(exit::OK),
        Err(e) => {
            eprintln!("unplug: error: {e:#}");
            ExitCode::from(exit::USAGE)
        }
    }
}

fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
