package replicas

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"math/big"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/roamkit/travelroam/travelroamtest"
)

// signingKey signs the deliveries of R3 (the receivers check it).
const signingKey = "replicas-test-signing-key"

// usageEvent returns a usage callback that no other run sends: a random
// ICCID and bundle id, since durable dedupers remember events for days.
func usageEvent(t *testing.T) []byte {
	n, err := rand.Int(rand.Reader, big.NewInt(1e9))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Appendf(nil, `{"iccid":"8944538532%09d","alertType":"Utilisation","bundle":{"id":"r3-%s","reference":"ref-%d",`+
		`"name":"esim_1GB_7D_TR_V2","description":"1GB, 7 days","initialQuantity":1000000000,"remainingQuantity":500000000,"unit":"BYTES",`+
		`"startTime":"2026-11-01T10:00:00Z","endTime":"2026-11-08T10:00:00Z","unlimited":false}}`, n.Int64(), rand.Text(), n.Int64())
}

// TestR3_ReceiversShareOneDeduper: 3 callback receivers (OS processes)
// share one deduper; 64 deliveries of one signed event start at once,
// spread over them. The callback function takes 200 ms, so that many
// deliveries find the event in flight: they get 503 and the "provider"
// (the test) delivers again 50 ms later to the next receiver, until it
// gets a 200.
//
// Pass: every delivery ends with 200, no status but 200 and 503 is seen,
// and the callback function ran once in all three processes together.
func TestR3_ReceiversShareOneDeduper(t *testing.T) {
	for _, sc := range storeCases {
		t.Run(sc.deduper, func(t *testing.T) {
			t.Parallel()
			cfg := childConfig{Role: roleReceiver, Deduper: sc.deduper, APIKey: signingKey, Work: 200 * time.Millisecond}
			storeEnv(t, &cfg)
			rec := newRecord(t, "R3", "64 concurrent deliveries of one event over 3 receivers sharing one deduper", map[string]string{"postgres": "PostgreSQL", "redis": "Redis", "sqlite": "SQLite file"}[sc.deduper], 3)
			var (
				receivers []*child
				addrs     []string
			)
			for i := range 3 {
				ch := startChild(t, fmt.Sprintf("receiver %d", i+1), cfg)
				receivers = append(receivers, ch)
				addrs = append(addrs, ch.next(t, "listening", liveness).Addr)
			}
			body := usageEvent(t)
			sig := travelroamtest.Sign([]byte(signingKey), body)
			hc := &http.Client{Timeout: 30 * time.Second}
			defer hc.CloseIdleConnections()
			deliver := func(addr string) (int, error) {
				req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/", bytes.NewReader(body))
				if err != nil {
					return 0, err
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(travelroamtest.SignatureHeader, sig)
				resp, err := hc.Do(req)
				if err != nil {
					return 0, err
				}
				resp.Body.Close()
				return resp.StatusCode, nil
			}
			var (
				wg           sync.WaitGroup
				mu           sync.Mutex
				deliveries   int
				redeliveries int
			)
			deadline := time.Now().Add(liveness)
			for i := range 64 {
				wg.Go(func() {
					for attempt := 0; ; attempt++ {
						status, err := deliver(addrs[(i+attempt)%3])
						mu.Lock()
						deliveries++
						if attempt > 0 {
							redeliveries++
						}
						mu.Unlock()
						switch {
						case err != nil:
							t.Errorf("delivery %d: %v", i, err)
							return
						case status == http.StatusOK && attempt > 0:
							rec.count("HTTP 200 (redelivery)")
							return
						case status == http.StatusOK:
							rec.count("HTTP 200")
							return
						case status != http.StatusServiceUnavailable:
							t.Errorf("delivery %d answered %d", i, status)
							return
						case time.Now().After(deadline):
							t.Errorf("delivery %d still answered 503 after %s (liveness guard)", i, liveness)
							return
						}
						rec.count("HTTP 503")
						time.Sleep(50 * time.Millisecond)
					}
				})
			}
			wg.Wait()
			ran := 0
			var where []string
			for i, ch := range receivers {
				for _, ev := range ch.wait(t) {
					if ev.Kind == "ran" {
						ran++
						where = append(where, fmt.Sprintf("receiver %d", i+1))
					}
				}
			}
			if ran != 1 {
				t.Errorf("the callback function ran %d times (%v), want once", ran, where)
			}
			rec.server(deliveries, 0)
			rec.note("the function ran %d time(s) (%v); %d deliveries in all for the 64 sent at once, %d of them redeliveries after a 503",
				ran, where, deliveries, redeliveries)
		})
	}
}
