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
 *
 * This file: the parameters, load and unload.  unplug_verify.h lists the
 * other files, one per facility.
 */

#include "unplug_verify.h"

char *uv_watch = "";
module_param_named(watch, uv_watch, charp, 0444);
MODULE_PARM_DESC(watch, "Comma-separated module or driver names to verify (empty: all)");

unsigned int uv_settle_ms = 300;
module_param_named(settle_ms, uv_settle_ms, uint, 0644);
MODULE_PARM_DESC(settle_ms, "Grace period after the RCU barrier before judging an operation");

int uv_verbose;
module_param_named(verbose, uv_verbose, int, 0644);
MODULE_PARM_DESC(verbose, "1: also name the released objects of each operation");

bool uv_panic_on_fail;
module_param_named(panic_on_fail, uv_panic_on_fail, bool, 0644);
MODULE_PARM_DESC(panic_on_fail, "Panic on the first failed operation");

bool uv_defuse_on = true;
module_param_named(defuse, uv_defuse_on, bool, 0644);
MODULE_PARM_DESC(defuse, "Cancel work and timers left behind by an unloading module after reporting them");

static int __init uv_init(void)
{
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
	uv_objs_reset();

	mutex_lock(&uv_report_lock);
	uv_out("KTAP version 1");
	uv_out("# unplug_verify: watching %s, settle %u ms",
	       *uv_watch ? uv_watch : "all modules", uv_settle_ms);
	uv_stray_register();
	uv_register_all();
	uv_swnode_register();
	mutex_unlock(&uv_report_lock);

	uv_debugfs_init();
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
	unsigned int waited = 0, limit = uv_settle_ms + 5000;
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

	uv_drain();
	unregister_module_notifier(&uv_module_nb);
	uv_remove_sites(NULL);
	uv_debugfs_exit();
	uv_unregister_all();
	missed += uv_swnode_unregister();
	missed += uv_kprobes_missed();
	/* Handlers may still be finishing on other CPUs. */
	synchronize_rcu();
	flush_work(&uv_work);
	destroy_workqueue(uv_wq);
	/* Last: stale int3s of ours can come up to here (uv_probes.c). */
	uv_stray_unregister();

	mutex_lock(&uv_report_lock);
	uv_out("# unplug_verify: %d operations, %u failed, %lu probe hits missed, %lu objects, %lu work/timers, %lu references and %lu operations not tracked, %lu result bytes lost",
	       uv_test_no, uv_failed_ops, missed, uv_obj_overflow,
	       uv_defer_overflow, uv_hold_overflow, uv_op_overflow,
	       uv_results_lost);
	if (uv_stray_count())
		uv_out("# unplug_verify: %ld int3s of removed probes retried (the machine ran stale code: an emulator)",
		       uv_stray_count());
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
