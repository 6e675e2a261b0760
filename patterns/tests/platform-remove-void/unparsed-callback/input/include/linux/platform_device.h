/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PLATFORM_DEVICE_H_
#define _PLATFORM_DEVICE_H_

struct platform_device;

struct platform_driver {
	int (*probe)(struct platform_device *);
	int (*remove)(struct platform_device *);
	void (*remove_new)(struct platform_device *);
	void (*shutdown)(struct platform_device *);
};

#endif
