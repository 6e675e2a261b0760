#!/bin/bash
# Side-by-side timing of unplug and spatch on Debian's 6.1 drivers/ tree.
#   bench/run.sh [PATTERN] [RUNS] [SUBDIR...]
#     (default: platform-remove-void, 3 runs, drivers)
# Fetches linux-source-6.1 with apt-get download into $UNPLUG_BENCH_CACHE
# (default ~/.cache/unplug/bench), installs coccinelle if missing, then
# alternates unplug rewrite and spatch runs and prints both medians, their
# ratio and peak RSS. Not part of CI: spatch alone takes minutes.
# With several SUBDIRs, unplug gets one --path each and spatch every .c
# file below them, one per file group (as --dir would take them).
# UNPLUG_BENCH_TREE names an extracted tree to use instead of fetching one;
# UNPLUG_BENCH_UNPLUG a binary to time instead of building this checkout.
set -euo pipefail
pattern=${1:-platform-remove-void}
runs=${2:-3}
shift $(($# < 2 ? $# : 2))
subdirs=("${@:-drivers}")
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${UNPLUG_BENCH_CACHE:-$HOME/.cache/unplug/bench}
tree=${UNPLUG_BENCH_TREE:-$cache/linux-6.1}
mkdir -p "$cache"
if [ ! -f "$tree/Makefile" ] && [ -z "${UNPLUG_BENCH_TREE:-}" ]; then
	(cd "$cache" && apt-get download linux-source-6.1 && dpkg-deb -x linux-source-6.1_*.deb src &&
	 mkdir -p linux-6.1 && tar -xJf src/usr/src/linux-source-6.1.tar.xz -C linux-6.1 --strip-components=1 &&
	 rm -rf src)
fi
command -v spatch >/dev/null || apt-get install -y -qq coccinelle
unplug=${UNPLUG_BENCH_UNPLUG:-}
if [ -z "$unplug" ]; then
	(cd "$repo" && cargo build --release --quiet)
	unplug=${CARGO_TARGET_DIR:-$repo/target}/release/unplug
fi
flags=()
[ "$pattern" = class-create-no-owner ] && flags=(--assume-api)
paths=(); for d in "${subdirs[@]}"; do paths+=(--path "$d"); done
if [ "${#subdirs[@]}" = 1 ]; then
	spatch_in=(--dir "${subdirs[0]}")
else
	(cd "$tree" && find "${subdirs[@]}" -name '*.c' -type f | sort | awk '{print; print ""}') > "$cache/groups.txt"
	spatch_in=(--file-groups "$cache/groups.txt")
fi

measure() { # prints "seconds peak_kib"
	/usr/bin/time -f "%e %M" -o "$cache/time.txt" "$@" > /dev/null 2>&1 || true
	cat "$cache/time.txt"
}
load0=$(cut -d' ' -f1-3 /proc/loadavg)
u=(); s=(); ur=0; sr=0
for i in $(seq "$runs"); do
	read -r t m < <(measure "$unplug" rewrite "$tree" --pattern "$pattern" "${paths[@]}" "${flags[@]}")
	u+=("$t"); [ "$m" -gt "$ur" ] && ur=$m
	read -r t m < <(cd "$tree" && measure spatch --sp-file "$repo/bench/$pattern.cocci" "${spatch_in[@]}" -j "$(nproc)" --very-quiet)
	s+=("$t"); [ "$m" -gt "$sr" ] && sr=$m
	echo "run $i: unplug ${u[-1]} s, spatch ${s[-1]} s (load $(cut -d' ' -f1 /proc/loadavg))" >&2
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mu=$(median "${u[@]}"); ms=$(median "${s[@]}")
echo "$pattern over 6.1 ${subdirs[*]}, $runs runs, $(nproc) cores, load before: $load0, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "unplug rewrite: median ${mu} s, peak RSS $((ur / 1024)) MiB"
echo "spatch $(spatch --version | head -1 | awk '{print $3}'): median ${ms} s, peak RSS $((sr / 1024)) MiB"
awk -v a="$ms" -v b="$mu" 'BEGIN { printf "ratio: unplug is %.1fx faster\n", a / b }'
