/* SPDX-License-Identifier: GPL-2.0 */
/* Stub for unplug fixtures: self-removal as of 3.15. */
#ifndef _SYSFS_H_
#define _SYSFS_H_

struct kobject;
struct attribute;
struct module;

int sysfs_schedule_callback(struct kobject *kobj, void (*func)(void *),
			    void *data, struct module *owner);
bool sysfs_remove_file_self(struct kobject *kobj,
			    const struct attribute *attr);

#endif
