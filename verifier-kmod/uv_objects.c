// SPDX-License-Identifier: GPL-2.0-only
/*
 * Object table: the kobjects followed from their registration to their
 * release, with their get/put events, and the probes of a device's life.
 */
#ifndef CONFIG_X86_64
#error "unplug_verify: event caller chains read x86-64 stack frames (ORC)"
#endif

#include <asm/unwind.h>
#include "unplug_verify.h"

DEFINE_RAW_SPINLOCK(uv_lock);
struct uv_obj *uv_objs;
static u16 uv_hash[UV_HASH_SIZE];
static u16 uv_free_head;
unsigned long uv_obj_overflow;

/*
 * No return probes: an operation ends at an entry probe or tracepoint
 * that marks its end (see uv_uevent_pre() and uv_sys_exit()).  The
 * ktype of every struct device tells device kobjects apart in
 * kobject_uevent_env(); it is read from platform_bus at load.
 */
const struct kobj_type *uv_device_ktype;
bool uv_uevent_ok;

/* Object table */

/* An empty table: every slot on the free list, every hash chain empty. */
void uv_objs_reset(void)
{
	int i;

	for (i = 0; i < UV_HASH_SIZE; i++)
		uv_hash[i] = UV_NIL;
	for (i = 0; i < UV_MAX_OBJS; i++)
		uv_objs[i].next = i + 1 < UV_MAX_OBJS ? i + 1 : UV_NIL;
	uv_free_head = 0;
}

static u32 uv_hash_of(const void *p)
{
	return hash_ptr(p, UV_HASH_BITS);
}

struct uv_obj *uv_find(const struct kobject *kobj)
{
	u16 i;

	for (i = uv_hash[uv_hash_of(kobj)]; i != UV_NIL; i = uv_objs[i].next)
		if (uv_objs[i].kobj == kobj && uv_objs[i].state != UV_RELEASED)
			return &uv_objs[i];
	return NULL;
}

struct uv_obj *uv_alloc(struct kobject *kobj)
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

void uv_free(struct uv_obj *o)
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

void uv_event(struct uv_obj *o, enum uv_ev_kind kind,
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
void uv_describe(struct uv_obj *o, struct device *dev)
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

/* Probes: device life */

/*
 * device_add() entry: start following the device.  Whether the add
 * succeeds shows later: device_add() emits KOBJ_ADD exactly when it has
 * registered the device (uv_uevent_pre()).  A failed add is undone by
 * its caller's put_device(), which device_release() sees.
 */
int uv_device_add_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct device *dev = uv_arg(regs, 0);
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

int uv_device_del_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct device *dev = uv_arg(regs, 0);
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

/*
 * device_release() and software_node_release() are ktype releases: the
 * refcount of the kobject in their first argument reached zero.
 */
int uv_kobj_release_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kobject *kobj = uv_arg(regs, 0);
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
