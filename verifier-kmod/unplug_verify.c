// SPDX-License-Identifier: GPL-2.0-only
/*
 * unplug_verify - check that driver-model objects die with their operation
 *
 * Devices are followed from device_add() to device_release() with kprobes.
 * An operation (a driver unbind, a module unload, or a bracket opened by
 * userspace through debugfs) owns every device deleted while it is the
 * innermost open operation.  When it ends, after an RCU barrier and a
 * bounded grace period, each of those devices must have been released.
 * At a module's GOING notification, nothing may still point into the
 * module: no live device with callbacks there, no queued work item or
 * armed timer whose function is there.  Verdicts are printed as KTAP.
 *
 * All tables are fixed size; what does not fit is counted and reported.
 */

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/hash.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irq_work.h>
#include <linux/irqdesc.h>
#include <linux/kallsyms.h>
#include <linux/kdebug.h>
#include <linux/kobject.h>
#include <linux/kprobes.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/unistd.h>
#include <linux/timer.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <asm/syscall.h>
#include <asm/unwind.h>

static char *watch = "";
module_param(watch, charp, 0444);
MODULE_PARM_DESC(watch, "Comma-separated module or driver names to verify (empty: all)");

static unsigned int settle_ms = 300;
module_param(settle_ms, uint, 0644);
MODULE_PARM_DESC(settle_ms, "Grace period after the RCU barrier before judging an operation");

static int verbose;
module_param(verbose, int, 0644);
MODULE_PARM_DESC(verbose, "1: also name the released objects of each operation");

static bool panic_on_fail;
module_param(panic_on_fail, bool, 0644);
MODULE_PARM_DESC(panic_on_fail, "Panic on the first failed operation");

static bool defuse = true;
module_param(defuse, bool, 0644);
MODULE_PARM_DESC(defuse, "Cancel work and timers left behind by an unloading module after reporting them");

/* Self-test of a leak check (scenarios/stress): memory never given back. */
static unsigned int test_leak_kb;
module_param(test_leak_kb, uint, 0444);
MODULE_PARM_DESC(test_leak_kb, "Test only: leak this many KiB of vmalloc memory per load");

#define UV_MAX_OBJS	1024
#define UV_HASH_BITS	9
#define UV_HASH_SIZE	(1 << UV_HASH_BITS)
#define UV_EV_HEAD	10	/* first events after registration, kept */
#define UV_EV_TAIL	10	/* most recent events, a ring */
#define UV_FRAMES	4
#define UV_NAME_LEN	64
#define UV_SYM_LEN	64
#define UV_MAX_OPS	64
#define UV_MAX_DEPTH	8
#define UV_MAX_MODS	32
#define UV_MAX_DEFER	256
#define UV_REPORT_MAX	8	/* failing objects detailed per operation */
#define UV_LINE_LEN	224
#define UV_TEXT_SIZE	(40 * 1024)
#define UV_RESULTS_SIZE	(128 * 1024)
#define UV_NIL		0xffff

enum uv_ev_kind { UV_EV_ADD, UV_EV_GET, UV_EV_PUT, UV_EV_DEL, UV_EV_RELEASE };

static const char * const uv_ev_names[] = {
	[UV_EV_ADD] = "add", [UV_EV_GET] = "get", [UV_EV_PUT] = "put",
	[UV_EV_DEL] = "del", [UV_EV_RELEASE] = "release",
};

struct uv_ev {
	u8 kind;
	u32 refs;	/* refcount when the event happened */
	unsigned long frames[UV_FRAMES];
};

enum uv_obj_state { UV_FREE, UV_LIVE, UV_DELETED, UV_RELEASED };

struct uv_obj {
	struct kobject *kobj;
	u16 next;		/* hash chain */
	u8 state;
	bool orphan;		/* its module is gone: never judge it again */
	bool reported;
	bool adding;		/* device_add() entered, its KOBJ_ADD not seen */
	int del_op;		/* operation that deleted it, 0 if none */
	unsigned long release, type, class, bus, groups, type_groups;
	unsigned long class_groups;
	char name[UV_NAME_LEN];
	char release_sym[UV_SYM_LEN];
	unsigned long swnode;	/* software node: its struct software_node */
	char swnode_sym[UV_SYM_LEN];
	unsigned int nev;
	struct uv_ev head[UV_EV_HEAD];
	struct uv_ev tail[UV_EV_TAIL];
};

/*
 * Ways module code runs later: queued with a function (or, for timers,
 * memory) inside a watched module.
 */
enum uv_defer_kind {
	UV_WORK, UV_DWORK, UV_TIMER, UV_HRTIMER, UV_TASKLET, UV_IRQ_WORK,
	UV_KWORK, UV_KDWORK, UV_RCU, UV_IRQ,
};

struct uv_defer {
	void *ptr;		/* the item; UV_IRQ: dev_id; UV_RCU: the function */
	unsigned long func;
	unsigned long arg;	/* UV_IRQ: the irq number */
	struct module *mod;
	const void *bind;	/* the device whose probe started it, or NULL */
	u32 seq;		/* UV_RCU: when last queued */
	u8 kind;
};

enum uv_op_kind { UV_OP_UNBIND, UV_OP_RMMOD, UV_OP_BRACKET, UV_OP_GOING };
/* GONE: an unload judged at GOING, waiting for its syscall to return. */
enum uv_op_state { UV_OP_FREE, UV_OP_OPEN, UV_OP_GONE, UV_OP_CLOSED };

struct uv_op {
	int id;
	u8 kind;
	u8 state;
	bool skip;
	long ret;
	const void *key;	/* unbind: the device; rmmod: the task */
	struct module *mod;	/* unbind: the driver's module */
	u32 close_seq;		/* unbind: uv_seq when it ended */
	struct uv_verdict *verdict;	/* unload: judged at GOING */
	struct uv_scan *scan;		/* unload: pointers seen at GOING */
	char label[UV_NAME_LEN];
};

struct uv_verdict;
struct uv_scan;

struct uv_mod {
	struct module *mod;
	u32 rcu_barrier_seq;	/* its last rcu_barrier() */
};

static DEFINE_RAW_SPINLOCK(uv_lock);	/* everything below, probe context */
static struct uv_obj *uv_objs;
static u16 uv_hash[UV_HASH_SIZE];
static u16 uv_free_head;
static unsigned long uv_obj_overflow, uv_defer_overflow, uv_op_overflow;
static struct uv_defer uv_defers[UV_MAX_DEFER];
static struct uv_op uv_ops[UV_MAX_OPS];
static int uv_stack[UV_MAX_DEPTH];	/* indexes into uv_ops */
static int uv_depth;
static int uv_next_op_id = 1;
static struct uv_mod uv_mods[UV_MAX_MODS];

static DEFINE_MUTEX(uv_report_lock);	/* KTAP numbering and results */
static int uv_test_no;
static unsigned int uv_failed_ops;
static char *uv_results;
static size_t uv_results_len;
static unsigned long uv_results_lost;

static struct workqueue_struct *uv_wq;

/*
 * No return probes: an operation ends at an entry probe or tracepoint
 * that marks its end (see uv_uevent_pre() and uv_sys_exit()).  The
 * ktype of every struct device tells device kobjects apart in
 * kobject_uevent_env(); it is read from platform_bus at load.
 */
static const struct kobj_type *uv_device_ktype;
static bool uv_uevent_ok;	/* KOBJ_ADD ends device_add() */
static bool uv_sys_exit_ok;	/* a failed unload is seen */
static bool uv_exiting;		/* unloading: open no new operation */
static struct dentry *uv_dir;

/* Watch list */

static bool uv_watched_name(const char *name)
{
	const char *p = watch;
	size_t len;

	if (!name)
		return false;
	if (!*watch)
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

/* Object table */

static u32 uv_hash_of(const void *p)
{
	return hash_ptr(p, UV_HASH_BITS);
}

static struct uv_obj *uv_find(const struct kobject *kobj)
{
	u16 i;

	for (i = uv_hash[uv_hash_of(kobj)]; i != UV_NIL; i = uv_objs[i].next)
		if (uv_objs[i].kobj == kobj && uv_objs[i].state != UV_RELEASED)
			return &uv_objs[i];
	return NULL;
}

static struct uv_obj *uv_alloc(struct kobject *kobj)
{
	struct uv_obj *o;
	u32 h = uv_hash_of(kobj);
	u16 i = uv_free_head;

	if (i == UV_NIL) {
		uv_obj_overflow++;
		return NULL;
	}
	o = &uv_objs[i];
	uv_free_head = o->next;
	memset(o, 0, sizeof(*o));
	o->kobj = kobj;
	o->state = UV_LIVE;
	o->next = uv_hash[h];
	uv_hash[h] = i;
	return o;
}

static void uv_free(struct uv_obj *o)
{
	u16 idx = o - uv_objs;
	u16 *pp = &uv_hash[uv_hash_of(o->kobj)];

	while (*pp != UV_NIL && *pp != idx)
		pp = &uv_objs[*pp].next;
	if (*pp == idx)
		*pp = o->next;
	o->state = UV_FREE;
	o->kobj = NULL;
	o->next = uv_free_head;
	uv_free_head = idx;
}

/*
 * Record the caller chain of a probed function: the return address on
 * top of the stack, then what the unwinder finds from the probed
 * instruction (see uv_holder() for why not from past the int3).
 */
static void uv_frames(struct pt_regs *regs, unsigned long *out)
{
	struct unwind_state state;
	struct pt_regs at = *regs;
	unsigned long caller = 0, addr;
	unsigned int k = 0, n = 0;

	memset(out, 0, sizeof(*out) * UV_FRAMES);
	if (!copy_from_kernel_nofault(&caller, (void *)regs->sp, sizeof(caller)) &&
	    caller)
		out[k++] = caller;
	at.ip -= INT3_INSN_SIZE;
	for (unwind_start(&state, current, &at, (unsigned long *)regs->sp);
	     !unwind_done(&state) && k < UV_FRAMES && n < 16;
	     unwind_next_frame(&state), n++) {
		addr = unwind_get_return_address(&state);
		if (addr && addr != caller && addr != at.ip)
			out[k++] = addr;
	}
}

static void uv_event(struct uv_obj *o, enum uv_ev_kind kind,
		     struct pt_regs *regs)
{
	struct uv_ev *ev;

	if (o->nev < UV_EV_HEAD)
		ev = &o->head[o->nev];
	else
		ev = &o->tail[(o->nev - UV_EV_HEAD) % UV_EV_TAIL];
	o->nev++;
	ev->kind = kind;
	ev->refs = kref_read(&o->kobj->kref);
	uv_frames(regs, ev->frames);
}

/* Name, release function and callback tables of a device, as now. */
static void uv_describe(struct uv_obj *o, struct device *dev)
{
	const char *prefix = "none";
	const char *name = dev_name(dev);
	unsigned long rel = 0;

	if (!name)
		name = dev->init_name;
	if (dev->bus)
		prefix = dev->bus->name;
	else if (dev->class)
		prefix = dev->class->name;
	snprintf(o->name, sizeof(o->name), "%s:%s", prefix,
		 name ? name : "(unnamed)");

	if (dev->release)
		rel = (unsigned long)dev->release;
	else if (dev->type && dev->type->release)
		rel = (unsigned long)dev->type->release;
	else if (dev->class && dev->class->dev_release)
		rel = (unsigned long)dev->class->dev_release;
	o->release = rel;
	/* Symbolize now: after an unload the address may name another module. */
	if (rel)
		snprintf(o->release_sym, sizeof(o->release_sym), "%ps",
			 (void *)rel);
	else
		strscpy(o->release_sym, "(none)", sizeof(o->release_sym));
	o->type = (unsigned long)dev->type;
	o->class = (unsigned long)dev->class;
	o->bus = (unsigned long)dev->bus;
	o->groups = (unsigned long)dev->groups;
	o->type_groups = dev->type ? (unsigned long)dev->type->groups : 0;
	o->class_groups = dev->class ?
		(unsigned long)dev->class->dev_groups : 0;
}

static int uv_top_op_id(void)
{
	return uv_depth ? uv_ops[uv_stack[uv_depth - 1]].id : 0;
}

/* Operations */

/* Caller holds uv_lock.  Returns the op slot or NULL when full. */
static struct uv_op *uv_op_open(enum uv_op_kind kind, const char *label)
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
static void uv_op_close(struct uv_op *op)
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

static struct uv_op *uv_op_find_open(enum uv_op_kind kind, const char *label)
{
	int i;

	for (i = uv_depth - 1; i >= 0; i--) {
		struct uv_op *op = &uv_ops[uv_stack[i]];

		if (op->kind == kind && (!label || !strcmp(op->label, label)))
			return op;
	}
	return NULL;
}

/* Reporting: console and the debugfs results file get the same lines. */

static __printf(1, 2) void uv_out(const char *fmt, ...)
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

static struct module *uv_owner(unsigned long addr);
static bool uv_swnode_ktype(const struct kobj_type *kt);

/* A kernel string that may be gone, copied without faulting. */
static void uv_kstr(char *buf, const char *src, size_t size)
{
	size_t i;

	for (i = 0; i + 1 < size; i++)
		if (copy_from_kernel_nofault(&buf[i], src + i, 1) || !buf[i])
			break;
	buf[i] = '\0';
}

static const struct device *uv_kobj_dev(const struct kobject *kobj)
{
	return container_of(kobj, const struct device, kobj);
}

/*
 * References per holder, lib/ref_tracker.c's idea from outside, for any
 * kobject: a reference taken (kobject_get(), kobject_get_unless_zero(),
 * the initial one of kobject_init()) or dropped (kobject_put()) is charged
 * to the watched module whose code asked for it.  That is the direct
 * caller of the primitive, or the first caller past a chain of API
 * functions that take or drop references for their caller (uv_api_names:
 * get_device(), the bus/class/driver/child lookups, the fwnode getters and
 * iterators, device creation).  Any other kernel code on the way (the
 * parent reference device_add() takes, a release dropping its parent's)
 * holds that reference itself.  A put by the module cancels the newest
 * reference it holds on the object; the object's last put forgets it.
 * An unbind is charged what the driver took while probing that device
 * and still holds; a going module everything it still holds.
 */
#define UV_MAX_HOLDS	512
#define UV_MAX_PROBING	16	/* tasks probing or tail-calling at once */
#define UV_API_DEPTH	10	/* frames unwound through API functions */

struct uv_hold {
	struct kobject *kobj;	/* NULL: a free slot */
	struct module *mod;
	const void *bind;	/* the device being probed when taken, or NULL */
	int refs;
	u32 first_seq;		/* when the record began */
	u32 seq;		/* last reference taken: a put cancels the newest */
	unsigned long frames[UV_FRAMES];	/* where the first was taken */
	s8 init_frame;		/* a frame in __init code, or -1 ... */
	char init_sym[UV_SYM_LEN];	/* ... named when taken */
};

static struct uv_hold *uv_holds;
static u32 uv_seq;
static unsigned long uv_hold_overflow, uv_site_overflow;

struct uv_range {
	unsigned long start, end;
};

static const char * const uv_api_names[] = {
	"get_device", "put_device", "kobject_init_and_add", "kobject_create",
	"kobject_create_and_add", "device_initialize", "device_register",
	"device_unregister", "device_create", "device_create_with_groups",
	"device_create_groups_vargs", "device_destroy", "platform_device_alloc",
	"platform_device_register_full", "platform_device_put",
	"platform_device_unregister", "bus_find_device", "class_find_device",
	"driver_find_device", "device_find_child", "device_find_child_by_name",
	"device_find_any_child", "fwnode_handle_get", "fwnode_handle_put",
	"software_node_get", "software_node_put", "fwnode_get_parent",
	"fwnode_get_next_parent", "fwnode_get_nth_parent",
	"software_node_get_parent", "fwnode_get_next_child_node",
	"fwnode_get_next_available_child_node", "device_get_next_child_node",
	"software_node_get_next_child", "fwnode_get_named_child_node",
	"device_get_named_child_node", "software_node_get_named_child_node",
	"fwnode_find_reference", "fwnode_property_get_reference_args",
	"software_node_get_reference_args", "of_node_get", "of_node_put",
	"of_find_node_opts_by_path", "of_find_node_by_name",
	"of_find_compatible_node", "of_get_next_child", "of_get_child_by_name",
	"of_get_parent", "of_get_next_parent", "of_find_device_by_node",
};

static struct uv_range uv_api[ARRAY_SIZE(uv_api_names)];
/* kobject_put() calling itself is a release dropping its parent. */
static struct uv_range uv_put_range;
static struct uv_range uv_prims[3];	/* kobject_get, _get_unless_zero, _init */
static struct uv_range uv_create_and_add;
static unsigned long uv_dwork_timer_fn, uv_kdwork_timer_fn;

static unsigned long (*uv_lookup_name)(const char *name);

/* kallsyms_lookup_name() is not exported: find it with a disabled probe. */
static void uv_find_lookup_name(void)
{
	struct kprobe kp = {
		.symbol_name = "kallsyms_lookup_name",
		.flags = KPROBE_FLAG_DISABLED,
	};

	if (register_kprobe(&kp))
		return;
	uv_lookup_name = (void *)((unsigned long)kp.addr - kp.offset);
	unregister_kprobe(&kp);
}

static unsigned long uv_ksym(const char *name)
{
	return uv_lookup_name ? uv_lookup_name(name) : 0;
}

/* A function's extent, from "name+off/size" as %pS-style lookup gives it. */
static bool uv_sym_range(const char *name, struct uv_range *r)
{
	unsigned long addr = uv_ksym(name);
	char buf[KSYM_SYMBOL_LEN], *slash;
	unsigned long size;

	if (!addr)
		return false;
	sprint_symbol(buf, addr);
	slash = strrchr(buf, '/');
	if (!slash || kstrtoul(slash + 1, 16, &size) || !size)
		return false;
	r->start = addr;
	r->end = addr + size;
	return true;
}

/*
 * vmlinux variables that keep a stale pointer into a module by design
 * and never use it again: the ORC unwinder's sort scratch pointers, left
 * at the last module whose tables it sorted.
 */
static const char * const uv_scan_ignore[] = {
	"cur_orc_table", "cur_orc_ip_table",
};

static unsigned long uv_scan_ignore_at[ARRAY_SIZE(uv_scan_ignore)];

/*
 * vmlinux .data and .bss, resolved once at load.  The unused part of
 * .bss..decrypted is given back to the page allocator at boot: whatever
 * lives there now is not ours to name.  The per-CPU areas are not
 * scanned: what lives there (timer wheels, hrtimer bases) is followed by
 * its own probes, and an hrtimer base was seen still pointing at an
 * hrtimer that had been cancelled.
 */
static struct uv_range uv_scan_areas[3];

static void uv_resolve_scan_areas(void)
{
	unsigned long ds = uv_ksym("_sdata"), de = uv_ksym("_edata");
	unsigned long bs = uv_ksym("__bss_start"), be = uv_ksym("__bss_stop");
	unsigned long xs = uv_ksym("__start_bss_decrypted");
	unsigned long xe = uv_ksym("__end_bss_decrypted");
	int i;

	for (i = 0; i < ARRAY_SIZE(uv_scan_ignore); i++)
		uv_scan_ignore_at[i] = uv_ksym(uv_scan_ignore[i]);
	if (ds && de > ds)
		uv_scan_areas[0] = (struct uv_range){ ds, de };
	if (!bs || be <= bs)
		return;
	if (xs > bs && xe > xs && xe <= be) {
		uv_scan_areas[1] = (struct uv_range){ bs, xs };
		uv_scan_areas[2] = (struct uv_range){ xe, be };
	} else {
		uv_scan_areas[1] = (struct uv_range){ bs, be };
	}
}

static bool uv_scan_ignored(unsigned long loc)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(uv_scan_ignore_at); i++)
		if (loc == uv_scan_ignore_at[i])
			return true;
	return false;
}

static void uv_resolve_api(void)
{
	int i;

	uv_find_lookup_name();
	if (!uv_lookup_name)
		uv_out("# warning: kallsyms_lookup_name not found, references charged to direct callers only");
	for (i = 0; i < ARRAY_SIZE(uv_api_names); i++)
		uv_sym_range(uv_api_names[i], &uv_api[i]);
	uv_sym_range("kobject_put", &uv_put_range);
	uv_sym_range("kobject_get", &uv_prims[0]);
	uv_sym_range("kobject_get_unless_zero", &uv_prims[1]);
	uv_sym_range("kobject_init", &uv_prims[2]);
	uv_sym_range("kobject_create_and_add", &uv_create_and_add);
	uv_dwork_timer_fn = uv_ksym("delayed_work_timer_fn");
	uv_kdwork_timer_fn = uv_ksym("kthread_delayed_work_timer_fn");
	uv_resolve_scan_areas();
}

static bool uv_in_range(const struct uv_range *r, unsigned long addr)
{
	return addr >= r->start && addr < r->end;
}

static bool uv_api_frame(unsigned long addr)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(uv_api); i++)
		if (uv_in_range(&uv_api[i], addr))
			return true;
	return false;
}

/*
 * Tail calls hide the module: a remove() that ends in put_device() jumps
 * there, and the put's return address is the bus's.  A probe on each
 * such jump in a watched module (uv_add_sites()) marks the task with the
 * stack slot it jumps from; the task's next reference operation is the
 * module's if it starts from that same slot (a chain of tail calls), and
 * the mark is spent either way.
 */
static struct {
	struct task_struct *task;
	struct module *mod;
	unsigned long sp, site;
} uv_tails[UV_MAX_PROBING];

/* Caller holds uv_lock. */
static void uv_mark_tail(struct module *mod, unsigned long sp,
			 unsigned long site)
{
	int i, slot = 0;

	for (i = 0; i < UV_MAX_PROBING; i++) {
		if (uv_tails[i].task == current) {
			slot = i;
			break;
		}
		if (!uv_tails[i].task)
			slot = i;
	}
	uv_tails[slot].task = current;
	uv_tails[slot].mod = mod;
	uv_tails[slot].sp = sp;
	uv_tails[slot].site = site;
}

/* Caller holds uv_lock: the module that tail-jumped to @sp, if any. */
static struct module *uv_take_tail(unsigned long sp, unsigned long *site)
{
	struct module *mod;
	int i;

	for (i = 0; i < UV_MAX_PROBING; i++) {
		if (uv_tails[i].task != current)
			continue;
		uv_tails[i].task = NULL;
		if (uv_tails[i].sp != sp)
			return NULL;
		mod = uv_tails[i].mod;
		*site = uv_tails[i].site;
		return mod;
	}
	return NULL;
}

/*
 * The watched module a reference operation is charged to, and where it
 * asked (into @frames), or NULL.  The probe sits where the return
 * address is on top of the stack: the direct caller.  Past an API
 * function the unwinder goes on from the frame of that caller.
 */
static struct module *uv_holder(struct pt_regs *regs, unsigned long *frames)
{
	struct unwind_state state;
	unsigned long caller, addr;
	struct module *mod = NULL;
	struct pt_regs at = *regs;
	bool seen = false;
	int n = 0, k = 0;

	memset(frames, 0, sizeof(*frames) * UV_FRAMES);
	if (copy_from_kernel_nofault(&caller, (void *)regs->sp, sizeof(caller)))
		return NULL;
	mod = uv_owner(caller);
	frames[k++] = caller;
	if (!mod)
		mod = uv_take_tail(regs->sp, &frames[0]);
	if (mod || !uv_api_frame(caller) || uv_in_range(&uv_put_range, caller))
		return mod;
	/*
	 * The int3 has run: the stack is as at the probed instruction, but
	 * ip points past the int3, where ORC may describe another stack.
	 */
	at.ip -= INT3_INSN_SIZE;
	for (unwind_start(&state, current, &at, (unsigned long *)regs->sp);
	     !unwind_done(&state) && n < UV_API_DEPTH;
	     unwind_next_frame(&state), n++) {
		addr = unwind_get_return_address(&state);
		if (!seen) {
			seen = addr == caller;
			continue;
		}
		if (k < UV_FRAMES)
			frames[k++] = addr;
		mod = uv_owner(addr);
		if (mod || !uv_api_frame(addr))
			return mod;
	}
	return NULL;
}

/* Devices being probed, by the task probing them. */

static struct {
	struct task_struct *task;
	const void *dev;
} uv_probing[UV_MAX_PROBING];

/* Caller holds uv_lock. */
static const void *uv_probing_dev(void)
{
	int i;

	for (i = 0; i < UV_MAX_PROBING; i++)
		if (uv_probing[i].task == current)
			return uv_probing[i].dev;
	return NULL;
}

/* Caller holds uv_lock.  @dev NULL: the task's probe is over. */
static void uv_set_probing(const void *dev)
{
	int i, slot = -1;

	for (i = 0; i < UV_MAX_PROBING; i++) {
		if (uv_probing[i].task == current) {
			slot = i;
			break;
		}
		if (slot < 0 && !uv_probing[i].task)
			slot = i;
	}
	if (slot < 0)
		return;
	uv_probing[slot].task = dev ? current : NULL;
	uv_probing[slot].dev = dev;
}

/*
 * __init code is freed once the module is live: name its frame now (the
 * rare reference taken at module init), the others when reported.
 */
static void uv_hold_name_init(struct uv_hold *h)
{
	int f;

	h->init_frame = -1;
	for (f = 0; f < UV_FRAMES; f++) {
		if (h->frames[f] && within_module_init(h->frames[f], h->mod)) {
			snprintf(h->init_sym, sizeof(h->init_sym), "%pS",
				 (void *)h->frames[f]);
			h->init_frame = f;
			return;
		}
	}
}

/* Caller holds uv_lock. */
static void uv_hold_get(struct kobject *kobj, struct module *mod,
			const unsigned long *frames)
{
	const void *bind = uv_probing_dev();
	struct uv_hold *h, *free = NULL;
	int i;

	for (i = 0; i < UV_MAX_HOLDS; i++) {
		h = &uv_holds[i];
		if (h->kobj == kobj && h->mod == mod && h->bind == bind)
			break;
		if (!free && !h->kobj)
			free = h;
		h = NULL;
	}
	if (!h) {
		if (!free) {
			uv_hold_overflow++;
			return;
		}
		h = free;
		h->kobj = kobj;
		h->mod = mod;
		h->bind = bind;
		h->refs = 0;
		h->first_seq = uv_seq + 1;
		memcpy(h->frames, frames, sizeof(h->frames));
		uv_hold_name_init(h);
	}
	h->refs++;
	h->seq = ++uv_seq;
}

/* Caller holds uv_lock: the device an open unbind is unbinding, if any. */
static const void *uv_unbinding_dev(void)
{
	const struct uv_op *op = uv_depth ? &uv_ops[uv_stack[uv_depth - 1]] : NULL;

	return op && op->kind == UV_OP_UNBIND ? op->key : NULL;
}

/*
 * Caller holds uv_lock: @mod drops a reference on @kobj.  Which one is a
 * guess that matters only for the report: during an unbind, one taken
 * while that device was probed; otherwise one taken outside any probe;
 * the newest of those.
 */
static void uv_hold_put(struct kobject *kobj, struct module *mod)
{
	const void *want = uv_unbinding_dev();
	struct uv_hold *best = NULL;
	int i;

	for (i = 0; i < UV_MAX_HOLDS; i++) {
		struct uv_hold *h = &uv_holds[i];
		bool better;

		if (h->kobj != kobj || h->mod != mod || h->refs <= 0)
			continue;
		better = !best || (h->bind == want && best->bind != want) ||
			 ((h->bind == want) == (best->bind == want) &&
			  h->seq > best->seq);
		if (better)
			best = h;
	}
	if (best && !--best->refs)
		best->kobj = NULL;
}

/* Caller holds uv_lock: @kobj is released (or its memory reused). */
static void uv_hold_forget(const struct kobject *kobj)
{
	int i;

	for (i = 0; i < UV_MAX_HOLDS; i++)
		if (uv_holds[i].kobj == kobj)
			uv_holds[i].kobj = NULL;
}

/* Caller holds uv_lock: a going module holds nothing any more. */
static void uv_hold_forget_mod(const struct module *mod)
{
	int i;

	for (i = 0; i < UV_MAX_HOLDS; i++)
		if (uv_holds[i].mod == mod)
			uv_holds[i].kobj = NULL;
}

/*
 * "bus:name", "swnode:name" or "kobject:name", with the parent's name,
 * read without faulting: a reference we count may be one the kernel
 * dropped behind our back.
 */
static void uv_kobj_label(const struct kobject *kobj, char *buf, size_t size)
{
	const struct kobj_type *kt = NULL;
	const struct kobject *parent = NULL;
	const struct bus_type *bus = NULL;
	const char *p = NULL, *busname = NULL;
	char name[40] = "", pname[40] = "", pfx[24] = "kobject";

	if (copy_from_kernel_nofault(&kt, &kobj->ktype, sizeof(kt)) ||
	    copy_from_kernel_nofault(&p, &kobj->name, sizeof(p)) ||
	    copy_from_kernel_nofault(&parent, &kobj->parent, sizeof(parent))) {
		snprintf(buf, size, "kobject@%p (gone)", kobj);
		return;
	}
	if (p)
		uv_kstr(name, p, sizeof(name));
	if (parent && !copy_from_kernel_nofault(&p, &parent->name, sizeof(p)) && p)
		uv_kstr(pname, p, sizeof(pname));
	if (kt && kt == uv_device_ktype) {
		strscpy(pfx, "device", sizeof(pfx));
		if (!copy_from_kernel_nofault(&bus, &uv_kobj_dev(kobj)->bus,
					      sizeof(bus)) && bus &&
		    !copy_from_kernel_nofault(&busname, &bus->name,
					      sizeof(busname)) && busname)
			uv_kstr(pfx, busname, sizeof(pfx));
	} else if (kt && uv_swnode_ktype(kt)) {
		strscpy(pfx, "swnode", sizeof(pfx));
	}
	snprintf(buf, size, "%s:%s%s%s", pfx, *name ? name : "(unnamed)",
		 *pname ? " under " : "", pname);
}

/* A copy of a failing object, taken under the lock, printed without it. */
struct uv_snap {
	struct uv_obj obj;
	u32 refs;
	const char *why;
	const struct kobject *parent;
};

struct uv_verdict {
	unsigned int deleted;
	unsigned int released;
	unsigned int failures;
	unsigned int nsnap;
	struct uv_snap snap[UV_REPORT_MAX];
	char lines[UV_REPORT_MAX][UV_LINE_LEN];
	unsigned int nlines;
	char released_names[UV_REPORT_MAX][UV_NAME_LEN];
	unsigned int nreleased_names;
	/* Diagnostics, rendered while the module is there to symbolize. */
	char text[UV_TEXT_SIZE];
	size_t text_len;
};

/* Append one diagnostic line to @v's text. */
static __printf(2, 3) void uv_vline(struct uv_verdict *v, const char *fmt, ...)
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
	while (waited < settle_ms && uv_pending_count(op_id)) {
		msleep(20);
		waited += 20;
	}
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
static void uv_judge_defers(struct uv_verdict *v, struct module *mod,
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
static void uv_judge_kthreads(struct uv_verdict *v, struct module *mod)
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

/*
 * Caller holds uv_lock: references @mod still holds, into @v; at an
 * unbind (@bind set) only those it took while probing that device,
 * before the unbind ended (@before): the device may be bound again by
 * the time the unbind is judged.
 */
static void uv_judge_holds(struct uv_verdict *v, const struct module *mod,
			   const void *bind, u32 before)
{
	char label[UV_NAME_LEN];
	unsigned int i, f;

	for (i = 0; i < UV_MAX_HOLDS; i++) {
		struct uv_hold *h = &uv_holds[i];
		int len;

		if (!h->kobj || h->mod != mod || h->refs <= 0 ||
		    (bind && (h->bind != bind || h->first_seq > before)))
			continue;
		v->failures++;
		if (v->nlines >= UV_REPORT_MAX)
			continue;
		uv_kobj_label(h->kobj, label, sizeof(label));
		len = snprintf(v->lines[v->nlines], UV_LINE_LEN,
			       "held: %s refs=%d by %s, taken at", label,
			       h->refs, mod->name);
		for (f = 0; f < UV_FRAMES && h->frames[f]; f++) {
			if (f == h->init_frame)
				len += scnprintf(v->lines[v->nlines] + len,
						 UV_LINE_LEN - len, "%s%s",
						 f ? " <- " : " ", h->init_sym);
			else
				len += scnprintf(v->lines[v->nlines] + len,
						 UV_LINE_LEN - len, "%s%pS",
						 f ? " <- " : " ",
						 (void *)h->frames[f]);
		}
		v->nlines++;
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
				if (verbose && v->nreleased_names < UV_REPORT_MAX)
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
static void uv_defuse(struct module *mod)
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
		pending = d.ptr && d.mod == mod && defuse && uv_defer_pending(&d);
		raw_spin_unlock_irqrestore(&uv_lock, flags);
		if (pending)
			uv_defuse_one(&d);
	}
	if (defuse)
		uv_defuse_kthreads(mod);
	raw_spin_lock_irqsave(&uv_lock, flags);
	uv_hold_forget_mod(mod);
	raw_spin_unlock_irqrestore(&uv_lock, flags);
}

/*
 * Nothing of a module may outlive it, whatever registered it: at GOING,
 * after the module's exit and after uv_defuse(), every word of vmlinux
 * .data and .bss that points into the module's core memory (not into its
 * struct module, which the loader still links) is noted: the heads and
 * links of the kernel's global chains and lists (notifier chains, misc
 * devices, registries of ops).  The loader then tears down what it owns
 * and frees the module.  A word that still holds the same pointer after
 * the unload, an RCU barrier and the settle time points into freed
 * module memory.  Slab memory is not scanned: objects freed into caches
 * with a constructor or SLAB_TYPESAFE_BY_RCU keep stale pointers even
 * under init_on_free, and the vmalloc allocator's free-range records
 * hold the module's old bounds; without the slab's private state a live
 * object cannot be told from those.
 */
#define UV_MAX_CANDS	1024

struct uv_cand {
	unsigned long loc, val;
	char where[UV_SYM_LEN];
	char what[UV_SYM_LEN];
};

struct uv_scan {
	struct uv_range r[4];
	int n;
	unsigned long lo, hi;		/* bounds of all of r[] */
	unsigned long self, self_end;	/* the struct module */
	struct uv_cand cand[UV_MAX_CANDS];
	unsigned int ncand, lost;
	unsigned long page[PAGE_SIZE / sizeof(long)];	/* what is read */
};

static void uv_scan_add_range(struct uv_scan *sc, const void *base,
			      unsigned long size)
{
	unsigned long start = (unsigned long)base;

	if (!base || !size || sc->n == ARRAY_SIZE(sc->r))
		return;
	sc->r[sc->n].start = start;
	sc->r[sc->n++].end = start + size;
	sc->lo = sc->lo ? min(sc->lo, start) : start;
	sc->hi = max(sc->hi, start + size);
}

static void uv_scan_ranges(struct uv_scan *sc, struct module *mod)
{
#ifdef UV_MODULE_MEMORY
	static const enum mod_mem_type types[] = {
		MOD_TEXT, MOD_DATA, MOD_RODATA, MOD_RO_AFTER_INIT,
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(types); i++)
		uv_scan_add_range(sc, mod->mem[types[i]].base,
				  mod->mem[types[i]].size);
#else
	uv_scan_add_range(sc, mod->core_layout.base, mod->core_layout.size);
#endif
	sc->self = (unsigned long)mod;
	sc->self_end = (unsigned long)(mod + 1);
}

static bool uv_scan_hit(const struct uv_scan *sc, unsigned long v)
{
	int i;

	if (v < sc->lo || v >= sc->hi || (v >= sc->self && v < sc->self_end))
		return false;
	for (i = 0; i < sc->n; i++)
		if (uv_in_range(&sc->r[i], v))
			return true;
	return false;
}

static void uv_scan_note(struct uv_scan *sc, unsigned long loc,
			 unsigned long val)
{
	struct uv_cand *c;

	if (sc->ncand == UV_MAX_CANDS) {
		sc->lost++;
		return;
	}
	c = &sc->cand[sc->ncand++];
	c->loc = loc;
	c->val = val;
	snprintf(c->where, sizeof(c->where), "%pS", (void *)loc);
	/* Symbolize now: the module is about to go. */
	snprintf(c->what, sizeof(c->what), "%pS", (void *)val);
}

static void uv_scan_area(struct uv_scan *sc, unsigned long start,
			 unsigned long end)
{
	unsigned long *buf = sc->page, a, i, n;

	for (a = ALIGN(start, sizeof(long)); a < end; a += n) {
		n = min_t(unsigned long, PAGE_SIZE - offset_in_page(a), end - a);
		if (copy_from_kernel_nofault(buf, (void *)a, n))
			continue;
		for (i = 0; i < n / sizeof(long); i++)
			if (uv_scan_hit(sc, buf[i]) &&
			    !uv_scan_ignored(a + i * sizeof(long)))
				uv_scan_note(sc, a + i * sizeof(long), buf[i]);
		cond_resched();
	}
}

/* At GOING: what still points into @mod. */
static struct uv_scan *uv_scan_going(struct module *mod)
{
	struct uv_scan *sc = vzalloc(sizeof(*sc));
	int i;

	if (!sc)
		return NULL;
	uv_scan_ranges(sc, mod);
	for (i = 0; i < ARRAY_SIZE(uv_scan_areas); i++)
		if (uv_scan_areas[i].start)
			uv_scan_area(sc, uv_scan_areas[i].start,
				     uv_scan_areas[i].end);
	return sc;
}

/* After the unload: what still holds the same pointer, into @v. */
static void uv_scan_recheck(const struct uv_scan *sc, struct uv_verdict *v)
{
	unsigned int i;

	for (i = 0; i < sc->ncand; i++) {
		const struct uv_cand *c = &sc->cand[i];
		unsigned long now;

		if (copy_from_kernel_nofault(&now, (void *)c->loc, sizeof(now)) ||
		    now != c->val)
			continue;
		v->failures++;
		uv_vline(v, "# dangling: %s -> %s", c->where, c->what);
	}
	if (sc->lost)
		uv_vline(v, "# warning: %u more pointers into the module not checked",
			 sc->lost);
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
static struct uv_verdict *uv_verdict_build(struct uv_op *op,
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
static void uv_verdict_render(struct uv_op *op, struct uv_verdict *v,
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
static void uv_verdict_print(struct uv_op *op, struct uv_verdict *v)
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
	if (v && v->failures && panic_on_fail)
		panic("unplug_verify: %s failed", op->label);
	vfree(v);
}

/*
 * An unload judged at GOING gets its dangling pointers now that the
 * module is freed; anything else is judged now.
 */
static void uv_report(struct uv_op *op, struct module *mod, bool rcu_done)
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
		msleep(settle_ms);
		uv_scan_recheck(op->scan, v);
		vfree(op->scan);
		op->scan = NULL;
	}
	uv_verdict_print(op, v);
}

static void uv_op_release(struct uv_op *op)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&uv_lock, flags);
	op->state = UV_OP_FREE;
	raw_spin_unlock_irqrestore(&uv_lock, flags);
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

static DECLARE_WORK(uv_work, uv_work_fn);

/* Probes: device life */

/*
 * device_add() entry: start following the device.  Whether the add
 * succeeds shows later: device_add() emits KOBJ_ADD exactly when it has
 * registered the device (uv_uevent_pre()).  A failed add is undone by
 * its caller's put_device(), which device_release() sees.
 */
static int uv_device_add_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct device *dev = (struct device *)regs->di;
	unsigned long flags;
	struct uv_obj *o;

	raw_spin_lock_irqsave(&uv_lock, flags);
	o = uv_find(&dev->kobj);
	/* A stale entry from an add that failed: start afresh. */
	if (o && o->adding) {
		uv_free(o);
		o = NULL;
	}
	if (!o)
		o = uv_alloc(&dev->kobj);
	if (o) {
		o->adding = READ_ONCE(uv_uevent_ok);
		uv_describe(o, dev);
		uv_event(o, UV_EV_ADD, regs);
	}
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

static struct kprobe uv_kp_device_add = {
	.symbol_name = "device_add",
	.pre_handler = uv_device_add_pre,
};

static int uv_device_del_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct device *dev = (struct device *)regs->di;
	unsigned long flags;
	struct uv_obj *o;

	raw_spin_lock_irqsave(&uv_lock, flags);
	o = uv_find(&dev->kobj);
	if (!o) {
		/* Registered before we loaded: follow it from here on. */
		o = uv_alloc(&dev->kobj);
		if (o)
			uv_describe(o, dev);
	}
	if (o && o->state == UV_LIVE) {
		o->state = UV_DELETED;
		o->del_op = uv_top_op_id();
		uv_event(o, UV_EV_DEL, regs);
	}
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

static struct kprobe uv_kp_device_del = {
	.symbol_name = "device_del",
	.pre_handler = uv_device_del_pre,
};

/*
 * A reference taken (@get) or dropped on @kobj: an event of a followed
 * object, and charged to the module that asked for it.  A put that finds
 * the count at one releases the object: nobody holds it any more.
 */
static void uv_refop(struct kobject *kobj, bool get, struct pt_regs *regs)
{
	unsigned long frames[UV_FRAMES];
	unsigned long flags;
	struct module *mod;
	struct uv_obj *o;

	raw_spin_lock_irqsave(&uv_lock, flags);
	o = uv_find(kobj);
	if (o)
		uv_event(o, get ? UV_EV_GET : UV_EV_PUT, regs);
	mod = uv_holder(regs, frames);
	if (mod && get)
		uv_hold_get(kobj, mod, frames);
	else if (mod)
		uv_hold_put(kobj, mod);
	if (!get && kref_read(&kobj->kref) == 1)
		uv_hold_forget(kobj);
	raw_spin_unlock_irqrestore(&uv_lock, flags);
}

static int uv_kobject_get_pre(struct kprobe *p, struct pt_regs *regs)
{
	if (regs->di)
		uv_refop((struct kobject *)regs->di, true, regs);
	return 0;
}

/* It takes a reference only if the count is not zero already. */
static int uv_kobject_get_unless_zero_pre(struct kprobe *p,
					  struct pt_regs *regs)
{
	struct kobject *kobj = (struct kobject *)regs->di;

	if (kobj && kref_read(&kobj->kref))
		uv_refop(kobj, true, regs);
	return 0;
}

static int uv_kobject_put_pre(struct kprobe *p, struct pt_regs *regs)
{
	if (regs->di)
		uv_refop((struct kobject *)regs->di, false, regs);
	return 0;
}

/* The first reference: whatever we knew of this memory is stale. */
static int uv_kobject_init_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kobject *kobj = (struct kobject *)regs->di;
	unsigned long frames[UV_FRAMES];
	unsigned long flags;
	struct module *mod;

	if (!kobj)
		return 0;
	raw_spin_lock_irqsave(&uv_lock, flags);
	uv_hold_forget(kobj);
	mod = uv_holder(regs, frames);
	if (mod)
		uv_hold_get(kobj, mod, frames);
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

/*
 * 6.1 inlines kobject_init() into kobject_create_and_add(): there the
 * first sight of a new kobject is the kobject_add() that follows.
 */

static int uv_kobject_add_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kobject *kobj = (struct kobject *)regs->di;
	unsigned long frames[UV_FRAMES];
	unsigned long caller, flags;
	struct module *mod;
	int i;

	if (!kobj || copy_from_kernel_nofault(&caller, (void *)regs->sp,
					      sizeof(caller)) ||
	    !uv_in_range(&uv_create_and_add, caller))
		return 0;
	raw_spin_lock_irqsave(&uv_lock, flags);
	for (i = 0; i < UV_MAX_HOLDS; i++)
		if (uv_holds[i].kobj == kobj)
			break;
	/* Not seen at kobject_init(): take this as its first reference. */
	mod = i == UV_MAX_HOLDS ? uv_holder(regs, frames) : NULL;
	if (mod)
		uv_hold_get(kobj, mod, frames);
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

static struct kprobe uv_kp_kobject_add = {
	.symbol_name = "kobject_add",
	.pre_handler = uv_kobject_add_pre,
};

static struct kprobe uv_kp_kobject_get = {
	.symbol_name = "kobject_get",
	.pre_handler = uv_kobject_get_pre,
};

static struct kprobe uv_kp_kobject_get_unless_zero = {
	.symbol_name = "kobject_get_unless_zero",
	.pre_handler = uv_kobject_get_unless_zero_pre,
};

static struct kprobe uv_kp_kobject_put = {
	.symbol_name = "kobject_put",
	.pre_handler = uv_kobject_put_pre,
};

static struct kprobe uv_kp_kobject_init = {
	.symbol_name = "kobject_init",
	.pre_handler = uv_kobject_init_pre,
};

/*
 * really_probe(dev, drv) starts binding a device, driver_bound(dev) ends
 * a successful bind: references taken in between by the same task are
 * the bind's.  A failed probe's mark stays until that task probes again.
 */
static int uv_really_probe_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&uv_lock, flags);
	uv_set_probing((const void *)regs->di);
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

static int uv_driver_bound_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&uv_lock, flags);
	uv_set_probing(NULL);
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

static struct kprobe uv_kp_really_probe = {
	.symbol_name = "really_probe",
	.pre_handler = uv_really_probe_pre,
};

static struct kprobe uv_kp_driver_bound = {
	.symbol_name = "driver_bound",
	.pre_handler = uv_driver_bound_pre,
};

/*
 * device_release() and software_node_release() are ktype releases: the
 * refcount of the kobject in their first argument reached zero.
 */
static int uv_kobj_release_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kobject *kobj = (struct kobject *)regs->di;
	unsigned long flags;
	struct uv_obj *o;

	raw_spin_lock_irqsave(&uv_lock, flags);
	uv_hold_forget(kobj);
	o = uv_find(kobj);
	if (o) {
		uv_event(o, UV_EV_RELEASE, regs);
		if (o->del_op)
			o->state = UV_RELEASED;	/* its operation frees it */
		else
			uv_free(o);
	}
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

static struct kprobe uv_kp_device_release = {
	.symbol_name = "device_release",
	.pre_handler = uv_kobj_release_pre,
};

/* Probes: operations */

/* Caller holds uv_lock. */
static struct uv_op *uv_op_find_key(enum uv_op_kind kind, const void *key)
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
static int uv_unbind_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct device *dev = (struct device *)regs->di;
	struct device_driver *want = (struct device_driver *)regs->si;
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

static struct kprobe uv_kp_unbind = {
	.symbol_name = "device_release_driver_internal",
	.pre_handler = uv_unbind_pre,
};

/*
 * kobject_uevent_env() entry, called whether or not uevents are
 * suppressed.  On a device: KOBJ_ADD means device_add() succeeded,
 * KOBJ_UNBIND is the last thing an unbind does.
 */
static int uv_uevent_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kobject *kobj = (struct kobject *)regs->di;
	unsigned long action = regs->si;
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

static struct kprobe uv_kp_uevent = {
	.symbol_name = "kobject_uevent_env",
	.pre_handler = uv_uevent_pre,
};

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
static int uv_rmmod_pre(struct kprobe *p, struct pt_regs *regs)
{
	const struct pt_regs *uregs = (const struct pt_regs *)regs->di;
	char name[MODULE_NAME_LEN], label[UV_NAME_LEN];
	unsigned long flags;
	struct uv_op *op;

	if (!READ_ONCE(uv_sys_exit_ok))
		return 0;
	uv_user_name((const char __user *)uregs->di, name, sizeof(name));
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

static struct kprobe uv_kp_rmmod = {
	.symbol_name = "__x64_sys_delete_module",
	.pre_handler = uv_rmmod_pre,
};

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
static void uv_sys_exit(void *data, struct pt_regs *regs, long ret)
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

static struct tracepoint *uv_tp_sys_exit;

static void uv_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sys_exit"))
		uv_tp_sys_exit = tp;
}

/* Probes: deferred work */

static struct module *uv_owner(unsigned long func)
{
	int i;

	for (i = 0; i < UV_MAX_MODS; i++)
		if (uv_mods[i].mod && within_module(func, uv_mods[i].mod))
			return uv_mods[i].mod;
	return NULL;
}

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

static int uv_queue_work_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct work_struct *work = (struct work_struct *)regs->dx;

	uv_defer_note(work, (unsigned long)READ_ONCE(work->func), UV_WORK, 0);
	return 0;
}

static int uv_queue_dwork_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct delayed_work *dwork = (struct delayed_work *)regs->dx;

	uv_defer_note(&dwork->work, (unsigned long)READ_ONCE(dwork->work.func),
		      UV_DWORK, 0);
	return 0;
}

static int uv_timer_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct timer_list *timer = (struct timer_list *)regs->di;

	uv_defer_note(timer, (unsigned long)READ_ONCE(timer->function),
		      UV_TIMER, 0);
	return 0;
}

static int uv_hrtimer_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct hrtimer *timer = (struct hrtimer *)regs->di;

	uv_defer_note(timer, (unsigned long)READ_ONCE(timer->function),
		      UV_HRTIMER, 0);
	return 0;
}

static int uv_tasklet_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct tasklet_struct *t = (struct tasklet_struct *)regs->di;

	uv_defer_note(t, (unsigned long)READ_ONCE(t->func), UV_TASKLET, 0);
	return 0;
}

static int uv_irq_work_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct irq_work *work = (struct irq_work *)regs->di;

	uv_defer_note(work, (unsigned long)READ_ONCE(work->func), UV_IRQ_WORK, 0);
	return 0;
}

/* kthread_queue_work(worker, work), kthread_(mod_)queue_delayed_work(). */
static int uv_kwork_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kthread_work *work = (struct kthread_work *)regs->si;

	uv_defer_note(work, (unsigned long)READ_ONCE(work->func), UV_KWORK, 0);
	return 0;
}

static int uv_kdwork_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kthread_delayed_work *dwork =
		(struct kthread_delayed_work *)regs->si;

	uv_defer_note(&dwork->work, (unsigned long)READ_ONCE(dwork->work.func),
		      UV_KDWORK, 0);
	return 0;
}

/* call_rcu(head, func): one entry per function, the last call's time. */
static int uv_call_rcu_pre(struct kprobe *p, struct pt_regs *regs)
{
	uv_defer_note((void *)regs->si, regs->si, UV_RCU, 0);
	return 0;
}

/*
 * rcu_barrier() by a watched module, or by the task unloading it (an
 * exit function that ends with it tail-calls it: the return address is
 * then the syscall's).
 */
static int uv_rcu_barrier_pre(struct kprobe *p, struct pt_regs *regs)
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
static int uv_request_irq_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long fn = regs->si ? regs->si : regs->dx;

	if (regs->si && !uv_owner(regs->si) && regs->dx)
		fn = regs->dx;
	uv_defer_note((void *)regs->r9, fn, UV_IRQ, regs->di);
	return 0;
}

/* free_irq(irq, dev_id) */
static int uv_free_irq_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long flags;
	int i;

	raw_spin_lock_irqsave(&uv_lock, flags);
	for (i = 0; i < UV_MAX_DEFER; i++)
		if (uv_defers[i].kind == UV_IRQ &&
		    uv_defers[i].ptr == (void *)regs->si &&
		    uv_defers[i].arg == regs->di)
			uv_defers[i].ptr = NULL;
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

/*
 * Symbols that only some kernels have (add_timer_global() since 6.9,
 * call_rcu_hurry() since 6.2) are optional: their absence is no warning.
 */
static struct kprobe uv_kp_defer[] = {
	{ .symbol_name = "queue_work_on", .pre_handler = uv_queue_work_pre },
	{ .symbol_name = "queue_work_node", .pre_handler = uv_queue_work_pre },
	{ .symbol_name = "queue_delayed_work_on",
	  .pre_handler = uv_queue_dwork_pre },
	{ .symbol_name = "mod_delayed_work_on",
	  .pre_handler = uv_queue_dwork_pre },
	{ .symbol_name = "add_timer", .pre_handler = uv_timer_pre },
	{ .symbol_name = "add_timer_on", .pre_handler = uv_timer_pre },
	{ .symbol_name = "mod_timer", .pre_handler = uv_timer_pre },
	{ .symbol_name = "timer_reduce", .pre_handler = uv_timer_pre },
	{ .symbol_name = "hrtimer_start_range_ns",
	  .pre_handler = uv_hrtimer_pre },
	{ .symbol_name = "__tasklet_schedule", .pre_handler = uv_tasklet_pre },
	{ .symbol_name = "__tasklet_hi_schedule",
	  .pre_handler = uv_tasklet_pre },
	{ .symbol_name = "irq_work_queue", .pre_handler = uv_irq_work_pre },
	{ .symbol_name = "irq_work_queue_on", .pre_handler = uv_irq_work_pre },
	{ .symbol_name = "kthread_queue_work", .pre_handler = uv_kwork_pre },
	{ .symbol_name = "kthread_queue_delayed_work",
	  .pre_handler = uv_kdwork_pre },
	{ .symbol_name = "kthread_mod_delayed_work",
	  .pre_handler = uv_kdwork_pre },
	{ .symbol_name = "call_rcu", .pre_handler = uv_call_rcu_pre },
	{ .symbol_name = "rcu_barrier", .pre_handler = uv_rcu_barrier_pre },
	{ .symbol_name = "request_threaded_irq",
	  .pre_handler = uv_request_irq_pre },
	{ .symbol_name = "free_irq", .pre_handler = uv_free_irq_pre },
	/* Optional from here on. */
	{ .symbol_name = "add_timer_global", .pre_handler = uv_timer_pre },
	{ .symbol_name = "call_rcu_hurry", .pre_handler = uv_call_rcu_pre },
};

#define UV_DEFER_OPTIONAL 2

/*
 * Tail-call sites: every "jmp rel32" in a watched module's text (core
 * and init) whose target is the entry of a refcounting function.  A
 * byte 0xe9 inside another instruction that happens to point exactly
 * there is refused by register_kprobe(), which only probes instruction
 * boundaries.
 */
#define UV_MAX_SITES	128

struct uv_site {
	struct kprobe kp;
	struct module *mod;
};

static struct uv_site *uv_sites;
static DEFINE_MUTEX(uv_site_lock);	/* uv_sites, process context */

static int uv_site_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct uv_site *site = container_of(p, struct uv_site, kp);
	unsigned long flags;

	raw_spin_lock_irqsave(&uv_lock, flags);
	uv_mark_tail(site->mod, regs->sp, (unsigned long)p->addr);
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

/* A function entry (or just past its ENDBR, where IBT direct jumps go). */
static bool uv_refcount_entry(unsigned long addr)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(uv_api) + ARRAY_SIZE(uv_prims) + 1; i++) {
		const struct uv_range *r = i < ARRAY_SIZE(uv_api) ? &uv_api[i] :
			i < ARRAY_SIZE(uv_api) + ARRAY_SIZE(uv_prims) ?
			&uv_prims[i - ARRAY_SIZE(uv_api)] : &uv_put_range;

		if (r->start && (addr == r->start || addr == r->start + 4))
			return true;
	}
	return false;
}

static void uv_module_text(struct module *mod, bool init, unsigned long *base,
			   unsigned long *size)
{
#ifdef UV_MODULE_MEMORY
	const struct module_memory *m = &mod->mem[init ? MOD_INIT_TEXT : MOD_TEXT];

	*base = (unsigned long)m->base;
	*size = m->size;
#else
	const struct module_layout *l = init ? &mod->init_layout : &mod->core_layout;

	*base = (unsigned long)l->base;
	*size = l->text_size;
#endif
}

#define UV_MAX_INSN	15	/* longest x86 instruction */

/*
 * register_kprobe() decodes the whole function around the probe (x86's
 * can_optimize(), which runs even with optimization off) up to the end
 * kallsyms gives it, reading up to UV_MAX_INSN bytes at each instruction.
 * A module's last function can get an end past its text: on 6.12 the
 * decoder faulted on the unmapped page after qemu_fw_cfg's exit function
 * and killed the insmod.  A site whose function does not end inside the
 * text it lies in is not probed.
 */
static bool uv_site_decodable(unsigned long addr, unsigned long text_end)
{
	char buf[KSYM_SYMBOL_LEN], *plus;
	unsigned long off, size, end;

	sprint_symbol(buf, addr);
	plus = strrchr(buf, '+');
	if (!plus || sscanf(plus, "+%lx/%lx", &off, &size) != 2 || off > addr)
		return false;
	end = addr - off + size;
	return end <= text_end && end - 1 + UV_MAX_INSN <= PAGE_ALIGN(text_end);
}

/* Caller holds uv_site_lock.  False: the site cannot be probed safely. */
static bool uv_add_site(struct module *mod, unsigned long addr,
			unsigned long text_end)
{
	int i;

	if (!uv_site_decodable(addr, text_end))
		return false;

	for (i = 0; i < UV_MAX_SITES && uv_sites[i].mod; i++)
		;
	if (i == UV_MAX_SITES) {
		uv_site_overflow++;
		return true;
	}
	memset(&uv_sites[i], 0, sizeof(uv_sites[i]));
	uv_sites[i].kp.addr = (kprobe_opcode_t *)addr;
	uv_sites[i].kp.pre_handler = uv_site_pre;
	if (!register_kprobe(&uv_sites[i].kp))
		uv_sites[i].mod = mod;
	return true;
}

static void uv_add_sites(struct module *mod)
{
	unsigned long base, size, a;
	int skipped = 0;
	bool init;

	mutex_lock(&uv_site_lock);
	for (init = false; ; init = true) {
		uv_module_text(mod, init, &base, &size);
		for (a = base; base && a + 5 <= base + size; a++) {
			s32 rel;

			if (*(u8 *)a != 0xe9)
				continue;
			memcpy(&rel, (void *)(a + 1), sizeof(rel));
			if (uv_refcount_entry(a + 5 + rel) &&
			    !uv_add_site(mod, a, base + size))
				skipped++;
		}
		if (init)
			break;
	}
	mutex_unlock(&uv_site_lock);
	if (skipped) {
		mutex_lock(&uv_report_lock);
		uv_out("# unplug_verify: %d tail-call site(s) of %s not probed: the function ends past the module text",
		       skipped, mod->name);
		mutex_unlock(&uv_report_lock);
	}
}

/* @mod NULL: every site (we are unloading). */
static void uv_remove_sites(struct module *mod)
{
	int i;

	mutex_lock(&uv_site_lock);
	for (i = 0; i < UV_MAX_SITES; i++) {
		if (!uv_sites[i].mod || (mod && uv_sites[i].mod != mod))
			continue;
		unregister_kprobe(&uv_sites[i].kp);
		uv_sites[i].mod = NULL;
	}
	mutex_unlock(&uv_site_lock);
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

static struct notifier_block uv_module_nb = {
	.notifier_call = uv_module_notify,
};

/* debugfs: control ("begin <label>", "end", "sync") and results */

static ssize_t uv_control_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	char buf[UV_NAME_LEN + 8], *cmd;
	unsigned long flags;
	struct uv_op *op;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	cmd = strim(buf);

	if (!strncmp(cmd, "begin ", 6)) {
		raw_spin_lock_irqsave(&uv_lock, flags);
		op = uv_op_open(UV_OP_BRACKET, strim(cmd + 6));
		raw_spin_unlock_irqrestore(&uv_lock, flags);
		return op ? count : -ENOSPC;
	}
	if (!strcmp(cmd, "end")) {
		/* Unbind verdicts still in flight come first, in order. */
		flush_work(&uv_work);
		raw_spin_lock_irqsave(&uv_lock, flags);
		op = uv_op_find_open(UV_OP_BRACKET, NULL);
		if (op)
			uv_op_close(op);
		raw_spin_unlock_irqrestore(&uv_lock, flags);
		if (!op)
			return -EINVAL;
		uv_report(op, NULL, false);
		uv_op_release(op);
		return count;
	}
	if (!strcmp(cmd, "sync")) {
		flush_work(&uv_work);
		return count;
	}
	return -EINVAL;
}

static int uv_control_show(struct seq_file *m, void *v)
{
	unsigned long flags;
	int i, depth;

	mutex_lock(&uv_report_lock);
	seq_printf(m, "tests %d failed %u\n", uv_test_no, uv_failed_ops);
	mutex_unlock(&uv_report_lock);
	raw_spin_lock_irqsave(&uv_lock, flags);
	depth = uv_depth;
	seq_printf(m, "overflow objects %lu defer %lu ops %lu\n",
		   uv_obj_overflow, uv_defer_overflow, uv_op_overflow);
	for (i = 0; i < depth; i++)
		seq_printf(m, "open %s\n", uv_ops[uv_stack[i]].label);
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

static int uv_control_open(struct inode *inode, struct file *file)
{
	return single_open(file, uv_control_show, NULL);
}

static const struct file_operations uv_control_fops = {
	.owner = THIS_MODULE,
	.open = uv_control_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = uv_control_write,
};

static ssize_t uv_results_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&uv_report_lock);
	ret = simple_read_from_buffer(ubuf, count, ppos, uv_results,
				      uv_results_len);
	mutex_unlock(&uv_report_lock);
	return ret;
}

static const struct file_operations uv_results_fops = {
	.owner = THIS_MODULE,
	.read = uv_results_read,
	.llseek = default_llseek,
};

/*
 * Probes: software nodes
 *
 * A software node (drivers/base/swnode.c) is a kobject under
 * /sys/kernel/software_nodes that points at a struct software_node, often
 * static data of the module that registered it.  Unregistering it only
 * drops the registration reference; a child-node iterator that leaves its
 * loop without fwnode_handle_put() keeps it alive, pointing into the module
 * after the unload.  Followed from kobject_init_and_add() to the ktype's
 * release, software_node_release(), which is static but out of line and
 * gives the address that tells a software node's ktype from the others.
 * The kobject and the fwnode_handle open the private struct swnode (6.1
 * to 6.12); to_software_node() checks the fwnode's ops, so a different
 * layout tracks nothing instead of misreading memory.
 */

struct uv_swnode_head {
	struct kobject kobj;
	struct fwnode_handle fwnode;
};

static unsigned long uv_swnode_release_addr;

/* The ktype of software nodes: its release is where our probe sits. */
static bool uv_swnode_ktype(const struct kobj_type *kt)
{
	unsigned long rel, addr = READ_ONCE(uv_swnode_release_addr);

	return addr && !copy_from_kernel_nofault(&rel, &kt->release, sizeof(rel)) &&
	       rel && addr - rel <= 9;
}

static const struct software_node *uv_swnode_of(struct kobject *kobj,
						const struct kobj_type *ktype)
{
	unsigned long rel, addr = READ_ONCE(uv_swnode_release_addr);

	if (!addr || !ktype)
		return NULL;
	/*
	 * The probe sits past the ENDBR64 (4 bytes, IBT kernels) and the
	 * fentry call site (5 bytes): see uv_past_fentry().
	 */
	rel = (unsigned long)ktype->release;
	if (!rel || addr - rel > 9)
		return NULL;
	return to_software_node(&container_of(kobj, struct uv_swnode_head,
					      kobj)->fwnode);
}

static void uv_swnode_describe(struct uv_obj *o, const struct kobj_type *ktype,
			       const struct software_node *node)
{
	const char *name = node->name ? node->name : "(unnamed)";

	if (node->parent && node->parent->name)
		snprintf(o->name, sizeof(o->name), "swnode:%s/%s",
			 node->parent->name, name);
	else
		snprintf(o->name, sizeof(o->name), "swnode:%s", name);
	o->release = (unsigned long)ktype->release;
	snprintf(o->release_sym, sizeof(o->release_sym), "%ps",
		 ktype->release);
	o->swnode = (unsigned long)node;
	/* Symbolize now: the module holding it may be gone when reported. */
	snprintf(o->swnode_sym, sizeof(o->swnode_sym), "%ps", node);
}

static int uv_swnode_add_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kobject *kobj = (struct kobject *)regs->di;
	const struct kobj_type *ktype = (const struct kobj_type *)regs->si;
	const struct software_node *node;
	unsigned long flags;
	struct uv_obj *o;

	node = uv_swnode_of(kobj, ktype);
	if (!node)
		return 0;
	raw_spin_lock_irqsave(&uv_lock, flags);
	o = uv_find(kobj);
	if (!o)
		o = uv_alloc(kobj);
	if (o) {
		uv_swnode_describe(o, ktype, node);
		uv_event(o, UV_EV_ADD, regs);
	}
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

/* Caller holds uv_lock: the registration reference is being dropped. */
static void uv_swnode_del(struct uv_obj *o, struct pt_regs *regs)
{
	if (o->state != UV_LIVE)
		return;
	o->state = UV_DELETED;
	o->del_op = uv_top_op_id();
	uv_event(o, UV_EV_DEL, regs);
}

static int uv_swnode_remove_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct fwnode_handle *fwnode = (struct fwnode_handle *)regs->di;
	unsigned long flags;
	struct uv_obj *o;

	if (IS_ERR_OR_NULL(fwnode))
		return 0;
	raw_spin_lock_irqsave(&uv_lock, flags);
	o = uv_find(&container_of(fwnode, struct uv_swnode_head,
				  fwnode)->kobj);
	if (o && o->swnode)
		uv_swnode_del(o, regs);
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

/* Caller holds uv_lock: a node is being unregistered by its address. */
static void uv_swnode_del_node(unsigned long node, struct pt_regs *regs)
{
	unsigned int i;

	for (i = 0; node && i < UV_MAX_OBJS; i++)
		if (uv_objs[i].swnode == node && uv_objs[i].state == UV_LIVE)
			uv_swnode_del(&uv_objs[i], regs);
}

/*
 * fwnode_remove_software_node() is inlined into software_node_unregister(),
 * and that into the group and array forms (6.12): catch all four.  The
 * groups are read without faulting and bounded.
 */
static int uv_swnode_unregister_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&uv_lock, flags);
	uv_swnode_del_node(regs->di, regs);
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

static int uv_swnode_unregister_group_pre(struct kprobe *p,
					  struct pt_regs *regs)
{
	const struct software_node **group = (void *)regs->di;
	const struct software_node *node;
	unsigned long flags;
	unsigned int i;

	raw_spin_lock_irqsave(&uv_lock, flags);
	for (i = 0; group && i < 256; i++) {
		if (copy_from_kernel_nofault(&node, &group[i], sizeof(node)) ||
		    !node)
			break;
		uv_swnode_del_node((unsigned long)node, regs);
	}
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

static int uv_swnode_unregister_nodes_pre(struct kprobe *p,
					  struct pt_regs *regs)
{
	const struct software_node *nodes = (void *)regs->di;
	const char *name;
	unsigned long flags;
	unsigned int i;

	raw_spin_lock_irqsave(&uv_lock, flags);
	for (i = 0; nodes && i < 256; i++) {
		if (copy_from_kernel_nofault(&name, &nodes[i].name,
					     sizeof(name)) || !name)
			break;
		uv_swnode_del_node((unsigned long)&nodes[i], regs);
	}
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

/* In registration order: the release probe first, it gives the address. */
static struct kprobe uv_kp_swnode[] = {
	{ .symbol_name = "software_node_release",
	  .pre_handler = uv_kobj_release_pre },
	{ .symbol_name = "software_node_unregister_node_group",
	  .pre_handler = uv_swnode_unregister_group_pre },
	{ .symbol_name = "software_node_unregister_nodes",
	  .pre_handler = uv_swnode_unregister_nodes_pre },
	{ .symbol_name = "software_node_unregister",
	  .pre_handler = uv_swnode_unregister_pre },
	{ .symbol_name = "fwnode_remove_software_node",
	  .pre_handler = uv_swnode_remove_pre },
	{ .symbol_name = "kobject_init_and_add",
	  .pre_handler = uv_swnode_add_pre },
};

static bool uv_swnode_ok[ARRAY_SIZE(uv_kp_swnode)];

/* Setup and teardown */

/*
 * Entry probes only.  Return probes (kretprobes) were tried first and
 * crashed the kernel on reload under device churn; see the README.
 * Registered in this order: what ends an object's or an operation's life
 * is watched before anything starts following one, or a device added and
 * released while we register would be followed forever.
 */
static struct kprobe *uv_kprobes[] = {
	&uv_kp_device_release, &uv_kp_kobject_put, &uv_kp_driver_bound,
	&uv_kp_kobject_get, &uv_kp_kobject_get_unless_zero,
	&uv_kp_kobject_init, &uv_kp_kobject_add, &uv_kp_really_probe,
	&uv_kp_uevent,
	&uv_kp_device_del, &uv_kp_device_add, &uv_kp_unbind, &uv_kp_rmmod,
};

static bool uv_kp_ok[ARRAY_SIZE(uv_kprobes)];
static bool uv_defer_ok[ARRAY_SIZE(uv_kp_defer)];
static bool uv_tp_ok;

static void uv_unregister_all(void)
{
	int i;

	if (uv_tp_ok)
		tracepoint_probe_unregister(uv_tp_sys_exit, uv_sys_exit, NULL);
	for (i = 0; i < ARRAY_SIZE(uv_kprobes); i++)
		if (uv_kp_ok[i])
			unregister_kprobe(uv_kprobes[i]);
	for (i = 0; i < ARRAY_SIZE(uv_kp_defer); i++)
		if (uv_defer_ok[i])
			unregister_kprobe(&uv_kp_defer[i]);
	/* No probe handler of ours runs any more after this. */
	tracepoint_synchronize_unregister();
}

/*
 * Where to put a probe: past the ENDBR and the (disabled) fentry call
 * site, so that it is a plain int3 probe and arming it is a one-byte
 * write.  A probe on the fentry site goes through ftrace, whose live
 * patching of call sites and trampolines crashed the guest (a call to
 * address 0 at device_del's entry) while devices churned and we loaded.
 * Nothing is pushed yet there: the arguments and the return address on
 * top of the stack are as at entry.  A site that another tracer enabled
 * (a CALL, not a NOP) is left to ftrace.
 */
static unsigned long uv_past_fentry(unsigned long addr)
{
	static const u8 endbr[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	static const u8 nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	u8 b[5];

	if (!copy_from_kernel_nofault(b, (void *)addr, sizeof(endbr)) &&
	    !memcmp(b, endbr, sizeof(endbr)))
		addr += sizeof(endbr);
	if (!copy_from_kernel_nofault(b, (void *)addr, sizeof(nop5)) &&
	    !memcmp(b, nop5, sizeof(nop5)))
		addr += sizeof(nop5);
	return addr;
}

#define UV_NPROBES (ARRAY_SIZE(uv_kprobes) + ARRAY_SIZE(uv_kp_defer) + \
		    ARRAY_SIZE(uv_kp_swnode))

/* Index of the first software-node probe in uv_probe_nr() order. */
#define UV_SWNODE_FIRST (ARRAY_SIZE(uv_kprobes) + ARRAY_SIZE(uv_kp_defer))

static const char *uv_names[UV_NPROBES];

static struct kprobe *uv_probe_nr(int i)
{
	if (i < ARRAY_SIZE(uv_kprobes))
		return uv_kprobes[i];
	i -= ARRAY_SIZE(uv_kprobes);
	if (i < ARRAY_SIZE(uv_kp_defer))
		return &uv_kp_defer[i];
	return &uv_kp_swnode[i - ARRAY_SIZE(uv_kp_defer)];
}

/*
 * Resolve every symbol with a disabled (never armed) probe, then give
 * our probe the address past its fentry site.  A missing symbol keeps
 * its name, so that registering fails with the usual warning.
 */
static void uv_place_probes(void)
{
	struct kprobe *tmp, *done[UV_NPROBES];
	int i, n = 0;

	for (i = 0; i < UV_NPROBES; i++)
		uv_names[i] = uv_probe_nr(i)->symbol_name;
	tmp = kcalloc(UV_NPROBES, sizeof(*tmp), GFP_KERNEL);
	if (!tmp)
		return;
	for (i = 0; i < UV_NPROBES; i++) {
		tmp[i].symbol_name = uv_names[i];
		tmp[i].flags = KPROBE_FLAG_DISABLED;
		if (register_kprobe(&tmp[i]))
			continue;
		done[n++] = &tmp[i];
		uv_probe_nr(i)->addr = (kprobe_opcode_t *)
			uv_past_fentry((unsigned long)tmp[i].addr);
		uv_probe_nr(i)->symbol_name = NULL;
	}
	if (n)
		unregister_kprobes(done, n);
	kfree(tmp);
}

/*
 * Under QEMU's TCG a CPU can run one of our int3s after the probe was
 * unregistered: the byte is back in memory and every CPU was synced, but
 * the emulator still runs its stale translation of the code (the lab
 * check fixtures/int3_flip.c shows it without this module).  6.1's
 * kprobe_int3_handler() backs up over such an int3 and retries; 6.12's
 * leaves it to the die chain, which oopses.  While loaded we retry the
 * ones at our own probe sites, as 6.1 does, and count them: hardware
 * never gets here.
 */
static atomic_long_t uv_stray_int3s;

static int uv_stray_int3(struct notifier_block *nb, unsigned long val,
			 void *data)
{
	struct die_args *args = data;
	unsigned long addr;
	int i;

	if (val != DIE_INT3 || user_mode(args->regs))
		return NOTIFY_DONE;
	addr = args->regs->ip - INT3_INSN_SIZE;
	for (i = 0; i < UV_NPROBES; i++)
		if ((unsigned long)uv_probe_nr(i)->addr == addr)
			break;
	if (i == UV_NPROBES || *(u8 *)addr == INT3_INSN_OPCODE)
		return NOTIFY_DONE;
	atomic_long_inc(&uv_stray_int3s);
	args->regs->ip = addr;
	return NOTIFY_STOP;
}
NOKPROBE_SYMBOL(uv_stray_int3);

static struct notifier_block uv_stray_nb = {
	.notifier_call = uv_stray_int3,
};

/*
 * The release and add probes are needed; of the four unregister probes,
 * any one will do (6.12 has no software_node_unregister_nodes()).
 */
static void uv_swnode_register(void)
{
	int i, ret, last = ARRAY_SIZE(uv_kp_swnode) - 1;
	bool unreg = false;

	for (i = 0; i <= last; i++) {
		ret = register_kprobe(&uv_kp_swnode[i]);
		uv_swnode_ok[i] = !ret;
		if (ret && (!i || i == last))
			uv_out("# warning: kprobe %s: error %d, software nodes not followed",
			       uv_names[UV_SWNODE_FIRST + i], ret);
		if (ret && !i)
			return;
		if (!i)
			WRITE_ONCE(uv_swnode_release_addr,
				   (unsigned long)uv_kp_swnode[0].addr);
		else if (i < last)
			unreg |= !ret;
	}
	if (!unreg)
		uv_out("# warning: no software node unregister probe, nodes checked at GOING only");
}

static unsigned long uv_swnode_unregister(void)
{
	unsigned long missed = 0;
	int i;

	for (i = ARRAY_SIZE(uv_kp_swnode) - 1; i >= 0; i--) {
		if (!uv_swnode_ok[i])
			continue;
		unregister_kprobe(&uv_kp_swnode[i]);
		missed += uv_kp_swnode[i].nmissed;
	}
	return missed;
}

static void uv_register_all(void)
{
	int i, ret;

	/* Every struct device shares one ktype: take it from a known one. */
	uv_device_ktype = platform_bus.kobj.ktype;
	for_each_kernel_tracepoint(uv_find_tp, NULL);
	ret = uv_tp_sys_exit ?
	      tracepoint_probe_register(uv_tp_sys_exit, uv_sys_exit, NULL) :
	      -ENOENT;
	uv_tp_ok = !ret;
	if (ret)
		uv_out("# warning: tracepoint sys_exit: error %d, rmmod operations disabled",
		       ret);
	uv_resolve_api();
	uv_place_probes();
	/*
	 * A missing symbol disables one check, it must not fail the load:
	 * busybox insmod would run init a second time.  Each check is
	 * enabled only once what ends its operations is in place.
	 */
	for (i = 0; i < ARRAY_SIZE(uv_kprobes); i++) {
		ret = register_kprobe(uv_kprobes[i]);
		uv_kp_ok[i] = !ret;
		if (ret)
			uv_out("# warning: kprobe %s: error %d, check disabled",
			       uv_names[i], ret);
		if (uv_kprobes[i] == &uv_kp_uevent && !ret)
			WRITE_ONCE(uv_uevent_ok, true);
	}
	if (uv_tp_ok)
		WRITE_ONCE(uv_sys_exit_ok, true);
	for (i = 0; i < ARRAY_SIZE(uv_kp_defer); i++) {
		bool optional = i >= ARRAY_SIZE(uv_kp_defer) - UV_DEFER_OPTIONAL;

		ret = register_kprobe(&uv_kp_defer[i]);
		uv_defer_ok[i] = !ret;
		if (ret && !(optional && ret == -ENOENT))
			uv_out("# warning: kprobe %s: error %d, check disabled",
			       uv_names[ARRAY_SIZE(uv_kprobes) + i], ret);
	}
}

static int __init uv_init(void)
{
	int i;

	uv_objs = vzalloc(sizeof(*uv_objs) * UV_MAX_OBJS);
	uv_holds = vzalloc(sizeof(*uv_holds) * UV_MAX_HOLDS);
	uv_sites = vzalloc(sizeof(*uv_sites) * UV_MAX_SITES);
	uv_results = vzalloc(UV_RESULTS_SIZE);
	uv_wq = alloc_ordered_workqueue("unplug_verify", 0);
	if (!uv_objs || !uv_holds || !uv_sites || !uv_results || !uv_wq) {
		if (uv_wq)
			destroy_workqueue(uv_wq);
		vfree(uv_results);
		vfree(uv_sites);
		vfree(uv_holds);
		vfree(uv_objs);
		return -ENOMEM;
	}
	for (i = 0; i < UV_HASH_SIZE; i++)
		uv_hash[i] = UV_NIL;
	for (i = 0; i < UV_MAX_OBJS; i++)
		uv_objs[i].next = i + 1 < UV_MAX_OBJS ? i + 1 : UV_NIL;
	uv_free_head = 0;

	/* Deliberately never freed: proves that a leak check can fail. */
	if (test_leak_kb && !vzalloc(test_leak_kb * 1024UL))
		pr_warn("test_leak_kb: allocation failed\n");

	mutex_lock(&uv_report_lock);
	uv_out("KTAP version 1");
	uv_out("# unplug_verify: watching %s, settle %u ms",
	       *watch ? watch : "all modules", settle_ms);
	register_die_notifier(&uv_stray_nb);
	uv_register_all();
	uv_swnode_register();
	mutex_unlock(&uv_report_lock);

	uv_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("control", 0600, uv_dir, NULL, &uv_control_fops);
	debugfs_create_file("results", 0400, uv_dir, NULL, &uv_results_fops);
	register_module_notifier(&uv_module_nb);
	return 0;
}

/*
 * Unloading: first let the operations in flight end and judge them while
 * every probe is still live.  Judging them after unregistering (as this
 * module once did) missed every release that came later, device_release
 * first of all (its probe goes first), and under churn gave not-ok
 * verdicts for objects that were in fact released.  A bracket nobody
 * ended, or an operation still open after the wait, is skipped.
 */
static void uv_drain(void)
{
	char labels[UV_MAX_DEPTH][UV_NAME_LEN];
	unsigned int waited = 0, limit = settle_ms + 5000;
	unsigned long flags;
	int i, n, open;

	raw_spin_lock_irqsave(&uv_lock, flags);
	uv_exiting = true;
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	for (;;) {
		open = 0;
		raw_spin_lock_irqsave(&uv_lock, flags);
		for (i = 0; i < uv_depth; i++)
			if (uv_ops[uv_stack[i]].kind != UV_OP_BRACKET)
				open++;
		raw_spin_unlock_irqrestore(&uv_lock, flags);
		if (!open || waited >= limit)
			break;
		msleep(20);
		waited += 20;
	}
	flush_work(&uv_work);

	raw_spin_lock_irqsave(&uv_lock, flags);
	for (n = 0; n < uv_depth; n++)
		strscpy(labels[n], uv_ops[uv_stack[n]].label, UV_NAME_LEN);
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	mutex_lock(&uv_report_lock);
	for (i = 0; i < n; i++)
		uv_out("ok %d %s # SKIP still open when unplug_verify was unloaded",
		       ++uv_test_no, labels[i]);
	mutex_unlock(&uv_report_lock);
}

static void __exit uv_exit(void)
{
	unsigned long missed = 0;
	int i;

	uv_drain();
	unregister_module_notifier(&uv_module_nb);
	uv_remove_sites(NULL);
	debugfs_remove_recursive(uv_dir);
	uv_unregister_all();
	missed += uv_swnode_unregister();
	for (i = 0; i < ARRAY_SIZE(uv_kprobes); i++)
		missed += uv_kprobes[i]->nmissed;
	/* Handlers may still be finishing on other CPUs. */
	synchronize_rcu();
	flush_work(&uv_work);
	destroy_workqueue(uv_wq);
	/* Last: stale int3s of ours can come up to here (see above). */
	unregister_die_notifier(&uv_stray_nb);

	mutex_lock(&uv_report_lock);
	uv_out("# unplug_verify: %d operations, %u failed, %lu probe hits missed, %lu objects, %lu work/timers, %lu references and %lu operations not tracked, %lu result bytes lost",
	       uv_test_no, uv_failed_ops, missed, uv_obj_overflow,
	       uv_defer_overflow, uv_hold_overflow, uv_op_overflow,
	       uv_results_lost);
	if (atomic_long_read(&uv_stray_int3s))
		uv_out("# unplug_verify: %ld int3s of removed probes retried (the machine ran stale code: an emulator)",
		       atomic_long_read(&uv_stray_int3s));
	/*
	 * The unload is a test of our own: it fails if any verdict of this
	 * load may have missed an event, and it gives every load's KTAP
	 * document a test (kunit.py calls one without any an error).
	 */
	uv_out("%s %d unload unplug_verify",
	       missed || uv_obj_overflow || uv_defer_overflow ||
	       uv_hold_overflow || uv_op_overflow || uv_site_overflow ?
	       "not ok" : "ok",
	       ++uv_test_no);
	mutex_unlock(&uv_report_lock);
	vfree(uv_results);
	vfree(uv_sites);
	vfree(uv_holds);
	vfree(uv_objs);
}

module_init(uv_init);
module_exit(uv_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("unplug project");
MODULE_DESCRIPTION("Verify that driver-model objects are released by the operation that unregistered them");
