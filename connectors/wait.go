package connectors

import (
	"context"
	"log/slog"
	"time"

	"github.com/anliegen/anliegen"
)

// rest waits d before the next poll, or less when the channel's connector
// is an anliegen.Waiter (IMAP IDLE) that reports news first. It runs on
// the worker's goroutine, so a Wait never overlaps a Poll of the same
// channel. It returns false when ctx ended.
func (r *Runtime) rest(ctx context.Context, w *worker, st *pollState, d time.Duration, logger *slog.Logger) bool {
	clk := r.opts.Clock
	waiter, ok := w.conn.(anliegen.Waiter)
	if !ok || !st.mayWait || st.next != nil || st.held != nil || clk.Now().Before(st.waitAfter) {
		return r.sleep(ctx, d)
	}
	start := clk.Now()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The Wait ends when the regular poll is due, by the runtime's clock.
	due := clk.After(d)
	released := make(chan struct{})
	defer close(released)
	go func() {
		select {
		case <-due:
			cancel()
		case <-released:
		}
	}()
	err := waiter.Wait(wctx, st.cursor)
	switch {
	case ctx.Err() != nil:
		return false
	case wctx.Err() != nil:
		return true // the interval is over: the regular poll
	case err == nil:
		st.woken = true
		return true
	}
	r.waitFailed(st, logger, "wait for news failed", err)
	return r.sleep(ctx, d-clk.Now().Sub(start))
}

// sleep waits d on the runtime's clock; it returns false when ctx ended.
func (r *Runtime) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-r.opts.Clock.After(d):
		return true
	}
}

// checkWake judges the poll a Waiter asked for: one that found nothing new
// counts like a failed Wait, so a connector that keeps waking the worker
// for nothing cannot make it poll in a tight loop.
func (r *Runtime) checkWake(st *pollState, res anliegen.PollResult, err error, before string, logger *slog.Logger) {
	if err != nil {
		return // the poll's own failure handling backs off
	}
	if len(res.Items) == 0 && len(res.Skipped) == 0 && res.Cursor == before {
		r.waitFailed(st, logger, "woken without news", nil)
		return
	}
	st.waitFailures, st.waitAfter = 0, time.Time{}
}

// waitFailed falls back to interval polling for a backoff: IDLE may come
// back (a restarted server), but a broken one must not cost a connection
// attempt per interval forever.
func (r *Runtime) waitFailed(st *pollState, logger *slog.Logger, msg string, err error) {
	st.waitFailures++
	bo := backoff(st.waitFailures, r.opts.MinBackoff, r.opts.MaxBackoff, r.opts.Rand)
	if anliegen.PlatformErrorKindOf(err) == anliegen.ErrPermanent && err != nil {
		bo = r.opts.MaxBackoff // the server cannot IDLE at all
	}
	st.waitAfter = r.opts.Clock.Now().Add(bo)
	logger.Warn(msg, "err", err, "consecutive_failures", st.waitFailures, "interval_polling_for", bo)
}
