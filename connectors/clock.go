package connectors

import (
	"math/rand/v2"
	"time"
)

// Clock is the runtime's view of time, injected so that tests run backoffs
// and rate-limit waits without real sleeping.
type Clock interface {
	Now() time.Time
	// After sends the time once d has passed, like time.After.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// RealClock is the wall clock.
func RealClock() Clock { return realClock{} }

// backoff is exponential backoff with full jitter: a uniform wait up to
// min(max, min·2^(n-1)) for the n-th consecutive failure, never below min.
func backoff(n int, minWait, maxWait time.Duration, rnd func() float64) time.Duration {
	ceiling := minWait
	for i := 1; i < n && ceiling < maxWait; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, maxWait)
	return max(minWait, time.Duration(rnd()*float64(ceiling)))
}

func defaultRand() func() float64 { return rand.Float64 }
