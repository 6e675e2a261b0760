// SPDX-License-Identifier: GPL-2.0
/*
 * A bank of LEDs described by child nodes, one per LED, with optional
 * per-channel triggers. Written for the unplug fixtures.
 */

#include <linux/device.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/platform_device.h>
#include <linux/property.h>

struct fledbank {
	struct device *dev;
	u32 brightness[8];
	unsigned int count;
};

static int fledbank_parse_one(struct fledbank *bank, struct device_node *np)
{
	u32 reg;

	if (of_property_read_u32(np, "reg", &reg) || reg >= 8)
		return -EINVAL;
	bank->brightness[reg] = 255;
	bank->count++;
	return 0;
}

static int fledbank_parse_dt(struct fledbank *bank, struct device_node *np)
{
	unsigned int n = 0;

	/* No early exit here, but the loop shares the iterator's declaration. */
	for_each_child_of_node_scoped(np, child)
		n++;
	if (n > 8)
		return -E2BIG;

	for_each_child_of_node_scoped(np, child) {
		int ret = fledbank_parse_one(bank, child);

		if (ret)
			return ret;
	}

	return 0;
}

static int fledbank_parse_triggers(struct fledbank *bank)
{
	struct device_node *np = bank->dev->of_node;
	int ret = 0;

	for_each_available_child_of_node_scoped(np, child) {
		if (!of_property_read_bool(child, "linux,default-trigger"))
			continue;
		if (bank->count == 0) {
			dev_err(bank->dev, "trigger without LEDs\n");
			ret = -EINVAL;
			goto out;
		}
		if (of_property_read_bool(child, "panic-indicator")) {
			break;
		} else if (of_property_read_bool(child, "retain-state")) {
			ret = 1;
			goto out;
		} else if (of_property_read_bool(child, "default-on")) {
			goto out;
		}
	}
out:
	return ret;
}

/* Ports hold endpoints: an early exit must drop both references. */
static int fledbank_parse_ports(struct fledbank *bank, struct device_node *np)
{
	int ret;

	for_each_available_child_of_node_scoped(np, port) {
		for_each_child_of_node_scoped(port, ep) {
			ret = fledbank_parse_one(bank, ep);
			if (ret)
				return ret;
		}
	}

	return 0;
}

static int fledbank_parse_fwnode(struct fledbank *bank)
{
	u32 reg;
	int ret;

	device_for_each_child_node_scoped(bank->dev, child) {
		ret = fwnode_property_read_u32(child, "reg", &reg);
		if (ret) {
			return dev_err_probe(bank->dev, ret,
					     "no reg in %pfw\n", child);
		}
	}

	return 0;
}

static int fledbank_probe(struct platform_device *pdev)
{
	struct fledbank *bank;
	int ret;

	bank = devm_kzalloc(&pdev->dev, sizeof(*bank), GFP_KERNEL);
	if (!bank)
		return -ENOMEM;
	bank->dev = &pdev->dev;

	if (dev_fwnode(&pdev->dev) && !pdev->dev.of_node)
		return fledbank_parse_fwnode(bank);

	ret = fledbank_parse_dt(bank, pdev->dev.of_node);
	if (ret)
		return ret;
	ret = fledbank_parse_ports(bank, pdev->dev.of_node);
	if (ret)
		return ret;
	return fledbank_parse_triggers(bank);
}

static struct platform_driver fledbank_driver = {
	.probe = fledbank_probe,
	.driver = {
		.name = "fledbank",
	},
};
module_platform_driver(fledbank_driver);

MODULE_LICENSE("GPL");
