package server

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/anliegen/anliegen"
)

// replyRecent is how recent another person's reply must be for a new reply
// to need confirmation: two staff answering the same citizen at once is the
// mistake this catches.
const replyRecent = time.Minute

// maxReplyBytes bounds any reply, also on platforms without a limit (mail).
const maxReplyBytes = 100000

type replyRequest struct {
	Text    string `json:"text"`
	Confirm bool   `json:"confirm"`
}

func (s *Server) handleReplyCreate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req replyRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Text) == "" {
		return anliegen.Invalid("text", "must not be empty")
	}
	if len(req.Text) > maxReplyBytes || !utf8.ValidString(req.Text) {
		return anliegen.Invalid("text", "must be valid text of at most %d bytes", maxReplyBytes)
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
	if !anliegen.Can(u, anliegen.ActionReply, d.Department) {
		return anliegen.Errorf(anliegen.EForbidden, "you may not reply to this ticket")
	}
	if err := s.checkReply(ctx, d.Ticket, req.Text); err != nil {
		return err
	}
	if !req.Confirm {
		if err := s.recentReplyConflict(d, u.ID); err != nil {
			return err
		}
	}
	m, err := s.deps.Tickets.CreateReply(ctx, id, u.ID, req.Text)
	if err != nil {
		return err
	}
	s.notifySender()
	return c.JSON(http.StatusCreated, m)
}

// recentReplyConflict is a conflict when someone else replied within
// replyRecent; the UI shows the message and resends with confirm.
func (s *Server) recentReplyConflict(d anliegen.TicketDetail, userID int64) error {
	cutoff := s.cfg.Now().Add(-replyRecent)
	for i := len(d.Messages) - 1; i >= 0; i-- {
		m := d.Messages[i]
		if m.Direction != anliegen.DirectionOut || m.AuthorID == userID || m.CreatedAt.Before(cutoff) {
			continue
		}
		who := m.Author
		if who == "" {
			who = "someone else"
		}
		ago := s.cfg.Now().Sub(m.CreatedAt).Round(time.Second)
		return anliegen.Errorf(anliegen.EConflict, "%s replied to this ticket %s ago; send anyway?", who, ago)
	}
	return nil
}

// checkReply checks text against what the ticket's platform allows.
func (s *Server) checkReply(ctx context.Context, t anliegen.Ticket, text string) error {
	if s.deps.Capabilities == nil || s.deps.Channels == nil {
		return nil
	}
	ch, err := s.deps.Channels.Channel(ctx, t.ChannelID)
	if err != nil {
		if anliegen.ErrorCode(err) == anliegen.ENotFound {
			return anliegen.Invalid("text", "the ticket's channel no longer exists")
		}
		return err
	}
	caps, err := s.deps.Capabilities.Capabilities(ctx, ch)
	if err != nil {
		return err
	}
	switch {
	case t.Kind == anliegen.KindComment && !caps.PublicReplies:
		return anliegen.Invalid("text", "%s does not allow public replies from Anliegen", t.Platform)
	case t.Kind == anliegen.KindDM && !caps.DirectMessages:
		return anliegen.Invalid("text", "%s does not allow direct messages from Anliegen", t.Platform)
	}
	if n := replyLength(text, caps); caps.MaxReplyLength > 0 && n > caps.MaxReplyLength {
		return anliegen.Invalid("text", "is %d characters long, %s allows %d", n, t.Platform, caps.MaxReplyLength)
	}
	return nil
}

var urlPattern = regexp.MustCompile(`https?://[^\s]+`)

// replyLength counts text in the platform's unit: characters, with every
// URL counted as caps.URLLength where the platform shortens links
// (Mastodon). Platforms counting graphemes get characters, which is never
// less, so a reply that passes here fits there.
func replyLength(text string, caps anliegen.Capabilities) int {
	if caps.URLLength <= 0 {
		return utf8.RuneCountInString(text)
	}
	n := 0
	last := 0
	for _, loc := range urlPattern.FindAllStringIndex(text, -1) {
		n += utf8.RuneCountInString(text[last:loc[0]]) + caps.URLLength
		last = loc[1]
	}
	return n + utf8.RuneCountInString(text[last:])
}

func (s *Server) notifySender() {
	if s.deps.Sender != nil {
		s.deps.Sender.Notify()
	}
}

func (s *Server) handleReplyRetry(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	mid, err := pathID(c, "mid")
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
	if !anliegen.Can(u, anliegen.ActionReply, d.Department) {
		return anliegen.Errorf(anliegen.EForbidden, "you may not reply to this ticket")
	}
	found := false
	for _, m := range d.Messages {
		found = found || m.ID == mid && m.Direction == anliegen.DirectionOut
	}
	if !found {
		return errNotFound()
	}
	m, err := s.deps.Tickets.RetryReply(ctx, mid, u.ID)
	if err != nil {
		return err
	}
	s.notifySender()
	return c.JSON(http.StatusOK, m)
}

// similarResponse is GET /tickets/{id}/similar.
type similarResponse struct {
	Items []anliegen.SimilarTicket `json:"items"`
}

func (s *Server) handleTicketSimilar(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 5, 1, 20)
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
	if s.deps.Search == nil {
		return c.JSON(http.StatusOK, similarResponse{Items: []anliegen.SimilarTicket{}})
	}
	items, err := s.deps.Search.Similar(ctx, questionOf(d), anliegen.ScopeOf(u), id, limit)
	if anliegen.ErrorCode(err) == anliegen.EInvalid {
		// A question without searchable words (only an emoji, only an
		// attachment) has no similar tickets; that is no client error.
		items, err = nil, nil
	}
	if err != nil {
		return err
	}
	// The searcher filters by scope; this keeps a searcher bug from
	// leaking a ticket (invariant 5 is checked where the answer leaves).
	out := make([]anliegen.SimilarTicket, 0, len(items))
	for _, it := range items {
		if t, err := s.deps.Tickets.Ticket(ctx, it.TicketID); err == nil && anliegen.Can(u, anliegen.ActionView, t.Department) {
			out = append(out, it)
		}
	}
	return c.JSON(http.StatusOK, similarResponse{Items: out})
}

// questionOf is the citizen's question in d: the subject and the inbound
// messages, bounded so a long thread does not make a huge query.
func questionOf(d anliegen.TicketDetail) string {
	var b strings.Builder
	b.WriteString(d.Subject)
	for _, m := range d.Messages {
		if m.Direction == anliegen.DirectionIn && !m.Deleted {
			b.WriteString("\n")
			b.WriteString(m.Text)
		}
		if b.Len() > 4000 {
			break
		}
	}
	return b.String()
}
