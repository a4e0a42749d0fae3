#!/usr/bin/env bash
# Checks the examples the README promises: every example builds, the
# catalogue-sync module (its own go.mod) is tidy, vetted and tested, and
# `go run ./examples/quickstart` works on a machine without credentials
# (it then runs against the in-process fake) and prints what it should.
set -euo pipefail
cd "$(dirname "$0")/.."
STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "=== build every example of the root module"
go build -o "$tmp/" ./examples/...

echo "=== examples/catalogue-sync (own module)"
(
	bash scripts/tidy-check.sh examples/catalogue-sync
	cd examples/catalogue-sync
	go vet ./...
	go run "$STATICCHECK" ./...
	go test -race -count=1 ./...
	env -u TRAVELROAM_API_KEY -u TRAVELROAM_CLIENT_SECRET go run . -db "$tmp/catalogue.db" | tee "$tmp/sync.txt"
	grep -Eq '^Synced [0-9]+ bundles .* [1-9][0-9]* inserted' "$tmp/sync.txt"
)
if grep -q sqlite go.mod; then echo "the root module must not depend on SQLite"; exit 1; fi

echo "=== quickstart against the fake"
# The timeout only stops a hung run; it includes compiling and linking on a
# machine that may be busy, so it is generous (the run itself takes about a
# second).
env -u TRAVELROAM_API_KEY -u TRAVELROAM_CLIENT_SECRET timeout 600 go run ./examples/quickstart | tee "$tmp/quickstart.txt"
head -n 1 "$tmp/quickstart.txt" | grep -q 'FAKE'
grep -qF 'Activation code: LPA:1$rsp.fake.local$' "$tmp/quickstart.txt"
grep -qF 'https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24rsp.fake.local%24' "$tmp/quickstart.txt"
grep -qF 'Fake server ledger: 1 order(s), 1 revoke(s)' "$tmp/quickstart.txt"
echo "examples OK"
