package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/anliegen/anliegen"
)

func (s *Server) registerTicketRoutes(g *echo.Group) {
	g.GET("/tickets", s.handleTicketList)
	g.GET("/tickets/:id", s.handleTicketGet)
	g.PATCH("/tickets/:id", s.handleTicketUpdate)
	g.POST("/tickets/:id/merge", s.handleTicketMerge)
	g.POST("/tickets/:id/notes", s.handleNoteCreate)
	g.POST("/tickets/:id/read", s.handleTicketRead)
	g.POST("/tickets/:id/replies", s.handleReplyCreate)
	g.POST("/tickets/:id/replies/:mid/retry", s.handleReplyRetry)
	g.GET("/tickets/:id/similar", s.handleTicketSimilar)
}

// errNotFound is what a caller gets for a ticket it may not see: the same
// answer as for one that does not exist (invariant 5).
func errNotFound() error { return anliegen.Errorf(anliegen.ENotFound, "not found") }

// visibleTicket loads ticket id if u may view it, else not_found.
func (s *Server) visibleTicket(ctx context.Context, u *anliegen.User, id int64) (anliegen.Ticket, error) {
	t, err := s.deps.Tickets.Ticket(ctx, id)
	if err != nil {
		return t, err
	}
	if !anliegen.Can(u, anliegen.ActionView, t.Department) {
		return anliegen.Ticket{}, errNotFound()
	}
	return t, nil
}

// ticketFilter reads the list filters from the query string.
func (s *Server) ticketFilter(c echo.Context, u *anliegen.User) (anliegen.TicketFilter, error) {
	f := anliegen.TicketFilter{Scope: anliegen.ScopeOf(u), ViewerID: u.ID, Cursor: c.QueryParam("cursor")}
	var err error
	if f.Statuses, err = queryEnum(c, "status", anliegen.Status.Valid); err != nil {
		return f, err
	}
	if f.Priorities, err = queryEnum(c, "priority", anliegen.Priority.Valid); err != nil {
		return f, err
	}
	if f.Platforms, err = queryEnum(c, "platform", anliegen.Platform.Valid); err != nil {
		return f, err
	}
	if f.ChannelIDs, err = queryInts(c, "channel"); err != nil {
		return f, err
	}
	f.Departments = queryList(c, "department")
	f.Tags = queryList(c, "tag")
	if f.Unassigned, err = queryBool(c, "unassigned"); err != nil {
		return f, err
	}
	mine, err := queryBool(c, "mine")
	if err != nil {
		return f, err
	}
	if mine {
		f.AssigneeID = u.ID
	}
	if a := c.QueryParam("assignee"); a != "" {
		if mine {
			return f, anliegen.Invalid("assignee", "cannot be combined with mine")
		}
		if f.AssigneeID, err = s.assigneeID(c.Request().Context(), "assignee", a); err != nil {
			return f, err
		}
	}
	if f.CreatedFrom, err = queryTime(c, "created_from"); err != nil {
		return f, err
	}
	if f.CreatedTo, err = queryTime(c, "created_to"); err != nil {
		return f, err
	}
	if f.UpdatedFrom, err = queryTime(c, "updated_from"); err != nil {
		return f, err
	}
	if f.UpdatedTo, err = queryTime(c, "updated_to"); err != nil {
		return f, err
	}
	switch f.Sort = c.QueryParam("sort"); f.Sort {
	case "", "created_desc", "created_asc", "updated_desc", "priority":
	default:
		return f, anliegen.Invalid("sort", "must be created_desc, created_asc, updated_desc or priority")
	}
	f.Limit, err = queryInt(c, "limit", 50, 1, 100)
	return f, err
}

// assigneeID resolves a user given by ID or login.
func (s *Server) assigneeID(ctx context.Context, field, v string) (int64, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		return n, nil
	}
	u, err := s.deps.Users.UserByLogin(ctx, v)
	if anliegen.ErrorCode(err) == anliegen.ENotFound {
		return 0, anliegen.Invalid(field, "no user with login %q", v)
	}
	return u.ID, err
}

func (s *Server) handleTicketList(c echo.Context) error {
	u := userOf(c)
	f, err := s.ticketFilter(c, u)
	if err != nil {
		return err
	}
	page, err := s.deps.Tickets.ListTickets(c.Request().Context(), f)
	if err != nil {
		return err
	}
	if page.Items == nil {
		page.Items = []anliegen.Ticket{}
	}
	return c.JSON(http.StatusOK, page)
}

func (s *Server) handleTicketGet(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u := userOf(c)
	d, err := s.deps.Tickets.TicketDetail(ctx, id)
	if err != nil {
		return err
	}
	if !anliegen.Can(u, anliegen.ActionView, d.Department) {
		return errNotFound()
	}
	for i := range d.Messages {
		d.Messages[i].HTML = s.sanitize.Message(d.Messages[i].HTML)
	}
	if d.Messages == nil {
		d.Messages = []anliegen.Message{}
	}
	if d.Events == nil {
		d.Events = []anliegen.Event{}
	}
	return c.JSON(http.StatusOK, ticketDetailResponse{TicketDetail: d, Channel: s.ticketChannel(ctx, d.ChannelID, u)})
}

// ticketDetailResponse is a ticket with its channel, whose capabilities
// the composer counts against.
type ticketDetailResponse struct {
	anliegen.TicketDetail
	Channel *channelView `json:"channel,omitempty"`
}

// ticketChannel returns the view of a ticket's channel, nil when it is gone
// (a deleted channel keeps its tickets). Channel names and capabilities are
// shown to all staff (GET /channels), so this reveals nothing new.
func (s *Server) ticketChannel(ctx context.Context, id int64, u *anliegen.User) *channelView {
	if s.deps.Channels == nil {
		return nil
	}
	ch, err := s.deps.Channels.Channel(ctx, id)
	if err != nil {
		if anliegen.ErrorCode(err) != anliegen.ENotFound {
			s.logger.Warn("ticket channel", "channel_id", id, "err", err)
		}
		return nil
	}
	v := viewChannel(ch, anliegen.Can(u, anliegen.ActionAdmin, ""))
	v.Capabilities = s.capabilities(ctx, ch)
	return &v
}

// ticketUpdateRequest is PATCH /tickets/{id}. The assignee is given by ID
// (assignee_id, 0 unassigns) or by login (assignee, "" unassigns).
type ticketUpdateRequest struct {
	Status     *anliegen.Status   `json:"status"`
	Priority   *anliegen.Priority `json:"priority"`
	Department *string            `json:"department"`
	AssigneeID *int64             `json:"assignee_id"`
	Assignee   *string            `json:"assignee"`
	Tags       *[]string          `json:"tags"`
	Version    int64              `json:"version"`
	Note       string             `json:"note"`
}

func (s *Server) handleTicketUpdate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req ticketUpdateRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	upd, err := s.ticketUpdate(ctx, req)
	if err != nil {
		return err
	}
	u := userOf(c)
	t, err := s.visibleTicket(ctx, u, id)
	if err != nil {
		return err
	}
	if !anliegen.Can(u, anliegen.ActionUpdate, t.Department) {
		return anliegen.Errorf(anliegen.EForbidden, "you may not change this ticket")
	}
	t, err = s.deps.Tickets.UpdateTicket(ctx, id, u.ID, upd)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

// ticketUpdate validates req and turns it into a TicketUpdate.
func (s *Server) ticketUpdate(ctx context.Context, req ticketUpdateRequest) (anliegen.TicketUpdate, error) {
	upd := anliegen.TicketUpdate{Status: req.Status, Priority: req.Priority, Department: req.Department,
		AssigneeID: req.AssigneeID, Tags: req.Tags, Version: req.Version, Note: strings.TrimSpace(req.Note)}
	switch {
	case req.Status != nil && !req.Status.Valid():
		return upd, anliegen.Invalid("status", "unknown status %q", *req.Status)
	case req.Priority != nil && !req.Priority.Valid():
		return upd, anliegen.Invalid("priority", "unknown priority %q", *req.Priority)
	case req.AssigneeID != nil && req.Assignee != nil:
		return upd, anliegen.Invalid("assignee", "give assignee or assignee_id, not both")
	case req.AssigneeID != nil && *req.AssigneeID < 0:
		return upd, anliegen.Invalid("assignee_id", "must not be negative")
	case req.Version < 0:
		return upd, anliegen.Invalid("version", "must not be negative")
	case len(upd.Note) > 20000:
		return upd, anliegen.Invalid("note", "must be at most 20000 bytes")
	}
	if req.Tags != nil {
		tags := make([]string, 0, len(*req.Tags))
		for _, t := range *req.Tags {
			if t = strings.TrimSpace(t); t == "" || len(t) > 64 {
				return upd, anliegen.Invalid("tags", "tags must be 1-64 bytes")
			}
			tags = append(tags, t)
		}
		upd.Tags = &tags
	}
	if req.Assignee != nil {
		var id int64
		if *req.Assignee != "" {
			var err error
			if id, err = s.assigneeID(ctx, "assignee", *req.Assignee); err != nil {
				return upd, err
			}
		}
		upd.AssigneeID = &id
	}
	if upd.AssigneeID != nil && *upd.AssigneeID != 0 {
		if _, err := s.deps.Users.User(ctx, *upd.AssigneeID); anliegen.ErrorCode(err) == anliegen.ENotFound {
			return upd, anliegen.Invalid("assignee_id", "no such user")
		} else if err != nil {
			return upd, err
		}
	}
	return upd, nil
}

type mergeRequest struct {
	Into int64 `json:"into"`
}

func (s *Server) handleTicketMerge(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req mergeRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	if req.Into <= 0 {
		return anliegen.Invalid("into", "must be a ticket id")
	}
	if req.Into == id {
		return anliegen.Invalid("into", "cannot merge a ticket into itself")
	}
	ctx := c.Request().Context()
	u := userOf(c)
	from, err := s.visibleTicket(ctx, u, id)
	if err != nil {
		return err
	}
	if !anliegen.Can(u, anliegen.ActionMerge, from.Department) {
		return anliegen.Errorf(anliegen.EForbidden, "you may not merge tickets")
	}
	if _, err := s.visibleTicket(ctx, u, req.Into); anliegen.ErrorCode(err) == anliegen.ENotFound {
		return anliegen.Invalid("into", "no such ticket")
	} else if err != nil {
		return err
	}
	t, err := s.deps.Tickets.MergeTickets(ctx, id, req.Into, u.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

type noteRequest struct {
	Text string `json:"text"`
}

func (s *Server) handleNoteCreate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req noteRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Text) == "" {
		return anliegen.Invalid("text", "must not be empty")
	}
	ctx := c.Request().Context()
	u := userOf(c)
	t, err := s.visibleTicket(ctx, u, id)
	if err != nil {
		return err
	}
	if !anliegen.Can(u, anliegen.ActionReply, t.Department) {
		return anliegen.Errorf(anliegen.EForbidden, "you may not write in this ticket")
	}
	m, err := s.deps.Tickets.AddNote(ctx, id, u.ID, req.Text)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, m)
}

func (s *Server) handleTicketRead(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u := userOf(c)
	if _, err := s.visibleTicket(ctx, u, id); err != nil {
		return err
	}
	if s.deps.Reads == nil {
		return c.NoContent(http.StatusNoContent)
	}
	if err := s.deps.Reads.MarkRead(ctx, u.ID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
