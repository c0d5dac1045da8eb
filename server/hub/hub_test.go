package hub

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

func TestFrameFor(t *testing.T) {
	admin := &Viewer{Scope: anliegen.Scope{All: true}, SeesHealth: true}
	abfall := &Viewer{Scope: anliegen.Scope{Departments: []string{"abfall"}}}
	data := json.RawMessage(`{"text":"geheim"}`)
	cases := []struct {
		name   string
		ev     anliegen.Event
		v      *Viewer
		sees   bool
		strips bool
	}{
		{"own department", anliegen.Event{Type: anliegen.EventMessageCreated, Department: "abfall", Data: data}, abfall, true, false},
		{"other department", anliegen.Event{Type: anliegen.EventMessageCreated, Department: "bauamt", Data: data}, abfall, false, false},
		{"unrouted", anliegen.Event{Type: anliegen.EventTicketCreated, Data: data}, abfall, false, false},
		{"routed away", anliegen.Event{Type: anliegen.EventTicketUpdated, Department: "bauamt", PrevDepartment: "abfall", Data: data}, abfall, true, true},
		{"routed in", anliegen.Event{Type: anliegen.EventTicketUpdated, Department: "abfall", PrevDepartment: "bauamt", Data: data}, abfall, true, false},
		{"health to department", anliegen.Event{Type: anliegen.EventChannelHealth, ChannelID: 1}, abfall, false, false},
		{"health to admin", anliegen.Event{Type: anliegen.EventChannelHealth, ChannelID: 1}, admin, true, false},
		{"admin sees all", anliegen.Event{Type: anliegen.EventMessageCreated, Department: "bauamt", Data: data}, admin, true, false},
	}
	for _, tc := range cases {
		tc.ev.ID, tc.ev.TicketID, tc.ev.MessageID = 7, 3, 9
		b := frameFor(newEntry(&tc.ev), tc.v)
		if (b != nil) != tc.sees {
			t.Errorf("%s: frame %s, want sees=%v", tc.name, b, tc.sees)
			continue
		}
		if b == nil {
			continue
		}
		var got anliegen.Event
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		stripped := got.Data == nil && got.MessageID == 0
		if stripped != tc.strips || got.ID != 7 || got.TicketID != 3 {
			t.Errorf("%s: frame %s, want stripped=%v", tc.name, b, tc.strips)
		}
	}
}

func TestPresenceExpires(t *testing.T) {
	h := New(Config{PresenceTTL: time.Minute})
	c := &client{h: h, wake: make(chan struct{}, 1)}
	v := &Viewer{UserID: 1, Login: "anna", Scope: anliegen.Scope{All: true}}
	c.viewer.Store(v)
	h.clients[c] = struct{}{}
	now := time.Now()
	h.presence[presenceKey{ticket: 5, c: c}] = presenceState{state: PresenceViewing, dept: "abfall", at: now, viewer: *v}
	h.expirePresence(now.Add(30 * time.Second))
	if len(h.presence) != 1 || h.head != 0 {
		t.Fatal("presence expired before its TTL")
	}
	h.expirePresence(now.Add(61 * time.Second))
	if len(h.presence) != 0 || h.head != 1 {
		t.Fatalf("presence not expired: %d left, %d frames", len(h.presence), h.head)
	}
	var f presenceFrame
	if err := json.Unmarshal(h.ring[0].full, &f); err != nil {
		t.Fatal(err)
	}
	if f.ID != 0 || f.TicketID != 5 || f.Data.State != PresenceLeft || f.Data.Login != "anna" {
		t.Fatalf("expiry frame %+v", f)
	}
	select {
	case <-c.wake:
	default:
		t.Fatal("clients not woken for the expiry frame")
	}
}

// FuzzReceive: a client's message adds a presence frame only when it is a
// well-formed presence message about a ticket the client may see.
func FuzzReceive(f *testing.F) {
	for _, s := range []string{`{"type":"presence","ticket_id":5,"state":"viewing"}`, `{"type":"presence","ticket_id":6,"state":"typing"}`,
		`{"type":"presence","ticket_id":-1,"state":"viewing"}`, `{"type":"presence","ticket_id":5,"state":"dancing"}`, `{"type":"ping"}`, `[]`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		h := New(Config{TicketDepartment: func(_ context.Context, id int64) (string, error) {
			if id == 6 {
				return "bauamt", nil
			}
			return "abfall", nil
		}})
		c := &client{h: h, wake: make(chan struct{}, 1)}
		c.viewer.Store(&Viewer{UserID: 1, Scope: anliegen.Scope{Departments: []string{"abfall"}}})
		h.receive(context.Background(), c, msg)
		var m clientMessage
		valid := json.Unmarshal(msg, &m) == nil && m.Type == "presence" && m.TicketID > 0 && m.TicketID != 6 &&
			(m.State == PresenceViewing || m.State == PresenceTyping)
		if valid != (h.head == 1) {
			t.Fatalf("message %q: %d frames", msg, h.head)
		}
	})
}
