/* SPDX-License-Identifier: GPL-2.0 */
/* Stub for unplug fixtures: the device attribute interface as of 3.15. */
#ifndef _DEVICE_H_
#define _DEVICE_H_

#include <linux/kobject.h>
#include <linux/sysfs.h>

struct device;
struct device_attribute;

int device_create_file(struct device *device,
		       const struct device_attribute *entry);
void device_remove_file(struct device *dev,
			const struct device_attribute *attr);
bool device_remove_file_self(struct device *dev,
			     const struct device_attribute *attr);
struct device *get_device(struct device *dev);
void put_device(struct device *dev);

#endif
