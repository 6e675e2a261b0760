#!/usr/bin/env python3
"""Compare unplug's platform-remove-void output on 6.1 with mainline 6.12.

usage: bench/compare_mainline.py CONVERTED_6.1_TREE ORIGINAL_6.1_TREE TREE_6.12

For every remove callback unplug turned void in the converted 6.1 tree,
find the same function in the 6.12 tree (same file) and compare the
definitions: identical, identical up to white space, or different.
Prints the counts and writes the differing pairs to compare-mainline.txt.
Later commits changed many callbacks again (spi_master -> spi_controller,
unregister order): "conversion-equivalent" compares what the conversion
decides (returns and the closing of the body), not the rest.
"""
import os
import re
import sys

SIG = re.compile(r'^(static\s+)?void\s+(?:__exit\s+)?(\w+)\(struct platform_device \*\w+\)\n\{\n', re.M)


def function(text, name):
    m = re.search(r'^(?:static\s+)?(?:int|void)\s+(?:__exit\s+)?' + re.escape(name) +
                  r'\(struct platform_device \*\w+\)\n\{\n', text, re.M)
    if not m:
        return None
    end = text.find('\n}\n', m.end() - 2)
    return None if end < 0 else text[m.start():end + 3]


def conversion_shape(fn):
    """What the conversion itself decides: no value returned anywhere, how
    many bare returns, and no blank line before the closing brace."""
    lines = fn.rstrip('\n').split('\n')
    return ('return 0;' not in fn, fn.count('return;'), lines[-2].strip() != '')


def main():
    conv, orig, new = sys.argv[1:4]
    same = ws = diff = missing = shape = 0
    out = []
    for root, _, files in os.walk(os.path.join(conv, 'drivers')):
        for f in files:
            if not f.endswith('.c'):
                continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, conv)
            a = open(path, encoding='latin-1').read()
            b = open(os.path.join(orig, rel), encoding='latin-1').read()
            if a == b:
                continue
            for m in SIG.finditer(a):
                name = m.group(2)
                ours = function(a, name)
                if function(b, name) == ours:
                    continue  # unchanged by unplug
                try:
                    theirs = function(open(os.path.join(new, rel), encoding='latin-1').read(), name)
                except FileNotFoundError:
                    theirs = None
                if theirs is None:
                    missing += 1
                elif theirs == ours:
                    same += 1
                elif re.sub(r'\s+', '', theirs) == re.sub(r'\s+', '', ours):
                    ws += 1
                else:
                    diff += 1
                    if conversion_shape(ours) == conversion_shape(theirs):
                        shape += 1
                    out.append(f'== {rel}: {name}\n--- unplug\n{ours}--- 6.12\n{theirs}')
    total = same + ws + diff
    print(f'compared {total} converted callbacks with 6.12 ({missing} not found there: renamed, moved or removed)')
    print(f'identical: {same} ({100 * same / max(total, 1):.1f}%), same up to white space: {ws}, different: {diff}')
    print(f'of the different ones, {shape} differ only in code the conversion does not touch '
          f'(same returns, same closing): conversion-equivalent {same + ws + shape} ({100 * (same + ws + shape) / max(total, 1):.1f}%)')
    with open('compare-mainline.txt', 'w') as fh:
        fh.write('\n'.join(out))


main()
