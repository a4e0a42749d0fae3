package travelroamtest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// cents is an amount of money in cents, written as a JSON number with the
// decimal point where it belongs and no float rounding ("1.85", "12.5",
// "3"), as a PHP backend would print a float.
type cents int64

// MarshalJSON writes the amount as an exact JSON number.
func (c cents) MarshalJSON() ([]byte, error) { return []byte(formatCents(int64(c))), nil }

// formatCents renders an amount of cents as a decimal without trailing
// zeros, e.g. 185 → "1.85", 250 → "2.5", 300 → "3".
func formatCents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	s := fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// ids generates the fake's identifiers from a seeded generator, so a run
// is reproducible. It is guarded by the Server's mutex.
type ids struct {
	rng        *rand.Rand
	assignment int64
	iccids     int // ICCIDs generated so far, for the prefix
}

func newIDs(seed uint64) *ids {
	return &ids{rng: rand.New(rand.NewPCG(seed, 0x69647321)), assignment: 215009000}
}

// iccid returns a 19-digit ICCID: one of iccidPrefixes in turn ("8944…"
// first, then "8943…" and "8932…", the real prefixes of the evidence), 10
// random digits, and a Luhn check digit.
func (g *ids) iccid() string {
	var b strings.Builder
	b.WriteString(iccidPrefixes[g.iccids%len(iccidPrefixes)])
	g.iccids++
	for range 10 {
		b.WriteByte(byte('0' + g.rng.IntN(10)))
	}
	return b.String() + strconv.Itoa(luhnDigit(b.String()))
}

// luhnDigit is the check digit that makes digits+digit pass the Luhn test.
func luhnDigit(digits string) int {
	sum := 0
	double := true
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return (10 - sum%10) % 10
}

const idAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

// matchingID returns an activation code like "K2-1Z8QAB-3XYV7P".
func (g *ids) matchingID() string {
	return g.chars(2) + "-" + g.chars(6) + "-" + g.chars(6)
}

func (g *ids) chars(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[g.rng.IntN(len(idAlphabet))]
	}
	return string(b)
}

func (g *ids) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.rng.IntN(10))
	}
	return string(b)
}

// uuid returns a random (version 4) UUID.
func (g *ids) uuid() string {
	hi, lo := g.rng.Uint64(), g.rng.Uint64()
	hi = hi&^0xf000 | 0x4000         // version 4
	lo = lo&^(0xc<<60) | (0x8 << 60) // variant 10
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", hi>>32, hi>>16&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
}

// numericReference returns an 18-digit order reference (more digits than
// a float64 keeps exactly), e.g. "731904725180362941".
func (g *ids) numericReference() string {
	return strconv.Itoa(1+g.rng.IntN(9)) + g.digits(17)
}

// device returns a made-up phone: a Luhn-valid IMEI whose first 8 digits
// are its TAC, and a 32-digit EID.
func (g *ids) device() *deviceJSON {
	tac := "35407115"
	body := tac + g.digits(6)
	return &deviceJSON{
		IMEI: body + strconv.Itoa(luhnDigit(body)), EID: "89049032" + g.digits(24), TAC: tac,
		Make: "Apple", Model: "iPhone 15",
	}
}

// assignmentID returns the next numeric assignment id, e.g. "215009001".
func (g *ids) assignmentID() string {
	g.assignment++
	return strconv.FormatInt(g.assignment, 10)
}

// timestamp formats t as the API does: RFC 3339 in UTC with nanoseconds.
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
