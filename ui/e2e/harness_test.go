package e2e

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/cmd/anliegen/demo"
	"github.com/anliegen/anliegen/connectors"
	"github.com/anliegen/anliegen/connectors/mastodon"
	"github.com/anliegen/anliegen/connectors/mastodon/mastodontest"
	"github.com/anliegen/anliegen/server"
	"github.com/anliegen/anliegen/storage"
	"github.com/anliegen/anliegen/storage/search"
	"github.com/anliegen/anliegen/ui"
)

// password of every test user; the store's minimum is lowered for it.
const password = "e2e-secret"

// app is a running Anliegen with the demo town seeded and a Mastodon
// channel polling a fake instance.
type app struct {
	URL     string
	DB      *storage.DB
	Fake    *mastodontest.Server
	Channel anliegen.Channel
	Index   *search.Index
	srv     *server.Server
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// appConfig is what a test may change about the app it starts.
type appConfig struct {
	Fake   mastodontest.Options // the fake Mastodon instance
	Server server.Config        // UI is always the embedded build
}

// startApp starts store, index, connectors and server on a loopback port.
// seed adds the demo town (departments, rules, canned answers, imported
// inquiries); extra users are created beside the demo ones. opts adjust
// the fake Mastodon instance and the server's configuration.
func startApp(t *testing.T, seed bool, opts ...func(*appConfig)) *app {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("E2E_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	db, err := storage.Open(ctx, dir, logger)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	db.SetMinPasswordLength(len(password))
	if seed {
		if _, err := demo.Seed(ctx, db, password, time.Now()); err != nil {
			t.Fatalf("seed: %v", err)
		}
		for _, u := range []anliegen.User{
			{Login: "kfz", Name: "Kim Kfz", Role: anliegen.RoleDepartment, Departments: []string{"kfz"}, Lang: "de"},
		} {
			if err := db.CreateUser(ctx, &u, password); err != nil {
				t.Fatalf("create user %s: %v", u.Login, err)
			}
		}
	}
	cfg := appConfig{Fake: mastodontest.Options{Domain: "musterstadt.social"}}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.Server.UI = ui.FS()
	fake := mastodontest.New(cfg.Fake)
	settings, _ := json.Marshal(mastodon.Settings{Instance: fake.URL})
	ch := anliegen.Channel{Platform: anliegen.PlatformMastodon, Name: "Mastodon @stadt", Account: "@stadt@musterstadt.social",
		Settings: settings, Secret: []byte(fake.Town().Token), Enabled: true, PollInterval: 300 * time.Millisecond,
		BackfillSince: time.Now().Add(-time.Hour)}
	if err := db.CreateChannel(ctx, &ch); err != nil {
		t.Fatalf("create channel: %v", err)
	}
	idx, err := search.Open(ctx, filepath.Join(dir, "index"), logger, search.Options{Source: db, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("open index: %v", err)
	}
	reg := connectors.NewRegistry()
	reg.Register(anliegen.PlatformMastodon, mastodon.Factory)
	rt := connectors.NewRuntime(logger, reg, db, db, db, connectors.Options{})
	srv := server.New(cfg.Server, server.Deps{
		Logger: logger, Tickets: db, Events: db, Users: db, Admin: db, Channels: db, Search: idx, Reads: db, Stats: db,
		Capabilities: server.CapabilitiesFunc(func(ctx context.Context, ch anliegen.Channel) (anliegen.Capabilities, error) {
			c, err := rt.Connector(ctx, ch.ID)
			if err != nil {
				return anliegen.Capabilities{}, err
			}
			return c.Capabilities(), nil
		}),
		Sender: rt,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	a := &app{URL: "http://" + ln.Addr().String(), DB: db, Fake: fake, Channel: ch, Index: idx, srv: srv, cancel: cancel}
	a.wg.Go(func() { _ = idx.Run(ctx, db) })
	a.wg.Go(func() { _ = rt.Run(ctx) })
	a.wg.Go(func() { _ = srv.Serve(ctx, ln) })
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = srv.Shutdown(sctx)
		cancel()
		a.wg.Wait()
		fake.Close()
		idx.Close()
		db.Close()
	})
	return a
}

// chromium returns the browser path, skipping the test when it is missing
// (failing it on CI, where .ci/install-deps installs it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found, and CI is set")
	}
	t.Skip("chromium not installed")
	return ""
}

// browser starts a fresh headless Chromium with a 1366×768 viewport (the
// window size alone leaves a shorter one) and returns a tab
// context; each call gets its own profile (cookies).
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 768),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelC()
		cancelA()
	})
	// The first call starts the browser and must not carry a timeout; the
	// tab context returned does, so a hung step fails instead of hanging.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// A headless tab never has window focus, so an autofocused field is
	// not :focus-visible until the first key; a user's browser window is
	// focused. Emulating that makes the focus checks see what users see.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	}), chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatalf("emulate focus and a 1366×768 viewport: %v", err)
	}
	tctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancelT)
	return tctx
}

// run runs actions, failing the test with what was being done.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		shot(t, ctx, "failure-"+filepath.Base(t.Name()))
		t.Fatalf("%s: %v (page: %s)", what, err, pageState(ctx))
	}
}

// login opens the app and logs in by keyboard: the login field has focus
// on load, Tab moves to the password, Enter submits.
func login(t *testing.T, ctx context.Context, a *app, login string) {
	t.Helper()
	run(t, ctx, "open login", chromedp.Navigate(a.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#login")))
	focused(t, ctx, "login page", "#login")
	run(t, ctx, "type login", key(login+"\t"))
	focused(t, ctx, "login page", "#password")
	run(t, ctx, "log in as "+login, key(password+"\r"), chromedp.WaitVisible(chromedp.CSS("#inbox-h")))
}

// shot saves a screenshot of the viewport to dir/name.png when
// E2E_SHOTS names a directory (docs/screenshots for the committed ones).
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("E2E_SHOTS")
	if dir == "" {
		return
	}
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Logf("screenshot %s: %v", name, err)
	}
}

// waitIndexed waits until a search for q finds something: the index is
// rebuilt from the store in the background at start, slowly under -race.
func waitIndexed(t *testing.T, a *app, q string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		res, err := a.Index.Search(context.Background(), anliegen.SearchQuery{Q: q, Scope: anliegen.ScopeAll, Limit: 1})
		if err == nil && len(res.Hits) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("index never found %q: %v", q, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// pageState describes where the page is, for failure messages: the route,
// the focused element and the composer's text.
func pageState(ctx context.Context) string {
	// The test's context may be what timed out; look with a fresh deadline.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Evaluate[string](`JSON.stringify({
		hash: location.hash,
		focus: document.activeElement ? document.activeElement.tagName + "#" + document.activeElement.id + "." + document.activeElement.className : null,
		composer: document.getElementById("composer-text") ? document.getElementById("composer-text").value : null,
		canned: document.getElementById("canned-list") ? document.getElementById("canned-list").textContent : null,
		alerts: [...document.querySelectorAll("[role=alert], .notice, dialog[open]")].map(e => e.textContent).filter(Boolean),
	})`))
	if err != nil {
		return "unknown: " + err.Error()
	}
	return s
}
