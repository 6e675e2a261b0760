# Makes DriverChanges (JSON) for series/tests/compare_get_maintainer.sh: the
# "platform remove callback returning void" conversion of drivers whose
# remove callback only ever returns 0.  usage: mkconv.py TREE OUT.json FILE...
import re, json, sys, os
tree = sys.argv[1]; out = sys.argv[2]; files = sys.argv[3:]
changes = []
for f in files:
    src = open(os.path.join(tree, f), 'rb').read().decode('utf-8', 'surrogateescape')
    m = re.search(r'static int (\w+_remove)\(struct platform_device \*(\w+)\)\n\{\n(.*?)\n\}\n', src, re.S)
    if not m: continue
    body = m.group(3)
    if not re.search(r'\n\n\treturn 0;$', body) or body.count('return') != 1: continue
    name = m.group(1)
    if ('.remove = %s,' % name) not in src and ('.remove\t= %s,' % name) not in src and ('.remove\t\t= %s,' % name) not in src: continue
    nb = re.sub(r'\n\n\treturn 0;$', '', body)
    new = src[:m.start()] + 'static void %s(struct platform_device *%s)\n{\n%s\n}\n' % (name, m.group(2), nb) + src[m.end():]
    new = re.sub(r'\.remove(\s*)= %s,' % name, lambda mm: '.remove_new%s= %s,' % (mm.group(1), name), new)
    b = src.encode('utf-8', 'surrogateescape'); a = new.encode('utf-8', 'surrogateescape')
    changes.append({"key": f, "files": [{"rel_path": f, "before": list(b), "after": list(a), "mode": 0o100644}], "shared_helper": None})
json.dump(changes, open(out, 'w'))
print(len(changes), "changes")
