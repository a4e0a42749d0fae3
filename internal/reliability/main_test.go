package reliability_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them (a
// leaked connection, timer or poller: reliability S16, S18). With
// -reliability.report=FILE it then writes the reliability scenarios'
// figures into FILE (see report_test.go).
func TestMain(m *testing.M) {
	start := time.Now()
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		if code == 0 && *reportPath != "" {
			if err := writeReliabilityReport(*reportPath, time.Since(start)); err != nil {
				fmt.Fprintln(os.Stderr, "reliability report:", err)
				code = 1
			}
		}
		os.Exit(code)
	}))
}
