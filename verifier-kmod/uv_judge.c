// SPDX-License-Identifier: GPL-2.0-only
/*
 * Judging an operation and its KTAP output: what it deleted must be
 * released; the verdict goes to the console and to debugfs results.
 */

#include "unplug_verify.h"

DEFINE_MUTEX(uv_report_lock);
int uv_test_no;
unsigned int uv_failed_ops;
char *uv_results;
size_t uv_results_len;
unsigned long uv_results_lost;
struct workqueue_struct *uv_wq;

/* Reporting: console and the debugfs results file get the same lines. */

__printf(1, 2) void uv_out(const char *fmt, ...)
{
	char line[256];
	va_list args;
	int n;

	va_start(args, fmt);
	n = vscnprintf(line, sizeof(line), fmt, args);
	va_end(args);
	pr_info("%s\n", line);
	if (uv_results_len + n + 1 < UV_RESULTS_SIZE) {
		memcpy(uv_results + uv_results_len, line, n);
		uv_results_len += n;
		uv_results[uv_results_len++] = '\n';
	} else {
		uv_results_lost++;
	}
}

static const char * const uv_ev_names[] = {
	[UV_EV_ADD] = "add", [UV_EV_GET] = "get", [UV_EV_PUT] = "put",
	[UV_EV_DEL] = "del", [UV_EV_RELEASE] = "release",
};

/* Append one diagnostic line to @v's text. */
__printf(2, 3) void uv_vline(struct uv_verdict *v, const char *fmt, ...)
{
	size_t room = UV_TEXT_SIZE - v->text_len;
	va_list args;
	int n;

	if (room < 2)
		return;
	va_start(args, fmt);
	n = vscnprintf(v->text + v->text_len, room - 1, fmt, args);
	va_end(args);
	v->text_len += n;
	v->text[v->text_len++] = '\n';
}

static void uv_print_events(struct uv_verdict *v, const struct uv_obj *o)
{
	unsigned int i, f, len, shown = 0, total = o->nev;
	char line[224];

	for (i = 0; i < total; i++) {
		const struct uv_ev *ev;

		if (i < UV_EV_HEAD) {
			ev = &o->head[i];
		} else if (i + UV_EV_TAIL >= total) {
			ev = &o->tail[(i - UV_EV_HEAD) % UV_EV_TAIL];
		} else {
			if (i == UV_EV_HEAD)
				uv_vline(v, "#     ... %u events not kept ...",
				       total - UV_EV_HEAD - UV_EV_TAIL);
			continue;
		}
		len = scnprintf(line, sizeof(line), "%-7s refs=%u",
				uv_ev_names[ev->kind], ev->refs);
		for (f = 0; f < UV_FRAMES && ev->frames[f]; f++)
			len += scnprintf(line + len, sizeof(line) - len, "%s%pS",
					 f ? " <- " : " ", (void *)ev->frames[f]);
		uv_vline(v, "#     %s", line);
		shown++;
	}
	if (!shown)
		uv_vline(v, "#     (no events recorded)");
}

static void uv_print_snap(struct uv_verdict *v, const struct uv_snap *s)
{
	uv_vline(v, "# %s: %s refcount=%u release=%s%s%s", s->why, s->obj.name,
	       s->refs, s->obj.release_sym,
	       s->obj.swnode ? " node=" : "", s->obj.swnode_sym);
	uv_print_events(v, &s->obj);
}

/* Judge the objects an operation deleted; optionally a going module. */
static bool uv_in_module(const struct uv_obj *o, struct module *mod)
{
	return within_module(o->release, mod) ||
	       within_module(o->type, mod) || within_module(o->class, mod) ||
	       within_module(o->bus, mod) || within_module(o->groups, mod) ||
	       within_module(o->type_groups, mod) ||
	       within_module(o->class_groups, mod) ||
	       within_module(o->swnode, mod);
}

static void uv_snap_add(struct uv_verdict *v, struct uv_obj *o,
			const char *why)
{
	struct uv_snap *s;

	v->failures++;
	o->reported = true;
	if (v->nsnap >= UV_REPORT_MAX)
		return;
	/* Unreleased by our count, but memory we did not see freed may be. */
	s = &v->snap[v->nsnap++];
	s->obj = *o;
	s->why = why;
	if (copy_from_kernel_nofault(&s->refs, &o->kobj->kref.refcount,
				     sizeof(s->refs)))
		s->refs = U32_MAX;
	if (copy_from_kernel_nofault(&s->parent, &o->kobj->parent,
				     sizeof(s->parent)))
		s->parent = NULL;
}

static unsigned int uv_pending_count(int op_id)
{
	unsigned long flags;
	unsigned int i, n = 0;

	raw_spin_lock_irqsave(&uv_lock, flags);
	for (i = 0; i < UV_MAX_OBJS; i++)
		if (uv_objs[i].del_op == op_id && uv_objs[i].state == UV_DELETED)
			n++;
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return n;
}

/*
 * RCU callbacks first (unless the caller has just waited for them), then
 * poll until released or the grace runs out.
 */
static void uv_settle(int op_id, bool rcu_done)
{
	unsigned int waited = 0;

	if (!rcu_done)
		rcu_barrier();
	while (waited < uv_settle_ms && uv_pending_count(op_id)) {
		msleep(20);
		waited += 20;
	}
}

static void uv_judge(const struct uv_op *op, struct module *mod,
		     struct uv_verdict *v)
{
	int op_id = op->id;
	unsigned long flags;
	unsigned int i;

	raw_spin_lock_irqsave(&uv_lock, flags);
	for (i = 0; i < UV_MAX_OBJS; i++) {
		struct uv_obj *o = &uv_objs[i];

		if (o->state == UV_FREE)
			continue;
		if (op_id && o->del_op == op_id) {
			v->deleted++;
			if (o->state == UV_RELEASED) {
				v->released++;
				if (uv_verbose && v->nreleased_names < UV_REPORT_MAX)
					strscpy(v->released_names[v->nreleased_names++],
						o->name, UV_NAME_LEN);
				uv_free(o);
				continue;
			}
			o->del_op = 0;
			uv_snap_add(v, o, "not released");
			continue;
		}
		/* A failed device_add() never registered the device. */
		if (!mod || o->state == UV_RELEASED || o->orphan || o->adding)
			continue;
		if (uv_in_module(o, mod)) {
			if (!o->reported)
				uv_snap_add(v, o, "outlives its module");
			o->orphan = true;
		}
	}
	if (op->kind == UV_OP_UNBIND && op->mod) {
		uv_judge_holds(v, op->mod, op->key, op->close_seq);
		uv_judge_defers(v, op->mod, op->key);
	}
	if (mod) {
		uv_judge_holds(v, mod, NULL, 0);
		uv_judge_defers(v, mod, NULL);
		uv_judge_kthreads(v, mod);
	}
	raw_spin_unlock_irqrestore(&uv_lock, flags);
}

static bool uv_snap_pins(const struct uv_verdict *v, unsigned int i)
{
	unsigned int j;

	for (j = 0; j < v->nsnap; j++)
		if (j != i && v->snap[j].parent == v->snap[i].obj.kobj)
			return true;
	return false;
}

/* @rcu_done: the caller ran rcu_barrier() after @op was closed. */
struct uv_verdict *uv_verdict_build(struct uv_op *op,
				    struct module *mod, bool rcu_done)
{
	struct uv_verdict *v = vzalloc(sizeof(*v));

	if (v && !op->skip) {
		uv_settle(op->id, rcu_done);
		uv_judge(op, mod, v);
	}
	return v;
}

/* Render @op's diagnostics into @v, while what they name is there. */
void uv_verdict_render(struct uv_op *op, struct uv_verdict *v,
		       bool going)
{
	unsigned int i;

	if (!v || op->skip)
		return;
	uv_vline(v, "# %s: %u objects unregistered, %u released%s", op->label,
		 v->deleted, v->released,
		 going ? ", module checked at GOING" : "");
	for (i = 0; i < v->nreleased_names; i++)
		uv_vline(v, "#   released: %s", v->released_names[i]);
	if (v->released > v->nreleased_names && v->nreleased_names)
		uv_vline(v, "#   ... and %u more released",
			 v->released - v->nreleased_names);
	/* The cause first: a parent pinned by a failing child comes after. */
	for (i = 0; i < v->nsnap; i++)
		if (!uv_snap_pins(v, i))
			uv_print_snap(v, &v->snap[i]);
	for (i = 0; i < v->nsnap; i++)
		if (uv_snap_pins(v, i))
			uv_print_snap(v, &v->snap[i]);
	for (i = 0; i < v->nlines; i++)
		uv_vline(v, "# %s", v->lines[i]);
	if (v->failures > v->nsnap + v->nlines)
		uv_vline(v, "# ... %u more failures not detailed",
			 v->failures - v->nsnap - v->nlines);
}

/* Print @op's rendered verdict and free it. */
void uv_verdict_print(struct uv_op *op, struct uv_verdict *v)
{
	char *line, *next;
	int no;

	mutex_lock(&uv_report_lock);
	no = ++uv_test_no;
	if (!v) {
		uv_out("# %s: out of memory while judging", op->label);
		uv_out("not ok %d %s", no, op->label);
		goto unlock;
	}
	if (op->skip) {
		uv_out("ok %d %s # SKIP failed with %ld, nothing unregistered",
		       no, op->label, op->ret);
		goto unlock;
	}
	for (line = v->text; line < v->text + v->text_len; line = next + 1) {
		next = memchr(line, '\n', v->text + v->text_len - line);
		if (!next)
			break;
		*next = '\0';
		uv_out("%s", line);
	}
	if (uv_obj_overflow || uv_defer_overflow || uv_op_overflow ||
	    uv_hold_overflow || uv_site_overflow)
		uv_out("# warning: table overflow: %lu objects, %lu work/timers, %lu operations, %lu references, %lu tail-call sites not tracked",
		       uv_obj_overflow, uv_defer_overflow, uv_op_overflow,
		       uv_hold_overflow, uv_site_overflow);
	uv_out("%s %d %s", v->failures ? "not ok" : "ok", no, op->label);
	if (v->failures)
		uv_failed_ops++;
unlock:
	mutex_unlock(&uv_report_lock);
	if (v && v->failures && uv_panic_on_fail)
		panic("unplug_verify: %s failed", op->label);
	vfree(v);
}

/*
 * An unload judged at GOING gets its dangling pointers now that the
 * module is freed; anything else is judged now.
 */
void uv_report(struct uv_op *op, struct module *mod, bool rcu_done)
{
	struct uv_verdict *v = op->verdict;

	if (!v) {
		v = uv_verdict_build(op, mod, rcu_done);
		uv_verdict_render(op, v, mod);
		uv_verdict_print(op, v);
		return;
	}
	op->verdict = NULL;
	if (op->scan) {
		msleep(uv_settle_ms);
		uv_scan_recheck(op->scan, v);
		vfree(op->scan);
		op->scan = NULL;
	}
	uv_verdict_print(op, v);
}

/*
 * Closed unbind and failed-rmmod operations are judged here, in order.
 * One RCU barrier serves every operation closed before it: with a
 * barrier each, unbinds under device churn closed faster than they were
 * judged and overflowed the table.
 */
static void uv_work_fn(struct work_struct *work)
{
	int batch[UV_MAX_OPS];

	for (;;) {
		unsigned long flags;
		int i, j, n = 0;

		raw_spin_lock_irqsave(&uv_lock, flags);
		for (i = 0; i < UV_MAX_OPS; i++) {
			if (uv_ops[i].state != UV_OP_CLOSED ||
			    (uv_ops[i].kind != UV_OP_UNBIND &&
			     uv_ops[i].kind != UV_OP_RMMOD))
				continue;
			/* Insert by id: the order the operations began. */
			for (j = n; j > 0 && uv_ops[batch[j - 1]].id > uv_ops[i].id; j--)
				batch[j] = batch[j - 1];
			batch[j] = i;
			n++;
		}
		raw_spin_unlock_irqrestore(&uv_lock, flags);
		if (!n)
			break;
		rcu_barrier();
		for (i = 0; i < n; i++) {
			uv_report(&uv_ops[batch[i]], NULL, true);
			uv_op_release(&uv_ops[batch[i]]);
		}
	}
}

DECLARE_WORK(uv_work, uv_work_fn);
