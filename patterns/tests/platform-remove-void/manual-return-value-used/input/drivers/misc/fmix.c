// SPDX-License-Identifier: GPL-2.0
/* Sample driver that calls its remove callback and uses the result. */
#include <linux/module.h>
#include <linux/platform_device.h>

static int fmix_remove(struct platform_device *pdev)
{
	fmix_hw_off(platform_get_drvdata(pdev));
	return 0;
}

static int fmix_probe(struct platform_device *pdev)
{
	int ret = fmix_setup(pdev);

	if (ret)
		return fmix_remove(pdev);
	return 0;
}

static struct platform_driver fmix_driver = {
	.probe = fmix_probe,
	.remove = fmix_remove,
	.driver = {
		.name = "fmix",
	},
};
module_platform_driver(fmix_driver);
MODULE_LICENSE("GPL");
