// SPDX-License-Identifier: GPL-2.0
/* Sample knob driver: its devnode callback comes after the class. */
#include <linux/module.h>
#include <linux/device/class.h>

static struct class *knob_class;

static char *knob_devnode(const struct device *dev, umode_t *mode);

static int __init knob_init(void)
{
	int rc;

	knob_class = class_create(THIS_MODULE, "knob");
	if (IS_ERR(knob_class)) {
		rc = PTR_ERR(knob_class);
		goto fail;
	}
	knob_class->devnode = knob_devnode;
	return 0;
fail:
	return rc;
}

static void __exit knob_exit(void)
{
	class_destroy(knob_class);
}

module_init(knob_init);
module_exit(knob_exit);
MODULE_LICENSE("GPL");
