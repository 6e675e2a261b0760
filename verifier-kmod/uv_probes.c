// SPDX-License-Identifier: GPL-2.0-only
/*
 * Probe placement: every probe of the module, where it sits (past the
 * ENDBR and the fentry site), the order of registration, and the retry of
 * stale int3s under emulation.
 */
#ifndef CONFIG_X86_64
#error "unplug_verify: probe placement decodes x86-64 ENDBR64/fentry, retries int3"
#endif

#include "unplug_verify.h"

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

unsigned long uv_ksym(const char *name)
{
	return uv_lookup_name ? uv_lookup_name(name) : 0;
}

/* A function's extent, from "name+off/size" as %pS-style lookup gives it. */
bool uv_sym_range(const char *name, struct uv_range *r)
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
 * The probes, each with the handler of its facility.  Device life
 * (uv_objects.c):
 */
static struct kprobe uv_kp_device_add = {
	.symbol_name = "device_add",
	.pre_handler = uv_device_add_pre,
};

static struct kprobe uv_kp_device_del = {
	.symbol_name = "device_del",
	.pre_handler = uv_device_del_pre,
};

/* References per holder (uv_holds.c): */
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

static struct kprobe uv_kp_really_probe = {
	.symbol_name = "really_probe",
	.pre_handler = uv_really_probe_pre,
};

static struct kprobe uv_kp_driver_bound = {
	.symbol_name = "driver_bound",
	.pre_handler = uv_driver_bound_pre,
};

/* The refcount of a device reached zero (uv_objects.c): */
static struct kprobe uv_kp_device_release = {
	.symbol_name = "device_release",
	.pre_handler = uv_kobj_release_pre,
};

/* Operations (uv_ops.c): */
static struct kprobe uv_kp_unbind = {
	.symbol_name = "device_release_driver_internal",
	.pre_handler = uv_unbind_pre,
};

static struct kprobe uv_kp_uevent = {
	.symbol_name = "kobject_uevent_env",
	.pre_handler = uv_uevent_pre,
};

static struct kprobe uv_kp_rmmod = {
	.symbol_name = "__x64_sys_delete_module",
	.pre_handler = uv_rmmod_pre,
};

/*
 * Deferred work and timers (uv_defer.c).
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
 * Software nodes (uv_swnode.c), in registration order: the release probe
 * first, it gives the address.
 */
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

/* Addresses and extents the facilities need, resolved once at load. */
static void uv_resolve_symbols(void)
{
	uv_find_lookup_name();
	if (!uv_lookup_name)
		uv_out("# warning: kallsyms_lookup_name not found, references charged to direct callers only");
	uv_resolve_api();
	uv_resolve_defer();
	uv_resolve_scan_areas();
}

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

void uv_unregister_all(void)
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

/* Registered before our first probe and removed after our last. */
void uv_stray_register(void)
{
	register_die_notifier(&uv_stray_nb);
}

void uv_stray_unregister(void)
{
	unregister_die_notifier(&uv_stray_nb);
}

long uv_stray_count(void)
{
	return atomic_long_read(&uv_stray_int3s);
}

/* Hits of the main probes that came while another probe ran. */
unsigned long uv_kprobes_missed(void)
{
	unsigned long missed = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(uv_kprobes); i++)
		missed += uv_kprobes[i]->nmissed;
	return missed;
}

/*
 * The release and add probes are needed; of the four unregister probes,
 * any one will do (6.12 has no software_node_unregister_nodes()).
 */
void uv_swnode_register(void)
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

unsigned long uv_swnode_unregister(void)
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

void uv_register_all(void)
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
	uv_resolve_symbols();
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
