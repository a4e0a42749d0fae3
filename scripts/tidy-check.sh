#!/usr/bin/env bash
# Fails when `go mod tidy` would change a module's go.mod or go.sum, and
# shows the change (leaving the tidied files in place, as a plain
# `go mod tidy` would). Usage, from anywhere:
#
#   bash scripts/tidy-check.sh DIR...    (DIR relative to the repository root; . is the SDK)
#
# Why not a plain `go mod tidy`: every module requires the others at the
# version they will be released with (v0.1.0), which does not exist on any
# proxy until it is tagged, and `go mod tidy` ignores go.work. The library
# modules and the examples reach their sibling modules through their own
# `replace … => ../` lines; the CLI's module (cmd/travelroam) may carry no
# replace (`go install …@version` refuses one). So, for each module, this
# adds a temporary `replace` to the local directory for every module of
# this repository that it requires without one, runs `go mod tidy` with
# GOWORK=off, then drops exactly those replaces again. A directory
# replacement puts no hash in go.sum, so the committed go.sum files hold no
# line for this repository's own modules: a user's go.sum gets them from
# sum.golang.org for the real tags (`go install …@version` does not read
# the installed module's go.sum), and the workspace (go.work) needs none.
# No network: every third-party module comes from the module cache as
# before.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

# The modules of this repository that others may require, by path and directory.
modules=(
	"github.com/roamkit/travelroam=."
	"github.com/roamkit/travelroam/pgstore=pgstore"
	"github.com/roamkit/travelroam/redisstore=redisstore"
	"github.com/roamkit/travelroam/sqlitestore=sqlitestore"
	"github.com/roamkit/travelroam/travelroamotel=travelroamotel"
)

status=0
for m in "$@"; do
	dir="$root/$m"
	[ -f "$dir/go.mod" ] || { echo "tidy-check: $m has no go.mod"; exit 2; }
	tmp=$(mktemp -d)
	cp "$dir/go.mod" "$tmp/go.mod"
	touch "$dir/go.sum"
	cp "$dir/go.sum" "$tmp/go.sum"
	# On any failure before the temporary replaces are dropped, put the
	# module's files back as they were.
	trap 'cp "$tmp/go.mod" "$dir/go.mod"; cp "$tmp/go.sum" "$dir/go.sum"; rm -rf "$tmp"' EXIT
	added=()
	printed=$(cd "$dir" && go mod edit -print)
	for entry in "${modules[@]}"; do
		path=${entry%%=*}
		target=$(realpath --relative-to="$dir" "$root/${entry#*=}")
		# Required (a line "path vX…" in a require block or statement)
		# and not already replaced ("path =>" or "path vX =>").
		if grep -Eq "^(require)?[[:space:]]*${path}[[:space:]]+v[^[:space:]]+([[:space:]]|$)" <<<"$printed" &&
			! grep -Eq "(^|[[:space:]])${path}([[:space:]]+v[^[:space:]]+)?[[:space:]]+=>" <<<"$printed"; then
			(cd "$dir" && go mod edit -replace="$path=$target")
			added+=("-dropreplace=$path")
		fi
	done
	(cd "$dir" && GOWORK=off go mod tidy)
	if [ "${#added[@]}" -gt 0 ]; then
		(cd "$dir" && go mod edit "${added[@]}")
	fi
	trap - EXIT
	# go mod tidy leaves an empty go.sum in place; do not create one that was not there.
	[ -s "$dir/go.sum" ] || [ -s "$tmp/go.sum" ] || rm -f "$dir/go.sum"
	if ! cmp -s "$dir/go.mod" "$tmp/go.mod" || { [ -f "$dir/go.sum" ] && ! cmp -s "$dir/go.sum" "$tmp/go.sum"; }; then
		echo "go mod tidy changed $m/go.mod or $m/go.sum:"
		diff -u "$tmp/go.mod" "$dir/go.mod" || true
		diff -u "$tmp/go.sum" "$dir/go.sum" || true
		status=1
	else
		echo "go mod tidy: $m is tidy"
	fi
	rm -rf "$tmp"
done
exit "$status"
