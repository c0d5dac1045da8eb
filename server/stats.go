package server

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/anliegen/anliegen"
)

func (s *Server) registerStatsRoutes(g *echo.Group) {
	g.GET("/stats", s.handleStats)
}

// handleStats returns the statistics of tickets created in [from, to),
// default the last 30 days, over the caller's scope.
func (s *Server) handleStats(c echo.Context) error {
	from, err := queryTime(c, "from")
	if err != nil {
		return err
	}
	to, err := queryTime(c, "to")
	if err != nil {
		return err
	}
	if to.IsZero() {
		to = s.cfg.Now().UTC()
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -30)
	}
	if !to.After(from) {
		return anliegen.Invalid("to", "must be after from")
	}
	if to.Sub(from) > 5*366*24*time.Hour {
		return anliegen.Invalid("from", "the range may span at most five years")
	}
	if s.deps.Stats == nil {
		return anliegen.Errorf(anliegen.ENotFound, "statistics are not available")
	}
	st, err := s.deps.Stats.TicketStats(c.Request().Context(), anliegen.ScopeOf(userOf(c)), from, to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}
