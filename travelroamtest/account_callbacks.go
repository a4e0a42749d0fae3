package travelroamtest

import (
	"context"
	"fmt"
	"strings"
)

// Account notification types: eSIM Go's balance notifications, which
// name no eSIM (no "iccid").
const (
	// AlertLowBalance is sent when the wallet reaches the low-balance
	// threshold, and on passing 75, 50 and 10 % of it.
	AlertLowBalance = "LowBalance"
	// AlertInsufficientBalance is sent when a purchase is refused for lack
	// of credit; eSIM Go re-sends it up to 10 times.
	AlertInsufficientBalance = "InsufficientBalance"
)

// DefaultLowBalanceThresholdCents is the low-balance threshold of the
// balance notifications: 100.00 USD, eSIM Go's default "Org Balance Alert
// Threshold".
const DefaultLowBalanceThresholdCents int64 = 10000

type balanceAlertJSON struct {
	AlertType   string          `json:"alertType"`
	BalanceInfo balanceInfoJSON `json:"balanceInfo"`
}

type balanceInfoJSON struct {
	Balance                   cents       `json:"balance"`
	Threshold                 cents       `json:"threshold"`
	ThresholdPercentRemaining thousandths `json:"thresholdPercentRemaining"`
}

// thousandths is a number with three decimals at most, written without
// trailing zeros (49973 → 49.973).
type thousandths int64

// MarshalJSON writes the number exactly.
func (t thousandths) MarshalJSON() ([]byte, error) {
	sign, v := "", int64(t)
	if v < 0 {
		sign, v = "-", -v
	}
	s := fmt.Sprintf("%s%d.%03d", sign, v/1000, v%1000)
	s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	return []byte(s), nil
}

// SendBalanceCallback POSTs an account notification of alertType
// ([AlertLowBalance] or [AlertInsufficientBalance]) to the callback URL,
// shaped as eSIM Go sends it, without "iccid":
//
//	{"alertType":"LowBalance","balanceInfo":{"balance":1299.3,
//	 "threshold":2600,"thresholdPercentRemaining":49.973}}
//
// The balance is the main account's wallet in the server's environment,
// the threshold [DefaultLowBalanceThresholdCents]. Each call sends one
// body; call it again with the same state to re-send the same bytes, as
// eSIM Go re-sends InsufficientBalance. It is signed and recorded in the
// ledger like the other callbacks (ICCID ""). It returns
// [ErrNoCallbackURL] without a callback URL, an error for another
// alertType, or the delivery error.
func (s *Server) SendBalanceCallback(ctx context.Context, alertType string) error {
	if alertType != AlertLowBalance && alertType != AlertInsufficientBalance {
		return fmt.Errorf("travelroamtest: unknown balance alert type %q", alertType)
	}
	if s.cfg.callbackURL == "" {
		return ErrNoCallbackURL
	}
	s.mu.Lock()
	balance := s.accounts[s.APIKey].balance[s.cfg.env]
	s.mu.Unlock()
	threshold := DefaultLowBalanceThresholdCents
	body := mustMarshal(balanceAlertJSON{AlertType: alertType, BalanceInfo: balanceInfoJSON{
		Balance: cents(balance), Threshold: cents(threshold),
		ThresholdPercentRemaining: thousandths(balance * 100_000 / threshold),
	}})
	return s.deliver(ctx, []alert{{alertType: alertType, body: body}})
}
