package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/anliegen/anliegen"
)

func (s *Server) registerChannelRoutes(g *echo.Group) {
	// Channel names and health are no secret among staff: the inbox filter
	// lists channels for everyone. Changes are for administrators.
	g.GET("/channels", s.handleChannelList)
	g.GET("/channels/:id", s.handleChannelGet)
	g.POST("/channels", s.handleChannelCreate, requireAdmin)
	g.PATCH("/channels/:id", s.handleChannelUpdate, requireAdmin)
	g.DELETE("/channels/:id", s.handleChannelDelete, requireAdmin)
	g.POST("/channels/:id/test", s.handleChannelTest, requireAdmin)
}

// channelView is a channel as the API shows it: no secret, no cursor, the
// poll interval in seconds.
type channelView struct {
	ID            int64                  `json:"id"`
	Platform      anliegen.Platform      `json:"platform"`
	Name          string                 `json:"name"`
	Account       string                 `json:"account"`
	Settings      json.RawMessage        `json:"settings,omitempty"`
	HasSecret     bool                   `json:"has_secret"`
	Enabled       bool                   `json:"enabled"`
	PollInterval  int64                  `json:"poll_interval"`
	BackfillSince time.Time              `json:"backfill_since,omitzero"`
	Health        anliegen.ChannelHealth `json:"health"`
	CreatedAt     time.Time              `json:"created_at"`
	// Capabilities is what the connector says the platform allows (reply
	// length as configured on the instance, public replies, DMs), so the
	// composer counts against the real limit. Absent when the connector
	// cannot be asked, e.g. for a disabled channel.
	Capabilities *anliegen.Capabilities `json:"capabilities,omitempty"`
}

func viewChannel(ch anliegen.Channel, admin bool) channelView {
	v := channelView{ID: ch.ID, Platform: ch.Platform, Name: ch.Name, Account: ch.Account,
		HasSecret: len(ch.Secret) > 0, Enabled: ch.Enabled, PollInterval: int64(ch.PollInterval / time.Second),
		BackfillSince: ch.BackfillSince, Health: ch.Health, CreatedAt: ch.CreatedAt}
	if admin {
		v.Settings = ch.Settings
	}
	return v
}

// capabilities returns what ch's connector allows, or nil when it cannot
// be asked. A channel without a working connector still lists: its health
// says why, and replies to it are refused by checkReply.
func (s *Server) capabilities(ctx context.Context, ch anliegen.Channel) *anliegen.Capabilities {
	if s.deps.Capabilities == nil {
		return nil
	}
	caps, err := s.deps.Capabilities.Capabilities(ctx, ch)
	if err != nil {
		s.logger.Debug("channel capabilities", "channel_id", ch.ID, "err", err)
		return nil
	}
	return &caps
}

func (s *Server) handleChannelList(c echo.Context) error {
	ctx := c.Request().Context()
	chs, err := s.deps.Channels.Channels(ctx)
	if err != nil {
		return err
	}
	admin := anliegen.Can(userOf(c), anliegen.ActionAdmin, "")
	out := make([]channelView, 0, len(chs))
	for _, ch := range chs {
		v := viewChannel(ch, admin)
		v.Capabilities = s.capabilities(ctx, ch)
		out = append(out, v)
	}
	return c.JSON(http.StatusOK, itemsOf(out))
}

func (s *Server) handleChannelGet(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ch, err := s.deps.Channels.Channel(ctx, id)
	if err != nil {
		return err
	}
	v := viewChannel(ch, anliegen.Can(userOf(c), anliegen.ActionAdmin, ""))
	v.Capabilities = s.capabilities(ctx, ch)
	return c.JSON(http.StatusOK, v)
}

// channelRequest creates or changes a channel. Secret is write-only: an
// absent or empty secret on update keeps the stored one.
type channelRequest struct {
	Platform      *anliegen.Platform `json:"platform"`
	Name          *string            `json:"name"`
	Account       *string            `json:"account"`
	Settings      json.RawMessage    `json:"settings"`
	Secret        *string            `json:"secret"`
	Enabled       *bool              `json:"enabled"`
	PollInterval  *int64             `json:"poll_interval"` // seconds
	BackfillSince *time.Time         `json:"backfill_since"`
}

// apply copies the given fields of req onto ch.
func (req channelRequest) apply(ch *anliegen.Channel) error {
	if req.Platform != nil {
		if !req.Platform.Valid() {
			return anliegen.Invalid("platform", "unknown platform %q", *req.Platform)
		}
		ch.Platform = *req.Platform
	}
	if req.Name != nil {
		ch.Name = strings.TrimSpace(*req.Name)
	}
	if req.Account != nil {
		ch.Account = strings.TrimSpace(*req.Account)
	}
	if req.Settings != nil {
		if !json.Valid(req.Settings) || strings.TrimSpace(string(req.Settings))[0] != '{' {
			return anliegen.Invalid("settings", "must be a JSON object")
		}
		ch.Settings = req.Settings
	}
	if req.Secret != nil && *req.Secret != "" {
		ch.Secret = []byte(*req.Secret)
	}
	if req.Enabled != nil {
		ch.Enabled = *req.Enabled
	}
	if req.PollInterval != nil {
		if *req.PollInterval < 10 || *req.PollInterval > 86400 {
			return anliegen.Invalid("poll_interval", "must be between 10 and 86400 seconds")
		}
		ch.PollInterval = time.Duration(*req.PollInterval) * time.Second
	}
	if req.BackfillSince != nil {
		ch.BackfillSince = *req.BackfillSince
	}
	if ch.Name == "" {
		return anliegen.Invalid("name", "must not be empty")
	}
	return nil
}

func (s *Server) handleChannelCreate(c echo.Context) error {
	var req channelRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	if req.Platform == nil {
		return anliegen.Invalid("platform", "must be set")
	}
	ch := anliegen.Channel{Enabled: true}
	if err := req.apply(&ch); err != nil {
		return err
	}
	if err := s.deps.Channels.CreateChannel(c.Request().Context(), &ch); err != nil {
		return err
	}
	s.channelsChanged()
	return c.JSON(http.StatusCreated, viewChannel(ch, true))
}

func (s *Server) handleChannelUpdate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req channelRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	ch, err := s.deps.Channels.Channel(ctx, id)
	if err != nil {
		return err
	}
	if req.Platform != nil && *req.Platform != ch.Platform {
		return anliegen.Invalid("platform", "cannot be changed; add a new channel")
	}
	if err := req.apply(&ch); err != nil {
		return err
	}
	if err := s.deps.Channels.UpdateChannel(ctx, &ch); err != nil {
		return err
	}
	s.channelsChanged()
	return c.JSON(http.StatusOK, viewChannel(ch, true))
}

func (s *Server) channelsChanged() {
	if s.deps.ChannelsChanged != nil {
		s.deps.ChannelsChanged.Notify()
	}
}

func (s *Server) handleChannelDelete(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.deps.Channels.DeleteChannel(c.Request().Context(), id); err != nil {
		return err
	}
	s.channelsChanged()
	return c.NoContent(http.StatusNoContent)
}

type channelTestResponse struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	Kind  string `json:"kind,omitempty"` // the platform error's kind: auth, rate_limited, ...
}

// handleChannelTest answers 200 whether the test passed or not: the
// request worked, the channel did not. The platform's message is shown to
// the administrator; it names no secret.
func (s *Server) handleChannelTest(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ch, err := s.deps.Channels.Channel(ctx, id)
	if err != nil {
		return err
	}
	if s.deps.Tester == nil {
		return anliegen.Errorf(anliegen.ENotFound, "channel tests are not available")
	}
	if err := s.deps.Tester.TestChannel(ctx, ch); err != nil {
		msg := anliegen.ErrorMessage(err)
		if anliegen.ErrorCode(err) == anliegen.EInternal {
			msg = err.Error()
		}
		return c.JSON(http.StatusOK, channelTestResponse{Error: msg, Kind: string(anliegen.PlatformErrorKindOf(err))})
	}
	return c.JSON(http.StatusOK, channelTestResponse{OK: true})
}
