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

static struct platform_device *fb_pdev;
static DEFINE_MUTEX(fb_lock);
static struct device *fb_dying;

static void fb_unregister(void)
{
	mutex_lock(&fb_lock);
	if (fb_pdev) {
		platform_device_unregister(fb_pdev);
		fb_pdev = NULL;
	}
	mutex_unlock(&fb_lock);
}

static void fb_remove_work_fn(struct work_struct *work)
{
	fb_unregister();
	put_device(fb_dying);
}

static DECLARE_DELAYED_WORK(fb_remove_work, fb_remove_work_fn);

static ssize_t remove_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	/* Give the writer time to close the file before the device goes. */
	fb_dying = get_device(dev);
	schedule_delayed_work(&fb_remove_work, HZ);
	return count;
}
static DEVICE_ATTR_WO(remove);

static int fb_probe(struct platform_device *pdev)
{
	return device_create_file(&pdev->dev, &dev_attr_remove);
}

static void fb_remove(struct platform_device *pdev)
{
	device_remove_file(&pdev->dev, &dev_attr_remove);
}

static struct platform_driver fb_driver = {
	.probe = fb_probe,
	.remove_new = fb_remove,
	.driver = {
		.name = KBUILD_MODNAME,
	},
};

static int __init fb_init(void)
{
	int ret;

	ret = platform_driver_register(&fb_driver);
	if (ret)
		return ret;
	fb_pdev = platform_device_register_simple(KBUILD_MODNAME, -1, NULL, 0);
	if (IS_ERR(fb_pdev)) {
		platform_driver_unregister(&fb_driver);
		return PTR_ERR(fb_pdev);
	}
	return 0;
}

static void __exit fb_exit(void)
{
	fb_unregister();
	platform_driver_unregister(&fb_driver);
}

module_init(fb_init);
module_exit(fb_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("unplug fixture: a tree without device_remove_file_self()");
