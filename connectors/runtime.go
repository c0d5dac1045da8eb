package connectors

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/anliegen/anliegen"
)

// Options tune the Runtime. Zero fields take the defaults named.
type Options struct {
	Clock Clock // default RealClock()
	// Rand returns a uniform number in [0, 1) for backoff jitter; it must be
	// safe for concurrent use. Default math/rand/v2.Float64.
	Rand func() float64

	// Intervals are the default poll intervals per platform, used when a
	// channel sets none; DefaultInterval covers the rest. Defaults: 30 s for
	// Mastodon, 60 s otherwise.
	Intervals       map[anliegen.Platform]time.Duration
	DefaultInterval time.Duration
	PollTimeout     time.Duration // one Poll call; default 60 s
	IngestTimeout   time.Duration // one Ingest call; default 60 s
	// IngestMaxItems caps how many items of pages fetched ahead go to the
	// store in one transaction while a channel catches up; default 320
	// (four Mastodon pages), which keeps the store's writer busy for a
	// tenth of a second at most.
	IngestMaxItems int
	ReloadEvery    time.Duration // re-read channels; default 30 s
	MinBackoff     time.Duration // default 1 s
	MaxBackoff     time.Duration // default 15 min
	// HealthEvery bounds how often a channel's health is written while it
	// catches up page after page; default 10 s. Failures and state changes
	// are always written.
	HealthEvery time.Duration

	// Sender.
	SendLease       time.Duration // how long a claimed reply is ours; default 2 min
	SendBatch       int           // replies claimed at once; default 20
	SendTimeout     time.Duration // one Reply call; default 30 s
	SendIdle        time.Duration // queue poll without Notify; default 1 s
	SendConcurrency int           // replies in flight; default 4
}

func (o *Options) defaults() {
	if o.Clock == nil {
		o.Clock = RealClock()
	}
	if o.Rand == nil {
		o.Rand = defaultRand()
	}
	if o.Intervals == nil {
		o.Intervals = map[anliegen.Platform]time.Duration{anliegen.PlatformMastodon: 30 * time.Second}
	}
	setDefault(&o.DefaultInterval, time.Minute)
	setDefault(&o.PollTimeout, time.Minute)
	setDefault(&o.IngestTimeout, time.Minute)
	setDefault(&o.ReloadEvery, 30*time.Second)
	setDefault(&o.MinBackoff, time.Second)
	setDefault(&o.MaxBackoff, 15*time.Minute)
	setDefault(&o.HealthEvery, 10*time.Second)
	setDefault(&o.SendLease, 2*time.Minute)
	setDefault(&o.SendTimeout, 30*time.Second)
	setDefault(&o.SendIdle, time.Second)
	if o.IngestMaxItems <= 0 {
		o.IngestMaxItems = 320
	}
	if o.SendBatch <= 0 {
		o.SendBatch = 20
	}
	if o.SendConcurrency <= 0 {
		o.SendConcurrency = 4
	}
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// Runtime polls every enabled channel and sends the outbound queue. Create
// it with NewRuntime and start it with Run.
type Runtime struct {
	logger   *slog.Logger
	registry *Registry
	channels anliegen.ChannelService
	ingester anliegen.Ingester
	opts     Options
	sender   *Sender
	reload   chan struct{}

	mu      sync.Mutex
	workers map[int64]*worker
	spare   map[int64]*spareConn // connectors for sending on channels not polled
}

// worker is the goroutine polling one channel.
type worker struct {
	ch      anliegen.Channel
	conn    anliegen.Connector
	fp      string
	cancel  context.CancelFunc
	done    chan struct{}
	stopped chan struct{} // closed when the worker gave up (auth failure)
}

type spareConn struct {
	fp   string
	conn anliegen.Connector
}

// NewRuntime returns a runtime over the given services. outbound may be
// nil to run without a sender (a read-only deployment, some tests).
func NewRuntime(logger *slog.Logger, registry *Registry, channels anliegen.ChannelService, ingester anliegen.Ingester,
	outbound anliegen.OutboundService, opts Options) *Runtime {
	opts.defaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Runtime{
		logger:   logger,
		registry: registry,
		channels: channels,
		ingester: ingester,
		opts:     opts,
		reload:   make(chan struct{}, 1),
		workers:  map[int64]*worker{},
		spare:    map[int64]*spareConn{},
	}
	if outbound != nil {
		r.sender = NewSender(logger, outbound, r.Connector, opts)
	}
	return r
}

// Sender returns the runtime's sender, nil without an OutboundService.
func (r *Runtime) Sender() *Sender { return r.sender }

// Notify tells the sender a reply is waiting, so it goes out at once.
func (r *Runtime) Notify() {
	if r.sender != nil {
		r.sender.Notify()
	}
}

// Polling returns the ids of the channels being polled right now, sorted:
// enabled channels whose connector could be built and whose credentials
// were not refused.
func (r *Runtime) Polling() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]int64, 0, len(r.workers))
	for id, w := range r.workers {
		select {
		case <-w.stopped:
		default:
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Reload makes the runtime re-read the channels now instead of at the next
// ReloadEvery: call it after an admin added, changed or removed one.
func (r *Runtime) Reload() {
	select {
	case r.reload <- struct{}{}:
	default:
	}
}

// Run polls and sends until ctx is cancelled, then stops every goroutine
// and returns. The next Run resumes from the cursors in the store.
func (r *Runtime) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	if r.sender != nil {
		wg.Go(func() { r.sender.Run(ctx) })
	}
	for {
		r.sync(ctx)
		select {
		case <-ctx.Done():
			r.stopAll()
			wg.Wait()
			return nil
		case <-r.reload:
		case <-r.opts.Clock.After(r.opts.ReloadEvery):
		}
	}
}

// fingerprint identifies what a worker was started with; a change restarts
// it. Cursor and health change as it runs and are left out.
func fingerprint(ch anliegen.Channel) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%t\x00%d\x00%s\x00", ch.Platform, ch.Account, ch.Enabled, ch.PollInterval, ch.BackfillSince.UTC())
	h.Write(ch.Settings)
	h.Write([]byte{0})
	h.Write(ch.Secret)
	return string(h.Sum(nil))
}

// sync starts, restarts and stops workers to match the stored channels.
func (r *Runtime) sync(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	chs, err := r.channels.Channels(ctx)
	if err != nil {
		r.logger.ErrorContext(ctx, "read channels", "err", err)
		return
	}
	seen := map[int64]bool{}
	for _, ch := range chs {
		if !r.registry.Has(ch.Platform) {
			continue // not polled: web form, or a platform this build lacks
		}
		seen[ch.ID] = true
		r.mu.Lock()
		w := r.workers[ch.ID]
		r.mu.Unlock()
		fp := fingerprint(ch)
		if w != nil && w.fp == fp {
			continue
		}
		if w != nil {
			r.stop(w)
			// The worker may have moved the cursor since the list was read.
			id := ch.ID
			if ch, err = r.channels.Channel(ctx, id); err != nil {
				r.logger.ErrorContext(ctx, "read channel", "channel_id", id, "err", err)
				continue
			}
			fp = fingerprint(ch)
		}
		if !ch.Enabled {
			r.markDisabled(ctx, ch)
			continue
		}
		r.start(ctx, ch, fp)
	}
	r.mu.Lock()
	var gone []*worker
	for id, w := range r.workers {
		if !seen[id] {
			gone = append(gone, w)
		}
	}
	for id := range r.spare {
		if !seen[id] {
			delete(r.spare, id)
		}
	}
	r.mu.Unlock()
	for _, w := range gone {
		r.stop(w)
	}
}

func (r *Runtime) markDisabled(ctx context.Context, ch anliegen.Channel) {
	if ch.Health.State == anliegen.ChannelDisabled {
		return
	}
	h := ch.Health
	h.State, h.NextPollAt = anliegen.ChannelDisabled, nil
	if err := r.channels.SetChannelHealth(ctx, ch.ID, h); err != nil {
		r.logger.ErrorContext(ctx, "set channel health", "channel_id", ch.ID, "err", err)
	}
}

func (r *Runtime) start(ctx context.Context, ch anliegen.Channel, fp string) {
	logger := r.logger.With("channel_id", ch.ID, "platform", string(ch.Platform))
	conn, err := r.registry.New(ch, logger)
	if err != nil {
		// Bad settings are an admin's to fix, like bad credentials.
		logger.ErrorContext(ctx, "cannot start channel", "err", err)
		h := ch.Health
		if h.State != anliegen.ChannelAuthFailed || h.LastError != err.Error() {
			now := r.opts.Clock.Now()
			h.State, h.LastError, h.LastPollAt, h.NextPollAt = anliegen.ChannelAuthFailed, err.Error(), &now, nil
			if err := r.channels.SetChannelHealth(ctx, ch.ID, h); err != nil {
				logger.ErrorContext(ctx, "set channel health", "err", err)
			}
		}
		return
	}
	wctx, cancel := context.WithCancel(ctx)
	w := &worker{ch: ch, conn: conn, fp: fp, cancel: cancel, done: make(chan struct{}), stopped: make(chan struct{})}
	r.mu.Lock()
	r.workers[ch.ID] = w
	r.mu.Unlock()
	go func() {
		defer close(w.done)
		r.poll(wctx, w, logger)
	}()
}

func (r *Runtime) stop(w *worker) {
	w.cancel()
	<-w.done
	r.mu.Lock()
	if r.workers[w.ch.ID] == w {
		delete(r.workers, w.ch.ID)
	}
	r.mu.Unlock()
}

func (r *Runtime) stopAll() {
	r.mu.Lock()
	ws := make([]*worker, 0, len(r.workers))
	for _, w := range r.workers {
		ws = append(ws, w)
	}
	r.mu.Unlock()
	for _, w := range ws {
		w.cancel()
	}
	for _, w := range ws {
		r.stop(w)
	}
}

// Connector returns the connector of channel id for sending: the polling
// worker's if it runs, else one built for the purpose. A deleted channel is
// ENotFound, a disabled one a temporary PlatformError (an admin may enable
// it again).
func (r *Runtime) Connector(ctx context.Context, id int64) (anliegen.Connector, error) {
	r.mu.Lock()
	w := r.workers[id]
	r.mu.Unlock()
	if w != nil {
		return w.conn, nil
	}
	ch, err := r.channels.Channel(ctx, id)
	if err != nil {
		return nil, err
	}
	if !ch.Enabled {
		return nil, &anliegen.PlatformError{Kind: anliegen.ErrTemporary, Err: fmt.Errorf("channel %d is disabled", id)}
	}
	fp := fingerprint(ch)
	r.mu.Lock()
	s := r.spare[id]
	r.mu.Unlock()
	if s != nil && s.fp == fp {
		return s.conn, nil
	}
	conn, err := r.registry.New(ch, r.logger.With("channel_id", ch.ID, "platform", string(ch.Platform)))
	if err != nil {
		return nil, &anliegen.PlatformError{Kind: anliegen.ErrAuth, Err: err}
	}
	r.mu.Lock()
	r.spare[id] = &spareConn{fp: fp, conn: conn}
	r.mu.Unlock()
	return conn, nil
}
