/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * unplug_verify: private header shared by the files of the module.
 *
 * One file per facility:
 *   uv_main.c      parameters, load and unload
 *   uv_probes.c    probe placement and registration
 *   uv_objects.c   object table and device life
 *   uv_holds.c     references per holder
 *   uv_tailcall.c  tail-call sites in watched modules
 *   uv_ops.c       operations and the module notifier
 *   uv_judge.c     judging and KTAP output
 *   uv_defer.c     deferred work and timers
 *   uv_scan.c      dangling pointers after an unload
 *   uv_swnode.c    software nodes
 *   uv_debugfs.c   debugfs control and results
 *
 * Everything in probe context is under uv_lock, a raw spinlock; KTAP
 * numbering and the results buffer are under uv_report_lock.
 */
#ifndef UNPLUG_VERIFY_H
#define UNPLUG_VERIFY_H

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

struct uv_mod {
	struct module *mod;
	u32 rcu_barrier_seq;	/* its last rcu_barrier() */
};

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

struct uv_range {
	unsigned long start, end;
};

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

#define UV_MAX_HOLDS	512
#define UV_MAX_PROBING	16	/* tasks probing or tail-calling at once */
#define UV_API_DEPTH	10	/* frames unwound through API functions */

/*
 * Tail-call sites: every "jmp rel32" in a watched module's text (core
 * and init) whose target is the entry of a refcounting function.
 */
#define UV_MAX_SITES	128

struct uv_site {
	struct kprobe kp;
	struct module *mod;
};

struct uv_verdict;
struct uv_scan;

/* Module parameters (uv_main.c) */
extern char *uv_watch;
extern unsigned int uv_settle_ms;
extern int uv_verbose;
extern bool uv_panic_on_fail;
extern bool uv_defuse_on;

/* State shared across files; probe context takes uv_lock. */
extern raw_spinlock_t uv_lock;
extern struct uv_obj *uv_objs;
extern unsigned long uv_obj_overflow, uv_defer_overflow, uv_op_overflow;
extern unsigned long uv_hold_overflow, uv_site_overflow;
extern struct uv_op uv_ops[UV_MAX_OPS];
extern int uv_stack[UV_MAX_DEPTH];	/* indexes into uv_ops */
extern int uv_depth;
extern struct uv_mod uv_mods[UV_MAX_MODS];
extern struct uv_hold *uv_holds;
extern u32 uv_seq;
extern struct uv_site *uv_sites;
extern const struct kobj_type *uv_device_ktype;
extern bool uv_uevent_ok;	/* KOBJ_ADD ends device_add() */
extern bool uv_sys_exit_ok;	/* a failed unload is seen */
extern bool uv_exiting;		/* unloading: open no new operation */
extern struct tracepoint *uv_tp_sys_exit;
extern unsigned long uv_swnode_release_addr;
extern struct notifier_block uv_module_nb;

extern struct mutex uv_report_lock;	/* KTAP numbering and results */
extern int uv_test_no;
extern unsigned int uv_failed_ops;
extern char *uv_results;
extern size_t uv_results_len;
extern unsigned long uv_results_lost;
extern struct workqueue_struct *uv_wq;
extern struct work_struct uv_work;

/*
 * Argument @n (from 0) of the probed function: our probes sit at its
 * entry (see uv_past_fentry()), where the arguments are as the caller
 * passed them.
 */
static inline void *uv_arg(struct pt_regs *regs, unsigned int n)
{
	return (void *)regs_get_kernel_argument(regs, n);
}

static inline bool uv_in_range(const struct uv_range *r, unsigned long addr)
{
	return addr >= r->start && addr < r->end;
}

/* scan */
void uv_resolve_scan_areas(void);
struct uv_scan *uv_scan_going(struct module *mod);
void uv_scan_recheck(const struct uv_scan *sc, struct uv_verdict *v);

/* swnode */
bool uv_swnode_ktype(const struct kobj_type *kt);
int uv_swnode_add_pre(struct kprobe *p, struct pt_regs *regs);
int uv_swnode_remove_pre(struct kprobe *p, struct pt_regs *regs);
int uv_swnode_unregister_pre(struct kprobe *p, struct pt_regs *regs);
int uv_swnode_unregister_group_pre(struct kprobe *p,
				   struct pt_regs *regs);
int uv_swnode_unregister_nodes_pre(struct kprobe *p,
				   struct pt_regs *regs);

/* objects */
void uv_objs_reset(void);
struct uv_obj *uv_find(const struct kobject *kobj);
struct uv_obj *uv_alloc(struct kobject *kobj);
void uv_free(struct uv_obj *o);
void uv_event(struct uv_obj *o, enum uv_ev_kind kind,
	      struct pt_regs *regs);
void uv_describe(struct uv_obj *o, struct device *dev);
int uv_device_add_pre(struct kprobe *p, struct pt_regs *regs);
int uv_device_del_pre(struct kprobe *p, struct pt_regs *regs);
int uv_kobj_release_pre(struct kprobe *p, struct pt_regs *regs);

/* probes */
unsigned long uv_ksym(const char *name);
bool uv_sym_range(const char *name, struct uv_range *r);
void uv_unregister_all(void);
void uv_swnode_register(void);
unsigned long uv_swnode_unregister(void);
void uv_register_all(void);

/* defer */
void uv_judge_defers(struct uv_verdict *v, struct module *mod,
		     const void *bind);
void uv_judge_kthreads(struct uv_verdict *v, struct module *mod);
void uv_defuse(struct module *mod);
int uv_queue_work_pre(struct kprobe *p, struct pt_regs *regs);
int uv_queue_dwork_pre(struct kprobe *p, struct pt_regs *regs);
int uv_timer_pre(struct kprobe *p, struct pt_regs *regs);
int uv_hrtimer_pre(struct kprobe *p, struct pt_regs *regs);
int uv_tasklet_pre(struct kprobe *p, struct pt_regs *regs);
int uv_irq_work_pre(struct kprobe *p, struct pt_regs *regs);
int uv_kwork_pre(struct kprobe *p, struct pt_regs *regs);
int uv_kdwork_pre(struct kprobe *p, struct pt_regs *regs);
int uv_call_rcu_pre(struct kprobe *p, struct pt_regs *regs);
int uv_rcu_barrier_pre(struct kprobe *p, struct pt_regs *regs);
int uv_request_irq_pre(struct kprobe *p, struct pt_regs *regs);
int uv_free_irq_pre(struct kprobe *p, struct pt_regs *regs);

/* tailcall */
void uv_add_sites(struct module *mod);
void uv_remove_sites(struct module *mod);

/* ops */
int uv_top_op_id(void);
struct uv_op *uv_op_open(enum uv_op_kind kind, const char *label);
void uv_op_close(struct uv_op *op);
struct uv_op *uv_op_find_open(enum uv_op_kind kind, const char *label);
const void *uv_unbinding_dev(void);
void uv_op_release(struct uv_op *op);
struct uv_op *uv_op_find_key(enum uv_op_kind kind, const void *key);
int uv_unbind_pre(struct kprobe *p, struct pt_regs *regs);
int uv_uevent_pre(struct kprobe *p, struct pt_regs *regs);
int uv_rmmod_pre(struct kprobe *p, struct pt_regs *regs);
void uv_sys_exit(void *data, struct pt_regs *regs, long ret);
void uv_find_tp(struct tracepoint *tp, void *priv);
struct module *uv_owner(unsigned long func);

/* judge */
__printf(1, 2) void uv_out(const char *fmt, ...);
__printf(2, 3) void uv_vline(struct uv_verdict *v, const char *fmt, ...);
struct uv_verdict *uv_verdict_build(struct uv_op *op,
				    struct module *mod, bool rcu_done);
void uv_verdict_render(struct uv_op *op, struct uv_verdict *v,
		       bool going);
void uv_verdict_print(struct uv_op *op, struct uv_verdict *v);
void uv_report(struct uv_op *op, struct module *mod, bool rcu_done);

/* holds */
void uv_resolve_api(void);
void uv_resolve_defer(void);
void uv_mark_tail(struct module *mod, unsigned long sp,
		  unsigned long site);
const void *uv_probing_dev(void);
void uv_hold_forget(const struct kobject *kobj);
void uv_hold_forget_mod(const struct module *mod);
void uv_judge_holds(struct uv_verdict *v, const struct module *mod,
		    const void *bind, u32 before);
int uv_kobject_get_pre(struct kprobe *p, struct pt_regs *regs);
int uv_kobject_get_unless_zero_pre(struct kprobe *p,
				   struct pt_regs *regs);
int uv_kobject_put_pre(struct kprobe *p, struct pt_regs *regs);
int uv_kobject_init_pre(struct kprobe *p, struct pt_regs *regs);
int uv_kobject_add_pre(struct kprobe *p, struct pt_regs *regs);
int uv_really_probe_pre(struct kprobe *p, struct pt_regs *regs);
int uv_driver_bound_pre(struct kprobe *p, struct pt_regs *regs);
bool uv_refcount_entry(unsigned long addr);

void uv_stray_register(void);
void uv_stray_unregister(void);
long uv_stray_count(void);
unsigned long uv_kprobes_missed(void);

/* debugfs */
void uv_debugfs_init(void);
void uv_debugfs_exit(void);

#endif /* UNPLUG_VERIFY_H */
