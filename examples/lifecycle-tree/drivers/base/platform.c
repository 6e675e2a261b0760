// SPDX-License-Identifier: GPL-2.0
/*
 * A small platform bus for the lifecycle sample tree.
 */
#include <linux/device.h>
#include <linux/platform_device.h>

static int platform_probe(struct device *_dev)
{
	struct platform_driver *drv = to_platform_driver(_dev->driver);
	struct platform_device *dev = to_platform_device(_dev);

	return drv->probe ? drv->probe(dev) : 0;
}

static void platform_remove(struct device *_dev)
{
	struct platform_driver *drv = to_platform_driver(_dev->driver);
	struct platform_device *dev = to_platform_device(_dev);

	if (drv->remove) {
		int ret = drv->remove(dev);

		if (ret)
			dev_warn(_dev, "remove callback returned %d, ignored\n", ret);
	}
	dev_pm_domain_detach(_dev, true);
}

struct bus_type platform_bus_type = {
	.name		= "platform",
	.probe		= platform_probe,
	.remove		= platform_remove,
};
