// SPDX-License-Identifier: GPL-2.0-only
/*
 * Software nodes
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
#ifndef CONFIG_X86_64
#error "unplug_verify: the swnode ktype test counts x86-64 ENDBR64/fentry bytes"
#endif

#include "unplug_verify.h"

struct uv_swnode_head {
	struct kobject kobj;
	struct fwnode_handle fwnode;
};

unsigned long uv_swnode_release_addr;

/* The ktype of software nodes: its release is where our probe sits. */
bool uv_swnode_ktype(const struct kobj_type *kt)
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

int uv_swnode_add_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kobject *kobj = uv_arg(regs, 0);
	const struct kobj_type *ktype = uv_arg(regs, 1);
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

int uv_swnode_remove_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct fwnode_handle *fwnode = uv_arg(regs, 0);
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
int uv_swnode_unregister_pre(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&uv_lock, flags);
	uv_swnode_del_node(regs_get_kernel_argument(regs, 0), regs);
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

int uv_swnode_unregister_group_pre(struct kprobe *p,
				   struct pt_regs *regs)
{
	const struct software_node **group = uv_arg(regs, 0);
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

int uv_swnode_unregister_nodes_pre(struct kprobe *p,
				   struct pt_regs *regs)
{
	const struct software_node *nodes = uv_arg(regs, 0);
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
