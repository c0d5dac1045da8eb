package anliegen

import "context"

// Waiter is implemented by connectors that can block until their platform
// has news for them, such as e-mail with IMAP IDLE. A runtime may call Wait
// between polls instead of sleeping through the whole poll interval, with a
// context that ends when the next regular poll is due.
type Waiter interface {
	// Wait returns nil when items after cursor are ready (poll now), at
	// once if they already are; ctx's error when ctx ended first; or a
	// *PlatformError, after which the runtime keeps to its interval.
	Wait(ctx context.Context, cursor string) error
}
