// SPDX-License-Identifier: GPL-2.0-only
/*
 * debugfs: control ("begin <label>", "end", "sync": userspace brackets
 * and waiting for unbind verdicts) and results (the KTAP lines so far).
 */

#include "unplug_verify.h"

static struct dentry *uv_dir;

static ssize_t uv_control_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	char buf[UV_NAME_LEN + 8], *cmd;
	unsigned long flags;
	struct uv_op *op;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	cmd = strim(buf);

	if (!strncmp(cmd, "begin ", 6)) {
		raw_spin_lock_irqsave(&uv_lock, flags);
		op = uv_op_open(UV_OP_BRACKET, strim(cmd + 6));
		raw_spin_unlock_irqrestore(&uv_lock, flags);
		return op ? count : -ENOSPC;
	}
	if (!strcmp(cmd, "end")) {
		/* Unbind verdicts still in flight come first, in order. */
		flush_work(&uv_work);
		raw_spin_lock_irqsave(&uv_lock, flags);
		op = uv_op_find_open(UV_OP_BRACKET, NULL);
		if (op)
			uv_op_close(op);
		raw_spin_unlock_irqrestore(&uv_lock, flags);
		if (!op)
			return -EINVAL;
		uv_report(op, NULL, false);
		uv_op_release(op);
		return count;
	}
	if (!strcmp(cmd, "sync")) {
		flush_work(&uv_work);
		return count;
	}
	return -EINVAL;
}

static int uv_control_show(struct seq_file *m, void *v)
{
	unsigned long flags;
	int i, depth;

	mutex_lock(&uv_report_lock);
	seq_printf(m, "tests %d failed %u\n", uv_test_no, uv_failed_ops);
	mutex_unlock(&uv_report_lock);
	raw_spin_lock_irqsave(&uv_lock, flags);
	depth = uv_depth;
	seq_printf(m, "overflow objects %lu defer %lu ops %lu\n",
		   uv_obj_overflow, uv_defer_overflow, uv_op_overflow);
	for (i = 0; i < depth; i++)
		seq_printf(m, "open %s\n", uv_ops[uv_stack[i]].label);
	raw_spin_unlock_irqrestore(&uv_lock, flags);
	return 0;
}

static int uv_control_open(struct inode *inode, struct file *file)
{
	return single_open(file, uv_control_show, NULL);
}

static const struct file_operations uv_control_fops = {
	.owner = THIS_MODULE,
	.open = uv_control_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = uv_control_write,
};

static ssize_t uv_results_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&uv_report_lock);
	ret = simple_read_from_buffer(ubuf, count, ppos, uv_results,
				      uv_results_len);
	mutex_unlock(&uv_report_lock);
	return ret;
}

static const struct file_operations uv_results_fops = {
	.owner = THIS_MODULE,
	.read = uv_results_read,
	.llseek = default_llseek,
};

void uv_debugfs_init(void)
{
	uv_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("control", 0600, uv_dir, NULL, &uv_control_fops);
	debugfs_create_file("results", 0400, uv_dir, NULL, &uv_results_fops);
}

void uv_debugfs_exit(void)
{
	debugfs_remove_recursive(uv_dir);
}
