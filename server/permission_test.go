package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

// TestPermissionMatrix tries every read path on a ticket of department B
// (bauamt) as each kind of user. Admins, agents and B's own staff see it;
// a department user of A (abfall) gets nothing: not in lists, 404 on the
// ticket and everything under it, no search hit or snippet, no similar
// answer, no contact, no websocket event.
func TestPermissionMatrix(t *testing.T) {
	e := newEnv(t)
	e.department("abfall")
	e.department("bauamt")
	ch := e.channel(anliegen.PlatformMastodon)
	admin := e.user("admin", anliegen.RoleAdmin)
	users := []struct {
		user    anliegen.User
		seesB   bool
		seesA   bool
		streamB bool
	}{
		{admin, true, true, true},
		{e.user("agent", anliegen.RoleAgent), true, true, true},
		{e.user("depa", anliegen.RoleDepartment, "abfall"), false, true, false},
		{e.user("depb", anliegen.RoleDepartment, "bauamt"), true, false, true},
	}

	// Ticket B: a resolved building question with an answer sent, so that
	// search and Similar find it.
	itB := e.item("Wie beantrage ich eine Baugenehmigung für meinen Quastenflosser-Teich?")
	tB := e.ticket(ch, "bauamt", itB)
	reply, err := e.db.CreateReply(e.ctx, tB.ID, admin.ID, "Die Baugenehmigung für den Quastenflosser-Teich beantragen Sie online.")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.ClaimOutbound(e.ctx, time.Now(), time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	if err := e.db.MarkSent(e.ctx, reply.ID, "ext-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resolved := anliegen.StatusResolved
	if _, err := e.db.UpdateTicket(e.ctx, tB.ID, admin.ID, anliegen.TicketUpdate{Status: &resolved}); err != nil {
		t.Fatal(err)
	}
	// Ticket A asks nearly the same in abfall; the same citizen also wrote
	// a ticket in abfall, so the contact is visible to A but must not show B.
	tA := e.ticket(ch, "abfall", e.item("Brauche ich eine Baugenehmigung für einen Quastenflosser-Teich?"))
	itA2 := e.item("Und wann kommt die Mülltonne?")
	itA2.Author = itB.Author
	// A public comment: a direct message of the same citizen would reopen
	// the resolved ticket B instead of starting a new one.
	itA2.Kind, itA2.ThreadID = anliegen.KindComment, "post-1"
	tA2 := e.ticket(ch, "abfall", itA2)
	if tA2.ID == tB.ID || tA2.ContactID != tB.ContactID {
		t.Fatalf("fixture: tickets of one author have contacts %d and %d", tA2.ContactID, tB.ContactID)
	}
	e.reindex()

	b := fmt.Sprintf("/api/v1/tickets/%d", tB.ID)
	for _, v := range users {
		t.Run(v.user.Login, func(t *testing.T) {
			c := e.session(v.user)
			status := map[bool]int{true: 200, false: 404}[v.seesB]

			// Lists, with and without asking for B's department.
			for _, q := range []string{"", "?department=bauamt", "?status=resolved", "?platform=mastodon&limit=100"} {
				var page anliegen.TicketPage
				c.mustJSON("GET", "/api/v1/tickets"+q, nil, 200, &page)
				if got := slices.ContainsFunc(page.Items, func(t anliegen.Ticket) bool { return t.ID == tB.ID }); got != v.seesB {
					t.Errorf("list %q contains B: %v, want %v", q, got, v.seesB)
				}
			}
			// The ticket and everything under it.
			for _, r := range []struct {
				method, path string
				body         any
			}{
				{"GET", b, nil},
				{"GET", b + "/similar", nil},
				{"POST", b + "/read", nil},
				{"PATCH", b, map[string]any{"tags": []string{"x"}}},
				{"POST", b + "/notes", map[string]string{"text": "Notiz"}},
				{"POST", b + "/replies", map[string]any{"text": "Antwort", "confirm": true}},
				{"POST", fmt.Sprintf("%s/replies/%d/retry", b, reply.ID), nil},
				{"POST", b + "/merge", map[string]int64{"into": tA.ID}},
			} {
				if v.seesB && r.method != "GET" {
					continue // changes by permitted users are tested elsewhere; B must stay as it is
				}
				resp, raw := c.do(r.method, r.path, r.body)
				if !v.seesB {
					wantError(t, resp, raw, 404, anliegen.ENotFound, "")
					continue
				}
				if resp.StatusCode != status {
					t.Errorf("%s %s: %d, want %d", r.method, r.path, resp.StatusCode, status)
				}
			}
			// Search: no hit, no snippet, no count of B.
			var res anliegen.SearchResult
			c.mustJSON("GET", "/api/v1/search?q=quastenflosser", nil, 200, &res)
			hitB := slices.ContainsFunc(res.Hits, func(h anliegen.SearchHit) bool { return h.TicketID == tB.ID })
			if hitB != v.seesB {
				t.Errorf("search hit on B: %v, want %v", hitB, v.seesB)
			}
			raw, _ := json.Marshal(res)
			if !v.seesB && (strings.Contains(string(raw), tB.Number) || strings.Contains(string(raw), "bauamt")) {
				t.Errorf("search result reveals B: %s", raw)
			}
			// Similar from A's ticket: B's answer only for those who see B.
			if v.seesA {
				var sim similarResponse
				c.mustJSON("GET", fmt.Sprintf("/api/v1/tickets/%d/similar", tA.ID), nil, 200, &sim)
				gotB := slices.ContainsFunc(sim.Items, func(s anliegen.SimilarTicket) bool { return s.TicketID == tB.ID })
				if gotB != v.seesB {
					t.Errorf("similar to A contains B: %v, want %v", gotB, v.seesB)
				}
			}
			// The contact: A's staff see the citizen with A's tickets only.
			resp, craw := c.do("GET", fmt.Sprintf("/api/v1/contacts/%d", tB.ContactID), nil)
			if resp.StatusCode != 200 {
				t.Fatalf("contact: %d %s", resp.StatusCode, craw)
			}
			var cr contactResponse
			if err := json.Unmarshal(craw, &cr); err != nil {
				t.Fatal(err)
			}
			if got := slices.ContainsFunc(cr.Tickets, func(t anliegen.Ticket) bool { return t.ID == tB.ID }); got != v.seesB {
				t.Errorf("contact lists B: %v, want %v", got, v.seesB)
			}
			// The stream from the beginning of the log.
			frames := e.streamAll(t, v.user)
			gotB := slices.ContainsFunc(frames, func(f frame) bool { return f.TicketID == tB.ID })
			if gotB != v.streamB {
				t.Errorf("stream carries events of B: %v, want %v", gotB, v.streamB)
			}
		})
	}
	// Searching for something only in B finds nothing for A's staff; a
	// contact only known through B is not found for them.
	depa := e.session(users[2].user)
	var res anliegen.SearchResult
	depa.mustJSON("GET", "/api/v1/search?q=online", nil, 200, &res)
	if res.Total != 0 || len(res.Hits) != 0 {
		t.Errorf("search for B's answer as abfall: %+v", res)
	}
	onlyB := e.ticket(ch, "bauamt", e.item("Nur im Bauamt"))
	resp, raw := depa.do("GET", fmt.Sprintf("/api/v1/contacts/%d", onlyB.ContactID), nil)
	wantError(t, resp, raw, 404, anliegen.ENotFound, "")
}

// streamAll reads the stream from the log's start until the last event u
// may see, and returns the frames.
func (e *env) streamAll(t *testing.T, u anliegen.User) []frame {
	t.Helper()
	all, err := e.db.EventsAfter(e.ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var lastVisible int64
	for _, ev := range all {
		if sees, _ := mayReceive(u, ev); sees {
			lastVisible = ev.ID
		}
	}
	conn, err := e.dialStream(e.streamSession(u).token, "?since=0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var out []frame
	for lastVisible > 0 {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		var f frame
		if err := json.Unmarshal(msg, &f); err != nil {
			t.Fatal(err)
		}
		if f.ID == 0 {
			continue
		}
		out = append(out, f)
		if f.ID >= lastVisible {
			break
		}
	}
	return out
}

// TestStreamOrigin refuses a websocket from another site.
func TestStreamOrigin(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.BaseURL = "https://anliegen.example" })
	su := e.streamSession(e.user("agent", anliegen.RoleAgent))
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{e.ts.URL, true},
		{"https://anliegen.example", true},
		{"https://evil.example", false},
		{"null", false},
	} {
		h := http.Header{}
		h.Set("Cookie", sessionCookie+"="+su.token)
		if tc.origin != "" {
			h.Set("Origin", tc.origin)
		}
		conn, resp, err := wsDialer().DialContext(e.ctx, "ws"+strings.TrimPrefix(e.ts.URL, "http")+"/api/v1/stream", h)
		if conn != nil {
			conn.Close()
		}
		if (err == nil) != tc.ok {
			t.Errorf("origin %q: err %v, want ok=%v", tc.origin, err, tc.ok)
		}
		if !tc.ok && resp != nil {
			raw := readAll(t, resp)
			resp.Body.Close()
			wantError(t, resp, raw, 403, anliegen.EForbidden, "")
		}
	}
}
