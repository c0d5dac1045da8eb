package anliegen

import (
	"context"
	"time"
)

// TicketStats are the figures of the statistics page for tickets created
// in [From, To) within a scope.
type TicketStats struct {
	From         time.Time      `json:"from"`
	To           time.Time      `json:"to"`
	Total        int            `json:"total"`
	ByDay        []DayCount     `json:"by_day"`        // days with tickets, ascending, UTC
	ByPlatform   []FacetCount   `json:"by_platform"`   // most first
	ByChannel    []ChannelCount `json:"by_channel"`    // most first
	ByDepartment []FacetCount   `json:"by_department"` // most first; Term "" is unrouted
	// FirstResponse is the time from creation to the first reply sent, over
	// tickets that got one; Resolution from creation to resolution.
	FirstResponse DurationStats `json:"first_response"`
	Resolution    DurationStats `json:"resolution"`
}

// DayCount is the number of tickets created on one day.
type DayCount struct {
	Day   string `json:"day"` // "2026-11-25"
	Count int    `json:"count"`
}

// ChannelCount is the number of tickets that came in through one channel.
type ChannelCount struct {
	ChannelID int64    `json:"channel_id"`
	Name      string   `json:"name"`
	Platform  Platform `json:"platform"`
	Count     int      `json:"count"`
}

// DurationStats summarizes durations; Count 0 means there were none and
// the medians are 0.
type DurationStats struct {
	Count         int     `json:"count"`
	MedianSeconds float64 `json:"median_seconds"`
	P90Seconds    float64 `json:"p90_seconds"`
}

// StatsService computes the statistics page. It is separate from
// TicketService so that implementations of that interface stay unchanged.
type StatsService interface {
	// TicketStats aggregates tickets created in [from, to) that scope
	// allows; EInvalid when to is not after from.
	TicketStats(ctx context.Context, scope Scope, from, to time.Time) (TicketStats, error)
}

// ReadMarker records which tickets a user has read, for the inbox's unread
// marks (Ticket.Unread, TicketFilter.ViewerID).
type ReadMarker interface {
	// MarkRead marks everything in the ticket as read by the user now;
	// ENotFound for an unknown ticket.
	MarkRead(ctx context.Context, userID, ticketID int64) error
}
