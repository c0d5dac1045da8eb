package anliegen

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Connector is one platform account seen from Anliegen: it fetches new items
// and sends replies. Each connectors/<platform> package provides one; the
// connectors runtime schedules it. A Connector is used by one goroutine at a
// time for Poll, but Reply may run concurrently with Poll.
type Connector interface {
	// Poll fetches items after cursor ("" on first start: backfill from the
	// channel's BackfillSince). It returns the items and the cursor to store
	// with them. It returns a *PlatformError for rate limits, auth failures
	// and transient failures; items it could not parse are left out of
	// Items and listed in Skipped, so the cursor may move past them.
	Poll(ctx context.Context, cursor string) (PollResult, error)
	// Reply sends m and returns the platform's id of the sent message. It
	// uses m.IdempotencyKey where the platform honours one, and after an
	// earlier attempt (m.Attempts > 0) reads back before sending again where
	// the platform allows it, so that a crash never doubles a public reply.
	Reply(ctx context.Context, m OutboundMessage) (externalID string, err error)
	// Capabilities says what the platform allows.
	Capabilities() Capabilities
}

// PollResult is one poll's outcome.
type PollResult struct {
	Items  []Item
	Cursor string
	// More is true when the platform has more items ready (a full page):
	// the runtime polls again at once instead of waiting for the interval.
	More bool
	// Skipped lists malformed payloads that were left out, for the log.
	Skipped []Skipped
	// RateLimit is the platform's quota as its headers reported it, if any.
	RateLimit *RateLimit
}

// Skipped is a payload a connector could not turn into an Item.
type Skipped struct {
	ID     string // the payload's id if it had one
	Reason string
	Raw    []byte // the raw payload, truncated; logged at debug level only
}

// RateLimit is a platform's quota as reported by its headers.
type RateLimit struct {
	Limit     int
	Remaining int
	Reset     time.Time
}

// PlatformErrorKind classifies platform failures so the runtime reacts the
// same way for every platform (PLATFORMS.md, "Rules for every connector").
type PlatformErrorKind string

// Kinds of platform errors.
const (
	ErrRateLimited PlatformErrorKind = "rate_limited" // wait until RetryAt (or back off)
	ErrAuth        PlatformErrorKind = "auth"         // stop the channel until an admin fixes it
	ErrTemporary   PlatformErrorKind = "temporary"    // 5xx, timeouts, network: back off
	ErrPermanent   PlatformErrorKind = "permanent"    // the request cannot succeed: do not retry
	ErrPaused      PlatformErrorKind = "paused"       // quota exhausted for a long time (monthly cap)
)

// PlatformError is an error from a platform, classified.
type PlatformError struct {
	Kind    PlatformErrorKind
	Status  int       // HTTP status or protocol code, if any
	RetryAt time.Time // when the platform says to try again; zero if unknown
	Err     error
}

func (e *PlatformError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("platform %s (%d): %v", e.Kind, e.Status, e.Err)
	}
	return fmt.Sprintf("platform %s: %v", e.Kind, e.Err)
}

func (e *PlatformError) Unwrap() error { return e.Err }

// PlatformErrorKindOf returns the kind of the first *PlatformError in err's
// chain; an unclassified error counts as temporary.
func PlatformErrorKindOf(err error) PlatformErrorKind {
	var pe *PlatformError
	if errors.As(err, &pe) {
		return pe.Kind
	}
	return ErrTemporary
}
