#!/usr/bin/env bash
# Proves, without the internet, that the modules of this repository install
# as a user will get them once tagged: from an empty module outside the
# repository, with no go.work and no replace line to help.
#
#  1. Builds a file-based module proxy from the files git tracks (their
#     working-tree contents): the SDK, pgstore, redisstore, sqlitestore,
#     travelroamotel and cmd/travelroam, each at the release version, which
#     is "v" + the SDK's Version constant in client.go (the one place the
#     CLI and the User-Agent read it from). The zips are made with
#     golang.org/x/mod/zip as the module proxy makes them from a tag
#     (internal/tools/modproxy), and their go.sum lines are printed: after
#     tagging, sum.golang.org must give the same (see RELEASING.md).
#  2. In an empty temporary module, with
#     GOPROXY=file://<that proxy>,file://$(go env GOMODCACHE)/cache/download
#     (third-party modules come from the local module cache only),
#     GOFLAGS=-mod=mod, GOSUMDB=off, GOWORK=off, GOTOOLCHAIN=local and a
#     temporary GOMODCACHE (so that the unreleased zips never enter the
#     real module cache, where they would clash with the real tags' later):
#     `go get`s the SDK, every store and travelroamotel, builds and runs
#     internal/tools/releasecheck/main.go (buys a fake eSIM through
#     travelroamtest with the stores compiled in), `go install`s the CLI at
#     the release version and runs `travelroam --version`.
#  3. When an earlier release tag exists (vX.Y.Z for the SDK, DIR/vX.Y.Z for
#     a nested module), compares each module's exported API with it using
#     gorelease, if gorelease is in the module cache (see RELEASING.md), and
#     prints the version the change requires.
#
# A third-party module missing from the module cache fails the check with
# its name: run the repository's tests (or `go mod download` in the module
# that needs it) once online. It takes a few minutes, most of it compiling.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
sdk_version=$(sed -n 's/^const Version = "\(.*\)"$/\1/p' client.go)
[ -n "$sdk_version" ] || { echo "release check: no 'const Version = \"…\"' in client.go"; exit 1; }
version="v$sdk_version"
modules=(. pgstore redisstore sqlitestore travelroamotel cmd/travelroam)
cache=$(go env GOMODCACHE)
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
start=$SECONDS
step() { printf '\n=== [%ds] %s\n' "$((SECONDS - start))" "$*"; }

# missing explains a failed go command: which module the local cache lacks.
missing() {
	local log=$1
	cat "$log"
	local mods
	mods=$(grep -oE "cache/download/[^ :]+/@v/[^ :/]+\.(info|mod|zip)" "$log" | sed -E 's#cache/download/(.*)/@v/(.*)\.(info|mod|zip)#\1@\2#' | sort -u || true)
	if grep -q "module lookup disabled by GOPROXY=off" "$log"; then
		mods+=" $(grep -E '^go: downloading [^ ]+ v' "$log" | awk '{print $3 "@" $4}' | sort -u || true)"
	fi
	if [ -n "${mods// /}" ]; then
		echo "release check: not in the local module cache ($cache), and the check runs offline:"
		printf '  %s\n' $mods
		echo "fill the cache once online (run the repository's tests, or go mod download in the module that needs it)"
	fi
	exit 1
}

step "release version $version (client.go: Version = \"$sdk_version\")"
if grep -Eq '^[[:space:]]*replace|=>' cmd/travelroam/go.mod; then
	echo "cmd/travelroam/go.mod has a replace line: go install …@$version would refuse it"
	exit 1
fi
for m in "${modules[@]}"; do
	# Every requirement on a module of this repository names the release version.
	if grep -E '^[[:space:]]*(require[[:space:]]+)?github\.com/roamkit/travelroam(/[a-z]+)?[[:space:]]+v' "$m/go.mod" | grep -v "[[:space:]]$version\([[:space:]]\|$\)"; then
		echo "$m/go.mod requires a module of this repository at another version than $version"
		exit 1
	fi
done

step "module proxy from the tracked files (internal/tools/modproxy)"
(cd internal/tools/modproxy && GOWORK=off GOPROXY=off GOFLAGS=-mod=readonly go build -o "$tmp/modproxy" .) >"$tmp/log" 2>&1 || missing "$tmp/log"
"$tmp/modproxy" -repo "$root" -out "$tmp/proxy" -version "$version" "${modules[@]}" | tee "$tmp/go.sum.lines"

step "an empty module outside the repository: go get every published library module"
mkdir -p "$tmp/user" "$tmp/bin"
cd "$tmp/user"
export GOPROXY="file://$tmp/proxy,file://$cache/cache/download"
export GOFLAGS="-mod=mod -trimpath"
export GOSUMDB=off GOWORK=off GOTOOLCHAIN=local GONOSUMDB= GOPRIVATE= GONOPROXY=
export GOMODCACHE="$tmp/modcache"
export GOBIN="$tmp/bin"
go mod init example.com/releasecheck >/dev/null 2>&1
go get github.com/roamkit/travelroam@"$version" \
	github.com/roamkit/travelroam/pgstore@"$version" \
	github.com/roamkit/travelroam/redisstore@"$version" \
	github.com/roamkit/travelroam/sqlitestore@"$version" \
	github.com/roamkit/travelroam/travelroamotel@"$version" >"$tmp/log" 2>&1 || missing "$tmp/log"
grep roamkit go.mod

step "build and run a program that buys a fake eSIM through travelroamtest, every store compiled in"
sed '/^\/\/go:build ignore$/d' "$root/internal/tools/releasecheck/main.go" >main.go
go mod tidy >"$tmp/log" 2>&1 || missing "$tmp/log"
go build -o "$tmp/bin/releasecheck" . >"$tmp/log" 2>&1 || missing "$tmp/log"
"$tmp/bin/releasecheck" | tee "$tmp/run.txt"
grep -q "^travelroam-go $sdk_version: bought .* 1 eSIM(s); the fake recorded 1 order(s)$" "$tmp/run.txt" ||
	{ echo "the program did not buy exactly one fake eSIM"; exit 1; }

step "go install github.com/roamkit/travelroam/cmd/travelroam@$version, then travelroam --version"
go install github.com/roamkit/travelroam/cmd/travelroam@"$version" >"$tmp/log" 2>&1 || missing "$tmp/log"
"$tmp/bin/travelroam" --version | tee "$tmp/version.txt"
grep -qF "travelroam $version" "$tmp/version.txt" || { echo "travelroam --version does not name the CLI's version $version"; exit 1; }
grep -qF "travelroam-go $sdk_version" "$tmp/version.txt" || { echo "travelroam --version does not name the SDK's version $sdk_version"; exit 1; }
cd "$root"

step "exported API against the previous release, where one is tagged"
bash scripts/api-compat.sh "$version"

step "release check OK for $version in $((SECONDS - start)) s; go.sum lines the tags must produce:"
cat "$tmp/go.sum.lines"
