// Package anliegen holds the vocabulary of the Anliegen citizen-inquiry inbox:
// the domain types, the error codes and the pure rules (routing, permissions)
// that storage, connectors and server agree on. It imports only the standard
// library; every other package points inward to it.
package anliegen

import "time"

// Platform names a source of citizen messages. The values are stable: they
// are stored in the database and used in URLs and configuration.
type Platform string

// Platforms Anliegen knows. Import and webform are not polled; they arrive by
// import or by the web form endpoint.
const (
	PlatformFacebook  Platform = "facebook"
	PlatformInstagram Platform = "instagram"
	PlatformX         Platform = "x"
	PlatformMastodon  Platform = "mastodon"
	PlatformBluesky   Platform = "bluesky"
	PlatformTelegram  Platform = "telegram"
	PlatformWhatsApp  Platform = "whatsapp"
	PlatformEmail     Platform = "email"
	PlatformWebform   Platform = "webform"
	PlatformYouTube   Platform = "youtube"
)

// Valid reports whether p is a known platform.
func (p Platform) Valid() bool {
	switch p {
	case PlatformFacebook, PlatformInstagram, PlatformX, PlatformMastodon, PlatformBluesky,
		PlatformTelegram, PlatformWhatsApp, PlatformEmail, PlatformWebform, PlatformYouTube:
		return true
	}
	return false
}

// Kind says how a citizen wrote: publicly, privately or by mail. It decides
// threading (see Item) and whether a public answer may contain personal data.
type Kind string

// Kinds of inbound messages.
const (
	KindComment Kind = "comment" // public comment or reply under a post
	KindDM      Kind = "dm"      // direct message; always for WhatsApp and Telegram
	KindMail    Kind = "mail"    // e-mail or web form
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindComment || k == KindDM || k == KindMail }

// Status is where a ticket stands in its life.
type Status string

// Ticket statuses, in their usual order.
const (
	StatusNew      Status = "new"
	StatusOpen     Status = "open"
	StatusWaiting  Status = "waiting" // waiting for the citizen or another office
	StatusResolved Status = "resolved"
	StatusClosed   Status = "closed"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusNew, StatusOpen, StatusWaiting, StatusResolved, StatusClosed:
		return true
	}
	return false
}

// Done reports whether a ticket in status s needs no more work.
func (s Status) Done() bool { return s == StatusResolved || s == StatusClosed }

// Priority orders work. Urgent means danger to people.
type Priority string

// Priorities, lowest first.
const (
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// Valid reports whether p is a known priority.
func (p Priority) Valid() bool {
	switch p {
	case PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent:
		return true
	}
	return false
}

// Rank orders priorities: a higher rank is more pressing; unknown is 0.
func (p Priority) Rank() int {
	switch p {
	case PriorityLow:
		return 1
	case PriorityNormal:
		return 2
	case PriorityHigh:
		return 3
	case PriorityUrgent:
		return 4
	}
	return 0
}

// Direction says who wrote a message.
type Direction string

// Message directions.
const (
	DirectionIn   Direction = "in"   // from the citizen
	DirectionOut  Direction = "out"  // a reply from staff, sent to the platform
	DirectionNote Direction = "note" // an internal note, never leaves Anliegen
)

// DeliveryState is where an outbound message stands (invariant 4).
type DeliveryState string

// Delivery states of outbound messages.
const (
	DeliveryPending DeliveryState = "pending"
	DeliverySent    DeliveryState = "sent"
	DeliveryFailed  DeliveryState = "failed"
)

// ReopenWindow is how long after resolution a new direct message reopens the
// old ticket instead of starting a new one.
const ReopenWindow = 14 * 24 * time.Hour
