package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

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
		f := frameFor(newEntry(&tc.ev), tc.v)
		if (f != nil) != tc.sees {
			t.Errorf("%s: frame %v, want sees=%v", tc.name, f, tc.sees)
			continue
		}
		if f == nil {
			continue
		}
		b := f.data
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
	h.addClient(c)
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
	if err := json.Unmarshal(h.ring[0].full.data, &f); err != nil {
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

// TestWriteFrames sends frames of every header size, alone and batched in
// one write, and reads them back with gorilla's client: the hand-made
// framing must be what a websocket client expects.
func TestWriteFrames(t *testing.T) {
	sizes := []int{0, 1, 125, 126, 127, 1000, 65535, 65536, 70000}
	var want [][]byte
	for i, n := range sizes {
		b := bytes.Repeat([]byte{'a' + byte(i)}, n)
		want = append(want, b)
	}
	up := websocket.Upgrader{}
	srvErr := make(chan error, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			srvErr <- err
			return
		}
		c := &client{h: New(Config{}), conn: conn}
		var fs []*frame
		for _, b := range want {
			fs = append(fs, newFrame(b))
		}
		err = c.writeFrames(fs[:1]) // one frame alone
		if err == nil {
			err = c.writeFrames(fs[1:]) // the rest in one write
		}
		srvErr <- err
	}))
	defer ts.Close()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i, w := range want {
		typ, got, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("frame %d (%d bytes): %v", i, len(w), err)
		}
		if typ != websocket.TextMessage || !bytes.Equal(got, w) {
			t.Fatalf("frame %d: type %d, %d bytes, want text of %d bytes", i, typ, len(got), len(w))
		}
	}
	if err := <-srvErr; err != nil {
		t.Fatal(err)
	}
}
