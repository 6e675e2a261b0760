// SPDX-License-Identifier: GPL-2.0
/*
 * Sample driver whose remove callback uses a macro the parser cannot
 * read: the site is reported as unparsed and left untouched.
 */
#include <linux/module.h>
#include <linux/platform_device.h>

static int fweird_remove(struct platform_device *pdev)
{
	struct fweird *fw = platform_get_drvdata(pdev);

	fweird_for_each_lane(fw, lane) fweird_lane_off(lane) FWEIRD_SYNC;
	return 0;
}

static struct platform_driver fweird_driver = {
	.remove = fweird_remove,
	.driver = {
		.name = "fweird",
	},
};
module_platform_driver(fweird_driver);
MODULE_LICENSE("GPL");
