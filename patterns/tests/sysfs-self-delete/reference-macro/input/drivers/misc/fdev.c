// SPDX-License-Identifier: GPL-2.0
/*
 * A pretend device whose store handler already removes its attribute
 * synchronously. Written for the unplug fixtures.
 */

#include <linux/device.h>
#include <linux/fdev.h>

static void fdev_teardown(struct device *dev);

static ssize_t remove_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	if (device_remove_file_self(dev, attr))
		fdev_teardown(dev);
	return count;
}
