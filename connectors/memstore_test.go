package connectors_test

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/anliegen/anliegen"
)

// memStore is a minimal store for runtime tests: channels, ingest with
// dedup on (channel, external id) and the cursor in one step, and an
// outbound queue with leases. It counts what a real store would absorb so
// that tests can see doubles.
type memStore struct {
	mu       sync.Mutex
	nextID   int64
	channels map[int64]*anliegen.Channel
	stored   map[int64]map[string]anliegen.Item // channel → external id → item
	created  map[int64]map[string]int           // how often each was created (must stay 1)
	health   map[int64][]anliegen.ChannelHealth
	out      map[int64]*outMsg

	// onIngest, if set, runs before an ingest is applied; an error fails it.
	onIngest func(ctx context.Context, channelID int64, items []anliegen.Item, cursor string) error
	// onMarkSent, if set, runs before MarkSent is applied; an error fails it.
	onMarkSent func(id int64) error
}

type outMsg struct {
	m          anliegen.OutboundMessage
	state      anliegen.DeliveryState
	leaseUntil time.Time
	nextAt     time.Time
	externalID string
	err        string
	marks      int
}

func newMemStore() *memStore {
	return &memStore{channels: map[int64]*anliegen.Channel{}, stored: map[int64]map[string]anliegen.Item{},
		created: map[int64]map[string]int{}, health: map[int64][]anliegen.ChannelHealth{}, out: map[int64]*outMsg{}}
}

var (
	_ anliegen.ChannelService  = (*memStore)(nil)
	_ anliegen.Ingester        = (*memStore)(nil)
	_ anliegen.OutboundService = (*memStore)(nil)
)

func (s *memStore) Channels(ctx context.Context) ([]anliegen.Channel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []anliegen.Channel
	for _, ch := range s.channels {
		out = append(out, *ch)
	}
	slices.SortFunc(out, func(a, b anliegen.Channel) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func (s *memStore) Channel(ctx context.Context, id int64) (anliegen.Channel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[id]
	if !ok {
		return anliegen.Channel{}, anliegen.Errorf(anliegen.ENotFound, "channel not found")
	}
	return *ch, nil
}

func (s *memStore) CreateChannel(ctx context.Context, ch *anliegen.Channel) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	ch.ID = s.nextID
	c := *ch
	s.channels[ch.ID] = &c
	return nil
}

func (s *memStore) UpdateChannel(ctx context.Context, ch *anliegen.Channel) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.channels[ch.ID]
	if !ok {
		return anliegen.Errorf(anliegen.ENotFound, "channel not found")
	}
	old.Name, old.Settings, old.Secret, old.Enabled, old.PollInterval = ch.Name, ch.Settings, ch.Secret, ch.Enabled, ch.PollInterval
	return nil
}

func (s *memStore) DeleteChannel(ctx context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.channels, id)
	return nil
}

func (s *memStore) SetChannelHealth(ctx context.Context, id int64, h anliegen.ChannelHealth) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[id]
	if !ok {
		return anliegen.Errorf(anliegen.ENotFound, "channel not found")
	}
	ch.Health = h
	s.health[id] = append(s.health[id], h)
	return nil
}

func (s *memStore) Ingest(ctx context.Context, channelID int64, items []anliegen.Item, cursor string) (anliegen.IngestResult, error) {
	if s.onIngest != nil {
		if err := s.onIngest(ctx, channelID, items, cursor); err != nil {
			return anliegen.IngestResult{}, err
		}
	}
	if err := ctx.Err(); err != nil {
		return anliegen.IngestResult{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[channelID]
	if !ok {
		return anliegen.IngestResult{}, anliegen.Errorf(anliegen.ENotFound, "channel not found")
	}
	if s.stored[channelID] == nil {
		s.stored[channelID], s.created[channelID] = map[string]anliegen.Item{}, map[string]int{}
	}
	var res anliegen.IngestResult
	for _, it := range items {
		if err := it.Validate(); err != nil {
			return anliegen.IngestResult{}, err
		}
		old, ok := s.stored[channelID][it.ExternalID]
		switch {
		case !ok:
			res.Created++
			s.created[channelID][it.ExternalID]++
		case it.Deleted != old.Deleted || (it.EditedAt != nil && (old.EditedAt == nil || it.EditedAt.After(*old.EditedAt))):
			res.Updated++
		default:
			res.Unchanged++
			continue
		}
		s.stored[channelID][it.ExternalID] = it
	}
	ch.Cursor = cursor
	return res, nil
}

// storedIDs returns the external ids stored for a channel with how often
// each was created.
func (s *memStore) storedIDs(channelID int64) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for id, n := range s.created[channelID] {
		out[id] = n
	}
	return out
}

func (s *memStore) item(channelID int64, externalID string) (anliegen.Item, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.stored[channelID][externalID]
	return it, ok
}

// queue adds a pending reply.
func (s *memStore) queue(m anliegen.OutboundMessage) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	m.ID = s.nextID
	s.out[m.ID] = &outMsg{m: m, state: anliegen.DeliveryPending}
	return m.ID
}

func (s *memStore) outbound(id int64) outMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.out[id]
}

func (s *memStore) ClaimOutbound(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]anliegen.OutboundMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(s.out))
	for id := range s.out {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out []anliegen.OutboundMessage
	for _, id := range ids {
		o := s.out[id]
		if len(out) >= limit || o.state != anliegen.DeliveryPending || o.nextAt.After(now) || o.leaseUntil.After(now) {
			continue
		}
		o.m.Attempts++
		o.leaseUntil = now.Add(lease)
		out = append(out, o.m)
	}
	return out, nil
}

func (s *memStore) MarkSent(ctx context.Context, id int64, externalID string, at time.Time) error {
	if s.onMarkSent != nil {
		if err := s.onMarkSent(id); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.out[id]
	o.state, o.externalID, o.leaseUntil = anliegen.DeliverySent, externalID, time.Time{}
	o.marks++
	return nil
}

func (s *memStore) MarkFailed(ctx context.Context, id int64, errMsg string, retryAt *time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.out[id]
	o.err, o.leaseUntil = errMsg, time.Time{}
	if retryAt == nil {
		o.state = anliegen.DeliveryFailed
		return nil
	}
	o.nextAt = *retryAt
	return nil
}
