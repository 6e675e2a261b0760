#!/bin/bash
# CI for real in-tree drivers (issue 17), after verifier-kmod/ci.sh (which
# installs QEMU, busybox-static, gcc and fetches the test kernels).
#
# 1. The fastest recipe, pcspkr, from Debian's linux-source of both
#    kernels (fetched by unplug itself): legacy and converted on 6.1,
#    mainline on 6.12, written as KCIDB I/O JSON too; the 6.12 verdict
#    recorded in a campaign's ledger and shown by its report; qemu_fw_cfg
#    on 6.12 (a regression test of the verifier's tail-call probes).
# 2. That KCIDB file must validate against the schema of the PyPI
#    kcidb-io package (installed into a venv under target/).
# 3. A deliberately broken driver source: its build fails with an error
#    naming the step and the build log, and the next driver still runs.
#
# Usage: verifier-kmod/drivers-ci.sh path/to/unplug
set -euo pipefail
unplug=$1
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. pcspkr on both kernels, recorded in a campaign of the 6.1 tree.
"$unplug" verify --driver drivers/input/misc/pcspkr.c --kernel 6.1 \
	--kcidb "$work/kcidb-6.1.json" | tee "$work/out-6.1.txt"
tree61=$(find "${UNPLUG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/unplug}/src" -maxdepth 2 -name linux-source-6.1 | head -1)
"$unplug" scan "$tree61" --path drivers/input/misc/pcspkr.c --pattern platform-remove-void \
	--campaign "$work/campaign" > /dev/null
"$unplug" verify --driver drivers/input/misc/pcspkr.c --kernel 6.12 \
	--kcidb "$work/kcidb-6.12.json" --campaign "$work/campaign" | tee "$work/out-6.12.txt"
# qemu_fw_cfg on 6.12: unplug_verify once oopsed placing a tail-call probe
# in its last function (kallsyms gave it an end past the module text).
"$unplug" verify --driver qemu_fw_cfg --kernel 6.12 | tee "$work/fw-6.12.txt"
grep -Eq '^qemu_fw_cfg +6\.12 +mainline +ok' "$work/fw-6.12.txt"
grep -Eq '^pcspkr +6\.1 +legacy +ok' "$work/out-6.1.txt"
grep -Eq '^pcspkr +6\.1 +converted +ok' "$work/out-6.1.txt"
grep -Eq '^pcspkr +6\.12 +mainline +ok' "$work/out-6.12.txt"
"$unplug" report --campaign "$work/campaign" --format md | tee "$work/report.md" | grep -F 'pcspkr'
grep -q '6.12 mainline ok' "$work/report.md"
# The same recipe from a series: --check --verify runs the patched driver
# as the tree has it and as the patch makes it, into series.json.
"$unplug" series "$tree61" --pattern platform-remove-void --path drivers/input/misc/pcspkr.c \
	--out "$work/series" --check --verify --signoff --from "CI <ci@example.org>" | tee "$work/series.txt"
grep -q '\[6.1 converted: ok\]' "$work/series.txt"
python3 - "$work/series/series.json" <<'PY'
import json, sys
patches = [p for s in json.load(open(sys.argv[1]))["series"] for p in s["patches"]]
runs = {(v["kernel"], v["variant"]): v for p in patches for v in p.get("verify", [])}
assert runs[("6.1", "legacy")]["verdict"] == "ok", runs
assert runs[("6.1", "converted")]["verdict"] == "ok", runs
assert runs[("6.1", "converted")]["objects"] > 0, runs
print("series --check --verify: ok")
PY

# 2. KCIDB I/O schema of kcidb-io.
venv=$repo/target/kcidb-venv
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv" || {
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
	python3 -m venv "$venv"
}
"$venv/bin/python" -c 'import kcidb_io' 2>/dev/null || "$venv/bin/pip" install -q kcidb-io
for k in 6.1 6.12; do
	"$venv/bin/python" - "$work/kcidb-$k.json" <<'PY'
import json, sys
import kcidb_io
data = json.load(open(sys.argv[1]))
kcidb_io.schema.LATEST.validate_exactly(data)
assert data["tests"] and all(t["origin"] == "unplug" for t in data["tests"])
assert all(t["status"] == "PASS" for t in data["tests"]), data["tests"]
print(f"{sys.argv[1]}: valid KCIDB I/O {kcidb_io.schema.LATEST.major}.{kcidb_io.schema.LATEST.minor}: "
      f"{len(data['checkouts'])} checkout, {len(data['builds'])} builds, {len(data['tests'])} tests")
PY
done

# 3. A broken driver first, a good one after it, in a tree of just these
#    two drivers (and the header the pattern's interface check reads).
t=$work/tree
mkdir -p "$t/drivers/input/misc" "$t/drivers/watchdog" "$t/include/linux"
cp "$tree61/Makefile" "$t/"
cp "$tree61/include/linux/platform_device.h" "$t/include/linux/"
cp "$tree61/drivers/input/misc/pcspkr.c" "$tree61/drivers/input/misc/Makefile" "$t/drivers/input/misc/"
cp "$tree61/drivers/watchdog/ib700wdt.c" "$tree61/drivers/watchdog/Makefile" "$t/drivers/watchdog/"
echo '#error deliberately broken by drivers-ci.sh' >> "$t/drivers/watchdog/ib700wdt.c"
kmod=$work/kmod
cp -r "$repo/verifier-kmod" "$kmod"
rm -rf "$kmod/drivers"
mkdir "$kmod/drivers"
cp "$repo/verifier-kmod/drivers/ib700wdt.yaml" "$repo/verifier-kmod/drivers/pcspkr.yaml" "$kmod/drivers/"
rc=0
"$unplug" verify --suite drivers --tree "$t" --kmod-dir "$kmod" > "$work/broken.txt" 2>&1 || rc=$?
cat "$work/broken.txt"
[ "$rc" = 1 ] || { echo "drivers-ci: broken source: exit $rc, expected 1"; exit 1; }
grep -Eq '^ib700wdt +6\.1 +legacy +error .*failed at build: .*log: .*build\.log' "$work/broken.txt"
grep -Eq '^pcspkr +6\.1 +converted +ok' "$work/broken.txt"
echo "drivers-ci: ok"
