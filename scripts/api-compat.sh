#!/usr/bin/env bash
# Compares the exported API with the latest earlier release tag and says
# which version number the change requires; fails when VERSION is too small
# for it. Usage:
#
#   bash scripts/api-compat.sh [VERSION]    (VERSION: the one about to be tagged, e.g. v0.2.0;
#                                            default: client.go's Version)
#
# Two checks:
#
#  1. Offline, always: the API listings under api/ (one file per published
#     package, held equal to the code by `go run ./internal/apilist` in CI)
#     at the earlier tag against the working tree. A removed or changed line
#     is a breaking change, an added line a compatible one. Before v1 a
#     breaking change needs a new minor version (v0.X+1.0), after v1 a new
#     major one; an addition needs a new minor version; nothing changed, a
#     patch. All modules are tagged at the same version and commit
#     (RELEASING.md), so the SDK's tag (vX.Y.Z) is the earlier release.
#     scripts/test-api-compat.sh proves it on a throw-away clone.
#
#  2. Where gorelease (golang.org/x/exp/cmd/gorelease) is installed, each
#     published module against its own earlier tag (vX.Y.Z for the SDK,
#     DIR/vX.Y.Z for a nested module), which also sees changes a listing
#     cannot (a method set changed through an embedded type, a type's
#     kind). It is not a dependency of any module: install it once online
#     (`go install golang.org/x/exp/cmd/gorelease@latest`) or set GORELEASE.
#     The earlier release is served from a file proxy built from its tag
#     (internal/tools/modproxy over a detached worktree of the tag), the
#     sibling modules at VERSION from one built from the working tree,
#     third-party modules from the module cache. gorelease resolves the whole
#     module graph, so it also reads the go.mod of older versions of
#     dependencies that the module cache may lack: where one is missing, set
#     API_COMPAT_PROXY=https://proxy.golang.org (the only network use; about
#     a minute per module).
#
# A module with no earlier tag has nothing to compare (v0.1.0, the first
# release): it says so and passes.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=${1:-v$(sed -n 's/^const Version = "\(.*\)"$/\1/p' client.go)}
modules=(. pgstore redisstore sqlitestore travelroamotel cmd/travelroam)
cache=$(go env GOMODCACHE)
gorelease=${GORELEASE:-$(command -v gorelease || echo "$(go env GOPATH)/bin/gorelease")}

# semver_lt A B: A < B for vX.Y.Z versions.
semver_lt() {
	[ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "${1#v}" "${2#v}" | sort -t. -k1,1n -k2,2n -k3,3n | head -n1)" = "${1#v}" ]
}

# 1. The listings.
# When VERSION is tagged already (work after a release, before the
# version is bumped), the comparison is with that tag and says what the
# next release needs without failing.
released=0
if git rev-parse -q --verify "refs/tags/$version" >/dev/null; then
	prev=$version released=1
else
	prev=$(git tag -l 'v*' --sort=-v:refname | grep -E '^v[0-9]+\.[0-9]+\.[0-9]+$' | grep -vx "$version" | head -n 1 || true)
fi
if [ -z "$prev" ]; then
	echo "api-compat: no earlier release tag (v*): nothing to compare for $version"
else
	removed=$(mktemp) added=$(mktemp)
	for f in $( (git ls-tree --name-only "$prev" api/ 2>/dev/null; ls api/*.txt) | sort -u); do
		old=$(git show "$prev:$f" 2>/dev/null || true)
		new=$(cat "$f" 2>/dev/null || true)
		comm -23 <(printf '%s\n' "$old" | grep -v '^$' | sort) <(printf '%s\n' "$new" | grep -v '^$' | sort) >>"$removed"
		comm -13 <(printf '%s\n' "$old" | grep -v '^$' | sort) <(printf '%s\n' "$new" | grep -v '^$' | sort) >>"$added"
	done
	IFS=. read -r major minor patch <<<"${prev#v}"
	if [ -s "$removed" ]; then
		kind=breaking
		if [ "$major" -eq 0 ]; then need="v0.$((minor + 1)).0"; else need="v$((major + 1)).0.0"; fi
	elif [ -s "$added" ]; then
		kind=compatible
		need="v$major.$((minor + 1)).0"
	else
		kind=unchanged
		need="v$major.$minor.$((patch + 1))"
	fi
	echo "api-compat: exported API since $prev: $kind ($(wc -l <"$removed") removed or changed, $(wc -l <"$added") added); needs at least $need"
	sed 's/^/  - /' "$removed"
	sed 's/^/  + /' "$added"
	rm -f "$removed" "$added"
	if [ "$released" -eq 1 ]; then
		echo "api-compat: $version is tagged already: the next release is $need or later (bump Version in client.go and the go.mod requirements, RELEASING.md)"
	elif semver_lt "$version" "$need"; then
		echo "api-compat: FAIL: $version is too small for a $kind change since $prev: tag $need or later"
		exit 1
	fi
fi
if [ -z "${GORELEASE:-}" ] && ! command -v gorelease >/dev/null && [ ! -x "$(go env GOPATH)/bin/gorelease" ]; then
	[ -n "$prev" ] && echo "api-compat: gorelease is not installed: the listings above are the check (install it once online for the deeper one: go install golang.org/x/exp/cmd/gorelease@latest)"
	exit 0
fi

# 2. gorelease, per module.
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
