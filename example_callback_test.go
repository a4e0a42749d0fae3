package travelroam_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/roamkit/travelroam"
)

// Receive usage callbacks on a URL that carries a secret token, and
// deliver each event once.
func ExampleNewCallbackHandler() {
	const token = "9f2c4e1a7b3d8f60a5c2e9b14d7f3a28" // from crypto/rand, kept in your secrets store
	handler := travelroam.NewCallbackHandler(func(ctx context.Context, ev *travelroam.CallbackEvent) error {
		// A callback is a hint: hand it to your queue, and re-read the
		// eSIM's bundles through the API before acting on it.
		left, _ := ev.Bundle.RemainingBytes()
		fmt.Printf("%s on eSIM %s: %.0f%% used, %d MB left\n",
			ev.AlertType, ev.ICCID, 100*ev.Bundle.UsedFraction(), left/1_000_000)
		return nil
	}, travelroam.WithCallbackQueryToken("token", token))

	mux := http.NewServeMux()
	mux.Handle("/travelroam/callback", handler) // register https://<host>/travelroam/callback?token=<token>

	body, _ := os.ReadFile("testdata/callback_v3.json")
	for _, target := range []string{
		"/travelroam/callback?token=" + token,
		"/travelroam/callback?token=" + token, // the provider delivers again
		"/travelroam/callback?token=guess",
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body)))
		fmt.Println(rec.Code)
	}
	// Output:
	// Utilisation on eSIM …5678: 50% used, 500 MB left
	// 200
	// 200
	// 401
}

// Check and decode a callback inside your own router, here with a
// signature made with your API key.
func ExampleParseCallback() {
	apiKey := []byte("your-api-key")
	body, _ := os.ReadFile("testdata/callback_v2_mb.json") // the older format: megabytes
	m := hmac.New(sha256.New, apiKey)
	m.Write(body)

	req := httptest.NewRequest(http.MethodPost, "/hooks/travelroam", bytes.NewReader(body))
	req.Header.Set("X-Signature-SHA256", hex.EncodeToString(m.Sum(nil)))
	ev, err := travelroam.ParseCallback(req, travelroam.WithCallbackSignature("", apiKey))
	fmt.Println(err, ev.AlertType, "on eSIM", ev.ICCID) // the ICCID prints masked
	left, _ := ev.Bundle.RemainingBytes()
	fmt.Println(ev.Bundle.CallTypeGroup, left, ev.Bundle.EndTime)

	req = httptest.NewRequest(http.MethodPost, "/hooks/travelroam", bytes.NewReader(body))
	_, err = travelroam.ParseCallback(req, travelroam.WithCallbackSignature("", apiKey))
	var ce *travelroam.CallbackError
	if errors.As(err, &ce) { // answer ce.StatusCode, as the handler would
		fmt.Println(ce.StatusCode, ce.Reason, err)
	}
	// Output:
	// <nil> Utilisation on eSIM …5678
	// data 90000000 2025-03-12 08:00:12 +0000 UTC
	// 401 unauthorized travelroam: callback: unauthorized: missing or invalid signature
}
