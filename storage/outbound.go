package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/anliegen/anliegen"
)

var _ anliegen.OutboundService = (*DB)(nil)

// ClaimOutbound returns up to limit (default 10) pending replies due at
// now, oldest due first, and leases them: next_attempt_at moves to
// now+lease and attempts is incremented, in one transaction, so two
// senders never get the same reply and a crashed sender's reply comes due
// again after the lease.
func (db *DB) ClaimOutbound(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]anliegen.OutboundMessage, error) {
	if limit <= 0 {
		limit = 10
	}
	var out []anliegen.OutboundMessage
	err := db.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE messages SET attempts = attempts + 1, next_attempt_at = ?
			WHERE id IN (SELECT id FROM messages WHERE delivery_state = 'pending' AND next_attempt_at <= ?
				ORDER BY next_attempt_at, id LIMIT ?)
			RETURNING id, ticket_id, channel_id, text, parent_id, attempts`,
			unixMS(now.Add(lease)), unixMS(now), limit)
		if err != nil {
			return fmt.Errorf("claim outbound: %w", err)
		}
		for rows.Next() {
			var m anliegen.OutboundMessage
			if err := rows.Scan(&m.ID, &m.TicketID, &m.ChannelID, &m.Text, &m.InReplyTo, &m.Attempts); err != nil {
				rows.Close()
				return fmt.Errorf("claim outbound: %w", err)
			}
			out = append(out, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("claim outbound: %w", err)
		}
		for i := range out {
			if err := outboundContext(ctx, tx, &out[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// outboundContext fills what the connector needs to thread the reply: the
// ticket's kind and thread, the message answered and its ancestors, and
// the citizen's identity.
func outboundContext(ctx context.Context, tx *sql.Tx, m *anliegen.OutboundMessage) error {
	var (
		kind, platform, threadKey, subject string
		contactID                          sql.NullInt64
	)
	var subjectRef bool
	if err := tx.QueryRowContext(ctx, `SELECT t.kind, t.platform, t.thread_key, `+subjectColumn+`,
		t.subject = '' AND t.first_id IS NOT NULL, t.contact_id
		FROM tickets t LEFT JOIN messages pm ON pm.id = t.preview_id WHERE t.id = ?`,
		m.TicketID).Scan(&kind, &platform, &threadKey, &subject, &subjectRef, &contactID); err != nil {
		return dbError(err, "ticket")
	}
	if subjectRef {
		subject = snippet(subject, subjectRunes)
	}
	m.Kind, m.Subject = anliegen.Kind(kind), subject
	if m.InReplyTo == "" {
		// Replies stored without a parent answer the latest inbound message.
		err := tx.QueryRowContext(ctx, `SELECT external_id FROM messages WHERE ticket_id = ? AND direction = 'in'
			AND external_id <> '' ORDER BY created_at DESC, id DESC LIMIT 1`, m.TicketID).Scan(&m.InReplyTo)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reply parent: %w", err)
		}
	}
	if m.InReplyTo != "" {
		var refs sql.NullString
		var parentSubject string
		err := tx.QueryRowContext(ctx, `SELECT refs, subject FROM messages WHERE channel_id = ? AND external_id = ? AND external_id <> ''`,
			m.ChannelID, m.InReplyTo).Scan(&refs, &parentSubject)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reply references: %w", err)
		}
		m.References = append(parseJSONArray[string](refs), m.InReplyTo)
		if parentSubject != "" {
			m.Subject = parentSubject
		}
	}
	m.ThreadID = threadIDOf(threadKey, m.Kind, m.References)
	if contactID.Valid {
		err := tx.QueryRowContext(ctx, `SELECT external_id, handle, name FROM identities WHERE contact_id = ?
			ORDER BY platform = ? DESC, id LIMIT 1`, contactID.Int64, platform).
			Scan(&m.Recipient.ExternalID, &m.Recipient.Handle, &m.Recipient.Name)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reply recipient: %w", err)
		}
	}
	return nil
}

// threadIDOf recovers the platform's thread id from a ticket's thread key
// (thread.go): the conversation of a DM, the post of a comment, the root
// message of a mail thread.
func threadIDOf(key string, kind anliegen.Kind, refs []string) string {
	switch {
	case strings.HasPrefix(key, "dm:@"):
		return ""
	case strings.HasPrefix(key, "dm:"):
		return key[len("dm:"):]
	case strings.HasPrefix(key, "c:"):
		n, rest, ok := strings.Cut(key[len("c:"):], ":")
		l, err := strconv.Atoi(n)
		if !ok || err != nil || l > len(rest) {
			return ""
		}
		return rest[:l]
	case kind == anliegen.KindMail && len(refs) > 0:
		return refs[0]
	}
	return ""
}

// MarkSent records that reply id went out as the platform's externalID
// at at: delivery state sent, the ticket's first response time if unset,
// and a reply.sent event. Marking a sent reply again with the same id is a
// no-op. If the poller already stored the same platform message (seen in
// the feed as our own), that copy is dropped so the reply stays one row
// (invariant 1). ENotFound; EConflict for a note, an inbound message or a
// reply already sent under another id.
func (db *DB) MarkSent(ctx context.Context, id int64, externalID string, at time.Time) error {
	if externalID == "" {
		return anliegen.Invalid("external_id", "must not be empty")
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		r, err := outboundRow(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.state == string(anliegen.DeliverySent) {
			if r.externalID == externalID {
				return nil
			}
			return anliegen.Errorf(anliegen.EConflict, "reply %d was already sent as %q", id, r.externalID)
		}
		var dup int64
		err = tx.QueryRowContext(ctx, `SELECT id FROM messages WHERE channel_id = ? AND external_id = ? AND external_id <> '' AND id <> ?`,
			r.channelID, externalID, id).Scan(&dup)
		switch {
		case err == nil:
			if _, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE id = ? AND direction = 'out' AND author_id IS NULL`, dup); err != nil {
				return fmt.Errorf("drop polled copy: %w", err)
			}
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("find polled copy: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET delivery_state = 'sent', external_id = ?, sent_at = ?,
			error = '', next_attempt_at = NULL WHERE id = ?`, externalID, unixMS(at), id); err != nil {
			return dbError(err, "reply")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET first_response_at = coalesce(first_response_at, ?),
			updated_at = max(updated_at, ?) WHERE id = ?`, unixMS(at), unixMS(at), r.ticketID); err != nil {
			return fmt.Errorf("mark sent: %w", err)
		}
		data := map[string]any{"external_id": externalID}
		if dup != 0 {
			data["replaced_message_id"] = dup
		}
		_, err = db.appendEvent(ctx, tx, anliegen.Event{Type: anliegen.EventReplySent, TicketID: r.ticketID,
			MessageID: id, ChannelID: r.channelID, Department: r.department, Data: eventData(data)})
		return err
	})
}

// MarkFailed records a failed attempt of reply id. With retryAt the reply
// stays pending and comes due again then; without, it is failed for good
// until staff retry it (RetryReply). Writes reply.failed. ENotFound;
// EConflict for a message that is not an unsent reply.
func (db *DB) MarkFailed(ctx context.Context, id int64, errMsg string, retryAt *time.Time) error {
	errMsg = truncateUTF8(cleanText(errMsg), 2000)
	return db.write(ctx, func(tx *sql.Tx) error {
		r, err := outboundRow(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.state == string(anliegen.DeliverySent) {
			return anliegen.Errorf(anliegen.EConflict, "reply %d was already sent", id)
		}
		state := anliegen.DeliveryFailed
		if retryAt != nil {
			state = anliegen.DeliveryPending
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET delivery_state = ?, error = ?, next_attempt_at = ? WHERE id = ?`,
			string(state), errMsg, nullMS(retryAt), id); err != nil {
			return fmt.Errorf("mark failed: %w", err)
		}
		data := map[string]any{"error": errMsg, "permanent": retryAt == nil, "attempts": r.attempts}
		if retryAt != nil {
			data["retry_at"] = retryAt.UTC()
		}
		_, err = db.appendEvent(ctx, tx, anliegen.Event{Type: anliegen.EventReplyFailed, TicketID: r.ticketID,
			MessageID: id, ChannelID: r.channelID, Department: r.department, Data: eventData(data)})
		return err
	})
}

type outboundInfo struct {
	ticketID, channelID int64
	state, externalID   string
	department          string
	attempts            int
}

func outboundRow(ctx context.Context, tx *sql.Tx, id int64) (outboundInfo, error) {
	var (
		r   outboundInfo
		dir string
	)
	err := tx.QueryRowContext(ctx, `SELECT m.ticket_id, m.channel_id, m.direction, coalesce(m.delivery_state, ''),
		m.external_id, t.department, m.attempts FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.id = ?`, id).
		Scan(&r.ticketID, &r.channelID, &dir, &r.state, &r.externalID, &r.department, &r.attempts)
	if err != nil {
		return r, dbError(err, "reply")
	}
	if dir != string(anliegen.DirectionOut) {
		return r, anliegen.Errorf(anliegen.EConflict, "message %d is not a reply", id)
	}
	return r, nil
}
