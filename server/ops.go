package server

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/anliegen/anliegen"
)

// handleHealthz says the process is up; it checks nothing else, so an
// orchestrator does not restart a process that waits for its disk.
func (s *Server) handleHealthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz says whether requests can be served: store and index usable,
// migrations applied. The cause of a failure goes to the log only.
func (s *Server) handleReadyz(c echo.Context) error {
	if s.deps.Ready != nil {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 5*time.Second)
		defer cancel()
		if err := s.deps.Ready.Ready(ctx); err != nil {
			s.logger.Warn("not ready", "err", err)
			// Not an error of the request: a state, answered as one.
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "not_ready"})
		}
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) handleMetrics(c echo.Context) error {
	if tok := s.cfg.MetricsToken; tok != "" {
		got, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(tok)) != 1 {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			return anliegen.Errorf(anliegen.EUnauthorized, "metrics need a bearer token")
		}
	}
	s.metrics.handler.ServeHTTP(c.Response(), c.Request())
	return nil
}
