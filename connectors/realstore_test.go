package connectors_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/storage"
)

// realStore is the SQLite store with hooks around Ingest and a record of
// health states, for end-to-end runtime tests.
type realStore struct {
	*storage.DB
	ro *sql.DB // a separate read-only connection for assertions

	mu sync.Mutex
	// onIngest, if set, runs before an ingest; an error fails it unstored.
	onIngest func(ctx context.Context, channelID int64, items []anliegen.Item, cursor string) error
	// afterIngest, if set, runs after a successful ingest.
	afterIngest func(channelID int64, cursor string)
	// onMarkSent, if set, runs before MarkSent; an error fails it.
	onMarkSent func(id int64) error
	states     map[int64][]anliegen.ChannelState
}

func openStore(t testing.TB) *realStore {
	t.Helper()
	dir := t.TempDir()
	db, err := storage.Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := sql.Open("sqlite", filepath.Join(dir, storage.FileName)+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ro.Close(); db.Close() })
	return &realStore{DB: db, ro: ro, states: map[int64][]anliegen.ChannelState{}}
}

func (s *realStore) Ingest(ctx context.Context, channelID int64, items []anliegen.Item, cursor string) (anliegen.IngestResult, error) {
	s.mu.Lock()
	before, after := s.onIngest, s.afterIngest
	s.mu.Unlock()
	if before != nil {
		if err := before(ctx, channelID, items, cursor); err != nil {
			return anliegen.IngestResult{}, err
		}
	}
	res, err := s.DB.Ingest(ctx, channelID, items, cursor)
	if err == nil && after != nil {
		after(channelID, cursor)
	}
	return res, err
}

func (s *realStore) SetChannelHealth(ctx context.Context, id int64, h anliegen.ChannelHealth) error {
	s.mu.Lock()
	s.states[id] = append(s.states[id], h.State)
	s.mu.Unlock()
	return s.DB.SetChannelHealth(ctx, id, h)
}

func (s *realStore) MarkSent(ctx context.Context, id int64, externalID string, at time.Time) error {
	s.mu.Lock()
	hook := s.onMarkSent
	s.mu.Unlock()
	if hook != nil {
		if err := hook(id); err != nil {
			return err
		}
	}
	return s.DB.MarkSent(ctx, id, externalID, at)
}

func (s *realStore) setMarkSentHook(f func(id int64) error) {
	s.mu.Lock()
	s.onMarkSent = f
	s.mu.Unlock()
}

func (s *realStore) setHooks(before func(context.Context, int64, []anliegen.Item, string) error, after func(int64, string)) {
	s.mu.Lock()
	s.onIngest, s.afterIngest = before, after
	s.mu.Unlock()
}

func (s *realStore) sawState(id int64, st anliegen.ChannelState) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.states[id] {
		if x == st {
			return true
		}
	}
	return false
}

// storedIDs returns the external ids of the channel's inbound messages with
// how often each is stored.
func (s *realStore) storedIDs(t testing.TB, channelID int64) map[string]int {
	t.Helper()
	out, err := s.stored(channelID)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (s *realStore) stored(channelID int64) (map[string]int, error) {
	rows, err := s.ro.Query(`SELECT external_id, count(*) FROM messages WHERE channel_id = ? AND direction = 'in' GROUP BY external_id`, channelID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// agent creates a member of staff to write replies as.
func (s *realStore) agent(t testing.TB) int64 {
	t.Helper()
	u := anliegen.User{Login: "agent", Name: "Agentin", Role: anliegen.RoleAgent}
	if err := s.CreateUser(context.Background(), &u, "ein langes Passwort 123"); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// ticketOf returns the ticket holding the channel's message externalID.
func (s *realStore) ticketOf(t testing.TB, channelID int64, externalID string) int64 {
	t.Helper()
	var id int64
	if err := s.ro.QueryRow(`SELECT ticket_id FROM messages WHERE channel_id = ? AND external_id = ?`, channelID, externalID).Scan(&id); err != nil {
		t.Fatalf("ticket of %s: %v", externalID, err)
	}
	return id
}

// reply queues a reply to ticket as the agent and returns its id.
func (s *realStore) reply(t testing.TB, ticketID, agentID int64, text string) int64 {
	t.Helper()
	m, err := s.CreateReply(context.Background(), ticketID, agentID, text)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

type outRow struct {
	state      anliegen.DeliveryState
	err        string
	externalID string
	attempts   int
}

func (s *realStore) outbound(t testing.TB, id int64) outRow {
	t.Helper()
	var r outRow
	var state string
	if err := s.ro.QueryRow(`SELECT delivery_state, error, external_id, attempts FROM messages WHERE id = ?`, id).
		Scan(&state, &r.err, &r.externalID, &r.attempts); err != nil {
		t.Fatal(err)
	}
	r.state = anliegen.DeliveryState(state)
	return r
}
