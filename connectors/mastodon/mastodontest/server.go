// Package mastodontest is an in-memory Mastodon (or GoToSocial) instance
// served over HTTP, for connector tests and the demo's citizen simulator. It
// reproduces the behaviours PLATFORMS.md lists: newest-first pages under
// min_id, "[]" without Link, ISO 8601 rate-limit resets, 429 without
// Retry-After, Idempotency-Key replay, 404 for deleted statuses, edits that
// keep the id, 422 for too-long statuses, and the GoToSocial variants.
package mastodontest

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Options configures a Server. Zero fields take the defaults named.
type Options struct {
	// Now is the server's clock; default time.Now. Tests share one fake clock
	// between the server and the code under test so that rate-limit resets
	// pass without real waiting.
	Now func() time.Time
	// GoToSocial switches to GoToSocial behaviour: ULID ids, no
	// Idempotency-Key, 429 body "rate limit reached", a limit per IP and
	// 5000 characters.
	GoToSocial bool
	// Domain is the instance's domain; default "social.example".
	Domain string
	// TownUsername and TownToken name the town's account; default "stadt"
	// and "town-token".
	TownUsername string
	TownToken    string
	// MaxChars is the status length limit; default 500 (5000 GoToSocial).
	MaxChars int
	// RateLimit is the request budget per token (per IP for GoToSocial) and
	// RateWindow its window; default 300 per 5 minutes.
	RateLimit  int
	RateWindow time.Duration
	// Seed makes ids reproducible; 0 picks 1.
	Seed uint64
}

// Account is an account on the instance. Token authenticates as it.
type Account struct {
	ID          string
	Username    string
	Acct        string // username for local accounts, user@domain for remote ones
	DisplayName string
	Token       string
}

// Media is an attachment of a status.
type Media struct {
	ID          string
	Type        string // image, video, gifv, audio, unknown
	URL         string
	Description string
}

// Status is a snapshot of a status on the instance.
type Status struct {
	ID                 string
	Account            Account
	Text               string // as written
	Content            string // rendered HTML as the API serves it
	InReplyToID        string
	InReplyToAccountID string
	Visibility         string
	SpoilerText        string
	Language           string
	Mentions           []string // account ids
	Media              []Media
	CreatedAt          time.Time
	EditedAt           *time.Time
	Deleted            bool
	IdempotencyKey     string
}

// Request is one request the server saw, for assertions.
type Request struct {
	At     time.Time
	Method string
	Path   string
	Query  string
	Status int
}

type notification struct {
	id        string
	typ       string
	createdAt time.Time
	from      *Account
	status    *Status
}

type idemEntry struct {
	statusID string
	at       time.Time
}

type bucket struct {
	start time.Time
	used  int
}

// Server is the fake instance. All methods are safe for concurrent use.
type Server struct {
	// URL is the base URL, such as http://127.0.0.1:1234.
	URL string

	opts Options
	http *httptest.Server

	mu            sync.Mutex
	rnd           *rand.Rand
	lastID        string
	accounts      map[string]*Account // by id
	byToken       map[string]*Account
	town          *Account
	statuses      []*Status // creation order
	byID          map[string]*Status
	notifications map[string][]*notification // by account id, oldest first
	idem          map[string]idemEntry       // account id + " " + key
	buckets       map[string]*bucket
	faults        []Fault
	corrupt       map[string]bool
	requests      []Request
	afterCreate   func(Status)
}

// New starts a fake instance on a local port. Call Close when done.
func New(opts Options) *Server {
	s := NewUnstarted(opts)
	s.http = httptest.NewServer(s.Handler())
	s.URL = s.http.URL
	return s
}

// NewUnstarted returns a fake instance that serves nothing until its
// Handler is mounted, for the demo which runs it on its own listener.
func NewUnstarted(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Domain == "" {
		opts.Domain = "social.example"
	}
	if opts.TownUsername == "" {
		opts.TownUsername = "stadt"
	}
	if opts.TownToken == "" {
		opts.TownToken = "town-token"
	}
	if opts.MaxChars == 0 {
		opts.MaxChars = 500
		if opts.GoToSocial {
			opts.MaxChars = 5000
		}
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = 300
	}
	if opts.RateWindow == 0 {
		opts.RateWindow = 5 * time.Minute
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	s := &Server{
		opts:          opts,
		rnd:           rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		accounts:      map[string]*Account{},
		byToken:       map[string]*Account{},
		byID:          map[string]*Status{},
		notifications: map[string][]*notification{},
		idem:          map[string]idemEntry{},
		buckets:       map[string]*bucket{},
		corrupt:       map[string]bool{},
	}
	s.town = s.addAccount(opts.TownUsername, "Stadt Musterstadt", opts.TownToken)
	return s
}

// Close shuts the server down.
func (s *Server) Close() {
	if s.http != nil {
		s.http.Close()
	}
}

// Town returns the town's account.
func (s *Server) Town() Account { return *s.town }

// AddAccount creates an account. A handle with a domain ("fredi@nordlicht.social")
// makes a remote account; its token is derived from the handle.
func (s *Server) AddAccount(handle, displayName string) Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	handle = strings.TrimPrefix(handle, "@")
	if a := s.findAcct(handle); a != nil {
		return *a
	}
	return *s.addAccount(handle, displayName, "token-"+handle)
}

func (s *Server) addAccount(handle, displayName, token string) *Account {
	username, domain, _ := strings.Cut(handle, "@")
	acct := username
	if domain != "" && domain != s.opts.Domain {
		acct = username + "@" + domain
	}
	a := &Account{ID: s.newID(), Username: username, Acct: acct, DisplayName: displayName, Token: token}
	s.accounts[a.ID] = a
	s.byToken[token] = a
	return a
}

func (s *Server) findAcct(acct string) *Account {
	acct = strings.TrimPrefix(acct, "@")
	if u, d, ok := strings.Cut(acct, "@"); ok && d == s.opts.Domain {
		acct = u
	}
	for _, a := range s.accounts {
		if strings.EqualFold(a.Acct, acct) {
			return a
		}
	}
	return nil
}

// Handler returns the HTTP handler of the API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/instance", s.handleInstanceV1)
	mux.HandleFunc("GET /api/v2/instance", s.handleInstanceV2)
	mux.HandleFunc("GET /api/v1/accounts/verify_credentials", s.authed(s.handleVerify))
	mux.HandleFunc("GET /api/v1/accounts/{id}/statuses", s.authed(s.handleAccountStatuses))
	mux.HandleFunc("GET /api/v1/notifications", s.authed(s.handleNotifications))
	mux.HandleFunc("GET /api/v1/statuses", s.authed(s.handleStatusesMulti))
	mux.HandleFunc("GET /api/v1/statuses/{id}", s.authed(s.handleStatus))
	mux.HandleFunc("GET /api/v1/statuses/{id}/context", s.authed(s.handleContext))
	mux.HandleFunc("POST /api/v1/statuses", s.authed(s.handlePost))
	mux.HandleFunc("PUT /api/v1/statuses/{id}", s.authed(s.handleEdit))
	mux.HandleFunc("DELETE /api/v1/statuses/{id}", s.authed(s.handleDelete))
	return s.logged(s.faulty(mux))
}

// Requests returns every request seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// AfterCreate sets a hook called after a status is created through the API
// and before the response is written, so a test can "crash" the client in
// between. nil removes it.
func (s *Server) AfterCreate(f func(Status)) {
	s.mu.Lock()
	s.afterCreate = f
	s.mu.Unlock()
}
