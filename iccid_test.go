package travelroam

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckICCID(t *testing.T) {
	t.Parallel()
	for _, ok := range []ICCID{testICCID, "894453853201234567", "8944538532012345678901"} {
		require.NoError(t, checkICCID("esim details", ok), ok)
	}
	for _, tc := range []struct {
		iccid  ICCID
		reason string
	}{
		{"", "empty"},
		{"89445385320123456", "has 17 characters"},
		{"89445385320123456789012", "has 23 characters"},
		{"8944538532012345x78", "non-digit at position 17"},
		{" 8944538532012345678", "non-digit at position 1"},
		{"８944538532012345678", "non-digit at position 1"},
	} {
		err := checkICCID("esim details", tc.iccid)
		requireValidation(t, err, "ICCID", tc.reason)
		require.NotContains(t, err.Error(), testICCID)
	}
}
