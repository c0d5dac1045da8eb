package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/anliegen/anliegen"
)

func (s *Server) registerSessionRoutes(g *echo.Group) {
	g.POST("/session", s.handleLogin)
	g.GET("/session", s.handleSessionGet, s.requireSession)
	g.DELETE("/session", s.handleLogout, s.requireSession, s.requireCSRF)
	g.GET("/setup", s.handleSetupGet)
	g.POST("/setup", s.handleSetup)
}

// sessionResponse is the body of login, setup and GET /session.
type sessionResponse struct {
	User      anliegen.User `json:"user"`
	CSRFToken string        `json:"csrf_token"`
	ExpiresAt time.Time     `json:"expires_at"`
}

type loginRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

func (s *Server) handleLogin(c echo.Context) error {
	var req loginRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	req.Login = strings.TrimSpace(req.Login)
	if req.Login == "" {
		return anliegen.Invalid("login", "must not be empty")
	}
	if req.Password == "" {
		return anliegen.Invalid("password", "must not be empty")
	}
	ip := c.RealIP()
	if err := s.limiter.allow(s.cfg.Now(), req.Login, ip); err != nil {
		return err
	}
	ctx := c.Request().Context()
	u, err := s.deps.Users.Authenticate(ctx, req.Login, req.Password)
	if err != nil {
		if anliegen.ErrorCode(err) == anliegen.EUnauthorized {
			s.limiter.fail(s.cfg.Now(), req.Login, ip)
			return anliegen.Errorf(anliegen.EUnauthorized, "wrong login or password")
		}
		return err
	}
	s.limiter.succeed(req.Login)
	return s.startSession(c, u, http.StatusOK)
}

// startSession creates a session for u, sets the cookie and responds.
func (s *Server) startSession(c echo.Context, u anliegen.User, status int) error {
	sess, err := s.deps.Users.CreateSession(c.Request().Context(), u.ID, s.cfg.SessionTTL)
	if err != nil {
		return err
	}
	s.setSessionCookie(c, sess.Token, sess.ExpiresAt)
	return c.JSON(status, sessionResponse{User: u, CSRFToken: sess.CSRFToken, ExpiresAt: sess.ExpiresAt})
}

func (s *Server) handleSessionGet(c echo.Context) error {
	sess, _ := c.Get(ctxSession).(anliegen.Session)
	return c.JSON(http.StatusOK, sessionResponse{User: *userOf(c), CSRFToken: sess.CSRFToken, ExpiresAt: sess.ExpiresAt})
}

func (s *Server) handleLogout(c echo.Context) error {
	token, _ := c.Get(ctxToken).(string)
	if err := s.deps.Users.DeleteSession(c.Request().Context(), token); err != nil {
		return err
	}
	s.setSessionCookie(c, "", time.Time{})
	return c.NoContent(http.StatusNoContent)
}

type setupState struct {
	NeedsAdmin bool `json:"needs_admin"`
}

func (s *Server) handleSetupGet(c echo.Context) error {
	n, err := s.deps.Users.CountUsers(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, setupState{NeedsAdmin: n == 0})
}

type setupRequest struct {
	Login    string `json:"login"`
	Name     string `json:"name"`
	Password string `json:"password"`
	Lang     string `json:"lang"`
}

// handleSetup creates the first administrator. It is open without a
// session, so it works only while no user exists; the mutex keeps two
// racing first requests from both succeeding.
func (s *Server) handleSetup(c echo.Context) error {
	var req setupRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	u := anliegen.User{Login: strings.TrimSpace(req.Login), Name: strings.TrimSpace(req.Name), Role: anliegen.RoleAdmin, Lang: req.Lang}
	if err := u.Validate(); err != nil {
		return err
	}
	if err := validPassword("password", req.Password); err != nil {
		return err
	}
	ctx := c.Request().Context()
	s.setupMu.Lock()
	defer s.setupMu.Unlock()
	n, err := s.deps.Users.CountUsers(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return anliegen.Errorf(anliegen.EConflict, "setup is done: an administrator exists")
	}
	if err := s.deps.Users.CreateUser(ctx, &u, req.Password); err != nil {
		return err
	}
	return s.startSession(c, u, http.StatusCreated)
}

// minPassword is the shortest password accepted: long enough against
// online guessing under the login rate limit, short enough to be typed.
const minPassword = 10

func validPassword(field, pw string) error {
	if len([]rune(pw)) < minPassword {
		return anliegen.Invalid(field, "must be at least %d characters", minPassword)
	}
	if len(pw) > 1024 {
		return anliegen.Invalid(field, "must be at most 1024 bytes")
	}
	return nil
}
