// Equivalent of unplug's class-create-no-owner rule, for timing.
@@
expression name;
@@
- class_create(THIS_MODULE, name)
+ class_create(name)
