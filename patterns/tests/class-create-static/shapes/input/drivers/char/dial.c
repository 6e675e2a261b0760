// SPDX-License-Identifier: GPL-2.0
/* Sample dial driver: the class pointer is tested elsewhere. */
#include <linux/module.h>
#include <linux/device/class.h>

static struct class *dial_class;

static int dial_add(struct dial *d)
{
	if (!dial_class)
		return -ENODEV;
	d->dev = device_create(dial_class, NULL, d->devt, d, "dial%d", d->id);
	return PTR_ERR_OR_ZERO(d->dev);
}

static int __init dial_init(void)
{
	int err;

	dial_class = class_create(THIS_MODULE, "dial");
	if (IS_ERR(dial_class)) {
		err = PTR_ERR(dial_class);
		pr_err("dial: no class (%d)\n", err);
		return err;
	}
	return 0;
}

static void __exit dial_exit(void)
{
	class_destroy(dial_class);
}

module_init(dial_init);
module_exit(dial_exit);
MODULE_LICENSE("GPL");
