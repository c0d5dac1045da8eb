package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/anliegen/anliegen"
)

// frame is what a client decodes from the stream.
type frame struct {
	ID             int64           `json:"id"`
	Type           string          `json:"type"`
	TicketID       int64           `json:"ticket_id"`
	MessageID      int64           `json:"message_id"`
	Department     string          `json:"department"`
	PrevDepartment string          `json:"prev_department"`
	Data           json.RawMessage `json:"data"`
}

// dialStream opens the stream for a session token.
func (e *env) dialStream(token, query string, dialer *websocket.Dialer) (*websocket.Conn, error) {
	if dialer == nil {
		dialer = websocket.DefaultDialer
	}
	h := http.Header{}
	h.Set("Cookie", sessionCookie+"="+token)
	conn, resp, err := dialer.DialContext(e.ctx, "ws"+strings.TrimPrefix(e.ts.URL, "http")+"/api/v1/stream"+query, h)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	return conn, err
}

// streamUser is a user with a raw session token for dialing.
type streamUser struct {
	user  anliegen.User
	token string
}

func (e *env) streamSession(u anliegen.User) streamUser {
	e.t.Helper()
	s, err := e.db.CreateSession(e.ctx, u.ID, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	return streamUser{user: u, token: s.Token}
}

// mayReceive is the test's own statement of the stream's permission rule,
// written apart from the hub's: full event, stripped event, or nothing.
func mayReceive(u anliegen.User, ev anliegen.Event) (sees, stripped bool) {
	if u.Role == anliegen.RoleAdmin || u.Role == anliegen.RoleAgent {
		return true, false
	}
	if ev.Type == anliegen.EventChannelHealth {
		return false, false
	}
	if ev.Department != "" && slices.Contains(u.Departments, ev.Department) {
		return true, false
	}
	if ev.PrevDepartment != "" && slices.Contains(u.Departments, ev.PrevDepartment) {
		return true, true
	}
	return false, false
}

// streamFixture sets up departments, routing rules and users of each kind.
type streamFixture struct {
	users []anliegen.User // admin, agent, abfall, bauamt
	ch    int64
}

func newStreamFixture(e *env) streamFixture {
	e.department("abfall")
	e.department("bauamt")
	for _, r := range []anliegen.Rule{
		{Name: "Müll", Enabled: true, Keywords: []string{"müll"}, Department: "abfall"},
		{Name: "Bau", Enabled: true, Keywords: []string{"baustelle"}, Department: "bauamt"},
	} {
		if err := e.db.CreateRule(e.ctx, &r); err != nil {
			e.t.Fatal(err)
		}
	}
	return streamFixture{
		users: []anliegen.User{
			e.user("admin", anliegen.RoleAdmin),
			e.user("agent", anliegen.RoleAgent),
			e.user("abfall", anliegen.RoleDepartment, "abfall"),
			e.user("bauamt", anliegen.RoleDepartment, "bauamt"),
		},
		ch: e.channel(anliegen.PlatformMastodon),
	}
}

// produce writes at least n events: new tickets routed by rule to either
// department or none, and tickets moved from abfall to bauamt.
func (fx streamFixture) produce(e *env, n int64, notify func()) {
	start, _ := e.db.LastEventID(e.ctx)
	last := start
	texts := []string{"Müll liegt an der Ecke", "Baustelle ist zu laut", "Allgemeine Frage zur Stadt"}
	var abfall []int64 // tickets created in abfall, not moved yet
	for i := 0; last-start < n; i++ {
		items := make([]anliegen.Item, 5)
		for j := range items {
			items[j] = e.item(fmt.Sprintf("%s %d-%d", texts[(i+j)%3], i, j))
		}
		if _, err := e.db.Ingest(e.ctx, fx.ch, items, ""); err != nil {
			e.t.Errorf("ingest: %v", err)
			return
		}
		if i%4 == 3 && len(abfall) > 0 {
			bau := "bauamt"
			if _, err := e.db.UpdateTicket(e.ctx, abfall[0], 0, anliegen.TicketUpdate{Department: &bau}); err != nil {
				e.t.Errorf("route: %v", err)
			}
			abfall = abfall[1:]
		}
		if notify != nil {
			notify()
		}
		evs, err := e.db.EventsAfter(e.ctx, last, 1000)
		if err != nil {
			e.t.Errorf("events: %v", err)
			return
		}
		for _, ev := range evs {
			if ev.Type == anliegen.EventTicketCreated && ev.Department == "abfall" {
				abfall = append(abfall, ev.TicketID)
			}
			last = ev.ID
		}
	}
}

// streamClient reads the stream, and once (when resumeAfter > 0) drops the
// connection after that many frames and resumes with ?since=.
type streamClient struct {
	su          streamUser
	resumeAfter int
	mu          sync.Mutex
	conn        *websocket.Conn
	got         []frame
	last        atomic.Int64
	resumed     bool
	err         error
}

func (c *streamClient) run(e *env, since int64, done chan<- *streamClient) {
	defer func() { done <- c }()
	query := fmt.Sprintf("?since=%d", since)
	for {
		conn, err := e.dialStream(c.su.token, query, nil)
		if err != nil {
			c.err = err
			return
		}
		c.mu.Lock()
		c.conn = conn
		c.mu.Unlock()
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return // closed by the test when done, or a failure the comparison shows
			}
			var f frame
			if err := json.Unmarshal(msg, &f); err != nil {
				c.err = err
				return
			}
			if f.ID == 0 {
				continue // presence
			}
			c.got = append(c.got, f)
			c.last.Store(f.ID)
			if c.resumeAfter > 0 && !c.resumed && len(c.got) == c.resumeAfter {
				c.resumed = true
				conn.Close()
				query = fmt.Sprintf("?since=%d", f.ID)
				break
			}
		}
	}
}

func (c *streamClient) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		c.conn.Close()
	}
}

// smallBuffers gives accepted connections a small kernel send buffer, so
// that a client that stops reading blocks the server's writes soon.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}

// TestStreamFanOutResume connects 200 clients of four kinds, produces 2,000
// events while 20 of them disconnect and resume with ?since=, and checks
// that each got exactly the events its user may see, in order, once; and
// that a client that stops reading is dropped while the others get all.
func TestStreamFanOutResume(t *testing.T) {
	if testing.Short() {
		t.Skip("fan-out test")
	}
	e := newEnvListener(t, func(l net.Listener) net.Listener { return smallBuffers{l} },
		func(c *Config, _ *Deps) { c.WSWriteTimeout = 2 * time.Second })
	fx := newStreamFixture(e)
	start, err := e.db.LastEventID(e.ctx)
	if err != nil {
		t.Fatal(err)
	}

	const clients, resumers, events = 200, 20, 2000
	done := make(chan *streamClient, clients)
	cs := make([]*streamClient, clients)
	for i := range cs {
		u := fx.users[i%len(fx.users)]
		cs[i] = &streamClient{su: e.streamSession(u)}
		if i < resumers {
			cs[i].resumeAfter = 5 + i*7
		}
		go cs[i].run(e, start, done)
	}
	// The slow client: connects, never reads.
	slowDialer := &websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4096)
		}
		return c, err
	}}
	slow, err := e.dialStream(e.streamSession(fx.users[0]).token, fmt.Sprintf("?since=%d", start), slowDialer)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()

	t0 := time.Now()
	fx.produce(e, events, e.srv.Notify)
	t.Logf("produced in %v", time.Since(t0))
	all, err := e.db.EventsAfter(e.ctx, start, 100000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < events {
		t.Fatalf("produced %d events, want %d", len(all), events)
	}
	want := map[int64][]anliegen.Event{} // by user id
	for _, u := range fx.users {
		for _, ev := range all {
			if sees, _ := mayReceive(u, ev); sees {
				want[u.ID] = append(want[u.ID], ev)
			}
		}
	}

	// Wait for every client to reach its last visible event; the deadline
	// only guards against a hang, it asserts no speed.
	deadline := time.Now().Add(2 * time.Minute)
	for _, c := range cs {
		w := want[c.su.user.ID]
		for len(w) > 0 && c.last.Load() < w[len(w)-1].ID && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		c.close()
	}
	t.Logf("all caught up after %v", time.Since(t0))
	for range cs {
		<-done
	}

	for i, c := range cs {
		u := c.su.user
		w := want[u.ID]
		if c.err != nil {
			t.Errorf("client %d (%s): %v", i, u.Login, c.err)
			continue
		}
		if len(c.got) != len(w) {
			t.Errorf("client %d (%s): %d events, want %d", i, u.Login, len(c.got), len(w))
			continue
		}
		for j, f := range c.got {
			ev := w[j]
			if f.ID != ev.ID || f.Type != string(ev.Type) || f.TicketID != ev.TicketID {
				t.Errorf("client %d (%s): event %d is %d %s, want %d %s", i, u.Login, j, f.ID, f.Type, ev.ID, ev.Type)
				break
			}
			if _, stripped := mayReceive(u, ev); stripped && (len(f.Data) > 0 || f.MessageID != 0) {
				t.Errorf("client %d (%s): event %d left the department but carries content: %+v", i, u.Login, f.ID, f)
			}
		}
		if i < resumers && !c.resumed {
			t.Errorf("client %d never resumed", i)
		}
	}

	// The slow client was dropped: reading now ends in an error before it
	// has everything the admin may see.
	t.Logf("checked after %v", time.Since(t0))
	n := 0
	for {
		if _, _, err := slow.ReadMessage(); err != nil {
			break
		}
		n++
	}
	t.Logf("slow read done after %v", time.Since(t0))
	if n >= len(want[fx.users[0].ID]) {
		t.Fatalf("the client that stopped reading got all %d events: it was never dropped", n)
	}
	if st := e.srv.hub.Stats(); st.Dropped < 1 {
		t.Fatalf("hub stats %+v: no client counted as dropped", st)
	}
}

func wsDialer() *websocket.Dialer { return websocket.DefaultDialer }
