#!/usr/bin/env bash
# Checks the command line, cmd/travelroam, which is its own module (it
# reaches the SDK and the stores through replace lines): go mod tidy leaves
# no diff, go vet and staticcheck are clean, the tests pass with the race
# detector, no function is more complex than gocyclo 15, and the root
# module requires none of the CLI's own dependencies (the stores' drivers,
# testscript).
set -euo pipefail
cd "$(dirname "$0")/.."
STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOCYCLO=github.com/fzipp/gocyclo/cmd/gocyclo@v0.6.0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "=== cmd/travelroam (own module)"
(
	cd cmd/travelroam
	cp go.mod "$tmp/go.mod" && cp go.sum "$tmp/go.sum"
	go mod tidy
	if ! cmp -s go.mod "$tmp/go.mod" || ! cmp -s go.sum "$tmp/go.sum"; then
		echo "go mod tidy changed cmd/travelroam/go.mod or go.sum"
		diff -u "$tmp/go.mod" go.mod || true
		exit 1
	fi
	go vet ./...
	go run "$STATICCHECK" ./...
	echo "=== gocyclo: no function over 15"
	go run "$GOCYCLO" -over 15 .
	go test -race -count=1 ./...
)

for dep in modernc.org/sqlite github.com/jackc/pgx github.com/rogpeppe/go-internal; do
	if grep -q "$dep" go.mod; then
		echo "the root module must not require $dep (the CLI's dependency)"
		exit 1
	fi
done
echo "cli OK"
