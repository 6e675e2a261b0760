//! Integration tests on the fixture tree (tests/fixtures/tree).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use series::maintainers::Maintainers;
use series::prefix::{PrefixResolver, PrefixSource};
use series::{build_series, Campaign, DriverChange, FileEdit, Per, SeriesOptions};

const FROM: &str = "Test Author <author@example.org>";
const DATE: i64 = 1795629881; // Wed, 25 Nov 2026 18:04:41 +0000

fn tree() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tree")
}

fn campaign() -> Campaign {
    Campaign {
        id: "platform-remove-void".into(),
        subject: "Convert to platform remove callback returning void".into(),
        rationale: "The .remove() callback for a platform driver returns an int which makes many driver authors wrongly assume it's possible to do error handling by returning an error code. However the value returned is ignored (apart from emitting a warning) and this typically results in resource leaks.\n\nTo improve here there is a quest to make the remove callback return void. In the first step of this quest all drivers are converted to .remove_new(), which already returns void. Eventually after all drivers are converted, .remove_new() will be renamed to .remove().\n\nTrivially convert this driver from always returning zero in the remove callback to the void returning variant.".into(),
    }
}

/// The campaign's edit on one fixture driver.
fn convert(src: &str) -> String {
    let mut out = src.replace("static int ", "static int\u{1}");
    // only the remove callback becomes void
    let idx = out
        .find("_remove(struct platform_device *pdev)\n{")
        .unwrap();
    let start = out[..idx].rfind("static int\u{1}").unwrap();
    out.replace_range(start..start + "static int\u{1}".len(), "static void ");
    out = out.replace("static int\u{1}", "static int ");
    out = out.replace(
        "_hw_disable(priv);\n\n\treturn 0;\n}",
        "_hw_disable(priv);\n}",
    );
    out = out.replace("\t.remove = ", "\t.remove_new = ");
    out
}

fn edit(path: &str) -> FileEdit {
    let before = std::fs::read(tree().join(path)).unwrap();
    let after = convert(std::str::from_utf8(&before).unwrap()).into_bytes();
    assert_ne!(before, after, "{path} not converted");
    FileEdit {
        rel_path: path.into(),
        before,
        after,
        mode: 0o100644,
    }
}

fn driver(path: &str) -> DriverChange {
    DriverChange {
        key: path.into(),
        files: vec![edit(path)],
        shared_helper: None,
        remarks: vec![],
    }
}

/// A helper in drivers/gpio used by an i2c driver: one change.
fn shared_change() -> DriverChange {
    let mut helper = edit("drivers/gpio/gpio-qux-helper.c");
    helper.after = String::from_utf8(helper.after)
        .unwrap()
        .replace("static void qux_helper_remove", "void qux_helper_remove")
        .into_bytes();
    let h = "include/linux/gpio/qux-helper.h";
    let before = std::fs::read(tree().join(h)).unwrap();
    let after = String::from_utf8(before.clone())
        .unwrap()
        .replace("int qux_helper_remove", "void qux_helper_remove")
        .into_bytes();
    DriverChange {
        key: "drivers/i2c/busses/i2c-qux.c".into(),
        files: vec![
            edit("drivers/i2c/busses/i2c-qux.c"),
            helper,
            FileEdit {
                rel_path: h.into(),
                before,
                after,
                mode: 0o100644,
            },
        ],
        shared_helper: Some("qux_helper_remove".into()),
        remarks: vec![],
    }
}

fn all_changes() -> Vec<DriverChange> {
    let mut v: Vec<DriverChange> = [
        "drivers/gpio/gpio-foo.c",
        "drivers/gpio/gpio-bar.c",
        "drivers/gpio/gpio-excluded.c",
        "drivers/gpio/gpio-acme.c",
        "drivers/i2c/busses/i2c-baz.c",
        "drivers/i2c/busses/i2c-old.c",
        "drivers/spi/spi-bar.c",
        "drivers/spi/spi-widget.c",
    ]
    .iter()
    .map(|p| driver(p))
    .collect();
    v.push(shared_change());
    v
}

fn opts(out: &Path) -> SeriesOptions {
    SeriesOptions {
        out_dir: out.to_path_buf(),
        from: Some(FROM.into()),
        signoff: true,
        date: Some(DATE),
        signature: Some("2.47.3".into()),
        tree: tree(),
        ..Default::default()
    }
}

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn routing_follows_get_maintainer_rules() {
    let m = Maintainers::load(&tree()).unwrap();
    let addrs = |files: &[&str]| -> BTreeSet<String> {
        let files: Vec<String> = files.iter().map(|s| s.to_string()).collect();
        m.route_files(&tree(), &files).addresses()
    };
    // most specific section + directory section + THE REST's list, mailmap
    // applied (gina@example.org -> gina@new.example.org), Linus dropped
    assert_eq!(
        addrs(&["drivers/gpio/gpio-foo.c"]),
        set(&[
            "Foo Person <foo@example.org>",
            "Gina Gpio <gina@new.example.org>",
            "Rev Iewer <rev@example.org>",
            "linux-gpio@example.org",
            "linux-kernel@vger.kernel.org"
        ])
    );
    // X: excludes the GPIO SUBSYSTEM section
    assert_eq!(
        addrs(&["drivers/gpio/gpio-excluded.c"]),
        set(&["Ex Cluded <ex@example.org>", "linux-kernel@vger.kernel.org"])
    );
    // N: regex, quoted name, moderated list kept, subscribers-only list dropped
    assert_eq!(
        addrs(&["drivers/gpio/gpio-acme.c"]),
        set(&[
            "Gina Gpio <gina@new.example.org>",
            "Rev Iewer <rev@example.org>",
            "\"Acme Maint, Jr.\" <acme@example.org>",
            "linux-gpio@example.org",
            "acme-soc@example.org",
            "linux-kernel@vger.kernel.org"
        ])
    );
    // glob: include/linux/spi/*.h does not cross '/'
    assert!(addrs(&["include/linux/spi/spi-bar.h"]).contains("Sam Spi <sam@example.org>"));
    assert_eq!(
        addrs(&["include/linux/spi/sub/deep.h"]),
        set(&["linux-kernel@vger.kernel.org"])
    );
    // K: on file content
    assert!(addrs(&["drivers/spi/spi-widget.c"]).contains("Kay Word <kay@example.org>"));
    assert!(!addrs(&["drivers/spi/spi-bar.c"]).contains("Kay Word <kay@example.org>"));
    // same name, other address: get_maintainer.pl keeps the first one only
    let both = addrs(&["drivers/gpio/gpio-foo.c", "drivers/spi/spi-bar.c"]);
    assert!(both.contains("Foo Person <foo@example.org>"));
    assert!(!both.contains("Foo Person <foo.person@other.example.org>"));
    assert!(both.contains("Sam Spi <sam@example.org>"));

    // owners (grouping)
    assert_eq!(
        m.owner("drivers/gpio/gpio-foo.c").section_name.as_deref(),
        Some("FOO GPIO DRIVER")
    );
    assert_eq!(
        m.owner("drivers/gpio/gpio-bar.c").section_name.as_deref(),
        Some("GPIO SUBSYSTEM")
    );
    assert_eq!(
        m.owner("drivers/gpio/gpio-excluded.c")
            .section_name
            .as_deref(),
        Some("EXCLUDED GPIO DRIVER")
    );
    let old = m.owner("drivers/i2c/busses/i2c-old.c");
    assert_eq!(old.section_name.as_deref(), Some("ORPHAN I2C DRIVER"));
    assert!(old.orphan);
    assert_eq!(
        m.tree_owner("drivers/gpio/gpio-foo.c")
            .section_name
            .as_deref(),
        Some("GPIO SUBSYSTEM")
    );
}

#[test]
fn keywords_match_patch_lines() {
    let m = Maintainers::load(&tree()).unwrap();
    let patch = "Subject: [PATCH] spi: x\n\nbody\n---\ndiff --git a/drivers/spi/spi-x.c b/drivers/spi/spi-x.c\n--- a/drivers/spi/spi-x.c\n+++ b/drivers/spi/spi-x.c\n@@ -1,3 +1,3 @@\n \twidget_register(dev);\n-a\n+b\n";
    let r = m.route_patch(patch);
    // context lines do not count once the diff started
    assert!(!r.addresses().contains("Kay Word <kay@example.org>"));
    let r = m.route_patch(&patch.replace("-a\n", "-\twidget_register(a);\n"));
    assert!(r.addresses().contains("Kay Word <kay@example.org>"));
    // ... but the commit message does
    let r = m.route_patch(&patch.replace("body", "uses widget_register()"));
    assert!(r.addresses().contains("Kay Word <kay@example.org>"));
    assert_eq!(
        r.to().first().map(String::as_str),
        Some("Sam Spi <sam@example.org>")
    );
    assert!(r.cc().contains(&"linux-spi@example.org".to_string()));
}

#[test]
fn prefixes_from_path_history_and_overrides() {
    let none = Default::default();
    let t = tree();
    let mut r = PrefixResolver::new(&t, &none);
    assert_eq!(
        r.for_file("drivers/gpio/gpio-foo.c", None),
        ("gpio: foo:".to_string(), PrefixSource::Path)
    );
    assert_eq!(
        r.for_file("drivers/i2c/busses/i2c-baz.c", None).0,
        "i2c: baz:"
    );
    assert_eq!(r.for_file("drivers/spi/spi-bar.c", None).0, "spi: bar:");

    let mut ov = std::collections::BTreeMap::new();
    ov.insert("drivers/spi".to_string(), "spi-special".to_string());
    ov.insert("GPIO SUBSYSTEM".to_string(), "gpio: generic:".to_string());
    let mut r = PrefixResolver::new(&t, &ov);
    assert_eq!(
        r.for_file("drivers/spi/spi-bar.c", None),
        ("spi-special:".to_string(), PrefixSource::Override)
    );
    assert_eq!(
        r.for_file("drivers/gpio/gpio-bar.c", Some("GPIO SUBSYSTEM"))
            .0,
        "gpio: generic:"
    );

    // learned from git history
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    git(p, &["init", "-q"]);
    std::fs::create_dir_all(p.join("drivers/char/hw_random")).unwrap();
    let f = p.join("drivers/char/hw_random/xgene-rng.c");
    for (i, s) in [
        "hwrng: xgene - Fix a leak",
        "hwrng: xgene - Use devm",
        "treewide: Something",
        "hwrng: Drop x",
    ]
    .iter()
    .enumerate()
    {
        std::fs::write(&f, format!("{i}\n")).unwrap();
        git(p, &["add", "."]);
        git(
            p,
            &[
                "-c",
                "user.name=T",
                "-c",
                "user.email=t@e.org",
                "commit",
                "-q",
                "-m",
                s,
            ],
        );
    }
    let mut r = PrefixResolver::new(p, &none);
    assert_eq!(
        r.for_file("drivers/char/hw_random/xgene-rng.c", None),
        ("hwrng: xgene -".to_string(), PrefixSource::History)
    );
}

#[test]
fn per_driver_series_layout_and_routing() {
    let out = tempfile::tempdir().unwrap();
    let rep = build_series(&tree(), &campaign(), &all_changes(), &opts(out.path())).unwrap();
    let names: Vec<&str> = rep.series.iter().map(|s| s.section.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "EXCLUDED GPIO DRIVER",
            "FOO GPIO DRIVER",
            "GPIO SUBSYSTEM",
            "I2C SUBSYSTEM HOST DRIVERS",
            "ORPHAN I2C DRIVER",
            "SPI SUBSYSTEM"
        ]
    );
    assert_eq!(rep.patch_count(), 9);
    let gpio = &rep.series[2];
    assert_eq!(gpio.dir, out.path().join("gpio-subsystem"));
    let files: Vec<&str> = gpio.patches.iter().map(|p| p.file_name.as_str()).collect();
    assert_eq!(
        files,
        vec![
            "v1-0001-gpio-acme-Convert-to-platform-remove-callback-ret.patch",
            "v1-0002-gpio-bar-Convert-to-platform-remove-callback-retu.patch"
        ]
    );
    for f in files.iter().chain(["v1-0000-cover-letter.patch"].iter()) {
        assert!(gpio.dir.join(f).is_file(), "{f}");
    }
    assert_eq!(
        gpio.patches[0].subject,
        "[PATCH v1 1/2] gpio: acme: Convert to platform remove callback returning void"
    );
    // M: -> To, R: and L: -> Cc
    assert_eq!(
        gpio.patches[1].to,
        vec!["Gina Gpio <gina@new.example.org>".to_string()]
    );
    assert_eq!(
        gpio.patches[1].cc,
        vec![
            "Rev Iewer <rev@example.org>".to_string(),
            "linux-gpio@example.org".into(),
            "linux-kernel@vger.kernel.org".into()
        ]
    );
    // cover letter: union
    assert!(gpio
        .to
        .contains(&"\"Acme Maint, Jr.\" <acme@example.org>".to_string()));
    assert!(gpio.cc.contains(&"acme-soc@example.org".to_string()));

    // orphan section is flagged, in the report and in the cover letter
    let orphan = rep
        .series
        .iter()
        .find(|s| s.section == "ORPHAN I2C DRIVER")
        .unwrap();
    assert!(orphan.orphan && orphan.patches[0].orphan);
    let cover = std::fs::read_to_string(orphan.dir.join("v1-0000-cover-letter.patch")).unwrap();
    assert!(cover.contains("S: Orphan"), "{cover}");

    // the shared helper keeps gpio + i2c files in one patch, sent to both
    let i2c = rep
        .series
        .iter()
        .find(|s| s.section == "I2C SUBSYSTEM HOST DRIVERS")
        .unwrap();
    let qux = i2c
        .patches
        .iter()
        .find(|p| p.drivers == vec!["drivers/i2c/busses/i2c-qux.c".to_string()])
        .unwrap();
    assert_eq!(qux.files.len(), 3);
    assert_eq!(qux.shared_helpers, vec!["qux_helper_remove".to_string()]);
    assert_eq!(qux.mixed_sections.len(), 2);
    assert!(qux.to.contains(&"Ian Twoc <ian@example.org>".to_string()));
    assert!(qux
        .to
        .contains(&"Gina Gpio <gina@new.example.org>".to_string()));
    assert_eq!(qux.prefix, "i2c: qux:");
    let cover = std::fs::read_to_string(i2c.dir.join("v1-0000-cover-letter.patch")).unwrap();
    assert!(cover.contains("qux_helper_remove is shared"), "{cover}");
    let mail = std::fs::read_to_string(&qux.path).unwrap();
    assert!(mail.contains("qux_helper_remove is shared by"));

    // no other patch mixes sections
    for s in &rep.series {
        for p in &s.patches {
            if p.shared_helpers.is_empty() {
                assert!(p.mixed_sections.is_empty(), "{}", p.subject);
            }
        }
    }
    // K: is matched on the patch as get_maintainer.pl reads it: the
    // widget_register() call is only context in this patch, so no Kay Word
    let spi = rep
        .series
        .iter()
        .find(|s| s.section == "SPI SUBSYSTEM")
        .unwrap();
    let widget = spi
        .patches
        .iter()
        .find(|p| p.files[0].ends_with("spi-widget.c"))
        .unwrap();
    assert!(
        !widget
            .to
            .contains(&"Kay Word <kay@example.org>".to_string()),
        "{:?}",
        widget.to
    );
    assert_eq!(widget.to, vec!["Sam Spi <sam@example.org>".to_string()]);

    // JSON report
    let json = serde_json::to_value(&rep).unwrap();
    assert_eq!(
        json["series"][2]["patches"][0]["to"][0],
        "Gina Gpio <gina@new.example.org>"
    );
    assert!(out.path().join("series.json").is_file());
    let mut table = Vec::new();
    series::print_table(&rep, &mut table).unwrap();
    let table = String::from_utf8(table).unwrap();
    assert!(table.contains("== ORPHAN I2C DRIVER [ORPHAN]"), "{table}");
}

#[test]
fn max_per_series_splits_and_numbering() {
    let out = tempfile::tempdir().unwrap();
    let base = driver("drivers/gpio/gpio-bar.c");
    let changes: Vec<DriverChange> = (1..=5)
        .map(|i| {
            let mut c = base.clone();
            c.key = format!("drivers/gpio/gpio-n{i}.c");
            c.files[0].rel_path = c.key.clone();
            c
        })
        .collect();
    let mut o = opts(out.path());
    o.max_per_series = 2;
    o.version = 3;
    let rep = build_series(&tree(), &campaign(), &changes, &o).unwrap();
    assert_eq!(rep.series.len(), 3);
    let counts: Vec<usize> = rep.series.iter().map(|s| s.patches.len()).collect();
    assert_eq!(counts, vec![2, 2, 1]);
    assert_eq!(rep.series[1].dir, out.path().join("gpio-subsystem-2"));
    assert_eq!((rep.series[1].part, rep.series[1].parts), (2, 3));
    assert_eq!(
        rep.series[0].patches[1].subject,
        "[PATCH v3 2/2] gpio: n2: Convert to platform remove callback returning void"
    );
    assert_eq!(
        rep.series[2].patches[0].file_name,
        "v3-0001-gpio-n5-Convert-to-platform-remove-callback-retur.patch"
    );
    assert!(rep.series[2]
        .dir
        .join("v3-0000-cover-letter.patch")
        .is_file());

    // ten or more patches: zero padded numbers like git
    let changes: Vec<DriverChange> = (1..=10)
        .map(|i| {
            let mut c = base.clone();
            c.key = format!("drivers/gpio/gpio-m{i:02}.c");
            c.files[0].rel_path = c.key.clone();
            c
        })
        .collect();
    let out2 = tempfile::tempdir().unwrap();
    let mut o = opts(out2.path());
    o.max_per_series = 0;
    let rep = build_series(&tree(), &campaign(), &changes, &o).unwrap();
    assert_eq!(rep.series.len(), 1);
    assert!(rep.series[0].patches[0]
        .subject
        .starts_with("[PATCH v1 01/10] gpio: m01:"));
    assert!(rep.series[0]
        .cover_subject
        .starts_with("[PATCH v1 00/10] gpio: "));
}

#[test]
fn per_subsystem_and_filter() {
    let out = tempfile::tempdir().unwrap();
    let mut o = opts(out.path());
    o.per = Per::Subsystem;
    o.subsystems = vec!["gpio subsystem".into(), "drivers/spi".into()];
    let rep = build_series(&tree(), &campaign(), &all_changes(), &o).unwrap();
    let names: Vec<&str> = rep.series.iter().map(|s| s.section.as_str()).collect();
    assert_eq!(names, vec!["GPIO SUBSYSTEM", "SPI SUBSYSTEM"]);
    let gpio = &rep.series[0];
    assert_eq!(gpio.patches.len(), 1);
    assert_eq!(
        gpio.patches[0].files,
        vec![
            "drivers/gpio/gpio-acme.c".to_string(),
            "drivers/gpio/gpio-bar.c".into()
        ]
    );
    assert_eq!(gpio.patches[0].prefix, "gpio:");
    assert_eq!(
        gpio.patches[0].subject,
        "[PATCH v1 1/1] gpio: Convert to platform remove callback returning void"
    );
    assert!(rep
        .filtered_out
        .contains(&"drivers/gpio/gpio-foo.c".to_string()));
    let mail = std::fs::read_to_string(&gpio.patches[0].path).unwrap();
    assert!(mail.contains("This converts the following drivers:\n\n  - drivers/gpio/gpio-acme.c\n  - drivers/gpio/gpio-bar.c\n"), "{mail}");
}

#[test]
fn remarks_follow_the_rationale_named_by_driver_when_several_share_a_patch() {
    let remark = "In bar_remove(), the conversion also fixes a reference leak on the error path.";
    let mut changes = all_changes();
    for c in &mut changes {
        if c.key == "drivers/gpio/gpio-bar.c" {
            c.remarks = vec![remark.into()];
        }
    }
    // One patch per driver: the remark is a paragraph of its own.
    let out = tempfile::tempdir().unwrap();
    let mut o = opts(out.path());
    o.subsystems = vec!["gpio subsystem".into()];
    let rep = build_series(&tree(), &campaign(), &changes, &o).unwrap();
    let bar = rep.series[0]
        .patches
        .iter()
        .find(|p| p.files == ["drivers/gpio/gpio-bar.c"])
        .unwrap();
    let mail = std::fs::read_to_string(&bar.path).unwrap();
    assert!(
        mail.contains("to the void returning variant.\n\nIn bar_remove(), the conversion also fixes a reference leak on the error\npath.\n\nSigned-off-by:"),
        "{mail}"
    );
    for p in rep.series[0].patches.iter().filter(|p| p.path != bar.path) {
        let other = std::fs::read_to_string(&p.path).unwrap();
        assert!(!other.contains("bar_remove"), "{other}");
    }
    // One patch for the subsystem: the remark says which driver.
    let out = tempfile::tempdir().unwrap();
    let mut o = opts(out.path());
    o.per = Per::Subsystem;
    o.subsystems = vec!["gpio subsystem".into()];
    let rep = build_series(&tree(), &campaign(), &changes, &o).unwrap();
    let mail = std::fs::read_to_string(&rep.series[0].patches[0].path).unwrap();
    assert!(
        mail.contains("\n\ndrivers/gpio/gpio-bar.c: In bar_remove(), the conversion also fixes"),
        "{mail}"
    );
}

/// Our mails must equal what `git format-patch` prints for the same commits
/// (apart from the commit id on the first line).
#[test]
fn mails_match_git_format_patch_bytes() {
    let mut baz = driver("drivers/gpio/gpio-bar.c");
    baz.key = "drivers/gpio/gpio-baz.c".into();
    baz.files[0].rel_path = baz.key.clone();
    baz.files[0].after = String::from_utf8(baz.files[0].after.clone())
        .unwrap()
        .replace("\tint ret;\n", "\tint ret = 0;\n")
        .into_bytes();
    let changes = vec![driver("drivers/gpio/gpio-bar.c"), baz];
    // a repository holding the original files
    let d = tempfile::tempdir().unwrap();
    let repo = d.path();
    git(repo, &["init", "-q"]);
    std::fs::copy(tree().join(".gitattributes"), repo.join(".gitattributes")).unwrap();
    for c in &changes {
        let f = repo.join(&c.files[0].rel_path);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(&f, &c.files[0].before).unwrap();
    }
    let ident = [
        "-c",
        "user.name=Test Author",
        "-c",
        "user.email=author@example.org",
    ];
    git(repo, &["add", "."]);
    git(
        repo,
        &[&ident[..], &["commit", "-q", "-m", "base"]].concat(),
    );
    let base = git(repo, &["rev-parse", "HEAD"]).trim().to_string();

    let out = tempfile::tempdir().unwrap();
    let mut o = opts(out.path());
    o.base_commit = Some(base.clone());
    let rep = build_series(&tree(), &campaign(), &changes, &o).unwrap();
    let s = &rep.series[0];

    // commit the same changes with the same messages, author and date
    let date = format!("@{DATE} +0000");
    for (c, p) in changes.iter().zip(&s.patches) {
        std::fs::write(repo.join(&c.files[0].rel_path), &c.files[0].after).unwrap();
        git(repo, &["add", "."]);
        let mail = std::fs::read_to_string(&p.path).unwrap();
        let title = p.subject.split_once("] ").unwrap().1;
        let body = mail.split_once("\n\n").unwrap().1;
        let body = &body[..body.find("\n---\n").unwrap() + 1];
        let msg = format!("{title}\n\n{body}");
        let st = Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(ident)
            .args(["commit", "-q", "--cleanup=verbatim", "-F", "-"])
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stdin(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut ch| {
                use std::io::Write;
                ch.stdin.take().unwrap().write_all(msg.as_bytes())?;
                drop(ch.stdin.take());
                ch.wait()
            })
            .unwrap();
        assert!(st.success());
    }
    // both patches go to the same people, so one --to/--cc set fits both
    assert_eq!(s.patches[0].to, s.patches[1].to);
    assert_eq!(s.patches[0].cc, s.patches[1].cc);
    let mut args: Vec<String> = [
        ident[0],
        ident[1],
        ident[2],
        ident[3],
        "format-patch",
        "-q",
        "-v1",
        "--thread",
        "--cover-letter",
        "--abbrev=12",
        "-o",
        "gp",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("--base={base}"));
    args.extend(s.patches[0].to.iter().map(|t| format!("--to={t}")));
    args.extend(s.patches[0].cc.iter().map(|t| format!("--cc={t}")));
    args.push("HEAD~2".into());
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    git(repo, &args);
    // the ids differ (git's carry the clock), their headers must not
    let strip = |m: &str| {
        let rest = m.split_once('\n').unwrap().1;
        let mut ids = Vec::new();
        let mut text = String::new();
        for l in rest.split_inclusive('\n') {
            match l.split_once(": <") {
                Some((h, _)) if ["Message-ID", "In-Reply-To", "References"].contains(&h) => {
                    ids.push(h.to_string())
                }
                _ => text += l,
            }
        }
        (ids, text)
    };
    for p in &s.patches {
        let ours = std::fs::read_to_string(&p.path).unwrap();
        let theirs = std::fs::read_to_string(repo.join("gp").join(&p.file_name)).unwrap();
        assert_eq!(strip(&ours), strip(&theirs), "{}", p.file_name);
    }
    // cover letter: headers up to the subject, shortlog, diffstat, trailer
    let ours = std::fs::read_to_string(s.dir.join(&s.cover_letter)).unwrap();
    let theirs = std::fs::read_to_string(repo.join("gp/v1-0000-cover-letter.patch")).unwrap();
    let tail = |m: &str| m[m.find("Test Author (2):").unwrap()..].to_string();
    let cid = format!("change-id: {}\n", s.change_id);
    assert_eq!(tail(&ours).replace(&cid, ""), tail(&theirs));
    assert_eq!(strip(&ours).0, strip(&theirs).0);
    // To:/Cc: block (git's cover letter has the committer's own From/Date)
    let head = |m: &str| {
        let h = m.split("\n\n").next().unwrap();
        h[h.find("\nTo: ").unwrap()..].to_string()
    };
    assert_eq!(head(&ours), head(&theirs));
    assert!(ours.contains(&format!("\nbase-commit: {base}\n{cid}-- \n2.47.3\n\n")));
}

#[test]
fn index_lines_are_git_blob_ids_and_git_am_accepts() {
    let out = tempfile::tempdir().unwrap();
    let mut o = opts(out.path());
    o.check = true;
    o.abbrev = 40;
    let changes = all_changes();
    let rep = build_series(&tree(), &campaign(), &changes, &o).unwrap();
    // every patch applies with git am -3 in the scratch repository
    for s in &rep.series {
        for p in &s.patches {
            let c = p.check.as_ref().unwrap();
            assert!(c.applies, "{}: {}", p.subject, c.detail);
            assert_eq!(
                c.checkpatch_errors, None,
                "fixture tree has no checkpatch.pl"
            );
        }
    }
    // index lines carry `git hash-object` ids
    let d = tempfile::tempdir().unwrap();
    let p = &rep.series[0].patches[0];
    let mail = std::fs::read_to_string(&p.path).unwrap();
    let f = changes
        .iter()
        .flat_map(|c| c.files.iter())
        .find(|f| f.rel_path == p.files[0])
        .unwrap();
    let hash = |content: &[u8]| {
        let t = d.path().join("blob");
        std::fs::write(&t, content).unwrap();
        git(d.path(), &["hash-object", t.to_str().unwrap()])
            .trim()
            .to_string()
    };
    let line = format!("index {}..{} 100644\n", hash(&f.before), hash(&f.after));
    assert!(mail.contains(&line), "{line} not in\n{mail}");

    // and plain `git am` (no -3) on a repo made from the tree's files works too
    let repo = tempfile::tempdir().unwrap();
    let r = repo.path();
    git(r, &["init", "-q"]);
    for c in &changes {
        for f in &c.files {
            let dst = r.join(&f.rel_path);
            std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
            std::fs::copy(tree().join(&f.rel_path), &dst).unwrap();
        }
    }
    git(r, &["add", "."]);
    git(
        r,
        &[
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@e.org",
            "commit",
            "-q",
            "-m",
            "base",
        ],
    );
    for s in &rep.series {
        for p in &s.patches {
            git(
                r,
                &[
                    "-c",
                    "user.name=T",
                    "-c",
                    "user.email=t@e.org",
                    "am",
                    "-q",
                    p.path.to_str().unwrap(),
                ],
            );
        }
    }
    let log = git(r, &["log", "--format=%an <%ae>|%s"]);
    assert!(log.lines().any(|l| l == "Test Author <author@example.org>|gpio: foo: Convert to platform remove callback returning void"), "{log}");
    for c in &changes {
        for f in &c.files {
            assert_eq!(
                std::fs::read(r.join(&f.rel_path)).unwrap(),
                f.after,
                "{}",
                f.rel_path
            );
        }
    }
}

#[test]
fn signoff_requires_identity() {
    let out = tempfile::tempdir().unwrap();
    let mut o = opts(out.path());
    o.from = Some("no address".into());
    assert!(build_series(&tree(), &campaign(), &all_changes(), &o).is_err());
}

#[test]
fn check_runs_the_trees_checkpatch_and_reports_failures() {
    // a copy of the fixture with a stand-in checkpatch.pl that complains
    // about "remove_new" lines
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    for rel in ["MAINTAINERS", ".mailmap", ".gitattributes"] {
        std::fs::copy(tree().join(rel), root.join(rel)).unwrap();
    }
    std::fs::create_dir_all(root.join("scripts")).unwrap();
    std::fs::create_dir_all(root.join("drivers/gpio")).unwrap();
    std::fs::write(
        root.join("scripts/checkpatch.pl"),
        "#!/usr/bin/perl\nmy ($e, $w, $n) = (0, 0, 0);\nwhile (<>) { $n++; $w++ if /^\\+.*remove_new/; $e++ if /^\\+.*BROKEN/; }\nprint \"total: $e errors, $w warnings, $n lines checked\\n\";\n",
    )
    .unwrap();
    let good = driver("drivers/gpio/gpio-bar.c");
    let mut bad = driver("drivers/gpio/gpio-acme.c");
    // a second change editing the same file against the original content:
    // it cannot apply after the first one
    let mut clash = bad.clone();
    clash.key = "drivers/gpio/gpio-acme-clash".into();
    clash.files[0].after = String::from_utf8(clash.files[0].before.clone())
        .unwrap()
        .replace(
            "\t.remove = acme_gpio_remove,",
            "\t.remove = acme_gpio_remove, /* BROKEN */",
        )
        .into_bytes();
    bad.files[0].after.extend_from_slice(b"/* trailing */\n");
    let out = tempfile::tempdir().unwrap();
    let mut o = opts(out.path());
    o.check = true;
    o.tree = root.to_path_buf();
    let rep = build_series(root, &campaign(), &[good, bad, clash], &o).unwrap();
    assert!(
        rep.warnings.iter().any(|w| w.contains("is edited by both")),
        "{:?}",
        rep.warnings
    );
    let s = &rep.series[0];
    let checks: Vec<(bool, Option<u32>, Option<u32>)> = s
        .patches
        .iter()
        .map(|p| {
            let c = p.check.clone().unwrap();
            (c.applies, c.checkpatch_errors, c.checkpatch_warnings)
        })
        .collect();
    // acme-clash (sorts first; applies, 1 error), acme (cannot apply on top
    // of it, 1 warning), bar (applies, 1 warning)
    assert_eq!(
        checks,
        vec![
            (true, Some(1), Some(0)),
            (false, Some(0), Some(1)),
            (true, Some(0), Some(1))
        ]
    );
    let mut table = Vec::new();
    series::print_table(&rep, &mut table).unwrap();
    let table = String::from_utf8(table).unwrap();
    assert!(table.contains(" NO "), "{table}");
}

/// A tree without MAINTAINERS, or with one that names no files, is bad
/// input: no series is written (each patch would go to nobody).
#[test]
fn missing_or_garbage_maintainers_is_an_error() {
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join("drivers/gpio")).unwrap();
    let changes = vec![new_file_change()];
    let out = tempfile::tempdir().unwrap();
    let o = opts(out.path());
    let err = format!(
        "{:#}",
        build_series(t.path(), &campaign(), &changes, &o).unwrap_err()
    );
    assert!(err.contains("MAINTAINERS: no such file"), "{err}");
    for garbage in [
        &b"\x00\xff\xfe binary junk"[..],
        b"GPIO\nM:\tSomeone <a@b.org>\nno files here\n",
    ] {
        std::fs::write(t.path().join("MAINTAINERS"), garbage).unwrap();
        let err = format!(
            "{:#}",
            build_series(t.path(), &campaign(), &changes, &o).unwrap_err()
        );
        assert!(err.contains("MAINTAINERS: not a MAINTAINERS file"), "{err}");
    }
    assert!(
        std::fs::read_dir(out.path()).unwrap().next().is_none(),
        "something was written"
    );
}

fn new_file_change() -> DriverChange {
    DriverChange {
        key: "drivers/gpio/gpio-new.c".into(),
        files: vec![FileEdit {
            rel_path: "drivers/gpio/gpio-new.c".into(),
            before: vec![],
            after: b"// SPDX-License-Identifier: GPL-2.0\n".to_vec(),
            mode: 0o100644,
        }],
        shared_helper: None,
        remarks: vec![],
    }
}

#[test]
fn new_files() {
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join("drivers/gpio")).unwrap();
    std::fs::write(
        t.path().join("MAINTAINERS"),
        "GPIO\nM:\tG Maint <g@example.org>\nF:\tdrivers/gpio/\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut o = opts(out.path());
    o.check = true;
    let rep = build_series(t.path(), &campaign(), &[new_file_change()], &o).unwrap();
    let p = &rep.series[0].patches[0];
    assert_eq!(p.to, vec!["G Maint <g@example.org>".to_string()]);
    assert!(
        p.check.as_ref().unwrap().applies,
        "{}",
        p.check.as_ref().unwrap().detail
    );
    let mail = std::fs::read_to_string(&p.path).unwrap();
    assert!(
        mail.contains("new file mode 100644\nindex 000000000000..")
            && mail.contains("--- /dev/null\n+++ b/drivers/gpio/gpio-new.c\n@@ -0,0 +1 @@\n"),
        "{mail}"
    );
    assert!(
        mail.contains(" create mode 100644 drivers/gpio/gpio-new.c\n"),
        "{mail}"
    );
}

/// Odd bytes and odd names reach git the way git writes them: a bare CR
/// inside a line, CR-only line ends, non-UTF-8 bytes, no final newline,
/// and a name with a tab, quotes and a backslash (C-quoted headers). The
/// mail's diff is byte for byte `git diff`'s, and `git am --keep-cr`
/// applies it.
#[test]
fn odd_bytes_and_names_match_git_diff_and_apply() {
    let files: [(&str, &[u8], &[u8]); 4] = [
        (
            "drivers/gpio/t\tab \"q\" b\\s.c",
            b"int a;\nint b;\nint c;\n",
            b"int a;\nint B;\nint c;\n",
        ),
        (
            "drivers/gpio/cr.c",
            b"int a; /* x\ry */\nint b;\n",
            b"int a; /* x\ry */\nint B;\n",
        ),
        (
            "drivers/gpio/cronly.c",
            b"int a;\rint b;\r",
            b"int a;\rint B;\r",
        ),
        (
            "drivers/gpio/raw.c",
            b"char *s = \"\xff\xfe\";\nint b;",
            b"char *s = \"\xff\xfe\";\nint B;",
        ),
    ];
    let changes: Vec<DriverChange> = files
        .iter()
        .map(|(p, b, a)| DriverChange {
            key: p.to_string(),
            files: vec![FileEdit {
                rel_path: p.to_string(),
                before: b.to_vec(),
                after: a.to_vec(),
                mode: 0o100644,
            }],
            shared_helper: None,
            remarks: vec![],
        })
        .collect();
    let repo = tempfile::tempdir().unwrap();
    let r = repo.path();
    git(r, &["init", "-q"]);
    std::fs::write(r.join("MAINTAINERS"), "GPIO\nF:\tdrivers/gpio/\n").unwrap();
    for (p, b, _) in &files {
        std::fs::create_dir_all(r.join("drivers/gpio")).unwrap();
        std::fs::write(r.join(p), b).unwrap();
    }
    let ident = ["-c", "user.name=T", "-c", "user.email=t@e.org"];
    git(r, &["add", "."]);
    git(r, &[&ident[..], &["commit", "-q", "-m", "base"]].concat());
    let out = tempfile::tempdir().unwrap();
    let mut o = opts(out.path());
    o.tree = r.to_path_buf();
    o.abbrev = 40;
    let rep = build_series(r, &campaign(), &changes, &o).unwrap();
    let mut mails = Vec::new();
    for s in &rep.series {
        for p in &s.patches {
            mails.push(p.path.clone());
        }
    }
    assert_eq!(mails.len(), files.len());
    for (p, _, a) in &files {
        std::fs::write(r.join(p), a).unwrap();
    }
    let theirs = Command::new("git")
        .args(["-C", r.to_str().unwrap(), "diff", "--full-index"])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap()
        .stdout;
    git(r, &["checkout", "-q", "."]);
    for m in &mails {
        let mail = std::fs::read(m).unwrap();
        let start = mail.windows(11).position(|w| w == b"diff --git ").unwrap();
        let end = mail.windows(4).rposition(|w| w == b"-- \n").unwrap();
        let ours = &mail[start..end];
        assert!(
            theirs.windows(ours.len()).any(|w| w == ours),
            "not in git diff:\n{}\ngit diff:\n{}",
            String::from_utf8_lossy(ours),
            String::from_utf8_lossy(&theirs)
        );
        // a mail carries CRs before a newline only with --keep-cr, as git's own
        git(
            r,
            &[&ident[..], &["am", "--keep-cr", "-q", m.to_str().unwrap()]].concat(),
        );
    }
    for (p, _, a) in &files {
        assert_eq!(std::fs::read(r.join(p)).unwrap(), *a, "{p:?}");
    }
}

/// The diff stage is one engine: each file of each mail carries the very
/// hunks `unplug rewrite` prints for the same change (function context
/// from the tree's `.gitattributes`, git's sliding).
#[test]
fn mails_carry_the_hunks_rewrite_prints() {
    let out = tempfile::tempdir().unwrap();
    let changes = all_changes();
    let rep = build_series(&tree(), &campaign(), &changes, &opts(out.path())).unwrap();
    let attrs = rewriter::diff::Attributes::load(&tree()).unwrap();
    let (mut compared, mut with_function) = (0, 0);
    for p in rep.series.iter().flat_map(|s| &s.patches) {
        let mail = std::fs::read(&p.path).unwrap();
        for f in changes.iter().flat_map(|c| &c.files) {
            if !p.files.contains(&f.rel_path) {
                continue;
            }
            let change = rewriter::model::FileChange {
                file: f.rel_path.clone(),
                before: f.before.clone(),
                after: f.after.clone(),
                groups: vec![],
            };
            let rewrite = rewriter::diff::unified_with(&[change], &attrs);
            // from the `+++` line on: the headers differ (`diff -u`, index)
            let at = rewrite.windows(4).position(|w| w == b"+++ ").unwrap();
            let hunks = &rewrite[at..];
            assert!(
                hunks.starts_with(b"+++ b/") && mail.windows(hunks.len()).any(|w| w == hunks),
                "{}: the mail's hunks differ from rewrite's\n{}",
                f.rel_path,
                String::from_utf8_lossy(hunks)
            );
            with_function += String::from_utf8_lossy(hunks).contains("@@ static ") as usize;
            compared += 1;
        }
    }
    assert!(compared >= 9, "only {compared} files compared");
    assert!(
        with_function >= 8,
        "function context in {with_function} files only"
    );
}
