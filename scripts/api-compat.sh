#!/usr/bin/env bash
# Compares each published module's exported API with its latest earlier
# release tag (vX.Y.Z for the SDK, DIR/vX.Y.Z for a nested module) using
# gorelease (golang.org/x/exp/cmd/gorelease), and prints the version number
# the change requires (or fails with what breaks). Usage:
#
#   bash scripts/api-compat.sh [VERSION]    (VERSION: the one about to be tagged, e.g. v0.2.0)
#
# A module with no earlier tag has nothing to compare (v0.1.0, the first
# release): it says so and passes. The earlier release is served from a file
# proxy built from its tag (internal/tools/modproxy over a detached
# worktree of the tag), the sibling modules at VERSION from one built from
# the working tree, third-party modules from the module cache. gorelease
# resolves the whole module graph, so it also reads the go.mod of older
# versions of dependencies that the module cache may lack: where one is
# missing, set API_COMPAT_PROXY=https://proxy.golang.org to let it fetch
# those (the only network use; tried on a local tag: about a minute per
# module). gorelease
# itself is not a dependency of any module here: install it once online
# (`go install golang.org/x/exp/cmd/gorelease@latest`), or set GORELEASE to
# its path; without it the script prints the manual command and fails when
# a comparison is due.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=${1:-v$(sed -n 's/^const Version = "\(.*\)"$/\1/p' client.go)}
modules=(. pgstore redisstore sqlitestore travelroamotel cmd/travelroam)
cache=$(go env GOMODCACHE)
gorelease=${GORELEASE:-$(command -v gorelease || echo "$(go env GOPATH)/bin/gorelease")}

tmp=$(mktemp -d)
worktrees=()
cleanup() {
	for w in "${worktrees[@]}"; do git worktree remove --force "$w" >/dev/null 2>&1 || true; done
	chmod -R u+w "$tmp" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

due=0
failed=()
for m in "${modules[@]}"; do
	prefix=""
	[ "$m" = . ] || prefix="$m/"
	prev=$(git tag -l "${prefix}v*" --sort=-v:refname | grep -Ev "^${prefix}v[0-9]+\.[0-9]+\.[0-9]+-" | grep -vx "${prefix}${version}" | head -n 1 || true)
	if [ -z "$prev" ]; then
		echo "api-compat: $m has no earlier release tag (${prefix}v*): nothing to compare for ${prefix}${version}"
		continue
	fi
	due=1
	base=${prev#"$prefix"}
	echo "=== api-compat: $m, ${prefix}${version} against $prev"
	if [ ! -x "$gorelease" ]; then
		echo "api-compat: gorelease is not installed; run once online: go install golang.org/x/exp/cmd/gorelease@latest"
		echo "then, by hand: (cd $m && GOWORK=off gorelease -base=$base -version=$version)"
		exit 1
	fi
	if [ ! -x "$tmp/modproxy" ]; then
		(cd internal/tools/modproxy && GOWORK=off GOPROXY=off GOFLAGS=-mod=readonly go build -o "$tmp/modproxy" .)
		"$tmp/modproxy" -repo "$root" -out "$tmp/current" -version "$version" "${modules[@]}" >/dev/null
	fi
	w="$tmp/base-${prefix//\//-}$base"
	git worktree add --detach "$w" "$prev" >/dev/null 2>&1
	worktrees+=("$w")
	"$tmp/modproxy" -repo "$w" -out "$tmp/previous" -version "$base" "$m" >/dev/null
	# The module's own go.mod may reach its siblings through a replace,
	# which gorelease reports; it runs on a copy without them.
	rm -rf "$tmp/mod" && mkdir "$tmp/mod"
	git ls-files -z -- "$m" | while IFS= read -r -d '' f; do
		rel=${f#"$prefix"}
		mkdir -p "$tmp/mod/$(dirname "$rel")" && cp "$f" "$tmp/mod/$rel"
	done
	(
		cd "$tmp/mod"
		export GOPROXY="file://$tmp/previous,file://$tmp/current,file://$cache/cache/download${API_COMPAT_PROXY:+,$API_COMPAT_PROXY}"
		export GOSUMDB=off GOWORK=off GOFLAGS=-mod=mod GOMODCACHE="$tmp/modcache" GOTOOLCHAIN=local
		for r in $(go mod edit -json | jq -r '.Replace[]?.Old.Path'); do go mod edit -dropreplace="$r"; done
		go mod tidy
		git init -q . && git add -A && git -c user.name=api-compat -c user.email=api-compat@localhost commit -qm current
		"$gorelease" -base="$base" -version="$version"
	) || failed+=("$m")
done
if [ "${#failed[@]}" -gt 0 ]; then
	echo "api-compat: gorelease found problems in: ${failed[*]} (see above: the version it suggests, or what breaks)"
	exit 1
fi
[ "$due" -eq 0 ] && echo "api-compat: no module has an earlier release; from the first tag on, this compares each with it"
exit 0
