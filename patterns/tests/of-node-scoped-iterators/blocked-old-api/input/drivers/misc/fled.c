// SPDX-License-Identifier: GPL-2.0
/* One LED per child node. Written for the unplug fixtures. */

#include <linux/module.h>
#include <linux/of.h>
#include <linux/platform_device.h>

static int fled_probe(struct platform_device *pdev)
{
	struct device_node *child;
	u32 reg;

	for_each_available_child_of_node(pdev->dev.of_node, child) {
		if (of_property_read_u32(child, "reg", &reg)) {
			of_node_put(child);
			return -EINVAL;
		}
	}

	return 0;
}

static struct platform_driver fled_driver = {
	.probe = fled_probe,
	.driver = {
		.name = "fled",
	},
};
module_platform_driver(fled_driver);

MODULE_LICENSE("GPL");
