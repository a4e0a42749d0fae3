package travelroam

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Fuzz targets for the order and eSIM decoders. Beyond "no panic", each
// checks what callers rely on: a value or an error, never both or
// neither; an order always has a reference; the printed forms of eSIMs
// and assignments never depend on their secrets; usage figures stay in
// range. Seeds are the testdata fixtures, plus testdata/fuzz/<target>.

func FuzzDecodeOrder(f *testing.F) {
	for _, name := range []string{"order_completed.json", "order_data_wrapper.json", "order_nested.json", "order_no_reference.json"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"orderReference": 12345, "order": "x"}`))
	f.Add([]byte(`{"data": {"order": {"orderReference": " r ", "order": [null, {}]}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := decodeOrder(b)
		if (o == nil) == (err == nil) {
			t.Fatalf("want an order or an error, got %v, %v", o, err)
		}
		// The one-pass path gives exactly what the full one gives.
		std, stdErr := decodeOrderStd(b)
		if fmt.Sprint(err) != fmt.Sprint(stdErr) || !sameOrder(o, std) {
			t.Fatalf("decodeOrder: %+v, %v; decodeOrderStd: %+v, %v", o, err, std, stdErr)
		}
		if err != nil {
			return
		}
		if o.Reference == "" || o.Reference != strings.TrimSpace(o.Reference) {
			t.Fatalf("reference %q", o.Reference)
		}
		ids := o.ICCIDs()
		if slices.Contains(ids, "") || len(slices.Compact(slices.Sorted(slices.Values(ids)))) != len(ids) {
			t.Fatalf("ICCIDs %q have empties or repeats", ids)
		}
		// The total prints and parses back exactly.
		if back, err := ParseAmount(o.Total.String()); err != nil || back.Cmp(o.Total) != 0 {
			t.Fatalf("total %v parses back as %v, %v", o.Total, back, err)
		}
	})
}

// sameOrder compares two decoded orders, their times by instant and
// zone offset (each parse makes its own zone).
func sameOrder(a, b *Order) bool {
	if a == nil || b == nil {
		return a == b
	}
	_, aOff := a.CreatedAt.Zone()
	_, bOff := b.CreatedAt.Zone()
	if !a.CreatedAt.Equal(b.CreatedAt) || aOff != bOff {
		return false
	}
	x, y := *a, *b
	x.CreatedAt, y.CreatedAt = time.Time{}, time.Time{}
	return reflect.DeepEqual(x, y)
}

var esimSeeds = []string{"esim_details_ms.json", "esim_details_ms_string.json", "esim_details_rfc3339.json",
	"esim_details_zero.json", "assignments_object.json", "assignments_array.json", "assignments_data.json"}

func FuzzDecodeESIM(f *testing.F) {
	for _, name := range esimSeeds {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"esim": {"iccid": 1e3, "firstInstalledDateTime": "99999999999999999999", "pin": true}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeESIM(b)
		if (e == nil) == (err == nil) {
			t.Fatalf("want an eSIM or an error, got %v, %v", e, err)
		}
		if err != nil {
			return
		}
		if loc := e.FirstInstalledAt.Location(); !e.FirstInstalledAt.IsZero() && loc != time.UTC {
			t.Fatalf("time %v not in UTC", e.FirstInstalledAt)
		}
		// The printed forms do not depend on the secrets, nor on the ICCID
		// beyond its last four characters.
		other := *e
		other.MatchingID, other.PIN, other.PUK = "other-matching-id", "9999", "88888888"
		other.ICCID = maskedLike(e.ICCID)
		requireSamePrint(t, *e, other)
		checkActivationCode(t, e.ActivationCode)
	})
}

func FuzzDecodeAssignmentsSecrets(f *testing.F) {
	for _, name := range append(esimSeeds, "assignments_esims.json", "assignments_not_ready.json") {
		f.Add(fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := decodeAssignments(b)
		if err != nil {
			if list != nil {
				t.Fatalf("a list with an error: %v", list)
			}
			return
		}
		for _, a := range list {
			other := a
			other.MatchingID, other.PIN, other.PUK, other.RSPURL = "other-matching-id", "9999", "88888888", "LPA:1$x$y"
			other.AppleInstallURL = "https://example.test/other"
			other.ICCID = maskedLike(a.ICCID)
			requireSamePrint(t, a, other)
			checkActivationCode(t, a.ActivationCode)
		}
	})
}

// maskedLike returns an ICCID of the same length that shares only the
// last four characters with iccid.
func maskedLike(iccid string) string {
	if len(iccid) <= 4 {
		return strings.Repeat("x", len(iccid))
	}
	return strings.Repeat("x", len(iccid)-4) + iccid[len(iccid)-4:]
}

// requireSamePrint fails unless a and b print alike with every fmt verb
// and through slog.
func requireSamePrint(t *testing.T, a, b any) {
	t.Helper()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		if x, y := fmt.Sprintf(verb, a), fmt.Sprintf(verb, b); x != y {
			t.Fatalf("%s shows a secret: %q vs %q", verb, x, y)
		}
	}
	var x, y strings.Builder
	slog.New(slog.NewJSONHandler(&x, nil)).Info("m", "v", a)
	slog.New(slog.NewJSONHandler(&y, nil)).Info("m", "v", b)
	strip := func(s string) string { _, rest, _ := strings.Cut(s, `"level"`); return rest } // drop the time
	if strip(x.String()) != strip(y.String()) {
		t.Fatalf("slog shows a secret: %s vs %s", x.String(), y.String())
	}
}

// checkActivationCode checks that a code built from decoded data prints
// in a form that parses back to itself.
func checkActivationCode(t *testing.T, build func() (ActivationCode, error)) {
	t.Helper()
	ac, err := build()
	if err != nil {
		return
	}
	back, err := ParseActivationCode(ac.String())
	if err != nil || back != ac {
		t.Fatalf("%q parses back as %+v, %v", ac.String(), back, err)
	}
}

func FuzzDecodeAppliedBundles(f *testing.F) {
	for _, name := range []string{"applied_bundles.json", "applied_bundles_titlecase.json"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"bundles": null}`))
	f.Add([]byte(`[{"name": "a", "assignments": [{"initialQuantity": "1000.00", "remainingQuantity": -5, "bundleState": "ACTIVE", "unlimited": "1"}]}]`))
	f.Add([]byte(`[{"assignments": [{"remainingQuantity": 9223372036854775807}, {"remainingQuantity": 9223372036854775807}]}]`))
	now := time.Date(2025, 3, 6, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := decodeAppliedBundles(b)
		if (list == nil) == (err == nil) {
			t.Fatalf("want bundles or an error, got %v, %v", list, err)
		}
		for _, ab := range list {
			for _, a := range ab.Assignments {
				if f := a.UsedFraction(); math.IsNaN(f) || f < 0 || f > 1 {
					t.Fatalf("used fraction %v of %+v", f, a)
				}
				if a.UsedBytes() < 0 {
					t.Fatalf("used bytes %d of %+v", a.UsedBytes(), a)
				}
				if string(a.BundleState) != strings.ToLower(string(a.BundleState)) {
					t.Fatalf("state %q not lower case", a.BundleState)
				}
			}
		}
		if remaining, _ := RemainingDataBytes(list, now); remaining < 0 {
			t.Fatalf("remaining %d bytes", remaining)
		}
	})
}

func FuzzDecodeLocation(f *testing.F) {
	f.Add(fixture(f, "location.json"))
	f.Add([]byte(`{"data": {"mobileNetworkCode": 28601, "lastSeen": 1723541877280}}`))
	f.Add([]byte(`{"location": [{"country": "TR", "lastSeen": "2025-03-06 17:45:02"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := decodeLocation(b)
		if (l == nil) == (err == nil) {
			t.Fatalf("want a location or an error, got %v, %v", l, err)
		}
		if l != nil && !l.LastSeen.IsZero() && l.LastSeen.Location() != time.UTC {
			t.Fatalf("last seen %v not in UTC", l.LastSeen)
		}
	})
}

// FuzzCallbackScalars checks the fast paths of the callback's lenient
// fields against what they replace: unquoteJSON against encoding/json,
// and plainInt against parseQuantity.
func FuzzCallbackScalars(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\u00e9\n"`, `"é"`, "\"\xff\"", `"`, `""`, `12`, `-0`, `007`, `-`,
		`123456789012345678`, `1234567890123456789`, `1e3`, `"1000.00"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := unquoteJSON(b)
		var want string
		wantErr := json.Unmarshal(b, &want)
		if (err == nil) != (wantErr == nil) || got != want {
			t.Fatalf("unquoteJSON(%q) = %q, %v; encoding/json: %q, %v", b, got, err, want, wantErr)
		}
		if n, ok := plainInt(b); ok {
			slow, err := parseQuantity(string(b))
			exact, perr := strconv.ParseInt(string(b), 10, 64)
			if err != nil || slow != n || perr != nil || exact != n {
				t.Fatalf("plainInt(%q) = %d; parseQuantity: %d, %v; ParseInt: %d, %v", b, n, slow, err, exact, perr)
			}
		}
	})
}

func TestRemainingDataBytesSaturates(t *testing.T) {
	t.Parallel()
	huge := BundleAssignment{RemainingQuantity: math.MaxInt64 - 1}
	remaining, unlimited := RemainingDataBytes([]AppliedBundle{{Assignments: []BundleAssignment{huge, huge, {RemainingQuantity: 5}}}}, time.Now())
	if remaining != math.MaxInt64 || unlimited {
		t.Fatalf("got %d, %v; want the largest int64", remaining, unlimited)
	}
}
