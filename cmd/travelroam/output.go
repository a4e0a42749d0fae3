package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"
)

// safe returns s fit to print on a terminal: every C0 control character
// (newline, tab and carriage return included), DEL and every C1 control
// character is replaced by a visible escape ("\x1b", "\x7f",
// "\u009b"), and so is each byte that is not UTF-8 ("\xff"). It is the
// one function through which every server- or caller-supplied string
// goes before it is printed as text (the streams' filter, safeWriter, is
// the second line of defence); --json output is exact instead (JSON
// escapes these characters).
func safe(s string) string {
	clean := true
	for _, r := range s {
		if isControl(r) || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r < 0x80 && isControl(r):
			fmt.Fprintf(&b, "\\x%02x", r)
		case isControl(r):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// isControl reports whether r is a C0 or C1 control character or DEL.
func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f)
}

// safeWriter is the filter on stdout and stderr: it replaces the C0
// control characters but newline and tab, DEL and the C1 controls
// (written as UTF-8) by visible escapes, so that a string that escaped
// safe still cannot drive the terminal. The command line's own colour
// and progress line go to rawErr, around it.
type safeWriter struct{ w io.Writer }

func (s safeWriter) Write(p []byte) (int, error) {
	i := slices.IndexFunc(p, func(b byte) bool { return (b < 0x20 && b != '\n' && b != '\t') || b == 0x7f || b == 0xc2 })
	if i < 0 {
		return s.w.Write(p)
	}
	var b bytes.Buffer
	for j := 0; j < len(p); j++ {
		switch c := p[j]; {
		case c < 0x20 && c != '\n' && c != '\t', c == 0x7f:
			fmt.Fprintf(&b, "\\x%02x", c)
		case c == 0xc2 && j+1 < len(p) && p[j+1] >= 0x80 && p[j+1] <= 0x9f:
			fmt.Fprintf(&b, "\\u%04x", rune(p[j+1]))
			j++
		default:
			b.WriteByte(c)
		}
	}
	if _, err := s.w.Write(b.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeJSON writes v as one line of JSON on stdout. DEL and the C1
// control characters, which encoding/json leaves as they are, are
// written as \u escapes: the same JSON value, harmless on a terminal.
func (c *cli) writeJSON(v any) error { return writeJSONTo(c.out, v) }

// writeJSONTo is writeJSON on w.
func writeJSONTo(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := io.WriteString(w, escapeJSONControls(buf.String()))
	return err
}

// escapeJSONControls writes DEL and the C1 controls of encoded JSON as \u
// escapes (they can only occur inside strings).
func escapeJSONControls(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x7f && r <= 0x9f }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r >= 0x7f && r <= 0x9f {
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
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
			b.WriteString(strings.Join(safeAll(r), "\t"))
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
		fmt.Fprintln(tw, strings.Join(safeAll(r), "\t"))
	}
	return tw.Flush()
}

// safeAll is safe of each cell.
func safeAll(cells []string) []string {
	out := make([]string, len(cells))
	for i, s := range cells {
		out[i] = safe(s)
	}
	return out
}

// info writes a line for the person at the terminal (quotes, hints) on
// stderr, so that stdout keeps only results. Its arguments go through
// safe (see safeArgs); the format is the command line's own.
func (c *cli) info(format string, args ...any) {
	fmt.Fprintf(c.err, format+"\n", safeArgs(args)...)
}

// printf writes a result on stdout, its arguments through safe.
func (c *cli) printf(format string, args ...any) {
	fmt.Fprintf(c.out, format, safeArgs(args)...)
}

// println writes a result line on stdout, its arguments through safe.
func (c *cli) println(args ...any) error {
	_, err := fmt.Fprintln(c.out, safeArgs(args)...)
	return err
}

// safeArgs returns args with every string, error, fmt.Stringer and value
// of a string type replaced by its text through safe: the print paths of
// the command line (info, printf, println, table) go through it, so that
// a server's or a caller's text cannot drive the terminal.
func safeArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			out[i] = safe(v)
		case error:
			out[i] = safe(v.Error())
		case fmt.Stringer:
			out[i] = safe(v.String())
		default:
			if rv := reflect.ValueOf(a); rv.Kind() == reflect.String {
				out[i] = safe(rv.String())
			} else {
				out[i] = a
			}
		}
	}
	return out
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
