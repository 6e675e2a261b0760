// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_unplug_verify - the positive control of the verifier's reload leak
 * check (scenarios/reload-leak-detected.yaml): each load leaks leak_kb KiB
 * of vmalloc memory on purpose, so a cycle that loads it next to
 * unplug_verify grows by that much, and the check must see it.  Kept out
 * of unplug_verify itself so that the verifier has no test-only code.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/vmalloc.h>

static unsigned int leak_kb;
module_param(leak_kb, uint, 0444);
MODULE_PARM_DESC(leak_kb, "Leak this many KiB of vmalloc memory per load");

static int __init test_unplug_verify_init(void)
{
	/* Deliberately never freed: proves that the leak check can fail. */
	if (leak_kb && !vzalloc(leak_kb * 1024UL))
		pr_warn("test_unplug_verify: allocation of %u KiB failed\n",
			leak_kb);
	return 0;
}

static void __exit test_unplug_verify_exit(void)
{
}

module_init(test_unplug_verify_init);
module_exit(test_unplug_verify_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("unplug project");
MODULE_DESCRIPTION("Test only: leak memory per load, the control of unplug_verify's reload leak check");
