#!/bin/bash
# Side-by-side timing of unplug and spatch on Debian's 6.1 drivers/ tree.
#   bench/run.sh [PATTERN] [RUNS]     (default: platform-remove-void, 3 runs)
# Fetches linux-source-6.1 with apt-get download into $UNPLUG_BENCH_CACHE
# (default ~/.cache/unplug/bench), installs coccinelle if missing, then
# alternates unplug rewrite and spatch runs and prints both medians, their
# ratio and peak RSS. Not part of CI: spatch alone takes minutes.
set -euo pipefail
pattern=${1:-platform-remove-void}
runs=${2:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${UNPLUG_BENCH_CACHE:-$HOME/.cache/unplug/bench}
tree=$cache/linux-6.1
mkdir -p "$cache"
if [ ! -f "$tree/Makefile" ]; then
	(cd "$cache" && apt-get download linux-source-6.1 && dpkg-deb -x linux-source-6.1_*.deb src &&
	 mkdir -p linux-6.1 && tar -xJf src/usr/src/linux-source-6.1.tar.xz -C linux-6.1 --strip-components=1 &&
	 rm -rf src)
fi
command -v spatch >/dev/null || apt-get install -y -qq coccinelle
(cd "$repo" && cargo build --release --quiet)
unplug=$repo/target/release/unplug
flags=""
[ "$pattern" = class-create-no-owner ] && flags="--assume-api"

measure() { # prints "seconds peak_kib"
	/usr/bin/time -f "%e %M" -o "$cache/time.txt" "$@" > /dev/null 2>&1 || true
	cat "$cache/time.txt"
}
u=(); s=(); ur=0; sr=0
for i in $(seq "$runs"); do
	read -r t m < <(measure "$unplug" rewrite "$tree" --pattern "$pattern" --path drivers $flags)
	u+=("$t"); [ "$m" -gt "$ur" ] && ur=$m
	read -r t m < <(cd "$tree" && measure spatch --sp-file "$repo/bench/$pattern.cocci" --dir drivers -j "$(nproc)" --very-quiet)
	s+=("$t"); [ "$m" -gt "$sr" ] && sr=$m
	echo "run $i: unplug ${u[-1]} s, spatch ${s[-1]} s" >&2
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mu=$(median "${u[@]}"); ms=$(median "${s[@]}")
echo "$pattern over 6.1 drivers/, $runs runs, $(nproc) cores"
echo "unplug rewrite: median ${mu} s, peak RSS $((ur / 1024)) MiB"
echo "spatch $(spatch --version | head -1 | awk '{print $3}'): median ${ms} s, peak RSS $((sr / 1024)) MiB"
awk -v a="$ms" -v b="$mu" 'BEGIN { printf "ratio: unplug is %.1fx faster\n", a / b }'
