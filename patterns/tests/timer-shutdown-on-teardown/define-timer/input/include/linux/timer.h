/* SPDX-License-Identifier: GPL-2.0 */
/* Stub for unplug fixtures: the timer interface as of 6.2. */
#ifndef _LINUX_TIMER_H
#define _LINUX_TIMER_H

struct timer_list {
	unsigned long expires;
	void (*function)(struct timer_list *);
	unsigned int flags;
};

void timer_setup(struct timer_list *timer,
		 void (*func)(struct timer_list *), unsigned int flags);
extern int mod_timer(struct timer_list *timer, unsigned long expires);
extern void add_timer(struct timer_list *timer);
extern int timer_delete_sync(struct timer_list *timer);
extern int timer_delete(struct timer_list *timer);
extern int timer_shutdown_sync(struct timer_list *timer);
extern int timer_shutdown(struct timer_list *timer);

static inline int del_timer_sync(struct timer_list *timer)
{
	return timer_delete_sync(timer);
}

static inline int del_timer(struct timer_list *timer)
{
	return timer_delete(timer);
}

#endif
