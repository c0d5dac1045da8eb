package anliegen

import (
	"context"
	"encoding/json"
	"strconv"
	"time"
)

// Channel is one platform account the town is on, such as the town's
// Mastodon account or its citizen-service mailbox.
type Channel struct {
	ID       int64    `json:"id"`
	Platform Platform `json:"platform"`
	Name     string   `json:"name"`    // shown to staff, e.g. "Mastodon @stadt"
	Account  string   `json:"account"` // the town's handle or address on the platform
	// Settings holds the connector's non-secret configuration (instance URL,
	// IMAP host, poll interval, ...) as the connector defines it.
	Settings json.RawMessage `json:"settings,omitempty"`
	// Secret holds credentials. It is write-only: never logged, never
	// returned by a list or API call.
	Secret       []byte        `json:"-"`
	Enabled      bool          `json:"enabled"`
	PollInterval time.Duration `json:"poll_interval"`
	Cursor       string        `json:"-"` // opaque, owned by the connector
	// BackfillSince is how far back history is fetched when the channel is
	// added; zero means the default (30 days).
	BackfillSince time.Time     `json:"backfill_since,omitzero"`
	Health        ChannelHealth `json:"health"`
	CreatedAt     time.Time     `json:"created_at"`
}

// ChannelState summarizes a channel's health.
type ChannelState string

// Channel states.
const (
	ChannelOK         ChannelState = "ok"
	ChannelFailing    ChannelState = "failing"      // retrying with backoff
	ChannelRateLimit  ChannelState = "rate_limited" // waiting for the platform's reset
	ChannelAuthFailed ChannelState = "auth_failed"  // stopped until an admin fixes credentials
	ChannelDisabled   ChannelState = "disabled"
)

// ChannelHealth is what the poller last learnt about a channel, so a silent
// feed is visible in the UI and in metrics.
type ChannelHealth struct {
	State               ChannelState `json:"state"`
	LastPollAt          *time.Time   `json:"last_poll_at,omitempty"`
	LastSuccessAt       *time.Time   `json:"last_success_at,omitempty"`
	LastError           string       `json:"last_error,omitempty"`
	ConsecutiveFailures int          `json:"consecutive_failures"`
	NextPollAt          *time.Time   `json:"next_poll_at,omitempty"`
	ItemsTotal          int64        `json:"items_total"`
}

// Author is who wrote an item, as the platform names them.
type Author struct {
	// ExternalID is the platform's stable user id (account id, DID,
	// lower-cased mail address). Handles change; this does not.
	ExternalID string `json:"external_id"`
	Handle     string `json:"handle"`
	Name       string `json:"name"`
}

// Item is what a connector hands to the store: one message as the platform
// reported it. The store turns items into messages, contacts and tickets.
type Item struct {
	ExternalID string `json:"external_id"` // unique within the channel
	Kind       Kind   `json:"kind"`
	// ThreadID groups items: the conversation id for direct messages, the
	// id of the town's post for comments, the root Message-ID for mail.
	ThreadID string `json:"thread_id"`
	// ParentID is the item this one answers (in_reply_to, In-Reply-To).
	ParentID string `json:"parent_id,omitempty"`
	// References lists further ancestors, oldest first (mail References).
	References []string `json:"references,omitempty"`
	Author     Author   `json:"author"`
	Subject    string   `json:"subject,omitempty"`
	Text       string   `json:"text"`
	// HTML is the platform's markup if it sent any. The store sanitizes it
	// again before saving (invariant 6); connectors need not trust it.
	HTML        string       `json:"html,omitempty"`
	URL         string       `json:"url,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	CreatedAt   time.Time    `json:"created_at"`
	EditedAt    *time.Time   `json:"edited_at,omitempty"`
	Deleted     bool         `json:"deleted,omitempty"`
	// AutoReply marks auto-generated or bulk mail: stored, never answered.
	AutoReply bool `json:"auto_reply,omitempty"`
	// FromUs marks the town's own messages seen in a feed (own DMs on X, a
	// reply sent from the platform's own app). They are stored as outbound.
	FromUs bool   `json:"from_us,omitempty"`
	Lang   string `json:"lang,omitempty"`
}

// Validate reports the first invalid field of an item from a connector.
func (it *Item) Validate() error {
	switch {
	case it.ExternalID == "":
		return Invalid("external_id", "must not be empty")
	case !it.Kind.Valid():
		return Invalid("kind", "unknown kind %q", it.Kind)
	case it.Author.ExternalID == "" && !it.FromUs:
		return Invalid("author.external_id", "must not be empty")
	case it.CreatedAt.IsZero():
		return Invalid("created_at", "must be set")
	}
	return nil
}

// IngestResult says what an Ingest call changed.
type IngestResult struct {
	Created   int // new messages stored
	Updated   int // edits and deletes applied
	Unchanged int // duplicates absorbed
	Skipped   int // invalid items left out (logged), see Item.Validate
	Tickets   int // new tickets started
	LastEvent int64
}

// Ingester stores what a connector fetched. Items and the new cursor are
// written in one transaction (invariant 1): either all of it is stored and
// the cursor advanced, or nothing is.
type Ingester interface {
	Ingest(ctx context.Context, channelID int64, items []Item, cursor string) (IngestResult, error)
}

// OutboundMessage is a reply waiting to be sent to a platform.
type OutboundMessage struct {
	ID        int64 // the stored message's ID, also the idempotency key
	TicketID  int64
	ChannelID int64
	Kind      Kind   // of the ticket: a DM is answered privately
	Text      string // plain text as staff wrote it
	// InReplyTo is the external id of the citizen's message being answered;
	// References its ancestors, oldest first (mail).
	InReplyTo  string
	References []string
	ThreadID   string
	Subject    string // mail
	// Recipient is the citizen's platform identity.
	Recipient Author
	Attempts  int
}

// IdempotencyKey is the key sent to platforms that honour one, stable across
// retries and restarts.
func (m *OutboundMessage) IdempotencyKey() string {
	return "anliegen-out-" + strconv.FormatInt(m.ID, 10)
}

// Capabilities says what a platform allows; the API checks replies against
// it and the UI shows the counter.
type Capabilities struct {
	MaxReplyLength int  `json:"max_reply_length"` // in the platform's unit (chars, graphemes); 0 = none
	PublicReplies  bool `json:"public_replies"`
	DirectMessages bool `json:"direct_messages"`
	ReportsEdits   bool `json:"reports_edits"`
	ReportsDeletes bool `json:"reports_deletes"`
	// URLLength is the fixed length a URL counts for (Mastodon 23); 0 = as written.
	URLLength int `json:"url_length,omitempty"`
}
