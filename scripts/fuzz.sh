#!/usr/bin/env bash
# Runs every fuzz target of every package of the module.
#
#   scripts/fuzz.sh               # CI: a fixed number of executions per target
#   scripts/fuzz.sh 120           # a long session: 120 seconds per target
#   scripts/fuzz.sh 120 FuzzDecodeESIM FuzzParseActivationCode   # only these
#   scripts/fuzz.sh FuzzDecodeESIM   # only this one, with the CI budget
#
# scripts/test-fuzz-script.sh checks the failure handling below with a
# stand-in go command.
#
# Why it cannot fail at random (issue 17):
#   - It runs on Go 1.27 (GOTOOLCHAIN=go1.27.3, which the go command fetches
#     through the module proxy, as CI's second test run does). Go 1.26's
#     fuzzing coordinator races its own -fuzztime deadline when a worker is
#     starved of CPU and fails the target with a bare "context deadline
#     exceeded" (go.dev/issue/75804, fixed in Go 1.27.0). Set
#     FUZZ_GOTOOLCHAIN to use another toolchain.
#   - With no argument the budget is a count of executions (-fuzztime Nx,
#     FUZZ_EXECS, default 8000), not a duration: no deadline to race at
#     all, and a busy machine only makes the step slower. 8000 executions
#     take one to a few seconds per target on a 2-core machine.
#   - A target that fails without writing a failing input (a coordinator
#     or worker fault, not a finding) is run once more; only a failure that
#     repeats fails the step.
# A real finding always fails: go test writes the failing input under the
# package's testdata/fuzz/<Target>/, where it becomes a seed that every
# `go test` replays; the script names the file. Fix the code and commit the
# file with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=""
case "${1:-}" in Fuzz*) ;; *) secs="${1:-}"; if [ $# -gt 0 ]; then shift; fi ;; esac
case "$secs" in
'') budget="${FUZZ_EXECS:-8000}x" ;;
*[!0-9]* | 0)
	echo "usage: $0 [seconds per target, a positive integer] [target ...]" >&2
	exit 2
	;;
*) budget="${secs}s" ;;
esac
case "$budget" in
[1-9]*x | [1-9]*s) ;;
*) echo "fuzz: FUZZ_EXECS must be a positive integer" >&2; exit 2 ;;
esac
only=("$@")

export GOTOOLCHAIN="${FUZZ_GOTOOLCHAIN:-go1.27.3}"
echo "fuzz: $(go version)"

# `go test -list` prints a package's names, then "ok <package> <time>"
# (or "? <package> [no test files]").
targets=()
names=()
list_out=$(go test -list '^Fuzz' ./...)
while IFS= read -r line; do
	case "$line" in
	Fuzz*) names+=("$line") ;;
	"ok "* | "?"*)
		pkg=$(awk '{print $2}' <<<"$line")
		for n in ${names[@]+"${names[@]}"}; do
			if [ ${#only[@]} -eq 0 ] || printf '%s\n' "${only[@]}" | grep -qx "$n"; then
				targets+=("$pkg $n")
			fi
		done
		names=()
		;;
	esac
done <<<"$list_out"

if [ "${#targets[@]}" -eq 0 ]; then
	echo "no fuzz targets found" >&2
	exit 1
fi
echo "${#targets[@]} fuzz targets, budget ${budget} each"

# corpus_files lists every file under a testdata/fuzz directory, tracked or
# not, so that a failing input written by a run shows as a new line.
corpus_files() { find . -path '*/testdata/fuzz/*' -type f -not -path './.git/*' | LC_ALL=C sort; }

# fuzz_once runs one target; it prints the output and returns go test's
# exit status.
fuzz_once() {
	go test -run='^$' -fuzz="^${2}\$" -fuzztime="$budget" "$1" 2>&1
}

start=$SECONDS
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	t0=$SECONDS
	printf '=== %s %s ' "$pkg" "$name"
	before=$(corpus_files)
	status=0
	out=$(fuzz_once "$pkg" "$name") || status=$?
	if [ "$status" -eq 0 ]; then
		echo "ok ($((SECONDS - t0))s)"
		continue
	fi
	new=$(comm -13 <(echo "$before") <(corpus_files))
	if [ -n "$new" ] || grep -q 'Failing input written to' <<<"$out"; then
		echo "FAIL"
		echo "$out"
		echo "fuzz: $name found a failing input:" >&2
		echo "${new:-(see the output above)}" >&2
		echo "fuzz: replay it with: go test -run='^${name}\$' $pkg ; fix the code and commit the file" >&2
		exit 1
	fi
	# No failing input: a fault of the fuzzing machinery (e.g. the deadline
	# race of go.dev/issue/75804), or a failure of the seed corpus, which
	# repeats. One more run tells them apart.
	echo "failed without a failing input (exit $status); running it once more"
	echo "$out" | tail -n 5 | sed 's/^/    /'
	status=0
	out2=$(fuzz_once "$pkg" "$name") || status=$?
	if [ "$status" -ne 0 ]; then
		echo "=== $pkg $name FAIL (twice)"
		echo "$out2"
		new=$(comm -13 <(echo "$before") <(corpus_files))
		if [ -n "$new" ]; then echo "fuzz: $name found a failing input:" >&2; echo "$new" >&2; fi
		exit 1
	fi
	echo "=== $pkg $name ok on the second run ($((SECONDS - t0))s); the first failure did not repeat"
done
echo "all ${#targets[@]} fuzz targets passed in $((SECONDS - start))s"
