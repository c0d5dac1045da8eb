package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/anliegen/anliegen"
)

// Deps are the services the server calls. cmd/anliegen fills them: the
// storage implements the anliegen services, storage/search the Searcher,
// the connectors runtime the channel-related interfaces below.
type Deps struct {
	Logger  *slog.Logger
	Tickets anliegen.TicketService
	Events  anliegen.EventService
	// Users is the account store. When it is also a SessionExtender
	// (storage.DB is), sessions slide: see Config.SessionTTL.
	Users    anliegen.UserService
	Admin    anliegen.AdminService
	Channels anliegen.ChannelService
	Search   anliegen.Searcher
	Stats    anliegen.StatsService
	Reads    anliegen.ReadMarker

	// Ready reports whether the store and the index are usable (/readyz).
	Ready ReadinessChecker
	// Capabilities says what a channel's platform allows, to check replies.
	// Nil skips the check.
	Capabilities CapabilitiesSource
	// Tester runs a channel's connection test (POST /channels/{id}/test).
	Tester ChannelTester
	// Sender is nudged after a reply is stored or retried, so that it does
	// not wait for its next round.
	Sender Notifier
	// ChannelsChanged is told after a channel was created, changed or
	// deleted, so that the connectors runtime reloads (Runtime.Reload).
	ChannelsChanged Notifier
	// Hooks takes webhook requests under /hooks/{platform}/{channel}.
	Hooks WebhookHandler
	// Gauges feeds the operational gauges of /metrics.
	Gauges GaugeSource
}

// SessionExtender moves a session's expiry forward (sliding expiry). It
// must leave unknown, revoked and expired sessions as they are, and never
// shorten one.
type SessionExtender interface {
	ExtendSession(ctx context.Context, token string, expiresAt time.Time) error
}

// ReadinessChecker is asked by /readyz. Ready returns nil when the store is
// open with all migrations applied and the search index is usable.
type ReadinessChecker interface {
	Ready(ctx context.Context) error
}

// ReadinessFunc adapts a function to ReadinessChecker.
type ReadinessFunc func(ctx context.Context) error

// Ready calls f.
func (f ReadinessFunc) Ready(ctx context.Context) error { return f(ctx) }

// CapabilitiesSource returns what a channel's platform allows for replies.
type CapabilitiesSource interface {
	Capabilities(ctx context.Context, ch anliegen.Channel) (anliegen.Capabilities, error)
}

// CapabilitiesFunc adapts a function to CapabilitiesSource.
type CapabilitiesFunc func(ctx context.Context, ch anliegen.Channel) (anliegen.Capabilities, error)

// Capabilities calls f.
func (f CapabilitiesFunc) Capabilities(ctx context.Context, ch anliegen.Channel) (anliegen.Capabilities, error) {
	return f(ctx, ch)
}

// ChannelTester checks that a channel's credentials and settings work, by
// one harmless call to the platform. The error (a *PlatformError or an
// *anliegen.Error) is shown to the administrator.
type ChannelTester interface {
	TestChannel(ctx context.Context, ch anliegen.Channel) error
}

// ChannelTestFunc adapts a function to ChannelTester.
type ChannelTestFunc func(ctx context.Context, ch anliegen.Channel) error

// TestChannel calls f.
func (f ChannelTestFunc) TestChannel(ctx context.Context, ch anliegen.Channel) error {
	return f(ctx, ch)
}

// Notifier is woken when there is new work (the outbound sender).
type Notifier interface {
	Notify()
}

// NotifyFunc adapts a function to Notifier.
type NotifyFunc func()

// Notify calls f.
func (f NotifyFunc) Notify() { f() }

// WebhookHandler takes a platform's webhook request for a channel. body is
// the raw body, read with a size limit. It answers fast (store or queue the
// payload, do not call the platform) and returns what to send back with
// status 200 (a verification challenge, or nil), or an error whose
// anliegen code sets the status: ENotFound for an unknown channel,
// EUnauthorized for a bad signature, EBadRequest for an unreadable payload.
type WebhookHandler interface {
	HandleWebhook(ctx context.Context, platform anliegen.Platform, channelID int64, r *http.Request, body []byte) ([]byte, error)
}

// Gauges are operational figures read at each /metrics scrape.
type Gauges struct {
	OutboundPending int     // replies waiting to be sent
	OutboundFailed  int     // replies failed for good, waiting for staff
	IndexLagEvents  int64   // events the search index has not applied yet
	IngestLagSecs   float64 // age of the oldest unprocessed webhook or poll result, 0 if none
}

// GaugeSource returns the current Gauges.
type GaugeSource interface {
	Gauges(ctx context.Context) (Gauges, error)
}

// GaugeFunc adapts a function to GaugeSource.
type GaugeFunc func(ctx context.Context) (Gauges, error)

// Gauges calls f.
func (f GaugeFunc) Gauges(ctx context.Context) (Gauges, error) { return f(ctx) }
