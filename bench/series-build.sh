#!/bin/bash
# `unplug series --check --build` on a real kernel tree (not CI: a cold
# run configures and prepares allmodconfig build directories, many
# minutes on 2 cores).
#   bench/series-build.sh [TREE] [WORK]
# TREE: a kernel source tree (default: linux-source-6.1 fetched with
# apt-get download into $UNPLUG_BENCH_CACHE, default ~/.cache/unplug/bench).
# WORK: build cache and output (default $UNPLUG_BENCH_CACHE/series-build).
# Runs the platform-remove-void series of drivers/gpio, drivers/i2c and
# drivers/spi twice: cold (empty build cache) and warm, with nice -n 10
# and -j2, and prints the times and the share built / regression /
# not-built with the reasons. Installs the cross compilers it uses.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${UNPLUG_BENCH_CACHE:-$HOME/.cache/unplug/bench}
tree=${1:-$cache/linux-6.1}
work=${2:-$cache/series-build}
mkdir -p "$cache" "$work"
if [ ! -f "$tree/Makefile" ]; then
	(cd "$cache" && apt-get download linux-source-6.1 && dpkg-deb -x linux-source-6.1_*.deb src &&
	 mkdir -p linux-6.1 && tar -xJf src/usr/src/linux-source-6.1.tar.xz -C linux-6.1 --strip-components=1 && rm -rf src)
fi
pkgs="flex bison bc libelf-dev libssl-dev gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf gcc-riscv64-linux-gnu
      gcc-powerpc64-linux-gnu gcc-powerpc-linux-gnu gcc-mips-linux-gnu gcc-m68k-linux-gnu gcc-sh4-linux-gnu"
# shellcheck disable=SC2086
dpkg -s $pkgs > /dev/null 2>&1 || apt-get install -y -q $pkgs > /dev/null
(cd "$repo" && cargo build --release -q)
unplug=${CARGO_TARGET_DIR:-$repo/target}/release/unplug

run() {
	local out=$1
	shift
	local start=$(date +%s)
	nice -n 10 "$unplug" series "$tree" --pattern platform-remove-void \
		--path drivers/gpio --path drivers/i2c --path drivers/spi \
		--from "Jane Janitor <jane@example.org>" --signoff --out "$out" "$@" > "$out.txt" 2> "$out.err" || true
	echo $(( $(date +%s) - start ))
}
summary() {
	python3 - "$1/series.json" <<'PY'
import json, sys, collections
r = json.load(open(sys.argv[1]))
ps = [p for s in r["series"] for p in s["patches"]]
st = collections.Counter(p["build"]["status"] for p in ps)
arch = collections.Counter(p["build"]["arch"] for p in ps if p["build"]["status"] == "built")
print(f"{len(ps)} patches: " + ", ".join(f"{k} {v} ({100*v/len(ps):.1f}%)" for k, v in sorted(st.items())))
print("built on: " + ", ".join(f"{k} {v}" for k, v in arch.most_common()))
for p in ps:
    if p["build"]["status"] != "built":
        print(f"  {p['build']['status']}: {p['files'][0]}: {p['build']['reason']}")
PY
}
rm -rf "$work/cache"
check=$(run "$work/check-only" --check)
cold=$(run "$work/cold" --check --build --build-cache "$work/cache" --jobs 2)
warm=$(run "$work/warm" --check --build --build-cache "$work/cache" --jobs 2)
echo "--check alone: ${check}s; --check --build cold: ${cold}s; warm: ${warm}s"
summary "$work/warm"
