#!/bin/bash
# Bad input to `unplug verify` must end in a clear error and a non-zero
# exit, never a hang (issue 7): a scenario with a typo, a missing kernel
# package, a module built for another kernel, a directory that is no
# kernel tree, a guest that hangs.  Run after the CI suite, which fetched
# both test kernels.
#
# Usage: verifier-kmod/bad-input.sh path/to/unplug
set -uo pipefail

unplug=$1
kmod=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cache=${UNPLUG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/unplug}
failed=0

# expect NAME RC TEXT... -- ARGS...: exit status RC and each TEXT in the
# output.
expect() {
	local name=$1 rc=$2 got out text texts=() ok=1
	shift 2
	while [ "$1" != "--" ]; do
		texts+=("$1")
		shift
	done
	shift
	out=$(timeout 300 "$unplug" verify "$@" 2>&1)
	got=$?
	[ "$got" -eq "$rc" ] || ok=
	for text in "${texts[@]}"; do
		grep -qF -- "$text" <<<"$out" || ok=
	done
	if [ -n "$ok" ]; then
		echo "ok: $name (exit $got)"
	else
		echo "FAILED: $name: exit $got (want $rc), output:"
		sed 's/^/  /' <<<"$out"
		failed=1
	fi
}

cat > "$tmp/typo.yaml" <<'EOF'
name: typo
kernels:
  - {kernel: "6.12", flavour: cloud}
stpes:
  - run: true
EOF
expect "scenario typo" 2 "typo.yaml:4:1: unknown field \`stpes\`" -- \
	--scenario "$tmp/typo.yaml"

ko=$(find "$cache"/6.1.*/image/lib/modules -name 'scsi_debug.ko*' 2>/dev/null | head -n 1)
case $ko in
"") echo "FAILED: no 6.1 scsi_debug.ko under $cache: run the CI suite first"
    failed=1 ;;
*.xz) xz -dc "$ko" > "$tmp/scsi_debug.ko" ;;
*) cp "$ko" "$tmp/scsi_debug.ko" ;;
esac
[ -z "$ko" ] || expect "module built for another kernel" 2 \
	"was built for kernel \"6.1." -- --module "$tmp/scsi_debug.ko" --kernel 6.12

# Package lists that know no package, and an empty cache: apt-get cannot
# find the kernel.
mkdir -p "$tmp/apt/lists/partial" "$tmp/apt/cache"
cat > "$tmp/apt.conf" <<EOF
Dir::State::Lists "$tmp/apt/lists";
Dir::Cache "$tmp/apt/cache";
EOF
APT_CONFIG=$tmp/apt.conf UNPLUG_CACHE=$tmp/cache \
	expect "missing kernel package" 2 "not found by apt-cache" -- \
	--scenario "$kmod/scenarios/virtio-net-rebind.yaml" --kernel 6.12

mkdir "$tmp/empty"
expect "not a kernel tree" 2 "not a kernel tree" -- \
	--kernel "$tmp/empty" --module e1000

cat > "$tmp/hang.yaml" <<'EOF'
name: hang
kernels:
  - {kernel: "6.12", flavour: cloud}
timeout_s: 15
steps:
  - run: sleep 600
EOF
# The end of the output shows where the hung kernel is (SysRq dumps).
expect "guest that hangs" 1 "guest timed out after 15 s" \
	"sysrq: Show Blocked State" -- --scenario "$tmp/hang.yaml"

exit $failed
