package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/roamkit/travelroam"
)

// accountEventJSON is one line of listen --json for an account event (no
// ICCID), such as LowBalance or InsufficientBalance.
type accountEventJSON struct {
	ReceivedAt time.Time                   `json:"receivedAt"`
	Account    bool                        `json:"account"`
	AlertType  string                      `json:"alertType"`
	Balance    *travelroam.CallbackBalance `json:"balanceInfo,omitempty"`
}

// printAccountEvent writes an account event: its type and, for a balance
// notification, the balance and the threshold, exact.
func (c *cli) printAccountEvent(at time.Time, ev *travelroam.CallbackEvent, asJSON bool) error {
	var bal *travelroam.CallbackBalance
	if ev.Balance != (travelroam.CallbackBalance{}) {
		b := ev.Balance
		bal = &b
	}
	if asJSON {
		return c.writeJSON(accountEventJSON{ReceivedAt: at.UTC(), Account: true, AlertType: string(ev.AlertType), Balance: bal})
	}
	fields := []string{at.UTC().Format(time.RFC3339), string(ev.AlertType), "(account)"}
	if bal != nil {
		fields = append(fields, fmt.Sprintf("balance %s, threshold %s (%s %% of it left)",
			bal.Balance, bal.Threshold, bal.ThresholdPercentRemaining))
	}
	_, err := fmt.Fprintln(c.out, strings.Join(fields, "  "))
	return err
}
