package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/anliegen/anliegen"
)

func (s *Server) registerAdminRoutes(g *echo.Group) {
	g.GET("/departments", s.handleDepartmentList)
	g.POST("/departments", s.handleDepartmentCreate, requireAdmin)
	g.PATCH("/departments/:id", s.handleDepartmentUpdate, requireAdmin)
	g.DELETE("/departments/:id", s.handleDepartmentDelete, requireAdmin)

	g.GET("/rules", s.handleRuleList, requireAdmin)
	g.POST("/rules", s.handleRuleCreate, requireAdmin)
	g.POST("/rules/test", s.handleRuleTest, requireAdmin)
	g.PATCH("/rules/:id", s.handleRuleUpdate, requireAdmin)
	g.DELETE("/rules/:id", s.handleRuleDelete, requireAdmin)

	g.GET("/canned", s.handleCannedList)
	g.POST("/canned", s.handleCannedCreate)
	g.PATCH("/canned/:id", s.handleCannedUpdate)
	g.DELETE("/canned/:id", s.handleCannedDelete)
}

func (s *Server) handleDepartmentList(c echo.Context) error {
	ds, err := s.deps.Admin.Departments(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, itemsOf(ds))
}

func (s *Server) handleDepartmentCreate(c echo.Context) error {
	var d anliegen.Department
	if err := s.decode(c, &d); err != nil {
		return err
	}
	d.Name = strings.TrimSpace(d.Name)
	if err := d.Validate(); err != nil {
		return err
	}
	if err := s.deps.Admin.CreateDepartment(c.Request().Context(), &d); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, d)
}

type departmentUpdateRequest struct {
	Name string `json:"name"`
}

func (s *Server) handleDepartmentUpdate(c echo.Context) error {
	var req departmentUpdateRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	d := anliegen.Department{ID: c.Param("id"), Name: strings.TrimSpace(req.Name)}
	if err := d.Validate(); err != nil {
		return err
	}
	if err := s.deps.Admin.UpdateDepartment(c.Request().Context(), &d); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (s *Server) handleDepartmentDelete(c echo.Context) error {
	if err := s.deps.Admin.DeleteDepartment(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) handleRuleList(c echo.Context) error {
	rs, err := s.deps.Admin.Rules(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, itemsOf(rs))
}

func (s *Server) handleRuleCreate(c echo.Context) error {
	var r anliegen.Rule
	if err := s.decode(c, &r); err != nil {
		return err
	}
	r.ID = 0
	if err := r.Validate(); err != nil {
		return err
	}
	if err := s.deps.Admin.CreateRule(c.Request().Context(), &r); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, r)
}

// handleRuleUpdate replaces a rule: the body is the whole rule, as the
// rule editor sends it.
func (s *Server) handleRuleUpdate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var r anliegen.Rule
	if err := s.decode(c, &r); err != nil {
		return err
	}
	r.ID = id
	if err := r.Validate(); err != nil {
		return err
	}
	if err := s.deps.Admin.UpdateRule(c.Request().Context(), &r); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (s *Server) handleRuleDelete(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.deps.Admin.DeleteRule(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type ruleTestRequest struct {
	Text      string            `json:"text"`
	Subject   string            `json:"subject"`
	Platform  anliegen.Platform `json:"platform"`
	ChannelID int64             `json:"channel_id"`
}

type ruleTestResponse struct {
	Rule *anliegen.Rule `json:"rule"` // null when no rule matches
}

// handleRuleTest is a dry run: which rule would route this text. It uses
// the same pure Router as ingest, so the answer is what ingest would do.
func (s *Server) handleRuleTest(c echo.Context) error {
	var req ruleTestRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	if req.Platform != "" && !req.Platform.Valid() {
		return anliegen.Invalid("platform", "unknown platform %q", req.Platform)
	}
	rs, err := s.deps.Admin.Rules(c.Request().Context())
	if err != nil {
		return err
	}
	hit := anliegen.NewRouter(rs).Match(anliegen.RuleInput{Text: req.Text, Subject: req.Subject, Platform: req.Platform, ChannelID: req.ChannelID})
	return c.JSON(http.StatusOK, ruleTestResponse{Rule: hit})
}

func (s *Server) handleCannedList(c echo.Context) error {
	as, err := s.deps.Admin.CannedAnswers(c.Request().Context(), anliegen.ScopeOf(userOf(c)))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, itemsOf(as))
}

// mayEditCanned reports whether u may create, change or delete a canned
// answer of department dept: admins any, department users their own.
func mayEditCanned(u *anliegen.User, dept string) bool {
	if anliegen.Can(u, anliegen.ActionAdmin, "") {
		return true
	}
	return u.Role == anliegen.RoleDepartment && anliegen.Can(u, anliegen.ActionUpdate, dept)
}

func (s *Server) handleCannedCreate(c echo.Context) error {
	var a anliegen.CannedAnswer
	if err := s.decode(c, &a); err != nil {
		return err
	}
	a.ID = 0
	if !mayEditCanned(userOf(c), a.Department) {
		return anliegen.Errorf(anliegen.EForbidden, "you may not manage canned answers of this department")
	}
	if err := a.Validate(); err != nil {
		return err
	}
	if err := s.deps.Admin.CreateCannedAnswer(c.Request().Context(), &a); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, a)
}

// cannedOf returns the caller's visible canned answer id, else not_found.
func (s *Server) cannedOf(c echo.Context, id int64) (anliegen.CannedAnswer, error) {
	as, err := s.deps.Admin.CannedAnswers(c.Request().Context(), anliegen.ScopeOf(userOf(c)))
	if err != nil {
		return anliegen.CannedAnswer{}, err
	}
	for _, a := range as {
		if a.ID == id {
			return a, nil
		}
	}
	return anliegen.CannedAnswer{}, errNotFound()
}

func (s *Server) handleCannedUpdate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var a anliegen.CannedAnswer
	if err := s.decode(c, &a); err != nil {
		return err
	}
	a.ID = id
	u := userOf(c)
	old, err := s.cannedOf(c, id)
	if err != nil {
		return err
	}
	if !mayEditCanned(u, old.Department) || !mayEditCanned(u, a.Department) {
		return anliegen.Errorf(anliegen.EForbidden, "you may not manage canned answers of this department")
	}
	if err := a.Validate(); err != nil {
		return err
	}
	if err := s.deps.Admin.UpdateCannedAnswer(c.Request().Context(), &a); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

func (s *Server) handleCannedDelete(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	old, err := s.cannedOf(c, id)
	if err != nil {
		return err
	}
	if !mayEditCanned(userOf(c), old.Department) {
		return anliegen.Errorf(anliegen.EForbidden, "you may not manage canned answers of this department")
	}
	if err := s.deps.Admin.DeleteCannedAnswer(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
