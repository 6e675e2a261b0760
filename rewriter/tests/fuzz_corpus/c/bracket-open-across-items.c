static DEFINE_MUTEX(static SIMPLE_DEV_PM_OPS(pm, a, b);sr_lock);
static int f(void)
{
	return 0;
}
