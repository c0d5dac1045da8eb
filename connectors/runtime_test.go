package connectors_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/connectors"
	"github.com/anliegen/anliegen/connectors/mastodon/mastodontest"
)

type rig struct {
	clk   *fakeClock
	db    *realStore // channels and ingest
	out   *memStore  // outbound queue
	fakes []*mastodontest.Server
	chs   []anliegen.Channel
}

// newRig makes n fake instances, each with a channel in a memStore.
func newRig(t testing.TB, n int, fopts mastodontest.Options) *rig {
	t.Helper()
	r := &rig{clk: newFakeClock(), db: openStore(t), out: newMemStore()}
	r.clk.drive(t)
	for i := range n {
		o := fopts
		o.Now, o.Seed = r.clk.Now, uint64(i+1)
		fake := mastodontest.New(o)
		t.Cleanup(fake.Close)
		ch := mastodonChannel(fake, fake.Town().Token)
		if err := r.db.CreateChannel(context.Background(), &ch); err != nil {
			t.Fatal(err)
		}
		r.fakes, r.chs = append(r.fakes, fake), append(r.chs, ch)
	}
	return r
}

func (r *rig) runtime(t testing.TB, seed uint64) *connectors.Runtime {
	return connectors.NewRuntime(testLogger(t), registry(r.clk), r.db, r.db, r.db, testOptions(r.clk, seed))
}

func (r *rig) allStored(t testing.TB, i int, want map[string]bool) func() bool {
	return func() bool {
		got := r.db.storedIDs(t, r.chs[i].ID)
		for id := range want {
			if got[id] == 0 {
				return false
			}
		}
		return true
	}
}

func assertOnce(t testing.TB, got map[string]int, want map[string]bool) {
	t.Helper()
	for id := range want {
		if got[id] != 1 {
			t.Errorf("item %s created %d times, want once", id, got[id])
		}
	}
	for id := range got {
		if !want[id] {
			t.Errorf("unexpected item %s", id)
		}
	}
}

func TestRuntimeThousandItemsExactlyOnce(t *testing.T) {
	r := newRig(t, 1, mastodontest.Options{})
	want := postMentions(t, r.fakes[0], 600) // backfill: 8 pages
	stop := run(t, r.runtime(t, 1))
	eventually(t, "backfill", r.allStored(t, 0, want))
	for id := range postMentions(t, r.fakes[0], 400) { // live: 5 more pages
		want[id] = true
	}
	eventually(t, "live items", r.allStored(t, 0, want))
	stop()
	assertOnce(t, r.db.storedIDs(t, r.chs[0].ID), want)
	ch, _ := r.db.Channel(context.Background(), r.chs[0].ID)
	if ch.Cursor == "" || strings.HasPrefix(ch.Cursor, "backfill") {
		t.Errorf("cursor = %q, want a live cursor", ch.Cursor)
	}
	if ch.Health.State != anliegen.ChannelOK || ch.Health.LastSuccessAt == nil || ch.Health.ItemsTotal != 1000 {
		t.Errorf("health = %+v", ch.Health)
	}
}

func TestRuntime429StormSlowsDownAndLosesNothing(t *testing.T) {
	r := newRig(t, 1, mastodontest.Options{})
	fake := r.fakes[0]
	want := postMentions(t, fake, 100)
	fake.Inject(mastodontest.FaultRateLimited, 6)
	run(t, r.runtime(t, 2))
	eventually(t, "items after the storm", r.allStored(t, 0, want))
	assertOnce(t, r.db.storedIDs(t, r.chs[0].ID), want)

	// After each 429 the next request waited for the reset the fake named
	// (now + 5 min): the poller did not hammer a limited platform.
	reqs := fake.Requests()
	limited := 0
	for i, q := range reqs {
		if q.Status != 429 {
			continue
		}
		limited++
		if i+1 < len(reqs) && reqs[i+1].At.Before(q.At.Add(5*time.Minute)) {
			t.Errorf("request %d at %v came before the reset %v", i+1, reqs[i+1].At, q.At.Add(5*time.Minute))
		}
	}
	if limited != 6 {
		t.Errorf("saw %d 429s, want 6", limited)
	}
	if !r.db.sawState(r.chs[0].ID, anliegen.ChannelRateLimit) {
		t.Error("health never reported rate_limited")
	}
}

// With the budget nearly spent the poller spreads its requests up to the
// reset instead of running into a 429.
func TestRuntimeHonoursRateLimitHeaders(t *testing.T) {
	r := newRig(t, 1, mastodontest.Options{RateLimit: 4})
	want := postMentions(t, r.fakes[0], 170) // 3 pages: most of a window's budget
	run(t, r.runtime(t, 3))
	eventually(t, "all items", r.allStored(t, 0, want))
	// Then an hour of polling every 30 s: 10 polls per 5-minute window
	// against a budget of 4.
	start := r.clk.Now()
	eventually(t, "an hour", func() bool { return r.clk.Now().Sub(start) > time.Hour })
	reqs := r.fakes[0].Requests()
	if len(reqs) < 20 {
		t.Fatalf("only %d requests in an hour", len(reqs))
	}
	for _, q := range reqs {
		if q.Status == 429 {
			t.Fatalf("request %s at %v ran into the limit", q.Path, q.At)
		}
	}
}

func TestRuntimeSkipsMalformedStatus(t *testing.T) {
	r := newRig(t, 1, mastodontest.Options{})
	want := postMentions(t, r.fakes[0], 90)
	var bad string
	for id := range want {
		bad = id
		break
	}
	delete(want, bad)
	r.fakes[0].Corrupt(bad)
	run(t, r.runtime(t, 4))
	eventually(t, "the good items", r.allStored(t, 0, want))
	assertOnce(t, r.db.storedIDs(t, r.chs[0].ID), want)
}

func TestRuntimeCrashBetweenFetchAndIngest(t *testing.T) {
	r := newRig(t, 1, mastodontest.Options{})
	want := postMentions(t, r.fakes[0], 130)
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	r.db.setHooks(func(_ context.Context, _ int64, _ []anliegen.Item, _ string) error {
		if calls.Add(1) == 2 { // the second page was fetched: crash before it is stored
			cancel()
			return context.Canceled
		}
		return nil
	}, nil)
	rt := r.runtime(t, 5)
	done := make(chan struct{})
	go func() { defer close(done); _ = rt.Run(ctx) }()
	<-done
	first := r.db.storedIDs(t, r.chs[0].ID)
	if len(first) != 80 {
		t.Fatalf("stored %d items before the crash, want one page of 80", len(first))
	}
	r.db.setHooks(nil, nil)
	run(t, r.runtime(t, 6)) // restart: resumes from the stored cursor
	eventually(t, "items after restart", r.allStored(t, 0, want))
	assertOnce(t, r.db.storedIDs(t, r.chs[0].ID), want)
}

func TestRuntimeAuthFailureStopsChannel(t *testing.T) {
	r := newRig(t, 1, mastodontest.Options{})
	fake := r.fakes[0]
	want := postMentions(t, fake, 5)
	ch := r.chs[0]
	ch.Secret = []byte("revoked")
	_ = r.db.UpdateChannel(context.Background(), &ch)
	rt := r.runtime(t, 7)
	run(t, rt)
	eventually(t, "auth_failed", func() bool {
		c, _ := r.db.Channel(context.Background(), ch.ID)
		return c.Health.State == anliegen.ChannelAuthFailed && len(rt.Polling()) == 0
	})
	n := len(fake.Requests())
	// Let an hour of fake time pass: a stopped channel sends nothing.
	start := r.clk.Now()
	eventually(t, "an hour", func() bool { return r.clk.Now().Sub(start) > time.Hour })
	if got := len(fake.Requests()); got != n {
		t.Fatalf("%d requests after auth failure, want none", got-n)
	}
	// The admin fixes the token: the channel runs again.
	ch.Secret = []byte(fake.Town().Token)
	_ = r.db.UpdateChannel(context.Background(), &ch)
	rt.Reload()
	eventually(t, "items after the fix", r.allStored(t, 0, want))
	c, _ := r.db.Channel(context.Background(), ch.ID)
	eventually(t, "ok state", func() bool {
		c, _ = r.db.Channel(context.Background(), ch.ID)
		return c.Health.State == anliegen.ChannelOK
	})
}

func TestRuntimeSlowChannelDoesNotDelayOthers(t *testing.T) {
	r := newRig(t, 2, mastodontest.Options{})
	r.fakes[0].Inject(mastodontest.FaultTimeout, 1000) // channel 1 hangs on every request
	want := postMentions(t, r.fakes[1], 50)
	run(t, r.runtime(t, 8))
	eventually(t, "the healthy channel's items", r.allStored(t, 1, want))
	eventually(t, "the slow channel failing", func() bool {
		c, _ := r.db.Channel(context.Background(), r.chs[0].ID)
		return c.Health.State == anliegen.ChannelFailing && c.Health.ConsecutiveFailures > 0 &&
			strings.Contains(c.Health.LastError, "deadline")
	})
}

func TestRuntimePicksUpChannelChanges(t *testing.T) {
	r := newRig(t, 1, mastodontest.Options{})
	rt := r.runtime(t, 9)
	run(t, rt)
	// Added while running.
	o := mastodontest.Options{Now: r.clk.Now, Seed: 99}
	fake := mastodontest.New(o)
	t.Cleanup(fake.Close)
	ch := mastodonChannel(fake, fake.Town().Token)
	_ = r.db.CreateChannel(context.Background(), &ch)
	want := postMentions(t, fake, 10)
	rt.Reload()
	eventually(t, "the new channel's items", func() bool { return len(r.db.storedIDs(t, ch.ID)) == len(want) })

	// Disabled: health says so and polling stops.
	ch.Enabled = false
	_ = r.db.UpdateChannel(context.Background(), &ch)
	rt.Reload()
	eventually(t, "disabled", func() bool {
		c, _ := r.db.Channel(context.Background(), ch.ID)
		return c.Health.State == anliegen.ChannelDisabled && !slices.Contains(rt.Polling(), ch.ID)
	})
	more := postMentions(t, fake, 3)
	n := len(fake.Requests())
	start := r.clk.Now()
	eventually(t, "ten minutes", func() bool { return r.clk.Now().Sub(start) > 10*time.Minute })
	if len(fake.Requests()) != n {
		t.Fatal("a disabled channel was polled")
	}
	// Enabled again: it resumes from its cursor.
	ch.Enabled = true
	_ = r.db.UpdateChannel(context.Background(), &ch)
	rt.Reload()
	for id := range more {
		want[id] = true
	}
	eventually(t, "items after enabling", func() bool { return len(r.db.storedIDs(t, ch.ID)) == len(want) })
	assertOnce(t, r.db.storedIDs(t, ch.ID), want)
}

func TestRuntimeBadSettingsMarkChannel(t *testing.T) {
	r := newRig(t, 1, mastodontest.Options{})
	ch := r.chs[0]
	ch.Settings = []byte(`{"instance":"ftp://nope"}`)
	_ = r.db.UpdateChannel(context.Background(), &ch)
	run(t, r.runtime(t, 10))
	eventually(t, "auth_failed for bad settings", func() bool {
		c, _ := r.db.Channel(context.Background(), ch.ID)
		return c.Health.State == anliegen.ChannelAuthFailed && strings.Contains(c.Health.LastError, "instance")
	})
}

// A channel of a platform without a connector (the web form) is left
// alone: not polled, its health untouched.
func TestRuntimeIgnoresUnregisteredPlatforms(t *testing.T) {
	r := newRig(t, 1, mastodontest.Options{})
	form := anliegen.Channel{Platform: anliegen.PlatformWebform, Name: "Kontaktformular", Enabled: true}
	if err := r.db.CreateChannel(context.Background(), &form); err != nil {
		t.Fatal(err)
	}
	rt := r.runtime(t, 14)
	run(t, rt)
	eventually(t, "the Mastodon channel polled", func() bool { return len(rt.Polling()) == 1 })
	start := r.clk.Now()
	eventually(t, "an hour", func() bool { return r.clk.Now().Sub(start) > time.Hour })
	if slices.Contains(rt.Polling(), form.ID) || r.db.sawState(form.ID, anliegen.ChannelAuthFailed) {
		t.Fatalf("the web form channel was started: polling %v", rt.Polling())
	}
}

func TestRegistryUnknownPlatform(t *testing.T) {
	reg := connectors.NewRegistry()
	_, err := reg.New(anliegen.Channel{Platform: anliegen.PlatformX}, nil)
	if anliegen.ErrorCode(err) != anliegen.EInvalid || !errors.Is(err, err) {
		t.Fatalf("err = %v, want invalid platform", err)
	}
	if len(reg.Platforms()) != 0 {
		t.Fatal("empty registry lists platforms")
	}
}
