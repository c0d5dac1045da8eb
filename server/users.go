package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/anliegen/anliegen"
)

func (s *Server) registerUserRoutes(g *echo.Group) {
	g.PATCH("/me", s.handleMeUpdate)
	g.GET("/users", s.handleUserList, requireAdmin)
	g.POST("/users", s.handleUserCreate, requireAdmin)
	g.PATCH("/users/:id", s.handleUserUpdate, requireAdmin)
}

func (s *Server) handleUserList(c echo.Context) error {
	users, err := s.deps.Users.Users(c.Request().Context())
	if err != nil {
		return err
	}
	if users == nil {
		users = []anliegen.User{}
	}
	return c.JSON(http.StatusOK, itemsOf(users))
}

// items wraps a list so that every list response is an object.
type items[T any] struct {
	Items []T `json:"items"`
}

func itemsOf[T any](v []T) items[T] {
	if v == nil {
		v = []T{}
	}
	return items[T]{Items: v}
}

type userCreateRequest struct {
	Login       string        `json:"login"`
	Name        string        `json:"name"`
	Role        anliegen.Role `json:"role"`
	Departments []string      `json:"departments"`
	Lang        string        `json:"lang"`
	Password    string        `json:"password"`
}

func (s *Server) handleUserCreate(c echo.Context) error {
	var req userCreateRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	u := anliegen.User{Login: strings.TrimSpace(req.Login), Name: strings.TrimSpace(req.Name), Role: req.Role,
		Departments: req.Departments, Lang: req.Lang}
	if u.Departments == nil {
		u.Departments = []string{}
	}
	if err := u.Validate(); err != nil {
		return err
	}
	if err := validPassword("password", req.Password); err != nil {
		return err
	}
	if err := s.deps.Users.CreateUser(c.Request().Context(), &u, req.Password); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, u)
}

// userUpdateRequest is PATCH /users/{id}; absent fields stay. A password
// sets a new one and logs the user out everywhere.
type userUpdateRequest struct {
	Name        *string        `json:"name"`
	Role        *anliegen.Role `json:"role"`
	Departments *[]string      `json:"departments"`
	Lang        *string        `json:"lang"`
	Disabled    *bool          `json:"disabled"`
	Password    *string        `json:"password"`
}

func (s *Server) handleUserUpdate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req userUpdateRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	if req.Password != nil {
		if err := validPassword("password", *req.Password); err != nil {
			return err
		}
	}
	me := userOf(c)
	if id == me.ID && (req.Disabled != nil && *req.Disabled || req.Role != nil && *req.Role != anliegen.RoleAdmin) {
		// An administrator locking themselves out could leave no admin.
		return anliegen.Invalid("role", "you cannot demote or disable yourself")
	}
	ctx := c.Request().Context()
	u, err := s.deps.Users.User(ctx, id)
	if err != nil {
		return err
	}
	applyUserUpdate(&u, req)
	if err := u.Validate(); err != nil {
		return err
	}
	if err := s.deps.Users.UpdateUser(ctx, &u); err != nil {
		return err
	}
	if req.Password != nil {
		if err := s.deps.Users.SetPassword(ctx, id, *req.Password); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, u)
}

func applyUserUpdate(u *anliegen.User, req userUpdateRequest) {
	if req.Name != nil {
		u.Name = strings.TrimSpace(*req.Name)
	}
	if req.Role != nil {
		u.Role = *req.Role
	}
	if req.Departments != nil {
		u.Departments = *req.Departments
	}
	if req.Lang != nil {
		u.Lang = *req.Lang
	}
	if req.Disabled != nil {
		u.Disabled = *req.Disabled
	}
}

// meUpdateRequest is PATCH /me. Changing the password needs the current
// one and ends every other session of the user.
type meUpdateRequest struct {
	Name            *string `json:"name"`
	Lang            *string `json:"lang"`
	Password        *string `json:"password"`
	CurrentPassword string  `json:"current_password"`
}

func (s *Server) handleMeUpdate(c echo.Context) error {
	var req meUpdateRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	if req.Password != nil {
		if err := validPassword("password", *req.Password); err != nil {
			return err
		}
		if req.CurrentPassword == "" {
			return anliegen.Invalid("current_password", "must be given to change the password")
		}
	}
	ctx := c.Request().Context()
	u := *userOf(c)
	applyUserUpdate(&u, userUpdateRequest{Name: req.Name, Lang: req.Lang})
	if err := u.Validate(); err != nil {
		return err
	}
	if req.Password != nil {
		if err := s.checkCurrentPassword(c, u.Login, req.CurrentPassword); err != nil {
			return err
		}
	}
	if err := s.deps.Users.UpdateUser(ctx, &u); err != nil {
		return err
	}
	if req.Password == nil {
		sess, _ := c.Get(ctxSession).(anliegen.Session)
		return c.JSON(http.StatusOK, sessionResponse{User: u, CSRFToken: sess.CSRFToken, ExpiresAt: sess.ExpiresAt})
	}
	// SetPassword revokes every session, this one too; the caller gets a
	// fresh one so only the other browsers are logged out.
	if err := s.deps.Users.SetPassword(ctx, u.ID, *req.Password); err != nil {
		return err
	}
	return s.startSession(c, u, http.StatusOK)
}

// checkCurrentPassword verifies the user's password under the login rate
// limit, so a stolen session cannot guess it.
func (s *Server) checkCurrentPassword(c echo.Context, login, pw string) error {
	ip := c.RealIP()
	if err := s.limiter.allow(s.cfg.Now(), login, ip); err != nil {
		return err
	}
	if _, err := s.deps.Users.Authenticate(c.Request().Context(), login, pw); err != nil {
		if anliegen.ErrorCode(err) == anliegen.EUnauthorized {
			s.limiter.fail(s.cfg.Now(), login, ip)
			return anliegen.Invalid("current_password", "is wrong")
		}
		return err
	}
	return nil
}
