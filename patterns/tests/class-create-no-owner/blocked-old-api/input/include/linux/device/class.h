/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DEVICE_CLASS_H_
#define _DEVICE_CLASS_H_

struct class;

extern struct class * __must_check __class_create(struct module *owner,
						  const char *name,
						  struct lock_class_key *key);
#define class_create(owner, name)		\
({						\
	static struct lock_class_key __key;	\
	__class_create(owner, name, &__key);	\
})

#endif
