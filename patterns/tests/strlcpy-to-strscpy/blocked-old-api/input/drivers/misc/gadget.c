// SPDX-License-Identifier: GPL-2.0
/*
 * A gadget that names itself, to show which strlcpy() calls can become
 * strscpy() and which cannot.
 */

#include <linux/module.h>
#include <linux/string.h>

#define GADGET_NAME_LEN	16
#define GADGET_COPY(dst, src)	strlcpy(dst, src, sizeof(dst))

struct gadget {
	char name[GADGET_NAME_LEN];
	char label[32];
	char model[8];
};

static void gadget_set_name(struct gadget *g, const char *name)
{
	strlcpy(g->name, name, sizeof(g->name));
	strlcpy(g->label,
		name /* the label defaults to the name */,
		sizeof(g->label));
}

static int gadget_set_label(struct gadget *g, const char *label)
{
	if (strlcpy(g->label, label, sizeof(g->label)) >= sizeof(g->label))
		return -E2BIG;
	return 0;
}

static size_t gadget_copy_model(struct gadget *g, const char *model)
{
	size_t len;

	len = strlcpy(g->model, model, sizeof(g->model));
	return len;
}

static void gadget_reset(struct gadget *g)
{
	strscpy(g->name, "gadget", sizeof(g->name));
	GADGET_COPY(g->model, "none");
}
