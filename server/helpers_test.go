package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/storage"
	"github.com/anliegen/anliegen/storage/search"
)

// testPassword is every test user's password.
const testPassword = "richtig-pferd-batterie"

// env is a server on a real SQLite store behind a real HTTP listener.
type env struct {
	t   testing.TB
	ctx context.Context
	db  *storage.DB
	srv *Server
	ts  *httptest.Server
	cfg Config
	// clock is the server's clock; tests move it with advance.
	mu    sync.Mutex
	clock time.Time
	seq   atomic.Int64 // unique external ids
	idx   *search.Index
}

// newEnv opens a store in t.TempDir() and starts a server on it. opts may
// change the config and deps before New.
func newEnv(t testing.TB, opts ...func(*Config, *Deps)) *env {
	return newEnvListener(t, nil, opts...)
}

// newEnvListener is newEnv with the listener wrapped by wrap.
func newEnvListener(t testing.TB, wrap func(net.Listener) net.Listener, opts ...func(*Config, *Deps)) *env {
	t.Helper()
	ctx := t.Context()
	db, err := storage.Open(ctx, t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	e := &env{t: t, ctx: ctx, db: db, clock: time.Now()}
	idx, err := search.Open(ctx, t.TempDir(), slog.New(slog.DiscardHandler), search.Options{Source: db})
	if err != nil {
		t.Fatalf("open index: %v", err)
	}
	e.idx = idx
	cfg := Config{Now: e.now, EventPoll: 20 * time.Millisecond}
	deps := Deps{
		Logger:   slog.New(slog.DiscardHandler),
		Events:   db,
		Users:    db,
		Admin:    db,
		Channels: db,
		Tickets:  db,
		Reads:    db,
		Stats:    db,
		Search:   idx,
		Ready:    ReadinessFunc(func(ctx context.Context) error { _, err := db.SchemaVersion(ctx); return err }),
	}
	for _, o := range opts {
		o(&cfg, &deps)
	}
	e.cfg = cfg
	e.srv = New(cfg, deps)
	sctx, cancel := context.WithCancel(context.Background())
	e.srv.Start(sctx)
	e.ts = httptest.NewUnstartedServer(e.srv.Handler())
	if wrap != nil {
		e.ts.Listener = wrap(e.ts.Listener)
	}
	e.ts.Start()
	t.Cleanup(func() {
		e.ts.Close()
		sd, c2 := context.WithTimeout(context.Background(), 5*time.Second)
		defer c2()
		_ = e.srv.Shutdown(sd)
		cancel()
		idx.Close()
		db.Close()
	})
	return e
}

// reindex brings the search index up to date with the store.
func (e *env) reindex() {
	e.t.Helper()
	if err := e.idx.Rebuild(e.ctx, e.db); err != nil {
		e.t.Fatalf("rebuild index: %v", err)
	}
}

func (e *env) now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.clock
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.clock = e.clock.Add(d)
	e.mu.Unlock()
}

// department creates a department.
func (e *env) department(id string) {
	e.t.Helper()
	if err := e.db.CreateDepartment(e.ctx, &anliegen.Department{ID: id, Name: strings.ToUpper(id)}); err != nil {
		e.t.Fatalf("create department %s: %v", id, err)
	}
}

// user creates a user with testPassword.
func (e *env) user(login string, role anliegen.Role, depts ...string) anliegen.User {
	e.t.Helper()
	u := anliegen.User{Login: login, Name: "Name " + login, Role: role, Departments: depts}
	if err := e.db.CreateUser(e.ctx, &u, testPassword); err != nil {
		e.t.Fatalf("create user %s: %v", login, err)
	}
	return u
}

// client is a browser: a cookie jar and the CSRF token of its session.
type client struct {
	e    *env
	http *http.Client
	csrf string
	user anliegen.User
}

func (e *env) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, http: &http.Client{Jar: jar}}
}

// login logs u in through the API.
func (e *env) login(u anliegen.User) *client {
	e.t.Helper()
	c := e.anon()
	var out sessionResponse
	c.mustJSON("POST", "/api/v1/session", map[string]string{"login": u.Login, "password": testPassword}, http.StatusOK, &out)
	c.csrf, c.user = out.CSRFToken, out.User
	return c
}

// session gives u a session straight from the store (password hashing
// is slow under -race; login itself is tested in session_test.go).
func (e *env) session(u anliegen.User) *client {
	e.t.Helper()
	sess, err := e.db.CreateSession(e.ctx, u.ID, 12*time.Hour)
	if err != nil {
		e.t.Fatalf("create session: %v", err)
	}
	c := e.anon()
	c.http.Jar.SetCookies(mustURL(e.t, e.ts.URL), []*http.Cookie{{Name: sessionCookie, Value: sess.Token, Path: "/"}})
	c.csrf, c.user = sess.CSRFToken, u
	return c
}

// do sends a request with an optional JSON body and the CSRF token.
func (c *client) do(method, path string, body any) (*http.Response, []byte) {
	c.e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.e.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(c.e.ctx, method, c.e.ts.URL+path, r)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set(csrfHeader, c.csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return resp, raw
}

// mustJSON sends a request, checks the status and decodes the body into out.
func (c *client) mustJSON(method, path string, body any, status int, out any) *http.Response {
	c.e.t.Helper()
	resp, raw := c.do(method, path, body)
	if resp.StatusCode != status {
		c.e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, resp.StatusCode, status, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.e.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp
}

// wantError checks that a response is the JSON error body with code (and
// field, when given) and the status the code maps to.
func wantError(t testing.TB, resp *http.Response, raw []byte, status int, code, field string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, raw)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q, want JSON; body %s", ct, raw)
	}
	var body struct {
		Error struct {
			Code, Message, Field string
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("error body %s: %v", raw, err)
	}
	if body.Error.Code != code || body.Error.Message == "" {
		t.Fatalf("error %+v, want code %q with a message", body.Error, code)
	}
	if field != "" && body.Error.Field != field {
		t.Fatalf("error field %q, want %q (body %s)", body.Error.Field, field, raw)
	}
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func readAll(t testing.TB, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
