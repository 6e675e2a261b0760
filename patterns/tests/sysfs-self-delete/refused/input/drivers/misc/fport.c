// SPDX-License-Identifier: GPL-2.0
/*
 * Pretend ports removed from sysfs in ways that need a human: a removal
 * whose error is reported, a work item embedded in the port, and a work
 * item that is also flushed on module exit. Written for the unplug
 * fixtures.
 */

#include <linux/device.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

struct fport {
	struct platform_device *pdev;
	struct work_struct remove_work;
};

static struct platform_device *fport_bus;
static struct device *fport_dying;

static void fport_remove_work(struct work_struct *work)
{
	struct fport *port = container_of(work, struct fport, remove_work);

	platform_device_unregister(port->pdev);
	put_device(&port->pdev->dev);
}

static ssize_t remove_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct fport *port = dev_get_drvdata(dev);

	get_device(dev);
	schedule_work(&port->remove_work);
	return count;
}
static DEVICE_ATTR_WO(remove);

static void fport_bus_remove_fn(struct work_struct *work)
{
	platform_device_unregister(fport_bus);
	put_device(fport_dying);
}

static DECLARE_WORK(fport_bus_remove, fport_bus_remove_fn);

static ssize_t unplug_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	fport_dying = get_device(dev);
	schedule_work(&fport_bus_remove);
	return count;
}
static DEVICE_ATTR_WO(unplug);

static ssize_t eject_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	int ret;

	ret = device_schedule_callback(dev, platform_device_unregister_dev);
	return ret ? ret : count;
}
static DEVICE_ATTR_WO(eject);

static void __exit fport_exit(void)
{
	flush_work(&fport_bus_remove);
	platform_device_unregister(fport_bus);
}
module_exit(fport_exit);

MODULE_LICENSE("GPL");
