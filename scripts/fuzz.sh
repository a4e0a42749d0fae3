#!/usr/bin/env bash
# Runs every fuzz target of every package of the module for a while each.
#
#   scripts/fuzz.sh [seconds]     # default 3 seconds per target (CI)
#   scripts/fuzz.sh 300           # a longer session: 5 minutes per target
#
# Targets are found with `go test -list '^Fuzz' ./...`, so a new one is
# picked up without editing this script. It stops at the first failure:
# go test then saves the failing input under the package's
# testdata/fuzz/<Target>/, where it becomes a seed that every `go test`
# runs; commit it with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-3}"
case "$secs" in
'' | *[!0-9]* | 0) echo "usage: $0 [seconds per target, a positive integer]" >&2; exit 2 ;;
esac

# `go test -list` prints a package's names, then "ok <package> <time>"
# (or "? <package> [no test files]").
targets=()
names=()
list_out=$(go test -list '^Fuzz' ./...)
while IFS= read -r line; do
  case "$line" in
  Fuzz*) names+=("$line") ;;
  "ok "* | "?"*)
    pkg=$(awk '{print $2}' <<<"$line")
    for n in ${names[@]+"${names[@]}"}; do targets+=("$pkg $n"); done
    names=()
    ;;
  esac
done <<<"$list_out"

if [ "${#targets[@]}" -eq 0 ]; then
  echo "no fuzz targets found" >&2
  exit 1
fi
echo "${#targets[@]} fuzz targets, ${secs}s each"

start=$SECONDS
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  t0=$SECONDS
  printf '=== %s %s ' "$pkg" "$name"
  if ! out=$(go test -run='^$' -fuzz="^${name}\$" -fuzztime="${secs}s" "$pkg" 2>&1); then
    echo "FAIL"
    echo "$out"
    echo "fuzz: $name failed; the input is saved under $pkg's testdata/fuzz/$name/" >&2
    exit 1
  fi
  echo "ok ($((SECONDS - t0))s)"
done
echo "all ${#targets[@]} fuzz targets passed in $((SECONDS - start))s"
