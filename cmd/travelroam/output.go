package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// writeJSON writes v as one line of JSON on stdout.
func (c *cli) writeJSON(v any) error {
	enc := json.NewEncoder(c.out)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// jsonEncoder returns an indented encoder that leaves <, > and & alone.
func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc
}

// table writes a header and rows: aligned columns at a terminal,
// tab-separated values (header included) when stdout is not a terminal.
func (c *cli) table(header []string, rows [][]string) error {
	if !c.outTTY {
		var b strings.Builder
		for _, r := range append([][]string{header}, rows...) {
			b.WriteString(strings.Join(r, "\t"))
			b.WriteByte('\n')
		}
		_, err := io.WriteString(c.out, b.String())
		return err
	}
	return c.aligned(header, rows)
}

// aligned writes a header and rows in aligned columns.
func (c *cli) aligned(header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(c.out, 0, 0, 2, ' ', 0)
	for _, r := range append([][]string{header}, rows...) {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// info writes a line for the person at the terminal (quotes, hints) on
// stderr, so that stdout keeps only results.
func (c *cli) info(format string, args ...any) {
	fmt.Fprintf(c.err, format+"\n", args...)
}

// prompt asks question on stderr and reads one line from stdin. It returns
// when the line is read or ctx is done (an unanswered read of the terminal
// then ends with the process).
func (c *cli) prompt(ctx context.Context, question string) (string, error) {
	fmt.Fprint(c.err, question)
	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(c.in).ReadString('\n')
		ch <- answer{line, err}
	}()
	select {
	case a := <-ch:
		if a.err != nil && !(errors.Is(a.err, io.EOF) && a.line != "") {
			fmt.Fprintln(c.err)
			return "", errors.New("no answer")
		}
		return strings.TrimSpace(a.line), nil
	case <-ctx.Done():
		fmt.Fprintln(c.err)
		return "", fmt.Errorf("interrupted: %w", ctx.Err())
	}
}

// formatMB formats a decimal amount of megabytes: "500 MB", "1 GB", "1.5 GB".
func formatMB(mb int64, unlimited bool) string {
	if unlimited {
		return "unlimited"
	}
	return formatBytes(mb * 1_000_000)
}

// formatBytes formats a decimal amount of bytes (1 GB = 10^9 bytes).
func formatBytes(n int64) string {
	units := []struct {
		size int64
		name string
	}{{1_000_000_000_000, "TB"}, {1_000_000_000, "GB"}, {1_000_000, "MB"}, {1_000, "kB"}}
	for _, u := range units {
		if n >= u.size || -n >= u.size {
			v := strconv.FormatFloat(float64(n)/float64(u.size), 'f', 2, 64)
			return strings.TrimSuffix(strings.TrimRight(v, "0"), ".") + " " + u.name
		}
	}
	return strconv.FormatInt(n, 10) + " B"
}

// formatTime formats t in UTC, or "never" when zero.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

// timeOrNil is t for JSON, or nil when zero.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// formatDuration formats d rounded to the second, e.g. "1m12s", "8s".
func formatDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	return s
}
