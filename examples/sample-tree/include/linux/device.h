/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DEVICE_H_
#define _DEVICE_H_

struct device;
struct device_attribute;

int device_create_file(struct device *dev, const struct device_attribute *attr);
void device_remove_file(struct device *dev, const struct device_attribute *attr);
bool device_remove_file_self(struct device *dev, const struct device_attribute *attr);

#endif
