//! `unplug series`: its flags. The command itself is `series_cmd.rs`.

use anyhow::Result;
use series::campaign::CampaignPhase;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct SeriesArgs {
    #[command(flatten)]
    pub sel: super::selection::Selection,
    /// Directory the series are written to (one subdirectory per series).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// One patch per driver (default) or one per subsystem.
    #[arg(long, value_enum, default_value = "driver")]
    pub per: PerArg,
    /// Group patches by the most specific MAINTAINERS section (default), or
    /// by the most specific section that names a git tree (fewer series).
    #[arg(long, value_enum, default_value = "section")]
    pub group_by: GroupByArg,
    /// Split a subsystem's series after this many patches (0: never).
    #[arg(long, default_value_t = 15)]
    pub max_per_series: usize,
    /// Only these MAINTAINERS sections (name substring) or paths.
    #[arg(long = "subsystem", value_name = "NAME")]
    pub subsystems: Vec<String>,
    /// Author, "Name <addr>" (default: the tree's git config).
    #[arg(long)]
    pub from: Option<String>,
    /// Add a Signed-off-by: line for the author.
    #[arg(long)]
    pub signoff: bool,
    /// Series version (v1, v2, ...).
    #[arg(long, default_value_t = 1)]
    pub version: u32,
    /// The base-commit: trailer of the cover letters (default: HEAD when
    /// the tree is the top of a git work tree).
    #[arg(long, value_name = "SHA")]
    pub base_commit: Option<String>,
    /// Date of the mails: `now`, or seconds since the epoch (default: from
    /// the tree, so that the same tree and campaign give the same files).
    #[arg(long, value_name = "now|EPOCH", value_parser = parse_date)]
    pub date: Option<i64>,
    /// Apply the series to a scratch copy with git am and run checkpatch.pl.
    #[arg(long)]
    pub check: bool,
    /// With --check: compile every object a patch touches before and after
    /// it (W=1), with the first allmodconfig (x86_64, then cross
    /// compilers) that builds it.
    #[arg(long, requires = "check")]
    pub build: bool,
    /// Where --build keeps its source copy and prepared O= directories
    /// (default: $XDG_CACHE_HOME/unplug/build or ~/.cache/unplug/build).
    #[arg(long, value_name = "DIR")]
    pub build_cache: Option<PathBuf>,
    /// --build: only these architectures, in this order (default: x86_64,
    /// arm64, arm, riscv, powerpc, powerpc32, mips, m68k, sh; those without
    /// an installed cross compiler are skipped).
    #[arg(long = "arch", value_name = "NAME")]
    pub arches: Vec<String>,
    /// --build: parallel compiles (make -j).
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
    /// With --check: run each patched driver that has a recipe
    /// (verifier-kmod/drivers) under the verifier in QEMU, as the tree has
    /// it and as the patch makes it (`unplug verify --driver`).
    #[arg(long, requires = "check")]
    pub verify: bool,
    /// Machine-readable report.
    #[arg(long)]
    pub json: bool,
    /// Record the written patches in this campaign's ledger.
    #[arg(long, value_name = "DIR")]
    pub campaign: Option<PathBuf>,
    /// Campaign phase: `introduce` (one core patch adding the new interface),
    /// `convert` (the drivers, per subsystem) or `retire` (one patch removing
    /// the old interface; refused while any legacy user remains).
    #[arg(long, value_enum, default_value = "convert")]
    pub phase: PhaseArg,
    /// With --campaign, on a newer tree: rescan it into the campaign, then
    /// write the next version of every series sent before with only its
    /// drivers still to convert (the same change-id; a changelog names the
    /// patches dropped because they were applied or are gone).
    #[arg(long, requires = "campaign")]
    pub resend: bool,
}

fn parse_date(s: &str) -> Result<i64, String> {
    if s == "now" {
        return std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .map_err(|e| e.to_string());
    }
    s.parse()
        .map_err(|_| format!("`{s}`: expected `now` or seconds since the epoch"))
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PhaseArg {
    Introduce,
    Convert,
    Retire,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum GroupByArg {
    Section,
    Tree,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum PerArg {
    Driver,
    Subsystem,
}

impl PhaseArg {
    /// The campaign phase these flags name.
    pub fn phase(self) -> CampaignPhase {
        match self {
            PhaseArg::Introduce => CampaignPhase::Introduce,
            PhaseArg::Convert => CampaignPhase::Convert,
            PhaseArg::Retire => CampaignPhase::Retire,
        }
    }
}
