package server

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

func TestLoginSetsSessionCookie(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.BaseURL = "https://anliegen.example" })
	u := e.user("erika", anliegen.RoleAgent)
	c := e.anon()
	var out sessionResponse
	resp := c.mustJSON("POST", "/api/v1/session", map[string]string{"login": "erika", "password": testPassword}, http.StatusOK, &out)
	if out.User.ID != u.ID || out.CSRFToken == "" {
		t.Fatalf("login response %+v", out)
	}
	var ck *http.Cookie
	for _, k := range resp.Cookies() {
		if k.Name == sessionCookie {
			ck = k
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || !ck.Secure || ck.Value == "" {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Secure for an https base URL", ck)
	}
	// The jar will not send a Secure cookie over plain HTTP: use the
	// token directly for the follow-up request.
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/session", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: ck.Value})
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusOK {
		t.Fatalf("GET /session with the cookie: %d", r2.StatusCode)
	}
}

func TestSessionLifecycle(t *testing.T) {
	e := newEnv(t)
	u := e.user("max", anliegen.RoleAgent)

	t.Run("get", func(t *testing.T) {
		c := e.login(u)
		var out sessionResponse
		c.mustJSON("GET", "/api/v1/session", nil, http.StatusOK, &out)
		if out.User.Login != "max" || out.CSRFToken != c.csrf {
			t.Fatalf("GET /session = %+v, want the login's user and CSRF token", out)
		}
	})
	t.Run("logout revokes", func(t *testing.T) {
		c := e.session(u)
		stolen := c.http.Jar.Cookies(mustURL(t, e.ts.URL))
		c.mustJSON("DELETE", "/api/v1/session", nil, http.StatusNoContent, nil)
		resp, raw := c.do("GET", "/api/v1/session", nil)
		wantError(t, resp, raw, 401, anliegen.EUnauthorized, "")
		// The old cookie value, replayed, no longer works either.
		c.http.Jar.SetCookies(mustURL(t, e.ts.URL), stolen)
		resp, raw = c.do("GET", "/api/v1/tickets", nil)
		wantError(t, resp, raw, 401, anliegen.EUnauthorized, "")
	})
	t.Run("expiry", func(t *testing.T) {
		c := e.session(u)
		c.mustJSON("GET", "/api/v1/session", nil, http.StatusOK, nil)
		e.advance(12*time.Hour + time.Minute)
		resp, raw := c.do("GET", "/api/v1/session", nil)
		wantError(t, resp, raw, 401, anliegen.EUnauthorized, "")
	})
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	c := e.session(e.user("ina", anliegen.RoleAgent))
	body := map[string]string{"lang": "en"}
	token := c.csrf
	cases := []struct {
		name, token string
		status      int
	}{
		{"missing", "", 403},
		{"wrong", token + "x", 403},
		{"other session's", "", 403},
		{"right", token, 200},
	}
	other := e.session(e.user("ole", anliegen.RoleAgent))
	cases[2].token = other.csrf
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.csrf = tc.token
			resp, raw := c.do("PATCH", "/api/v1/me", body)
			if tc.status == 200 {
				if resp.StatusCode != 200 {
					t.Fatalf("with the right token: %d %s", resp.StatusCode, raw)
				}
				return
			}
			wantError(t, resp, raw, tc.status, anliegen.EForbidden, "")
		})
	}
	// Every state-changing method is checked, logout included.
	c.csrf = ""
	for _, r := range []struct{ method, path string }{
		{"DELETE", "/api/v1/session"}, {"POST", "/api/v1/tickets/1/notes"}, {"PATCH", "/api/v1/tickets/1"},
		{"POST", "/api/v1/departments"}, {"DELETE", "/api/v1/canned/1"},
	} {
		resp, raw := c.do(r.method, r.path, map[string]string{})
		wantError(t, resp, raw, 403, anliegen.EForbidden, "")
	}
}

func TestPasswordChangeRevokesOtherSessions(t *testing.T) {
	e := newEnv(t)
	u := e.user("paula", anliegen.RoleAgent)
	here, there := e.session(u), e.session(u)

	resp, raw := here.do("PATCH", "/api/v1/me", map[string]string{"password": "ein-neues-passwort", "current_password": "falsch-falsch"})
	wantError(t, resp, raw, 422, anliegen.EInvalid, "current_password")

	var out sessionResponse
	here.mustJSON("PATCH", "/api/v1/me", map[string]string{"password": "ein-neues-passwort", "current_password": testPassword}, 200, &out)
	here.csrf = out.CSRFToken
	here.mustJSON("GET", "/api/v1/session", nil, 200, nil)
	resp, raw = there.do("GET", "/api/v1/session", nil)
	wantError(t, resp, raw, 401, anliegen.EUnauthorized, "")

	fresh := e.anon()
	fresh.mustJSON("POST", "/api/v1/session", map[string]string{"login": "paula", "password": "ein-neues-passwort"}, 200, nil)
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t)
	e.user("rita", anliegen.RoleAgent)
	c := e.anon()
	wrong := map[string]string{"login": "rita", "password": "falsches-passwort"}
	for i := range 5 {
		resp, raw := c.do("POST", "/api/v1/session", wrong)
		if resp.StatusCode != 401 {
			t.Fatalf("failure %d: status %d %s", i+1, resp.StatusCode, raw)
		}
	}
	// Locked for the account: even the right password waits.
	resp, raw := c.do("POST", "/api/v1/session", map[string]string{"login": "RITA", "password": testPassword})
	wantError(t, resp, raw, 429, anliegen.ERateLimited, "")
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s <= 0 || s > 15*60+1 {
		t.Fatalf("Retry-After %q, want seconds within the window", resp.Header.Get("Retry-After"))
	}
	e.advance(15*time.Minute + time.Second)
	c.mustJSON("POST", "/api/v1/session", map[string]string{"login": "rita", "password": testPassword}, 200, nil)

	// Per IP: many accounts from one address.
	e = newEnv(t, func(c *Config, _ *Deps) { c.LoginFailuresPerIP = 3 })
	e.user("rita", anliegen.RoleAgent)
	c = e.anon()
	for i := range 3 {
		resp, raw := c.do("POST", "/api/v1/session", map[string]string{"login": "nobody" + strconv.Itoa(i), "password": "falsches-passwort"})
		if resp.StatusCode != 401 {
			t.Fatalf("ip failure %d: status %d %s", i+1, resp.StatusCode, raw)
		}
	}
	resp, raw = c.do("POST", "/api/v1/session", map[string]string{"login": "rita", "password": testPassword})
	wantError(t, resp, raw, 429, anliegen.ERateLimited, "")
}

func TestSetup(t *testing.T) {
	e := newEnv(t)
	c := e.anon()
	var st setupState
	c.mustJSON("GET", "/api/v1/setup", nil, 200, &st)
	if !st.NeedsAdmin {
		t.Fatal("empty store: needs_admin false")
	}
	resp, raw := c.do("POST", "/api/v1/setup", map[string]string{"login": "admin", "name": "Admin", "password": "kurz"})
	wantError(t, resp, raw, 422, anliegen.EInvalid, "password")

	var out sessionResponse
	c.mustJSON("POST", "/api/v1/setup", map[string]string{"login": "admin", "name": "Admin", "password": testPassword}, 201, &out)
	if out.User.Role != anliegen.RoleAdmin || out.CSRFToken == "" {
		t.Fatalf("setup response %+v", out)
	}
	c.csrf = out.CSRFToken
	c.mustJSON("GET", "/api/v1/users", nil, 200, nil) // logged in as admin

	resp, raw = e.anon().do("POST", "/api/v1/setup", map[string]string{"login": "evil", "name": "Evil", "password": testPassword})
	wantError(t, resp, raw, 409, anliegen.EConflict, "")
	c.mustJSON("GET", "/api/v1/setup", nil, 200, &st)
	if st.NeedsAdmin {
		t.Fatal("after setup: needs_admin true")
	}
}
