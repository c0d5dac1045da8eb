package anliegen

import (
	"encoding/json"
	"time"
)

// Ticket is one citizen's concern: a direct-message conversation, one
// citizen's comments under one post, or one e-mail thread.
type Ticket struct {
	ID         int64     `json:"id"`
	Number     string    `json:"number"` // for humans and phone calls, e.g. "A-2026-000123"
	Status     Status    `json:"status"`
	Priority   Priority  `json:"priority"`
	Department string    `json:"department"` // department ID, "" while unrouted
	AssigneeID int64     `json:"assignee_id,omitempty"`
	Assignee   string    `json:"assignee"` // login of the assignee, "" when unassigned
	Tags       []string  `json:"tags"`
	ChannelID  int64     `json:"channel_id"`
	Platform   Platform  `json:"platform"`
	Kind       Kind      `json:"kind"`
	ContactID  int64     `json:"contact_id"`
	Subject    string    `json:"subject,omitempty"` // mail subject, or the start of the first message
	Preview    string    `json:"preview"`           // start of the latest inbound text
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	// FirstResponseAt is the time of the first reply sent; nil before.
	FirstResponseAt *time.Time `json:"first_response_at,omitempty"`
	ResolvedAt      *time.Time `json:"resolved_at,omitempty"`
	// Version increases with each update; an update that names an older
	// version is a conflict (stale write).
	Version int64 `json:"version"`
	// MergedInto is the ticket this one was merged into, 0 if none.
	MergedInto int64 `json:"merged_into,omitempty"`
	// Unread is set in lists for TicketFilter.ViewerID: the ticket has a
	// citizen message the viewer has not marked read (see ReadMarker).
	Unread bool `json:"unread,omitempty"`
}

// Message is one message in a ticket: inbound from a citizen, an outbound
// reply, or an internal note.
type Message struct {
	ID          int64        `json:"id"`
	TicketID    int64        `json:"ticket_id"`
	ChannelID   int64        `json:"channel_id"`
	Direction   Direction    `json:"direction"`
	ExternalID  string       `json:"external_id"` // platform id; "" for notes and unsent replies
	ParentID    string       `json:"parent_id,omitempty"`
	Author      string       `json:"author"`               // display name or handle as the platform shows it
	AuthorID    int64        `json:"author_id,omitempty"`  // user ID for out/note
	ContactID   int64        `json:"contact_id,omitempty"` // for in
	Subject     string       `json:"subject,omitempty"`    // mail
	Text        string       `json:"text"`                 // plain text
	HTML        string       `json:"html"`                 // sanitized HTML, "" when the platform sent none
	URL         string       `json:"url,omitempty"`        // permalink on the platform
	Attachments []Attachment `json:"attachments,omitempty"`
	Edited      bool         `json:"edited"`
	Deleted     bool         `json:"deleted"`
	AutoReply   bool         `json:"auto_reply,omitempty"` // auto-generated or bulk; never answered automatically
	CreatedAt   time.Time    `json:"created_at"`
	// Outbound only.
	DeliveryState DeliveryState `json:"delivery_state,omitempty"`
	Error         string        `json:"error,omitempty"`
	Attempts      int           `json:"attempts,omitempty"`
	NextAttemptAt *time.Time    `json:"next_attempt_at,omitempty"`
	SentAt        *time.Time    `json:"sent_at,omitempty"`
}

// Attachment describes a file or media item. Anliegen keeps metadata and a
// link; bodies are kept only for mail and only up to a size limit.
type Attachment struct {
	Name     string `json:"name"`
	MIMEType string `json:"mime_type,omitempty"`
	Size     int64  `json:"size,omitempty"`
	URL      string `json:"url,omitempty"`
}

// Contact is one citizen as Anliegen knows them. A contact has one Identity
// per platform account it was seen with.
type Contact struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Identities []Identity `json:"identities,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

// Identity is a citizen's account on one platform, keyed by (platform,
// external user id): handles and display names change, the id does not.
type Identity struct {
	ID         int64    `json:"id"`
	ContactID  int64    `json:"contact_id"`
	Platform   Platform `json:"platform"`
	ExternalID string   `json:"external_id"` // platform user id; lower-cased address for mail
	Handle     string   `json:"handle"`
	Name       string   `json:"name"`
}

// Department is an organisational unit that tickets are routed to.
type Department struct {
	ID   string `json:"id"` // stable slug such as "abfall"
	Name string `json:"name"`
	// Email and other contact data could follow; kept small on purpose.
}

// Validate reports the first invalid field of d.
func (d *Department) Validate() error {
	if !validSlug(d.ID) {
		return Invalid("id", "must be 1-40 lower-case letters, digits or dashes")
	}
	if d.Name == "" {
		return Invalid("name", "must not be empty")
	}
	return nil
}

func validSlug(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// EventType names a change in the events log (invariant 2).
type EventType string

// Event types. The websocket stream forwards them as they are.
const (
	EventTicketCreated  EventType = "ticket.created"
	EventTicketUpdated  EventType = "ticket.updated" // status, priority, routing, assignee, tags, merge
	EventMessageCreated EventType = "message.created"
	EventMessageUpdated EventType = "message.updated" // edited or deleted on the platform
	EventReplySent      EventType = "reply.sent"
	EventReplyFailed    EventType = "reply.failed"
	EventChannelHealth  EventType = "channel.health"
	EventPresence       EventType = "presence" // never stored; the hub makes these
)

// Event is one row of the append-only events log. IDs are ordered: a
// reader that has seen ID n has seen everything before it.
type Event struct {
	ID        int64     `json:"id"`
	Type      EventType `json:"type"`
	TicketID  int64     `json:"ticket_id,omitempty"`
	MessageID int64     `json:"message_id,omitempty"`
	ChannelID int64     `json:"channel_id,omitempty"`
	// Department is the ticket's department after the change; the permission
	// check of websocket subscribers uses it without a database read.
	Department string `json:"department,omitempty"`
	// PrevDepartment is set when a ticket was routed away, so that the old
	// department learns it lost the ticket.
	PrevDepartment string          `json:"prev_department,omitempty"`
	ActorID        int64           `json:"actor_id,omitempty"` // user ID, 0 for the system
	Data           json.RawMessage `json:"data,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
}
