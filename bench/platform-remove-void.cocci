// A strict equivalent of unplug's platform-remove-void: callbacks whose
// every return is "return 0;", in the file of the initializer.
@r@
identifier drv, fn;
@@
struct platform_driver drv = {
-	.remove = fn,
+	.remove_new = fn,
};

@depends on r@
identifier r.fn, pdev;
@@
- int
+ void
fn(struct platform_device *pdev)
{
	... when != return -E...;
	    when strict
-	return 0;
}
