// SPDX-License-Identifier: GPL-2.0
/*
 * Hot-pluggable pretend slots: writing to "eject" removes the slot's
 * device, writing to a slot group's "release" kobject attribute drops the
 * group. Written for the unplug fixtures.
 */

#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

struct fslot_group {
	struct kobject kobj;
	unsigned int slots;
};

static void fslot_eject(struct device *dev)
{
	device_unregister(dev);
}

static ssize_t eject_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	if (!sysfs_streq(buf, "1"))
		return -EINVAL;

	if (device_remove_file_self(dev, attr))
		fslot_eject(dev);
	return count;
}
static DEVICE_ATTR_WO(eject);

static void fslot_group_drop(void *data)
{
	struct fslot_group *group = data;

	kobject_put(&group->kobj);
}

static ssize_t release_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	struct fslot_group *group = container_of(kobj, struct fslot_group, kobj);

	if (sysfs_remove_file_self(kobj, &attr->attr))
		fslot_group_drop(group);
	return count;
}

/* Already converted: the attribute goes first, then the device. */
static ssize_t remove_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	if (device_remove_file_self(dev, attr))
		device_unregister(dev);
	return count;
}
static DEVICE_ATTR_WO(remove);

MODULE_LICENSE("GPL");
