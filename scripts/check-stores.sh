#!/usr/bin/env bash
# Checks the store modules (pgstore, redisstore, sqlitestore; each has its
# own go.mod), the multi-process proof internal/replicas and the example
# examples/replicas (modules too): go mod tidy leaves no diff
# (scripts/tidy-check.sh), go vet and staticcheck are clean, and the tests pass with the race detector,
# against the real PostgreSQL and Redis of scripts/services.sh. Run it
# after
#
#   scripts/services.sh start && eval "$(scripts/services.sh env)"
#
# In CI (CI set) a store test without its server fails instead of
# skipping. pgstore's tests also run the conformance suites where the
# default isolation is REPEATABLE READ or SERIALIZABLE: through pools so
# configured, and on a database travelroam_test_serializable that
# TestIsolationDefaults creates once (ALTER DATABASE … SET
# default_transaction_isolation; the role needs CREATEDB, as the server of
# scripts/services.sh grants) and keeps. The lost-reply tests of pgstore
# and redisstore run through internal/dropproxy, a loopback proxy.
# Finally it checks that the root module requires none of the stores'
# drivers.
set -euo pipefail
cd "$(dirname "$0")/.."
STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for m in pgstore redisstore sqlitestore internal/replicas examples/replicas; do
	echo "=== $m (own module)"
	(
		bash scripts/tidy-check.sh "$m"
		cd "$m"
		go vet ./...
		go run "$STATICCHECK" ./...
		go test -race -count=1 ./...
	)
done

if grep -Eq 'jackc/pgx|redis/go-redis|modernc.org/sqlite' go.mod; then
	echo "the root module must not depend on a store's driver"
	exit 1
fi
echo "stores OK"
