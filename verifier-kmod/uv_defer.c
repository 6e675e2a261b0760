// SPDX-License-Identifier: GPL-2.0-only
/*
 * Deferred work and timers: what a watched module queued to run later,
 * judged at an unbind and at GOING, then stopped (defuse).
 */
#ifndef CONFIG_X86_64
#error "unplug_verify: the caller of rcu_barrier() is read at the x86-64 stack pointer"
#endif

#include "unplug_verify.h"

unsigned long uv_defer_overflow;
static struct uv_defer uv_defers[UV_MAX_DEFER];
static unsigned long uv_dwork_timer_fn, uv_kdwork_timer_fn;

/* A delayed work's timer function, told apart from a plain timer's. */
void uv_resolve_defer(void)
{
	uv_dwork_timer_fn = uv_ksym("delayed_work_timer_fn");
	uv_kdwork_timer_fn = uv_ksym("kthread_delayed_work_timer_fn");
}

/*
 * The memory of a work item or timer we saw queued may have been freed
 * since: read it without faulting and believe "still queued" only if it
 * is still linked, i.e. its list neighbour points back at it.
 */
static bool uv_hlist_linked(struct hlist_node *n)
{
	struct hlist_node **pprev, *self;

	if (copy_from_kernel_nofault(&pprev, &n->pprev, sizeof(pprev)) ||
	    !pprev || copy_from_kernel_nofault(&self, pprev, sizeof(self)))
		return false;
	return self == n;
}

static bool uv_list_linked(struct list_head *e)
{
	struct list_head *next, *back;

	if (copy_from_kernel_nofault(&next, &e->next, sizeof(next)) ||
	    !next || next == e ||
	    copy_from_kernel_nofault(&back, &next->prev, sizeof(back)))
		return false;
	return back == e;
}

static bool uv_work_pending(const struct uv_defer *d)
{
	struct work_struct *work = d->ptr;
	unsigned long data = 0, func = 0;

	if (copy_from_kernel_nofault(&data, &work->data, sizeof(data)) ||
	    copy_from_kernel_nofault(&func, &work->func, sizeof(func)))
		return false;
	if (func != d->func)
		return false;
	/*
	 * A worker may be running it right now.  Asking the pool is safe
	 * only for an item in the module's memory, still there at GOING:
	 * freed memory with the same function (scsi_debug's per-command
	 * works reuse it) holds a stale pool pointer.
	 */
	if (!(data & WORK_STRUCT_PENDING))
		return within_module((unsigned long)work, d->mod) &&
		       (work_busy(work) & WORK_BUSY_RUNNING);
	/* Queued on a pool, or a delayed work still waiting for its timer. */
	if (uv_list_linked(&work->entry))
		return true;
	return d->kind == UV_DWORK &&
	       uv_hlist_linked(&to_delayed_work(work)->timer.entry);
}

/* Read @size bytes of an item we saw queued and check its function. */
static bool uv_defer_read(const struct uv_defer *d, void *copy, size_t size,
			  const void *func_field)
{
	unsigned long func;

	return !copy_from_kernel_nofault(copy, d->ptr, size) &&
	       !copy_from_kernel_nofault(&func, func_field, sizeof(func)) &&
	       func == d->func;
}

static bool uv_hrtimer_pending(const struct uv_defer *d)
{
	struct hrtimer t;
	struct hrtimer_clock_base *base;
	struct hrtimer *running = NULL;

	if (!uv_defer_read(d, &t, sizeof(t), &((struct hrtimer *)d->ptr)->function))
		return false;
	if (t.state & HRTIMER_STATE_ENQUEUED)
		return true;
	/* Its callback running now re-arms it if it returns HRTIMER_RESTART. */
	base = t.base;
	return base && !copy_from_kernel_nofault(&running, &base->running,
						 sizeof(running)) &&
	       running == d->ptr;
}

static bool uv_kwork_pending(const struct uv_defer *d)
{
	struct kthread_work *work = d->ptr;
	struct kthread_work copy;

	if (!uv_defer_read(d, &copy, sizeof(copy), &work->func))
		return false;
	if (uv_list_linked(&work->node))
		return true;
	return d->kind == UV_KDWORK &&
	       uv_hlist_linked(&container_of(work, struct kthread_delayed_work,
					     work)->timer.entry);
}

/* Caller holds uv_lock.  An IRQ action is still there with this dev_id. */
static bool uv_irq_requested(const struct uv_defer *d)
{
	struct irq_data *data = irq_get_irq_data(d->arg);
	struct irqaction *act;
	int n = 0;

	if (!data)
		return false;
	for (act = READ_ONCE(irq_data_to_desc(data)->action); act && n < 64;
	     act = READ_ONCE(act->next), n++)
		if (act->dev_id == d->ptr)
			return true;
	return false;
}

/* Caller holds uv_lock. */
static u32 uv_mod_barrier_seq(const struct module *mod)
{
	int i;

	for (i = 0; i < UV_MAX_MODS; i++)
		if (uv_mods[i].mod == mod)
			return uv_mods[i].rcu_barrier_seq;
	return 0;
}

/*
 * Caller holds uv_lock.  The memory of an item we saw queued may have
 * been freed since: read it without faulting and believe "still queued"
 * only if it is still linked or flagged, with the same function.
 */
static bool uv_defer_pending(const struct uv_defer *d)
{
	struct tasklet_struct tl;
	struct irq_work iw;
	unsigned long func;

	switch (d->kind) {
	case UV_TIMER:
		if (copy_from_kernel_nofault(&func,
					     &((struct timer_list *)d->ptr)->function,
					     sizeof(func)))
			return false;
		return func == d->func &&
		       uv_hlist_linked(&((struct timer_list *)d->ptr)->entry);
	case UV_WORK:
	case UV_DWORK:
		return uv_work_pending(d);
	case UV_HRTIMER:
		return uv_hrtimer_pending(d);
	case UV_TASKLET:
		return uv_defer_read(d, &tl, sizeof(tl),
				     &((struct tasklet_struct *)d->ptr)->func) &&
		       (tl.state & (BIT(TASKLET_STATE_SCHED) |
				    BIT(TASKLET_STATE_RUN)));
	case UV_IRQ_WORK:
		return uv_defer_read(d, &iw, sizeof(iw),
				     &((struct irq_work *)d->ptr)->func) &&
		       irq_work_is_busy(&iw);
	case UV_KWORK:
	case UV_KDWORK:
		return uv_kwork_pending(d);
	case UV_RCU:
		/* The rule, not a guess: rcu_barrier() after the last call_rcu(). */
		return d->seq > uv_mod_barrier_seq(d->mod);
	case UV_IRQ:
		return uv_irq_requested(d);
	}
	return false;
}

static const char * const uv_defer_what[] = {
	[UV_WORK] = "work item %ps still queued or running",
	[UV_DWORK] = "work item %ps still queued",
	[UV_TIMER] = "timer %ps still armed",
	[UV_HRTIMER] = "hrtimer %ps still armed",
	[UV_TASKLET] = "tasklet %ps still scheduled",
	[UV_IRQ_WORK] = "irq_work %ps still queued",
	[UV_KWORK] = "kthread work %ps still queued",
	[UV_KDWORK] = "kthread delayed work %ps still queued",
	[UV_RCU] = "call_rcu callback %ps queued with no rcu_barrier() after it",
	[UV_IRQ] = "irq handler %ps still requested",
};

/*
 * Caller holds uv_lock: what @mod left queued, into @v; at an unbind
 * (@bind set) only what it started while probing that device (an RCU
 * callback queued then is no fault: the rule is about the unload).
 */
void uv_judge_defers(struct uv_verdict *v, struct module *mod,
		     const void *bind)
{
	unsigned int i;

	for (i = 0; i < UV_MAX_DEFER; i++) {
		struct uv_defer *d = &uv_defers[i];
		int len;

		if (!d->ptr || d->mod != mod ||
		    (bind && (d->bind != bind || d->kind == UV_RCU)))
			continue;
		if (!uv_defer_pending(d)) {
			d->ptr = NULL;
			continue;
		}
		v->failures++;
		if (v->nlines >= UV_REPORT_MAX)
			continue;
		len = snprintf(v->lines[v->nlines], UV_LINE_LEN,
			       uv_defer_what[d->kind], (void *)d->func);
		if (d->kind == UV_IRQ)
			snprintf(v->lines[v->nlines] + len, UV_LINE_LEN - len,
				 " on irq %lu", d->arg);
		v->nlines++;
		/* Keep the entry: uv_defuse() cancels it after the report. */
	}
}

/*
 * Caller holds uv_lock: kernel threads whose thread function lies in
 * @mod are still running module code, into @v.
 */
void uv_judge_kthreads(struct uv_verdict *v, struct module *mod)
{
	struct task_struct *g, *t;

	rcu_read_lock();
	for_each_process_thread(g, t) {
		void *fn;

		if (!(t->flags & PF_KTHREAD) || t->exit_state)
			continue;
		fn = kthread_func(t);
		if (!within_module((unsigned long)fn, mod))
			continue;
		v->failures++;
		if (v->nlines < UV_REPORT_MAX)
			snprintf(v->lines[v->nlines++], UV_LINE_LEN,
				 "kthread %s (pid %d) still running %ps",
				 t->comm, t->pid, fn);
	}
	rcu_read_unlock();
}

/* Stop one item that uv_judge_defers() found still pending. */
static void uv_defuse_one(const struct uv_defer *d)
{
	switch (d->kind) {
	case UV_TIMER:
		/* A callback that re-arms its timer cannot any more. */
		timer_shutdown_sync(d->ptr);
		break;
	case UV_WORK:
		cancel_work_sync(d->ptr);
		break;
	case UV_DWORK:
		cancel_delayed_work_sync(to_delayed_work(d->ptr));
		break;
	case UV_HRTIMER:
		hrtimer_cancel(d->ptr);
		break;
	case UV_TASKLET:
		/* A disabled tasklet never runs: tasklet_kill() would spin. */
		while (atomic_read(&((struct tasklet_struct *)d->ptr)->count) > 0)
			tasklet_enable(d->ptr);
		tasklet_kill(d->ptr);
		break;
	case UV_IRQ_WORK:
		irq_work_sync(d->ptr);
		break;
	case UV_KWORK:
		kthread_cancel_work_sync(d->ptr);
		break;
	case UV_KDWORK:
		kthread_cancel_delayed_work_sync(container_of(d->ptr,
				struct kthread_delayed_work, work));
		break;
	case UV_RCU:
		rcu_barrier();
		break;
	case UV_IRQ:
		free_irq(d->arg, d->ptr);
		break;
	}
}

/*
 * Stop the kernel threads still running @mod's code.  kthread_stop()
 * waits for the thread to see kthread_should_stop(): one that never
 * looks hangs the unload here, where the guest's timeout names it,
 * rather than later in freed memory.
 */
static void uv_defuse_kthreads(struct module *mod)
{
	struct task_struct *g, *t, *found[16];
	int i, n = 0;

	rcu_read_lock();
	for_each_process_thread(g, t) {
		if (n < ARRAY_SIZE(found) && (t->flags & PF_KTHREAD) &&
		    !t->exit_state &&
		    within_module((unsigned long)kthread_func(t), mod)) {
			get_task_struct(t);
			found[n++] = t;
		}
	}
	rcu_read_unlock();
	for (i = 0; i < n; i++) {
		kthread_stop(found[i]);
		put_task_struct(found[i]);
	}
}

/* Cancel what a going module left queued, so the test kernel survives. */
void uv_defuse(struct module *mod)
{
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < UV_MAX_DEFER; i++) {
		struct uv_defer d;
		bool pending;

		raw_spin_lock_irqsave(&uv_lock, flags);
		d = uv_defers[i];
		if (d.mod == mod)
			uv_defers[i].ptr = NULL;
		pending = d.ptr && d.mod == mod && uv_defuse_on && uv_defer_pending(&d);
		raw_spin_unlock_irqrestore(&uv_lock, flags);
		if (pending)
			uv_defuse_one(&d);
	}
	if (uv_defuse_on)
		uv_defuse_kthreads(mod);
	raw_spin_lock_irqsave(&uv_lock, flags);
	uv_hold_forget_mod(mod);
	raw_spin_unlock_irqrestore(&uv_lock, flags);
}

/* Probes: deferred work */

/*
 * Caller holds uv_lock.  The bind an item is queued for: the device the
 * task is probing, or unbinding.  A callback re-arming its own timer
 * (interrupt or softirq context) keeps the bind that began it; queued
 * anywhere else, it is nobody's bind (memory reused by another command
 * must not be charged to the device that queued it first).
 */
static const void *uv_defer_bind(const struct uv_defer *slot, void *ptr)
{
	const void *probing = uv_probing_dev();

	if (probing)
		return probing;
	if (slot->ptr == ptr && in_interrupt())
		return slot->bind;
	return in_interrupt() ? NULL : uv_unbinding_dev();
}

/*
 * Note an item queued with its function, or (timers) its memory, inside
 * a watched module.  One entry per item: @ptr, @kind and @arg name it.
 */
static void uv_defer_note(void *ptr, unsigned long func,
			  enum uv_defer_kind kind, unsigned long arg)
{
	struct uv_defer *slot = NULL;
	struct module *mod;
	unsigned long flags;
	int i;

	raw_spin_lock_irqsave(&uv_lock, flags);
	mod = uv_owner(func);
	/* A delayed work's timer is the work's: that is followed already. */
	if (!mod && (kind == UV_TIMER || kind == UV_HRTIMER) &&
	    func != uv_dwork_timer_fn && func != uv_kdwork_timer_fn)
		mod = uv_owner((unsigned long)ptr);
	if (!mod)
		goto out;
	for (i = 0; i < UV_MAX_DEFER; i++) {
		struct uv_defer *d = &uv_defers[i];

		if (d->ptr == ptr && d->kind == kind && d->arg == arg) {
			slot = d;
			break;
		}
		if (!slot && !d->ptr)
			slot = d;
	}
	if (!slot) {
		uv_defer_overflow++;
		goto out;
	}
	slot->bind = uv_defer_bind(slot, ptr);
	slot->ptr = ptr;
	slot->func = func;
	slot->arg = arg;
	slot->mod = mod;
	slot->kind = kind;
	slot->seq = ++uv_seq;
out:
	raw_spin_unlock_irqrestore(&uv_lock, flags);
}

int uv_queue_work_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct work_struct *work = uv_arg(regs, 2);

	uv_defer_note(work, (unsigned long)READ_ONCE(work->func), UV_WORK, 0);
	return 0;
}

int uv_queue_dwork_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct delayed_work *dwork = uv_arg(regs, 2);

	uv_defer_note(&dwork->work, (unsigned long)READ_ONCE(dwork->work.func),
		      UV_DWORK, 0);
	return 0;
}

int uv_timer_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct timer_list *timer = uv_arg(regs, 0);

	uv_defer_note(timer, (unsigned long)READ_ONCE(timer->function),
		      UV_TIMER, 0);
	return 0;
}

int uv_hrtimer_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct hrtimer *timer = uv_arg(regs, 0);

	uv_defer_note(timer, (unsigned long)READ_ONCE(timer->function),
		      UV_HRTIMER, 0);
	return 0;
}

int uv_tasklet_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct tasklet_struct *t = uv_arg(regs, 0);

	uv_defer_note(t, (unsigned long)READ_ONCE(t->func), UV_TASKLET, 0);
	return 0;
}

int uv_irq_work_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct irq_work *work = uv_arg(regs, 0);

	uv_defer_note(work, (unsigned long)READ_ONCE(work->func), UV_IRQ_WORK, 0);
	return 0;
}

/* kthread_queue_work(worker, work), kthread_(mod_)queue_delayed_work(). */
int uv_kwork_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kthread_work *work = uv_arg(regs, 1);

	uv_defer_note(work, (unsigned long)READ_ONCE(work->func), UV_KWORK, 0);
	return 0;
}

int uv_kdwork_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kthread_delayed_work *dwork = uv_arg(regs, 1);

	uv_defer_note(&dwork->work, (unsigned long)READ_ONCE(dwork->work.func),
		      UV_KDWORK, 0);
	return 0;
}

/* call_rcu(head, func): one entry per function, the last call's time. */
int uv_call_rcu_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long func = regs_get_kernel_argument(regs, 1);

	uv_defer_note((void *)func, func, UV_RCU, 0);
	return 0;
}

/*
 * rcu_barrier() by a watched module, or by the task unloading it (an
 * exit function that ends with it tail-calls it: the return address is
 * then the syscall's).
 */
int uv_rcu_barrier_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct module *mod = NULL;
	unsigned long caller = 0, flags;
	struct uv_op *op;
	int i;

	copy_from_kernel_nofault(&caller, (void *)regs->sp, sizeof(caller));
	raw_spin_lock_irqsave(&uv_lock, flags);
	mod = uv_owner(caller);
	op = uv_op_find_key(UV_OP_RMMOD, current);
	for (i = 0; i < UV_MAX_MODS; i++) {
		struct module *m = uv_mods[i].mod;

		if (m && (m == mod ||
			  (op && !strcmp(op->label + strlen("rmmod "), m->name))))
			uv_mods[i].rcu_barrier_seq = ++uv_seq;
	}
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

/* request_threaded_irq(irq, handler, thread_fn, flags, name, dev_id) */
int uv_request_irq_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long irq = regs_get_kernel_argument(regs, 0);
	unsigned long handler = regs_get_kernel_argument(regs, 1);
	unsigned long thread_fn = regs_get_kernel_argument(regs, 2);
	unsigned long fn = handler ? handler : thread_fn;

	if (handler && !uv_owner(handler) && thread_fn)
		fn = thread_fn;
	uv_defer_note(uv_arg(regs, 5), fn, UV_IRQ, irq);
	return 0;
}

/* free_irq(irq, dev_id) */
int uv_free_irq_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long irq = regs_get_kernel_argument(regs, 0);
	void *dev_id = uv_arg(regs, 1);
	unsigned long flags;
	int i;

	raw_spin_lock_irqsave(&uv_lock, flags);
	for (i = 0; i < UV_MAX_DEFER; i++)
		if (uv_defers[i].kind == UV_IRQ &&
		    uv_defers[i].ptr == dev_id && uv_defers[i].arg == irq)
			uv_defers[i].ptr = NULL;
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}
