#!/bin/bash
# The kernel's own KTAP parser must read our console logs (issue 7):
# `tools/testing/kunit/kunit.py parse`, taken from Debian's
# linux-source-6.12 package, must find in each log as many test results
# as the log has, and report no error.  A failed test is fine (the legacy
# fixtures fail on purpose); a result the parser cannot read is not.
#
# Usage: verifier-kmod/kunit-parse.sh LOG...
set -euo pipefail

if [ $# -eq 0 ]; then
	echo "usage: $0 LOG..." >&2
	exit 2
fi

cache=${UNPLUG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/unplug}
kunit_dir=$cache/kunit
kunit=$kunit_dir/tools/testing/kunit/kunit.py

if [ ! -f "$kunit" ]; then
	mkdir -p "$cache/debs"
	deb=$(find "$cache/debs" -name 'linux-source-6.12_*.deb' | head -n 1)
	if [ -z "$deb" ]; then
		(cd "$cache/debs" && apt-get download -q linux-source-6.12)
		deb=$(find "$cache/debs" -name 'linux-source-6.12_*.deb' | head -n 1)
	fi
	rm -rf "$kunit_dir.tmp"
	mkdir -p "$kunit_dir.tmp"
	# The package holds the tree as one tarball: take the tool out of it.
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO --wildcards './usr/src/linux-source-6.12.tar.xz' |
		tar -xJ -C "$kunit_dir.tmp" --strip-components=1 \
			--wildcards '*/tools/testing/kunit/*'
	rm -rf "$kunit_dir"
	mv "$kunit_dir.tmp" "$kunit_dir"
fi

failed=0
for log in "$@"; do
	# Our results: "[ time] ok N name" or "not ok N name" records.
	want=$(grep -cE '^\[ *[0-9]+\.[0-9]+\] (not )?ok [0-9]+ ' "$log" || true)
	out=$(python3 "$kunit" parse "$log" 2>&1 || true)
	ran=$(sed -n 's/.*Testing complete\. Ran \([0-9]*\) tests.*/\1/p' <<<"$out" |
		tail -n 1)
	if [ "$want" -gt 0 ] && [ "${ran:-}" = "$want" ] &&
	   ! grep -q '\[ERROR\]' <<<"$out"; then
		echo "ok: kunit.py parse $(basename "$log"): $ran tests"
	else
		echo "FAILED: kunit.py parse $(basename "$log"): ran ${ran:-none} of $want results:"
		grep -E '\[ERROR\]|Testing complete' <<<"$out" | sed 's/^/  /'
		failed=1
	fi
done
exit $failed
