/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_TIMER_H
#define _LINUX_TIMER_H

struct timer_list;

int del_timer_sync(struct timer_list *timer);
int timer_shutdown_sync(struct timer_list *timer);

#endif
