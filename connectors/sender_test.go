package connectors_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/connectors"
	"github.com/anliegen/anliegen/connectors/mastodon/mastodontest"
)

// ingestAll polls channel i's fake to the end and stores what it got.
func (r *rig) ingestAll(t testing.TB, i int) {
	t.Helper()
	conn, err := registry(r.clk).New(r.chs[i], nil)
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := r.db.Channel(context.Background(), r.chs[i].ID)
	for cursor := ch.Cursor; ; {
		res, err := conn.Poll(context.Background(), cursor)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.db.Ingest(context.Background(), ch.ID, res.Items, res.Cursor); err != nil {
			t.Fatal(err)
		}
		if cursor = res.Cursor; !res.More {
			return
		}
	}
}

func TestSenderOutcomes(t *testing.T) {
	r := newRig(t, 1, mastodontest.Options{MaxChars: 200})
	fake, chID := r.fakes[0], r.chs[0].ID
	anna := fake.AddAccount("anna@example.org", "Anna")
	berta := fake.AddAccount("berta", "Berta")
	q, _ := fake.Mention(anna, "Wann kommt der Sperrmüll?")
	dm, _ := fake.DirectMessage(berta, "Meine Nummer: 0171 1234567")
	gone, _ := fake.Mention(fake.AddAccount("carl", "Carl"), "gleich gelöscht")
	r.ingestAll(t, 0)
	_ = fake.Delete(gone.ID)

	agent := r.db.agent(t)
	ok := r.db.reply(t, r.db.ticketOf(t, chID, q.ID), agent, "Am Montag. ^AB")
	private := r.db.reply(t, r.db.ticketOf(t, chID, dm.ID), agent, "Danke, wir rufen zurück.")
	tooLong := r.db.reply(t, r.db.ticketOf(t, chID, q.ID), agent, strings.Repeat("lang ", 60))
	missing := r.db.reply(t, r.db.ticketOf(t, chID, gone.ID), agent, "Antwort ins Leere")

	rt := r.runtime(t, 11)
	run(t, rt)
	rt.Notify()
	ids := []int64{ok, private, tooLong, missing}
	eventually(t, "outcomes", func() bool {
		for _, id := range ids {
			if r.db.outbound(t, id).state == anliegen.DeliveryPending {
				return false
			}
		}
		return true
	})
	tests := []struct {
		name        string
		id          int64
		state       anliegen.DeliveryState
		err, prefix string
		vis         string
	}{
		{"sent", ok, anliegen.DeliverySent, "", "@anna@example.org Am Montag.", "public"},
		{"direct message answered directly", private, anliegen.DeliverySent, "", "@berta Danke", "direct"},
		{"too long fails before sending", tooLong, anliegen.DeliveryFailed, "the instance allows 200", "", ""},
		{"deleted target is permanent", missing, anliegen.DeliveryFailed, "Record not found", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := r.db.outbound(t, tt.id)
			if o.state != tt.state || !strings.Contains(o.err, tt.err) {
				t.Fatalf("state %s err %q, want %s %q", o.state, o.err, tt.state, tt.err)
			}
			if tt.state == anliegen.DeliverySent {
				st, found := fake.Status(o.externalID)
				if !found || st.InReplyToID == "" || st.Visibility != tt.vis || !strings.HasPrefix(st.Text, tt.prefix) {
					t.Fatalf("posted %+v", st)
				}
			}
		})
	}
	if got := len(fake.StatusesBy(fake.Town().ID)); got != 2 {
		t.Errorf("town posted %d statuses, want 2", got)
	}
}

func TestSenderRetriesTemporaryFailures(t *testing.T) {
	r := newRig(t, 1, mastodontest.Options{})
	fake, chID := r.fakes[0], r.chs[0].ID
	q, _ := fake.Mention(fake.AddAccount("anna", "Anna"), "Frage")
	r.ingestAll(t, 0)
	id := r.db.reply(t, r.db.ticketOf(t, chID, q.ID), r.db.agent(t), "Antwort")
	conn, err := registry(r.clk).New(r.chs[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	s := connectors.NewSender(nil, r.db, func(context.Context, int64) (anliegen.Connector, error) { return conn, nil },
		connectors.Options{Clock: r.clk, Rand: lockedRand(1)})
	fake.Inject(mastodontest.FaultServerError, 2)
	ctx := context.Background()
	<-r.clk.After(time.Since(r.clk.Now()) + time.Second) // the store stamped the reply with the wall clock
	if n := s.SendDue(ctx); n != 1 {
		t.Fatalf("claimed %d, want 1", n)
	}
	if o := r.db.outbound(t, id); o.state != anliegen.DeliveryPending || o.err == "" {
		t.Fatalf("after a 500: %+v, want pending with the error", o)
	}
	if n := s.SendDue(ctx); n != 0 {
		t.Fatalf("claimed %d before the retry time", n)
	}
	eventually(t, "sent after backoff", func() bool {
		<-r.clk.After(time.Second) // let fake time pass
		s.SendDue(ctx)
		return r.db.outbound(t, id).state == anliegen.DeliverySent
	})
	if got := len(fake.StatusesBy(fake.Town().ID)); got != 1 {
		t.Fatalf("town posted %d statuses, want 1", got)
	}
}

// A crash between the platform accepting a reply and the store recording
// it must not post the reply twice: the re-claimed reply carries the same
// Idempotency-Key and the platform answers with the first status.
func TestSenderCrashAfterPostSendsOnce(t *testing.T) {
	tests := []struct {
		name  string
		crash func(r *rig, cancel context.CancelFunc)
	}{
		{"context cancelled before MarkSent", func(r *rig, cancel context.CancelFunc) {
			r.fakes[0].AfterCreate(func(mastodontest.Status) { cancel() })
		}},
		{"store write fails", func(r *rig, cancel context.CancelFunc) {
			calls := 0
			r.db.setMarkSentHook(func(int64) error {
				if calls++; calls == 1 {
					cancel()
					return errors.New("disk I/O error")
				}
				return nil
			})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, 1, mastodontest.Options{})
			fake, chID := r.fakes[0], r.chs[0].ID
			q, _ := fake.Mention(fake.AddAccount("anna", "Anna"), "Frage")
			r.ingestAll(t, 0)
			id := r.db.reply(t, r.db.ticketOf(t, chID, q.ID), r.db.agent(t), "Antwort")
			ctx, cancel := context.WithCancel(context.Background())
			tt.crash(r, cancel)
			rt := r.runtime(t, 12)
			done := make(chan struct{})
			go func() { defer close(done); _ = rt.Run(ctx) }()
			rt.Notify()
			<-done
			if got := len(fake.StatusesBy(fake.Town().ID)); got != 1 {
				t.Fatalf("before restart: %d town statuses, want the 1 the platform accepted", got)
			}
			if o := r.db.outbound(t, id); o.state != anliegen.DeliveryPending {
				t.Fatalf("reply recorded as %s despite the crash", o.state)
			}
			fake.AfterCreate(nil)
			run(t, r.runtime(t, 13)) // restart; re-claims after the lease
			eventually(t, "sent after restart", func() bool { return r.db.outbound(t, id).state == anliegen.DeliverySent })
			town := fake.StatusesBy(fake.Town().ID)
			o := r.db.outbound(t, id)
			if len(town) != 1 || o.externalID != town[0].ID || o.attempts != 2 {
				t.Fatalf("town statuses %d, recorded %s (attempts %d), want exactly the first status", len(town), o.externalID, o.attempts)
			}
		})
	}
}

// Notify wakes an idle sender at once: with a clock that never moves, no
// idle tick can be what sent the reply.
func TestSenderNotify(t *testing.T) {
	r := newRig(t, 1, mastodontest.Options{})
	frozen := newFakeClock() // not driven: its timers never fire
	frozen.now = frozen.now.Add(time.Hour)
	fake, chID := r.fakes[0], r.chs[0].ID
	q, _ := fake.Mention(fake.AddAccount("anna", "Anna"), "Frage")
	r.ingestAll(t, 0)
	agent := r.db.agent(t)
	conn, _ := registry(r.clk).New(r.chs[0], nil)
	s := connectors.NewSender(nil, r.db, func(context.Context, int64) (anliegen.Connector, error) { return conn, nil },
		connectors.Options{Clock: frozen, SendIdle: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	eventually(t, "the idle sender waiting", func() bool {
		frozen.mu.Lock()
		defer frozen.mu.Unlock()
		return len(frozen.timers) == 1
	})
	id := r.db.reply(t, r.db.ticketOf(t, chID, q.ID), agent, "Antwort")
	s.Notify()
	eventually(t, "sent on notify", func() bool { return r.db.outbound(t, id).state == anliegen.DeliverySent })
}

// A channel that no longer exists fails its replies for good.
func TestSenderUnknownChannel(t *testing.T) {
	out := newMemStore()
	id := out.queue(anliegen.OutboundMessage{ChannelID: 999, Text: "x", Recipient: anliegen.Author{Handle: "a"}})
	s := connectors.NewSender(nil, out, func(context.Context, int64) (anliegen.Connector, error) {
		return nil, anliegen.Errorf(anliegen.ENotFound, "channel not found")
	}, connectors.Options{})
	s.SendDue(context.Background())
	if o := out.outbound(id); o.state != anliegen.DeliveryFailed || !strings.Contains(o.err, "no longer exists") {
		t.Fatalf("outbound = %+v, want failed for good", o)
	}
}
