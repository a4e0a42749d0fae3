package travelroam

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: a
// leaked connection, timer or poller shows up here (reliability S16, S18).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
