package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/anliegen/anliegen"
)

// messageSelect reads a Message; scanMessage matches it.
const messageSelect = `SELECT m.id, m.ticket_id, m.channel_id, m.direction, m.external_id, m.parent_id, m.author,
	coalesce(m.author_id, 0), coalesce(m.contact_id, 0), m.subject, m.text, m.html, m.url, m.attachments,
	m.edited, m.deleted, m.auto_reply, m.created_at, coalesce(m.delivery_state, ''), m.error, m.attempts,
	m.next_attempt_at, m.sent_at
	FROM messages m`

func scanMessage(sc interface{ Scan(...any) error }) (anliegen.Message, error) {
	var (
		m             anliegen.Message
		dir, state    string
		attachments   sql.NullString
		created       int64
		nextTry, sent sql.NullInt64
	)
	err := sc.Scan(&m.ID, &m.TicketID, &m.ChannelID, &dir, &m.ExternalID, &m.ParentID, &m.Author,
		&m.AuthorID, &m.ContactID, &m.Subject, &m.Text, &m.HTML, &m.URL, &attachments,
		&m.Edited, &m.Deleted, &m.AutoReply, &created, &state, &m.Error, &m.Attempts, &nextTry, &sent)
	if err != nil {
		return m, err
	}
	m.Direction, m.DeliveryState = anliegen.Direction(dir), anliegen.DeliveryState(state)
	m.Attachments = parseJSONArray[anliegen.Attachment](attachments)
	m.CreatedAt = timeMS(created)
	m.NextAttemptAt, m.SentAt = ptrMS(nextTry), ptrMS(sent)
	return m, nil
}

// ticketMessages returns the messages of a ticket by time written. The
// platform's time orders them, not the id: a backfilled message may be
// stored after a newer one. The id breaks ties.
func ticketMessages(ctx context.Context, q rowQueryer, ticketID int64) ([]anliegen.Message, error) {
	rows, err := q.QueryContext(ctx, messageSelect+` WHERE m.ticket_id = ? ORDER BY m.created_at, m.id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("ticket messages: %w", err)
	}
	defer rows.Close()
	out := []anliegen.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("scan message: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ticket messages: %w", err)
	}
	return out, nil
}

func getMessage(ctx context.Context, q queryer, id int64) (anliegen.Message, error) {
	m, err := scanMessage(q.QueryRowContext(ctx, messageSelect+` WHERE m.id = ?`, id))
	return m, dbError(err, "message")
}
