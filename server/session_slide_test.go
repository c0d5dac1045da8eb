package server

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/storage"
)

// countingExtender counts the store writes of sliding expiry.
type countingExtender struct {
	*storage.DB
	n atomic.Int64
}

func (c *countingExtender) ExtendSession(ctx context.Context, token string, exp time.Time) error {
	c.n.Add(1)
	return c.DB.ExtendSession(ctx, token, exp)
}

// TestSessionSlides moves the server's clock: use keeps a session alive
// up to the cap, idleness ends it, and the store is written at most once
// a minute however many requests come.
func TestSessionSlides(t *testing.T) {
	ext := &countingExtender{}
	e := newEnv(t, func(c *Config, d *Deps) {
		c.SessionTTL, c.SessionMaxAge = 12*time.Hour, 7*24*time.Hour
		ext.DB = d.Users.(*storage.DB)
		d.Users = ext
	})
	u := e.user("max", anliegen.RoleAgent)
	stored := func(c *client) time.Time {
		t.Helper()
		ck := cookieOf(t, c)
		s, _, err := e.db.SessionUser(e.ctx, ck)
		if err != nil {
			t.Fatalf("stored session: %v", err)
		}
		return s.ExpiresAt
	}
	get := func(c *client) *http.Response {
		t.Helper()
		return c.mustJSON("GET", "/api/v1/session", nil, 200, nil)
	}

	// The store's clock is real time, the server's is the test's: both
	// start together, and the store never sees a session as expired
	// before the server does.
	c := e.login(u)
	start := stored(c)
	// Idle for the timeout: logged out although far from the cap. (A
	// second session, so that its requests do not extend the first.)
	idle := e.session(u)
	get(idle)
	// Requests within the first minute write nothing.
	for range 20 {
		e.advance(2 * time.Second)
		if resp := get(c); len(resp.Cookies()) != 0 {
			t.Fatal("cookie re-sent without an extension")
		}
	}
	if n := ext.n.Load(); n != 0 || !stored(c).Equal(start) {
		t.Fatalf("%d writes within the first minute, expiry %v -> %v", n, start, stored(c))
	}
	// After a minute one request extends, with a fresh cookie; the next
	// requests of that minute do not.
	e.advance(time.Minute)
	resp := get(c)
	want := e.now().Add(12 * time.Hour)
	if got := stored(c); got.Sub(want).Abs() > time.Millisecond {
		t.Fatalf("extended to %v, want %v", got, want)
	}
	if cks := resp.Cookies(); len(cks) != 1 || cks[0].Name != sessionCookie || cks[0].Expires.Sub(want).Abs() > time.Second {
		t.Fatalf("cookie after extension: %+v", cks)
	}
	for range 10 {
		e.advance(time.Second)
		get(c)
	}
	if n := ext.n.Load(); n != 1 {
		t.Fatalf("%d writes, want 1", n)
	}
	var sr sessionResponse
	c.mustJSON("GET", "/api/v1/session", nil, 200, &sr)
	if sr.ExpiresAt.Sub(want).Abs() > time.Millisecond {
		t.Fatalf("GET /session expires_at %v, want %v", sr.ExpiresAt, want)
	}

	// Used every 11 hours, the session outlives its first 12 hours,
	// while the unused one ends.
	e.advance(11 * time.Hour)
	get(c)
	e.advance(time.Hour + time.Second)
	resp2, raw := idle.do("GET", "/api/v1/tickets", nil)
	wantError(t, resp2, raw, 401, anliegen.EUnauthorized, "")
	get(c)
	for range 3 {
		e.advance(11 * time.Hour)
		get(c)
	}
	// ...until the cap of 7 days after login, however busy.
	limit := start.Add(-12 * time.Hour).Add(7 * 24 * time.Hour) // login + 7 days
	for e.now().Add(11 * time.Hour).Before(limit) {
		e.advance(11 * time.Hour)
		get(c)
	}
	if got := stored(c); got.Sub(limit).Abs() > time.Millisecond {
		t.Fatalf("expiry %v, want the cap %v", got, limit)
	}
	e.advance(11 * time.Hour)
	resp2, raw = c.do("GET", "/api/v1/session", nil)
	wantError(t, resp2, raw, 401, anliegen.EUnauthorized, "")

}

// cookieOf returns the session token in c's cookie jar.
func cookieOf(t *testing.T, c *client) string {
	t.Helper()
	for _, ck := range c.http.Jar.Cookies(mustURL(t, c.e.ts.URL)) {
		if ck.Name == sessionCookie {
			return ck.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}
