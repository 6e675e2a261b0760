// SPDX-License-Identifier: GPL-2.0
/* A module-wide heartbeat on a static timer. Written for the unplug fixtures. */

#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/timer.h>

static void fheartbeat_beat(struct timer_list *unused);
static DEFINE_TIMER(fheartbeat_timer, fheartbeat_beat);
static unsigned long fheartbeat_count;

static void fheartbeat_beat(struct timer_list *unused)
{
	fheartbeat_count++;
	mod_timer(&fheartbeat_timer, jiffies + HZ);
}

static int __init fheartbeat_init(void)
{
	mod_timer(&fheartbeat_timer, jiffies + HZ);
	return 0;
}

/* Nothing of the module runs after this: shut the timer down for good. */
static void fheartbeat_cleanup(void)
{
	timer_shutdown_sync(&fheartbeat_timer);
}

module_init(fheartbeat_init);
module_exit(fheartbeat_cleanup);
MODULE_LICENSE("GPL");
