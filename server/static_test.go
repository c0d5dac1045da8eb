package server

import (
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/anliegen/anliegen"
)

func TestStaticUI(t *testing.T) {
	ui := fstest.MapFS{
		"index.html":          {Data: []byte("<!doctype html><title>Anliegen</title>")},
		"assets/app-1a2b.js":  {Data: []byte("console.log(1)")},
		"assets/app-1a2b.css": {Data: []byte("body{}")},
	}
	e := newEnv(t, func(c *Config, _ *Deps) { c.UI = ui })
	c := e.anon()
	cases := []struct {
		path, body, cache string
		status            int
	}{
		{"/", "Anliegen", "no-cache", 200},
		{"/index.html", "Anliegen", "no-cache", 200},
		{"/tickets/42", "Anliegen", "no-cache", 200}, // SPA fallback
		{"/assets/app-1a2b.js", "console.log", "immutable", 200},
		{"/assets/app-0000.js", "", "", 404}, // an old asset is not index.html
		{"/api/v1/tickets/x/y/z", "", "", 401},
		{"/../../etc/passwd", "Anliegen", "no-cache", 200},
	}
	for _, tc := range cases {
		resp, raw := c.do("GET", tc.path, nil)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.path, resp.StatusCode, tc.status)
			continue
		}
		if tc.status != 200 {
			continue
		}
		if !strings.Contains(string(raw), tc.body) || !strings.Contains(resp.Header.Get("Cache-Control"), tc.cache) {
			t.Errorf("%s: body %q cache %q", tc.path, raw, resp.Header.Get("Cache-Control"))
		}
	}
	// Unknown API paths never get the UI: logged out they are 401 (the
	// API's not-found passes the session check), logged in 404.
	resp, raw := e.anon().do("GET", "/api/v1/nothing", nil)
	wantError(t, resp, raw, 401, anliegen.EUnauthorized, "")
}

func TestOpsEndpoints(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.MetricsToken = "geheim" })
	c := e.anon()
	c.mustJSON("GET", "/healthz", nil, 200, nil)
	c.mustJSON("GET", "/readyz", nil, 200, nil)
	resp, raw := c.do("GET", "/metrics", nil)
	wantError(t, resp, raw, 401, anliegen.EUnauthorized, "")
	req, _ := http.NewRequest("GET", e.ts.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer geheim")
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Body.Close()
	body := string(readAll(t, r2))
	for _, m := range []string{"anliegen_http_requests_total", "anliegen_http_request_duration_seconds", "anliegen_websocket_clients", "anliegen_events_total", "go_goroutines"} {
		if !strings.Contains(body, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	if !strings.Contains(body, `route="/healthz"`) {
		t.Error("requests are not counted by route")
	}
	e.db.Close()
	resp, _ = c.do("GET", "/readyz", nil)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz on a closed store: %d", resp.StatusCode)
	}
}
