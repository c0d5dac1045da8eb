package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/anliegen/anliegen"
)

var _ anliegen.IndexSource = (*DB)(nil)

// indexDocSelect reads the documents of the tickets in a temporary id
// list; notes, deleted messages and merged-away tickets yield none.
const indexDocSelect = `SELECT m.id, t.id, t.number, m.channel_id, t.platform, t.kind, m.external_id, m.direction,
	t.department, t.status, t.priority, t.tags, m.author, m.subject, m.text, m.created_at
	FROM tickets t JOIN messages m ON m.ticket_id = t.id
	WHERE t.id IN (%s) AND t.merged_into IS NULL AND m.direction IN ('in', 'out') AND NOT m.deleted
	ORDER BY t.id, m.id`

// indexDocChunk bounds the IN list; SQLite allows 32766 parameters, and
// smaller chunks keep each statement's plan cheap.
const indexDocChunk = 500

// IndexDocs returns the current documents of every non-deleted message
// (in, out; not notes) of the given tickets, by ticket and message id. A
// ticket that does not exist or was merged away yields none.
func (db *DB) IndexDocs(ctx context.Context, ticketIDs []int64) ([]anliegen.IndexDoc, error) {
	var out []anliegen.IndexDoc
	for len(ticketIDs) > 0 {
		n := min(len(ticketIDs), indexDocChunk)
		docs, err := db.indexDocs(ctx, ticketIDs[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, docs...)
		ticketIDs = ticketIDs[n:]
	}
	return out, nil
}

func (db *DB) indexDocs(ctx context.Context, ids []int64) ([]anliegen.IndexDoc, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	q := fmt.Sprintf(indexDocSelect, strings.TrimSuffix(strings.Repeat("?,", len(ids)), ","))
	rows, err := db.read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("index docs: %w", err)
	}
	defer rows.Close()
	var out []anliegen.IndexDoc
	for rows.Next() {
		var (
			d                                       anliegen.IndexDoc
			platform, kind, dir, status, prio, tags string
			created                                 int64
		)
		if err := rows.Scan(&d.MessageID, &d.TicketID, &d.Number, &d.ChannelID, &platform, &kind, &d.ExternalID,
			&dir, &d.Department, &status, &prio, &tags, &d.Author, &d.Subject, &d.Text, &created); err != nil {
			return nil, fmt.Errorf("scan index doc: %w", err)
		}
		d.Platform, d.Kind, d.Direction = anliegen.Platform(platform), anliegen.Kind(kind), anliegen.Direction(dir)
		d.Status, d.Priority = anliegen.Status(status), anliegen.Priority(prio)
		d.Tags = parseJSONArray[string](sql.NullString{String: tags, Valid: true})
		d.CreatedAt = timeMS(created)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("index docs: %w", err)
	}
	return out, nil
}

// ScanIndexDocs returns the documents of up to limit (default 500)
// tickets with ID > afterTicket, in ticket order, and the last ticket ID
// it covered; 0 when no ticket is left. A merged-away ticket is covered
// but yields no documents.
func (db *DB) ScanIndexDocs(ctx context.Context, afterTicket int64, limit int) ([]anliegen.IndexDoc, int64, error) {
	if limit <= 0 {
		limit = 500
	}
	rows, err := db.read().QueryContext(ctx, `SELECT id FROM tickets WHERE id > ? ORDER BY id LIMIT ?`, afterTicket, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("scan tickets: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("scan tickets: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("scan tickets: %w", err)
	}
	if len(ids) == 0 {
		return nil, 0, nil
	}
	docs, err := db.IndexDocs(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	return docs, ids[len(ids)-1], nil
}
