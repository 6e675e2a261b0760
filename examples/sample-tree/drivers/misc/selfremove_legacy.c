// SPDX-License-Identifier: GPL-2.0-only
/*
 * A platform device with a "remove" attribute that unregisters the device.
 * The store handler cannot unregister its own device (it would wait for
 * itself to leave the attribute), so the removal is deferred to a work
 * item that holds a reference on the device.
 */

#include <linux/device.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/workqueue.h>

static struct platform_device *sr_pdev;
static DEFINE_MUTEX(sr_lock);
static struct device *sr_dying;

static void sr_unregister(void)
{
	mutex_lock(&sr_lock);
	if (sr_pdev) {
		platform_device_unregister(sr_pdev);
		sr_pdev = NULL;
	}
	mutex_unlock(&sr_lock);
}

static void sr_remove_work_fn(struct work_struct *work)
{
	sr_unregister();
	put_device(sr_dying);
}

static DECLARE_DELAYED_WORK(sr_remove_work, sr_remove_work_fn);

static ssize_t remove_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	/* Give the writer time to close the file before the device goes. */
	sr_dying = get_device(dev);
	schedule_delayed_work(&sr_remove_work, HZ);
	return count;
}
static DEVICE_ATTR_WO(remove);

static int sr_probe(struct platform_device *pdev)
{
	return device_create_file(&pdev->dev, &dev_attr_remove);
}

static void sr_remove(struct platform_device *pdev)
{
	device_remove_file(&pdev->dev, &dev_attr_remove);
}

static struct platform_driver sr_driver = {
	.probe = sr_probe,
	.remove_new = sr_remove,
	.driver = {
		.name = KBUILD_MODNAME,
	},
};

static int __init sr_init(void)
{
	int ret;

	ret = platform_driver_register(&sr_driver);
	if (ret)
		return ret;
	sr_pdev = platform_device_register_simple(KBUILD_MODNAME, -1, NULL, 0);
	if (IS_ERR(sr_pdev)) {
		platform_driver_unregister(&sr_driver);
		return PTR_ERR(sr_pdev);
	}
	return 0;
}

static void __exit sr_exit(void)
{
	sr_unregister();
	platform_driver_unregister(&sr_driver);
}

module_init(sr_init);
module_exit(sr_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("unplug fixture: deferred self-removal from a sysfs attribute");
