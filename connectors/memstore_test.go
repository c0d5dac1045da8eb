package connectors_test

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/anliegen/anliegen"
)

// memStore is an in-memory outbound queue (claims with leases, sent and
// failed records) for sender cases the real store cannot set up, such as a
// reply whose channel vanished.
type memStore struct {
	mu     sync.Mutex
	nextID int64
	out    map[int64]*outMsg

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

func newMemStore() *memStore { return &memStore{out: map[int64]*outMsg{}} }

var _ anliegen.OutboundService = (*memStore)(nil)

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
