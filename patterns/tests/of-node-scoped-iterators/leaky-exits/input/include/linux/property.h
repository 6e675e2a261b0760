/* SPDX-License-Identifier: GPL-2.0 */
/* Stub for unplug fixtures: firmware node child iterators as of 6.10. */
#ifndef _LINUX_PROPERTY_H_
#define _LINUX_PROPERTY_H_

#include <linux/cleanup.h>

struct device;
struct fwnode_handle;

struct fwnode_handle *device_get_next_child_node(const struct device *dev,
						 struct fwnode_handle *child);
void fwnode_handle_put(struct fwnode_handle *fwnode);

DEFINE_FREE(fwnode_handle, struct fwnode_handle *, fwnode_handle_put(_T))

#define device_for_each_child_node(dev, child)				\
	for (child = device_get_next_child_node(dev, NULL); child;	\
	     child = device_get_next_child_node(dev, child))

#define device_for_each_child_node_scoped(dev, child)			\
	for (struct fwnode_handle *child __free(fwnode_handle) =	\
		device_get_next_child_node(dev, NULL);			\
	     child; child = device_get_next_child_node(dev, child))

#endif
