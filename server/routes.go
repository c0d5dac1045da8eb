package server

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/anliegen/anliegen"
)

// The CSP allows no inline script or style: the UI is built to need none.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// sessionCookie is the name of the session cookie.
const sessionCookie = "anliegen_session"

// csrfHeader carries the session's CSRF token on state-changing requests.
const csrfHeader = "X-CSRF-Token"

func (s *Server) newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	if s.cfg.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	} else {
		e.IPExtractor = echo.ExtractIPDirect()
	}
	e.Pre(s.securityHeaders)
	e.Use(s.observe)

	e.GET("/healthz", s.handleHealthz)
	e.GET("/readyz", s.handleReadyz)
	e.GET("/metrics", s.handleMetrics)
	s.registerHookRoutes(e)

	api := e.Group("/api/v1")
	api.GET("/openapi.json", s.handleOpenAPI)
	s.registerSessionRoutes(api)
	s.registerOIDCRoutes(api)
	// Everything below needs a session; state-changing requests also the
	// CSRF token.
	authed := api.Group("", s.requireSession, s.requireCSRF)
	s.registerTicketRoutes(authed)
	s.registerSearchRoutes(authed)
	s.registerStreamRoutes(authed)
	s.registerUserRoutes(authed)
	s.registerStaffRoutes(authed)
	s.registerAdminRoutes(authed)
	s.registerChannelRoutes(authed)
	s.registerStatsRoutes(authed)

	s.registerUIRoutes(e)
	return e
}

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	hsts := s.cfg.secure()
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

// observe logs each request and counts it in the metrics. The error is
// handled here (not by echo after the chain) so that the status is final.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		route := routeOf(c)
		status := c.Response().Status
		if m := c.Request().Method; m != http.MethodGet && m != http.MethodHead && status < 400 {
			// A change through the API wrote events: deliver them now
			// rather than at the hub's next poll.
			s.hub.Notify()
		}
		d := time.Since(start)
		s.metrics.observeRequest(c.Request().Method, route, status, d)
		s.logger.Info("request", "method", c.Request().Method, "route", route, "status", status,
			"duration_ms", float64(d.Microseconds())/1000)
		return nil
	}
}

// ctxUser and ctxSession are the echo.Context keys set by requireSession.
const (
	ctxUser    = "anliegen.user"
	ctxSession = "anliegen.session"
	ctxToken   = "anliegen.token"
)

// requireSession loads the session named by the cookie; without a valid
// one the request is unauthorized.
func (s *Server) requireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess, u, token, err := s.sessionOf(c)
		if err != nil {
			return err
		}
		sess = s.slide(c, sess, token)
		c.Set(ctxUser, &u)
		c.Set(ctxSession, sess)
		c.Set(ctxToken, token)
		return next(c)
	}
}

// sessionOf returns the request's session, its user and the cookie token.
func (s *Server) sessionOf(c echo.Context) (anliegen.Session, anliegen.User, string, error) {
	ck, err := c.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return anliegen.Session{}, anliegen.User{}, "", anliegen.Errorf(anliegen.EUnauthorized, "not logged in")
	}
	sess, u, err := s.deps.Users.SessionUser(c.Request().Context(), ck.Value)
	if err != nil {
		if anliegen.ErrorCode(err) == anliegen.EInternal {
			return sess, u, "", err
		}
		return sess, u, "", anliegen.Errorf(anliegen.EUnauthorized, "session expired, please log in again")
	}
	// The store checks expiry too; checking here against the server's clock
	// keeps one notion of time for the cookie and the session.
	now := s.cfg.Now()
	if !sess.ExpiresAt.IsZero() && !now.Before(sess.ExpiresAt) ||
		!sess.CreatedAt.IsZero() && !now.Before(sess.CreatedAt.Add(s.cfg.SessionMaxAge)) {
		return sess, u, "", anliegen.Errorf(anliegen.EUnauthorized, "session expired, please log in again")
	}
	if u.Disabled {
		return sess, u, "", anliegen.Errorf(anliegen.EUnauthorized, "account disabled")
	}
	return sess, u, ck.Value, nil
}

// sessionExtendEvery is how far a session's expiry must move before it is
// written: with it a busy user causes one write a minute, not one per
// request.
const sessionExtendEvery = time.Minute

// slide extends the session to now+SessionTTL, capped at SessionMaxAge
// after login, and sends the cookie with the new expiry. A failed write
// only logs: the request is authenticated either way, and the next one
// tries again.
func (s *Server) slide(c echo.Context, sess anliegen.Session, token string) anliegen.Session {
	ext, ok := s.deps.Users.(SessionExtender)
	if !ok || sess.CreatedAt.IsZero() {
		return sess
	}
	exp := s.cfg.Now().Add(s.cfg.SessionTTL)
	if limit := sess.CreatedAt.Add(s.cfg.SessionMaxAge); exp.After(limit) {
		exp = limit
	}
	if exp.Sub(sess.ExpiresAt) < sessionExtendEvery {
		return sess
	}
	if err := ext.ExtendSession(c.Request().Context(), token, exp); err != nil {
		s.logger.Warn("extend session", "user_id", sess.UserID, "err", err)
		return sess
	}
	sess.ExpiresAt = exp
	s.setSessionCookie(c, token, exp)
	return sess
}

// requireCSRF checks the CSRF token on state-changing requests.
func (s *Server) requireCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		sess, _ := c.Get(ctxSession).(anliegen.Session)
		got := c.Request().Header.Get(csrfHeader)
		if got == "" || sess.CSRFToken == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRFToken)) != 1 {
			return anliegen.Errorf(anliegen.EForbidden, "missing or wrong CSRF token")
		}
		return next(c)
	}
}

// userOf returns the logged-in user set by requireSession.
func userOf(c echo.Context) *anliegen.User {
	u, _ := c.Get(ctxUser).(*anliegen.User)
	return u
}

// requireAdmin is for administration routes. A non-admin learns nothing
// from the 403: the routes exist for everyone.
func requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !anliegen.Can(userOf(c), anliegen.ActionAdmin, "") {
			return anliegen.Errorf(anliegen.EForbidden, "administrators only")
		}
		return next(c)
	}
}

// setSessionCookie sets (or with an empty token and negative maxAge,
// clears) the session cookie.
func (s *Server) setSessionCookie(c echo.Context, token string, expires time.Time) {
	ck := &http.Cookie{
		Name:     sessionCookie,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   s.cfg.secure() || c.Request().TLS != nil,
	}
	if token == "" {
		ck.MaxAge = -1
	} else {
		ck.Expires = expires
	}
	c.SetCookie(ck)
}

// isAPIPath reports whether p belongs to the API or webhooks, where the UI
// fallback must not answer.
func isAPIPath(p string) bool {
	return strings.HasPrefix(p, "/api/") || p == "/api" || strings.HasPrefix(p, "/hooks/")
}
