// SPDX-License-Identifier: GPL-2.0
/*
 * Pretend drive bays that remove themselves from a work item in ways the
 * handler cannot take over as they are. Written for the unplug fixtures.
 */

#include <linux/device.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/workqueue.h>

static struct platform_device *fbay_pdev;
static struct device *fbay_dying;
static struct device *fbay_leaving;
static struct device *fbay_parting;
static struct device *fbay_going;
static struct device *fbay_gone;

/* Reads its data back through the work item. */
static void fbay_eject_fn(struct work_struct *work)
{
	pr_debug("fbay: eject %p\n", work);
	platform_device_unregister(fbay_pdev);
	put_device(fbay_dying);
}

static DECLARE_WORK(fbay_eject_work, fbay_eject_fn);

static ssize_t eject_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	fbay_dying = get_device(dev);
	schedule_work(&fbay_eject_work);
	return count;
}
static DEVICE_ATTR_WO(eject);

/* Explains itself in the middle, which the handler would not. */
static void fbay_detach_fn(struct work_struct *work)
{
	platform_device_unregister(fbay_pdev);
	/* the bay is gone now */
	put_device(fbay_leaving);
}

static DECLARE_WORK(fbay_detach_work, fbay_detach_fn);

static ssize_t detach_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	fbay_leaving = get_device(dev);
	schedule_work(&fbay_detach_work);
	return count;
}
static DEVICE_ATTR_WO(detach);

/* Drops the reference before it is done. */
static void fbay_unplug_fn(struct work_struct *work)
{
	put_device(fbay_parting);
	platform_device_unregister(fbay_pdev);
}

static DECLARE_WORK(fbay_unplug_work, fbay_unplug_fn);

static ssize_t unplug_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	fbay_parting = get_device(dev);
	schedule_work(&fbay_unplug_work);
	return count;
}
static DEVICE_ATTR_WO(unplug);

/* Also run directly on module exit. */
static void fbay_release_fn(struct work_struct *work)
{
	platform_device_unregister(fbay_pdev);
	put_device(fbay_gone);
}

static DECLARE_WORK(fbay_release_work, fbay_release_fn);

static ssize_t release_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	fbay_gone = get_device(dev);
	schedule_work(&fbay_release_work);
	return count;
}
static DEVICE_ATTR_WO(release);

/* A work item set up at probe, not declared at file scope. */
static struct work_struct fbay_reset_work;

static ssize_t reset_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	fbay_going = get_device(dev);
	schedule_work(&fbay_reset_work);
	return count;
}
static DEVICE_ATTR_WO(reset);

/* Defined after its handler. */
static void fbay_late_fn(struct work_struct *work);
static DECLARE_WORK(fbay_late_work, fbay_late_fn);

static ssize_t late_store(struct device *dev, struct device_attribute *attr,
			  const char *buf, size_t count)
{
	fbay_going = get_device(dev);
	schedule_work(&fbay_late_work);
	return count;
}
static DEVICE_ATTR_WO(late);

static void fbay_late_fn(struct work_struct *work)
{
	platform_device_unregister(fbay_pdev);
	put_device(fbay_going);
}

static void __exit fbay_exit(void)
{
	fbay_release_fn(NULL);
}
module_exit(fbay_exit);

MODULE_LICENSE("GPL");
