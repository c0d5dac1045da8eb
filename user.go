package anliegen

import (
	"slices"
	"time"
)

// Role decides what a user may do; departments narrow what a department
// user may see.
type Role string

// Roles.
const (
	RoleAdmin      Role = "admin"      // everything, including administration
	RoleAgent      Role = "agent"      // front office: every ticket, no administration
	RoleDepartment Role = "department" // only tickets of their departments
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleAgent || r == RoleDepartment }

// User is a member of staff.
type User struct {
	ID          int64     `json:"id"`
	Login       string    `json:"login"`
	Name        string    `json:"name"`
	Role        Role      `json:"role"`
	Departments []string  `json:"departments"`
	Lang        string    `json:"lang"` // UI language: "de" (default) or "en"
	Disabled    bool      `json:"disabled,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Validate reports the first invalid field of u.
func (u *User) Validate() error {
	switch {
	case !validLogin(u.Login):
		return Invalid("login", "must be 1-64 letters, digits, dots, dashes or underscores")
	case u.Name == "":
		return Invalid("name", "must not be empty")
	case !u.Role.Valid():
		return Invalid("role", "must be admin, agent or department")
	case u.Role == RoleDepartment && len(u.Departments) == 0:
		return Invalid("departments", "a department user needs at least one department")
	case u.Lang != "" && u.Lang != "de" && u.Lang != "en":
		return Invalid("lang", "must be de or en")
	}
	return nil
}

func validLogin(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' || r == '@') {
			return false
		}
	}
	return true
}

// Action is something a user does.
type Action string

// Actions checked by Can.
const (
	ActionView   Action = "view"   // see a ticket, its messages, search hits and events
	ActionReply  Action = "reply"  // reply, note
	ActionUpdate Action = "update" // status, priority, tags, assignee, route
	ActionMerge  Action = "merge"
	ActionAdmin  Action = "admin" // users, channels, departments, rules, canned answers
)

// Can reports whether u may do action on a ticket of department dept (""
// for actions that concern no ticket). It is the one permission check of
// invariant 5: list queries, search filters and the websocket hub use
// DepartmentScope, which agrees with it.
func Can(u *User, action Action, dept string) bool {
	if u == nil || u.Disabled {
		return false
	}
	switch u.Role {
	case RoleAdmin:
		return true
	case RoleAgent:
		return action != ActionAdmin
	case RoleDepartment:
		if action == ActionAdmin || action == ActionMerge {
			return false
		}
		return dept != "" && slices.Contains(u.Departments, dept)
	}
	return false
}

// DepartmentScope returns the departments whose tickets u may view, with all
// true when u may view every ticket. Queries filter with it; it agrees with
// Can(u, ActionView, dept) for every dept.
func DepartmentScope(u *User) (depts []string, all bool) {
	if u == nil || u.Disabled {
		return nil, false
	}
	switch u.Role {
	case RoleAdmin, RoleAgent:
		return nil, true
	case RoleDepartment:
		return slices.Clone(u.Departments), false
	}
	return nil, false
}
