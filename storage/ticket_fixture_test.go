package storage

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/anliegen/anliegen"
)

// ticketSpec describes a ticket for the SQL fixture builder. It writes rows
// directly, as a restored backup would, so list and detail tests control
// every field (times, statuses, tags) exactly.
type ticketSpec struct {
	Department string
	Status     anliegen.Status
	Priority   anliegen.Priority
	Platform   anliegen.Platform
	Kind       anliegen.Kind
	Tags       []string
	Assignee   int64
	Contact    int64
	Created    time.Time
	Updated    time.Time // zero: Created
	Messages   int       // inbound messages, at least 1
}

type fixture struct {
	tb       testing.TB
	db       *DB
	channels map[anliegen.Platform]int64
}

func newFixture(tb testing.TB, db *DB) *fixture {
	return &fixture{tb: tb, db: db, channels: map[anliegen.Platform]int64{}}
}

func (fx *fixture) exec(tx *sql.Tx, q string, args ...any) int64 {
	fx.tb.Helper()
	res, err := tx.Exec(q, args...)
	if err != nil {
		fx.tb.Fatalf("fixture %s: %v", q, err)
	}
	id, _ := res.LastInsertId()
	return id
}

func (fx *fixture) channel(p anliegen.Platform) int64 {
	fx.tb.Helper()
	if id, ok := fx.channels[p]; ok {
		return id
	}
	var id int64
	fx.write(func(tx *sql.Tx) {
		id = fx.exec(tx, `INSERT INTO channels(platform, name, account, created_at) VALUES (?, ?, ?, 0)`,
			string(p), "Kanal "+string(p), "@stadt")
	})
	fx.channels[p] = id
	return id
}

func (fx *fixture) write(fn func(tx *sql.Tx)) {
	fx.tb.Helper()
	if err := fx.db.write(context.Background(), func(tx *sql.Tx) error { fn(tx); return nil }); err != nil {
		fx.tb.Fatal(err)
	}
}

// contact creates a contact with one identity per platform given.
func (fx *fixture) contact(name string, platforms ...anliegen.Platform) int64 {
	fx.tb.Helper()
	var id int64
	fx.write(func(tx *sql.Tx) {
		id = fx.exec(tx, `INSERT INTO contacts(name, created_at) VALUES (?, 0)`, name)
		for i, p := range platforms {
			fx.exec(tx, `INSERT INTO identities(contact_id, platform, external_id, handle, name, created_at)
				VALUES (?, ?, ?, ?, ?, 0)`, id, string(p), fmt.Sprintf("%s-%d-%d", name, id, i), "@"+name, name)
		}
	})
	return id
}

// ticket inserts a ticket with its inbound messages and a ticket.created
// event, and returns it as the store reads it.
func (fx *fixture) ticket(s ticketSpec) anliegen.Ticket {
	fx.tb.Helper()
	return fx.tickets([]ticketSpec{s})[0]
}

// tickets inserts many tickets in one transaction.
func (fx *fixture) tickets(specs []ticketSpec) []anliegen.Ticket {
	fx.tb.Helper()
	var ids []int64
	for i := range specs {
		fx.fill(&specs[i])
	}
	fx.write(func(tx *sql.Tx) {
		for _, s := range specs {
			ids = append(ids, fx.insertTicket(tx, s))
		}
	})
	out := make([]anliegen.Ticket, len(ids))
	for i, id := range ids {
		t, err := fx.db.Ticket(context.Background(), id)
		if err != nil {
			fx.tb.Fatal(err)
		}
		out[i] = t
	}
	return out
}

// fill sets the defaults of s and creates what it refers to.
func (fx *fixture) fill(s *ticketSpec) {
	fx.tb.Helper()
	if s.Status == "" {
		s.Status = anliegen.StatusNew
	}
	if s.Priority == "" {
		s.Priority = anliegen.PriorityNormal
	}
	if s.Platform == "" {
		s.Platform = anliegen.PlatformMastodon
	}
	if s.Kind == "" {
		s.Kind = anliegen.KindDM
	}
	if s.Created.IsZero() {
		s.Created = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	}
	if s.Updated.IsZero() {
		s.Updated = s.Created
	}
	if s.Contact == 0 {
		s.Contact = fx.contact("buerger", s.Platform)
	}
	s.Messages = max(s.Messages, 1)
	fx.channel(s.Platform)
}

func (fx *fixture) insertTicket(tx *sql.Tx, s ticketSpec) int64 {
	fx.tb.Helper()
	ch := fx.channels[s.Platform]
	var id int64
	{
		id = fx.exec(tx, `INSERT INTO tickets(number, status, priority, department, assignee_id, tags, channel_id,
			platform, kind, contact_id, subject, preview, created_at, updated_at)
			VALUES ('tmp', ?, ?, ?, ?, ?, ?, ?, ?, ?, '', 'Vorschau', ?, ?)`,
			string(s.Status), string(s.Priority), s.Department, nullID(s.Assignee), jsonArray(s.Tags), ch,
			string(s.Platform), string(s.Kind), s.Contact, unixMS(s.Created), unixMS(s.Updated))
		fx.exec(tx, `UPDATE tickets SET number = ? WHERE id = ?`, fmt.Sprintf("A-2026-%06d", id), id)
		for i := range s.Messages {
			at := s.Created.Add(time.Duration(i) * time.Minute)
			fx.exec(tx, `INSERT INTO messages(ticket_id, channel_id, direction, external_id, author, contact_id, text, created_at)
				VALUES (?, ?, 'in', ?, '@buerger', ?, ?, ?)`, id, ch, fmt.Sprintf("ext-%d-%d", id, i), s.Contact,
				fmt.Sprintf("Nachricht %d", i), unixMS(at))
		}
		fx.exec(tx, `INSERT INTO events(type, ticket_id, channel_id, department, created_at) VALUES ('ticket.created', ?, ?, ?, ?)`,
			id, ch, s.Department, unixMS(s.Created))
	}
	return id
}

// inbound adds a citizen message to a ticket.
func (fx *fixture) inbound(t anliegen.Ticket, text string, at time.Time) int64 {
	fx.tb.Helper()
	var id int64
	fx.write(func(tx *sql.Tx) {
		id = fx.exec(tx, `INSERT INTO messages(ticket_id, channel_id, direction, external_id, author, contact_id, text, created_at)
			VALUES (?, ?, 'in', ?, '@buerger', ?, ?, ?)`, t.ID, t.ChannelID, fmt.Sprintf("ext-%d-%d", t.ID, at.UnixNano()),
			t.ContactID, text, unixMS(at))
	})
	return id
}
