package connectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/anliegen/anliegen"
)

// pollState is what a worker carries from one poll to the next.
type pollState struct {
	cursor      string
	health      anliegen.ChannelHealth
	lastWritten time.Time
	stateSaved  anliegen.ChannelState
	next        *fetcher // polls ahead while this page is stored
	held        *fetched // a page taken from next but not yet used

	// mayWait is true when the last poll succeeded and the worker rests for
	// the plain interval: only then may a Waiter cut the rest short (not
	// through a backoff, a rate-limit reset or the pacing of a quota).
	mayWait bool
	// woken is true when a Waiter ended the last rest.
	woken bool
	// waitFailures counts failed or empty Waits in a row; while it is
	// non-zero the worker polls on its interval until waitAfter.
	waitFailures int
	waitAfter    time.Time
}

// poll is a channel's goroutine: poll, store, wait, repeat, until ctx is
// cancelled or the platform refuses the credentials.
func (r *Runtime) poll(ctx context.Context, w *worker, logger *slog.Logger) {
	st := &pollState{cursor: w.ch.Cursor, health: w.ch.Health, stateSaved: w.ch.Health.State}
	clk := r.opts.Clock
	// Honour a wait the previous run was in (a rate-limit reset, a
	// backoff), so a restart does not hammer a platform that asked for rest.
	defer func() {
		if st.next != nil {
			st.next.stop()
		}
	}()
	var wait time.Duration
	if h := w.ch.Health; h.NextPollAt != nil && (h.State == anliegen.ChannelRateLimit || h.State == anliegen.ChannelFailing) {
		wait = min(h.NextPollAt.Sub(clk.Now()), r.opts.MaxBackoff)
	}
	for {
		if wait > 0 && !r.rest(ctx, w, st, wait, logger) {
			return
		}
		if ctx.Err() != nil {
			return
		}
		var stop bool
		wait, stop = r.pollOnce(ctx, w, st, logger)
		if stop {
			close(w.stopped)
			<-ctx.Done() // until an admin changes the channel, which restarts us
			return
		}
	}
}

// pollOnce polls once, stores the result, records health and returns how
// long to wait before the next poll; stop means the channel needs an admin.
func (r *Runtime) pollOnce(ctx context.Context, w *worker, st *pollState, logger *slog.Logger) (wait time.Duration, stop bool) {
	clk := r.opts.Clock
	before := st.cursor
	res, err := r.fetch(ctx, w, st)
	if ctx.Err() != nil {
		return 0, false // shutting down: nothing was stored, the cursor stays
	}
	if st.woken {
		st.woken = false
		r.checkWake(st, res, err, before, logger)
	}
	if err == nil {
		if res.More && pace(res.RateLimit, clk.Now()) == 0 {
			if st.next == nil {
				st.next = r.startFetcher(ctx, w, res.Cursor)
			}
			res = r.coalesce(st, res)
		}
		err = r.store(ctx, w, st, res, logger)
		if ctx.Err() != nil {
			return 0, false
		}
		if !res.More && st.next != nil {
			st.next.stop() // it ended with the page just stored
			st.next = nil
		}
	}
	now := clk.Now()
	h := &st.health
	h.LastPollAt = &now
	if err == nil {
		h.State, h.LastError, h.ConsecutiveFailures, h.LastSuccessAt = anliegen.ChannelOK, "", 0, &now
		wait = r.interval(w.ch)
		if res.More {
			wait = 0
		}
		wait = max(wait, pace(res.RateLimit, now))
	} else {
		h.ConsecutiveFailures++
		h.LastError = err.Error()
		wait, stop = r.failureWait(err, h, now)
		level := slog.LevelWarn
		if stop {
			level = slog.LevelError
		}
		logger.Log(ctx, level, "poll failed", "err", err, "state", h.State,
			"consecutive_failures", h.ConsecutiveFailures, "retry_in", wait)
	}
	st.mayWait = err == nil && !res.More && wait == r.interval(w.ch)
	next := now.Add(wait)
	h.NextPollAt = &next
	if stop {
		h.NextPollAt = nil
	}
	if err != nil || h.State != st.stateSaved || !res.More || now.Sub(st.lastWritten) >= r.opts.HealthEvery {
		if herr := r.channels.SetChannelHealth(ctx, w.ch.ID, *h); herr != nil && ctx.Err() == nil {
			logger.ErrorContext(ctx, "set channel health", "err", herr)
		} else {
			st.lastWritten, st.stateSaved = now, h.State
		}
	}
	return wait, stop
}

// store hands a poll's items and cursor to the store in one call, leaving
// out items that do not validate (logged like the connector's skipped ones).
func (r *Runtime) store(ctx context.Context, w *worker, st *pollState, res anliegen.PollResult, logger *slog.Logger) error {
	items := res.Items[:0:0]
	for _, it := range res.Items {
		if err := it.Validate(); err != nil {
			res.Skipped = append(res.Skipped, anliegen.Skipped{ID: it.ExternalID, Reason: err.Error()})
			continue
		}
		items = append(items, it)
	}
	for _, s := range res.Skipped {
		// Citizen text only at debug level.
		logger.WarnContext(ctx, "skipped malformed item", "payload_id", s.ID, "reason", s.Reason)
		logger.DebugContext(ctx, "skipped item payload", "payload_id", s.ID, "raw", string(s.Raw))
	}
	if len(items) == 0 && res.Cursor == st.cursor {
		return nil
	}
	ictx, cancel := context.WithTimeout(ctx, r.opts.IngestTimeout)
	defer cancel()
	ir, err := r.ingester.Ingest(ictx, w.ch.ID, items, res.Cursor)
	if err != nil {
		// Nothing was stored and the cursor stays: the next poll fetches
		// the same items again.
		return &anliegen.PlatformError{Kind: anliegen.ErrTemporary, Err: fmt.Errorf("store items: %w", err)}
	}
	st.cursor = res.Cursor
	st.health.ItemsTotal += int64(ir.Created)
	if ir.Created > 0 || ir.Updated > 0 {
		logger.InfoContext(ctx, "ingested", "created", ir.Created, "updated", ir.Updated, "unchanged", ir.Unchanged, "tickets", ir.Tickets)
	}
	return nil
}

func (r *Runtime) interval(ch anliegen.Channel) time.Duration {
	if ch.PollInterval > 0 {
		return ch.PollInterval
	}
	if d, ok := r.opts.Intervals[ch.Platform]; ok && d > 0 {
		return d
	}
	return r.opts.DefaultInterval
}

// failureWait sets the state for a failed poll and says how long to wait:
// until the platform's reset for rate limits, forever for credentials,
// exponential backoff with full jitter for the rest.
func (r *Runtime) failureWait(err error, h *anliegen.ChannelHealth, now time.Time) (time.Duration, bool) {
	var pe *anliegen.PlatformError
	errors.As(err, &pe)
	retryAt := time.Time{}
	if pe != nil {
		retryAt = pe.RetryAt
	}
	bo := backoff(h.ConsecutiveFailures, r.opts.MinBackoff, r.opts.MaxBackoff, r.opts.Rand)
	switch anliegen.PlatformErrorKindOf(err) {
	case anliegen.ErrAuth:
		h.State = anliegen.ChannelAuthFailed
		return 0, true
	case anliegen.ErrRateLimited, anliegen.ErrPaused:
		h.State = anliegen.ChannelRateLimit
		if retryAt.After(now) {
			// The platform named its reset: wait for it, plus up to a
			// second so that channels sharing a limit do not return at once.
			return retryAt.Sub(now) + time.Duration(r.opts.Rand()*float64(time.Second)), false
		}
		return bo, false
	default:
		h.State = anliegen.ChannelFailing
		return max(bo, retryAt.Sub(now)), false
	}
}

// pace spreads the remaining requests of a nearly spent rate limit over
// the time to its reset, so the poller slows down before it hits a 429.
func pace(rl *anliegen.RateLimit, now time.Time) time.Duration {
	if rl == nil || rl.Limit <= 0 || rl.Reset.Before(now) {
		return 0
	}
	left := rl.Reset.Sub(now)
	if rl.Remaining <= 0 {
		return left
	}
	if rl.Remaining*5 > rl.Limit { // more than a fifth left: full speed
		return 0
	}
	return left / time.Duration(rl.Remaining+1)
}
