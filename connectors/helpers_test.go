package connectors_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/connectors"
	"github.com/anliegen/anliegen/connectors/mastodon"
	"github.com/anliegen/anliegen/connectors/mastodon/mastodontest"
)

// fakeClock is a clock whose timers fire in deadline order: a driver
// goroutine moves time to the earliest pending timer every few real
// microseconds, so minutes of backoff pass in milliseconds and a 5-minute
// reset still comes after a 30-second interval.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

// newFakeClock starts at the wall-clock time: the store stamps new replies
// with real time, and the sender must find them due.
func newFakeClock() *fakeClock { return &fakeClock{now: time.Now().UTC().Truncate(time.Millisecond)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	return ch
}

// step moves time to the earliest timer and fires every timer due then.
func (c *fakeClock) step() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return
	}
	next := slices.MinFunc(c.timers, func(a, b fakeTimer) int { return a.at.Compare(b.at) }).at
	if next.After(c.now) {
		c.now = next
	}
	c.timers = slices.DeleteFunc(c.timers, func(t fakeTimer) bool {
		if t.at.After(c.now) {
			return false
		}
		t.ch <- c.now
		return true
	})
}

// drive runs the clock until the test ends.
func (c *fakeClock) drive(t testing.TB) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	t.Cleanup(func() { close(done); <-stopped })
	go func() {
		defer close(stopped)
		tick := time.NewTicker(200 * time.Microsecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				c.step()
			}
		}
	}()
}

// lockedRand is a seeded random source safe for the runtime's goroutines.
func lockedRand(seed uint64) func() float64 {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(seed, seed))
	return func() float64 {
		mu.Lock()
		defer mu.Unlock()
		return r.Float64()
	}
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() && os.Getenv("CONNECTORS_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// registry registers the Mastodon connector with the fake clock.
func registry(clk connectors.Clock) *connectors.Registry {
	reg := connectors.NewRegistry()
	reg.Register(anliegen.PlatformMastodon, func(ch anliegen.Channel, l *slog.Logger) (anliegen.Connector, error) {
		c, err := mastodon.NewWithOptions(ch, l, mastodon.Options{Now: clk.Now})
		if err != nil {
			return nil, err
		}
		return c, nil
	})
	return reg
}

func mastodonChannel(fake *mastodontest.Server, token string) anliegen.Channel {
	settings, _ := json.Marshal(mastodon.Settings{Instance: fake.URL})
	return anliegen.Channel{Platform: anliegen.PlatformMastodon, Name: "Mastodon", Account: "@stadt",
		Settings: settings, Secret: []byte(token), Enabled: true}
}

func testOptions(clk *fakeClock, seed uint64) connectors.Options {
	// The fake's timeout fault holds a request until the poll gives up;
	// under -race a healthy poll of a full page can take a few hundred
	// milliseconds, and must not time out.
	timeout := 200 * time.Millisecond
	if raceEnabled {
		timeout = 2 * time.Second
	}
	return connectors.Options{Clock: clk, Rand: lockedRand(seed), PollTimeout: timeout}
}

// eventually waits (in real time, bounded) for cond; the fake clock makes
// the runtime's waits short, so this only bounds a hung test.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Minute)
	pause := time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		// Checks read the store; under the race detector SQLite is slow
		// enough that checking often would starve the code under test.
		time.Sleep(pause)
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// run starts rt until the test ends or the returned stop is called.
func run(t testing.TB, rt *connectors.Runtime) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := rt.Run(ctx); err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// postMentions has n citizens' mentions posted on fake and returns their
// status ids.
func postMentions(t testing.TB, fake *mastodontest.Server, n int) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	anna := fake.AddAccount("anna@example.org", "Anna")
	for i := range n {
		var st mastodontest.Status
		var err error
		if i%7 == 3 {
			st, err = fake.DirectMessage(anna, fmt.Sprintf("Private Frage %d", i))
		} else {
			st, err = fake.Mention(anna, fmt.Sprintf("Frage %d zur Müllabfuhr", i))
		}
		if err != nil {
			t.Fatal(err)
		}
		ids[st.ID] = true
	}
	return ids
}
