// SPDX-License-Identifier: GPL-2.0
/* Copyright é 2024 Some One (latin-1 byte) */
#include <linux/device/class.h>

static struct class *dial_class;

static int dial_init(void)
{
	dial_class = class_create("dial");
	return PTR_ERR_OR_ZERO(dial_class);
}

static int knob_init(void)
{
	struct class *c = class_create(THIS_MODULE, /* name */ "knob");

	return PTR_ERR_OR_ZERO(c);
}

static const struct knob_ops ops = {
#ifdef CONFIG_KNOB_OLD
	.make = knob_make,
#else
	.make = class_create,
#endif
};
