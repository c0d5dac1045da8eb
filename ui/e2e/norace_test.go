//go:build !race

package e2e

// raceEnabled is true when the tests run with -race.
const raceEnabled = false
