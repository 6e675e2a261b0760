// SPDX-License-Identifier: GPL-2.0
/* A blinking LED on a timer, stopped on unbind. Written for the unplug fixtures. */

#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/timer.h>

struct fblink {
	struct timer_list blink;
	bool on;
};

static void fblink_toggle(struct timer_list *t)
{
	struct fblink *fb = from_timer(fb, t, blink);

	fb->on = !fb->on;
	mod_timer(&fb->blink, jiffies + HZ / 2);
}

static int fblink_probe(struct platform_device *pdev)
{
	struct fblink *fb;

	fb = devm_kzalloc(&pdev->dev, sizeof(*fb), GFP_KERNEL);
	if (!fb)
		return -ENOMEM;
	timer_setup(&fb->blink, fblink_toggle, 0);
	platform_set_drvdata(pdev, fb);
	mod_timer(&fb->blink, jiffies + HZ / 2);
	return 0;
}

static int fblink_remove(struct platform_device *pdev)
{
	struct fblink *fb = platform_get_drvdata(pdev);

	del_timer_sync(&fb->blink);
	return 0;
}

static struct platform_driver fblink_driver = {
	.probe = fblink_probe,
	.remove = fblink_remove,
	.driver = {
		.name = "fblink",
	},
};
module_platform_driver(fblink_driver);

MODULE_LICENSE("GPL");
