#!/usr/bin/env bash
# Checks scripts/fuzz.sh's failure handling without fuzzing anything: a
# stand-in `go` (first on PATH) answers `go test -list` with the real go
# command and plays each fuzzing run's part:
#   flake    the first run fails without a failing input, the second passes
#   always   every run fails without a failing input
#   finding  the run writes a failing input under testdata/fuzz/
# fuzz.sh must pass the first, fail the second after one retry, and fail
# the third at once, naming the file. It takes a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
real_go=$(command -v go)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" testdata/fuzz/FuzzAmount/fuzz-script-test' EXIT

cat >"$tmp/go" <<STUB
#!/usr/bin/env bash
for a in "\$@"; do case "\$a" in -fuzz=*) fuzzing=1 ;; esac; done
if [ -z "\${fuzzing:-}" ]; then exec "$real_go" "\$@"; fi
n=\$(cat "$tmp/runs" 2>/dev/null || echo 0); n=\$((n + 1)); echo "\$n" >"$tmp/runs"
case "\$FAKE_MODE" in
flake) if [ "\$n" -eq 1 ]; then printf -- '--- FAIL: FuzzAmount (4.03s)\n    context deadline exceeded\n'; exit 1; fi ;;
always) printf -- '--- FAIL: FuzzAmount (4.03s)\n    context deadline exceeded\n'; exit 1 ;;
finding)
	mkdir -p testdata/fuzz/FuzzAmount
	echo 'go test fuzz v1' >testdata/fuzz/FuzzAmount/fuzz-script-test
	echo 'Failing input written to testdata/fuzz/FuzzAmount/fuzz-script-test'
	exit 1 ;;
esac
STUB
chmod +x "$tmp/go"

run() { # run MODE: fuzz.sh's exit status and output, for FuzzAmount alone
	rm -f "$tmp/runs" testdata/fuzz/FuzzAmount/fuzz-script-test
	status=0
	out=$(PATH="$tmp:$PATH" FAKE_MODE="$1" FUZZ_GOTOOLCHAIN=local GOTOOLCHAIN=local bash scripts/fuzz.sh FuzzAmount 2>&1) || status=$?
	runs=$(cat "$tmp/runs")
}
fail() { echo "test-fuzz-script: $*"; echo "$out"; exit 1; }

run flake
[ "$status" -eq 0 ] || fail "a failure without a failing input that does not repeat must pass"
[ "$runs" -eq 2 ] || fail "flake: want 2 runs, got $runs"
run always
[ "$status" -ne 0 ] || fail "a failure that repeats must fail"
[ "$runs" -eq 2 ] || fail "always: want 2 runs, got $runs"
run finding
[ "$status" -ne 0 ] || fail "a failing input must fail"
[ "$runs" -eq 1 ] || fail "finding: want 1 run (no retry), got $runs"
grep -q 'testdata/fuzz/FuzzAmount/fuzz-script-test' <<<"$out" || fail "the failing input's file must be named"
echo "test-fuzz-script: ok (flake passes after one retry, a repeated failure fails, a finding fails at once and is named)"
