package travelroam

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLenientTime(t *testing.T) {
	t.Parallel()
	ms := time.UnixMilli(1723541877280).UTC()
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{`1723541877280`, ms},
		{`"1723541877280"`, ms},
		{`1723541877280.0`, ms},
		{`1723541877`, time.Unix(1723541877, 0).UTC()},
		{`"2024-08-13T09:37:57.28Z"`, ms},
		{`"2024-08-13T11:37:57.28+02:00"`, ms},
		{`"2024-08-13T09:37:57.280"`, ms},
		{`"2024-08-13 09:37:57.28"`, ms},
		{`"2023-06-15T10:30:45.123456789Z"`, time.Date(2023, 6, 15, 10, 30, 45, 123456789, time.UTC)},
		{`0`, time.Time{}},
		{`"0"`, time.Time{}},
		{`""`, time.Time{}},
		{`null`, time.Time{}},
		{`-5`, time.Time{}},
		{`"next tuesday"`, time.Time{}},
	} {
		var got lenientTime
		require.NoError(t, json.Unmarshal([]byte(tc.in), &got), tc.in)
		require.True(t, tc.want.Equal(time.Time(got)), "%s: got %s", tc.in, time.Time(got))
		require.Equal(t, time.UTC, time.Time(got).Location(), tc.in)
	}
	var bad lenientTime
	require.Error(t, json.Unmarshal([]byte(`{"ms":1}`), &bad))
}

func TestLenientInt64(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{
		`1000000000`:          1000000000,
		`1000.00`:             1000,
		`"1000.00"`:           1000,
		`"734003200"`:         734003200,
		`1e9`:                 1000000000,
		`1000.75`:             1000,
		`null`:                0,
		`""`:                  0,
		`9000000000000000000`: 9000000000000000000,
	} {
		var got lenientInt64
		require.NoError(t, json.Unmarshal([]byte(in), &got), in)
		require.Equal(t, want, int64(got), in)
	}
	for _, in := range []string{`"lots"`, `true`, `[1]`, `1e30`, `"NaN"`} {
		var got lenientInt64
		err := json.Unmarshal([]byte(in), &got)
		require.Error(t, err, in)
		require.NotContains(t, err.Error(), "lots")
	}
}

func TestLenientBoolAndString(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{`true`: true, `"TRUE"`: true, `1`: true, `"1"`: true, `false`: false, `"false"`: false, `0`: false, `null`: false, `""`: false} {
		var got lenientBool
		require.NoError(t, json.Unmarshal([]byte(in), &got), in)
		require.Equal(t, want, bool(got), in)
	}
	var b lenientBool
	require.Error(t, json.Unmarshal([]byte(`"maybe"`), &b))

	for in, want := range map[string]string{`"abc"`: "abc", `" padded "`: "padded", `8944538532012345678901`: "8944538532012345678901", `null`: "", `true`: "true"} {
		var got lenientString
		require.NoError(t, json.Unmarshal([]byte(in), &got), in)
		require.Equal(t, want, string(got), in)
	}
	var s lenientString
	require.Error(t, json.Unmarshal([]byte(`{"a":1}`), &s))
}

func TestProfileStatusNormalised(t *testing.T) {
	t.Parallel()
	require.Equal(t, ProfileReleased, normaliseProfileStatus("RELEASED"))
	require.Equal(t, ProfileEnabled, normaliseProfileStatus("enabled"))
	require.Equal(t, ProfileStatus("Suspended"), normaliseProfileStatus("Suspended"))
	require.Equal(t, ProfileStatus(""), normaliseProfileStatus(""))
}

// TestAssignmentJSONRoundTrip: an Assignment marshalled by the caller (to
// store it) decodes back to the same value.
func TestAssignmentJSONRoundTrip(t *testing.T) {
	t.Parallel()
	a := Assignment{ICCID: testICCID, MatchingID: testMatchingI, SMDPAddress: "rsp.truphone.com",
		ProfileStatus: ProfileInstalled, FirstInstalledAt: time.UnixMilli(1723541877280).UTC(), PIN: "1234"}
	b, err := json.Marshal(a)
	require.NoError(t, err)
	var back Assignment
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, a, back)
	var zero Assignment
	b, err = json.Marshal(Assignment{})
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &zero))
	require.True(t, zero.FirstInstalledAt.IsZero())
}

func FuzzDecodeAssignments(f *testing.F) {
	for _, name := range []string{"assignments_object.json", "assignments_array.json", "assignments_esims.json",
		"assignments_data.json", "assignments_not_ready.json", "esim_details_zero.json", "applied_bundles_titlecase.json"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"data":{"data":{"data":{"data":{"data":[]}}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := decodeAssignments(b)
		if err == nil {
			for _, a := range list {
				_, _ = a.ActivationCode()
			}
		}
		_, _ = decodeESIM(b)
		_, _ = decodeLocation(b)
		bundles, err := decodeAppliedBundles(b)
		if err == nil {
			RemainingDataBytes(bundles, time.Now())
		}
	})
}
