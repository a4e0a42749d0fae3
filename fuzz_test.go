package travelroam

import (
	"net/http"
	"testing"
	"time"
)

func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, s := range []string{"7", "0", "-1", "3600", "99999999999999999999", "soon", " 12 ",
		now.Add(time.Minute).Format(http.TimeFormat), now.Add(-time.Minute).Format(http.TimeFormat), "Sun Mar  1 12:00:05 2026"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseRetryAfter(s, now)
		if d < 0 {
			t.Fatalf("%q: negative %v", s, d)
		}
		if !ok && d != 0 {
			t.Fatalf("%q: not ok but %v", s, d)
		}
		if d > 365*24*time.Hour+time.Second && !isHTTPDate(s) {
			t.Fatalf("%q: %v exceeds the cap", s, d)
		}
	})
}

func isHTTPDate(s string) bool {
	_, err := http.ParseTime(s)
	return err == nil
}
