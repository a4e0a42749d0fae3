package lenient

import (
	stdjson "encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
)

// decodeBoth decodes in with encoding/json and with the v2 engine into
// fresh values of T, checks that both agree, and returns the result.
func decodeBoth[T any](t *testing.T, in string) (T, error) {
	t.Helper()
	var v1, v2 T
	err1 := stdjson.Unmarshal([]byte(in), &v1)
	err2 := json.Unmarshal([]byte(in), &v2, Options())
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("%s: encoding/json %v, v2 %v", in, err1, err2)
	}
	if err1 == nil && !reflect.DeepEqual(v1, v2) {
		t.Fatalf("%s: encoding/json %#v, v2 %#v", in, v1, v2)
	}
	if err1 != nil {
		return v1, err1
	}
	return v1, nil
}

// checkRule runs one table: each accepted input gives want with both
// engines; each refused input is an error with both, and the error
// neither quotes the input nor lacks the rule's words.
func checkRule[T any](t *testing.T, accept map[string]T, refuse []string, want string) {
	t.Helper()
	for in, w := range accept {
		got, err := decodeBoth[T](t, in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if !reflect.DeepEqual(got, w) {
			t.Fatalf("%s: got %#v, want %#v", in, got, w)
		}
	}
	for _, in := range refuse {
		_, err := decodeBoth[T](t, in)
		var le *Error
		if !errors.As(err, &le) {
			t.Fatalf("%s: want a rule error, got %v", in, err)
		}
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: error %q does not say %q", in, err, want)
		}
		if inner := strings.Trim(in, `"{}[] `); len(inner) > 2 && !strings.Contains(in, ":") &&
			strings.Contains(err.Error(), inner) && !strings.Contains(le.Want, inner) {
			t.Fatalf("%s: error %q quotes the value", in, err)
		}
	}
}

func TestStringRule(t *testing.T) {
	t.Parallel()
	checkRule(t, map[string]String{
		`"abc"`:                    "abc",
		`" padded "`:               " padded ",
		`""`:                       "",
		`"\u00e9\n"`:               "é\n",
		"\"bad \xff\"":             "bad \uFFFD",
		`8944538532012345678901`:   "8944538532012345678901",
		`8944538532008160000`:      "8944538532008160000",
		`-12.50`:                   "-12.50",
		`1e3`:                      "1e3",
		`null`:                     "",
		` "spaced" `:               "spaced",
		`"\ud83d\ude00 \ud83d x"`:  "😀 \uFFFD x",
		`"8944538532012345678901"`: "8944538532012345678901",
	}, []string{`true`, `false`, `{"secret":1}`, `["secret"]`}, "a string or a number")
}

func TestBoolRule(t *testing.T) {
	t.Parallel()
	checkRule(t, map[string]Bool{
		`true`: true, `false`: false, `"true"`: true, `"TRUE"`: true, `"False"`: false, `" true "`: true,
		`1`: true, `0`: false, `"1"`: true, `"0"`: false, `null`: false,
	}, []string{`"yes"`, `"no"`, `""`, `2`, `1.0`, `-1`, `"on"`, `{}`, `[true]`}, "a boolean")
}

func TestIntRule(t *testing.T) {
	t.Parallel()
	checkRule(t, map[string]Int{
		`7`: 7, `-7`: -7, `0`: 0, `1000.0`: 1000, `500.00`: 500, `"7"`: 7, `"7.0"`: 7, `" 7 "`: 7, `"+7"`: 7,
		`1e3`: 1000, `"1.5e3"`: 1500, `null`: 0, `9223372036854775807`: 9223372036854775807,
		`-9223372036854775808`: -9223372036854775808, `"1.000000000000000000000000"`: 1,
		`"000042"`: 42,
	}, []string{`7.5`, `"7.5"`, `""`, `"seven"`, `true`, `{}`, `[7]`, `9223372036854775808`, `1e30`, `"NaN"`, `"0x10"`, `"1,5"`}, "an integer")
}

func TestDecimalRule(t *testing.T) {
	t.Parallel()
	checkRule(t, map[string]Decimal{
		`1.85`: {185, 2}, `"1.85"`: {185, 2}, `" 4.10 "`: {410, 2}, `3`: {3, 0}, `-0.5`: {-5, 1}, `1e3`: {1000, 0},
		`"0.300000000"`: {300000000, 9}, `null`: {}, `1000.00`: {100000, 2}, `"+.5"`: {5, 1},
	}, []string{`""`, `"abc"`, `true`, `{}`, `[1]`, `"1.2.3"`, `1e400`, `"12345678901234567890"`}, "a number")
}

func TestTimeRule(t *testing.T) {
	t.Parallel()
	ms := Time(time.UnixMilli(1723541877280).UTC())
	checkRule(t, map[string]Time{
		`1723541877280`:                        ms,
		`"1723541877280"`:                      ms,
		`1723541877280.0`:                      ms,
		`"2024-08-13T09:37:57.28Z"`:            ms,
		`"2024-08-13T11:37:57.28+02:00"`:       ms,
		`"2024-08-13 09:37:57.28Z"`:            ms,
		`"2024-08-13t09:37:57.28z"`:            ms,
		`"2023-06-15T10:30:45.123456789Z"`:     Time(time.Date(2023, 6, 15, 10, 30, 45, 123456789, time.UTC)),
		`"2023-06-15T10:30:45.1234567891234Z"`: Time(time.Date(2023, 6, 15, 10, 30, 45, 123456789, time.UTC)),
		`"2025-03-04T09:12:34.34523Z"`:         Time(time.Date(2025, 3, 4, 9, 12, 34, 345230000, time.UTC)),
		`1723541877`:                           Time(time.UnixMilli(1723541877).UTC()), // milliseconds, never seconds
		`0`:                                    {},
		`"0"`:                                  {},
		`""`:                                   {},
		`null`:                                 {},
		`"0001-01-01T00:00:00Z"`:               {},
	}, []string{`"next tuesday"`, `"2024-08-13T09:37:57"`, `"2024-08-13"`, `true`, `{"ms":1}`, `1.5`}, "a time")
	var got Time
	if err := stdjson.Unmarshal([]byte(`"2024-08-13T11:37:57+02:00"`), &got); err != nil || time.Time(got).Location() != time.UTC {
		t.Fatalf("a decoded time is in UTC: %v, %v", time.Time(got), err)
	}
}

func TestListRule(t *testing.T) {
	t.Parallel()
	checkRule(t, map[string]List[Int]{
		`[1, "2", 3.0]`: {1, 2, 3},
		`7`:             {7},
		`"7"`:           {7},
		`null`:          nil,
		`[]`:            nil,
	}, []string{`[1, "x"]`, `"x"`}, "an integer")
	checkRule(t, map[string]Strings{
		`["Standard Fixed", 12]`: {"Standard Fixed", "12"},
		`"Standard Fixed"`:       {"Standard Fixed"},
		`null`:                   nil,
		`[]`:                     nil,
		`[null]`:                 {""},
	}, []string{`[{}]`, `true`, `[true]`}, "a string")
	type item struct {
		Name String `json:"name"`
	}
	checkRule(t, map[string]List[item]{
		`[{"name":"a"},{"NAME":"b"}]`: {{"a"}, {"b"}},
		`{"name":"a"}`:                {{"a"}},
	}, []string{`[{"name":{}}]`}, "a string")
}

// TestFieldErrorNamesTheField: through Unmarshal, an error names the
// member and never quotes the value.
func TestFieldErrorNamesTheField(t *testing.T) {
	t.Parallel()
	type inner struct {
		Duration Int `json:"duration"`
	}
	type outer struct {
		Bundles []inner `json:"bundles"`
		ICCID   String  `json:"iccid"`
	}
	var v outer
	err := Unmarshal([]byte(`{"bundles":[{"duration":7},{"duration":"seven days"}]}`), &v)
	if err == nil || err.Error() != `"bundles/1/duration": want an integer` {
		t.Fatalf("got %v", err)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "bundles/1/duration" {
		t.Fatalf("not a *FieldError: %#v", err)
	}
	err = Unmarshal([]byte(`{"iccid":{"8944538532012345678":1}}`), &v)
	if err == nil || err.Error() != `"iccid": want a string or a number` || strings.Contains(err.Error(), "8944") {
		t.Fatalf("got %v", err)
	}
	// Any other failure is encoding/json's own error.
	err = Unmarshal([]byte(`{"bundles":{}}`), &v)
	var te *stdjson.UnmarshalTypeError
	if !errors.As(err, &te) {
		t.Fatalf("got %T %v", err, err)
	}
	err = Unmarshal([]byte(`{"bundles":[`), &v)
	var se *stdjson.SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("got %T %v", err, err)
	}
}

func TestFieldsLeavesOddMembersAtZero(t *testing.T) {
	t.Parallel()
	type wire struct {
		Reference String  `json:"orderReference"`
		Status    String  `json:"status"`
		Quantity  Int     `json:"quantity"`
		Total     Decimal `json:"total"`
		Assigned  Bool    `json:"assigned"`
		Skipped   String  `json:"-"`
		unexp     String
	}
	var w wire
	err := Fields([]byte(`{"orderReference":"r","status":true,"quantity":"1","total":{"amount":1},"ASSIGNED":"1","-":"x","unexp":"y","extra":[1]}`), &w)
	if err != nil {
		t.Fatal(err)
	}
	want := wire{Reference: "r", Quantity: 1, Assigned: true}
	if w != want || w.unexp != "" {
		t.Fatalf("got %+v, want %+v", w, want)
	}
	w = wire{}
	if err := Fields([]byte(`{"status":"a","Status":"b","status":1.5,"STATUS":{}}`), &w); err != nil || w.Status != "" {
		t.Fatalf("the last duplicate decides: %+v, %v", w, err)
	}
	if err := Fields([]byte(`{"status":"a","STATUS":"b"}`), &w); err != nil || w.Status != "b" {
		t.Fatalf("%+v, %v", w, err)
	}
	for _, bad := range []string{``, `[]`, `"x"`, `{`, `{"a":1}{}`, `{"a":1} x`, `null`} {
		if err := Fields([]byte(bad), &w); err == nil {
			t.Fatalf("%q: want an error", bad)
		}
	}
	var strict struct {
		Name    String  `json:"name"`
		Balance Decimal `json:"balance" lenient:"strict"`
		List    []Int   `json:"list" lenient:"strict"`
	}
	if err := Fields([]byte(`{"name":{},"balance":"12.5"}`), &strict); err != nil || strict.Balance.String() != "12.5" {
		t.Fatalf("%+v, %v", strict, err)
	}
	for body, want := range map[string]string{
		`{"name":"x","balance":"lots"}`: `"balance": want a number`,
		`{"list":[1,"two"]}`:            `"list/1": want an integer`,
		`{"list":{}}`:                   `"list": want a value of another type`,
	} {
		if err := Fields([]byte(body), &strict); err == nil || err.Error() != want {
			t.Fatalf("%s: got %v, want %s", body, err, want)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"1.85": "1.85", "0.10": "0.10", "-3": "-3", "1.5e2": "150", "1e-2": "0.01", "+.5": "0.5", "12.": "12",
		"1.850": "1.850", "1E18": "1000000000000000000", "0.000": "0.000", "1.50e1": "15.0",
		"1." + strings.Repeat("0", 30): "1.000000000000000000", "9223372036854775807": "9223372036854775807",
		"000000000000000000000000000042": "42",
	} {
		d, ok := ParseDecimal(in)
		if !ok || d.String() != want {
			t.Fatalf("%q: got %v, %v; want %s", in, d, ok, want)
		}
	}
	for _, bad := range []string{"", ".", "-", "+", "1e", "e3", "1.2.3", "0x10", "1,5", "abc", "1e19", "1e-19",
		"9223372036854775808", "0.0000000000000000001", strings.Repeat("1", 65), "12345678901234567890"} {
		if d, ok := ParseDecimal(bad); ok {
			t.Fatalf("%q: got %v", bad, d)
		}
	}
	d, _ := ParseDecimal("-1.75")
	if d.Trunc() != -1 || d.Float64() != -1.75 || !d.HasFraction() {
		t.Fatalf("%v: trunc %d float %v", d, d.Trunc(), d.Float64())
	}
	if n, ok := (Decimal{Units: 100, Scale: 2}).Integer(); !ok || n != 1 {
		t.Fatalf("1.00 is the integer 1: %d, %v", n, ok)
	}
}

// FuzzRules checks on arbitrary input that each rule gives the same
// result through encoding/json and the v2 engine, that a string decodes
// as encoding/json decodes it, and that no error quotes its input.
func FuzzRules(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\u00e9\n"`, `"é"`, "\"\xff\"", `"`, `""`, `12`, `-0`, `007`, `-`,
		`123456789012345678`, `1234567890123456789`, `1e3`, `"1000.00"`, `"\ud800x"`, `-9223372036854775808`,
		`true`, `"TRUE"`, `null`, `[1,"2"]`, `{"a":1}`, `"2024-08-13T09:37:57.28Z"`, `1723541877280`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkFuzz[String](t, b)
		checkFuzz[Bool](t, b)
		checkFuzz[Int](t, b)
		checkFuzz[Decimal](t, b)
		checkFuzz[Time](t, b)
		checkFuzz[Strings](t, b)
		checkFuzz[List[Int]](t, b)
		var s String
		var want string
		if errWant := stdjson.Unmarshal(b, &want); errWant == nil {
			if err := stdjson.Unmarshal(b, &s); err != nil || string(s) != want {
				t.Fatalf("%q: string %q, %v; encoding/json %q", b, s, err, want)
			}
		}
	})
}

func checkFuzz[T any](t *testing.T, b []byte) {
	var v1, v2 T
	err1 := stdjson.Unmarshal(b, &v1)
	err2 := json.Unmarshal(b, &v2, Options())
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("%T %q: encoding/json %v, v2 %v", v1, b, err1, err2)
	}
	if err1 == nil && !reflect.DeepEqual(v1, v2) {
		t.Fatalf("%T %q: encoding/json %#v, v2 %#v", v1, b, v1, v2)
	}
	var le *Error
	if errors.As(err1, &le) && len(b) > 6 && strings.Contains(err1.Error(), string(b)) {
		t.Fatalf("%T %q: error %q quotes the input", v1, b, err1)
	}
	_ = fmt.Sprint(v1)
}

// TestInternerSharesCopies is not parallel: it counts allocations.
func TestInternerSharesCopies(t *testing.T) {
	in := NewInterner()
	raw := []byte(`"Turkey"`)
	first, err := in.ReadString(raw)
	if err != nil || first != "Turkey" {
		t.Fatalf("%q, %v", first, err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = in.ReadString(raw) }); n != 0 {
		t.Fatalf("a shared string allocates %v times", n)
	}
	for i := range maxInterned + 10 {
		_, _ = in.ReadString([]byte(fmt.Sprintf(`"s%d"`, i)))
	}
	if len(in.m) != maxInterned {
		t.Fatalf("%d strings held, want at most %d", len(in.m), maxInterned)
	}
	var none *Interner
	for in, want := range map[string]string{`"a\u00e9"`: "aé", `12`: "12", `"` + strings.Repeat("x", 40) + `"`: strings.Repeat("x", 40)} {
		for _, i := range []*Interner{none, NewInterner()} {
			if got, err := i.ReadString([]byte(in)); err != nil || got != want {
				t.Fatalf("%s: %q, %v", in, got, err)
			}
		}
	}
	if _, err := none.ReadString([]byte(`{}`)); err == nil {
		t.Fatal("an object is no string")
	}
}

func TestUnmarshalersApplyTheRules(t *testing.T) {
	t.Parallel()
	type plain struct {
		S  string   `json:"s"`
		B  bool     `json:"b"`
		I  int      `json:"i"`
		I6 int64    `json:"i6"`
		F  float64  `json:"f"`
		L  []string `json:"l"`
		N  []Int    `json:"n"`
	}
	var v plain
	err := UnmarshalV2([]byte(`{"s":123,"b":"TRUE","i":"7.0","i6":1e3,"f":"1.25","l":"one","n":"5"}`), &v,
		json.WithUnmarshalers(json.JoinUnmarshalers(Unmarshalers(NewInterner()), ListFunc[Int]())))
	if err != nil {
		t.Fatal(err)
	}
	want := plain{S: "123", B: true, I: 7, I6: 1000, F: 1.25, L: []string{"one"}, N: []Int{5}}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("got %+v, want %+v", v, want)
	}
	err = Unmarshal([]byte(`{"i":"7.5"}`), &v, json.WithUnmarshalers(Unmarshalers(nil)))
	if err == nil || err.Error() != `"i": want an integer` {
		t.Fatalf("got %v", err)
	}
}

// TestRulesReachDefinedStringTypes checks that a struct decoded in place
// under Rules applies the string rule to a plain string and, through
// StringFunc, to a defined string type (a status, a secret), and leaves
// a type with its own method alone.
func TestRulesReachDefinedStringTypes(t *testing.T) {
	t.Parallel()
	type status string
	var v struct {
		S status `json:"s"`
		P string `json:"p"`
		L String `json:"l"`
	}
	if err := json.Unmarshal([]byte(`{"s":89440,"p":12,"l":7}`), &v, Options(), Rules(StringFunc[status]())); err != nil {
		t.Fatal(err)
	}
	if v.S != "89440" || v.P != "12" || v.L != "7" {
		t.Fatalf("got %+v", v)
	}
	err := json.Unmarshal([]byte(`{"s":{}}`), &v, Options(), Rules(StringFunc[status]()))
	if fe := AsFieldError(err); fe == nil || fe.Error() != `"s": want a string or a number` {
		t.Fatalf("got %v", err)
	}
}

// TestStringsFuncIsTheListRule checks that StringsFunc reads a list of a
// defined string type as ListFunc with StringFunc does (a list, a single
// value, null, numbers), and names a bad element's path.
func TestStringsFuncIsTheListRule(t *testing.T) {
	t.Parallel()
	type id string
	type holder struct {
		IDs []id `json:"ids"`
	}
	for _, in := range []string{`{"ids":["89440",12]}`, `{"ids":"89440"}`, `{"ids":89440}`, `{"ids":null}`, `{"ids":[]}`, `{}`} {
		var a, b holder
		errA := json.Unmarshal([]byte(in), &a, Options(), Rules(StringsFunc[id]()))
		errB := json.Unmarshal([]byte(in), &b, Options(), Rules(ListFunc[id](), StringFunc[id]()))
		if errA != nil || errB != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: %+v, %v; want %+v, %v", in, a, errA, b, errB)
		}
	}
	var h holder
	err := json.Unmarshal([]byte(`{"ids":["1",{}]}`), &h, Options(), Rules(StringsFunc[id]()))
	if fe := AsFieldError(err); fe == nil || fe.Error() != `"ids/1": want a string or a number` {
		t.Fatalf("got %v", err)
	}
}
