//! Helper for series/tests/compare_get_maintainer.sh.
//!
//! route files TREE FILE...        addresses for plain files (get_maintainer.pl -f)
//! route patch TREE PATCH...       addresses for patch files (get_maintainer.pl PATCH)
//! route mkseries TREE OUT FILE... one patch per file with a synthetic edit
//!                                 (a comment line appended), written to OUT
//! route json TREE OUT CHANGES.json [check]
//!                                 a series from serialized DriverChanges
use std::path::Path;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, tree) = (args[0].as_str(), Path::new(&args[1]));
    match mode {
        "files" => route_files(tree, &args[2..]),
        "patch" => route_patches(tree, &args[2..]),
        "mkseries" => mkseries(tree, Path::new(&args[2]), &args[3..]),
        "json" => from_json(tree, &args[2..]),
        _ => anyhow::bail!("unknown mode {mode}"),
    }
}

/// The addresses for each plain file (`get_maintainer.pl -f`).
fn route_files(tree: &Path, files: &[String]) -> anyhow::Result<()> {
    let m = series::maintainers::Maintainers::load(tree)?;
    for f in files {
        let r = m.route_files(tree, std::slice::from_ref(f));
        println!("== {f}");
        for a in r.recipients {
            println!("{}", a.address);
        }
    }
    Ok(())
}

/// The addresses for each patch file (`get_maintainer.pl PATCH`).
fn route_patches(tree: &Path, patches: &[String]) -> anyhow::Result<()> {
    let m = series::maintainers::Maintainers::load(tree)?;
    for p in patches {
        let text = String::from_utf8_lossy(&std::fs::read(p)?).to_string();
        let r = m.route_patch(&text);
        println!("== {p}");
        for a in r.recipients {
            println!("{}", a.address);
        }
    }
    Ok(())
}

/// One patch per file with a synthetic edit, written to `out`.
fn mkseries(tree: &Path, out: &Path, files: &[String]) -> anyhow::Result<()> {
    let mut changes = Vec::new();
    for f in files {
        let before = std::fs::read(tree.join(f))?;
        let mut after = before.clone();
        after.extend_from_slice(b"/* unplug: synthetic edit */\n");
        changes.push(series::DriverChange {
            key: f.clone(),
            files: vec![series::FileEdit {
                rel_path: f.clone(),
                before,
                after,
                mode: 0o100644,
            }],
            shared_helper: None,
            remarks: vec![],
        });
    }
    let campaign = series::Campaign {
        id: "compare".into(),
        subject: "Add a synthetic comment".into(),
        rationale: "Synthetic change used to compare routing with get_maintainer.pl.".into(),
    };
    let opts = series::SeriesOptions {
        out_dir: out.to_path_buf(),
        from: Some("Compare Bot <compare@example.org>".into()),
        max_per_series: 0,
        ..Default::default()
    };
    let rep = series::build_series(tree, &campaign, &changes, &opts)?;
    for s in &rep.series {
        for p in &s.patches {
            println!("{}", p.path.display());
        }
    }
    Ok(())
}

/// `json OUT CHANGES.json [check]`: a series from serialized DriverChanges
/// (before/after as byte arrays), its table on stdout.
fn from_json(tree: &Path, args: &[String]) -> anyhow::Result<()> {
    let out = Path::new(&args[0]);
    let changes: Vec<series::DriverChange> = serde_json::from_slice(&std::fs::read(&args[1])?)?;
    let campaign = series::Campaign {
        id: "platform-remove-void".into(),
        subject: "Convert to platform remove callback returning void".into(),
        rationale: "The .remove() callback for a platform driver returns an int which makes many driver authors wrongly assume it's possible to do error handling by returning an error code. However the value returned is ignored (apart from emitting a warning) and this typically results in resource leaks.\n\nTrivially convert this driver from always returning zero in the remove callback to the void returning variant.".into(),
    };
    let opts = series::SeriesOptions {
        out_dir: out.to_path_buf(),
        from: Some("Compare Bot <compare@example.org>".into()),
        signoff: true,
        check: args.get(2).map(|a| a == "check").unwrap_or(false),
        group_by: if std::env::var("GROUP_BY").as_deref() == Ok("tree") {
            series::GroupBy::Tree
        } else {
            series::GroupBy::Section
        },
        ..Default::default()
    };
    let rep = series::build_series(tree, &campaign, &changes, &opts)?;
    series::print_table(&rep, &mut std::io::stdout())?;
    Ok(())
}
