package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/anliegen/anliegen"
)

var (
	_ anliegen.TicketService = (*DB)(nil)
	_ anliegen.ReadMarker    = (*DB)(nil)
)

// ticketColumns read a Ticket with its assignee's login; scanTicket
// matches them column for column. ticketSelect is the whole query.
const (
	ticketColumns = `SELECT t.id, t.number, t.status, t.priority, t.department, coalesce(t.assignee_id, 0),
	coalesce(u.login, ''), t.tags, t.channel_id, t.platform, t.kind, coalesce(t.contact_id, 0),
	` + subjectColumn + `, t.subject = '' AND t.first_id IS NOT NULL,
	coalesce(substr(pm.text, 1, ` + previewReadRunes + `), t.preview), t.preview_id IS NOT NULL,
	t.created_at, t.updated_at, t.first_response_at, t.resolved_at, t.version,
	coalesce(t.merged_into, 0)`
	ticketFrom = ` FROM tickets t LEFT JOIN users u ON u.id = t.assignee_id LEFT JOIN messages pm ON pm.id = t.preview_id`
	// previewReadRunes bounds the text read for a preview: a snippet needs
	// previewRunes characters after collapsing white space, and a mail can
	// be 64 KB.
	previewReadRunes = "2000"
	ticketSelect     = ticketColumns + ticketFrom

	// subjectColumn is the subject as stored or, for a ticket without one
	// (migration 0005), the text of its first message, which usually is
	// the preview message already joined.
	subjectColumn = `CASE WHEN t.subject <> '' OR t.first_id IS NULL THEN t.subject
	WHEN t.first_id = t.preview_id THEN coalesce(substr(pm.text, 1, ` + previewReadRunes + `), '')
	ELSE coalesce((SELECT substr(f.text, 1, ` + previewReadRunes + `) FROM messages f WHERE f.id = t.first_id), '') END`
)

func scanTicket(sc interface{ Scan(...any) error }, extra ...any) (anliegen.Ticket, error) {
	var (
		t                            anliegen.Ticket
		status, prio, platform, kind string
		tags                         sql.NullString
		created, updated             int64
		firstResp, resolved          sql.NullInt64
		previewRef, subjectRef       bool
	)
	dest := append([]any{&t.ID, &t.Number, &status, &prio, &t.Department, &t.AssigneeID, &t.Assignee,
		&tags, &t.ChannelID, &platform, &kind, &t.ContactID, &t.Subject, &subjectRef, &t.Preview, &previewRef, &created, &updated,
		&firstResp, &resolved, &t.Version, &t.MergedInto}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return t, err
	}
	if subjectRef {
		t.Subject = snippet(t.Subject, subjectRunes)
	}
	if previewRef {
		t.Preview = snippet(t.Preview, previewRunes)
	}
	t.Status, t.Priority = anliegen.Status(status), anliegen.Priority(prio)
	t.Platform, t.Kind = anliegen.Platform(platform), anliegen.Kind(kind)
	t.Tags = parseJSONArray[string](tags)
	if t.Tags == nil {
		t.Tags = []string{}
	}
	t.CreatedAt, t.UpdatedAt = timeMS(created), timeMS(updated)
	t.FirstResponseAt, t.ResolvedAt = ptrMS(firstResp), ptrMS(resolved)
	return t, nil
}

// Ticket returns one ticket; ENotFound.
func (db *DB) Ticket(ctx context.Context, id int64) (anliegen.Ticket, error) {
	return getTicket(ctx, db.read(), id)
}

type rowQueryer interface {
	queryer
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func getTicket(ctx context.Context, q queryer, id int64) (anliegen.Ticket, error) {
	t, err := scanTicket(q.QueryRowContext(ctx, ticketSelect+` WHERE t.id = ?`, id))
	return t, dbError(err, "ticket")
}

// TicketDetail returns a ticket with its messages (notes and replies with
// their delivery state included) in the order they were written, its
// events in log order and its contact with identities. All of it is read
// in one transaction, so the parts agree. ENotFound.
func (db *DB) TicketDetail(ctx context.Context, id int64) (anliegen.TicketDetail, error) {
	tx, err := db.read().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return anliegen.TicketDetail{}, fmt.Errorf("ticket detail: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	var d anliegen.TicketDetail
	if d.Ticket, err = getTicket(ctx, tx, id); err != nil {
		return d, err
	}
	if d.Messages, err = ticketMessages(ctx, tx, id); err != nil {
		return d, err
	}
	if d.Events, err = ticketEvents(ctx, tx, id); err != nil {
		return d, err
	}
	if d.ContactID != 0 {
		c, err := getContact(ctx, tx, d.ContactID)
		if err != nil && anliegen.ErrorCode(err) != anliegen.ENotFound {
			return d, err
		}
		if err == nil {
			d.Contact = &c
		}
	}
	return d, nil
}

func ticketEvents(ctx context.Context, q rowQueryer, ticketID int64) ([]anliegen.Event, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+eventColumns+` FROM events WHERE ticket_id = ? ORDER BY id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("ticket events: %w", err)
	}
	defer rows.Close()
	out := []anliegen.Event{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("scan event: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ticket events: %w", err)
	}
	return out, nil
}

// MarkRead records that userID has read everything now in the ticket.
// ENotFound for an unknown ticket or user.
func (db *DB) MarkRead(ctx context.Context, userID, ticketID int64) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		var last int64
		err := tx.QueryRowContext(ctx, `SELECT coalesce((SELECT max(id) FROM messages WHERE ticket_id = t.id), 0)
			FROM tickets t WHERE t.id = ?`, ticketID).Scan(&last)
		if err != nil {
			return dbError(err, "ticket")
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO ticket_reads(user_id, ticket_id, message_id, read_at) VALUES (?, ?, ?, ?)
			ON CONFLICT(user_id, ticket_id) DO UPDATE SET message_id = max(message_id, excluded.message_id),
				read_at = excluded.read_at`, userID, ticketID, last, unixMS(db.now()))
		if anliegen.ErrorCode(dbError(err, "user")) == anliegen.EInvalid {
			return anliegen.Errorf(anliegen.ENotFound, "user not found")
		}
		return dbError(err, "read mark")
	})
}
