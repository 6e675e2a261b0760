// SPDX-License-Identifier: GPL-2.0-only
/*
 * Operations: unbinds, module unloads and userspace brackets, opened and
 * closed by probes, and the module notifier that watches modules and
 * judges an unloading one at GOING.
 */
#ifndef CONFIG_X86_64
#error "unplug_verify: unloads are seen at __x64_sys_delete_module()"
#endif

#include "unplug_verify.h"

unsigned long uv_op_overflow;
struct uv_op uv_ops[UV_MAX_OPS];
int uv_stack[UV_MAX_DEPTH];
int uv_depth;
static int uv_next_op_id = 1;
struct uv_mod uv_mods[UV_MAX_MODS];
bool uv_sys_exit_ok;
bool uv_exiting;

/* Watch list */

static bool uv_watched_name(const char *name)
{
	const char *p = uv_watch;
	size_t len;

	if (!name)
		return false;
	if (!*uv_watch)
		return true;
	len = strlen(name);
	while (*p) {
		const char *end = strchrnul(p, ',');

		if (end - p == len && !strncmp(p, name, len))
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

int uv_top_op_id(void)
{
	return uv_depth ? uv_ops[uv_stack[uv_depth - 1]].id : 0;
}

/* Operations */

/* Caller holds uv_lock.  Returns the op slot or NULL when full. */
struct uv_op *uv_op_open(enum uv_op_kind kind, const char *label)
{
	int i;

	if (uv_exiting)
		return NULL;
	if (uv_depth >= UV_MAX_DEPTH) {
		uv_op_overflow++;
		return NULL;
	}
	for (i = 0; i < UV_MAX_OPS; i++) {
		struct uv_op *op = &uv_ops[i];

		if (op->state != UV_OP_FREE)
			continue;
		op->id = uv_next_op_id++;
		op->kind = kind;
		op->state = UV_OP_OPEN;
		op->skip = false;
		op->ret = 0;
		op->key = NULL;
		op->mod = NULL;
		op->verdict = NULL;
		op->scan = NULL;
		strscpy(op->label, label, sizeof(op->label));
		uv_stack[uv_depth++] = i;
		return op;
	}
	uv_op_overflow++;
	return NULL;
}

/* Caller holds uv_lock: take the op off the stack of open operations. */
void uv_op_close(struct uv_op *op)
{
	int i, idx = op - uv_ops;

	for (i = 0; i < uv_depth; i++) {
		if (uv_stack[i] != idx)
			continue;
		memmove(&uv_stack[i], &uv_stack[i + 1],
			(uv_depth - i - 1) * sizeof(uv_stack[0]));
		uv_depth--;
		break;
	}
	op->state = UV_OP_CLOSED;
}

struct uv_op *uv_op_find_open(enum uv_op_kind kind, const char *label)
{
	int i;

	for (i = uv_depth - 1; i >= 0; i--) {
		struct uv_op *op = &uv_ops[uv_stack[i]];

		if (op->kind == kind && (!label || !strcmp(op->label, label)))
			return op;
	}
	return NULL;
}

/* Caller holds uv_lock: the device an open unbind is unbinding, if any. */
const void *uv_unbinding_dev(void)
{
	const struct uv_op *op = uv_depth ? &uv_ops[uv_stack[uv_depth - 1]] : NULL;

	return op && op->kind == UV_OP_UNBIND ? op->key : NULL;
}

void uv_op_release(struct uv_op *op)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&uv_lock, flags);
	op->state = UV_OP_FREE;
	raw_spin_unlock_irqrestore(&uv_lock, flags);
}

/* Probes: operations */

/* Caller holds uv_lock. */
struct uv_op *uv_op_find_key(enum uv_op_kind kind, const void *key)
{
	int i;

	for (i = uv_depth - 1; i >= 0; i--) {
		struct uv_op *op = &uv_ops[uv_stack[i]];

		if (op->kind == kind && op->key == key)
			return op;
	}
	return NULL;
}

/*
 * device_release_driver_internal() entry.  It unbinds only if the device
 * has a driver and @drv is NULL or that driver; the unbind ends with
 * KOBJ_UNBIND on the device (uv_uevent_pre()), which closes the operation.
 */
int uv_unbind_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct device *dev = uv_arg(regs, 0);
	struct device_driver *want = uv_arg(regs, 1);
	struct device_driver *drv = READ_ONCE(dev->driver);
	char label[UV_NAME_LEN];
	unsigned long flags;
	struct uv_op *op;

	if (!drv || (want && want != drv) || !READ_ONCE(uv_uevent_ok))
		return 0;
	if (!uv_watched_name(drv->name) &&
	    !(drv->owner && uv_watched_name(drv->owner->name)))
		return 0;
	snprintf(label, sizeof(label), "unbind %s %s", drv->name,
		 dev_name(dev));
	raw_spin_lock_irqsave(&uv_lock, flags);
	/*
	 * Nested in a module unload or a bracket: that operation owns it.
	 * Read the driver again under the lock: an unbind that finished in
	 * the meantime cleared it before its KOBJ_UNBIND took this lock, and
	 * this call will then unbind nothing and emit no KOBJ_UNBIND.
	 */
	if (!uv_depth && READ_ONCE(dev->driver) == drv) {
		op = uv_op_open(UV_OP_UNBIND, label);
		if (op) {
			op->key = dev;
			op->mod = drv->owner;
		}
	}
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

/*
 * kobject_uevent_env() entry, called whether or not uevents are
 * suppressed.  On a device: KOBJ_ADD means device_add() succeeded,
 * KOBJ_UNBIND is the last thing an unbind does.
 */
int uv_uevent_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kobject *kobj = uv_arg(regs, 0);
	unsigned long action = regs_get_kernel_argument(regs, 1);
	struct device *dev;
	unsigned long flags;
	struct uv_op *op;
	struct uv_obj *o;
	bool closed = false;

	if (!kobj || READ_ONCE(kobj->ktype) != uv_device_ktype ||
	    (action != KOBJ_ADD && action != KOBJ_UNBIND))
		return 0;
	dev = kobj_to_dev(kobj);
	raw_spin_lock_irqsave(&uv_lock, flags);
	if (action == KOBJ_ADD) {
		o = uv_find(kobj);
		if (o) {
			o->adding = false;
			uv_describe(o, dev);
		}
	} else {
		/* A concurrent unbind that lost the race ends here too. */
		while ((op = uv_op_find_key(UV_OP_UNBIND, dev))) {
			op->close_seq = uv_seq;
			uv_op_close(op);
			closed = true;
		}
	}
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	if (closed)
		queue_work(uv_wq, &uv_work);
	return 0;
}

/* Read the module name from the syscall's user argument, without faulting. */
static void uv_user_name(const char __user *uname, char *buf, size_t size)
{
	size_t i;

	for (i = 0; i + 1 < size; i++) {
		if (copy_from_user_nofault(&buf[i], uname + i, 1) || !buf[i])
			break;
	}
	buf[i] = '\0';
}

/*
 * delete_module() entry opens "rmmod <name>"; the GOING notifier judges
 * it.  If the unload fails there is no GOING: the syscall's exit
 * (uv_sys_exit()) closes it as skipped, with the error.
 */
int uv_rmmod_pre(struct kprobe *p, struct pt_regs *regs)
{
	/* __x64_sys_delete_module(regs): the user's registers. */
	struct pt_regs *uregs = uv_arg(regs, 0);
	unsigned long args[6];
	char name[MODULE_NAME_LEN], label[UV_NAME_LEN];
	unsigned long flags;
	struct uv_op *op;

	if (!READ_ONCE(uv_sys_exit_ok))
		return 0;
	syscall_get_arguments(current, uregs, args);
	uv_user_name((const char __user *)args[0], name, sizeof(name));
	/* Our own unload: our notifier is gone before GOING. */
	if (!strcmp(name, KBUILD_MODNAME) || !uv_watched_name(name))
		return 0;
	snprintf(label, sizeof(label), "rmmod %s", name);
	raw_spin_lock_irqsave(&uv_lock, flags);
	op = uv_op_open(UV_OP_RMMOD, label);
	if (op)
		op->key = current;
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

/* Caller holds uv_lock: an unload of @task judged at GOING. */
static struct uv_op *uv_op_find_gone(const struct task_struct *task)
{
	int i;

	for (i = 0; i < UV_MAX_OPS; i++)
		if (uv_ops[i].state == UV_OP_GONE && uv_ops[i].key == task)
			return &uv_ops[i];
	return NULL;
}

/*
 * sys_exit tracepoint: an rmmod of ours still open has failed; one judged
 * at GOING is over, its module freed.
 */
void uv_sys_exit(void *data, struct pt_regs *regs, long ret)
{
	unsigned long flags;
	struct uv_op *op;

	if (syscall_get_nr(current, regs) != __NR_delete_module)
		return;
	raw_spin_lock_irqsave(&uv_lock, flags);
	op = uv_op_find_key(UV_OP_RMMOD, current);
	if (op) {
		op->skip = true;
		op->ret = ret;
		uv_op_close(op);
	} else {
		op = uv_op_find_gone(current);
		if (op)
			op->state = UV_OP_CLOSED;
	}
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	if (op)
		queue_work(uv_wq, &uv_work);
}

struct tracepoint *uv_tp_sys_exit;

void uv_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sys_exit"))
		uv_tp_sys_exit = tp;
}

struct module *uv_owner(unsigned long func)
{
	int i;

	for (i = 0; i < UV_MAX_MODS; i++)
		if (uv_mods[i].mod && within_module(func, uv_mods[i].mod))
			return uv_mods[i].mod;
	return NULL;
}

/* Module notifier: COMING adds a watched module, GOING judges it. */

static void uv_mod_going(struct module *mod)
{
	char label[UV_NAME_LEN];
	unsigned long flags;
	struct uv_op *op;
	int i;

	/*
	 * Unbinds of this module's devices still waiting for their verdict
	 * come first: once the module is gone its address, and its devices',
	 * may be another module's.
	 */
	flush_work(&uv_work);
	snprintf(label, sizeof(label), "rmmod %s", mod->name);
	raw_spin_lock_irqsave(&uv_lock, flags);
	op = uv_op_find_open(UV_OP_RMMOD, label);
	if (!op) {
		/* A failed load also ends here: still check what it left. */
		snprintf(label, sizeof(label), "going %s", mod->name);
		op = uv_op_open(UV_OP_GOING, label);
	}
	if (op)
		uv_op_close(op);
	raw_spin_unlock_irqrestore(&uv_lock, flags);

	/*
	 * Judge while the module is here to symbolize, stop what it left
	 * running, then note what still points into it.  An unload's
	 * verdict waits for its syscall to return (uv_sys_exit()): only
	 * then is the module freed and a dangling pointer known.
	 */
	if (op) {
		op->verdict = uv_verdict_build(op, mod, false);
		uv_verdict_render(op, op->verdict, true);
	}
	uv_defuse(mod);
	uv_remove_sites(mod);
	if (op && op->kind == UV_OP_RMMOD && op->verdict) {
		op->scan = uv_scan_going(mod);
		raw_spin_lock_irqsave(&uv_lock, flags);
		op->state = UV_OP_GONE;
		raw_spin_unlock_irqrestore(&uv_lock, flags);
	} else if (op) {
		/* A failed load, or no memory: nothing to wait for. */
		uv_verdict_print(op, op->verdict);
		op->verdict = NULL;
		uv_op_release(op);
	}

	raw_spin_lock_irqsave(&uv_lock, flags);
	for (i = 0; i < UV_MAX_MODS; i++)
		if (uv_mods[i].mod == mod)
			uv_mods[i].mod = NULL;
	raw_spin_unlock_irqrestore(&uv_lock, flags);
}

static int uv_module_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	struct module *mod = data;
	unsigned long flags;
	int i;

	if (!uv_watched_name(mod->name))
		return NOTIFY_DONE;
	if (action == MODULE_STATE_COMING) {
		raw_spin_lock_irqsave(&uv_lock, flags);
		for (i = 0; i < UV_MAX_MODS; i++) {
			if (!uv_mods[i].mod) {
				uv_mods[i].mod = mod;
				break;
			}
		}
		if (i == UV_MAX_MODS)
			uv_defer_overflow++;
		raw_spin_unlock_irqrestore(&uv_lock, flags);
		uv_add_sites(mod);
	} else if (action == MODULE_STATE_GOING) {
		uv_mod_going(mod);
	}
	return NOTIFY_DONE;
}

struct notifier_block uv_module_nb = {
	.notifier_call = uv_module_notify,
};
