// SPDX-License-Identifier: GPL-2.0-only
/*
 * A platform driver that polls its (pretend) hardware from a timer which
 * re-arms itself.  Stopping the hardware latches a last sample, so the
 * stop path kicks the poll once more to collect it.
 */

#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/timer.h>

#define RT_POLL_MS	50

static struct platform_device *rt_pdev;
static struct timer_list rt_poll_timer;
static unsigned int rt_samples;

static void rt_kick(void)
{
	mod_timer(&rt_poll_timer, jiffies + msecs_to_jiffies(RT_POLL_MS));
}

static void rt_poll(struct timer_list *t)
{
	rt_samples++;
	rt_kick();
}

static void rt_hw_stop(void)
{
	/* The final sample is latched on stop: poll once more for it. */
	rt_kick();
}

static int rt_probe(struct platform_device *pdev)
{
	timer_setup(&rt_poll_timer, rt_poll, 0);
	rt_kick();
	return 0;
}

static void rt_remove(struct platform_device *pdev)
{
	del_timer_sync(&rt_poll_timer);
	rt_hw_stop();
	dev_dbg(&pdev->dev, "%u samples\n", rt_samples);
}

static struct platform_driver rt_driver = {
	.probe = rt_probe,
	.remove_new = rt_remove,
	.driver = {
		.name = KBUILD_MODNAME,
	},
};

static int __init rt_init(void)
{
	int ret;

	ret = platform_driver_register(&rt_driver);
	if (ret)
		return ret;
	rt_pdev = platform_device_register_simple(KBUILD_MODNAME, -1, NULL, 0);
	if (IS_ERR(rt_pdev)) {
		platform_driver_unregister(&rt_driver);
		return PTR_ERR(rt_pdev);
	}
	return 0;
}

static void __exit rt_exit(void)
{
	platform_device_unregister(rt_pdev);
	platform_driver_unregister(&rt_driver);
}

module_init(rt_init);
module_exit(rt_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("unplug fixture: a self re-arming poll timer");
