package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/anliegen/anliegen"
)

func (s *Server) registerStaffRoutes(g *echo.Group) {
	// Every member of staff may read the directory: the assignee picker
	// needs it for agents and department users, while /users (with
	// creation dates, languages and disabled accounts) stays for admins.
	g.GET("/staff", s.handleStaffList)
}

// staffMember is a colleague as the staff directory shows them: enough to
// pick an assignee and to name who did what, nothing about the account.
// Login is listed because tickets name their assignee by login.
type staffMember struct {
	ID          int64         `json:"id"`
	Login       string        `json:"login"`
	Name        string        `json:"name"`
	Role        anliegen.Role `json:"role"`
	Departments []string      `json:"departments"`
}

// handleStaffList lists the active users. It reveals no ticket: a
// department user learns who works in other departments, as on the town's
// phone list, but nothing of their tickets.
func (s *Server) handleStaffList(c echo.Context) error {
	users, err := s.deps.Users.Users(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]staffMember, 0, len(users))
	for _, u := range users {
		if u.Disabled {
			continue
		}
		d := u.Departments
		if d == nil {
			d = []string{}
		}
		out = append(out, staffMember{ID: u.ID, Login: u.Login, Name: u.Name, Role: u.Role, Departments: d})
	}
	return c.JSON(http.StatusOK, itemsOf(out))
}
