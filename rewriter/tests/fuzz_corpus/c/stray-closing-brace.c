};
void f(void)
{
	list_for_each_entry(p, &h, node) {
		g(p);
	}
}
