// SPDX-License-Identifier: GPL-2.0
/*
 * Sample character driver with a device class.
 * class_create(THIS_MODULE, "in-a-comment") is not a site.
 */
#include <linux/module.h>
#include <linux/device/class.h>

static struct class *widget_class;
static struct class *gadget_class;
static int major;

static int __init widget_init(void)
{
	widget_class = class_create(THIS_MODULE, "widget");
	if (IS_ERR(widget_class))
		return PTR_ERR(widget_class);

	gadget_class = class_create(THIS_MODULE,
				    "gadget");	/* second class */
	if (IS_ERR(gadget_class)) {
		class_destroy(widget_class);
		return PTR_ERR(gadget_class);
	}
	return 0;
}

static int widget_other_owner(struct module *mod)
{
	struct class *c = class_create(mod, "other");

	return IS_ERR(c) ? PTR_ERR(c) : 0;
}

static void __exit widget_exit(void)
{
	class_destroy(gadget_class);
	class_destroy(widget_class);
}

module_init(widget_init);
module_exit(widget_exit);
MODULE_LICENSE("GPL");
