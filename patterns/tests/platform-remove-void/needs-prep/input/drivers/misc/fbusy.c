// SPDX-License-Identifier: GPL-2.0
/* Sample driver whose remove can fail: needs a preparation patch. */
#include <linux/module.h>
#include <linux/platform_device.h>

static int fbusy_remove(struct platform_device *pdev)
{
	struct fbusy *fb = platform_get_drvdata(pdev);
	int ret;

	if (fb->users)
		return -EBUSY;

	ret = fbusy_hw_off(fb);
	if (ret)
		return ret;

	platform_device_unregister(fb->child);
	return 0;
}

static struct platform_driver fbusy_driver = {
	.remove = fbusy_remove,
	.driver = {
		.name = "fbusy",
	},
};
module_platform_driver(fbusy_driver);
MODULE_LICENSE("GPL");
