package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/anliegen/anliegen"
)

// Ingest writes the new tickets, messages and events of a batch at its
// end, many rows per INSERT, rather than one statement per row: with the
// pure-Go SQLite every statement costs several microseconds before it
// touches a B-tree, and a backfill page of 1,000 items wrote some 3,500
// of them. The transaction holds the write lock, so it hands out ticket
// and message ids itself (the ids SQLite would have picked: one more
// than the highest), and everything that reads or changes a pending row
// (threading, dedup, replies, activity) does so in memory; update flushes
// first when it must change a stored row. Events keep their order, so
// their ids are those of one INSERT per event.

// insertSizes are the rows per multi-row INSERT, largest first: 64 is
// large enough to amortize a statement and far below SQLite's 32,766
// parameters (21 per message). A batch's rows go out in as many of the
// largest as fit, then the smaller ones, so that every statement is one
// of a few that Open prepares once (prepareBulk): preparing a statement
// of 64 rows costs more than running it.
var insertSizes = [...]int{64, 16, 4, 1}

// bulkInserts are the INSERT prefixes and columns per row of insertRows.
var bulkInserts = [...]struct {
	prefix string
	cols   int
}{
	{`INSERT INTO tickets(` + ticketRowColumns + `)`, 17},
	{`INSERT INTO messages(` + messageRowColumns + `)`, 21},
	{`INSERT INTO events(` + eventRowColumns + `)`, 9},
	{`INSERT INTO contacts(id, name, created_at)`, 3},
	{`INSERT INTO identities(id, contact_id, platform, external_id, handle, name, created_at)`, 7},
}

// multiRowSQL is prefix + "VALUES" with n rows of cols parameters.
func multiRowSQL(prefix string, cols, n int) string {
	row := "(" + placeholders(cols) + ")"
	return prefix + " VALUES " + strings.TrimSuffix(strings.Repeat(row+",", n), ",")
}

// prepareBulk prepares the statements of insertRows on the writer.
func (db *DB) prepareBulk(ctx context.Context) error {
	db.bulk = make(map[string]*sql.Stmt)
	for _, b := range bulkInserts {
		for _, n := range insertSizes {
			q := multiRowSQL(b.prefix, b.cols, n)
			st, err := db.w.PrepareContext(ctx, q)
			if err != nil {
				return fmt.Errorf("prepare bulk insert: %w", err)
			}
			db.bulk[q] = st
		}
	}
	return nil
}

// pendingTicket is a new ticket not yet written; previewID is also its
// first message (first_id), subject only a subject of its own.
type pendingTicket struct {
	id, contactID, previewID, created int64
	firstResponse                     *int64
	number, prio, dept, tags, kind    string
	threadKey, subject                string
}

// pendingMessage is a new message not yet written: the arguments of
// insertMessageRow.
type pendingMessage [21]any

const (
	ticketRowColumns  = `id, number, status, priority, department, tags, channel_id, platform, kind, contact_id, thread_key, subject, preview_id, first_id, created_at, updated_at, first_response_at`
	messageRowColumns = `id, ticket_id, channel_id, direction, external_id, parent_id, author, contact_id, subject, text, html, url, attachments, refs, lang, edited, edited_at, auto_reply, created_at, delivery_state, sent_at`
	eventRowColumns   = `type, ticket_id, message_id, channel_id, department, prev_department, actor_id, data, created_at`
)

// newTicketID hands out the next ticket id, like newMessageID.
func (in *ingestTx) newTicketID() (int64, error) {
	if in.nextTicket == 0 {
		if err := in.st.scan(`SELECT coalesce(max(id), 0) FROM tickets`, nil, &in.nextTicket); err != nil {
			return 0, fmt.Errorf("last ticket id: %w", err)
		}
	}
	in.nextTicket++
	return in.nextTicket, nil
}

// firstResponse records our first reply on ticket id, in the pending row
// or in the stored one.
func (in *ingestTx) firstResponse(id, at int64) error {
	if p := in.newTickets[id]; p != nil {
		if p.firstResponse == nil {
			p.firstResponse = &at
		}
		return nil
	}
	if _, err := in.st.exec(`UPDATE tickets SET first_response_at = coalesce(first_response_at, ?) WHERE id = ?`,
		at, id); err != nil {
		return fmt.Errorf("first response: %w", err)
	}
	return nil
}

// newIdentity adds a new identity and its contact to the batch's pending
// rows.
func (in *ingestTx) newIdentity(a anliegen.Author) (*identity, error) {
	cid, err := nextID(in.st, `SELECT coalesce(max(id), 0) FROM contacts`, &in.nextContact)
	if err != nil {
		return nil, err
	}
	iid, err := nextID(in.st, `SELECT coalesce(max(id), 0) FROM identities`, &in.nextIdentity)
	if err != nil {
		return nil, err
	}
	i := &identity{id: iid, contactID: cid, handle: a.Handle, name: a.Name, pending: true,
		externalID: a.ExternalID, contactName: authorName(a)}
	in.newIdents = append(in.newIdents, i)
	return i, nil
}

// flushRows writes the pending contacts, identities, tickets and
// messages, in the order their foreign keys need; a ticket's activity
// (updated_at, preview) goes into its row, so that flushTouches need not
// rewrite it.
func (in *ingestTx) flushRows() error {
	if len(in.newIdents) > 0 {
		now := unixMS(in.now)
		contacts := make([]any, 0, len(in.newIdents)*3)
		idents := make([]any, 0, len(in.newIdents)*7)
		for _, i := range in.newIdents {
			contacts = append(contacts, i.contactID, i.contactName, now)
			idents = append(idents, i.id, i.contactID, string(in.platform), i.externalID, i.handle, i.name, now)
			i.pending = false
		}
		if _, err := in.st.insertRows(bulkInserts[3].prefix, bulkInserts[3].cols, contacts); err != nil {
			return fmt.Errorf("insert contacts: %w", err)
		}
		if _, err := in.st.insertRows(bulkInserts[4].prefix, bulkInserts[4].cols, idents); err != nil {
			return fmt.Errorf("insert identities: %w", err)
		}
		in.newIdents = in.newIdents[:0]
	}
	if len(in.ticketOrder) > 0 {
		rows := make([]any, 0, len(in.ticketOrder)*17)
		for _, id := range in.ticketOrder {
			p := in.newTickets[id]
			updated, preview := p.created, p.previewID
			if tt := in.touches[id]; tt != nil {
				updated = max(updated, tt.updatedAt)
				if tt.previewID != 0 {
					preview = tt.previewID
				}
				delete(in.touches, id)
			}
			in.tickets[id].updatedAt = updated // later touches start from the row as written
			var first any
			if p.firstResponse != nil {
				first = *p.firstResponse
			}
			rows = append(rows, p.id, p.number, string(anliegen.StatusNew), p.prio, p.dept, p.tags, in.channel,
				string(in.platform), p.kind, p.contactID, p.threadKey, p.subject, preview, p.previewID, p.created, updated, first)
		}
		if _, err := in.st.insertRows(bulkInserts[0].prefix, bulkInserts[0].cols, rows); err != nil {
			return fmt.Errorf("insert tickets: %w", err)
		}
		clear(in.newTickets)
		in.ticketOrder = in.ticketOrder[:0]
	}
	if len(in.newMessages) > 0 {
		rows := make([]any, 0, len(in.newMessages)*21)
		for i := range in.newMessages {
			rows = append(rows, in.newMessages[i][:]...)
		}
		if _, err := in.st.insertRows(bulkInserts[1].prefix, bulkInserts[1].cols, rows); err != nil {
			return fmt.Errorf("insert messages: %w", err)
		}
		in.newMessages = in.newMessages[:0]
	}
	return nil
}

// flushEvents writes the pending events in order.
func (in *ingestTx) flushEvents() error {
	if len(in.events) == 0 {
		return nil
	}
	rows := make([]any, 0, len(in.events)*9)
	for _, e := range in.events {
		rows = append(rows, eventArgs(e)...)
	}
	last, err := in.st.insertRows(bulkInserts[2].prefix, bulkInserts[2].cols, rows)
	if err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	in.res.LastEvent = last
	in.events = in.events[:0]
	return nil
}

// insertRows runs prefix + "VALUES (...), (...)" over args, cols values
// per row, in statements of insertSizes rows, and returns the last row's
// id.
func (s *txStmts) insertRows(prefix string, cols int, args []any) (int64, error) {
	var last int64
	for len(args) > 0 {
		rows := len(args) / cols
		n := 1
		for _, size := range insertSizes {
			if size <= rows {
				n = size
				break
			}
		}
		id, err := s.insert(multiRowSQL(prefix, cols, n), args[:n*cols]...)
		if err != nil {
			return 0, err
		}
		last, args = id, args[n*cols:]
	}
	return last, nil
}
