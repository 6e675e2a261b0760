#!/bin/bash
# CI for the verifier (issue 7), on a fresh Debian 12 machine, as root.
#
# Installs what `unplug verify` needs (only what is missing), then runs
# every shipped scenario (healthy drivers and fixture pairs) on the 6.12
# cloud kernel and the 6.1 generic kernel.  Kernel packages are fetched
# by the harness into its cache with apt-get download, never installed.
#
# Usage: verifier-kmod/ci.sh [path/to/unplug]
#   Without an argument the CLI is built with `cargo build --release`.
# Then kunit-parse.sh has the kernel's KTAP parser read the suite's
# console logs, and bad-input.sh checks the errors for bad input.
# Exit status: non-zero on any unexpected verdict, splat, hang or error.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)

# busybox-static replaces the dynamic busybox, which cannot run in the guest.
need=()
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v modinfo >/dev/null || need+=(kmod)
command -v xz >/dev/null || need+=(xz-utils)
command -v make >/dev/null || need+=(make)
command -v gcc-12 >/dev/null || need+=(gcc-12)
dpkg -s libc6-dev >/dev/null 2>&1 || need+=(libc6-dev)
command -v python3 >/dev/null || need+=(python3)	# kunit.py

# Fresh package lists: the harness resolves the current kernel ABI from them.
apt-get update -qq
if [ ${#need[@]} -gt 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

cd "$repo"
if [ $# -ge 1 ]; then
	unplug=$1
else
	cargo build --release
	unplug=$repo/target/release/unplug
fi
cache=${UNPLUG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/unplug}
mkdir -p "$cache/logs"
marker=$(mktemp "$cache/logs/.suite-start.XXXXXX")
trap 'rm -f "$marker"' EXIT
"$unplug" verify --suite ci
# The console logs this suite wrote must be readable by kunit.py parse.
mapfile -t logs < <(find "$cache/logs" -name '*.log' -newer "$marker" | sort)
verifier-kmod/kunit-parse.sh "${logs[@]}"
verifier-kmod/bad-input.sh "$unplug"
