package connectors_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/connectors"
	"github.com/anliegen/anliegen/connectors/email"
	"github.com/anliegen/anliegen/connectors/email/emailtest"
)

// TestRuntimeIdleIngestsNewMail runs the runtime against a real Dovecot
// with a poll interval of an hour: a mail appended after the first poll is
// stored all the same, which only IMAP IDLE can have brought about. Stop
// then ends the IDLE connection and the worker.
func TestRuntimeIdleIngestsNewMail(t *testing.T) {
	d := emailtest.StartDovecot(t)
	db := openStore(t)
	settings, _ := json.Marshal(email.Settings{IMAPAddr: d.Addr, IMAPTLS: email.TLSNone, IMAPUsername: d.User,
		SMTPAddr: "127.0.0.1:1", SMTPTLS: email.TLSNone, FromAddress: "buergerservice@musterstadt.example"})
	secret, _ := json.Marshal(email.Secret{IMAPPassword: d.Password})
	ch := anliegen.Channel{Platform: anliegen.PlatformEmail, Name: "Postfach", Account: "buergerservice@musterstadt.example",
		Settings: settings, Secret: secret, Enabled: true, PollInterval: time.Hour}
	if err := db.CreateChannel(context.Background(), &ch); err != nil {
		t.Fatal(err)
	}
	mail := func(n int) []byte {
		return []byte(fmt.Sprintf("From: Erika <erika@example.org>\r\nMessage-ID: <idle-%d@example.org>\r\n"+
			"Subject: Anfrage %d\r\nDate: %s\r\n\r\nWann kommt die Biotonne?\r\n", n, n, time.Now().Format(time.RFC1123Z)))
	}
	d.Append(t, "INBOX", mail(1))
	reg := connectors.NewRegistry()
	reg.Register(anliegen.PlatformEmail, email.Factory)
	rt := connectors.NewRuntime(testLogger(t), reg, db, db, nil, connectors.Options{})
	stop := run(t, rt)
	stored := func(id string) func() bool {
		return func() bool { return db.storedIDs(t, ch.ID)[id] == 1 }
	}
	eventually(t, "the first mail", stored("idle-1@example.org"))
	for n := 2; n <= 3; n++ {
		d.Append(t, "INBOX", mail(n))
		eventually(t, fmt.Sprintf("mail %d, with an hour until the next regular poll", n), stored(fmt.Sprintf("idle-%d@example.org", n)))
	}
	stop()
	if got := rt.Polling(); len(got) != 0 {
		t.Errorf("still polling %v after stop", got)
	}
}

// waitConn is a connector with a Waiter whose behaviour a test sets. It
// records whether a Poll or Wait ever overlapped another.
type waitConn struct {
	wait func(ctx context.Context) error // what Wait does
	news atomic.Bool                     // the next Poll finds an item

	inFlight, overlaps atomic.Int32
	polls, waits       atomic.Int32
	mu                 sync.Mutex
	n                  int
}

func (c *waitConn) enter() func() {
	if c.inFlight.Add(1) > 1 {
		c.overlaps.Add(1)
	}
	return func() { c.inFlight.Add(-1) }
}

func (c *waitConn) Poll(ctx context.Context, cursor string) (anliegen.PollResult, error) {
	defer c.enter()()
	c.polls.Add(1)
	if !c.news.Swap(false) {
		return anliegen.PollResult{Cursor: cursor}, nil
	}
	c.mu.Lock()
	c.n++
	n := c.n
	c.mu.Unlock()
	it := anliegen.Item{ExternalID: fmt.Sprintf("w%d", n), Kind: anliegen.KindDM, ThreadID: fmt.Sprintf("w%d", n),
		Author: anliegen.Author{ExternalID: "anna"}, Text: "Frage", CreatedAt: time.Now()}
	return anliegen.PollResult{Items: []anliegen.Item{it}, Cursor: fmt.Sprint(n)}, nil
}

func (c *waitConn) Wait(ctx context.Context, cursor string) error {
	defer c.enter()()
	c.waits.Add(1)
	return c.wait(ctx)
}

func (c *waitConn) Reply(context.Context, anliegen.OutboundMessage) (string, error) { return "", nil }
func (c *waitConn) Capabilities() anliegen.Capabilities                             { return anliegen.Capabilities{} }

// waitRig runs one channel of a waitConn under the fake clock.
func waitRig(t *testing.T, c *waitConn) (*fakeClock, *realStore, anliegen.Channel, func()) {
	t.Helper()
	clk := newFakeClock()
	clk.drive(t)
	db := openStore(t)
	ch := anliegen.Channel{Platform: anliegen.PlatformTelegram, Name: "Test", Account: "t", Enabled: true, PollInterval: time.Minute}
	if err := db.CreateChannel(context.Background(), &ch); err != nil {
		t.Fatal(err)
	}
	reg := connectors.NewRegistry()
	reg.Register(anliegen.PlatformTelegram, func(anliegen.Channel, *slog.Logger) (anliegen.Connector, error) { return c, nil })
	rt := connectors.NewRuntime(testLogger(t), reg, db, db, nil, testOptions(clk, 7))
	return clk, db, ch, run(t, rt)
}

func TestRuntimeWaiterWakesPoll(t *testing.T) {
	c := &waitConn{}
	c.wait = func(ctx context.Context) error {
		if c.waits.Load()%2 == 0 {
			c.news.Store(true) // news arrives while waiting
			return nil
		}
		<-ctx.Done() // nothing new until the interval is over
		return ctx.Err()
	}
	_, db, ch, stop := waitRig(t, c)
	eventually(t, "ten items", func() bool { return len(db.storedIDs(t, ch.ID)) >= 10 })
	stop()
	if n := c.overlaps.Load(); n != 0 {
		t.Errorf("Poll and Wait overlapped %d times", n)
	}
	if got := c.waits.Load(); got < 10 {
		t.Errorf("%d Waits for 10 wake-ups", got)
	}
}

// TestRuntimeWaiterFailureFallsBackToInterval: a Wait that always fails
// or always wakes for nothing leaves the channel polled on its interval,
// with Waits backing off, and never in a tight loop.
func TestRuntimeWaiterFailureFallsBackToInterval(t *testing.T) {
	tests := []struct {
		name string
		wait func(ctx context.Context) error
	}{
		{"idle fails", func(context.Context) error {
			return &anliegen.PlatformError{Kind: anliegen.ErrTemporary, Err: errors.New("imap idle: connection reset")}
		}},
		{"wakes for nothing", func(context.Context) error { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &waitConn{wait: tt.wait}
			clk, db, ch, stop := waitRig(t, c)
			start := clk.Now()
			eventually(t, "40 polls", func() bool { return c.polls.Load() >= 40 })
			// Citizens still get through on the interval.
			c.news.Store(true)
			eventually(t, "an item", func() bool { return len(db.storedIDs(t, ch.ID)) == 1 })
			stop()
			elapsed := clk.Now().Sub(start)
			polls, waits := c.polls.Load(), c.waits.Load()
			// At most every other poll may follow a Wait; the rest wait the
			// whole interval.
			if min := time.Duration(polls/2-1) * time.Minute; elapsed < min {
				t.Errorf("%d polls in %v of clock time, want at least %v", polls, elapsed, min)
			}
			if waits*2 > polls+1 {
				t.Errorf("%d Waits for %d polls: failing Waits are not backed off", waits, polls)
			}
			if n := c.overlaps.Load(); n != 0 {
				t.Errorf("Poll and Wait overlapped %d times", n)
			}
			got, err := db.Channel(context.Background(), ch.ID)
			if err != nil || got.Health.State != anliegen.ChannelOK {
				t.Errorf("health = %+v %v, want ok: a failing IDLE is no failing channel", got.Health, err)
			}
		})
	}
}

// BenchmarkIdleLatency measures how long a mail appended to a real Dovecot
// takes to be stored by the runtime when the poll interval is an hour:
// the latency of IMAP IDLE end to end (wake-up, poll, ingest).
func BenchmarkIdleLatency(b *testing.B) {
	d := emailtest.StartDovecot(b)
	db := openStore(b)
	settings, _ := json.Marshal(email.Settings{IMAPAddr: d.Addr, IMAPTLS: email.TLSNone, IMAPUsername: d.User,
		SMTPAddr: "127.0.0.1:1", SMTPTLS: email.TLSNone, FromAddress: "buergerservice@musterstadt.example"})
	secret, _ := json.Marshal(email.Secret{IMAPPassword: d.Password})
	ch := anliegen.Channel{Platform: anliegen.PlatformEmail, Name: "Postfach", Account: "buergerservice@musterstadt.example",
		Settings: settings, Secret: secret, Enabled: true, PollInterval: time.Hour}
	if err := db.CreateChannel(context.Background(), &ch); err != nil {
		b.Fatal(err)
	}
	stored := make(chan struct{}, 1)
	db.setHooks(nil, func(int64, string) {
		select {
		case stored <- struct{}{}:
		default:
		}
	})
	reg := connectors.NewRegistry()
	reg.Register(anliegen.PlatformEmail, email.Factory)
	mail := func(n int) []byte {
		return []byte(fmt.Sprintf("From: Erika <erika@example.org>\r\nMessage-ID: <lat-%d@example.org>\r\n"+
			"Subject: Anfrage\r\nDate: %s\r\n\r\nText\r\n", n, time.Now().Format(time.RFC1123Z)))
	}
	d.Append(b, "INBOX", mail(0))
	run(b, connectors.NewRuntime(nil, reg, db, db, nil, connectors.Options{}))
	<-stored // the first poll
	var lat []time.Duration
	n := 0
	for b.Loop() {
		n++
		d.Append(b, "INBOX", mail(n))
		t0 := time.Now()
		<-stored
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "ms_median")
	b.ReportMetric(float64(lat[len(lat)-1].Milliseconds()), "ms_max")
}
