// SPDX-License-Identifier: GPL-2.0
/* Sample tape driver: a class created at init, destroyed at exit. */
#include <linux/module.h>
#include <linux/device/class.h>

static char *tape_devnode(const struct device *dev, umode_t *mode)
{
	return kasprintf(GFP_KERNEL, "tape/%s", dev_name(dev));
}

static struct class *tape_class;
static int tape_major;

static int __init tape_init(void)
{
	int ret;

	tape_class = class_create(THIS_MODULE, "tape");
	if (IS_ERR(tape_class))
		return PTR_ERR(tape_class);
	tape_class->devnode = tape_devnode;

	ret = register_chrdev(0, "tape", &tape_fops);
	if (ret < 0)
		goto out_class;
	tape_major = ret;
	device_create(tape_class, NULL, MKDEV(tape_major, 0), NULL, "tape0");
	return 0;

out_class:
	class_destroy(tape_class);
	return ret;
}

static void __exit tape_exit(void)
{
	device_destroy(tape_class, MKDEV(tape_major, 0));
	unregister_chrdev(tape_major, "tape");
	class_destroy(tape_class);
}

module_init(tape_init);
module_exit(tape_exit);
MODULE_LICENSE("GPL");
