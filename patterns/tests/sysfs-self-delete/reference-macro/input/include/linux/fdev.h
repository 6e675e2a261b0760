/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A pretend helper header: a macro that takes a device reference. The
 * parser does not read macro bodies, and a reference taken here is no
 * store handler's: no site. Written for the unplug fixtures.
 */
#ifndef _LINUX_FDEV_H
#define _LINUX_FDEV_H

#include <linux/device.h>

#define fdev_get(fd)	get_device(&(fd)->dev)

#endif /* _LINUX_FDEV_H */
