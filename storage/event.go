package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/anliegen/anliegen"
)

var _ anliegen.EventService = (*DB)(nil)

// appendEvent writes e to the events log inside tx and returns its id. A
// zero CreatedAt means now. Every state change calls it in the transaction
// that makes the change (invariant 2).
func (db *DB) appendEvent(ctx context.Context, tx *sql.Tx, e anliegen.Event) (int64, error) {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = db.now()
	}
	res, err := tx.ExecContext(ctx, insertEventSQL, eventArgs(e)...)
	if err != nil {
		return 0, fmt.Errorf("append event %s: %w", e.Type, err)
	}
	return res.LastInsertId()
}

const insertEventSQL = `INSERT INTO events(type, ticket_id, message_id, channel_id, department, prev_department, actor_id, data, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

func eventArgs(e anliegen.Event) []any {
	var data any
	if len(e.Data) > 0 {
		data = string(e.Data)
	}
	return []any{string(e.Type), nullID(e.TicketID), nullID(e.MessageID), nullID(e.ChannelID),
		e.Department, e.PrevDepartment, nullID(e.ActorID), data, unixMS(e.CreatedAt)}
}

// nullID stores 0 as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// eventData marshals v for Event.Data; v is always a plain map or struct of
// the store's own, so an error is a programming mistake and yields nil.
func eventData(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

const eventColumns = `id, type, coalesce(ticket_id, 0), coalesce(message_id, 0), coalesce(channel_id, 0),
	department, prev_department, coalesce(actor_id, 0), data, created_at`

func scanEvent(sc interface{ Scan(...any) error }) (anliegen.Event, error) {
	var (
		e       anliegen.Event
		typ     string
		data    sql.NullString
		created int64
	)
	err := sc.Scan(&e.ID, &typ, &e.TicketID, &e.MessageID, &e.ChannelID,
		&e.Department, &e.PrevDepartment, &e.ActorID, &data, &created)
	e.Type = anliegen.EventType(typ)
	if data.Valid && data.String != "" {
		e.Data = json.RawMessage(data.String)
	}
	e.CreatedAt = timeMS(created)
	return e, err
}

// EventsAfter returns up to limit (1..10000, default 1000) events with
// ID > after, in ID order.
func (db *DB) EventsAfter(ctx context.Context, after int64, limit int) ([]anliegen.Event, error) {
	if limit <= 0 {
		limit = 1000
	}
	limit = min(limit, 10000)
	rows, err := db.read().QueryContext(ctx,
		`SELECT `+eventColumns+` FROM events WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("events after %d: %w", after, err)
	}
	defer rows.Close()
	var out []anliegen.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("scan event: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events after %d: %w", after, err)
	}
	return out, nil
}

// LastEventID returns the highest event ID, 0 when there is none.
func (db *DB) LastEventID(ctx context.Context) (int64, error) {
	var id int64
	if err := db.read().QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM events`).Scan(&id); err != nil {
		return 0, fmt.Errorf("last event id: %w", err)
	}
	return id, nil
}
