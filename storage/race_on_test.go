//go:build race

package storage

// raceEnabled makes the slowest property tests run fewer rounds under the
// race detector, which slows ingest about tenfold.
const raceEnabled = true
