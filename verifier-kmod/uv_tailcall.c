// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tail-call sites: a probe on each jump of a watched module to a
 * refcounting function, since a tail call hides the module from the stack.
 */
#ifndef CONFIG_X86_64
#error "unplug_verify: tail-call sites are x86-64 jmp rel32 instructions"
#endif

#include "unplug_verify.h"

/*
 * Tail-call sites: every "jmp rel32" in a watched module's text (core
 * and init) whose target is the entry of a refcounting function.  A
 * byte 0xe9 inside another instruction that happens to point exactly
 * there is refused by register_kprobe(), which only probes instruction
 * boundaries.
 */
unsigned long uv_site_overflow;
struct uv_site *uv_sites;
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

void uv_add_sites(struct module *mod)
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
void uv_remove_sites(struct module *mod)
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
