package travelroam

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
)

// TestInPlaceDecodersReachEveryStringField sends every string-kind field
// (defined string types included: statuses, states, and whatever type
// holds a secret) of the types decoded in place as a JSON number, and
// checks that each keeps its digits: the lenient string rule reaches
// every field, so a field whose type changes cannot silently fall back
// to the engine's strict rule.
func TestInPlaceDecodersReachEveryStringField(t *testing.T) {
	t.Parallel()
	for _, v := range []any{&ESIM{}, &Assignment{}, &Location{}, &OrganisationUser{}, &BundleAssignment{},
		&AppliedBundle{}, &OrderLine{}, &OrderESIM{}} {
		typ := reflect.TypeOf(v).Elem()
		var members []string
		var want []string
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.Type.Kind() != reflect.String || name == "" || name == "-" {
				continue
			}
			members = append(members, `"`+name+`":1234`)
			want = append(want, f.Name)
		}
		// Outside the SDK, with either engine: each value builds its own
		// rules (with the v2 engine, only without unmarshalers of the
		// caller's).
		for engine, unmarshal := range map[string]func([]byte, any) error{
			"encoding/json": json.Unmarshal,
			"JSON v2":       func(b []byte, v any) error { return jsonv2.Unmarshal(b, v) },
		} {
			reflect.ValueOf(v).Elem().SetZero()
			if err := unmarshal([]byte("{"+strings.Join(members, ",")+"}"), v); err != nil {
				t.Fatalf("%s, %s: %v", typ, engine, err)
			}
			rv := reflect.ValueOf(v).Elem()
			for _, f := range want {
				got := strings.ToLower(rv.FieldByName(f).String())
				if got != "1234" {
					t.Errorf("%s, %s: %s = %q, want the digits", typ, engine, f, got)
				}
			}
		}
	}
}

// TestDecodeOrderReachesEveryStringField is the same check for an
// order's answer, which decodeOrder reads (Order has no method of its
// own).
func TestDecodeOrderReachesEveryStringField(t *testing.T) {
	t.Parallel()
	o, err := decodeOrder([]byte(`{"orderReference":1234,"status":1234,"statusMessage":1234,"currency":1234}`), newDecodeRules())
	if err != nil {
		t.Fatal(err)
	}
	if o.Reference != "1234" || o.Status != "1234" || o.StatusMessage != "1234" || o.Currency != "1234" {
		t.Fatalf("got %+v", o)
	}
}

// answerDecoders returns the decoders that take the Client's rules, each
// with an answer it decodes.
func answerDecoders() []decoderCase {
	return []decoderCase{
		{"esim", "esim_details_v25.json", func(b []byte, r jsonv2.Options) error { _, err := decodeESIM(b, r); return err }},
		{"location", "location.json", func(b []byte, r jsonv2.Options) error { _, err := decodeLocation(b, r); return err }},
		{"assignments", "assignments_array.json", func(b []byte, r jsonv2.Options) error { _, err := decodeAssignments(b, r); return err }},
		{"appliedBundles", "applied_bundles.json", func(b []byte, r jsonv2.Options) error { _, err := decodeAppliedBundles(b, r); return err }},
		{"order", "order_completed.json", func(b []byte, r jsonv2.Options) error { _, err := decodeOrder(b, r); return err }},
		{"organisation", "organisation_flat.json", func(b []byte, r jsonv2.Options) error { _, err := decodeOrganisation(b, r); return err }},
	}
}

// decoderCase is a decoder that takes the Client's rules, and an answer.
type decoderCase struct {
	name, fixture string
	decode        func([]byte, jsonv2.Options) error
}

// TestDecodersReuseTheClientsRules: an answer decoded with the rules a
// Client holds allocates less than half of what it does with a set built
// for it (the engine's cache of which rule serves which type, filled
// once per set): the types' methods use the rules their decoder carries
// instead of building their own, and nothing is shared between Clients.
// Allocation counts are exact; not under the race detector.
func TestDecodersReuseTheClientsRules(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	rules := newDecodeRules()
	for _, d := range answerDecoders() {
		body := fixture(t, d.fixture)
		shared := testing.AllocsPerRun(50, func() {
			if err := d.decode(body, rules); err != nil {
				t.Fatal(err)
			}
		})
		fresh := testing.AllocsPerRun(50, func() {
			if err := d.decode(body, newDecodeRules()); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%s: %.0f allocations with the Client's rules, %.0f with a set of its own", d.name, shared, fresh)
		if 2*shared >= fresh {
			t.Errorf("%s: %.0f allocations with the Client's rules, %.0f with a set of its own", d.name, shared, fresh)
		}
	}
}

// BenchmarkDecodeAnswers decodes one answer of each kind decoded in
// place, with the rules a Client holds, and a callback (which needs no
// rule set) through ParseCallback.
func BenchmarkDecodeAnswers(b *testing.B) {
	rules := newDecodeRules()
	for _, d := range answerDecoders() {
		body := fixture(b, d.fixture)
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := d.decode(body, rules); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	body := fixture(b, "callback_v3.json")
	b.Run("parseCallback", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req, err := http.NewRequestWithContext(b.Context(), http.MethodPost, "/callback", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ParseCallback(req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
