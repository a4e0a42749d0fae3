#!/usr/bin/env bash
# Checks the OpenTelemetry modules: travelroamotel (the adapter) and
# examples/tracing (its example), each with its own go.mod. For each, go
# mod tidy leaves no diff (scripts/tidy-check.sh), go vet and staticcheck
# are clean, and the tests pass with the race detector; then the example runs once against the
# in-process fake and must print the call spans and the metrics. Finally
# it checks that the root module requires no OpenTelemetry package.
set -euo pipefail
cd "$(dirname "$0")/.."
STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for m in travelroamotel examples/tracing; do
	echo "=== $m (own module)"
	(
		bash scripts/tidy-check.sh "$m"
		cd "$m"
		go vet ./...
		go run "$STATICCHECK" ./...
		go test -race -count=1 ./...
	)
done

echo "=== examples/tracing: one run on the fake"
(
	cd examples/tracing
	# Only stops a hung run; generous because it includes the link on a
	# machine that may be busy (the run itself takes about a second).
	timeout 600 go run . >"$tmp/tracing.txt"
)
head -n 4 "$tmp/tracing.txt"
grep -q 'FAKE' "$tmp/tracing.txt"
for name in '"Name": "travelroam.Organisation"' '"Name": "travelroam.ProcessOrder"' '"Name": "travelroam.WaitForAssignments"' \
	'"Name": "POST /processorders"' '"Name": "travelroam.poll"' '"Name": "travelroam.client.purchases"' \
	'"Name": "http.client.request.duration"'; do
	grep -qF "$name" "$tmp/tracing.txt" || { echo "the example printed no $name"; exit 1; }
done
# The fake's default credentials (travelroamtest.DefaultAPIKey and DefaultClientSecret) never appear.
if grep -Eq 'FAKEAPIKEYtravelroamtest|FAKESECRETtravelroamtest|LPA:1\$' "$tmp/tracing.txt"; then
	echo "the example printed a credential or an activation code"
	exit 1
fi
echo "example: $(grep -c '"SpanContext"' "$tmp/tracing.txt") spans printed"

if grep -q 'go.opentelemetry.io' go.mod; then
	echo "the root module must not depend on OpenTelemetry"
	exit 1
fi
echo "otel OK"
