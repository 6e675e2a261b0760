#!/bin/bash
# Compile check of a campaign's rewrite on a configured 6.1 tree (not CI:
# it configures and prepares a kernel tree twice, several minutes).
#   bench/compile_check.sh [PATTERN] [SAMPLE] [SEED]
# Fetches linux-source-6.1 and Debian's linux-headers-<abi>-amd64 (for its
# .config) with apt-get download into $UNPLUG_BENCH_CACHE (default
# ~/.cache/unplug/bench), rewrites a hard-linked copy of the tree in place,
# configures both (make O=... olddefconfig prepare) and builds the object
# files of SAMPLE random converted drivers enabled in that config, before
# and after. Prints how many compile before and after.
set -euo pipefail
pattern=${1:-platform-remove-void}
sample=${2:-40}
seed=${3:-1}
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${UNPLUG_BENCH_CACHE:-$HOME/.cache/unplug/bench}
tree=$cache/linux-6.1
work=$cache/compile-check
mkdir -p "$cache"
if [ ! -f "$tree/Makefile" ]; then
	(cd "$cache" && apt-get download linux-source-6.1 && dpkg-deb -x linux-source-6.1_*.deb src &&
	 mkdir -p linux-6.1 && tar -xJf src/usr/src/linux-source-6.1.tar.xz -C linux-6.1 --strip-components=1 && rm -rf src)
fi
hdr=$(apt-cache depends linux-headers-amd64 | awk '/Depends: linux-headers-/ {print $2; exit}')
config=$cache/$hdr/usr/src/$hdr/.config
if [ ! -f "$config" ]; then
	(cd "$cache" && apt-get download "$hdr" && dpkg-deb -x "$hdr"_*.deb "$hdr")
fi
for tool in flex bison bc make gcc; do command -v $tool >/dev/null || need="${need:-} $tool"; done
dpkg -s libelf-dev libssl-dev >/dev/null 2>&1 || need="${need:-} libelf-dev libssl-dev"
[ -z "${need:-}" ] || apt-get install -y -qq $need
(cd "$repo" && cargo build --release --quiet)

rm -rf "$work" && mkdir -p "$work"
cp -al "$tree" "$work/src-after"
# --in-place replaces files by rename: the hard links to the original break.
"$repo/target/release/unplug" rewrite "$work/src-after" --pattern "$pattern" --path drivers --in-place 2> "$work/rewrite.log" || true
changed=$(cd "$work/src-after" && find drivers -name '*.c' -links 1 | sort)

enabled() { # is the object of $1 built in this config?
	local dir obj var
	dir=$(dirname "$1"); obj=$(basename "$1" .c).o
	var=$(grep -hE "^obj-\\\$\\((CONFIG_[A-Z0-9_]+)\\)[[:space:]]*[+:]?=.*[[:space:]]$obj([[:space:]]|\$)" "$tree/$dir/Makefile" 2>/dev/null | head -1 | sed -E 's/^obj-\$\((CONFIG_[A-Z0-9_]+)\).*/\1/')
	[ -n "$var" ] && grep -qE "^$var=(y|m)$" "$config"
}
picked=()
while read -r f; do enabled "$f" && picked+=("$f"); done < <(echo "$changed" | awk -v s="$seed" 'BEGIN{srand(s)} {print rand() "\t" $0}' | sort | cut -f2)
picked=("${picked[@]:0:$sample}")
echo "$(echo "$changed" | wc -l) files rewritten; ${#picked[@]} sampled among those enabled in $hdr's config"

for side in before after; do
	src=$tree; [ $side = after ] && src=$work/src-after
	mkdir -p "$work/out-$side" && cp "$config" "$work/out-$side/.config"
	make -s -C "$src" O="$work/out-$side" olddefconfig > "$work/$side.log" 2>&1
	make -s -C "$src" O="$work/out-$side" -j"$(nproc)" prepare modules_prepare >> "$work/$side.log" 2>&1
done
ok_before=0; ok_after=0; regressions=()
for f in "${picked[@]}"; do
	o=${f%.c}.o
	b=0; a=0
	make -s -C "$tree" O="$work/out-before" "$o" >> "$work/before.log" 2>&1 && b=1
	make -s -C "$work/src-after" O="$work/out-after" "$o" >> "$work/after.log" 2>&1 && a=1
	ok_before=$((ok_before + b)); ok_after=$((ok_after + a))
	[ $b = 1 ] && [ $a = 0 ] && regressions+=("$f")
	echo "$f: before $([ $b = 1 ] && echo ok || echo FAIL), after $([ $a = 1 ] && echo ok || echo FAIL)"
done
echo "compiled before: $ok_before/${#picked[@]}, after: $ok_after/${#picked[@]}, regressions: ${#regressions[@]}"
[ ${#regressions[@]} -eq 0 ]
