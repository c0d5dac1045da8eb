package connectors

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/anliegen/anliegen"
)

// ConnectorFunc returns the connector to send a channel's replies with.
type ConnectorFunc func(ctx context.Context, channelID int64) (anliegen.Connector, error)

// Sender works off the outbound queue (invariant 4): it claims due
// replies, sends each through its channel's connector with the reply's id
// as idempotency key, and records the outcome. A reply claimed but not
// recorded (a crash, a failed store write) is claimed again when its lease
// ends and sent with the same key, which the platform answers with the
// first post.
type Sender struct {
	logger   *slog.Logger
	outbound anliegen.OutboundService
	conns    ConnectorFunc
	opts     Options
	notify   chan struct{}
}

// NewSender returns a sender; the Runtime makes one itself, this is for
// running a sender alone. Only the Clock, Rand, backoff and Send* options
// apply.
func NewSender(logger *slog.Logger, outbound anliegen.OutboundService, conns ConnectorFunc, opts Options) *Sender {
	opts.defaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Sender{logger: logger, outbound: outbound, conns: conns, opts: opts, notify: make(chan struct{}, 1)}
}

// Notify wakes the sender: a reply was queued. It never blocks.
func (s *Sender) Notify() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Run sends until ctx is cancelled. Without Notify it looks at the queue
// every SendIdle.
func (s *Sender) Run(ctx context.Context) {
	for ctx.Err() == nil {
		if n := s.SendDue(ctx); n >= s.opts.SendBatch {
			continue // a full batch: more may be due
		}
		select {
		case <-ctx.Done():
		case <-s.notify:
		case <-s.opts.Clock.After(s.opts.SendIdle):
		}
	}
}

// SendDue claims one batch of due replies, sends them and records the
// outcomes; it returns how many it claimed.
func (s *Sender) SendDue(ctx context.Context) int {
	msgs, err := s.outbound.ClaimOutbound(ctx, s.opts.Clock.Now(), s.opts.SendLease, s.opts.SendBatch)
	if err != nil {
		if ctx.Err() == nil {
			s.logger.ErrorContext(ctx, "claim outbound", "err", err)
		}
		return 0
	}
	sem := make(chan struct{}, s.opts.SendConcurrency)
	var wg sync.WaitGroup
	for _, m := range msgs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			s.send(ctx, m)
		})
	}
	wg.Wait()
	return len(msgs)
}

func (s *Sender) send(ctx context.Context, m anliegen.OutboundMessage) {
	logger := s.logger.With("outbound_id", m.ID, "channel_id", m.ChannelID, "attempt", m.Attempts)
	conn, err := s.conns(ctx, m.ChannelID)
	var externalID string
	if err == nil {
		sctx, cancel := context.WithTimeout(ctx, s.opts.SendTimeout)
		externalID, err = conn.Reply(sctx, m)
		cancel()
	} else if anliegen.ErrorCode(err) == anliegen.ENotFound {
		err = &anliegen.PlatformError{Kind: anliegen.ErrPermanent, Err: errors.New("the channel no longer exists")}
	}
	if ctx.Err() != nil {
		// Shutting down: whether the platform took it or not, the lease
		// runs out and the next claim sends again with the same key.
		return
	}
	now := s.opts.Clock.Now()
	if err == nil {
		if err := s.outbound.MarkSent(ctx, m.ID, externalID, now); err != nil {
			logger.ErrorContext(ctx, "record sent reply; it is sent again with the same key after the lease", "err", err, "external_id", externalID)
			return
		}
		logger.InfoContext(ctx, "reply sent", "external_id", externalID)
		return
	}
	var retryAt *time.Time
	switch anliegen.PlatformErrorKindOf(err) {
	case anliegen.ErrPermanent:
	default:
		t := now.Add(backoff(m.Attempts, s.opts.MinBackoff, s.opts.MaxBackoff, s.opts.Rand))
		var pe *anliegen.PlatformError
		if errors.As(err, &pe) && pe.RetryAt.After(t) {
			t = pe.RetryAt
		}
		retryAt = &t
	}
	logger.WarnContext(ctx, "reply failed", "err", err, "permanent", retryAt == nil)
	if err := s.outbound.MarkFailed(ctx, m.ID, err.Error(), retryAt); err != nil {
		logger.ErrorContext(ctx, "record failed reply", "err", err)
	}
}
