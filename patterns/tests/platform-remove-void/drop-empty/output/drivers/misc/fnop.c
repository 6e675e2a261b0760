// SPDX-License-Identifier: GPL-2.0
/* Sample driver whose remove callback has nothing left to do. */
#include <linux/module.h>
#include <linux/platform_device.h>

static int fnop_probe(struct platform_device *pdev)
{
	return devm_fnop_setup(pdev);
}

static struct platform_driver fnop_driver = {
	.probe		= fnop_probe,
	.driver		= {
		.name	= "fnop",
	},
};
module_platform_driver(fnop_driver);
MODULE_LICENSE("GPL");
