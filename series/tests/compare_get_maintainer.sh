#!/bin/bash
# Compares series' routing with the tree's scripts/get_maintainer.pl.
# Not part of `cargo test` (needs a kernel tree and perl).
#
# usage: series/tests/compare_get_maintainer.sh [TREE] [N_PER_DIR] [DIRS...]
#   TREE       kernel tree (default /work/cache/linux-6.1); only read
#   N_PER_DIR  files sampled per directory (default 25)
#   DIRS       default: drivers/gpio drivers/i2c/busses drivers/spi
#
# For every sampled file it builds one patch (a synthetic comment appended)
# with `series`, then compares the To:+Cc: set of the patch with the
# addresses `get_maintainer.pl --no-git --no-rolestats --no-roles <patch>`
# prints, and also the -f mode of both on the plain file.
set -euo pipefail
TREE=${1:-/work/cache/linux-6.1}
N=${2:-25}
shift 2 2>/dev/null || shift $# 2>/dev/null || true
DIRS=("$@")
[ ${#DIRS[@]} -eq 0 ] && DIRS=(drivers/gpio drivers/i2c/busses drivers/spi)
HERE=$(cd "$(dirname "$0")/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-series}
cargo build -q -p series --example route --manifest-path "$HERE/Cargo.toml"
ROUTE=$CARGO_TARGET_DIR/debug/examples/route
TREE=$(cd "$TREE" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

FILES=()
for d in "${DIRS[@]}"; do
  while IFS= read -r f; do FILES+=("$f"); done < <(cd "$TREE" && ls "$d"/*.c | awk -v n="$N" 'NR % 3 == 1' | head -n "$N")
done
echo "sampled ${#FILES[@]} files from ${DIRS[*]}"

# -f mode
agree=0; total=0
"$ROUTE" files "$TREE" "${FILES[@]}" > "$WORK/ours-f.txt"
for f in "${FILES[@]}"; do
  total=$((total+1))
  ours=$(awk -v f="== $f" '$0==f{p=1;next} /^== /{p=0} p' "$WORK/ours-f.txt" | sort)
  theirs=$(cd "$TREE" && perl scripts/get_maintainer.pl --no-git --no-rolestats --no-roles -f "$f" 2>/dev/null | sort)
  if [ "$ours" == "$theirs" ]; then agree=$((agree+1)); else
    echo "DIFF (-f) $f"; diff <(echo "$theirs") <(echo "$ours") | sed 's/^/   /' || true
  fi
done
echo "-f mode: $agree/$total files agree"

# patch mode: the real target (To:+Cc: of each generated patch)
"$ROUTE" mkseries "$TREE" "$WORK/out" "${FILES[@]}" > "$WORK/patches.txt"
agree=0; total=0
while IFS= read -r p; do
  total=$((total+1))
  ours=$(awk '/^$/{exit} /^(To|Cc): /{sub(/^(To|Cc): /,""); print; next} /^    /{sub(/^    /,""); print}' "$p" | sed 's/,$//' | sort -u)
  theirs=$(cd "$TREE" && perl scripts/get_maintainer.pl --no-git --no-rolestats --no-roles "$p" 2>/dev/null | sort -u)
  if [ "$ours" == "$theirs" ]; then agree=$((agree+1)); else
    echo "DIFF (patch) $(basename "$(dirname "$p")")/$(basename "$p")"; diff <(echo "$theirs") <(echo "$ours") | sed 's/^/   /' || true
  fi
done < "$WORK/patches.txt"
echo "patch mode (synthetic edits): $agree/$total patches agree"

# realistic edits: the platform remove -> void conversion of every driver in
# DIRS that fits it (series/tests/mkconv.py), then (a) routing vs
# get_maintainer.pl on each patch, (b) the diff part of each mail vs what
# `git format-patch --abbrev=12` prints after `git am` of that mail in a
# scratch repository holding the original files (with the tree's
# .gitattributes, so hunk headers use the cpp funcname rule).
CONV=()
for d in "${DIRS[@]}"; do
  while IFS= read -r f; do CONV+=("$f"); done < <(cd "$TREE" && grep -l 'static int [a-z0-9_]*_remove(struct platform_device \*pdev)' "$d"/*.c 2>/dev/null || true)
done
(cd "$TREE" && python3 "$HERE/series/tests/mkconv.py" . "$WORK/conv.json" "${CONV[@]}")
"$ROUTE" json "$TREE" "$WORK/conv" "$WORK/conv.json" > "$WORK/conv-table.txt"
agree=0; total=0
for p in "$WORK"/conv/*/v1-*.patch; do
  case $p in *-0000-cover-letter.patch) continue;; esac
  total=$((total+1))
  ours=$(awk '/^$/{exit} /^(To|Cc): /{sub(/^(To|Cc): /,""); print; next} /^    /{sub(/^    /,""); print}' "$p" | sed 's/,$//' | sort -u)
  theirs=$(cd "$TREE" && perl scripts/get_maintainer.pl --no-git --no-rolestats --no-roles "$p" 2>/dev/null | sort -u)
  if [ "$ours" == "$theirs" ]; then agree=$((agree+1)); else
    echo "DIFF (conversion) $(basename "$(dirname "$p")")/$(basename "$p")"; diff <(echo "$theirs") <(echo "$ours") | sed 's/^/   /' || true
  fi
done
echo "patch mode (conversions): $agree/$total patches agree"

R="$WORK/fidelity"; mkdir -p "$R"; git -C "$R" init -q
[ -f "$TREE/.gitattributes" ] && cp "$TREE/.gitattributes" "$R/"
for p in "$WORK"/conv/*/v1-*.patch; do
  for f in $(grep '^diff --git' "$p" | awk '{print substr($3,3)}'); do mkdir -p "$R/$(dirname "$f")"; cp "$TREE/$f" "$R/$f"; done
done
git -C "$R" add -A . && git -C "$R" -c user.name=x -c user.email=x@y commit -qm base
same=0; differ=0
for p in "$WORK"/conv/*/v1-*.patch; do
  case $p in *-0000-cover-letter.patch) continue;; esac
  if git -C "$R" -c user.name=x -c user.email=x@y am -q "$p" 2>/dev/null; then
    theirs=$(git -C "$R" format-patch -1 --abbrev=12 --stdout | sed -n '/^---$/,/^-- $/p')
    ours=$(sed -n '/^---$/,/^-- $/p' "$p")
    if [ "$ours" == "$theirs" ]; then same=$((same+1)); else differ=$((differ+1)); echo "DIFF (git diff) $(basename "$p")"; diff <(echo "$theirs") <(echo "$ours") | head -12 | sed 's/^/   /' || true; fi
  else
    differ=$((differ+1)); echo "AM FAILED $p"; git -C "$R" am --abort
  fi
done
echo "format-patch fidelity: $same identical, $differ different"
