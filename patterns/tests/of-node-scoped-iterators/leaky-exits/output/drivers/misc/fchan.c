// SPDX-License-Identifier: GPL-2.0
/*
 * A pretend channel controller whose child nodes describe its channels:
 * loops with early exits that do not drop the child, for the unplug
 * fixtures.
 */

#include <linux/device.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>

struct fchan {
	struct device *dev;
	struct platform_device *port;
	u32 first;
};

/* The error return puts the child, the match does not: a leak. */
static int fchan_find_first(struct fchan *fc)
{
	u32 reg;

	device_for_each_child_node_scoped(fc->dev, child) {
		if (fwnode_property_read_u32(child, "reg", &reg))
			return -EINVAL;
		if (fwnode_property_present(child, "first")) {
			fc->first = reg;
			break;
		}
	}

	return 0;
}

/* No exit puts the child: two leaks. */
static int fchan_check(struct fchan *fc)
{
	device_for_each_child_node_scoped(fc->dev, child) {
		if (!fwnode_property_present(child, "reg"))
			return -EINVAL;
		if (fwnode_property_present(child, "last"))
			break;
	}

	return 0;
}

/* The port device takes the node over: a handover, not a leak. */
static int fchan_attach_port(struct fchan *fc)
{
	struct fwnode_handle *child;

	device_for_each_child_node(fc->dev, child) {
		if (fwnode_property_present(child, "port")) {
			device_set_node(&fc->port->dev, child);
			break;
		}
	}

	return 0;
}

static int fchan_probe(struct platform_device *pdev)
{
	struct fchan *fc;

	fc = devm_kzalloc(&pdev->dev, sizeof(*fc), GFP_KERNEL);
	if (!fc)
		return -ENOMEM;
	fc->dev = &pdev->dev;
	return fchan_check(fc) ?: fchan_find_first(fc) ?:
	       fchan_attach_port(fc);
}

static struct platform_driver fchan_driver = {
	.probe = fchan_probe,
	.driver = {
		.name = "fchan",
	},
};
module_platform_driver(fchan_driver);

MODULE_LICENSE("GPL");
