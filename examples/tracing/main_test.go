package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roamkit/travelroam"
	"github.com/roamkit/travelroam/travelroamtest"
)

// TestRun runs the example on the fake in virtual time and checks that
// the output holds the call spans, their attempts, a poll event and the
// metrics, and none of the credentials, ICCIDs, matching IDs or
// activation codes.
func TestRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := travelroamtest.NewServer(travelroamtest.WithInMemoryNetwork(), travelroamtest.WithAssignmentDelay(time.Second))
		defer srv.Close()
		var out bytes.Buffer
		require.NoError(t, run(t.Context(), &out, srv))
		text := out.String()

		head, rest, ok := strings.Cut(text, "\n--- Spans (stdouttrace) ---\n")
		require.True(t, ok, text)
		spansJSON, metricsJSON, ok := strings.Cut(rest, "\n--- Metrics (stdoutmetric) ---\n")
		require.True(t, ok, text)
		require.Contains(t, head, "FAKE")
		require.Contains(t, head, "Installation data ready for 1 eSIM(s)")

		type span struct {
			Name        string
			SpanContext struct{ SpanID string }
			Parent      struct{ SpanID string }
			SpanKind    int
			Attributes  []struct {
				Key   string
				Value struct{ Value any }
			}
			Events []struct{ Name string }
		}
		var spans []span
		dec := json.NewDecoder(strings.NewReader(spansJSON))
		for dec.More() {
			var s span
			require.NoError(t, dec.Decode(&s))
			spans = append(spans, s)
		}
		byName := map[string][]span{}
		for _, s := range spans {
			byName[s.Name] = append(byName[s.Name], s)
		}
		require.Len(t, byName["checkout"], 1)
		checkout := byName["checkout"][0].SpanContext.SpanID
		for _, name := range []string{"travelroam.Organisation", "travelroam.ProcessOrder", "travelroam.WaitForAssignments"} {
			require.Len(t, byName[name], 1, name)
			require.Equal(t, checkout, byName[name][0].Parent.SpanID, "%s is a child of the application's span", name)
		}
		require.Len(t, byName["GET /organisation"], 2, "the retried read")
		require.Len(t, byName["POST /processorders"], 1)
		require.GreaterOrEqual(t, len(byName["GET /getesimassignments"]), 2, "a poll that was not ready, then one that was")
		require.NotEmpty(t, byName["travelroam.WaitForAssignments"][0].Events)
		require.Equal(t, "travelroam.poll", byName["travelroam.WaitForAssignments"][0].Events[0].Name)
		resends := 0
		for _, a := range byName["GET /organisation"] {
			for _, kv := range a.Attributes {
				if kv.Key == "http.request.resend_count" {
					resends++
					require.EqualValues(t, 1, kv.Value.Value)
				}
			}
		}
		require.Equal(t, 1, resends)

		for _, name := range []string{"travelroam.client.calls", "travelroam.client.attempts", "travelroam.client.retries",
			"travelroam.client.purchases", "travelroam.client.assignment_wait.duration", "http.client.request.duration"} {
			require.Contains(t, metricsJSON, `"Name": "`+name+`"`)
		}

		// Every secret the run touched, read back from the fake.
		secrets := []string{srv.APIKey, srv.ClientSecret, "LPA:1$"}
		c, err := travelroam.NewClient(srv.APIKey, srv.ClientSecret, travelroam.WithBaseURL(srv.URL), travelroam.WithHTTPClient(srv.Client()))
		require.NoError(t, err)
		defer c.CloseIdleConnections()
		require.Len(t, srv.Orders(), 1)
		for _, o := range srv.Orders() {
			secrets = append(secrets, o.ICCID)
			list, err := c.Assignments(t.Context(), o.Reference)
			require.NoError(t, err)
			for _, a := range list {
				code, err := a.ActivationCode()
				require.NoError(t, err)
				secrets = append(secrets, a.MatchingID.Reveal(), code.LPA())
			}
		}
		for _, s := range secrets {
			require.NotEmpty(t, s)
			require.NotContains(t, text, s)
		}
	})
}
