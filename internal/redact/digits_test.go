package redact

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRedactDigits(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ICCID " + iccid + " not found":       "ICCID …5678 not found",
		iccid:                                 "…5678",
		"a" + iccid + "b" + iccid + "c":       "a…5678b…5678c",
		"order 12345678901 of 2024":           "order 12345678901 of 2024", // 11 digits kept
		"id 123456789012":                     "id …9012",                  // 12 digits masked
		"no digits here":                      "no digits here",
		"":                                    "",
		"é " + iccid:                          "é …5678",
		strings.Repeat("9", 40):               "…9999",
		"balance 1000.10 " + iccid + "123456": "balance 1000.10 …3456",
	} {
		got := Digits(in)
		require.Equal(t, want, got, in)
		require.NotContains(t, got, iccid)
	}
}
