#!/usr/bin/env python3
"""Compare the KTAP output of two runs of the verifier suite.

Usage: verifier-kmod/ktap-compare.py BEFORE_DIR AFTER_DIR

Each directory holds console logs as `unplug verify` writes them
(unplug/logs/<scenario>-<krel>.log of the cache).  For every log in both,
the KTAP lines (`KTAP version`, `ok`/`not ok` results, `#` diagnostics)
are taken without their printk timestamps, and what differs from boot to
boot by design is masked: raw addresses (KASLR moves module memory),
%p-hashed pointers and guest pids.  A log is then

  identical        the same KTAP lines, byte for byte;
  same verdicts    the same distinct results (verdict, label with numbers
                   masked, SKIP reason), the diagnostics differ: the
                   scenarios that churn devices judge a varying number of
                   operations and see varying event orders;
  DIFFERENT        another result.

Exit status: 0 if no log is DIFFERENT and both sides have the same logs,
1 otherwise, 2 for bad usage.
"""
import pathlib
import re
import sys

KTAP = re.compile(r"^(KTAP version \d+|(not )?ok \d+ .*|# .*)$")
STAMP = re.compile(r"^\[ *\d+\.\d+\] ")
ADDR = re.compile(r"0x[0-9a-f]{16}")
HASHED = re.compile(r"@[0-9a-f]{8,16}\b")
PID = re.compile(r"\(pid \d+\)")
RESULT = re.compile(r"^(not ok|ok) \d+ (.*)$")


def ktap_lines(path):
    """The KTAP lines of a console log, masked."""
    out = []
    for raw in path.read_text(errors="replace").splitlines():
        line = STAMP.sub("", raw)
        if KTAP.match(line):
            line = HASHED.sub("@<ptr>", ADDR.sub("0x<addr>", line))
            out.append(PID.sub("(pid <n>)", line))
    return out


def verdicts(lines):
    """Distinct results: verdict and label, numbers in the label masked."""
    seen = set()
    for line in lines:
        m = RESULT.match(line)
        if m:
            seen.add((m.group(1), re.sub(r"\d+", "N", m.group(2))))
    return seen


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    before, after = (pathlib.Path(a) for a in argv[1:])
    for d in (before, after):
        if not d.is_dir():
            print(f"ktap-compare: {d}: not a directory", file=sys.stderr)
            return 2
    names_b = {p.name for p in before.glob("*.log")}
    names_a = {p.name for p in after.glob("*.log")}
    bad = 0
    for name in sorted(names_b ^ names_a):
        side = "before" if name in names_b else "after"
        print(f"ONLY {side:6} {name}")
        bad += 1
    for name in sorted(names_b & names_a):
        b, a = ktap_lines(before / name), ktap_lines(after / name)
        if b == a:
            state = "identical"
        elif verdicts(b) == verdicts(a):
            state = "same verdicts"
        else:
            state = "DIFFERENT"
            bad += 1
        print(f"{state:13} {name} ({len(b)} -> {len(a)} KTAP lines)")
        if state == "DIFFERENT":
            for v in sorted(verdicts(b) - verdicts(a)):
                print(f"  - {' '.join(v)}")
            for v in sorted(verdicts(a) - verdicts(b)):
                print(f"  + {' '.join(v)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
