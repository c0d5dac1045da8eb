package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/anliegen/anliegen"
)

// TestErrorBodies sends requests that fail in every way a request can and
// checks each answer is the JSON error body with the right code and status.
func TestErrorBodies(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.MaxBodyBytes = 1024 })
	e.department("abfall")
	admin := e.session(e.user("admin", anliegen.RoleAdmin))
	agent := e.session(e.user("agent", anliegen.RoleAgent))
	anon := e.anon()
	noCSRF := e.session(agent.user)
	noCSRF.csrf = ""

	cases := []struct {
		name         string
		c            *client
		method, path string
		body         any
		status       int
		code, field  string
	}{
		{"unknown route", agent, "GET", "/api/v1/nothing", nil, 404, anliegen.ENotFound, ""},
		{"unknown route post", agent, "POST", "/api/v1/nothing", "{}", 404, anliegen.ENotFound, ""},
		{"wrong method", agent, "PUT", "/healthz", "{}", 405, anliegen.EBadRequest, ""},
		{"wrong method in API", agent, "PUT", "/api/v1/tickets", "{}", 404, anliegen.ENotFound, ""},
		{"unknown hook platform", anon, "POST", "/hooks/myspace/1", "x", 404, anliegen.ENotFound, ""},
		{"malformed JSON", anon, "POST", "/api/v1/session", `{"login":`, 400, anliegen.EBadRequest, ""},
		{"syntax error", anon, "POST", "/api/v1/session", `{"login" "x"}`, 400, anliegen.EBadRequest, ""},
		{"empty body", anon, "POST", "/api/v1/session", "", 400, anliegen.EBadRequest, ""},
		{"trailing data", anon, "POST", "/api/v1/session", `{"login":"a","password":"b"} {}`, 400, anliegen.EBadRequest, ""},
		{"unknown field", anon, "POST", "/api/v1/session", `{"login":"a","password":"b","admin":true}`, 400, anliegen.EBadRequest, "admin"},
		{"wrong type", anon, "POST", "/api/v1/session", `{"login":5,"password":"b"}`, 422, anliegen.EInvalid, "login"},
		{"not an object", anon, "POST", "/api/v1/session", `[1,2]`, 400, anliegen.EBadRequest, ""},
		{"too large", anon, "POST", "/api/v1/session", `{"login":"` + strings.Repeat("a", 2000) + `"}`, 400, anliegen.EBadRequest, ""},
		{"missing login", anon, "POST", "/api/v1/session", `{"password":"b"}`, 422, anliegen.EInvalid, "login"},
		{"wrong password", anon, "POST", "/api/v1/session", `{"login":"agent","password":"falsches-passwort"}`, 401, anliegen.EUnauthorized, ""},
		{"no session", anon, "GET", "/api/v1/tickets", nil, 401, anliegen.EUnauthorized, ""},
		{"no session stream", anon, "GET", "/api/v1/stream", nil, 401, anliegen.EUnauthorized, ""},
		{"no CSRF token", noCSRF, "POST", "/api/v1/departments", `{"id":"x","name":"X"}`, 403, anliegen.EForbidden, ""},
		{"not admin", agent, "GET", "/api/v1/users", nil, 403, anliegen.EForbidden, ""},
		{"not admin rules", agent, "POST", "/api/v1/rules/test", `{"text":"x"}`, 403, anliegen.EForbidden, ""},
		{"limit over 100", agent, "GET", "/api/v1/tickets?limit=101", nil, 422, anliegen.EInvalid, "limit"},
		{"limit not a number", agent, "GET", "/api/v1/tickets?limit=many", nil, 422, anliegen.EInvalid, "limit"},
		{"bad status filter", agent, "GET", "/api/v1/tickets?status=lost", nil, 422, anliegen.EInvalid, "status"},
		{"bad time filter", agent, "GET", "/api/v1/tickets?created_from=yesterday", nil, 422, anliegen.EInvalid, "created_from"},
		{"bad sort", agent, "GET", "/api/v1/tickets?sort=random", nil, 422, anliegen.EInvalid, "sort"},
		{"unknown assignee", agent, "GET", "/api/v1/tickets?assignee=ghost", nil, 422, anliegen.EInvalid, "assignee"},
		{"malformed id", agent, "GET", "/api/v1/tickets/abc", nil, 404, anliegen.ENotFound, ""},
		{"bad since", agent, "GET", "/api/v1/stream?since=-1", nil, 422, anliegen.EInvalid, "since"},
		{"stream without upgrade", agent, "GET", "/api/v1/stream", nil, 400, anliegen.EBadRequest, ""},
		{"empty search", agent, "GET", "/api/v1/search?q=", nil, 422, anliegen.EInvalid, "q"},
		{"duplicate department", admin, "POST", "/api/v1/departments", `{"id":"abfall","name":"Abfall"}`, 409, anliegen.EConflict, ""},
		{"invalid department", admin, "POST", "/api/v1/departments", `{"id":"Ab Fall","name":"Abfall"}`, 422, anliegen.EInvalid, "id"},
		{"missing user", admin, "PATCH", "/api/v1/users/999", `{"name":"X"}`, 404, anliegen.ENotFound, ""},
		{"short password", admin, "POST", "/api/v1/users", `{"login":"neu","name":"Neu","role":"agent","password":"kurz"}`, 422, anliegen.EInvalid, "password"},
		{"bad role", admin, "POST", "/api/v1/users", `{"login":"neu","name":"Neu","role":"boss","password":"` + testPassword + `"}`, 422, anliegen.EInvalid, "role"},
		{"self demotion", admin, "PATCH", "/api/v1/users/1", `{"role":"agent"}`, 422, anliegen.EInvalid, "role"},
		{"invalid rule", admin, "POST", "/api/v1/rules", `{"name":"leer"}`, 422, anliegen.EInvalid, "keywords"},
		{"bad rule pattern", admin, "POST", "/api/v1/rules", `{"name":"x","pattern":"(","department":"abfall"}`, 422, anliegen.EInvalid, "pattern"},
		{"bad rule test platform", admin, "POST", "/api/v1/rules/test", `{"text":"x","platform":"myspace"}`, 422, anliegen.EInvalid, "platform"},
		{"agent canned create", agent, "POST", "/api/v1/canned", `{"title":"t","text":"x"}`, 403, anliegen.EForbidden, ""},
		{"missing canned", admin, "DELETE", "/api/v1/canned/999", nil, 404, anliegen.ENotFound, ""},
		{"stats range", agent, "GET", "/api/v1/stats?from=2026-02-01&to=2026-01-01", nil, 422, anliegen.EInvalid, "to"},
		{"metrics token", anon, "GET", "/metrics", nil, 200, "", ""},
		{"wrong content type", anon, "POST", "/api/v1/session", "login=a", 400, anliegen.EBadRequest, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "wrong content type" {
				req, _ := http.NewRequest("POST", e.ts.URL+tc.path, strings.NewReader(tc.body.(string)))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				raw := readAll(t, resp)
				wantError(t, resp, raw, tc.status, tc.code, tc.field)
				return
			}
			resp, raw := tc.c.do(tc.method, tc.path, tc.body)
			if tc.code == "" {
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
				}
				return
			}
			wantError(t, resp, raw, tc.status, tc.code, tc.field)
		})
	}
}

// TestInternalErrorHidesCause: a failing store is a 500 whose body says
// nothing about the cause.
func TestInternalErrorHidesCause(t *testing.T) {
	e := newEnv(t)
	agent := e.session(e.user("agent", anliegen.RoleAgent))
	e.db.Close()
	resp, raw := agent.do("GET", "/api/v1/departments", nil)
	wantError(t, resp, raw, 500, anliegen.EInternal, "")
	if s := string(raw); strings.Contains(s, "sql") || strings.Contains(s, "closed") {
		t.Fatalf("500 body leaks the cause: %s", s)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/healthz", "/api/v1/nothing", "/api/v1/session", "/"} {
		resp, _ := e.anon().do("GET", path, nil)
		h := resp.Header
		if h.Get("Content-Security-Policy") != contentSecurityPolicy || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: security headers missing: %v", path, h)
		}
		if strings.Contains(h.Get("Content-Security-Policy"), "unsafe-inline") {
			t.Errorf("%s: CSP allows inline code", path)
		}
	}
}
