package travelroam

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseAmount(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"1.85":                    "1.85",
		"0.10":                    "0.10",
		"-3":                      "-3",
		"+2.5":                    "2.5",
		" 7 ":                     "7",
		"0":                       "0",
		"-0.00":                   "0.00",
		"000.50":                  "0.50",
		".5":                      "0.5",
		"5.":                      "5",
		"1.5e2":                   "150",
		"1E2":                     "100",
		"1e-2":                    "0.01",
		"12.5e-1":                 "1.25",
		"123456789012345678":      "123456789012345678",
		"0.000000000000000001":    "0.000000000000000001",
		"99999999999999.99":       "99999999999999.99",
		"1E18":                    "1000000000000000000",
		"1234567890123456789":     "1234567890123456789",
		"9223372036854775807":     "9223372036854775807",
		"-9223372036854775807":    "-9223372036854775807",
		"0.1234567890123456789e1": "1.234567890123456789",
	} {
		a, err := ParseAmount(in)
		require.NoError(t, err, in)
		require.Equal(t, want, a.String(), in)
	}
	for _, bad := range []string{"", " ", "abc", "1.2.3", "1e", "e5", "--1", "+-1", "1,5", "1 000", ".", "-", "0x10",
		"12345678901234567890", "9223372036854775808", "1e19", "1e-19", "NaN", "Inf", "1.0000000000000000001"} {
		_, err := ParseAmount(bad)
		require.Error(t, err, bad)
	}
}

func TestAmountArithmeticIsExact(t *testing.T) {
	t.Parallel()
	a, b, want := mustAmount(t, "0.1"), mustAmount(t, "0.2"), mustAmount(t, "0.3")
	sum, err := a.Add(b)
	require.NoError(t, err)
	require.Equal(t, "0.3", sum.String())
	require.Zero(t, sum.Cmp(want), "0.1 + 0.2 == 0.3 exactly")
	require.NotEqual(t, 0.3, 0.1+func() float64 { return 0.2 }(), "float64 would not be")

	total := Amount{}
	for range 10 {
		if total, err = total.Add(mustAmount(t, "0.10")); err != nil {
			t.Fatal(err)
		}
	}
	require.Equal(t, "1.00", total.String())
	require.Zero(t, total.Cmp(mustAmount(t, "1")))

	diff, err := mustAmount(t, "482.37").Sub(mustAmount(t, "1.85"))
	require.NoError(t, err)
	require.Equal(t, "480.52", diff.String())
	neg, err := mustAmount(t, "1").Sub(mustAmount(t, "1.005"))
	require.NoError(t, err)
	require.Equal(t, "-0.005", neg.String())
	require.Equal(t, -1, neg.Sign())
	require.Equal(t, 0, Amount{}.Sign())
	require.True(t, Amount{}.IsZero())
	require.True(t, mustAmount(t, "0.000").IsZero())

	big, err := mustAmount(t, "900000000000000000").Add(mustAmount(t, "900000000000000000"))
	require.NoError(t, err)
	require.Equal(t, "1800000000000000000", big.String(), "large sums stay exact")
	again, err := ParseAmount(big.String())
	require.NoError(t, err, "and can be parsed back")
	require.Zero(t, again.Cmp(big))
	_, err = mustAmount(t, "9").Add(mustAmount(t, "0.900000000000000000"))
	require.Error(t, err, "overflow is reported, not wrapped")
	_, err = mustAmount(t, "-9").Sub(mustAmount(t, "0.900000000000000000"))
	require.Error(t, err, "negative overflow too")
	_, err = mustAmount(t, "100000000000000000").Add(mustAmount(t, "0.01"))
	require.Error(t, err, "a result that cannot be aligned exactly is an error")
}

func TestAmountCmp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.85", "1.850", 0}, {"1.85", "1.86", -1}, {"2", "1.99", 1}, {"-1", "0", -1}, {"0", "-0.0", 0},
		{"100000000000000000", "0.000000000000000001", 1}, // too far apart to align: compared as floats
		{"0.000000000000000001", "100000000000000000", -1},
		{"5", "5.00000000000000000", 0},
	} {
		require.Equal(t, tc.want, mustAmount(t, tc.a).Cmp(mustAmount(t, tc.b)), "%s vs %s", tc.a, tc.b)
	}
}

func TestAmountCentsAndFloat(t *testing.T) {
	t.Parallel()
	require.Equal(t, "1.85", amountFromCents(185).String())
	require.Equal(t, "-0.05", amountFromCents(-5).String())
	require.Equal(t, "0.00", amountFromCents(0).String())
	require.Equal(t, 1.85, amountFromCents(185).Float64())
	require.Equal(t, 0.0, Amount{}.Float64())
}

func TestAmountJSON(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`1.85`:          "1.85",
		`"1.85"`:        "1.85",
		`" 4.10 "`:      "4.10",
		`0.1`:           "0.1",
		`2`:             "2",
		`-0.5`:          "-0.5",
		`1e3`:           "1000",
		`null`:          "0",
		`12345.678901`:  "12345.678901",
		`"0.300000000"`: "0.300000000",
	} {
		var a Amount
		require.NoError(t, json.Unmarshal([]byte(in), &a), in)
		require.Equal(t, want, a.String(), in)
	}
	for _, bad := range []string{`"abc"`, `true`, `{}`, `[]`, `"1.2.3"`, `"`, `1e400`, `""`} {
		var a Amount
		err := a.UnmarshalJSON([]byte(bad))
		require.Error(t, err, bad)
		require.Equal(t, "want a number", err.Error(), "the value is not quoted")
	}

	var v struct {
		Price Amount `json:"price"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"price": 0.30}`), &v))
	b, err := json.Marshal(v)
	require.NoError(t, err)
	require.JSONEq(t, `{"price": 0.30}`, string(b))
	require.Equal(t, `{"price":0.30}`, string(b), "the exact digits are written as a number")
}

func FuzzAmount(f *testing.F) {
	for _, s := range []string{"1.85", "0.10", "-3", "1.5e2", "1e-2", "", "abc", "123456789012345678", "0.000000000000000001", "+.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAmount(s)
		if err != nil {
			if !a.IsZero() {
				t.Fatalf("%q: error with a value %v", s, a)
			}
			return
		}
		// The text form parses back to the same amount, digits included.
		text := a.String()
		b, err := ParseAmount(text)
		if err != nil || b.String() != text || b.Cmp(a) != 0 {
			t.Fatalf("%q: %q parses back as %v, %v", s, text, b, err)
		}
		// JSON number and JSON string agree.
		var fromNumber, fromString Amount
		js, _ := a.MarshalJSON()
		if err := json.Unmarshal(js, &fromNumber); err != nil || fromNumber.Cmp(a) != 0 {
			t.Fatalf("%q: JSON number %s: %v, %v", s, js, fromNumber, err)
		}
		if err := json.Unmarshal([]byte(strconv.Quote(text)), &fromString); err != nil || fromString.String() != text {
			t.Fatalf("%q: JSON string: %v, %v", s, fromString, err)
		}
		if sum, err := a.Add(Amount{}); err != nil || sum.Cmp(a) != 0 {
			t.Fatalf("%q: a+0 = %v, %v", s, sum, err)
		}
		if diff, err := a.Sub(a); err == nil && !diff.IsZero() {
			t.Fatalf("%q: a-a = %v", s, diff)
		}
	})
}
