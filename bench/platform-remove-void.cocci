// Timing equivalent of unplug's platform-remove-void: initializers that
// set .remove, and the callback's type and final "return 0;" in the same
// file. (It does not check other return paths nor follow helpers across
// files, which unplug does; so it also rewrites callbacks that need a
// preparation patch.)
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
  ...
- return 0;
  }
