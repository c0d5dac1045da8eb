package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"github.com/anliegen/anliegen"
)

// OIDCConfig enables login through a town's central identity provider
// (OpenID Connect, authorization code flow with PKCE). It only logs in
// users who already exist in Anliegen: the claim named by Claim must equal
// a user's login. Roles and departments stay Anliegen's.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document is at
	// Issuer + "/.well-known/openid-configuration".
	Issuer       string
	ClientID     string
	ClientSecret string
	// Claim is the ID token claim matched against logins, default
	// "preferred_username". With "email", the provider must also say
	// email_verified.
	Claim string
	// Name is shown on the login button, default "Single Sign-On".
	Name string
}

// oidcCookie carries state, nonce and PKCE verifier from the redirect to
// the provider to the callback. It is bound to this browser, so a callback
// started elsewhere (login CSRF) finds no matching state.
const oidcCookie = "anliegen_oidc"

// oidcFlowTTL is how long a user may take at the provider's login page.
const oidcFlowTTL = 10 * time.Minute

// oidcLogin holds the provider, discovered on first use: the server starts
// even while the identity provider is down.
type oidcLogin struct {
	cfg      OIDCConfig
	mu       sync.Mutex
	provider *oidc.Provider
}

func (o *oidcLogin) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	p, err := oidc.NewProvider(ctx, o.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc discovery: %w", err)
	}
	o.provider = p
	return p, nil
}

func (s *Server) registerOIDCRoutes(g *echo.Group) {
	g.GET("/oidc", s.handleOIDCInfo)
	g.GET("/oidc/login", s.handleOIDCLogin)
	g.GET("/oidc/callback", s.handleOIDCCallback)
}

// oidcInfo tells the login page whether to offer the provider.
type oidcInfo struct {
	Enabled bool   `json:"enabled"`
	Name    string `json:"name,omitempty"`
}

func (s *Server) handleOIDCInfo(c echo.Context) error {
	if s.oidc == nil {
		return c.JSON(http.StatusOK, oidcInfo{})
	}
	return c.JSON(http.StatusOK, oidcInfo{Enabled: true, Name: s.oidc.cfg.Name})
}

// oauthConfig is the client configuration; the redirect URL comes from
// BaseURL, or without one from the request (direct access without proxy).
func (s *Server) oauthConfig(c echo.Context, p *oidc.Provider) *oauth2.Config {
	base := strings.TrimSuffix(s.cfg.BaseURL, "/")
	if base == "" {
		base = c.Scheme() + "://" + c.Request().Host
	}
	return &oauth2.Config{
		ClientID:     s.oidc.cfg.ClientID,
		ClientSecret: s.oidc.cfg.ClientSecret,
		Endpoint:     p.Endpoint(),
		RedirectURL:  base + "/api/v1/oidc/callback",
		Scopes:       []string{oidc.ScopeOpenID, "profile", "email"},
	}
}

// handleOIDCLogin sends the browser to the provider.
func (s *Server) handleOIDCLogin(c echo.Context) error {
	if s.oidc == nil {
		return anliegen.Errorf(anliegen.ENotFound, "single sign-on is not configured")
	}
	p, err := s.oidc.discover(c.Request().Context())
	if err != nil {
		s.logger.Warn("oidc login", "err", err)
		return anliegen.Errorf(anliegen.EInternal, "the identity provider is not reachable")
	}
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	c.SetCookie(&http.Cookie{
		Name: oidcCookie, Value: state + "." + nonce + "." + verifier, Path: "/api/v1/oidc",
		MaxAge: int(oidcFlowTTL / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.cfg.secure() || c.Request().TLS != nil,
	})
	url := s.oauthConfig(c, p).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	return c.Redirect(http.StatusFound, url)
}

// handleOIDCCallback takes the provider's answer (see oidcCallback); a
// browser whose sign-on fails is sent back to the login page.
func (s *Server) handleOIDCCallback(c echo.Context) error {
	err := s.oidcCallback(c)
	if err == nil || s.oidc == nil || !acceptsHTML(c.Request()) {
		return err
	}
	// A browser lands here from the provider: a JSON body would be a dead
	// end, so send it to the login page with a reason it can show. The
	// reason is one of two words, never the error text, which may name
	// accounts.
	reason := "refused"
	var ae *anliegen.Error
	if !errors.As(err, &ae) || ae.Code == anliegen.EInternal {
		reason = "unavailable"
	}
	s.logger.Info("oidc sign-on failed", "reason", reason, "err", err)
	return c.Redirect(http.StatusSeeOther, "/?sso_error="+reason)
}

// acceptsHTML reports whether r is a browser's page navigation rather than
// an API call.
func acceptsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// oidcCallback checks state, swaps the code for tokens (with the PKCE
// verifier), verifies the ID token's signature, issuer, audience, expiry
// and nonce, finds the user by the configured claim, and logs them in like
// a password login.
func (s *Server) oidcCallback(c echo.Context) error {
	if s.oidc == nil {
		return anliegen.Errorf(anliegen.ENotFound, "single sign-on is not configured")
	}
	ck, err := c.Cookie(oidcCookie)
	// The flow cookie is single-use, whatever happens below.
	c.SetCookie(&http.Cookie{Name: oidcCookie, Path: "/api/v1/oidc", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	if err != nil {
		return anliegen.Errorf(anliegen.EUnauthorized, "the sign-on took too long or was started elsewhere; please try again")
	}
	parts := strings.Split(ck.Value, ".")
	state := c.QueryParam("state")
	if len(parts) != 3 || state == "" || subtle.ConstantTimeCompare([]byte(parts[0]), []byte(state)) != 1 {
		return anliegen.Errorf(anliegen.EUnauthorized, "the sign-on was started elsewhere; please try again")
	}
	if e := c.QueryParam("error"); e != "" {
		return anliegen.Errorf(anliegen.EUnauthorized, "the identity provider refused the sign-on (%s)", truncate(e, 64))
	}
	ctx := c.Request().Context()
	p, err := s.oidc.discover(ctx)
	if err != nil {
		s.logger.Warn("oidc callback", "err", err)
		return anliegen.Errorf(anliegen.EInternal, "the identity provider is not reachable")
	}
	tok, err := s.oauthConfig(c, p).Exchange(ctx, c.QueryParam("code"), oauth2.VerifierOption(parts[2]))
	if err != nil {
		s.logger.Warn("oidc code exchange", "err", err)
		return anliegen.Errorf(anliegen.EUnauthorized, "the identity provider did not confirm the sign-on")
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return anliegen.Errorf(anliegen.EUnauthorized, "the identity provider sent no ID token")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: s.oidc.cfg.ClientID, Now: s.cfg.Now}).Verify(ctx, raw)
	if err != nil {
		s.logger.Warn("oidc id token", "err", err)
		return anliegen.Errorf(anliegen.EUnauthorized, "the identity provider's token is not valid")
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(parts[1])) != 1 {
		return anliegen.Errorf(anliegen.EUnauthorized, "the identity provider's token is not for this sign-on")
	}
	u, err := s.oidcUser(ctx, idt)
	if err != nil {
		return err
	}
	sess, err := s.deps.Users.CreateSession(ctx, u.ID, s.cfg.SessionTTL)
	if err != nil {
		return err
	}
	s.setSessionCookie(c, sess.Token, sess.ExpiresAt)
	return c.Redirect(http.StatusSeeOther, "/")
}

// oidcUser returns the active Anliegen user the ID token names. Anyone
// else is refused alike: the provider may know people who have no account
// here, and none is created.
func (s *Server) oidcUser(ctx context.Context, idt *oidc.IDToken) (anliegen.User, error) {
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return anliegen.User{}, anliegen.Errorf(anliegen.EUnauthorized, "the identity provider's token is not readable")
	}
	claim := s.oidc.cfg.Claim
	login, _ := claims[claim].(string)
	if claim == "email" {
		if v, _ := claims["email_verified"].(bool); !v {
			login = ""
		}
	}
	denied := anliegen.Errorf(anliegen.EUnauthorized, "there is no active Anliegen account for this sign-on")
	if login == "" {
		return anliegen.User{}, denied
	}
	u, err := s.deps.Users.UserByLogin(ctx, login)
	if anliegen.ErrorCode(err) == anliegen.ENotFound || err == nil && u.Disabled {
		s.logger.Info("oidc login refused", "claim", claim)
		return anliegen.User{}, denied
	}
	return u, err
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
