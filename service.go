package anliegen

import (
	"context"
	"time"
)

// The service interfaces below are implemented by storage (and
// storage/search) and consumed by server, connectors and cmd. Methods return
// *Error with the codes named in their docs; anything else is internal.

// Scope is the set of departments a caller may see, from DepartmentScope.
// Every list and search takes one so that no query forgets the permission
// filter (invariant 5). The zero Scope sees nothing.
type Scope struct {
	All         bool     `json:"all"`
	Departments []string `json:"departments,omitempty"`
}

// ScopeOf returns u's scope.
func ScopeOf(u *User) Scope {
	d, all := DepartmentScope(u)
	return Scope{All: all, Departments: d}
}

// ScopeAll sees everything: for the system and command-line tools.
var ScopeAll = Scope{All: true}

// Allows reports whether the scope includes a ticket of department dept.
func (s Scope) Allows(dept string) bool {
	if s.All {
		return true
	}
	for _, d := range s.Departments {
		if d == dept && dept != "" {
			return true
		}
	}
	return false
}

// TicketFilter selects tickets. Zero fields do not filter.
type TicketFilter struct {
	Scope       Scope
	Statuses    []Status
	Departments []string
	Priorities  []Priority
	Platforms   []Platform
	ChannelIDs  []int64
	Tags        []string // all must be present
	AssigneeID  int64    // "mine" is the caller's ID
	Unassigned  bool
	ContactID   int64
	CreatedFrom time.Time
	CreatedTo   time.Time
	UpdatedFrom time.Time
	UpdatedTo   time.Time
	// Sort is "created_desc" (default), "created_asc", "updated_desc" or
	// "priority" (most pressing first, then oldest).
	Sort string
	// Cursor continues a previous page; it stays valid under inserts.
	Cursor string
	Limit  int // 1..100, default 50
	// ViewerID is the user the list is for; when not 0 each Ticket's
	// Unread says whether that user has unread citizen messages in it. It
	// does not filter.
	ViewerID int64
}

// TicketPage is one page of tickets; Next is "" on the last page.
type TicketPage struct {
	Items []Ticket `json:"items"`
	Next  string   `json:"next"`
}

// TicketDetail is a ticket with everything the ticket view shows.
type TicketDetail struct {
	Ticket
	Messages []Message `json:"messages"`
	Events   []Event   `json:"events"`
	Contact  *Contact  `json:"contact,omitempty"`
}

// TicketUpdate changes a ticket; nil fields stay as they are. Version, when
// not 0, must equal the ticket's current version (else EConflict).
type TicketUpdate struct {
	Status     *Status   `json:"status,omitempty"`
	Priority   *Priority `json:"priority,omitempty"`
	Department *string   `json:"department,omitempty"`
	AssigneeID *int64    `json:"assignee_id,omitempty"` // 0 unassigns
	Tags       *[]string `json:"tags,omitempty"`
	Version    int64     `json:"version,omitempty"`
	// Note is an optional internal note stored with the change (e.g. a
	// department sending a ticket back to the front office says why).
	Note string `json:"note,omitempty"`
}

// TicketService reads and changes tickets. Every change writes an event
// with the acting user (invariant 2).
type TicketService interface {
	// ListTickets returns a page; EInvalid for a bad cursor or filter.
	ListTickets(ctx context.Context, f TicketFilter) (TicketPage, error)
	// Ticket returns one ticket; ENotFound.
	Ticket(ctx context.Context, id int64) (Ticket, error)
	// TicketDetail returns a ticket with messages, events and contact; ENotFound.
	TicketDetail(ctx context.Context, id int64) (TicketDetail, error)
	// UpdateTicket applies u; ENotFound, EInvalid, EConflict (stale version).
	UpdateTicket(ctx context.Context, id, actorID int64, u TicketUpdate) (Ticket, error)
	// MergeTickets moves the messages of from into into and closes from;
	// ENotFound, EInvalid (same ticket, different channel kinds).
	MergeTickets(ctx context.Context, from, into, actorID int64) (Ticket, error)
	// AddNote stores an internal note; ENotFound, EInvalid (empty text).
	AddNote(ctx context.Context, ticketID, actorID int64, text string) (Message, error)
	// CreateReply stores a pending outbound message for the sender
	// (invariant 4); ENotFound, EInvalid.
	CreateReply(ctx context.Context, ticketID, actorID int64, text string) (Message, error)
	// RetryReply sets a failed reply pending again; ENotFound, EConflict
	// when it is not failed.
	RetryReply(ctx context.Context, messageID, actorID int64) (Message, error)
	// Contact returns a contact with identities and all their tickets; ENotFound.
	Contact(ctx context.Context, id int64) (Contact, []Ticket, error)
}

// EventService reads the events log.
type EventService interface {
	// EventsAfter returns up to limit events with ID > after, in ID order.
	EventsAfter(ctx context.Context, after int64, limit int) ([]Event, error)
	// LastEventID returns the highest event ID, 0 when there is none.
	LastEventID(ctx context.Context) (int64, error)
}

// Session is a logged-in browser. Token is only set when the session is
// created; the store keeps a hash of it.
type Session struct {
	Token     string    `json:"-"`
	UserID    int64     `json:"user_id"`
	CSRFToken string    `json:"csrf_token"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// UserService manages staff accounts and their sessions. Passwords are
// hashed with argon2id by the implementation and never returned.
type UserService interface {
	// CreateUser stores u with password; EInvalid, EConflict (login taken).
	CreateUser(ctx context.Context, u *User, password string) error
	// Authenticate returns the user for login and password; EUnauthorized
	// for an unknown login, a wrong password or a disabled user alike.
	Authenticate(ctx context.Context, login, password string) (User, error)
	User(ctx context.Context, id int64) (User, error)                     // ENotFound
	UserByLogin(ctx context.Context, login string) (User, error)          // ENotFound
	Users(ctx context.Context) ([]User, error)                            // by login
	UpdateUser(ctx context.Context, u *User) error                        // ENotFound, EInvalid
	SetPassword(ctx context.Context, userID int64, password string) error // revokes all sessions
	CountUsers(ctx context.Context) (int, error)

	// CreateSession starts a session valid for ttl.
	CreateSession(ctx context.Context, userID int64, ttl time.Duration) (Session, error)
	// SessionUser returns the session and user for token; EUnauthorized if
	// unknown, expired, revoked or the user is disabled.
	SessionUser(ctx context.Context, token string) (Session, User, error)
	// DeleteSession revokes one session.
	DeleteSession(ctx context.Context, token string) error
}

// CannedAnswer is a reusable reply text. Placeholders such as {name} are
// filled by the UI; Department "" makes it global.
type CannedAnswer struct {
	ID         int64  `json:"id"`
	Title      string `json:"title"`
	Shortcut   string `json:"shortcut"` // typed after "/" in the composer
	Text       string `json:"text"`
	Department string `json:"department"`
}

// AdminService manages departments, routing rules and canned answers. Each
// method returns ENotFound, EInvalid or EConflict as apt.
type AdminService interface {
	Departments(ctx context.Context) ([]Department, error)
	CreateDepartment(ctx context.Context, d *Department) error
	UpdateDepartment(ctx context.Context, d *Department) error
	DeleteDepartment(ctx context.Context, id string) error

	Rules(ctx context.Context) ([]Rule, error) // by position
	CreateRule(ctx context.Context, r *Rule) error
	UpdateRule(ctx context.Context, r *Rule) error
	DeleteRule(ctx context.Context, id int64) error

	CannedAnswers(ctx context.Context, scope Scope) ([]CannedAnswer, error)
	CreateCannedAnswer(ctx context.Context, a *CannedAnswer) error
	UpdateCannedAnswer(ctx context.Context, a *CannedAnswer) error
	DeleteCannedAnswer(ctx context.Context, id int64) error
}

// ChannelService manages channels. Channels returned here carry Secret and
// Cursor for the runtime; the API must not serialize Secret (it has no JSON
// name).
type ChannelService interface {
	Channels(ctx context.Context) ([]Channel, error)
	Channel(ctx context.Context, id int64) (Channel, error) // ENotFound
	CreateChannel(ctx context.Context, ch *Channel) error   // EInvalid
	UpdateChannel(ctx context.Context, ch *Channel) error   // name, settings, secret, enabled, interval
	DeleteChannel(ctx context.Context, id int64) error
	// SetChannelHealth records a poll outcome and writes a channel.health
	// event when the state changed or on failure.
	SetChannelHealth(ctx context.Context, id int64, h ChannelHealth) error
}

// OutboundService is the outbound queue the sender works off (invariant 4).
type OutboundService interface {
	// ClaimOutbound returns up to limit pending replies due at now and leases
	// them until now+lease (Attempts incremented), so that two senders never
	// send one reply and a crash retries after the lease.
	ClaimOutbound(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]OutboundMessage, error)
	// MarkSent records the platform's id; writes reply.sent.
	MarkSent(ctx context.Context, id int64, externalID string, at time.Time) error
	// MarkFailed records err; retryAt nil means permanent. Writes reply.failed.
	MarkFailed(ctx context.Context, id int64, errMsg string, retryAt *time.Time) error
}

// SearchQuery is a full-text query with filters. Scope is mandatory.
type SearchQuery struct {
	Q           string
	Scope       Scope
	Departments []string
	Platforms   []Platform
	Statuses    []Status
	Tags        []string
	From, To    time.Time
	Limit       int // default 20, at most 100
	Offset      int
}

// SearchHit is one matching message.
type SearchHit struct {
	TicketID   int64     `json:"ticket_id"`
	MessageID  int64     `json:"message_id"`
	Number     string    `json:"number"`
	Platform   Platform  `json:"platform"`
	ExternalID string    `json:"external_id"`
	Department string    `json:"department"`
	Status     Status    `json:"status"`
	Direction  Direction `json:"direction"`
	Score      float64   `json:"score"`
	// Snippet is HTML: the text escaped, matches wrapped in <mark>.
	Snippet   string    `json:"snippet"`
	CreatedAt time.Time `json:"created_at"`
}

// FacetCount is one value of a facet and how many hits carry it.
type FacetCount struct {
	Term  string `json:"term"`
	Count int    `json:"count"`
}

// SearchResult is a page of hits with facet counts over all hits.
type SearchResult struct {
	Hits   []SearchHit             `json:"hits"`
	Total  uint64                  `json:"total"`
	Facets map[string][]FacetCount `json:"facets"` // department, platform, status, tag, month
}

// SimilarTicket is a past resolved ticket like a given one, with its answer.
type SimilarTicket struct {
	TicketID int64   `json:"ticket_id"`
	Number   string  `json:"number"`
	Question string  `json:"question"`
	Answer   string  `json:"answer"`
	Score    float64 `json:"score"`
}

// Searcher searches the index. Results never include a ticket outside the
// query's scope.
type Searcher interface {
	// Search returns hits; EInvalid for an empty or malformed query.
	Search(ctx context.Context, q SearchQuery) (SearchResult, error)
	// Similar returns resolved tickets whose question is most like text.
	Similar(ctx context.Context, text string, scope Scope, excludeTicket int64, limit int) ([]SimilarTicket, error)
}

// IndexDoc is what the search index holds of one message, with the ticket
// fields that search filters and facets on. Storage produces them, the
// indexer in storage/search consumes them.
type IndexDoc struct {
	MessageID  int64
	TicketID   int64
	Number     string
	ChannelID  int64
	Platform   Platform
	Kind       Kind
	ExternalID string
	Direction  Direction
	Department string
	Status     Status
	Priority   Priority
	Tags       []string
	Author     string
	Subject    string
	Text       string
	CreatedAt  time.Time
}

// IndexSource is what the indexer reads from the store: the events log, and
// the current documents of tickets that events name.
type IndexSource interface {
	EventService
	// IndexDocs returns the current documents of every non-deleted message
	// (in, out; not notes) of the given tickets. A ticket that no longer
	// exists or was merged away yields no documents.
	IndexDocs(ctx context.Context, ticketIDs []int64) ([]IndexDoc, error)
	// ScanIndexDocs returns the documents of up to limit tickets with ID >
	// afterTicket, in ticket order, and the last ticket ID it covered (0
	// when done). A rebuild walks the store with it.
	ScanIndexDocs(ctx context.Context, afterTicket int64, limit int) ([]IndexDoc, int64, error)
}
