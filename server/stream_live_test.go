package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/storage"
)

// readFrame reads frames until one that is not presence (or, with
// presence set, one that is).
func readFrame(t *testing.T, conn *websocket.Conn, presence bool) frame {
	t.Helper()
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("read frame: %v", err)
		}
		var f frame
		if err := json.Unmarshal(msg, &f); err != nil {
			t.Fatal(err)
		}
		if (f.Type == "presence") == presence {
			return f
		}
	}
}

// TestStreamOtherProcess: events written through another connection to
// the same database file, as `anliegen import` does from its own process,
// reach clients without any Notify.
func TestStreamOtherProcess(t *testing.T) {
	e := newEnv(t)
	su := e.streamSession(e.user("agent", anliegen.RoleAgent))
	ch := e.channel(anliegen.PlatformMastodon)
	conn, err := e.dialStream(su.token, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	other, err := storage.Open(e.ctx, strings.TrimSuffix(e.db.Path(), "/"+storage.FileName), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Ingest(e.ctx, ch, []anliegen.Item{e.item("Aus dem Import")}, ""); err != nil {
		t.Fatal(err)
	}
	f := readFrame(t, conn, false)
	if f.Type != string(anliegen.EventTicketCreated) || f.TicketID == 0 {
		t.Fatalf("first frame %+v, want ticket.created", f)
	}
}

// TestStreamPresence: presence goes to users who may see the ticket, not
// to others, and ends with "left" when the client goes away.
func TestStreamPresence(t *testing.T) {
	e := newEnv(t)
	e.department("abfall")
	e.department("bauamt")
	ch := e.channel(anliegen.PlatformMastodon)
	tk := e.ticket(ch, "abfall", e.item("Tonne voll"))
	other := e.ticket(ch, "bauamt", e.item("Kran im Weg"))
	anna := e.streamSession(e.user("anna", anliegen.RoleAgent))
	abf := e.streamSession(e.user("abf", anliegen.RoleDepartment, "abfall"))
	bau := e.streamSession(e.user("bau", anliegen.RoleDepartment, "bauamt"))
	dial := func(su streamUser) *websocket.Conn {
		c, err := e.dialStream(su.token, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	ca, cabf, cbau := dial(anna), dial(abf), dial(bau)
	send := func(c *websocket.Conn, ticket int64, state string) {
		msg := fmt.Sprintf(`{"type":"presence","ticket_id":%d,"state":%q}`, ticket, state)
		if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	// The department user may not announce presence on a ticket it cannot
	// see; then Anna views the abfall ticket.
	send(cbau, tk.ID, "viewing")
	send(ca, tk.ID, "viewing")
	f := readFrame(t, cabf, true)
	var d struct {
		Login, State string
		UserID       int64 `json:"user_id"`
	}
	if err := json.Unmarshal(f.Data, &d); err != nil {
		t.Fatal(err)
	}
	if f.ID != 0 || f.TicketID != tk.ID || d.Login != "anna" || d.State != "viewing" {
		t.Fatalf("presence frame %+v %+v", f, d)
	}
	// bauamt sees only presence on its own ticket: the next frame it gets
	// is Anna's on the bauamt ticket, not the abfall one.
	time.Sleep(250 * time.Millisecond) // the per-client presence throttle, not an assertion
	send(ca, other.ID, "typing")
	f = readFrame(t, cbau, true)
	if f.TicketID != other.ID {
		t.Fatalf("bauamt got presence on ticket %d, want only %d", f.TicketID, other.ID)
	}
	// Anna disconnects: abfall learns she left.
	ca.Close()
	f = readFrame(t, cabf, true)
	if err := json.Unmarshal(f.Data, &d); err != nil {
		t.Fatal(err)
	}
	if f.TicketID != tk.ID || d.State != "left" {
		t.Fatalf("after disconnect: %+v %+v", f, d)
	}
}

// TestStreamSessionEnd: logging out closes the user's open websocket at
// the next recheck, with the policy-violation close code.
func TestStreamSessionEnd(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.WSRecheck = 50 * time.Millisecond })
	su := e.streamSession(e.user("agent", anliegen.RoleAgent))
	conn, err := e.dialStream(su.token, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := e.db.DeleteSession(e.ctx, su.token); err != nil {
		t.Fatal(err)
	}
	_, _, err = conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
		t.Fatalf("after logout: %v, want close 1008", err)
	}
}

// TestGracefulShutdown: ending Serve's context closes websockets with
// "going away" and Serve returns nil.
func TestGracefulShutdown(t *testing.T) {
	e := newEnv(t)
	su := e.streamSession(e.user("agent", anliegen.RoleAgent))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, ln) }()
	h := http.Header{}
	h.Set("Cookie", sessionCookie+"="+su.token)
	var conn *websocket.Conn
	for range 100 { // the listener is open; Serve may not have started yet
		if conn, _, err = websocket.DefaultDialer.Dial("ws://"+ln.Addr().String()+"/api/v1/stream", h); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cancel()
	_, _, err = conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("on shutdown: %v, want close 1001", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}
