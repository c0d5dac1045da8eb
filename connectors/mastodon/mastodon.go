// Package mastodon connects a town's Mastodon (or GoToSocial) account: it
// polls mention notifications (public replies and direct messages) into
// anliegen.Items and posts replies. PLATFORMS.md, "1. Mastodon", lists the
// API behaviour it relies on; mastodontest fakes it.
package mastodon

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/anliegen/anliegen"
)

// Settings is a Mastodon channel's configuration, stored as JSON in
// anliegen.Channel.Settings. The access token lives in Channel.Secret.
type Settings struct {
	// Instance is the base URL of the town's instance, e.g. https://social.bund.de.
	Instance string `json:"instance"`
	// MaxChars overrides the instance's status length limit; 0 asks the instance.
	MaxChars int `json:"max_chars"`
	// Visibility of public replies: "public" (default) or "unlisted". Replies
	// to direct messages are always direct.
	Visibility string `json:"visibility,omitempty"`
}

// ParseSettings decodes and validates raw; errors are anliegen.Invalid.
func ParseSettings(raw json.RawMessage) (Settings, error) {
	var s Settings
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &s); err != nil {
			return s, anliegen.Invalid("settings", "cannot read Mastodon settings: %v", err)
		}
	}
	return s, s.Validate()
}

// Validate reports the first invalid field of s.
func (s *Settings) Validate() error {
	u, err := url.Parse(s.Instance)
	switch {
	case s.Instance == "":
		return anliegen.Invalid("instance", "must not be empty")
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return anliegen.Invalid("instance", "must be an http(s) URL such as https://social.example")
	case s.MaxChars < 0:
		return anliegen.Invalid("max_chars", "must not be negative")
	case s.Visibility != "" && s.Visibility != "public" && s.Visibility != "unlisted":
		return anliegen.Invalid("visibility", "must be public or unlisted")
	}
	return nil
}

// Options tune a Connector beyond its channel; zero fields take defaults.
type Options struct {
	Client *http.Client     // default: a client without timeout (callers pass deadlines)
	Now    func() time.Time // default time.Now; decides the backfill horizon
	// RefetchEvery is how often recent statuses are fetched again to catch
	// edits and deletes, which raise no notification; default 10 minutes,
	// negative turns it off.
	RefetchEvery time.Duration
}

// DefaultMaxChars is the status limit when the instance names none.
const DefaultMaxChars = 500

// limitRetry is how long an instance that could not be asked for its limit
// is left alone before it is asked again.
const limitRetry = time.Minute

// pageSize is the largest page the notifications endpoint serves.
const pageSize = 80

// Connector is one town account on one instance. It implements
// anliegen.Connector; Poll runs on one goroutine, Reply may run beside it.
type Connector struct {
	settings Settings
	base     string
	token    string
	since    time.Time // backfill horizon; zero = 30 days before the first poll
	logger   *slog.Logger
	client   *http.Client
	now      func() time.Time
	refetch  time.Duration

	limitMu     sync.Mutex // held while asking the instance for its limit
	mu          sync.Mutex
	maxChars    int       // from the instance, 0 until known
	limitAsked  time.Time // when the instance was last asked for it
	ownID       string    // the town's account id, "" until known
	roots       map[string]string
	recent      []recentItem
	lastRefetch time.Time
	noMultiGet  bool
}

var _ anliegen.Connector = (*Connector)(nil)

// New returns a connector for channel ch, which must be a Mastodon channel
// with valid settings and a token in Secret.
func New(ch anliegen.Channel, logger *slog.Logger) (*Connector, error) {
	return NewWithOptions(ch, logger, Options{})
}

// Factory builds a channel's connector as a connectors.Factory:
// registry.Register(anliegen.PlatformMastodon, mastodon.Factory).
func Factory(ch anliegen.Channel, logger *slog.Logger) (anliegen.Connector, error) {
	c, err := New(ch, logger)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// NewWithOptions is New with options, for tests and benchmarks.
func NewWithOptions(ch anliegen.Channel, logger *slog.Logger, opts Options) (*Connector, error) {
	if ch.Platform != anliegen.PlatformMastodon {
		return nil, anliegen.Invalid("platform", "is %q, want mastodon", ch.Platform)
	}
	s, err := ParseSettings(ch.Settings)
	if err != nil {
		return nil, err
	}
	if len(ch.Secret) == 0 {
		return nil, anliegen.Invalid("secret", "the access token must not be empty")
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RefetchEvery == 0 {
		opts.RefetchEvery = 10 * time.Minute
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Connector{
		settings: s,
		base:     strings.TrimRight(s.Instance, "/"),
		token:    strings.TrimSpace(string(ch.Secret)),
		since:    ch.BackfillSince,
		logger:   logger.With("channel_id", ch.ID, "platform", "mastodon"),
		client:   opts.Client,
		now:      opts.Now,
		refetch:  opts.RefetchEvery,
		roots:    map[string]string{},
	}, nil
}

// Capabilities reports the instance's limits. Until the first poll or reply
// has asked the instance, MaxReplyLength is the configured or default limit.
func (c *Connector) Capabilities() anliegen.Capabilities {
	c.mu.Lock()
	n := c.maxChars
	c.mu.Unlock()
	if c.settings.MaxChars > 0 {
		n = c.settings.MaxChars
	}
	if n == 0 {
		n = DefaultMaxChars
	}
	return anliegen.Capabilities{MaxReplyLength: n, URLLength: 23, PublicReplies: true,
		DirectMessages: true, ReportsEdits: true, ReportsDeletes: true}
}

// Test checks that token is valid for the instance in settings, for the
// admin UI's "test connection". It returns anliegen.Invalid for bad
// settings and a *anliegen.PlatformError (ErrAuth for a wrong token) when
// the instance refuses.
func Test(ctx context.Context, settings Settings, token string) error {
	if err := settings.Validate(); err != nil {
		return err
	}
	raw, _ := json.Marshal(settings)
	c, err := New(anliegen.Channel{Platform: anliegen.PlatformMastodon, Settings: raw, Secret: []byte(token)}, nil)
	if err != nil {
		return err
	}
	if _, err := c.accountID(ctx); err != nil {
		return fmt.Errorf("verify credentials: %w", err)
	}
	return nil
}

// accountID returns the town's account id, asking the instance once.
func (c *Connector) accountID(ctx context.Context) (string, error) {
	c.mu.Lock()
	id := c.ownID
	c.mu.Unlock()
	if id != "" {
		return id, nil
	}
	var acc account
	if _, err := c.get(ctx, "/api/v1/accounts/verify_credentials", nil, &acc); err != nil {
		return "", err
	}
	if acc.ID == "" {
		return "", &anliegen.PlatformError{Kind: anliegen.ErrTemporary, Err: fmt.Errorf("verify_credentials returned no account id")}
	}
	c.mu.Lock()
	c.ownID = acc.ID
	c.mu.Unlock()
	return acc.ID, nil
}

// limit returns the status length limit: the setting, else the
// instance's configuration (v2, then v1; DefaultMaxChars when it names
// none). It returns 0 when the instance could not be asked: the instance
// then checks the length itself, and a reply is never refused against a
// guessed limit.
func (c *Connector) limit(ctx context.Context) int {
	if c.settings.MaxChars > 0 {
		return c.settings.MaxChars
	}
	// One caller asks the instance; the others wait for its answer rather
	// than check a reply against nothing in the meantime.
	c.limitMu.Lock()
	defer c.limitMu.Unlock()
	c.mu.Lock()
	n, asked := c.maxChars, c.limitAsked
	c.mu.Unlock()
	if n > 0 {
		return n
	}
	if c.now().Sub(asked) < limitRetry {
		return 0 // asked moments ago and failed: do not ask on every poll
	}
	c.mu.Lock()
	c.limitAsked = c.now()
	c.mu.Unlock()
	var inst struct {
		Configuration struct {
			Statuses struct {
				MaxCharacters int `json:"max_characters"`
			} `json:"statuses"`
		} `json:"configuration"`
		MaxTootChars int `json:"max_toot_chars"` // Pleroma, old forks
	}
	answered := false
	for _, path := range []string{"/api/v2/instance", "/api/v1/instance"} {
		if _, err := c.get(ctx, path, nil, &inst); err != nil {
			continue
		}
		answered = true
		if n = max(inst.Configuration.Statuses.MaxCharacters, inst.MaxTootChars); n > 0 {
			break
		}
	}
	if !answered {
		return 0
	}
	if n <= 0 {
		n = DefaultMaxChars
	}
	c.mu.Lock()
	c.maxChars = n
	c.mu.Unlock()
	return n
}
