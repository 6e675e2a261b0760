// SPDX-License-Identifier: GPL-2.0
/*
 * A beacon LED blinking from a static timer while the device is bound.
 * Written for the unplug fixtures.
 */

#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/timer.h>

static void fbeacon_blink(struct timer_list *unused);
static DEFINE_TIMER(fbeacon_timer, fbeacon_blink);

static void fbeacon_blink(struct timer_list *unused)
{
	mod_timer(&fbeacon_timer, jiffies + HZ / 2);
}

static int fbeacon_probe(struct platform_device *pdev)
{
	mod_timer(&fbeacon_timer, jiffies + HZ / 2);
	return 0;
}

/* A second probe would arm the timer again without setting it up. */
static void fbeacon_remove(struct platform_device *pdev)
{
	del_timer_sync(&fbeacon_timer);
}

static struct platform_driver fbeacon_driver = {
	.probe = fbeacon_probe,
	.remove_new = fbeacon_remove,
	.driver = {
		.name = "fbeacon",
	},
};
module_platform_driver(fbeacon_driver);

MODULE_LICENSE("GPL");
