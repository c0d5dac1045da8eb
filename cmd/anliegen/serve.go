package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/connectors"
	"github.com/anliegen/anliegen/connectors/email"
	"github.com/anliegen/anliegen/connectors/mastodon"
	"github.com/anliegen/anliegen/server"
	"github.com/anliegen/anliegen/storage"
	"github.com/anliegen/anliegen/storage/search"
	"github.com/anliegen/anliegen/ui"
)

// serveOptions are the flags of serve (and of demo, which adds its own).
type serveOptions struct {
	Listen           string
	BaseURL          string
	TLSCert, TLSKey  string
	MetricsTokenFile string
	SessionTTL       time.Duration
	SessionMaxAge    time.Duration
	// Single sign-on through the town's identity provider (optional).
	OIDCIssuer, OIDCClientID, OIDCSecretFile, OIDCClaim, OIDCName string
}

func (o *serveOptions) register(fs interface {
	StringVar(*string, string, string, string)
	DurationVar(*time.Duration, string, time.Duration, string)
}, listen string) {
	fs.StringVar(&o.Listen, "listen", listen, "listen `address`")
	fs.StringVar(&o.BaseURL, "base-url", "", "public `URL` staff open (sets Secure cookies for https, allowed websocket origin)")
	fs.StringVar(&o.TLSCert, "tls-cert", "", "TLS certificate `file` (with --tls-key)")
	fs.StringVar(&o.TLSKey, "tls-key", "", "TLS key `file`")
	fs.StringVar(&o.MetricsTokenFile, "metrics-token-file", "", "`file` with a bearer token required for /metrics (default: open)")
	fs.DurationVar(&o.SessionTTL, "session-ttl", 12*time.Hour, "idle timeout of a login (use extends it, up to --session-max-age)")
	fs.DurationVar(&o.SessionMaxAge, "session-max-age", 7*24*time.Hour, "longest a login lasts however active it is")
	fs.StringVar(&o.OIDCIssuer, "oidc-issuer", "", "OpenID Connect issuer `URL` of the town's identity provider (enables single sign-on)")
	fs.StringVar(&o.OIDCClientID, "oidc-client-id", "", "OpenID Connect client `id`")
	fs.StringVar(&o.OIDCSecretFile, "oidc-client-secret-file", "", "`file` with the OpenID Connect client secret")
	fs.StringVar(&o.OIDCClaim, "oidc-claim", "preferred_username", "ID token `claim` that must equal an Anliegen login")
	fs.StringVar(&o.OIDCName, "oidc-name", "", "`name` of the identity provider on the login page")
}

func (o *serveOptions) validate() error {
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return usageErr("--tls-cert and --tls-key go together")
	}
	if o.SessionTTL <= 0 || o.SessionMaxAge < o.SessionTTL {
		return usageErr("--session-max-age must be at least --session-ttl, both positive")
	}
	if o.OIDCIssuer != "" && o.OIDCClientID == "" {
		return usageErr("--oidc-issuer needs --oidc-client-id")
	}
	if _, _, err := net.SplitHostPort(o.Listen); err != nil {
		return usageErr("--listen: %v", err)
	}
	return nil
}

func runServe(ctx context.Context, g *Global, args []string) error {
	var o serveOptions
	fs := newFlagSet("serve", g.Env)
	o.register(fs, ":8080")
	if err := parseFlags(fs, args, g.Env); err != nil {
		return err
	}
	if err := o.validate(); err != nil {
		return err
	}
	a, err := openApp(ctx, g, o)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		a.close()
		return fmt.Errorf("listen: %w", err)
	}
	g.Logger.Info("anliegen serving", "addr", ln.Addr().String(), "data", g.Data)
	return a.run(ctx, ln)
}

// app is a running Anliegen: store, index, connectors and HTTP server.
type app struct {
	g        *Global
	db       *storage.DB
	idx      *search.Index
	registry *connectors.Registry
	rt       *connectors.Runtime
	srv      *server.Server
}

// openApp opens the store and index and wires the parts together.
func openApp(ctx context.Context, g *Global, o serveOptions) (*app, error) {
	var metricsToken string
	if o.MetricsTokenFile != "" {
		var err error
		if metricsToken, err = readSecretFile(o.MetricsTokenFile); err != nil {
			return nil, err
		}
	}
	var oidcCfg *server.OIDCConfig
	if o.OIDCIssuer != "" {
		oidcCfg = &server.OIDCConfig{Issuer: o.OIDCIssuer, ClientID: o.OIDCClientID, Claim: o.OIDCClaim, Name: o.OIDCName}
		if o.OIDCSecretFile != "" {
			var err error
			if oidcCfg.ClientSecret, err = readSecretFile(o.OIDCSecretFile); err != nil {
				return nil, err
			}
		}
	}
	db, err := g.openStore(ctx)
	if err != nil {
		return nil, err
	}
	idx, err := search.Open(ctx, filepath.Join(g.Data, "index"), g.Logger, search.Options{Source: db})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open search index: %w", err)
	}
	a := &app{g: g, db: db, idx: idx, registry: connectors.NewRegistry()}
	// Platforms are registered here, explicitly, not by init side effects.
	a.registry.Register(anliegen.PlatformMastodon, mastodon.Factory)
	a.registry.Register(anliegen.PlatformEmail, email.Factory)
	ing := &notifyingIngester{DB: db}
	a.rt = connectors.NewRuntime(g.Logger, a.registry, db, ing, db, connectors.Options{})
	a.srv = server.New(server.Config{
		Addr:          o.Listen,
		BaseURL:       o.BaseURL,
		TLSCertFile:   o.TLSCert,
		TLSKeyFile:    o.TLSKey,
		MetricsToken:  metricsToken,
		UI:            ui.FS(),
		SessionTTL:    o.SessionTTL,
		SessionMaxAge: o.SessionMaxAge,
		OIDC:          oidcCfg,
	}, server.Deps{
		Logger:          g.Logger,
		Tickets:         db,
		Events:          db,
		Users:           db,
		Admin:           db,
		Channels:        db,
		ChannelsChanged: reloader{a.rt},
		Search:          idx,
		Reads:           db,
		Stats:           db,
		Ready:           server.ReadinessFunc(a.ready),
		Capabilities:    server.CapabilitiesFunc(a.capabilities),
		Tester:          server.ChannelTestFunc(a.testChannel),
		Sender:          a.rt,
		Gauges:          server.GaugeFunc(a.gauges),
	})
	// Wake the indexer and the websocket hub right after a local ingest
	// instead of waiting for their next poll of the events table.
	ing.after = func() { a.idx.Notify(); a.srv.Notify() }
	return a, nil
}

// notifyingIngester calls after once items were stored.
type notifyingIngester struct {
	*storage.DB
	after func()
}

func (n *notifyingIngester) Ingest(ctx context.Context, channelID int64, items []anliegen.Item, cursor string) (anliegen.IngestResult, error) {
	res, err := n.DB.Ingest(ctx, channelID, items, cursor)
	if err == nil && res.Created+res.Updated > 0 && n.after != nil {
		n.after()
	}
	return res, err
}

// run serves on ln until ctx ends, then shuts down in order: stop taking
// requests, stop pollers and sender, let the indexer finish, close the store
// (which checkpoints the WAL).
func (a *app) run(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	fail := func(what string, err error) {
		if err != nil && !errors.Is(err, context.Canceled) {
			mu.Lock()
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
			mu.Unlock()
			cancel()
		}
	}
	wg.Go(func() { fail("indexer", a.idx.Run(ctx, a.db)) })
	wg.Go(func() { fail("connectors", a.rt.Run(ctx)) })
	wg.Go(func() { fail("control socket", serveControl(ctx, a.g.Data, indexAdmin{a.idx, a.db}, a.g.Logger)) })
	wg.Go(func() { fail("http server", a.srv.Serve(ctx, ln)) })
	<-ctx.Done()
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	if err := a.srv.Shutdown(sctx); err != nil {
		a.g.Logger.Warn("http shutdown", "err", err)
	}
	scancel()
	wg.Wait()
	a.close()
	return errors.Join(errs...)
}

func (a *app) close() {
	if err := a.idx.Close(); err != nil {
		a.g.Logger.Error("close index", "err", err)
	}
	if err := a.db.Close(); err != nil {
		a.g.Logger.Error("close store", "err", err)
	}
}

func (a *app) ready(ctx context.Context) error {
	if _, err := a.db.SchemaVersion(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if _, err := a.idx.DocCount(); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	return nil
}

func (a *app) capabilities(ctx context.Context, ch anliegen.Channel) (anliegen.Capabilities, error) {
	c, err := a.rt.Connector(ctx, ch.ID)
	if err != nil {
		return anliegen.Capabilities{}, err
	}
	return c.Capabilities(), nil
}

func (a *app) testChannel(ctx context.Context, ch anliegen.Channel) error {
	switch ch.Platform {
	case anliegen.PlatformMastodon:
		s, err := mastodon.ParseSettings(ch.Settings)
		if err != nil {
			return err
		}
		return mastodon.Test(ctx, s, string(ch.Secret))
	case anliegen.PlatformEmail:
		return email.Test(ctx, ch.Settings, ch.Secret)
	}
	return anliegen.Invalid("platform", "no connection test for %s", ch.Platform)
}

func (a *app) gauges(ctx context.Context) (server.Gauges, error) {
	var g server.Gauges
	lag, err := a.idx.IndexLag(ctx)
	if err != nil {
		return g, err
	}
	g.IndexLagEvents = lag
	st, err := a.db.Stats(ctx)
	if err != nil {
		return g, err
	}
	g.OutboundPending, g.OutboundFailed = int(st.PendingReplies), int(st.FailedReplies)
	return g, nil
}

// reloader tells the connector runtime about channel changes made through
// the API, so a new channel starts polling at once.
type reloader struct{ rt *connectors.Runtime }

func (r reloader) Notify() { r.rt.Reload() }

// indexAdmin adds reindexing from the store to the index for the control
// socket.
type indexAdmin struct {
	*search.Index
	db *storage.DB
}

func (x indexAdmin) Reindex(ctx context.Context) error { return x.Index.Rebuild(ctx, x.db) }
