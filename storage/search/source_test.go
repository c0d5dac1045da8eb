package search

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

// memSource is an in-memory anliegen.IndexSource: tickets with their
// messages, and an events log that every change appends to, as the store
// does (invariant 2).
type memSource struct {
	mu     sync.Mutex
	docs   map[int64][]anliegen.IndexDoc // by ticket
	events []anliegen.Event
	fail   error // returned by every call when set
}

func newMemSource() *memSource { return &memSource{docs: map[int64][]anliegen.IndexDoc{}} }

// put replaces the documents of ticket and logs an event for it.
func (s *memSource) put(ticket int64, docs ...anliegen.IndexDoc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(docs) == 0 {
		delete(s.docs, ticket)
	} else {
		s.docs[ticket] = slices.Clone(docs)
	}
	s.events = append(s.events, anliegen.Event{
		ID: int64(len(s.events) + 1), Type: anliegen.EventTicketUpdated, TicketID: ticket,
	})
}

func (s *memSource) setFail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

func (s *memSource) EventsAfter(ctx context.Context, after int64, limit int) ([]anliegen.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, s.fail
	}
	var out []anliegen.Event
	for _, e := range s.events {
		if e.ID > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *memSource) LastEventID(ctx context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return 0, s.fail
	}
	return int64(len(s.events)), nil
}

func (s *memSource) IndexDocs(ctx context.Context, ticketIDs []int64) ([]anliegen.IndexDoc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, s.fail
	}
	var out []anliegen.IndexDoc
	for _, id := range ticketIDs {
		out = append(out, s.docs[id]...)
	}
	return out, nil
}

func (s *memSource) ScanIndexDocs(ctx context.Context, afterTicket int64, limit int) ([]anliegen.IndexDoc, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, 0, s.fail
	}
	var ids []int64
	for id := range s.docs {
		if id > afterTicket {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if len(ids) <= limit {
		var out []anliegen.IndexDoc
		for _, id := range ids {
			out = append(out, s.docs[id]...)
		}
		return out, 0, nil
	}
	var out []anliegen.IndexDoc
	for _, id := range ids[:limit] {
		out = append(out, s.docs[id]...)
	}
	return out, ids[limit-1], nil
}

// inquiry is one line of testdata/inquiries-dev.jsonl.
type inquiry struct {
	ID         string   `json:"id"`
	Platform   string   `json:"platform"`
	Kind       string   `json:"kind"`
	Author     string   `json:"author"`
	Text       string   `json:"text"`
	Department string   `json:"department"`
	Priority   string   `json:"priority"`
	Tags       []string `json:"tags"`
	Answer     string   `json:"answer"`
}

func readJSONL[T any](t testing.TB, path string) []T {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []T
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var v T
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// inquiryDocs turns the test inquiries into tickets: ticket i+1 holds the
// question as inbound message 2i+1 and, when there is one, the answer as
// outbound message 2i+2. Tickets with an answer are resolved.
func inquiryDocs(qs []inquiry) map[int64][]anliegen.IndexDoc {
	base := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	out := map[int64][]anliegen.IndexDoc{}
	for i, q := range qs {
		tid := int64(i + 1)
		status := anliegen.StatusOpen
		if q.Answer != "" {
			status = anliegen.StatusResolved
		}
		at := base.Add(time.Duration(i) * 43 * time.Hour)
		in := anliegen.IndexDoc{
			MessageID: 2*tid - 1, TicketID: tid, Number: ticketNumber(tid), ChannelID: 1,
			Platform: anliegen.Platform(q.Platform), Kind: anliegen.Kind(q.Kind),
			ExternalID: q.ID, Direction: anliegen.DirectionIn, Department: q.Department,
			Status: status, Priority: anliegen.Priority(q.Priority), Tags: q.Tags,
			Author: q.Author, Text: q.Text, CreatedAt: at,
		}
		docs := []anliegen.IndexDoc{in}
		if q.Answer != "" {
			out := in
			out.MessageID, out.Direction, out.ExternalID = 2*tid, anliegen.DirectionOut, q.ID+"-answer"
			out.Author, out.Text, out.CreatedAt = "Stadt Musterstadt", q.Answer, at.Add(2*time.Hour)
			docs = append(docs, out)
		}
		out[tid] = docs
	}
	return out
}

func ticketNumber(id int64) string { return fmt.Sprintf("A-2025-%06d", id) }

// fill adds every ticket of docs to s, in ticket order.
func (s *memSource) fill(docs map[int64][]anliegen.IndexDoc) {
	ids := make([]int64, 0, len(docs))
	for id := range docs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s.put(id, docs[id]...)
	}
}
