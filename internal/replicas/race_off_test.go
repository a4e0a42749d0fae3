//go:build !race

package replicas

const raceDetector = false
