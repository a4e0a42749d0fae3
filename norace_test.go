//go:build !race

package travelroam

// raceEnabled: see race_test.go.
const raceEnabled = false
