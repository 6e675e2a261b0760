//! Small kernel-like trees for the ledger tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub const PATTERN: &str = "platform-remove-void";

pub fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A platform driver `name` whose int remove callback returns 0.
pub fn legacy_driver(name: &str) -> String {
    format!(
        "// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
#include <linux/platform_device.h>

static int {name}_probe(struct platform_device *pdev)
{{
	return 0;
}}

static int {name}_remove(struct platform_device *pdev)
{{
	void *p = platform_get_drvdata(pdev);

	kfree(p);
	return 0;
}}

static struct platform_driver {name}_driver = {{
	.probe		= {name}_probe,
	.remove		= {name}_remove,
	.driver		= {{
		.name	= \"{name}\",
	}},
}};
module_platform_driver({name}_driver);
MODULE_LICENSE(\"GPL\");
"
    )
}

/// The same driver converted to the void callback.
pub fn converted_driver(name: &str) -> String {
    format!(
        "// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
#include <linux/platform_device.h>

static int {name}_probe(struct platform_device *pdev)
{{
	return 0;
}}

static void {name}_remove(struct platform_device *pdev)
{{
	void *p = platform_get_drvdata(pdev);

	kfree(p);
}}

static struct platform_driver {name}_driver = {{
	.probe		= {name}_probe,
	.remove_new	= {name}_remove,
	.driver		= {{
		.name	= \"{name}\",
	}},
}};
module_platform_driver({name}_driver);
MODULE_LICENSE(\"GPL\");
"
    )
}

const MAINTAINERS: &str = "List of maintainers
-------------------

GPIO SUBSYSTEM
M:	Gina Gpio <gina@example.org>
L:	linux-gpio@example.org
S:	Maintained
F:	drivers/gpio/

SPI SUBSYSTEM
M:	Sam Spi <sam@example.org>
S:	Maintained
F:	drivers/spi/

WATCHDOG DEVICE DRIVERS
M:	Walt Dog <walt@example.org>
S:	Maintained
F:	drivers/watchdog/

THE REST
M:	Linus Example <linus@example.org>
L:	linux-kernel@example.org
S:	Buried alive in reporters
F:	*
F:	*/
";

const HEADER: &str = "/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PLATFORM_DEVICE_H_
#define _PLATFORM_DEVICE_H_
struct platform_device;
struct platform_driver {
	int (*probe)(struct platform_device *);
	int (*remove)(struct platform_device *);
	void (*remove_new)(struct platform_device *);
};
#endif
";

fn base(root: &Path, patchlevel: u32) {
    write(
        root,
        "Makefile",
        &format!("VERSION = 6\nPATCHLEVEL = {patchlevel}\nSUBLEVEL = 0\nEXTRAVERSION =\n"),
    );
    write(root, "MAINTAINERS", MAINTAINERS);
    write(root, "include/linux/platform_device.h", HEADER);
}

/// 6.1: four legacy drivers (alpha, delta in gpio; beta in spi; gamma in watchdog).
pub fn tree_v1(root: &Path) {
    base(root, 1);
    write(root, "drivers/gpio/gpio-alpha.c", &legacy_driver("alpha"));
    write(root, "drivers/gpio/gpio-delta.c", &legacy_driver("delta"));
    write(root, "drivers/spi/spi-beta.c", &legacy_driver("beta"));
    write(
        root,
        "drivers/watchdog/gamma_wdt.c",
        &legacy_driver("gamma"),
    );
}

/// 6.2: alpha converted, beta removed, gamma unchanged, delta moved to
/// another file, epsilon a new legacy driver.
pub fn tree_v2(root: &Path) {
    base(root, 2);
    write(
        root,
        "drivers/gpio/gpio-alpha.c",
        &converted_driver("alpha"),
    );
    write(
        root,
        "drivers/gpio/gpio-delta-core.c",
        &legacy_driver("delta"),
    );
    write(
        root,
        "drivers/watchdog/gamma_wdt.c",
        &legacy_driver("gamma"),
    );
    write(root, "drivers/spi/spi-epsilon.c", &legacy_driver("epsilon"));
}

pub fn scan_doc(tree: &Path, patterns: &[&str]) -> model::scan::ScanDoc {
    let ids: Vec<String> = patterns.iter().map(|s| s.to_string()).collect();
    let out = reports::scan::run_patterns(tree, &ids, &[], None).unwrap();
    reports::scan::scan_document(tree, &out, Some(&[]))
}

pub struct Trees {
    pub _tmp: tempfile::TempDir,
    pub v1: PathBuf,
    pub v2: PathBuf,
    pub campaign: PathBuf,
}

pub fn trees() -> Trees {
    let tmp = tempfile::tempdir().unwrap();
    let v1 = tmp.path().join("linux-6.1");
    let v2 = tmp.path().join("linux-6.2");
    tree_v1(&v1);
    tree_v2(&v2);
    let campaign = tmp.path().join("campaign");
    Trees {
        _tmp: tmp,
        v1,
        v2,
        campaign,
    }
}

/// Both scans recorded into `t.campaign`.
pub fn recorded(t: &Trees) {
    for tree in [&t.v1, &t.v2] {
        let doc = scan_doc(tree, &[PATTERN]);
        reports::campaign::record_scan(&t.campaign, &doc, tree, &[]).unwrap();
    }
}
