package travelroam

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
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
		if err := json.Unmarshal([]byte("{"+strings.Join(members, ",")+"}"), v); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		rv := reflect.ValueOf(v).Elem()
		for _, f := range want {
			got := strings.ToLower(rv.FieldByName(f).String())
			if got != "1234" {
				t.Errorf("%s.%s = %q, want the digits", typ, f, got)
			}
		}
	}
}

// TestDecodeOrderReachesEveryStringField is the same check for an
// order's answer, which decodeOrder reads (Order has no method of its
// own).
func TestDecodeOrderReachesEveryStringField(t *testing.T) {
	t.Parallel()
	o, err := decodeOrder([]byte(`{"orderReference":1234,"status":1234,"statusMessage":1234,"currency":1234}`))
	if err != nil {
		t.Fatal(err)
	}
	if o.Reference != "1234" || o.Status != "1234" || o.StatusMessage != "1234" || o.Currency != "1234" {
		t.Fatalf("got %+v", o)
	}
}
