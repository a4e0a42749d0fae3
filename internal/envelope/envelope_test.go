package envelope

import (
	"strings"
	"testing"
)

func TestUnwrap(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`{"data":{"iccid":"1"}}`, `{"iccid":"1"}`},
		{` {"esim": {"data": [1]}} `, `[1]`},
		{`{"data":null,"esim":{"a":1}}`, `{"a":1}`},
		{`{"Data":{"a":1}}`, `{"Data":{"a":1}}`}, // keys match exactly
		{`[{"data":1}]`, `[{"data":1}]`},
		{`{"data":`, `{"data":`},
		{strings.Repeat(`{"data":`, 6) + `1` + strings.Repeat(`}`, 6), `{"data":{"data":1}}`},
	} {
		if got := string(Unwrap([]byte(tc.in), "data", "esim")); got != tc.want {
			t.Fatalf("%s: got %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestObjectOrFirst(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{`{"a":1}`: `{"a":1}`, ` [ {"b":2}, {"c":3} ] `: `{"b":2}`} {
		got, err := ObjectOrFirst([]byte(in))
		if err != nil || string(got) != want {
			t.Fatalf("%s: got %s, %v", in, got, err)
		}
	}
	for _, bad := range []string{``, `[]`, `[1]`, `"x"`, `null`, `[`} {
		if _, err := ObjectOrFirst([]byte(bad)); err == nil {
			t.Fatalf("%q: want an error", bad)
		}
	}
	if !IsNull([]byte(" null ")) || !IsNull(nil) || IsNull([]byte("0")) || !IsObject([]byte(" {")) || !IsArray([]byte("\n[")) {
		t.Fatal("IsNull, IsObject, IsArray")
	}
}

// TestWalk checks the order of a walk (breadth first), its end, and its
// bound: MaxDepth levels below the top, ErrTooDeep beyond.
func TestWalk(t *testing.T) {
	t.Parallel()
	var seen []string
	tree := map[string][]string{"a": {"b", "c"}, "b": {"d"}, "c": {"e"}}
	err := Walk([]byte("a"), func(v []byte) ([][]byte, bool, error) {
		seen = append(seen, string(v))
		var next [][]byte
		for _, n := range tree[string(v)] {
			next = append(next, []byte(n))
		}
		return next, string(v) == "d", nil
	})
	if err != nil || strings.Join(seen, "") != "abcd" {
		t.Fatalf("got %v, %q", err, seen)
	}
	depth := 0
	err = Descend([]byte("x"), func(v []byte) ([]byte, error) {
		depth++
		return v, nil
	})
	if err != ErrTooDeep || depth != MaxDepth+1 {
		t.Fatalf("got %v after %d levels", err, depth)
	}
}
