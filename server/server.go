// Package server is the HTTP face of Anliegen: the JSON API under /api/v1
// (sessions, CSRF, the permission checks of invariant 5), the websocket
// stream of events, webhook endpoints, operations endpoints and the
// embedded UI. It depends only on the service interfaces of the root
// package and on the small interfaces in deps.go, which cmd/anliegen fills.
package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/server/hub"
)

// Config is the server's configuration. Zero values take the defaults
// named on each field.
type Config struct {
	// Addr is the listen address of ListenAndServe, default ":8080".
	Addr string
	// BaseURL is the public URL staff open, e.g. "https://anliegen.stadt.de".
	// It marks cookies Secure when https and is an allowed websocket origin.
	BaseURL string
	// TLSCertFile and TLSKeyFile enable TLS when both are set.
	TLSCertFile string
	TLSKeyFile  string
	// MetricsToken, when set, must be sent as "Authorization: Bearer ..."
	// to read /metrics; when empty /metrics is open.
	MetricsToken string
	// UI is the static web app (ui.FS()); nil serves no UI.
	UI fs.FS
	// SessionTTL is the idle timeout of a login, default 12h: each
	// authenticated request extends the session to now+SessionTTL (written
	// at most once a minute), so a working day never logs anyone out and a
	// forgotten browser is logged out by the next morning.
	SessionTTL time.Duration
	// SessionMaxAge caps a session however active it is, default 7 days:
	// a stolen cookie that is kept busy still ages out.
	SessionMaxAge time.Duration
	// MaxBodyBytes limits JSON request bodies, default 1 MiB.
	MaxBodyBytes int64
	// MaxHookBodyBytes limits webhook bodies, default 4 MiB.
	MaxHookBodyBytes int64
	// TrustProxy takes the client IP from X-Forwarded-For (set it only
	// behind a reverse proxy that overwrites that header).
	TrustProxy bool
	// EventPoll is how often the websocket hub reads new events from the
	// store, default 150ms. Notify wakes it earlier.
	EventPoll time.Duration
	// WSWriteTimeout is the write deadline per websocket frame, default 10s.
	// A client that cannot take a frame within it is disconnected.
	WSWriteTimeout time.Duration
	// WSQueue is how many frames a websocket client may lag behind (its
	// send queue, a window on a ring shared by all clients), default 4096.
	// A client further behind is disconnected and resumes with ?since=.
	WSQueue int
	// WSRecheck is how often an open websocket's session is checked again,
	// so that logout, password change and disabling reach it; default 1m.
	WSRecheck time.Duration
	// LoginFailuresPerLogin and LoginFailuresPerIP limit failed logins
	// within LoginWindow, default 5, 20 and 15m.
	LoginFailuresPerLogin int
	LoginFailuresPerIP    int
	LoginWindow           time.Duration
	// OIDC, when set with an Issuer, adds login through an identity
	// provider (/api/v1/oidc/login); password login stays.
	OIDC *OIDCConfig
	// Now is the clock, default time.Now; tests move it.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Addr == "" {
		c.Addr = ":8080"
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.SessionMaxAge <= 0 {
		c.SessionMaxAge = 7 * 24 * time.Hour
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxHookBodyBytes <= 0 {
		c.MaxHookBodyBytes = 4 << 20
	}
	if c.EventPoll <= 0 {
		c.EventPoll = 150 * time.Millisecond
	}
	if c.WSWriteTimeout <= 0 {
		c.WSWriteTimeout = 10 * time.Second
	}
	if c.WSQueue <= 0 {
		c.WSQueue = 4096
	}
	if c.LoginFailuresPerLogin <= 0 {
		c.LoginFailuresPerLogin = 5
	}
	if c.LoginFailuresPerIP <= 0 {
		c.LoginFailuresPerIP = 20
	}
	if c.LoginWindow <= 0 {
		c.LoginWindow = 15 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.OIDC != nil {
		o := *c.OIDC
		if o.Claim == "" {
			o.Claim = "preferred_username"
		}
		if o.Name == "" {
			o.Name = "Single Sign-On"
		}
		c.OIDC = &o
	}
}

// secure reports whether cookies must be Secure.
func (c *Config) secure() bool {
	return c.TLSCertFile != "" && c.TLSKeyFile != "" || strings.HasPrefix(strings.ToLower(c.BaseURL), "https://")
}

// Server is the HTTP server. Create it with New, start background work with
// Start (or ListenAndServe), stop it with Shutdown.
type Server struct {
	cfg      Config
	deps     Deps
	logger   *slog.Logger
	echo     *echo.Echo
	hub      *hub.Hub
	metrics  *metrics
	limiter  *loginLimiter
	sanitize *sanitizer
	upgrader *websocket.Upgrader
	openapi  openAPIDoc
	baseURL  *url.URL
	oidc     *oidcLogin // nil without OIDC

	setupMu sync.Mutex // serializes first-admin creation

	startOnce sync.Once
	bgCtx     context.Context // lives from Start to Shutdown; websockets run in it
	stop      context.CancelFunc
	bgDone    chan struct{}

	httpMu sync.Mutex
	http   *http.Server
}

// New returns a Server for cfg and deps. It starts nothing: call Start or
// ListenAndServe. Deps fields that are nil disable what needs them (their
// endpoints answer 404 or report not ready).
func New(cfg Config, deps Deps) *Server {
	cfg.setDefaults()
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:      cfg,
		deps:     deps,
		logger:   logger,
		limiter:  newLoginLimiter(cfg.LoginFailuresPerLogin, cfg.LoginFailuresPerIP, cfg.LoginWindow),
		sanitize: newSanitizer(),
	}
	if u, err := url.Parse(cfg.BaseURL); err == nil && u.Host != "" {
		s.baseURL = u
	}
	if cfg.OIDC != nil && cfg.OIDC.Issuer != "" {
		s.oidc = &oidcLogin{cfg: *cfg.OIDC}
	}
	s.hub = hub.New(hub.Config{
		Events:       deps.Events,
		Logger:       logger,
		Poll:         cfg.EventPoll,
		WriteTimeout: cfg.WSWriteTimeout,
		Queue:        cfg.WSQueue,
		Recheck:      cfg.WSRecheck,
		TicketDepartment: func(ctx context.Context, id int64) (string, error) {
			if deps.Tickets == nil {
				return "", anliegen.Errorf(anliegen.ENotFound, "not found")
			}
			t, err := deps.Tickets.Ticket(ctx, id)
			return t.Department, err
		},
	})
	s.upgrader = s.newUpgrader()
	s.bgCtx = context.Background()
	s.metrics = newMetrics(s)
	s.echo = s.newEcho()
	return s
}

// Handler returns the HTTP handler, for tests and for embedding.
func (s *Server) Handler() http.Handler { return s.echo }

// Notify wakes the event hub to read new events now instead of at its next
// poll; the store's writers in this process call it after a commit.
func (s *Server) Notify() { s.hub.Notify() }

// Start starts the background work (the hub following the events log) until
// ctx ends or Shutdown is called. Calling it again does nothing.
func (s *Server) Start(ctx context.Context) {
	s.startOnce.Do(func() {
		ctx, cancel := context.WithCancel(ctx)
		s.stop = cancel
		s.bgCtx = ctx
		s.bgDone = make(chan struct{})
		go func() {
			defer close(s.bgDone)
			s.hub.Run(ctx)
		}()
	})
}

// ListenAndServe starts the server on Config.Addr (with TLS when configured)
// and blocks until Shutdown; it returns nil after a clean shutdown.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// shutdownGrace is how long running requests may take when ctx ends.
const shutdownGrace = 10 * time.Second

// Serve is ListenAndServe on a given listener. It returns when Shutdown is
// called or ctx ends (which shuts down gracefully).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.Start(ctx)
	srv := &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	s.httpMu.Lock()
	s.http = srv
	s.httpMu.Unlock()
	s.logger.Info("listening", "addr", ln.Addr().String(), "tls", s.cfg.TLSCertFile != "")
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		// The end of ctx is a shutdown too, with time for running requests.
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
			defer cancel()
			if err := s.Shutdown(sctx); err != nil {
				s.logger.Warn("shutdown", "err", err)
			}
		case <-stopped:
		}
	}()
	if s.cfg.TLSCertFile != "" && s.cfg.TLSKeyFile != "" {
		err := srv.ServeTLS(ln, s.cfg.TLSCertFile, s.cfg.TLSKeyFile)
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, waits for running requests until ctx
// ends, closes websockets with the going-away close code (clients resume
// elsewhere or later) and stops the background work.
func (s *Server) Shutdown(ctx context.Context) error {
	s.httpMu.Lock()
	srv := s.http
	s.httpMu.Unlock()
	var err error
	if srv != nil {
		err = srv.Shutdown(ctx)
	}
	s.hub.CloseAll()
	if s.stop != nil {
		s.stop()
		select {
		case <-s.bgDone:
		case <-ctx.Done():
			err = errors.Join(err, ctx.Err())
		}
	}
	return err
}
