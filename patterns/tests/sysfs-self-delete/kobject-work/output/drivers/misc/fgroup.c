// SPDX-License-Identifier: GPL-2.0
/*
 * A pretend firmware group exported as a bare kobject: writing to its
 * "delete" attribute tears the group down. Written for the unplug
 * fixtures.
 */

#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

static struct kobject *fgroup_kobj;

static void fgroup_destroy(void)
{
	kobject_del(fgroup_kobj);
	kobject_put(fgroup_kobj);
	fgroup_kobj = NULL;
}

static ssize_t delete_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	if (sysfs_remove_file_self(kobj, &attr->attr)) {
		pr_info("fgroup: deleting\n");
		fgroup_destroy();
	}
	return count;
}

static struct kobj_attribute fgroup_delete_attr = __ATTR_WO(delete);

static int __init fgroup_init(void)
{
	fgroup_kobj = kobject_create_and_add("fgroup", firmware_kobj);
	if (!fgroup_kobj)
		return -ENOMEM;
	return sysfs_create_file(fgroup_kobj, &fgroup_delete_attr.attr);
}
module_init(fgroup_init);

MODULE_LICENSE("GPL");
