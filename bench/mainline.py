#!/usr/bin/env python3
"""A campaign on an old tree against what mainline did by a newer one.

usage: bench/mainline.py PATTERN OLD_TREE NEW_TREE [--path DIR]...
       (UNPLUG_PATTERNS=DIR adds `--patterns DIR` for a campaign of your own)

Scans OLD_TREE (with --assume-api, as for series that go on top of the
core change) and NEW_TREE, and prints, for the old tree's sites: how many
per verdict, how many mainline converted by the new tree (a `converted`
site of the new tree in the same file and context: function, or the
initializer's variable), how many of those unplug rewrites (`auto`), the
scan times, whether the rewrite diff applies to the old tree, and whether
a second run over the rewritten tree changes anything. The old tree is
only read: the rewrite goes to a hard-linked copy under $TMPDIR, whose
files `--in-place` replaces rather than writes through.
"""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNPLUG = os.path.join(REPO, "target", "release", "unplug")


EXTRA = ["--patterns", os.environ["UNPLUG_PATTERNS"]] if os.environ.get("UNPLUG_PATTERNS") else []


def scan(tree, pattern, paths):
    args = [UNPLUG, "scan", tree, "--pattern", pattern, "--assume-api", "--json"] + EXTRA + paths
    start = time.monotonic()
    out = subprocess.run(args, capture_output=True, text=True)
    took = time.monotonic() - start
    if out.returncode not in (0, 1):
        sys.exit(f"scan failed: {out.stderr}")
    return json.loads(out.stdout)["sites"], took


def rewrite(tree, pattern, paths, extra=()):
    args = [UNPLUG, "rewrite", tree, "--pattern", pattern, "--assume-api", *extra] + EXTRA + paths
    return subprocess.run(args, capture_output=True).stdout


def main():
    pattern, old, new = sys.argv[1:4]
    paths = sys.argv[4:]  # passed on as they are: --path DIR ...
    old_sites, old_t = scan(old, pattern, paths)
    new_sites, new_t = scan(new, pattern, paths)
    legacy = [s for s in old_sites if s["verdict"] != "converted"]
    landed = {(s["file"], s.get("context")) for s in new_sites if s["verdict"] == "converted"}
    still = {(s["file"], s.get("context")) for s in new_sites if s["verdict"] != "converted"}
    verdicts = collections.Counter(s["verdict"] for s in old_sites)
    by_mainline = [s for s in legacy if (s["file"], s.get("context")) in landed]
    print(f"{pattern}: old tree sites per verdict: {dict(verdicts)}")
    print(f"  new tree sites per verdict: {dict(collections.Counter(s['verdict'] for s in new_sites))}")
    print(f"  legacy sites converted by mainline: {len(by_mainline)} of {len(legacy)}; "
          f"of those auto here: {sum(s['verdict'] == 'auto' for s in by_mainline)}")
    print(f"  legacy sites still legacy in the new tree: "
          f"{sum((s['file'], s.get('context')) in still for s in legacy)}")
    print(f"  scan: {old_t:.2f} s (old), {new_t:.2f} s (new)")
    diff = rewrite(old, pattern, paths)
    check = subprocess.run(["git", "apply", "--check", "-"], input=diff, cwd=old, capture_output=True)
    print(f"  diff: {diff.count(b'+++ b/')} files, git apply --check: "
          f"{'ok' if check.returncode == 0 else check.stderr.decode()[:200]}")
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "tree")
        subprocess.run(["cp", "-al", old, copy], check=True)
        rewrite(copy, pattern, paths, ["--in-place"])
        again = rewrite(copy, pattern, paths)
        print(f"  second run: {'empty' if not again else f'{len(again)} bytes of diff'}")
        shutil.rmtree(copy)


if __name__ == "__main__":
    main()
