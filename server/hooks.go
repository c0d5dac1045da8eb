package server

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/anliegen/anliegen"
)

func (s *Server) registerHookRoutes(e *echo.Echo) {
	// GET is for platforms' subscription challenges (Meta's hub.challenge).
	e.GET("/hooks/:platform/:channel", s.handleHook)
	e.POST("/hooks/:platform/:channel", s.handleHook)
}

// handleHook hands a webhook request to the connectors. No session and no
// CSRF token: the handler checks the platform's signature.
func (s *Server) handleHook(c echo.Context) error {
	p := anliegen.Platform(c.Param("platform"))
	id, err := strconv.ParseInt(c.Param("channel"), 10, 64)
	if !p.Valid() || err != nil || id <= 0 || s.deps.Hooks == nil {
		return errNotFound()
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, s.cfg.MaxHookBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return anliegen.Errorf(anliegen.EBadRequest, "request body too large (limit %d bytes)", mbe.Limit)
		}
		return anliegen.Errorf(anliegen.EBadRequest, "could not read the request body")
	}
	out, err := s.deps.Hooks.HandleWebhook(c.Request().Context(), p, id, c.Request(), body)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", out)
}
