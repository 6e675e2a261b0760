/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DEVICE_CLASS_H_
#define _DEVICE_CLASS_H_

struct class;

int __must_check class_register(const struct class *class);
void class_unregister(const struct class *class);
struct class * __must_check class_create(const char *name);
void class_destroy(const struct class *cls);

#endif
