#!/bin/bash
# Records what a build of unplug prints for every campaign over a tree's
# drivers/, and compares two such records byte for byte.
#   bench/same_outputs.sh record UNPLUG TREE OUTDIR
#   bench/same_outputs.sh compare OUTDIR_BEFORE OUTDIR_AFTER
# `record` writes, per campaign (every default one, the opt-in ones, and
# all defaults in one run): `scan --json` and the `rewrite` diff (with
# --drop-empty too for platform-remove-void), each with its exit code and
# stderr. `compare` exits 1 and names the files that differ.
set -euo pipefail
record() {
	local unplug=$1 tree=$2 out=$3
	mkdir -p "$out"
	local ids
	ids=$("$unplug" patterns list | awk 'NR > 1 && $1 !~ /^\(/ {print $1}')
	run() { # name, then the command's arguments
		local name=$1; shift
		local rc=0
		"$unplug" "$@" > "$out/$name.out" 2> "$out/$name.err" || rc=$?
		echo "$rc" > "$out/$name.rc"
	}
	for id in $ids; do
		run "scan-$id" scan "$tree" --pattern "$id" --path drivers --json
		run "rewrite-$id" rewrite "$tree" --pattern "$id" --path drivers
	done
	run scan-default scan "$tree" --path drivers --json
	run rewrite-default rewrite "$tree" --path drivers
	run rewrite-platform-remove-void-drop-empty rewrite "$tree" --pattern platform-remove-void --path drivers --drop-empty
	run rewrite-assume-api-default rewrite "$tree" --path drivers --assume-api
}
compare() {
	local before=$1 after=$2 bad=0
	for f in "$before"/*; do
		local name
		name=$(basename "$f")
		if ! cmp -s "$f" "$after/$name"; then
			echo "differs: $name" >&2
			bad=1
		fi
	done
	[ "$bad" = 0 ] && echo "all $(ls "$before" | wc -l) outputs byte-identical"
	return "$bad"
}
case "${1:-}" in
record) shift; record "$@" ;;
compare) shift; compare "$@" ;;
*) echo "usage: $0 record UNPLUG TREE OUTDIR | compare BEFORE AFTER" >&2; exit 2 ;;
esac
