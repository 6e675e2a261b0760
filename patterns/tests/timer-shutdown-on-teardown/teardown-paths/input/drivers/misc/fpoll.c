// SPDX-License-Identifier: GPL-2.0
/*
 * A pretend sensor hub: one watchdog timer per hub, one poll timer per
 * channel. Written for the unplug fixtures.
 */

#include <linux/jiffies.h>
#include <linux/kref.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/timer.h>

struct fpoll_chan {
	struct kref ref;
	struct timer_list poll;
	unsigned int samples;
};

struct fpoll_hub {
	struct timer_list watchdog;
	struct timer_list retry;
	struct fpoll_chan *chan;
	bool busy;
};

static void fpoll_chan_poll(struct timer_list *t)
{
	struct fpoll_chan *chan = from_timer(chan, t, poll);

	chan->samples++;
	mod_timer(&chan->poll, jiffies + HZ);
}

static struct fpoll_chan *fpoll_chan_create(void)
{
	struct fpoll_chan *chan;

	chan = kzalloc(sizeof(*chan), GFP_KERNEL);
	if (!chan)
		return NULL;
	kref_init(&chan->ref);
	timer_setup(&chan->poll, fpoll_chan_poll, 0);
	mod_timer(&chan->poll, jiffies + HZ);
	return chan;
}

/* The last reference is gone: the channel's memory goes with its timer. */
static void fpoll_chan_free(struct kref *ref)
{
	struct fpoll_chan *chan = container_of(ref, struct fpoll_chan, ref);

	del_timer_sync(&chan->poll);
	kfree(chan);
}

static void fpoll_watchdog(struct timer_list *t)
{
	struct fpoll_hub *hub = from_timer(hub, t, watchdog);

	if (hub->busy)
		mod_timer(&hub->watchdog, jiffies + 2 * HZ);
}

static void fpoll_retry(struct timer_list *t)
{
}

/* Already converted: the channel timer of a hub being torn down. */
static void fpoll_chan_destroy(struct fpoll_chan *chan)
{
	timer_shutdown_sync(&chan->poll);
	kfree(chan);
}

/* Pausing is not a teardown: the hub resumes with mod_timer(). */
static void fpoll_pause(struct fpoll_hub *hub)
{
	del_timer_sync(&hub->watchdog);
	hub->busy = false;
}

/* A release on close: the hub lives on and the next open arms it again. */
static int fpoll_release(struct fpoll_hub *hub)
{
	del_timer(&hub->retry);
	return 0;
}

/* Freed on the last release only: otherwise the hub lives on. */
static void fpoll_hub_release(struct fpoll_hub *hub, bool last)
{
	del_timer_sync(&hub->watchdog);
	if (last)
		kfree(hub);
}

/* Arming the retry timer again on the way out: a shutdown would hide it. */
static void fpoll_hub_cleanup(struct fpoll_hub *hub)
{
	timer_delete_sync(&hub->retry);
	kfree(hub->chan);
	mod_timer(&hub->retry, jiffies + HZ);
}

static int fpoll_probe(struct platform_device *pdev)
{
	struct fpoll_hub *hub;

	hub = devm_kzalloc(&pdev->dev, sizeof(*hub), GFP_KERNEL);
	if (!hub)
		return -ENOMEM;
	timer_setup(&hub->watchdog, fpoll_watchdog, 0);
	timer_setup(&hub->retry, fpoll_retry, 0);
	hub->chan = fpoll_chan_create();
	if (!hub->chan)
		return -ENOMEM;
	if (!hub->chan->samples) {
		fpoll_chan_destroy(hub->chan);
		return -ENODEV;
	}
	platform_set_drvdata(pdev, hub);
	return 0;
}

static void fpoll_remove(struct platform_device *pdev)
{
	struct fpoll_hub *hub = platform_get_drvdata(pdev);

	del_timer_sync(&hub->watchdog);
	kref_put(&hub->chan->ref, fpoll_chan_free);
}

static struct platform_driver fpoll_driver = {
	.probe = fpoll_probe,
	.remove_new = fpoll_remove,
	.driver = {
		.name = "fpoll",
	},
};
module_platform_driver(fpoll_driver);

MODULE_LICENSE("GPL");
