#!/bin/bash
# Shows that two builds of unplug give the same bytes where a refactor must
# not change anything: `scan --json`, the files `series` writes, and the
# KTAP the verifier module prints.
#
#   bench/same_bytes.sh outputs BEFORE_UNPLUG AFTER_UNPLUG TREE [SUBDIR]...
#   bench/same_bytes.sh ktap BEFORE_LOGS AFTER_LOGS
#
# `outputs` runs both builds on TREE (restricted to each SUBDIR with
# --path; the whole tree without one): `scan --json` (every default
# pattern), and `series` for each pattern (with --json and with the
# table), written into
# a temporary directory with a fixed `--date` and `--from` so that the mails
# do not depend on the clock or on git config. Each output, exit code and
# stderr is compared byte for byte.
#
# `ktap` compares the KTAP documents in two directories of console logs a
# verifier run left (`~/.cache/unplug/logs/*.log` after `unplug verify
# --suite ci`, one directory per build: booting QEMU is slow, so the runs
# are recorded beforehand). From each log it keeps the lines of the KTAP
# document (version line, results, `#` diagnostics) without the console
# timestamp; kernel addresses that are not symbols (`0xffffffffc0339...`,
# module text without symbols, which KASLR places anew at every boot) are
# written as `0x<addr>`, and process ids as `(pid <n>)`. Logs present in
# only one directory are listed and skipped. What stays run-dependent: the
# order of reference events of devices probed asynchronously (the
# `ahci-sda-held` scenario) can differ between two boots of one build.
#
# Exit status: 0 when everything is byte-identical, 1 when something
# differs (each difference is named), 2 for bad usage.
set -euo pipefail

usage() {
	echo "usage: $0 outputs BEFORE_UNPLUG AFTER_UNPLUG TREE [SUBDIR]... | ktap BEFORE_LOGS AFTER_LOGS" >&2
	exit 2
}

# record UNPLUG TREE OUT SUBDIR...: every output of one build into OUT.
record() {
	local unplug=$1 tree=$2 out=$3
	shift 3
	local paths=()
	for p in "$@"; do paths+=(--path "$p"); done
	mkdir -p "$out"
	run() { # name, then the command's arguments
		local name=$1 rc=0
		shift
		"$unplug" "$@" >"$out/$name.out" 2>"$out/$name.err" || rc=$?
		echo "$rc" >"$out/$name.rc"
	}
	run scan-json scan "$tree" "${paths[@]}" --json
	local ids
	ids=$("$unplug" patterns list | awk 'NR > 1 && $1 !~ /^\(/ {print $1}')
	for id in $ids; do
		run "series-$id" series "$tree" --pattern "$id" "${paths[@]}" \
			--out "$out/series-$id.d" --date 1700000000 \
			--from "Unplug Bench <bench@example.invalid>" --json
		run "series-$id-table" series "$tree" --pattern "$id" "${paths[@]}" \
			--out "$out/series-$id-table.d" --date 1700000000 \
			--from "Unplug Bench <bench@example.invalid>"
	done
}

outputs() {
	[ $# -ge 3 ] || usage
	local before=$1 after=$2 tree=$3
	shift 3
	# global: the EXIT trap runs after this function returned
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	# both builds write into the same path: reports that name it compare
	record "$before" "$tree" "$work/out" "$@"
	mv "$work/out" "$work/before"
	record "$after" "$tree" "$work/out" "$@"
	mv "$work/out" "$work/after"
	local n
	n=$(cd "$work/before" && find . -type f | wc -l)
	if diff -r -q "$work/before" "$work/after" >&2; then
		echo "same bytes: $n files (scan --json, series mails and reports, exit codes, stderr) on $tree ${*:-(whole tree)}"
	else
		echo "differ: see the files named above (on $tree ${*:-(whole tree)})" >&2
		return 1
	fi
}

# The KTAP document of one console log, timestamps dropped, raw kernel
# addresses masked.
ktap_of() {
	sed -E 's/^\[ *[0-9]+\.[0-9]+\] //' "$1" |
		awk '/^KTAP version/ {on = 1} on && /^( *)(KTAP version|ok |not ok |#)/' |
		sed -E 's/0xffff[0-9a-f]{12}/0x<addr>/g; s/\(pid [0-9]+\)/(pid <n>)/g'
}

ktap() {
	[ $# -eq 2 ] || usage
	local before=$1 after=$2 bad=0 same=0
	for f in "$before"/*.log; do
		local name
		name=$(basename "$f")
		if [ ! -f "$after/$name" ]; then
			echo "only in $before: $name" >&2
			continue
		fi
		if [ -z "$(ktap_of "$f")" ]; then
			echo "no KTAP in $before/$name" >&2
			continue
		fi
		if cmp -s <(ktap_of "$f") <(ktap_of "$after/$name"); then
			same=$((same + 1))
		else
			echo "KTAP differs: $name" >&2
			diff <(ktap_of "$f") <(ktap_of "$after/$name") | head -20 >&2 || true
			bad=1
		fi
	done
	echo "KTAP byte-identical in $same logs"
	return "$bad"
}

case "${1:-}" in
outputs) shift; outputs "$@" ;;
ktap) shift; ktap "$@" ;;
*) usage ;;
esac
