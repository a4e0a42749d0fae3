package e2e_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the suite if any goroutine outlives its tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
