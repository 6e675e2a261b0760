// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dangling pointers: words of vmlinux .data and .bss that still point
 * into a module after it is freed.
 */

#include "unplug_verify.h"

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

void uv_resolve_scan_areas(void)
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
struct uv_scan *uv_scan_going(struct module *mod)
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
void uv_scan_recheck(const struct uv_scan *sc, struct uv_verdict *v)
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
