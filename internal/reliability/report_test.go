package reliability_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roamkit/travelroam"
)

// The recorder: each scenario keeps a record of its figures (calls and
// their outcomes, the fake's requests and orders, virtual and wall time,
// key measurements). With -reliability.report=FILE, TestMain writes them
// as a table between the figure markers of FILE (RELIABILITY.md):
//
//	go test -race -count=1 ./internal/reliability/ -args -reliability.report=../../RELIABILITY.md

var reportPath = flag.String("reliability.report", "", "write the reliability scenarios' figures into this Markdown file, between its figure markers")

const (
	figuresBegin = "<!-- reliability-figures:begin -->"
	figuresEnd   = "<!-- reliability-figures:end -->"
)

// runLog holds the records of the scenarios that ran.
type runLog struct {
	mu      sync.Mutex
	records []*record
}

var reliabilityRuns runLog

// record is one scenario's figures.
type record struct {
	id, guarantee, title string
	start                time.Time

	mu       sync.Mutex
	calls    int
	outcomes map[string]int
	requests int
	orders   int
	dials    int64
	refused  int64
	virtual  time.Duration
	wall     time.Duration
	notes    []string
}

// newRecord starts the record of scenario id (e.g. "S1"), which proves
// guarantee (e.g. "G1"). It is filed when the test ends, after the rigs'
// cleanups.
func newRecord(t *testing.T, id, guarantee, title string) *record {
	r := &record{id: id, guarantee: guarantee, title: title, start: time.Now(), outcomes: map[string]int{}}
	t.Cleanup(func() {
		r.mu.Lock()
		r.wall = time.Since(r.start)
		r.mu.Unlock()
		if t.Failed() {
			return
		}
		reliabilityRuns.mu.Lock()
		defer reliabilityRuns.mu.Unlock()
		reliabilityRuns.records = append(reliabilityRuns.records, r)
	})
	return r
}

// outcome counts one SDK call and the class of its result.
func (r *record) outcome(err error) { r.count(classify(err)) }

// count counts one call with the given outcome label.
func (r *record) count(label string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	r.outcomes[label]++
}

// note adds a key figure, e.g. "min gap 5.000s".
func (r *record) note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// addVirtual adds virtual time elapsed in a synctest bubble.
func (r *record) addVirtual(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.virtual += d
}

func (r *record) addRig(g *rig) {
	if r == nil {
		return
	}
	reqs, orders := len(g.Srv.Requests()), len(g.Srv.Orders())
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests += reqs
	r.orders += orders
	r.dials += g.Net.Dials.Load()
	r.refused += g.Net.Refused.Load()
}

// classify names the class of a call's result for the report.
func classify(err error) string {
	var (
		ae *travelroam.APIError
		de *travelroam.DecodeError
		ce *travelroam.CallbackError
	)
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, travelroam.ErrRetryBudgetExhausted) && errors.As(err, &ae):
		return fmt.Sprintf("budget exhausted (%d)", ae.StatusCode)
	case errors.Is(err, travelroam.ErrRetryBudgetExhausted):
		return "budget exhausted"
	case errors.As(err, new(*travelroam.OutcomeUnknownError)):
		return "outcome unknown"
	case errors.As(err, new(*travelroam.AssignmentsPendingError)):
		return "assignments pending"
	case errors.As(err, new(*travelroam.AlreadyAttemptedError)):
		return "already attempted"
	case errors.Is(err, travelroam.ErrPaginationIgnored):
		return "pagination ignored"
	case errors.As(err, &ae):
		return "API " + strconv.Itoa(ae.StatusCode)
	case errors.Is(err, travelroam.ErrResponseTooLarge):
		return "response too large"
	case errors.As(err, &de):
		return "decode error"
	case isDialRefused(err):
		return "not sent (dial refused)"
	case errors.Is(err, travelroam.ErrNotSent) && errors.Is(err, context.Canceled):
		return "not sent (canceled)"
	case errors.Is(err, travelroam.ErrNotSent):
		return "not sent"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline exceeded"
	case errors.As(err, &ce):
		return "callback refused (" + strconv.Itoa(ce.StatusCode) + ")"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed (EOF)"
	}
	return "other error"
}

// writeReliabilityReport replaces the figures between the markers of the
// file at path with the records of this run.
func writeReliabilityReport(path string, suiteWall time.Duration) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	before, rest, ok := bytes.Cut(old, []byte(figuresBegin))
	_, after, ok2 := bytes.Cut(rest, []byte(figuresEnd))
	if !ok || !ok2 {
		return fmt.Errorf("%s: no %s … %s markers", path, figuresBegin, figuresEnd)
	}
	var b bytes.Buffer
	b.Write(before)
	b.WriteString(figuresBegin + "\n")
	reliabilityRuns.mu.Lock()
	writeFigures(&b, reliabilityRuns.records, suiteWall)
	reliabilityRuns.mu.Unlock()
	b.WriteString(figuresEnd)
	b.Write(after)
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func writeFigures(b *bytes.Buffer, records []*record, suiteWall time.Duration) {
	recs := slices.Clone(records)
	slices.SortFunc(recs, func(x, y *record) int { return compareIDs(x.id, y.id) })
	fmt.Fprintf(b, "\nLast run: %s, %s %s/%s, %d CPUs, race detector %s; %d scenarios; suite wall time **%s**.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.Version(), runtime.GOOS, runtime.GOARCH,
		runtime.NumCPU(), onOff(raceEnabled()), len(recs), suiteWall.Round(time.Millisecond))
	b.WriteString("| Scenario | Proves | Calls | Requests at the fake | Orders in the ledger | Outcomes (calls) | Virtual time | Wall time | Key figures |\n")
	b.WriteString("|---|---|--:|--:|--:|---|--:|--:|---|\n")
	for _, r := range recs {
		r.mu.Lock()
		fmt.Fprintf(b, "| **%s** %s | %s | %d | %d | %d | %s | %s | %s | %s |\n",
			r.id, r.title, r.guarantee, r.calls, r.requests, r.orders, outcomes(r.outcomes),
			virtualTime(r.virtual), r.wall.Round(time.Millisecond), strings.Join(r.notes, "; "))
		r.mu.Unlock()
	}
	b.WriteString("\n")
}

func outcomes(m map[string]int) string {
	keys := slices.Sorted(maps.Keys(m))
	slices.SortStableFunc(keys, func(a, b string) int { return cmp.Compare(m[b], m[a]) })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func virtualTime(d time.Duration) string {
	if d == 0 {
		return "–"
	}
	return d.Round(time.Millisecond).String()
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// compareIDs orders S1 < S2 < S10 < W1.
func compareIDs(a, b string) int {
	if c := cmp.Compare(a[:1], b[:1]); c != 0 {
		return c
	}
	na, _ := strconv.Atoi(strings.TrimRight(a[1:], "abcdefghijklmnopqrstuvwxyz"))
	nb, _ := strconv.Atoi(strings.TrimRight(b[1:], "abcdefghijklmnopqrstuvwxyz"))
	return cmp.Or(cmp.Compare(na, nb), cmp.Compare(a, b))
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}
