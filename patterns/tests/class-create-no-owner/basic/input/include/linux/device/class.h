/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DEVICE_CLASS_H_
#define _DEVICE_CLASS_H_

struct class;

struct class * __must_check class_create(const char *name);
void class_destroy(const struct class *cls);

#endif
