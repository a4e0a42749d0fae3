#!/usr/bin/env bash
# Proves scripts/api-compat.sh's offline check on a throw-away clone of the
# committed tree: with v0.1.0 tagged, an unchanged API asks for a patch, an
# added name for a minor version, and a removed name fails v0.1.1 and passes
# v0.2.0; after the tag, with Version still 0.1.0, it says what the next
# release needs without failing. CI runs it (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$PWD
git clone -q --no-local . "$tmp/repo"
cd "$tmp/repo"
cp "$root/scripts/api-compat.sh" scripts/ # the script under test, as in the working tree
git tag -l | xargs -r git tag -d >/dev/null # the clone starts without the repository's own tags
git -c user.name=t -c user.email=t@localhost tag -a v0.1.0 -m t HEAD
unset GORELEASE # the listing check only (no gorelease is installed in the temporary GOPATH)
fail() { echo "test-api-compat: FAIL: $*"; cat "$tmp/out"; exit 1; }
run() { # expect (0|1) version
	set +e
	env GOPATH="$tmp/gopath" bash scripts/api-compat.sh "$2" >"$tmp/out" 2>&1
	rc=$?
	set -e
	[ "$rc" -eq "$1" ] || fail "api-compat $2 exited $rc, want $1"
}

run 0 v0.1.1
grep -q 'unchanged .*needs at least v0.1.1' "$tmp/out" || fail "unchanged API: no patch verdict"
run 0 v0.1.0
grep -q 'tagged already: the next release is v0.1.1' "$tmp/out" || fail "after the tag: no next-release verdict"

echo 'pkg github.com/roamkit/travelroam, func BrandNew() error' >>api/travelroam.txt
run 1 v0.1.1
grep -q 'compatible (0 removed or changed, 1 added); needs at least v0.2.0' "$tmp/out" || fail "an addition: no minor verdict"
run 0 v0.2.0

git checkout -q -- api/
line=$(grep -m1 '^pkg github.com/roamkit/travelroam, func NewClient' api/travelroam.txt)
grep -vxF "$line" api/travelroam.txt >"$tmp/t" && cp "$tmp/t" api/travelroam.txt
run 1 v0.1.1
grep -q 'breaking (1 removed or changed, 0 added); needs at least v0.2.0' "$tmp/out" || fail "a removal: no breaking verdict"
grep -qF -- "- $line" "$tmp/out" || fail "a removal: the removed line is not shown"
grep -q 'FAIL: v0.1.1 is too small' "$tmp/out" || fail "a removal: no FAIL line"
run 0 v0.2.0
run 0 v0.1.0 # after the tag: says, does not fail
grep -q 'the next release is v0.2.0 or later' "$tmp/out" || fail "after the tag, a removal: no next-release verdict"
echo "test-api-compat: OK (unchanged → patch, added → minor, removed → fails a patch, passes a minor; after the tag it advises)"
