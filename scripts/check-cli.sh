#!/usr/bin/env bash
# Checks the command line, cmd/travelroam, which is its own module (it
# reaches the SDK and the stores through the repository's go.work and has
# no replace line, which `go install …@version` would refuse): go mod tidy
# leaves no diff (scripts/tidy-check.sh), go vet and staticcheck are clean,
# the tests pass with the race detector, no function is more complex than
# gocyclo 15, and the root module requires none of the CLI's own
# dependencies (the stores' drivers, testscript).
set -euo pipefail
cd "$(dirname "$0")/.."
STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOCYCLO=github.com/fzipp/gocyclo/cmd/gocyclo@v0.6.0

echo "=== cmd/travelroam (own module)"
(
	bash scripts/tidy-check.sh cmd/travelroam
	if grep -Eq '^[[:space:]]*replace|=>' cmd/travelroam/go.mod; then
		echo "cmd/travelroam/go.mod must carry no replace line (go install …@version refuses one; go.work ties the modules together)"
		exit 1
	fi
	cd cmd/travelroam
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
