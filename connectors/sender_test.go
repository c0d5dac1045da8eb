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

// reply queues a reply to status parent of the citizen anna.
func reply(s *memStore, chID int64, parent mastodontest.Status, text string) int64 {
	kind := anliegen.KindComment
	if parent.Visibility == "direct" {
		kind = anliegen.KindDM
	}
	return s.queue(anliegen.OutboundMessage{ChannelID: chID, Kind: kind, Text: text, InReplyTo: parent.ID,
		ThreadID: parent.ID, Recipient: anliegen.Author{ExternalID: parent.Account.ID, Handle: "@" + parent.Account.Acct}})
}

func TestSenderOutcomes(t *testing.T) {
	r := newRig(t, 1, mastodontest.Options{MaxChars: 200})
	fake, chID := r.fakes[0], r.chs[0].ID
	anna := fake.AddAccount("anna@example.org", "Anna")
	q, _ := fake.Mention(anna, "Wann kommt der Sperrmüll?")
	dm, _ := fake.DirectMessage(anna, "Meine Nummer: 0171 1234567")
	gone, _ := fake.Mention(anna, "gleich gelöscht")
	_ = fake.Delete(gone.ID)

	ok := reply(r.out, chID, q, "Am Montag. ^AB")
	private := reply(r.out, chID, dm, "Danke, wir rufen zurück.")
	tooLong := reply(r.out, chID, q, strings.Repeat("lang ", 60))
	missing := reply(r.out, chID, gone, "Antwort ins Leere")
	noChannel := r.out.queue(anliegen.OutboundMessage{ChannelID: 999, Text: "x", Recipient: anliegen.Author{Handle: "a"}})

	rt := r.runtime(t, 11)
	run(t, rt)
	rt.Notify()
	eventually(t, "outcomes", func() bool {
		for _, id := range []int64{ok, private, tooLong, missing, noChannel} {
			if o := r.out.outbound(id); o.state == anliegen.DeliveryPending {
				return false
			}
		}
		return true
	})
	tests := []struct {
		name  string
		id    int64
		state anliegen.DeliveryState
		err   string
	}{
		{"sent", ok, anliegen.DeliverySent, ""},
		{"direct", private, anliegen.DeliverySent, ""},
		{"too long fails before sending", tooLong, anliegen.DeliveryFailed, "the instance allows 200"},
		{"deleted target is permanent", missing, anliegen.DeliveryFailed, "Record not found"},
		{"deleted channel", noChannel, anliegen.DeliveryFailed, "no longer exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := r.out.outbound(tt.id)
			if o.state != tt.state || !strings.Contains(o.err, tt.err) {
				t.Fatalf("state %s err %q, want %s %q", o.state, o.err, tt.state, tt.err)
			}
			if tt.state == anliegen.DeliverySent {
				st, found := fake.Status(o.externalID)
				if !found || st.InReplyToID != o.m.InReplyTo || !strings.HasPrefix(st.Text, "@anna@example.org ") {
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
	anna := fake.AddAccount("anna", "Anna")
	q, _ := fake.Mention(anna, "Frage")
	id := reply(r.out, chID, q, "Antwort")
	conn, err := registry(r.clk).New(r.chs[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	s := connectors.NewSender(nil, r.out, func(context.Context, int64) (anliegen.Connector, error) { return conn, nil },
		connectors.Options{Clock: r.clk, Rand: lockedRand(1)})
	fake.Inject(mastodontest.FaultServerError, 2)
	ctx := context.Background()
	if n := s.SendDue(ctx); n != 1 {
		t.Fatalf("claimed %d, want 1", n)
	}
	o := r.out.outbound(id)
	if o.state != anliegen.DeliveryPending || !o.nextAt.After(r.clk.Now()) || o.err == "" {
		t.Fatalf("after a 500: %+v, want pending with a retry time", o)
	}
	if n := s.SendDue(ctx); n != 0 {
		t.Fatalf("claimed %d before the retry time", n)
	}
	eventually(t, "sent after backoff", func() bool {
		<-r.clk.After(time.Second) // let fake time pass
		s.SendDue(ctx)
		return r.out.outbound(id).state == anliegen.DeliverySent
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
			r.out.onMarkSent = func(int64) error {
				if calls++; calls == 1 {
					cancel()
					return errors.New("disk I/O error")
				}
				return nil
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, 1, mastodontest.Options{})
			fake, chID := r.fakes[0], r.chs[0].ID
			anna := fake.AddAccount("anna", "Anna")
			q, _ := fake.Mention(anna, "Frage")
			id := reply(r.out, chID, q, "Antwort")
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
			if o := r.out.outbound(id); o.state != anliegen.DeliveryPending {
				t.Fatalf("reply recorded as %s despite the crash", o.state)
			}
			fake.AfterCreate(nil)
			run(t, r.runtime(t, 13)) // restart; re-claims after the lease
			eventually(t, "sent after restart", func() bool { return r.out.outbound(id).state == anliegen.DeliverySent })
			town := fake.StatusesBy(fake.Town().ID)
			o := r.out.outbound(id)
			if len(town) != 1 || o.externalID != town[0].ID || o.m.Attempts != 2 {
				t.Fatalf("town statuses %d, recorded %s (attempts %d), want exactly the first status", len(town), o.externalID, o.m.Attempts)
			}
		})
	}
}

// Notify wakes an idle sender at once: with a clock that never moves, no
// idle tick can be what sent the reply.
func TestSenderNotify(t *testing.T) {
	r := newRig(t, 1, mastodontest.Options{})
	frozen := newFakeClock() // not driven: its timers never fire
	fake, chID := r.fakes[0], r.chs[0].ID
	anna := fake.AddAccount("anna", "Anna")
	q, _ := fake.Mention(anna, "Frage")
	conn, _ := registry(r.clk).New(r.chs[0], nil)
	s := connectors.NewSender(nil, r.out, func(context.Context, int64) (anliegen.Connector, error) { return conn, nil },
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
	id := reply(r.out, chID, q, "Antwort")
	s.Notify()
	eventually(t, "sent on notify", func() bool { return r.out.outbound(id).state == anliegen.DeliverySent })
}
