// SPDX-License-Identifier: GPL-2.0
/*
 * Sample I2C bus controller for the unplug sample tree.
 */
#include <linux/module.h>
#include <linux/platform_device.h>

struct fbus {
	struct i2c_adapter adap;
	void __iomem *base;
};

static int fbus_probe(struct platform_device *pdev)
{
	return 0;
}

static int fbus_remove(struct platform_device *pdev)
{
	struct fbus *bus = platform_get_drvdata(pdev);

	i2c_del_adapter(&bus->adap);
	writel(0, bus->base);

	return 0;
}

static const struct of_device_id fbus_of_match[] = {
	{ .compatible = "sample,fbus" },
	{ }
};
MODULE_DEVICE_TABLE(of, fbus_of_match);

static struct platform_driver fbus_driver = {
	.probe	= fbus_probe,
	.remove	= fbus_remove,
	.driver	= {
		.name = "i2c-fbus",
		.of_match_table = fbus_of_match,
	},
};
module_platform_driver(fbus_driver);

MODULE_DESCRIPTION("Sample I2C bus driver");
MODULE_LICENSE("GPL");
