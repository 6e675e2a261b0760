// SPDX-License-Identifier: GPL-2.0-only
/*
 * A platform driver for a bank of output channels described by firmware
 * nodes, one child node per channel.  The probe looks for the channel the
 * boot firmware left enabled and starts from it.  The description comes
 * from software nodes this module registers itself, so the driver runs on
 * machines without device tree.
 */

#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>

static const struct property_entry cw_ch0_props[] = {
	PROPERTY_ENTRY_U32("reg", 0),
	{ }
};

static const struct property_entry cw_ch1_props[] = {
	PROPERTY_ENTRY_U32("reg", 1),
	PROPERTY_ENTRY_BOOL("boot-enabled"),
	{ }
};

static const struct property_entry cw_ch2_props[] = {
	PROPERTY_ENTRY_U32("reg", 2),
	{ }
};

static const struct software_node cw_bank = {
	.name = KBUILD_MODNAME,
};

static const struct software_node cw_ch0 = {
	.name = "channel@0",
	.parent = &cw_bank,
	.properties = cw_ch0_props,
};

static const struct software_node cw_ch1 = {
	.name = "channel@1",
	.parent = &cw_bank,
	.properties = cw_ch1_props,
};

static const struct software_node cw_ch2 = {
	.name = "channel@2",
	.parent = &cw_bank,
	.properties = cw_ch2_props,
};

static const struct software_node *cw_nodes[] = {
	&cw_bank, &cw_ch0, &cw_ch1, &cw_ch2, NULL
};

static struct platform_device *cw_pdev;
static u32 cw_boot_channel;

static int cw_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct fwnode_handle *child;
	u32 reg;

	device_for_each_child_node(dev, child) {
		if (fwnode_property_read_u32(child, "reg", &reg))
			return -EINVAL;
		if (fwnode_property_read_bool(child, "boot-enabled")) {
			cw_boot_channel = reg;
			break;
		}
	}
	dev_dbg(dev, "starting from channel %u\n", cw_boot_channel);
	return 0;
}

static struct platform_driver cw_driver = {
	.probe = cw_probe,
	.driver = {
		.name = KBUILD_MODNAME,
	},
};

static int __init cw_init(void)
{
	struct platform_device_info info = {
		.name = KBUILD_MODNAME,
		.id = PLATFORM_DEVID_NONE,
	};
	int ret;

	ret = software_node_register_node_group(cw_nodes);
	if (ret)
		return ret;
	ret = platform_driver_register(&cw_driver);
	if (ret)
		goto err_nodes;
	info.fwnode = software_node_fwnode(&cw_bank);
	cw_pdev = platform_device_register_full(&info);
	if (IS_ERR(cw_pdev)) {
		ret = PTR_ERR(cw_pdev);
		goto err_driver;
	}
	return 0;

err_driver:
	platform_driver_unregister(&cw_driver);
err_nodes:
	software_node_unregister_node_group(cw_nodes);
	return ret;
}

static void __exit cw_exit(void)
{
	platform_device_unregister(cw_pdev);
	platform_driver_unregister(&cw_driver);
	software_node_unregister_node_group(cw_nodes);
}

module_init(cw_init);
module_exit(cw_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("unplug fixture: a walk over child firmware nodes");
