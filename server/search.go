package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/anliegen/anliegen"
)

func (s *Server) registerSearchRoutes(g *echo.Group) {
	g.GET("/search", s.handleSearch)
	g.GET("/contacts/:id", s.handleContactGet)
}

func (s *Server) handleSearch(c echo.Context) error {
	u := userOf(c)
	q := anliegen.SearchQuery{Q: strings.TrimSpace(c.QueryParam("q")), Scope: anliegen.ScopeOf(u),
		Departments: queryList(c, "department"), Tags: queryList(c, "tag")}
	if q.Q == "" {
		return anliegen.Invalid("q", "must not be empty")
	}
	if len(q.Q) > 1000 {
		return anliegen.Invalid("q", "must be at most 1000 bytes")
	}
	var err error
	if q.Platforms, err = queryEnum(c, "platform", anliegen.Platform.Valid); err != nil {
		return err
	}
	if q.Statuses, err = queryEnum(c, "status", anliegen.Status.Valid); err != nil {
		return err
	}
	if q.From, err = queryTime(c, "from"); err != nil {
		return err
	}
	if q.To, err = queryTime(c, "to"); err != nil {
		return err
	}
	if q.Limit, err = queryInt(c, "limit", 20, 1, 100); err != nil {
		return err
	}
	if q.Offset, err = queryInt(c, "offset", 0, 0, 10000); err != nil {
		return err
	}
	if s.deps.Search == nil {
		return anliegen.Errorf(anliegen.ENotFound, "search is not available")
	}
	res, err := s.deps.Search.Search(c.Request().Context(), q)
	if err != nil {
		return err
	}
	// The searcher applies the scope; the check here is the second lock on
	// the same door (invariant 5), and snippets are cleaned where they leave.
	hits := make([]anliegen.SearchHit, 0, len(res.Hits))
	for _, h := range res.Hits {
		if anliegen.Can(u, anliegen.ActionView, h.Department) {
			h.Snippet = s.sanitize.Snippet(h.Snippet)
			hits = append(hits, h)
		}
	}
	res.Hits = hits
	if res.Facets == nil {
		res.Facets = map[string][]anliegen.FacetCount{}
	}
	return c.JSON(http.StatusOK, res)
}

// contactResponse is a contact with the tickets the caller may see.
type contactResponse struct {
	anliegen.Contact
	Tickets []anliegen.Ticket `json:"tickets"`
}

func (s *Server) handleContactGet(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	u := userOf(c)
	contact, tickets, err := s.deps.Tickets.Contact(c.Request().Context(), id)
	if err != nil {
		return err
	}
	visible := make([]anliegen.Ticket, 0, len(tickets))
	for _, t := range tickets {
		if anliegen.Can(u, anliegen.ActionView, t.Department) {
			visible = append(visible, t)
		}
	}
	// A department user learns of a citizen only through a ticket of
	// theirs; a contact with none is not found for them.
	if len(visible) == 0 && !anliegen.ScopeOf(u).All {
		return errNotFound()
	}
	return c.JSON(http.StatusOK, contactResponse{Contact: contact, Tickets: visible})
}
