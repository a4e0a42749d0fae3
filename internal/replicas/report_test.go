package replicas

import (
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// With -replicas.report=FILE, TestMain writes the figures of the
// scenarios that ran as a table between the markers of FILE
// (RELIABILITY.md), as internal/reliability does for its own section.

var reportPath = flag.String("replicas.report", "", "write the figures of the replica scenarios into this Markdown file, between its replicas-figures markers")

const (
	figuresBegin = "<!-- replicas-figures:begin -->"
	figuresEnd   = "<!-- replicas-figures:end -->"
)

// record is the figures of one scenario on one store.
type record struct {
	id, title, store string
	processes        int
	start            time.Time

	mu       sync.Mutex
	calls    int
	outcomes map[string]int
	requests int // purchases (or deliveries) that reached the server
	orders   int
	wall     time.Duration
	notes    []string
}

var (
	runsMu sync.Mutex
	runs   []*record
)

// newRecord starts the record of scenario id on store; it is filed when
// the test passes.
func newRecord(t *testing.T, id, title, store string, processes int) *record {
	r := &record{id: id, title: title, store: store, processes: processes, start: time.Now(), outcomes: map[string]int{}}
	t.Cleanup(func() {
		r.mu.Lock()
		r.wall = time.Since(r.start)
		r.mu.Unlock()
		if t.Failed() || t.Skipped() {
			return
		}
		runsMu.Lock()
		defer runsMu.Unlock()
		runs = append(runs, r)
	})
	return r
}

func (r *record) count(outcome string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	r.outcomes[outcome]++
}

func (r *record) note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

func (r *record) server(requests, orders int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests, r.orders = requests, orders
}

// writeReport replaces the table between the markers of path.
func writeReport(path string) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	i, j := bytes.Index(old, []byte(figuresBegin)), bytes.Index(old, []byte(figuresEnd))
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %s … %s markers", path, figuresBegin, figuresEnd)
	}
	var b strings.Builder
	b.WriteString(figuresBegin + "\n\n")
	runsMu.Lock()
	rs := slices.Clone(runs)
	runsMu.Unlock()
	slices.SortFunc(rs, func(a, b *record) int { return cmp.Or(cmp.Compare(a.id, b.id), cmp.Compare(a.store, b.store)) })
	race := "off"
	if raceDetector {
		race = "on"
	}
	fmt.Fprintf(&b, "Last run: %s, %s %s/%s, %d CPUs, race detector %s (in every process); %d scenario runs.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), race, len(rs))
	b.WriteString("| Scenario | Stores | Processes | Calls | Requests | Orders in the ledger | Outcomes (calls) | Wall time | Key figures |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|---|--:|---|\n")
	for _, r := range rs {
		var outs []string
		for _, k := range slices.Sorted(maps.Keys(r.outcomes)) {
			outs = append(outs, fmt.Sprintf("%s ×%d", k, r.outcomes[k]))
		}
		fmt.Fprintf(&b, "| **%s** %s | %s | %d | %d | %d | %d | %s | %s | %s |\n", r.id, r.title, r.store, r.processes, r.calls,
			r.requests, r.orders, strings.Join(outs, ", "), r.wall.Round(100*time.Millisecond), strings.Join(r.notes, "; "))
	}
	b.WriteString("\n")
	out := append(slices.Clone(old[:i]), b.String()...)
	out = append(out, old[j:]...)
	return os.WriteFile(path, out, 0o644)
}
