#!/bin/bash
# What rule language v2 costs: a campaign of statement sequences and
# dataflow constraints (devm-platform-ioremap) against a version 1
# campaign of single-node rules over the same candidate files (its
# anchors, one rule per call), scanned over the same tree in alternating
# runs; prints each run and both medians.
#   bench/rule-cost.sh TREE [RUNS] [--path DIR]...
set -euo pipefail
tree=$1; runs=${2:-5}; shift $(( $# >= 2 ? 2 : 1 ))
repo=$(cd "$(dirname "$0")/.." && pwd)
unplug=$repo/target/release/unplug
time_one() { # seconds of one scan
	/usr/bin/time -f "%e" -o /tmp/rule-cost.$$ "$unplug" scan "$tree" --pattern "$1" "${@:2}" >/dev/null 2>&1 || true
	cat /tmp/rule-cost.$$
}
single=$(mktemp -d)
trap 'rm -rf "$single" /tmp/rule-cost.$$' EXIT
cat > "$single/devm-single.yaml" <<'YAML'
version: 1
id: devm-single
title: Single-node rules over the candidates of devm-platform-ioremap
rationale: A benchmark baseline.
anchors: [devm_ioremap_resource, devm_platform_ioremap_resource]
rules:
  - id: map
    pattern: devm_ioremap_resource(&$PDEV->dev, $RES)
    verdict: manual
    reason: baseline
  - id: converted
    pattern: devm_platform_ioremap_resource($PDEV, $INDEX)
    verdict: converted
YAML
v1=(); v2=()
for _ in $(seq "$runs"); do
	v1+=("$(time_one devm-single --patterns "$single" "$@")")
	v2+=("$(time_one devm-platform-ioremap "$@")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "v1 single-node rules:     ${v1[*]} (median $(median "${v1[@]}") s)"
echo "v2 devm-platform-ioremap: ${v2[*]} (median $(median "${v2[@]}") s)"
