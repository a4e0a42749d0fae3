package travelroam

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCallbackEventLogRecords checks the records the handler writes about
// an event: the masked ICCID and the alert type on each, the source line
// in the handler (not in its logging helper), and nothing below the
// logger's level.
func TestCallbackEventLogRecords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		level    slog.Level
		fail     bool
		messages []string
	}{
		{slog.LevelDebug, false, []string{"travelroam: callback delivered"}},
		{slog.LevelInfo, false, nil},
		{slog.LevelInfo, true, []string{"travelroam: callback function failed, asking for redelivery"}},
	} {
		var buf bytes.Buffer
		logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: tc.level, AddSource: true}))
		h := NewCallbackHandler(func(context.Context, *CallbackEvent) error {
			if tc.fail {
				return errors.New("disk full")
			}
			return nil
		}, WithCallbackLogger(logger), WithCallbackDeduper(nil))
		post(h, "/cb", fixture(t, "callback_v3.json"))

		var got []string
		for line := range strings.Lines(buf.String()) {
			var rec struct {
				Msg       string `json:"msg"`
				ICCID     string `json:"iccid"`
				AlertType string `json:"alert_type"`
				Error     string `json:"error"`
				Source    struct {
					File     string `json:"file"`
					Function string `json:"function"`
				} `json:"source"`
			}
			require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
			got = append(got, rec.Msg)
			require.Equal(t, RedactICCID(testICCID), rec.ICCID, line)
			require.Equal(t, "Utilisation", rec.AlertType, line)
			require.Equal(t, "callback.go", filepath.Base(rec.Source.File), line)
			require.True(t, strings.HasSuffix(rec.Source.Function, "(*callbackHandler).call"), line)
			if tc.fail {
				require.Equal(t, "disk full", rec.Error)
			}
		}
		require.Equal(t, tc.messages, got, "level %v, fail %v", tc.level, tc.fail)
	}
}
