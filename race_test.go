//go:build race

package travelroam

// raceEnabled: the race detector changes what allocates (sync.Pool drops
// items at random), so allocation counts are not compared under it.
const raceEnabled = true
