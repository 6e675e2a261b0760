// SPDX-License-Identifier: GPL-2.0
/*
 * A pretend mux whose child nodes name its inputs: loops whose iterator
 * outlives them, for the unplug fixtures.
 */

#include <linux/device.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/platform_device.h>
#include <linux/property.h>

struct fmux {
	struct device *dev;
	struct device_node *default_input;
	unsigned int inputs;
};

/* The found child is handed to the caller, reference and all. */
static struct device_node *fmux_find_input(struct device_node *np, u32 id)
{
	struct device_node *child;
	u32 reg;

	for_each_child_of_node(np, child) {
		if (!of_property_read_u32(child, "reg", &reg) && reg == id)
			return child;
	}

	return NULL;
}

static int fmux_pick_default(struct fmux *mux, struct device_node *np)
{
	struct device_node *child;

	for_each_available_child_of_node(np, child) {
		if (of_property_read_bool(child, "default")) {
			mux->default_input = child;
			return 0;
		}
	}

	return -ENODEV;
}

static int fmux_count(struct fmux *mux, struct device_node *np)
{
	struct device_node *child;
	int ret;

	for_each_child_of_node(np, child) {
		ret = of_property_count_u32_elems(child, "gpios");
		if (ret < 0)
			goto err_put;
		mux->inputs++;
	}

	return 0;

err_put:
	dev_err(mux->dev, "bad input %pOF\n", child);
	of_node_put(child);
	return ret;
}

/* The error return hands the child to a helper of this file, which may
 * keep it: a leak or a handover, a human should look. */
static int fmux_check(struct fmux *mux, struct device_node *np)
{
	struct device_node *child;

	for_each_child_of_node(np, child) {
		if (!of_property_present(child, "reg"))
			return fmux_pick_default(mux, child);
	}

	return 0;
}

/* Drops the reference itself before moving on: a scoped loop would drop
 * it a second time. */
static int fmux_skip_disabled(struct device_node *np)
{
	struct device_node *child;

	for_each_child_of_node(np, child) {
		if (!of_device_is_available(child)) {
			of_node_put(child);
			continue;
		}
		if (of_property_read_bool(child, "broken")) {
			of_node_put(child);
			return -EIO;
		}
	}

	return 0;
}

/* The comment explains the put: rewording it is a human's job. */
static int fmux_check_broken(struct device_node *np)
{
	struct device_node *child;

	for_each_child_of_node(np, child) {
		if (of_property_read_bool(child, "broken")) {
			/* The loop holds a reference on the child: drop it. */
			of_node_put(child);
			return -EIO;
		}
	}

	return 0;
}

/* No early exit: nothing to gain. */
static unsigned int fmux_children(struct device_node *np)
{
	struct device_node *child;
	unsigned int n = 0;

	for_each_child_of_node(np, child)
		n++;

	return n;
}

/* Already converted. */
static int fmux_validate(struct device_node *np)
{
	for_each_child_of_node_scoped(np, child) {
		if (!of_property_present(child, "label"))
			return -EINVAL;
	}

	return 0;
}

/* This tree's property.h has no scoped fwnode loop yet. */
static int fmux_fwnode_inputs(struct fmux *mux)
{
	struct fwnode_handle *child;

	device_for_each_child_node(mux->dev, child) {
		if (!fwnode_property_present(child, "reg")) {
			fwnode_handle_put(child);
			return -EINVAL;
		}
	}

	return 0;
}

static int fmux_probe(struct platform_device *pdev)
{
	struct device_node *np = pdev->dev.of_node;
	struct fmux *mux;
	int ret;

	mux = devm_kzalloc(&pdev->dev, sizeof(*mux), GFP_KERNEL);
	if (!mux)
		return -ENOMEM;
	mux->dev = &pdev->dev;
	if (!np)
		return fmux_fwnode_inputs(mux);

	ret = fmux_check(mux, np) ?: fmux_validate(np) ?: fmux_skip_disabled(np) ?:
	      fmux_check_broken(np);
	if (ret)
		return ret;
	if (!fmux_children(np) || !fmux_find_input(np, 0))
		return -ENODEV;
	ret = fmux_count(mux, np);
	if (ret)
		return ret;
	return fmux_pick_default(mux, np);
}

static struct platform_driver fmux_driver = {
	.probe = fmux_probe,
	.driver = {
		.name = "fmux",
	},
};
module_platform_driver(fmux_driver);

MODULE_LICENSE("GPL");
