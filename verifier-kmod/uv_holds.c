// SPDX-License-Identifier: GPL-2.0-only
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
#ifndef CONFIG_X86_64
#error "unplug_verify: charging references reads x86-64 stack frames (ORC)"
#endif

#include <asm/unwind.h>
#include "unplug_verify.h"

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

struct uv_hold *uv_holds;
u32 uv_seq;
unsigned long uv_hold_overflow;

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

void uv_resolve_api(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(uv_api_names); i++)
		uv_sym_range(uv_api_names[i], &uv_api[i]);
	uv_sym_range("kobject_put", &uv_put_range);
	uv_sym_range("kobject_get", &uv_prims[0]);
	uv_sym_range("kobject_get_unless_zero", &uv_prims[1]);
	uv_sym_range("kobject_init", &uv_prims[2]);
	uv_sym_range("kobject_create_and_add", &uv_create_and_add);
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
void uv_mark_tail(struct module *mod, unsigned long sp,
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
const void *uv_probing_dev(void)
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
void uv_hold_forget(const struct kobject *kobj)
{
	int i;

	for (i = 0; i < UV_MAX_HOLDS; i++)
		if (uv_holds[i].kobj == kobj)
			uv_holds[i].kobj = NULL;
}

/* Caller holds uv_lock: a going module holds nothing any more. */
void uv_hold_forget_mod(const struct module *mod)
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

/*
 * Caller holds uv_lock: references @mod still holds, into @v; at an
 * unbind (@bind set) only those it took while probing that device,
 * before the unbind ended (@before): the device may be bound again by
 * the time the unbind is judged.
 */
void uv_judge_holds(struct uv_verdict *v, const struct module *mod,
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

int uv_kobject_get_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kobject *kobj = uv_arg(regs, 0);

	if (kobj)
		uv_refop(kobj, true, regs);
	return 0;
}

/* It takes a reference only if the count is not zero already. */
int uv_kobject_get_unless_zero_pre(struct kprobe *p,
				   struct pt_regs *regs)
{
	struct kobject *kobj = uv_arg(regs, 0);

	if (kobj && kref_read(&kobj->kref))
		uv_refop(kobj, true, regs);
	return 0;
}

int uv_kobject_put_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kobject *kobj = uv_arg(regs, 0);

	if (kobj)
		uv_refop(kobj, false, regs);
	return 0;
}

/* The first reference: whatever we knew of this memory is stale. */
int uv_kobject_init_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kobject *kobj = uv_arg(regs, 0);
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

int uv_kobject_add_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kobject *kobj = uv_arg(regs, 0);
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

/*
 * really_probe(dev, drv) starts binding a device, driver_bound(dev) ends
 * a successful bind: references taken in between by the same task are
 * the bind's.  A failed probe's mark stays until that task probes again.
 */
int uv_really_probe_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&uv_lock, flags);
	uv_set_probing(uv_arg(regs, 0));
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

int uv_driver_bound_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&uv_lock, flags);
	uv_set_probing(NULL);
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

/* A function entry (or just past its ENDBR, where IBT direct jumps go). */
bool uv_refcount_entry(unsigned long addr)
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
