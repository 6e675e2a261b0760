// SPDX-License-Identifier: GPL-2.0
/* Sample driver whose remove callback lives in .exit.text. */
#include <linux/module.h>
#include <linux/platform_device.h>

static int __exit fexit_remove(struct platform_device *pdev)
{
	struct fexit_priv *priv = platform_get_drvdata(pdev);

	fexit_hw_stop(priv);
	return 0;
}

static struct platform_driver fexit_driver __refdata = {
	.remove = __exit_p(fexit_remove),
	.driver = {
		.name = "fexit",
	},
};
module_platform_driver_probe(fexit_driver, fexit_probe);
MODULE_LICENSE("GPL");
